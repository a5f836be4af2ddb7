//! How the playground writes times and durations for people: TTLs in Vault's units (`1h`, not
//! 3600), instants as dates with a relative time next to them.

use podpass_core::duration::format_duration;
use podpass_core::timestamp::rfc3339;

/// A TTL as Vault writes durations: `1h`, `1h30m`, `768h`; `0s` for none.
pub fn ttl(seconds: i64) -> String {
    format_duration(seconds)
}

/// A TTL with the meaning of zero spelled out (`0` in a role means "the mount's default").
pub fn ttl_or(seconds: i64, zero: &str) -> String {
    if seconds == 0 {
        zero.to_string()
    } else {
        ttl(seconds)
    }
}

/// An instant as `2026-11-29 09:40:00 UTC`.
pub fn date(seconds: i64) -> String {
    rfc3339(seconds)
        .replacen('T', " ", 1)
        .replacen('Z', " UTC", 1)
}

/// How far `at` is from `now`, rounded to the largest sensible unit: `in 59m`, `3h 5m ago`,
/// `in 2d`, `now` within a second.
pub fn relative(at: i64, now: i64) -> String {
    let distance = at.abs_diff(now);
    if distance == 0 {
        return "now".to_string();
    }
    let amount = coarse(distance);
    if at > now {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

/// A span to two units at most: `45s`, `59m`, `3h 5m`, `2d 4h`, `400d`.
fn coarse(seconds: u64) -> String {
    const MINUTE: u64 = 60;
    const HOUR: u64 = 60 * MINUTE;
    const DAY: u64 = 24 * HOUR;
    let with_rest = |big: u64, big_unit: &str, small: u64, small_unit: &str| {
        if small == 0 {
            format!("{big}{big_unit}")
        } else {
            format!("{big}{big_unit} {small}{small_unit}")
        }
    };
    match seconds {
        s if s < MINUTE => format!("{s}s"),
        s if s < HOUR => format!("{}m", s / MINUTE),
        s if s < DAY => with_rest(s / HOUR, "h", s % HOUR / MINUTE, "m"),
        s if s < 30 * DAY => with_rest(s / DAY, "d", s % DAY / HOUR, "h"),
        s => format!("{}d", s / DAY),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_use_vaults_units() {
        assert_eq!(ttl(3600), "1h");
        assert_eq!(ttl(5400), "1h30m");
        assert_eq!(ttl(2_764_800), "768h");
        assert_eq!(ttl_or(0, "mount default"), "mount default");
        assert_eq!(ttl_or(1800, "mount default"), "30m");
    }

    #[test]
    fn dates_are_utc() {
        assert_eq!(date(1_700_000_000), "2023-11-14 22:13:20 UTC");
    }

    #[test]
    fn relative_times_read_naturally() {
        let now = 1_700_000_000;
        assert_eq!(relative(now, now), "now");
        assert_eq!(relative(now + 3540, now), "in 59m");
        assert_eq!(relative(now - 60, now), "1m ago");
        assert_eq!(relative(now - 45, now), "45s ago");
        assert_eq!(relative(now - (3 * 3600 + 5 * 60 + 7), now), "3h 5m ago");
        assert_eq!(relative(now + 7200, now), "in 2h");
        assert_eq!(relative(now + 2 * 86_400 + 4 * 3600, now), "in 2d 4h");
        assert_eq!(relative(now - 400 * 86_400, now), "400d ago");
    }
}
