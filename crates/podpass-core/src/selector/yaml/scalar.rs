//! Plain scalars resolved as Vault's YAML step resolves them. Vault reads a YAML selector with
//! Kubernetes' YAML-to-JSON conversion, over go-yaml v2, which has YAML 1.1's types: `yes`, `on`
//! and `y` are booleans, `017` is octal, `1_000` is a thousand, `08` is a float. The conversion
//! then turns each into a string where a label wants one (`selector.rs`, `into_string`).

use super::super::Node;

/// The type of a plain scalar, as go-yaml v2 resolves it. Anything that is not one of its null,
/// boolean, integer or float forms is a string.
pub(super) fn resolve(text: String) -> Node {
    if let Some(node) = named(&text) {
        return node;
    }
    let number = match text.as_bytes().first() {
        // Not named, so a float such as `.5`, written as Go's float syntax reads it.
        Some(b'.') => finite(&text).map(Node::Float),
        Some(b'0'..=b'9' | b'+' | b'-') => number(&text),
        _ => None,
    };
    number.unwrap_or(Node::Str(text))
}

/// The scalars YAML 1.1 names: nulls, booleans and the float specials.
fn named(text: &str) -> Option<Node> {
    Some(match text {
        "" | "~" | "null" | "Null" | "NULL" => Node::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Node::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Node::Bool(false)
        }
        ".nan" | ".NaN" | ".NAN" => Node::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Node::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Node::Float(f64::NEG_INFINITY),
        _ => return None,
    })
}

/// A scalar starting with a digit or a sign: underscores dropped, then a signed 64-bit integer
/// in Go's literal forms, an unsigned one, a decimal float, or go-yaml's own binary forms.
/// (go-yaml tries timestamps first and keeps them as strings; no timestamp reads as a number.)
fn number(text: &str) -> Option<Node> {
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    if let Some(int) = go_int(&plain) {
        return Some(Node::Int(int));
    }
    if let Some(int) = go_uint(&plain) {
        return Some(Node::Int(int.to_string()));
    }
    if is_decimal_float(&plain)
        && let Some(float) = finite(&plain)
    {
        return Some(Node::Float(float));
    }
    let binary = if let Some(digits) = plain.strip_prefix("0b") {
        i64::from_str_radix(digits, 2)
    } else if let Some(digits) = plain.strip_prefix("-0b") {
        i64::from_str_radix(&format!("-{digits}"), 2)
    } else {
        return None;
    };
    binary.ok().map(|int| Node::Int(int.to_string()))
}

/// Go's `strconv.ParseInt(text, 0, 64)`, as decimal text: a sign, then what [`go_uint`] reads,
/// within the signed range.
fn go_int(text: &str) -> Option<String> {
    let (negative, magnitude) = match text.as_bytes().first() {
        Some(b'+') => (false, &text[1..]),
        Some(b'-') => (true, &text[1..]),
        _ => (false, text),
    };
    let value = go_uint(magnitude)?;
    let limit = 1u64 << 63;
    match negative {
        false if value < limit => Some(value.to_string()),
        true if value == 0 => Some("0".to_string()),
        true if value <= limit => Some(format!("-{value}")),
        _ => None,
    }
}

/// Go's `strconv.ParseUint(text, 0, 64)`: `0b`, `0o` and `0x` prefixes (either case), a
/// leading `0` for octal, otherwise decimal; no sign.
fn go_uint(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    let (radix, digits) = match bytes {
        [] => return None,
        [b'0', prefix, _, ..] if prefix.eq_ignore_ascii_case(&b'b') => (2, &text[2..]),
        [b'0', prefix, _, ..] if prefix.eq_ignore_ascii_case(&b'o') => (8, &text[2..]),
        [b'0', prefix, _, ..] if prefix.eq_ignore_ascii_case(&b'x') => (16, &text[2..]),
        [b'0', ..] => (8, &text[1..]),
        _ => (10, text),
    };
    // `0` alone is octal with no digits after the prefix: zero.
    if digits.is_empty() {
        return Some(0);
    }
    if !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// go-yaml's float pattern: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn is_decimal_float(text: &str) -> bool {
    let digits = |s: &str| s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let whole = digits(unsigned);
    let mut rest = &unsigned[whole..];
    if let Some(after_point) = rest.strip_prefix('.') {
        let fraction = digits(after_point);
        if whole == 0 && fraction == 0 {
            return false;
        }
        rest = &after_point[fraction..];
    } else if whole == 0 {
        return false;
    }
    if let Some(exponent) = rest.strip_prefix(['e', 'E']) {
        let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        let count = digits(exponent);
        return count > 0 && count == exponent.len();
    }
    rest.is_empty()
}

/// A float Go's `strconv.ParseFloat` reads without a range error (Rust's reading agrees on the
/// decimal forms that reach here, and both round correctly).
fn finite(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|f| f.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(text: &str) -> String {
        format!("{:?}", resolve(text.to_string()))
    }

    #[test]
    fn yaml_1_1_names_booleans_and_nulls() {
        for text in ["y", "Yes", "ON", "true"] {
            assert_eq!(resolved(text), "Bool(true)", "{text}");
        }
        for text in ["N", "no", "Off", "FALSE"] {
            assert_eq!(resolved(text), "Bool(false)", "{text}");
        }
        for text in ["", "~", "Null"] {
            assert_eq!(resolved(text), "Null", "{text}");
        }
        for text in ["yES", "oN", "nope", "t", "<<"] {
            assert_eq!(resolved(text), format!("Str({text:?})"), "{text}");
        }
        assert_eq!(resolved("+.inf"), "Float(inf)");
        assert_eq!(resolved("-.Inf"), "Float(-inf)");
        assert_eq!(resolved(".NaN"), "Float(NaN)");
    }

    #[test]
    fn integers_are_read_as_go_reads_literals() {
        for (text, int) in [
            ("017", "15"),
            ("-017", "-15"),
            ("0o17", "15"),
            ("0X1f", "31"),
            ("+0x10", "16"),
            ("0b101", "5"),
            ("0B11", "3"),
            ("1_000", "1000"),
            ("0x_1F", "31"),
            ("0", "0"),
            ("-0", "0"),
            ("00", "0"),
            ("9223372036854775807", "9223372036854775807"),
            ("-9223372036854775808", "-9223372036854775808"),
            ("18446744073709551615", "18446744073709551615"),
            ("0b-101", "-5"),
        ] {
            assert_eq!(resolved(text), format!("Int({int:?})"), "{text}");
        }
    }

    #[test]
    fn other_numbers_are_floats_or_strings() {
        for (text, float) in [
            ("08", "8.0"),
            ("1e3", "1000.0"),
            ("1.", "1.0"),
            (".5", "0.5"),
            ("+.5", "0.5"),
            ("-1_0.5", "-10.5"),
            ("18446744073709551616", "1.8446744073709552e19"),
            ("-9223372036854775809", "-9.223372036854776e18"),
        ] {
            assert_eq!(resolved(text), format!("Float({float})"), "{text}");
        }
        for text in [
            "0x",
            "0b",
            "0o8",
            "1e",
            "1.5.0",
            "+",
            "-",
            ".",
            ".e1",
            "._5",
            "1e400",
            "0x1p3",
            "1a",
            "_1",
            "2024-01-02",
            "+-1",
            "--0b1",
            "12:30",
        ] {
            assert_eq!(resolved(text), format!("Str({text:?})"), "{text}");
        }
    }
}
