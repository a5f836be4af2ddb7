//! Complexity limits on JSON request bodies, checked on the raw bytes before any parsing.
//!
//! The body size limit alone still lets 32 MiB of `[[[[…` or of one-character strings cost far
//! more memory and time than the bytes suggest. Vault bounds depth, string length, object
//! entries and array elements; OpenBao bounds the number of strings. podpass bounds all five
//! (see [`JsonLimits::default`]) and answers as OpenBao does: 400 with
//! `refused JSON input due to high complexity: …`.

/// The limits. The defaults are documented in docs/compatibility.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonLimits {
    /// Deepest nesting of objects and arrays (the body's own object is depth 1).
    pub max_depth: usize,
    /// Longest string, keys included, in bytes as sent (escapes count as written).
    pub max_string_bytes: usize,
    /// Most strings in the whole body, keys included.
    pub max_strings: usize,
    /// Most entries in one object.
    pub max_object_entries: usize,
    /// Most elements in one array.
    pub max_array_elements: usize,
}

impl Default for JsonLimits {
    /// Depth 100 (below serde_json's own recursion limit of 128, so a body within the limits
    /// always parses), strings up to 1 MiB and objects and arrays up to 10,000 entries
    /// (Vault's listener defaults), at most 10,000 strings in all.
    fn default() -> Self {
        JsonLimits {
            max_depth: 100,
            max_string_bytes: 1024 * 1024,
            max_strings: 10_000,
            max_object_entries: 10_000,
            max_array_elements: 10_000,
        }
    }
}

/// Which limit a body exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    /// [`JsonLimits::max_depth`].
    Depth,
    /// [`JsonLimits::max_string_bytes`].
    StringLength,
    /// [`JsonLimits::max_strings`].
    Strings,
    /// [`JsonLimits::max_object_entries`].
    ObjectEntries,
    /// [`JsonLimits::max_array_elements`].
    ArrayElements,
}

impl Exceeded {
    /// The error message, in OpenBao's words where it has one (the number of strings).
    pub fn message(self) -> &'static str {
        match self {
            Exceeded::Depth => {
                "refused JSON input due to high complexity: exceeded maximum nesting depth"
            }
            Exceeded::StringLength => {
                "refused JSON input due to high complexity: exceeded maximum string length"
            }
            Exceeded::Strings => {
                "refused JSON input due to high complexity: exceeded maximum number of strings"
            }
            Exceeded::ObjectEntries => {
                "refused JSON input due to high complexity: exceeded maximum number of object entries"
            }
            Exceeded::ArrayElements => {
                "refused JSON input due to high complexity: exceeded maximum number of array elements"
            }
        }
    }
}

struct Container {
    is_object: bool,
    elements: usize,
}

/// Scans `body` once and says which limit it exceeds first, if any. Malformed JSON is not
/// judged here: the parser reports it afterwards.
pub fn check(body: &[u8], limits: &JsonLimits) -> Result<(), Exceeded> {
    let mut stack: Vec<Container> = Vec::new();
    let mut strings = 0usize;
    // The last byte outside strings that was not blank: a string right after `:` is an
    // object's value, anywhere else in an object it is a key.
    let mut previous = 0u8;
    let mut i = 0usize;
    while let Some(&byte) = body.get(i) {
        match byte {
            b'{' | b'[' => {
                count_value(&mut stack, limits)?;
                if stack.len() >= limits.max_depth {
                    return Err(Exceeded::Depth);
                }
                stack.push(Container {
                    is_object: byte == b'{',
                    elements: 0,
                });
            }
            b'}' | b']' => {
                stack.pop();
            }
            b'"' => {
                match stack.last_mut() {
                    Some(object) if object.is_object && previous != b':' => {
                        object.elements += 1;
                        if object.elements > limits.max_object_entries {
                            return Err(Exceeded::ObjectEntries);
                        }
                    }
                    _ => count_value(&mut stack, limits)?,
                }
                strings += 1;
                if strings > limits.max_strings {
                    return Err(Exceeded::Strings);
                }
                let start = i + 1;
                let mut end = start;
                while let Some(&b) = body.get(end) {
                    match b {
                        b'\\' => end += 2,
                        b'"' => break,
                        _ => end += 1,
                    }
                }
                if end.saturating_sub(start) > limits.max_string_bytes {
                    return Err(Exceeded::StringLength);
                }
                i = end;
            }
            b',' | b':' => {}
            b if b.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            _ => {
                // A number, `true`, `false` or `null`: one value, however long.
                count_value(&mut stack, limits)?;
                while body.get(i + 1).is_some_and(|b| {
                    !matches!(b, b',' | b']' | b'}' | b'"' | b'{' | b'[' | b':')
                        && !b.is_ascii_whitespace()
                }) {
                    i += 1;
                }
            }
        }
        previous = byte;
        i += 1;
    }
    Ok(())
}

/// Counts a value: an element when the innermost container is an array (an object's values
/// are counted with their keys).
fn count_value(stack: &mut [Container], limits: &JsonLimits) -> Result<(), Exceeded> {
    match stack.last_mut() {
        Some(array) if !array.is_object => {
            array.elements += 1;
            if array.elements > limits.max_array_elements {
                return Err(Exceeded::ArrayElements);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn each_limit_is_exact() {
        let limits = JsonLimits {
            max_depth: 3,
            max_string_bytes: 4,
            max_strings: 6,
            max_object_entries: 2,
            max_array_elements: 3,
        };
        let ok = |body: &str| check(body.as_bytes(), &limits);
        assert_eq!(ok(&nested(3)), Ok(()));
        assert_eq!(ok(&nested(4)), Err(Exceeded::Depth));
        assert_eq!(ok(r#"{"a":{"b":{}}}"#), Ok(()));
        assert_eq!(ok(r#"{"a":{"b":{"c":[]}}}"#), Err(Exceeded::Depth));
        assert_eq!(ok(r#"{"abcd":"wxyz"}"#), Ok(()));
        assert_eq!(ok(r#"{"abcde":1}"#), Err(Exceeded::StringLength));
        assert_eq!(ok(r#"{"a":"vwxyz"}"#), Err(Exceeded::StringLength));
        // An escape is counted as written, and an escaped quote does not end the string.
        assert_eq!(ok(r#"{"a":"\"\""}"#), Ok(()));
        assert_eq!(ok(r#"{"a":"\"\"x"}"#), Err(Exceeded::StringLength));
        assert_eq!(ok(r#"{"a":1,"b":{"c":1,"d":[1,2]}}"#), Ok(()));
        assert_eq!(ok(r#"{"a":1,"b":2,"c":3}"#), Err(Exceeded::ObjectEntries));
        assert_eq!(ok(r#"{"a" : "x" , "b" : "y"}"#), Ok(()));
        assert_eq!(ok(r#"{"a":[1,"x",[]]}"#), Ok(()));
        assert_eq!(ok(r#"{"a":[1,"x",[],null]}"#), Err(Exceeded::ArrayElements));
        assert_eq!(ok(r#"{"a":["x","y"],"b":["z","w"]}"#), Ok(()));
        assert_eq!(
            ok(r#"{"a":["x","y"],"b":["z","w","v"]}"#),
            Err(Exceeded::Strings)
        );
    }

    #[test]
    fn the_defaults_admit_what_serde_json_parses() {
        let limits = JsonLimits::default();
        let deepest = format!("{{\"a\":{}}}", nested(limits.max_depth - 1));
        assert_eq!(check(deepest.as_bytes(), &limits), Ok(()));
        assert!(serde_json::from_str::<serde_json::Value>(&deepest).is_ok());
        let deeper = format!("{{\"a\":{}}}", nested(limits.max_depth));
        assert_eq!(check(deeper.as_bytes(), &limits), Err(Exceeded::Depth));
    }

    #[test]
    fn malformed_bodies_are_left_to_the_parser() {
        let limits = JsonLimits::default();
        for body in ["]]]}}", "{\"a", "\"", "{\"a\":\"\\", "tru", ""] {
            assert_eq!(check(body.as_bytes(), &limits), Ok(()), "{body}");
        }
    }
}
