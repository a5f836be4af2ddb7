//! Everything a visitor typed: the playground's whole state, which share links and
//! localStorage carry, and the parsing of its free-text fields into what the core takes.

pub use podpass_core::playground_link::{KeyChoice, MintForm, PlaygroundState};
use podpass_core::timestamp::{LATEST_NOW, is_valid_now, rfc3339};

/// Reads namespace labels: the core's [`podpass_core::selector::parse_labels`].
pub use podpass_core::selector::parse_labels;

/// Reads the "now" override against the clock's `clock_now` (seconds since the epoch) with the
/// core's [`podpass_core::timestamp::parse_now`], refusing instants a login cannot be checked at.
pub fn parse_now(text: &str, clock_now: i64) -> Result<i64, String> {
    let now =
        podpass_core::timestamp::parse_now(text, clock_now).map_err(|e| format!("\"now\" {e}"))?;
    if is_valid_now(now) {
        return Ok(now);
    }
    Err(format!(
        "\"now\" `{}` must fall between 1970-01-01T00:00:00Z and {}",
        text.trim(),
        rfc3339(LATEST_NOW)
    ))
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
        let state: PlaygroundState = serde_json::from_slice(br#"{"role":"grade-api"}"#).unwrap();
        assert_eq!(state.role, "grade-api");
        assert_eq!(state.mint.ttl, "1h");
        assert_eq!(state.mint.key, KeyChoice::Demo);
    }
}
