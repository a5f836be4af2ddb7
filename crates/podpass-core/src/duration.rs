//! Durations as Vault reads and prints them.
//!
//! Vault's `TypeDurationSecond` fields accept integer seconds, Go duration strings (`1h30m`,
//! `1.5h`, `300ms`) and a days suffix (`7d`). Vault decodes JSON numbers as their text, so a
//! JSON number goes through exactly the same path as the string with the same digits: `3600`
//! and `"3600"` are both one hour, while `1.5` is refused like `"1.5"` would be (Go's duration
//! parser wants a unit). Results are truncated toward zero to whole seconds.
//!
//! Error texts are Go's (`time: invalid duration "abc"`, `time: unknown unit "x" in duration
//! "1x"`, `strconv.ParseInt: parsing "1.5": invalid syntax`), because Vault passes them through
//! to API clients.
//!
//! Printing follows Vault's warning format ("humanDuration": Go's `Duration.String()` with
//! zero components dropped) and, for the one error that uses it, Go's plain `Duration.String()`.

use serde_json::Value;
use thiserror::Error;

use crate::fields::{ParseIntError, parse_go_int};

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// The largest whole number of seconds a Go `time.Duration` (int64 nanoseconds) can hold.
/// Vault silently wraps beyond this; podpass refuses such values instead.
pub const MAX_DURATION_SECONDS: i64 = i64::MAX / NANOS_PER_SECOND;

const SECONDS_PER_DAY: i64 = 24 * 60 * 60;

/// Why a duration input was refused. `Display` is the text Vault reports.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DurationError {
    /// Not a Go duration (also used for Go's own overflow detection).
    #[error("time: invalid duration {}", time_quote(.0))]
    Invalid(String),
    /// A number without a unit where a unit was required, e.g. `1.5`.
    #[error("time: missing unit in duration {}", time_quote(.0))]
    MissingUnit(String),
    /// An unknown unit, e.g. the `x` of `1x`.
    #[error("time: unknown unit {} in duration {}", time_quote(.unit), time_quote(.input))]
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The complete input.
        input: String,
    },
    /// The number before a `d` suffix is not an integer (Vault reports Go's ParseInt error).
    #[error("{0}")]
    Days(ParseIntError),
    /// Integer seconds or days beyond what a Go duration holds. Vault would wrap around
    /// silently here; podpass refuses, with Go's wording for duration overflow.
    #[error("time: invalid duration {}", time_quote(.0))]
    OutOfRange(String),
    /// A JSON boolean, array or object.
    #[error("could not parse duration from input")]
    UnsupportedInput,
}

/// Parses a JSON API value the way Vault's `TypeDurationSecond` does, returning whole seconds.
///
/// `null` and `""` are 0. Negative values are returned as such; callers decide whether they
/// are allowed (see [`crate::fields::duration_seconds`]).
pub fn parse_duration(value: &Value) -> Result<i64, DurationError> {
    match value {
        Value::Null => Ok(0),
        Value::String(text) => parse_duration_str(text),
        Value::Number(number) => parse_duration_str(&number.to_string()),
        Value::Bool(_) | Value::Array(_) | Value::Object(_) => Err(DurationError::UnsupportedInput),
    }
}

/// Parses duration text the way Vault's `parseutil.ParseDurationSecond` does: `""` is 0, an
/// integer is seconds, `<int>d` is days, anything else must be a Go duration (`1h30m`, `1.5h`,
/// `300ms`, `-2m`). The result is truncated toward zero to whole seconds.
pub fn parse_duration_str(text: &str) -> Result<i64, DurationError> {
    if text.is_empty() {
        return Ok(0);
    }
    if let Ok(seconds) = parse_go_int(text, false) {
        return scale(seconds, 1, text);
    }
    if let Some(days) = text.strip_suffix('d') {
        let days = parse_go_int(days, false).map_err(DurationError::Days)?;
        return scale(days, SECONDS_PER_DAY, text);
    }
    let nanos = parse_go_duration(text)?;
    Ok(nanos / NANOS_PER_SECOND)
}

fn scale(count: i64, unit_seconds: i64, text: &str) -> Result<i64, DurationError> {
    count
        .checked_mul(unit_seconds)
        .filter(|seconds| seconds.unsigned_abs() <= MAX_DURATION_SECONDS.unsigned_abs())
        .ok_or_else(|| DurationError::OutOfRange(text.to_string()))
}

/// Nanoseconds per Go duration unit.
fn unit_nanos(unit: &str) -> Option<u64> {
    Some(match unit {
        "ns" => 1,
        "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    })
}

/// Go's `time.ParseDuration`, in nanoseconds, with Go's acceptance rules and error texts.
fn parse_go_duration(input: &str) -> Result<i64, DurationError> {
    const LIMIT: u64 = 1 << 63;
    let invalid = || DurationError::Invalid(input.to_string());
    let mut rest = input;
    let mut negative = false;
    if let Some(stripped) = rest.strip_prefix('-') {
        negative = true;
        rest = stripped;
    } else if let Some(stripped) = rest.strip_prefix('+') {
        rest = stripped;
    }
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let first = rest.as_bytes()[0];
        if !(first == b'.' || first.is_ascii_digit()) {
            return Err(invalid());
        }
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let whole = leading_int(&rest[..int_len]).ok_or_else(invalid)?;
        rest = &rest[int_len..];
        let mut fraction: u64 = 0;
        let mut fraction_scale: f64 = 1.0;
        let mut fraction_len = 0;
        if let Some(after_dot) = rest.strip_prefix('.') {
            fraction_len = after_dot.bytes().take_while(u8::is_ascii_digit).count();
            (fraction, fraction_scale) = leading_fraction(&after_dot[..fraction_len]);
            rest = &after_dot[fraction_len..];
        }
        if int_len == 0 && fraction_len == 0 {
            return Err(invalid());
        }
        let unit_len = rest
            .bytes()
            .take_while(|b| !(*b == b'.' || b.is_ascii_digit()))
            .count();
        if unit_len == 0 {
            return Err(DurationError::MissingUnit(input.to_string()));
        }
        let unit_text = &rest[..unit_len];
        rest = &rest[unit_len..];
        let unit = unit_nanos(unit_text).ok_or_else(|| DurationError::UnknownUnit {
            unit: unit_text.to_string(),
            input: input.to_string(),
        })?;
        if whole > LIMIT / unit {
            return Err(invalid());
        }
        let mut value = whole * unit;
        if fraction > 0 {
            // Go computes the fractional part in floating point; do the same to agree on
            // rounding at the nanosecond.
            value += (fraction as f64 * (unit as f64 / fraction_scale)) as u64;
            if value > LIMIT {
                return Err(invalid());
            }
        }
        total = total
            .checked_add(value)
            .filter(|t| *t <= LIMIT)
            .ok_or_else(invalid)?;
    }
    if negative {
        // total <= 2^63 here, so the negation always fits.
        Ok((total as i64).wrapping_neg())
    } else {
        i64::try_from(total).map_err(|_| invalid())
    }
}

fn leading_int(digits: &str) -> Option<u64> {
    const LIMIT: u64 = 1 << 63;
    let mut value: u64 = 0;
    for byte in digits.bytes() {
        if value > LIMIT / 10 {
            return None;
        }
        value = value * 10 + u64::from(byte - b'0');
        if value > LIMIT {
            return None;
        }
    }
    Some(value)
}

/// Digits after the decimal point; precision stops accumulating (without error) on overflow.
fn leading_fraction(digits: &str) -> (u64, f64) {
    let mut value: u64 = 0;
    let mut scale = 1.0;
    let mut overflow = false;
    for byte in digits.bytes() {
        if overflow {
            continue;
        }
        if value > (i64::MAX as u64) / 10 {
            overflow = true;
            continue;
        }
        let next = value * 10 + u64::from(byte - b'0');
        if next > 1 << 63 {
            overflow = true;
            continue;
        }
        value = next;
        scale *= 10.0;
    }
    (value, scale)
}

/// The quoting of Go's `time` package errors: non-ASCII and control bytes become `\xNN`.
fn time_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c.is_ascii() && !c.is_ascii_control() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{byte:02x}"));
            }
        }
    }
    out.push('"');
    out
}

fn components(seconds: i64) -> (&'static str, u64, u64, u64) {
    let sign = if seconds < 0 { "-" } else { "" };
    let total = seconds.unsigned_abs();
    (sign, total / 3600, (total / 60) % 60, total % 60)
}

/// Vault's duration format in warnings: Go's `Duration.String()` without zero components.
/// 3600 -> `1h`, 5400 -> `1h30m`, 3630 -> `1h30s`, 90 -> `1m30s`, 2764800 -> `768h`, 0 -> `0s`.
pub fn format_duration(seconds: i64) -> String {
    if seconds == 0 {
        return "0s".to_string();
    }
    let (sign, hours, minutes, secs) = components(seconds);
    let mut out = sign.to_string();
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if minutes > 0 {
        out.push_str(&format!("{minutes}m"));
    }
    if secs > 0 || (hours == 0 && minutes == 0) {
        out.push_str(&format!("{secs}s"));
    }
    out
}

/// Go's `time.Duration.String()` for whole seconds: 3600 -> `1h0m0s`, 90 -> `1m30s`,
/// 45 -> `45s`, 0 -> `0s`. Vault uses this untrimmed form in the role's token-period error.
pub fn go_duration_string(seconds: i64) -> String {
    let (sign, hours, minutes, secs) = components(seconds);
    if hours > 0 {
        format!("{sign}{hours}h{minutes}m{secs}s")
    } else if minutes > 0 {
        format!("{sign}{minutes}m{secs}s")
    } else {
        format!("{sign}{secs}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integers_and_numeric_strings_are_seconds() {
        assert_eq!(parse_duration(&json!(3600)).unwrap(), 3600);
        assert_eq!(parse_duration(&json!("3600")).unwrap(), 3600);
        assert_eq!(parse_duration(&json!("+15")).unwrap(), 15);
        assert_eq!(parse_duration(&json!(-5)).unwrap(), -5);
        assert_eq!(parse_duration(&json!(0)).unwrap(), 0);
        assert_eq!(parse_duration(&json!("")).unwrap(), 0);
        assert_eq!(parse_duration(&json!(null)).unwrap(), 0);
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_duration_str("1h").unwrap(), 3600);
        assert_eq!(parse_duration_str("90m").unwrap(), 5400);
        assert_eq!(parse_duration_str("1h30m").unwrap(), 5400);
        assert_eq!(parse_duration_str("1.5h").unwrap(), 5400);
        assert_eq!(parse_duration_str("300ms").unwrap(), 0);
        assert_eq!(parse_duration_str("1500ms").unwrap(), 1);
        assert_eq!(parse_duration_str("2s999ms").unwrap(), 2);
        assert_eq!(parse_duration_str("-1h").unwrap(), -3600);
        assert_eq!(parse_duration_str("-1.5s").unwrap(), -1);
        assert_eq!(parse_duration_str("0").unwrap(), 0);
        assert_eq!(parse_duration_str("-0").unwrap(), 0);
        assert_eq!(parse_duration_str(".5m").unwrap(), 30);
        assert_eq!(parse_duration_str("1.m").unwrap(), 60);
        assert_eq!(parse_duration_str("1\u{b5}s").unwrap(), 0);
        assert_eq!(parse_duration_str("3000000\u{3bc}s").unwrap(), 3);
        assert_eq!(parse_duration_str("1h1m1s1ms1us1ns").unwrap(), 3661);
        assert_eq!(parse_duration_str("2562047h").unwrap(), 2_562_047 * 3600);
    }

    #[test]
    fn days_suffix() {
        assert_eq!(parse_duration_str("7d").unwrap(), 7 * 86400);
        assert_eq!(parse_duration_str("-1d").unwrap(), -86400);
        assert_eq!(parse_duration_str("0d").unwrap(), 0);
        assert_eq!(
            parse_duration_str("1.5d").unwrap_err().to_string(),
            "strconv.ParseInt: parsing \"1.5\": invalid syntax"
        );
        assert_eq!(
            parse_duration_str("d").unwrap_err().to_string(),
            "strconv.ParseInt: parsing \"\": invalid syntax"
        );
        assert_eq!(
            parse_duration_str("1h2d").unwrap_err().to_string(),
            "strconv.ParseInt: parsing \"1h2\": invalid syntax"
        );
    }

    #[test]
    fn bad_inputs_report_go_errors() {
        let cases = [
            ("abc", "time: invalid duration \"abc\""),
            ("1x", "time: unknown unit \"x\" in duration \"1x\""),
            ("1.5", "time: missing unit in duration \"1.5\""),
            ("1000.0", "time: missing unit in duration \"1000.0\""),
            ("1h ", "time: unknown unit \"h \" in duration \"1h \""),
            ("-", "time: invalid duration \"-\""),
            (".h", "time: invalid duration \".h\""),
            ("1h-2m", "time: unknown unit \"h-\" in duration \"1h-2m\""),
            (
                "1é",
                "time: unknown unit \"\\xc3\\xa9\" in duration \"1\\xc3\\xa9\"",
            ),
            (
                "9999999999999999999h",
                "time: invalid duration \"9999999999999999999h\"",
            ),
            ("2562048h", "time: invalid duration \"2562048h\""),
            (
                "99999999999999999999",
                "time: invalid duration \"99999999999999999999\"",
            ),
        ];
        for (input, message) in cases {
            assert_eq!(
                parse_duration_str(input).unwrap_err().to_string(),
                message,
                "{input}"
            );
        }
        assert_eq!(
            parse_duration(&json!(1.5)).unwrap_err().to_string(),
            "time: missing unit in duration \"1.5\""
        );
        for value in [json!(true), json!([1]), json!({"a": 1})] {
            assert_eq!(
                parse_duration(&value).unwrap_err().to_string(),
                "could not parse duration from input"
            );
        }
    }

    #[test]
    fn overflow_is_refused_not_wrapped() {
        assert_eq!(
            parse_duration_str("9223372036").unwrap(),
            MAX_DURATION_SECONDS
        );
        assert_eq!(
            parse_duration_str("9223372037").unwrap_err(),
            DurationError::OutOfRange("9223372037".to_string())
        );
        assert_eq!(
            parse_duration_str("9223372037").unwrap_err().to_string(),
            "time: invalid duration \"9223372037\""
        );
        assert_eq!(parse_duration_str("106751d").unwrap(), 106_751 * 86_400);
        assert!(parse_duration_str("106752d").is_err());
        assert!(parse_duration_str("-9223372036854775808").is_err());
        assert!(parse_duration(&json!(u64::MAX)).is_err());
        assert!(parse_duration(&json!(i64::MIN)).is_err());
        assert_eq!(
            parse_duration_str("-2562047h47m16.854775808s").unwrap(),
            -9_223_372_036
        );
        assert!(parse_duration_str("2562047h47m16.854775808s").is_err());
    }

    #[test]
    fn formats_like_vault() {
        assert_eq!(format_duration(3600), "1h");
        assert_eq!(format_duration(5400), "1h30m");
        assert_eq!(format_duration(2_764_800), "768h");
        assert_eq!(format_duration(45), "45s");
        assert_eq!(format_duration(90), "1m30s");
        assert_eq!(format_duration(60), "1m");
        assert_eq!(format_duration(3630), "1h30s");
        assert_eq!(format_duration(3661), "1h1m1s");
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(-3600), "-1h");
        assert_eq!(format_duration(i64::MIN).chars().next(), Some('-'));
    }

    #[test]
    fn go_string_form() {
        assert_eq!(go_duration_string(2_764_800), "768h0m0s");
        assert_eq!(go_duration_string(3600), "1h0m0s");
        assert_eq!(go_duration_string(90), "1m30s");
        assert_eq!(go_duration_string(60), "1m0s");
        assert_eq!(go_duration_string(45), "45s");
        assert_eq!(go_duration_string(0), "0s");
        assert_eq!(go_duration_string(-61), "-1m1s");
    }
}
