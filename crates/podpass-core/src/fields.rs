//! Vault's framework field coercion for JSON API bodies.
//!
//! Vault decodes request bodies with `UseNumber`, so every JSON number reaches a field as its
//! decimal text, and then converts each field "weakly" (booleans become `"1"`/`"0"` when a string
//! is wanted, numeric strings become integers, a scalar becomes a one-element list, ...). The
//! functions here reproduce those conversions and their error texts, because the errors surface
//! verbatim in HTTP 400 responses that users and tools match on.
//!
//! A conversion failure is reported by Vault as
//! `Field validation failed: error converting input <value> for field "<field>": <reason>`;
//! [`FieldError`] displays everything after `Field validation failed: ` and
//! [`FieldError::response_message`] gives the full text.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use crate::duration::{DurationError, parse_duration};

/// A field value that Vault's framework could not convert to the field's declared type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field name, e.g. `token_ttl`.
    pub field: String,
    /// The submitted value as Go's `%v` prints it (e.g. `abc`, `[a b]`, `map[k:v]`, `<nil>`);
    /// empty when the value must not be echoed (see [`secret_string`]).
    pub input: String,
    /// The converter's own reason, e.g. `time: invalid duration "abc"`.
    pub message: String,
}

impl FieldError {
    /// Builds an error for `field`, rendering `value` the way Go's `%v` does.
    pub fn new(field: &str, value: &Value, message: impl Into<String>) -> Self {
        Self {
            field: field.to_string(),
            input: go_value(value),
            message: message.into(),
        }
    }

    /// The complete error string of Vault's 400 response (`Field validation failed: ...`).
    pub fn response_message(&self) -> String {
        format!("Field validation failed: {self}")
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = go_quote(&self.field);
        match self.input.as_str() {
            "" => write!(
                f,
                "error converting input for field {field}: {}",
                self.message
            ),
            input => write!(
                f,
                "error converting input {input} for field {field}: {}",
                self.message
            ),
        }
    }
}

impl std::error::Error for FieldError {}

/// Vault's `TypeCommaStringSlice`: a comma-separated string or a JSON array.
///
/// Every item is whitespace-trimmed. Empty items are kept (`"a,,b"` gives `["a", "", "b"]`):
/// Vault only trims, it does not filter. `null` and `""` give an empty list; a bare number or
/// boolean becomes a one-item list (`true` becomes `"1"`, as Go's weak decoding does).
pub fn comma_string_slice(field: &str, value: &Value) -> Result<Vec<String>, FieldError> {
    let items = match value {
        Value::String(text) if text.is_empty() => Vec::new(),
        Value::String(text) => text.split(',').map(str::to_string).collect(),
        Value::Number(number) => number.to_string().split(',').map(str::to_string).collect(),
        _ => weak_string_list(value).map_err(|message| FieldError::new(field, value, message))?,
    };
    Ok(items
        .into_iter()
        .map(|item| item.trim().to_string())
        .collect())
}

/// How Vault's framework warning for body parameters a path does not know begins.
pub const IGNORED_PARAMETERS: &str = "Endpoint ignored these unrecognized parameters";

/// Vault's framework warning naming the body parameters a path does not know, sorted as it
/// lists them; `None` when there are none.
pub fn ignored_parameters_warning<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut names: Vec<&str> = names.into_iter().collect();
    if names.is_empty() {
        return None;
    }
    crate::order::sort(&mut names);
    Some(format!("{IGNORED_PARAMETERS}: [{}]", names.join(" ")))
}

/// Vault's `TypeStringSlice` (Go's weak decoding into `[]string`): a JSON array item by item,
/// anything else a one-item list; a string is not split at commas. `null` gives an empty list.
pub fn string_slice(field: &str, value: &Value) -> Result<Vec<String>, FieldError> {
    weak_string_list(value).map_err(|message| FieldError::new(field, value, message))
}

/// Vault's `TypeString` for a field that holds a credential (a login's `jwt`): as [`string`],
/// but a refusal names only the value's type, never the value (OpenBao's framework's form;
/// Vault's echoes it).
pub fn secret_string(field: &str, value: &Value) -> Result<String, FieldError> {
    string(field, value).map_err(|_| FieldError {
        field: field.to_string(),
        input: String::new(),
        message: format!(
            "'' expected type 'string', got unconvertible type '{}'",
            go_type_name(value)
        ),
    })
}

/// Vault's `TypeString`: strings as is, numbers as their text, booleans as `"1"`/`"0"`,
/// `null` as `""`; arrays and objects are errors.
pub fn string(field: &str, value: &Value) -> Result<String, FieldError> {
    weak_string(value, "").map_err(|message| FieldError::new(field, value, message))
}

/// Vault's `TypeBool`: `true`/`false`, or a string/number Go's `strconv.ParseBool` accepts
/// (`1`, `t`, `T`, `TRUE`, `true`, `True` and the `0`/`f`/`false` family); `""` and `null`
/// mean false.
pub fn boolean(field: &str, value: &Value) -> Result<bool, FieldError> {
    let fail = |message: String| FieldError::new(field, value, message);
    match value {
        Value::Null => Ok(false),
        Value::Bool(flag) => Ok(*flag),
        Value::String(text) => parse_go_bool(text).map_err(fail),
        Value::Number(number) => parse_go_bool(&number.to_string()).map_err(fail),
        Value::Array(_) | Value::Object(_) => Err(fail(unconvertible("", "bool", value))),
    }
}

/// Vault's `TypeInt`: a number or numeric string parsed like Go's `strconv.ParseInt(s, 0, 64)`
/// (so `0x1f`, `0o17`, `017` and `1_000` are accepted, `1.5` is not); booleans are 1/0,
/// `""` and `null` are 0.
pub fn integer(field: &str, value: &Value) -> Result<i64, FieldError> {
    let fail = |message: String| FieldError::new(field, value, message);
    let text = match value {
        Value::Null => return Ok(0),
        Value::Bool(flag) => return Ok(i64::from(*flag)),
        Value::String(text) if text.is_empty() => return Ok(0),
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Array(_) | Value::Object(_) => return Err(fail(unconvertible("", "int", value))),
    };
    parse_go_int(&text, true).map_err(|err| fail(format!("cannot parse '' as int: {err}")))
}

/// Vault's `TypeDurationSecond`, in whole seconds: see [`parse_duration`] for the accepted
/// forms. Negative results are refused with Vault's `cannot provide negative value '<n>'`.
/// `null` gives 0 (Vault treats a `null` duration as "not sent"; callers that care check for
/// `null` first).
pub fn duration_seconds(field: &str, value: &Value) -> Result<i64, FieldError> {
    let seconds = parse_duration(value)
        .map_err(|err: DurationError| FieldError::new(field, value, err.to_string()))?;
    if seconds < 0 {
        return Err(FieldError::new(
            field,
            value,
            format!("cannot provide negative value '{seconds}'"),
        ));
    }
    Ok(seconds)
}

/// Vault's `TypeKVPairs`: a JSON object of scalars, or a list (or single string) of `key=value`
/// items. `null` gives an empty map.
pub fn kv_pairs(field: &str, value: &Value) -> Result<BTreeMap<String, String>, FieldError> {
    let fail = |message: String| FieldError::new(field, value, message);
    if let Value::Object(map) = value {
        let mut out = BTreeMap::new();
        let mut all_scalars = true;
        for (key, item) in map {
            match weak_string(item, key) {
                Ok(text) => {
                    out.insert(key.clone(), text);
                }
                Err(_) => all_scalars = false,
            }
        }
        if all_scalars {
            return Ok(out);
        }
    }
    if value.is_null() {
        return Ok(BTreeMap::new());
    }
    // Vault retries as a list of `key=value` strings when the map form does not decode.
    let items = weak_string_list(value).map_err(fail)?;
    let mut out = BTreeMap::new();
    for item in items {
        match item.split_once('=') {
            Some((key, val)) if !key.is_empty() => {
                out.insert(key.to_string(), val.to_string());
            }
            _ => return Err(fail(format!("invalid key pair {}", go_quote(&item)))),
        }
    }
    Ok(out)
}

/// A JSON value's kind as error messages name it: `null`, `a boolean`, `a number`, `a string`,
/// `an array`, `an object`.
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Go's `%v` rendering of a decoded JSON value, as Vault prints it in field errors:
/// `<nil>`, `true`, `3600`, `text`, `[a b]`, `map[k:v]` (keys sorted).
pub(crate) fn go_value(value: &Value) -> String {
    match value {
        Value::Null => "<nil>".to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => text.clone(),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(go_value).collect();
            format!("[{}]", parts.join(" "))
        }
        Value::Object(map) => {
            // Sorted explicitly: serde_json may be built with `preserve_order` by other crates.
            let mut parts: Vec<String> = map
                .iter()
                .map(|(key, item)| format!("{key}:{}", go_value(item)))
                .collect();
            crate::order::sort(&mut parts);
            format!("map[{}]", parts.join(" "))
        }
    }
}

/// Go's `%q` / `strconv.Quote`: double quotes, backslash escapes for `"`, `\` and control
/// characters, `\uXXXX` for other non-printable characters.
///
/// Printability is approximated with Rust's character classes (control characters,
/// non-ASCII whitespace and the common zero-width format characters are escaped); Go consults
/// the full Unicode category tables, so exotic characters may differ.
pub(crate) fn go_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if is_go_printable(c) => out.push(c),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

fn is_go_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    // Unicode "format" characters Go refuses to print raw; the frequent ones are enough here.
    !matches!(
        c,
        '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}'
    )
}

/// Why Go's `strconv.ParseInt` rejected its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseIntErrorKind {
    /// Not a number in the accepted syntax.
    InvalidSyntax,
    /// A number, but outside the signed 64-bit range.
    OutOfRange,
}

/// A `strconv.ParseInt` failure, displayed exactly like Go's
/// (`strconv.ParseInt: parsing "1.5": invalid syntax`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseIntError {
    /// The complete input, sign included.
    pub input: String,
    /// What went wrong.
    pub kind: ParseIntErrorKind,
}

impl fmt::Display for ParseIntError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = match self.kind {
            ParseIntErrorKind::InvalidSyntax => "invalid syntax",
            ParseIntErrorKind::OutOfRange => "value out of range",
        };
        write!(
            f,
            "strconv.ParseInt: parsing {}: {reason}",
            go_quote(&self.input)
        )
    }
}

impl std::error::Error for ParseIntError {}

/// Go's `strconv.ParseInt(text, base, 64)` with `base` 10, or 0 when `base_prefixes` is set
/// (then `0x`, `0o`, `0b` and a leading `0` select the base, and `_` separators are allowed).
pub fn parse_go_int(text: &str, base_prefixes: bool) -> Result<i64, ParseIntError> {
    let error = |kind| ParseIntError {
        input: text.to_string(),
        kind,
    };
    if text.is_empty() {
        return Err(error(ParseIntErrorKind::InvalidSyntax));
    }
    let (negative, unsigned) = match text.as_bytes()[0] {
        b'+' => (false, &text[1..]),
        b'-' => (true, &text[1..]),
        _ => (false, text),
    };
    let magnitude = parse_go_uint(unsigned, base_prefixes).map_err(error)?;
    if negative {
        if magnitude > 1u64 << 63 {
            return Err(error(ParseIntErrorKind::OutOfRange));
        }
        Ok((magnitude as i64).wrapping_neg())
    } else {
        i64::try_from(magnitude).map_err(|_| error(ParseIntErrorKind::OutOfRange))
    }
}

fn parse_go_uint(text: &str, base_prefixes: bool) -> Result<u64, ParseIntErrorKind> {
    if text.is_empty() {
        return Err(ParseIntErrorKind::InvalidSyntax);
    }
    let bytes = text.as_bytes();
    let (base, digits): (u64, &[u8]) = if !base_prefixes || bytes[0] != b'0' {
        (10, bytes)
    } else if bytes.len() >= 3 && bytes[1].eq_ignore_ascii_case(&b'b') {
        (2, &bytes[2..])
    } else if bytes.len() >= 3 && bytes[1].eq_ignore_ascii_case(&b'o') {
        (8, &bytes[2..])
    } else if bytes.len() >= 3 && bytes[1].eq_ignore_ascii_case(&b'x') {
        (16, &bytes[2..])
    } else {
        (8, &bytes[1..])
    };
    let mut value: u64 = 0;
    let mut saw_underscore = false;
    for &byte in digits {
        let digit = match byte {
            b'_' if base_prefixes => {
                saw_underscore = true;
                continue;
            }
            b'0'..=b'9' => u64::from(byte - b'0'),
            b'a'..=b'z' => u64::from(byte - b'a') + 10,
            b'A'..=b'Z' => u64::from(byte - b'A') + 10,
            _ => return Err(ParseIntErrorKind::InvalidSyntax),
        };
        if digit >= base {
            return Err(ParseIntErrorKind::InvalidSyntax);
        }
        // Go reports the overflow as soon as it happens, even if bad characters follow.
        value = value
            .checked_mul(base)
            .and_then(|v| v.checked_add(digit))
            .ok_or(ParseIntErrorKind::OutOfRange)?;
    }
    if saw_underscore && !underscores_well_placed(text) {
        return Err(ParseIntErrorKind::InvalidSyntax);
    }
    Ok(value)
}

/// Go only accepts `_` between digits (or right after a base prefix).
fn underscores_well_placed(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut index = 0;
    let mut hex = false;
    // 'b' = beginning, 'd' = digit or prefix, 'u' = underscore, 'o' = other.
    let mut last = b'b';
    if bytes.len() >= 2
        && bytes[0] == b'0'
        && matches!(bytes[1].to_ascii_lowercase(), b'b' | b'o' | b'x')
    {
        index = 2;
        last = b'd';
        hex = bytes[1].eq_ignore_ascii_case(&b'x');
    }
    for &byte in &bytes[index..] {
        if byte.is_ascii_digit() || (hex && byte.is_ascii_hexdigit()) {
            last = b'd';
        } else if byte == b'_' {
            if last != b'd' {
                return false;
            }
            last = b'u';
        } else {
            if last == b'u' {
                return false;
            }
            last = b'o';
        }
    }
    last != b'u'
}

/// Go's `strconv.ParseBool` as used by Vault's weak decoding (`""` means false), with the
/// decoder's message when the text is none of Go's spellings.
pub fn parse_go_bool(text: &str) -> Result<bool, String> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" | "" => Ok(false),
        _ => Err(format!(
            "cannot parse '' as bool: strconv.ParseBool: parsing {}: invalid syntax",
            go_quote(text)
        )),
    }
}

/// The Go type name Vault's decoder reports for a JSON value it could not convert.
pub fn go_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(_) => "json.Number",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

fn unconvertible(name: &str, target: &str, value: &Value) -> String {
    format!(
        "'{name}' expected type '{target}', got unconvertible type '{}', value: '{}'",
        go_type_name(value),
        go_value(value)
    )
}

/// Weak conversion of one value to a string; `name` is the decoder's path for error texts.
fn weak_string(value: &Value, name: &str) -> Result<String, String> {
    match value {
        Value::Null => Ok(String::new()),
        Value::Bool(true) => Ok("1".to_string()),
        Value::Bool(false) => Ok("0".to_string()),
        Value::Number(number) => Ok(number.to_string()),
        Value::String(text) => Ok(text.clone()),
        Value::Array(_) | Value::Object(_) => Err(unconvertible(name, "string", value)),
    }
}

/// Weak conversion to a list of strings: arrays item by item, empty objects to an empty list,
/// anything else lifted into a one-item list. Errors are collected like Go's decoder does.
fn weak_string_list(value: &Value) -> Result<Vec<String>, String> {
    let lifted;
    let items: &[Value] = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        Value::Object(map) if map.is_empty() => return Ok(Vec::new()),
        other => {
            lifted = [other.clone()];
            &lifted
        }
    };
    let mut out = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for (index, item) in items.iter().enumerate() {
        match weak_string(item, &format!("[{index}]")) {
            Ok(text) => out.push(text),
            Err(message) => {
                errors.push(format!("* {message}"));
                out.push(String::new());
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        crate::order::sort(&mut errors);
        Err(format!(
            "{} error(s) decoding:\n\n{}",
            errors.len(),
            errors.join("\n")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn comma_slices_trim_and_keep_empties() {
        assert_eq!(
            comma_string_slice("f", &json!("a, b ,c")).unwrap(),
            ["a", "b", "c"]
        );
        assert_eq!(
            comma_string_slice("f", &json!("a,,b")).unwrap(),
            ["a", "", "b"]
        );
        assert_eq!(comma_string_slice("f", &json!(" a ,")).unwrap(), ["a", ""]);
        assert_eq!(comma_string_slice("f", &json!(" ")).unwrap(), [""]);
        assert!(comma_string_slice("f", &json!("")).unwrap().is_empty());
        assert!(comma_string_slice("f", &json!(null)).unwrap().is_empty());
        assert!(comma_string_slice("f", &json!({})).unwrap().is_empty());
        assert_eq!(
            comma_string_slice("f", &json!([" x ", "y,z"])).unwrap(),
            ["x", "y,z"]
        );
        assert_eq!(comma_string_slice("f", &json!(42)).unwrap(), ["42"]);
        assert_eq!(comma_string_slice("f", &json!(true)).unwrap(), ["1"]);
        assert_eq!(
            comma_string_slice("f", &json!([1, false, null])).unwrap(),
            ["1", "0", ""]
        );
    }

    #[test]
    fn comma_slice_errors_read_like_vault() {
        let err = comma_string_slice("token_policies", &json!(["a", ["b"]])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "error converting input [a [b]] for field \"token_policies\": 1 error(s) decoding:\n\n* \
             '[1]' expected type 'string', got unconvertible type '[]interface {}', value: '[b]'"
        );
        let err = comma_string_slice("f", &json!({"k": "v"})).unwrap_err();
        assert_eq!(
            err.message,
            "1 error(s) decoding:\n\n* '[0]' expected type 'string', got unconvertible type \
             'map[string]interface {}', value: 'map[k:v]'"
        );
        assert_eq!(err.input, "map[k:v]");
    }

    #[test]
    fn strings_convert_weakly() {
        assert_eq!(string("f", &json!("x")).unwrap(), "x");
        assert_eq!(string("f", &json!(12)).unwrap(), "12");
        assert_eq!(string("f", &json!(true)).unwrap(), "1");
        assert_eq!(string("f", &json!(false)).unwrap(), "0");
        assert_eq!(string("f", &json!(null)).unwrap(), "");
        let err = string("audience", &json!(["a", "b"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "error converting input [a b] for field \"audience\": '' expected type 'string', got \
             unconvertible type '[]interface {}', value: '[a b]'"
        );
        assert_eq!(
            err.response_message(),
            format!("Field validation failed: {err}")
        );
    }

    #[test]
    fn booleans_follow_parse_bool() {
        for yes in [
            json!(true),
            json!("true"),
            json!("1"),
            json!("T"),
            json!("TRUE"),
            json!(1),
        ] {
            assert!(boolean("f", &yes).unwrap(), "{yes}");
        }
        for no in [
            json!(false),
            json!("false"),
            json!("0"),
            json!("f"),
            json!(""),
            json!(null),
            json!(0),
        ] {
            assert!(!boolean("f", &no).unwrap(), "{no}");
        }
        let err = boolean("token_no_default_policy", &json!("yes")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "error converting input yes for field \"token_no_default_policy\": cannot parse '' as \
             bool: strconv.ParseBool: parsing \"yes\": invalid syntax"
        );
        assert!(boolean("f", &json!(2)).is_err());
        assert_eq!(
            boolean("f", &json!([true])).unwrap_err().message,
            "'' expected type 'bool', got unconvertible type '[]interface {}', value: '[true]'"
        );
    }

    #[test]
    fn integers_follow_parse_int_base_zero() {
        assert_eq!(integer("f", &json!(12)).unwrap(), 12);
        assert_eq!(integer("f", &json!(-3)).unwrap(), -3);
        assert_eq!(integer("f", &json!("12")).unwrap(), 12);
        assert_eq!(integer("f", &json!("0x1f")).unwrap(), 31);
        assert_eq!(integer("f", &json!("017")).unwrap(), 15);
        assert_eq!(integer("f", &json!("0o17")).unwrap(), 15);
        assert_eq!(integer("f", &json!("0b101")).unwrap(), 5);
        assert_eq!(integer("f", &json!("1_000")).unwrap(), 1000);
        assert_eq!(integer("f", &json!("")).unwrap(), 0);
        assert_eq!(integer("f", &json!(null)).unwrap(), 0);
        assert_eq!(integer("f", &json!(true)).unwrap(), 1);
        let err = integer("token_num_uses", &json!(1.5)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "error converting input 1.5 for field \"token_num_uses\": cannot parse '' as int: \
             strconv.ParseInt: parsing \"1.5\": invalid syntax"
        );
        let err = integer("f", &json!("99999999999999999999")).unwrap_err();
        assert!(
            err.message
                .ends_with("parsing \"99999999999999999999\": value out of range")
        );
        assert!(integer("f", &json!("1__0")).is_err());
        assert!(integer("f", &json!("_10")).is_err());
        assert!(integer("f", &json!("abc")).is_err());
        assert!(integer("f", &json!({"a": 1})).is_err());
    }

    #[test]
    fn parse_go_int_edges() {
        assert_eq!(
            parse_go_int("-9223372036854775808", false).unwrap(),
            i64::MIN
        );
        assert_eq!(
            parse_go_int("9223372036854775807", false).unwrap(),
            i64::MAX
        );
        assert_eq!(
            parse_go_int("9223372036854775808", false).unwrap_err().kind,
            ParseIntErrorKind::OutOfRange
        );
        assert_eq!(parse_go_int("+7", false).unwrap(), 7);
        assert_eq!(
            parse_go_int("0x10", false).unwrap_err().kind,
            ParseIntErrorKind::InvalidSyntax
        );
        assert_eq!(
            parse_go_int("1_0", false).unwrap_err().kind,
            ParseIntErrorKind::InvalidSyntax
        );
        assert_eq!(
            parse_go_int("-", false).unwrap_err().kind,
            ParseIntErrorKind::InvalidSyntax
        );
        assert_eq!(
            parse_go_int("0x", true).unwrap_err().kind,
            ParseIntErrorKind::InvalidSyntax
        );
        assert_eq!(parse_go_int("0", true).unwrap(), 0);
        assert_eq!(parse_go_int("0x_1", true).unwrap(), 1);
        assert_eq!(
            parse_go_int("1.5", false).unwrap_err().to_string(),
            "strconv.ParseInt: parsing \"1.5\": invalid syntax"
        );
    }

    #[test]
    fn durations_refuse_negatives() {
        assert_eq!(duration_seconds("f", &json!("1h")).unwrap(), 3600);
        assert_eq!(duration_seconds("f", &json!(90)).unwrap(), 90);
        assert_eq!(duration_seconds("f", &json!(null)).unwrap(), 0);
        let err = duration_seconds("token_ttl", &json!(-5)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "error converting input -5 for field \"token_ttl\": cannot provide negative value '-5'"
        );
        let err = duration_seconds("token_ttl", &json!("abc")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "error converting input abc for field \"token_ttl\": time: invalid duration \"abc\""
        );
        // Sub-second negatives truncate to zero, so Vault lets them through.
        assert_eq!(duration_seconds("f", &json!("-500ms")).unwrap(), 0);
    }

    #[test]
    fn kv_pairs_accept_maps_and_lists() {
        let map = kv_pairs("f", &json!({"a": "1", "b": 2, "c": true})).unwrap();
        assert_eq!(map.get("a").map(String::as_str), Some("1"));
        assert_eq!(map.get("b").map(String::as_str), Some("2"));
        assert_eq!(map.get("c").map(String::as_str), Some("1"));
        let map = kv_pairs("f", &json!(["k=v", "x=y=z"])).unwrap();
        assert_eq!(map.get("x").map(String::as_str), Some("y=z"));
        assert!(kv_pairs("f", &json!(null)).unwrap().is_empty());
        assert_eq!(
            kv_pairs("f", &json!(["novalue"])).unwrap_err().message,
            "invalid key pair \"novalue\""
        );
        assert!(kv_pairs("f", &json!(["=v"])).is_err());
    }

    #[test]
    fn go_value_and_quote_render_like_go() {
        assert_eq!(go_value(&json!(null)), "<nil>");
        assert_eq!(
            go_value(&json!([1, "a", null, [true]])),
            "[1 a <nil> [true]]"
        );
        assert_eq!(
            go_value(&json!({"b": 1, "a": {"c": "d"}})),
            "map[a:map[c:d] b:1]"
        );
        assert_eq!(go_quote("plain"), "\"plain\"");
        assert_eq!(go_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(go_quote("tab\there\n"), "\"tab\\there\\n\"");
        assert_eq!(go_quote("\u{1}"), "\"\\x01\"");
        assert_eq!(go_quote("héllo"), "\"héllo\"");
        assert_eq!(go_quote("nb\u{a0}sp"), "\"nb\\u00a0sp\"");
        assert_eq!(go_quote("zw\u{200b}"), "\"zw\\u200b\"");
    }
}
