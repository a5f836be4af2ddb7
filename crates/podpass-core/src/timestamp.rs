//! Unix timestamps as RFC 3339 UTC text, for explanations ("expired 2026-11-29T08:00:00Z"), and
//! back: RFC 3339 text and the "now" a user may give (the CLI's `--now`, the playground's field).
//! The core has no clock and no date crate; this is the civil-calendar arithmetic it needs.

/// The latest "now" a caller may give: the last second of year 9999, where RFC 3339 timestamps
/// end. Beyond it the leeway arithmetic of the time checks would saturate.
pub const LATEST_NOW: i64 = 253_402_300_799;

/// Whether `seconds` is a "now" a login can be checked at: from the epoch to [`LATEST_NOW`].
pub fn is_valid_now(seconds: i64) -> bool {
    (0..=LATEST_NOW).contains(&seconds)
}

/// Renders seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's days-to-civil algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` into seconds since the epoch (fractions are
/// dropped). `None` when the text is not such a timestamp.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() < 20 || !matches!(bytes[10], b'T' | b't' | b' ') {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        if !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    if bytes[4] != b'-' || bytes[7] != b'-' || bytes[13] != b':' || bytes[16] != b':' {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &fraction[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let zone = rest.get(1..)?;
            if zone.len() != 5 || zone.as_bytes()[2] != b':' {
                return None;
            }
            let hours: i64 = zone.get(0..2)?.parse().ok()?;
            let minutes: i64 = zone.get(3..5)?.parse().ok()?;
            sign * (hours * 3600 + minutes * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Howard Hinnant's days-from-civil: days since 1970-01-01.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Reads a "now" a user typed, against the clock's `clock_now` (seconds since the epoch):
/// empty text is the clock, `+2h` / `-30m` an offset from it (Go duration syntax), an integer
/// seconds since the epoch, anything else an RFC 3339 date (`2026-11-29T09:00:00Z`; a date
/// without a zone, `2026-11-29 09:00:00`, is UTC). The range is not checked: see
/// [`is_valid_now`] for the instants a login can be checked at.
pub fn parse_now(text: &str, clock_now: i64) -> Result<i64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(clock_now);
    }
    let offset = text
        .strip_prefix('+')
        .map(|rest| (1_i64, rest))
        .or_else(|| text.strip_prefix('-').map(|rest| (-1, rest)));
    if let Some((sign, offset)) = offset {
        let seconds = crate::duration::parse_duration_str(offset.trim())
            .map_err(|e| format!("offset `{text}`: {e}"))?;
        return Ok(clock_now.saturating_add(sign.saturating_mul(seconds)));
    }
    if let Ok(seconds) = text.parse::<i64>() {
        return Ok(seconds);
    }
    parse_rfc3339(text)
        .or_else(|| parse_rfc3339(&format!("{text}Z")))
        .ok_or_else(|| {
            format!(
                "`{text}` is neither a date like 2026-11-29T09:00:00Z, seconds since the epoch nor an offset like +2h"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::{parse_now, parse_rfc3339, rfc3339};

    #[test]
    fn round_trips_and_offsets() {
        for t in [
            0,
            951_782_400,
            1_700_000_000,
            1_780_000_000,
            -1,
            4_102_444_800,
        ] {
            assert_eq!(parse_rfc3339(&rfc3339(t)), Some(t), "{t}");
        }
        assert_eq!(
            parse_rfc3339("2026-05-28T22:26:40+02:00"),
            Some(1_780_000_000)
        );
        assert_eq!(
            parse_rfc3339("2026-05-28T20:26:40.999Z"),
            Some(1_780_000_000)
        );
        for bad in [
            "2026-02-30T00:00:00Z",
            "2026-05-28",
            "2026-05-28T20:26:40",
            "yesterday",
            "2026-05-28T20:26:40+0200",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn now_is_the_clock_an_offset_an_epoch_or_a_date() {
        let clock = 1_780_000_000;
        assert_eq!(parse_now("", clock), Ok(clock));
        assert_eq!(parse_now(" +2h ", clock), Ok(clock + 7200));
        assert_eq!(parse_now("-30m", clock), Ok(clock - 1800));
        assert_eq!(parse_now("1700000000", clock), Ok(1_700_000_000));
        // A signed bare number is an offset in seconds, as duration fields read it.
        assert_eq!(parse_now("+100", clock), Ok(clock + 100));
        assert_eq!(parse_now("2023-11-14T22:13:20Z", clock), Ok(1_700_000_000));
        assert_eq!(parse_now("2023-11-14 22:13:20", clock), Ok(1_700_000_000));
        assert_eq!(
            parse_now("2023-11-15T00:13:20+02:00", clock),
            Ok(1_700_000_000)
        );
        assert!(parse_now("yesterday", clock).is_err_and(|e| e.contains("date")));
        assert!(parse_now("+soon", clock).is_err_and(|e| e.contains("offset")));
    }

    #[test]
    fn renders_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339(4_102_444_800), "2100-01-01T00:00:00Z");
    }
}
