//! Everything a visitor typed: the playground's whole state, which share links and
//! localStorage carry, and the parsing of its free-text fields into what the core takes.

use std::collections::BTreeMap;

use podpass_core::duration::parse_duration_str;
pub use podpass_core::playground_link::{KeyChoice, MintForm, PlaygroundState};
use podpass_core::timestamp::{LATEST_NOW, is_valid_now, rfc3339};

/// Reads namespace labels: `key=value` pairs separated by commas or new lines. Empty text means
/// no labels were supplied (`None`), which is not the same as an empty label set to the core.
pub fn parse_labels(text: &str) -> Result<Option<BTreeMap<String, String>>, String> {
    let mut labels = BTreeMap::new();
    for item in text.split([',', '\n']).map(str::trim) {
        if item.is_empty() {
            continue;
        }
        let Some((key, value)) = item.split_once('=') else {
            return Err(format!("namespace label `{item}` is not in key=value form"));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(format!("namespace label `{item}` has an empty key"));
        }
        labels.insert(key.to_string(), value.trim().to_string());
    }
    Ok((!labels.is_empty()).then_some(labels))
}

/// Reads the "now" override against the clock's `clock_now` (seconds since the epoch): empty
/// text is the clock, `+2h` / `-30m` an offset from it (Go duration syntax), a bare integer
/// seconds since the epoch, anything else an RFC 3339 date (`2026-11-29T09:00:00Z`).
pub fn parse_now(text: &str, clock_now: i64) -> Result<i64, String> {
    let now = parse_now_unchecked(text, clock_now)?;
    if is_valid_now(now) {
        return Ok(now);
    }
    Err(format!(
        "\"now\" `{}` must fall between 1970-01-01T00:00:00Z and {}",
        text.trim(),
        rfc3339(LATEST_NOW)
    ))
}

fn parse_now_unchecked(text: &str, clock_now: i64) -> Result<i64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(clock_now);
    }
    if let Some((sign, offset)) = text
        .strip_prefix('+')
        .map(|rest| (1, rest))
        .or_else(|| text.strip_prefix('-').map(|rest| (-1, rest)))
    {
        let seconds = parse_duration_str(offset.trim())
            .map_err(|e| format!("\"now\" offset `{text}`: {e}"))?;
        return Ok(clock_now.saturating_add(sign * seconds));
    }
    if let Ok(seconds) = text.parse::<i64>() {
        return Ok(seconds);
    }
    let instant = humantime::parse_rfc3339_weak(text).map_err(|e| {
        format!("\"now\" must be a date like 2026-11-29T09:00:00Z, seconds since the epoch or an offset like +2h: {e}")
    })?;
    match instant.duration_since(std::time::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs())
            .map_err(|_| format!("\"now\" `{text}` is too far in the future")),
        Err(before) => i64::try_from(before.duration().as_secs())
            .map(|s| -s)
            .map_err(|_| format!("\"now\" `{text}` is too far in the past")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_out_of_range_is_refused() {
        for text in [
            "1e300",
            "-99999999h",
            "9223372036854775807",
            "+9999999h",
            "1969-12-31T23:59:59Z",
        ] {
            let error = parse_now(text, 1_780_000_000);
            assert!(error.is_err(), "{text}: {error:?}");
        }
        assert_eq!(parse_now("253402300799", 0), Ok(LATEST_NOW));
    }

    #[test]
    fn labels_are_pairs_separated_by_commas_or_lines() {
        let labels = parse_labels("team = grade, env=prod\nowner=ops")
            .unwrap()
            .unwrap();
        assert_eq!(labels["team"], "grade");
        assert_eq!(labels["env"], "prod");
        assert_eq!(labels["owner"], "ops");
        assert_eq!(parse_labels("  \n ,").unwrap(), None);
        assert!(parse_labels("team").unwrap_err().contains("`team`"));
        assert!(parse_labels("=x").unwrap_err().contains("empty key"));
    }

    #[test]
    fn now_is_the_clock_an_offset_an_epoch_or_a_date() {
        let clock = 1_780_000_000;
        assert_eq!(parse_now("", clock).unwrap(), clock);
        assert_eq!(parse_now("+2h", clock).unwrap(), clock + 7200);
        assert_eq!(parse_now("-30m", clock).unwrap(), clock - 1800);
        assert_eq!(parse_now("1700000000", clock).unwrap(), 1_700_000_000);
        assert_eq!(
            parse_now("2023-11-14T22:13:20Z", clock).unwrap(),
            1_700_000_000
        );
        assert_eq!(
            parse_now("2023-11-14 22:13:20", clock).unwrap(),
            1_700_000_000
        );
        assert!(parse_now("yesterday", clock).unwrap_err().contains("date"));
        assert!(parse_now("+soon", clock).unwrap_err().contains("offset"));
    }

    #[test]
    fn missing_fields_take_their_defaults() {
        let state: PlaygroundState = serde_json::from_str(r#"{"role":"grade-api"}"#).unwrap();
        assert_eq!(state.role, "grade-api");
        assert_eq!(state.mint.ttl, "1h");
        assert_eq!(state.mint.key, KeyChoice::Demo);
    }
}
