//! Token TTL arithmetic: Vault's `framework.CalculateTTL`, used at login (increment 0) and at
//! renewal (the requested increment), with the mount's default and maximum lease TTLs.
//!
//! All values are whole seconds; times are Unix seconds supplied by the caller (this crate
//! reads no clock).

use thiserror::Error;

use crate::duration::format_duration;

/// Vault's system default for both the default and the maximum lease TTL: 768h.
pub const SYSTEM_DEFAULT_LEASE_TTL: i64 = 768 * 3600;

/// The TTL settings of the auth mount (`sys/mounts/auth/<mount>/tune`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MountTtls {
    /// TTL given to tokens that ask for none (Vault default 768h).
    pub default_lease_ttl: i64,
    /// Ceiling for every token from this mount (Vault default 768h).
    pub max_lease_ttl: i64,
}

impl Default for MountTtls {
    fn default() -> Self {
        Self {
            default_lease_ttl: SYSTEM_DEFAULT_LEASE_TTL,
            max_lease_ttl: SYSTEM_DEFAULT_LEASE_TTL,
        }
    }
}

/// The inputs of one TTL computation. Zero means "not set" for every duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TtlRequest {
    /// The increment asked for at renewal (0 at login).
    pub increment: i64,
    /// The role's `token_ttl`.
    pub backend_ttl: i64,
    /// The role's `token_period`.
    pub period: i64,
    /// The role's `token_max_ttl`.
    pub backend_max_ttl: i64,
    /// The role's (or token's) `token_explicit_max_ttl`.
    pub explicit_max_ttl: i64,
    /// When the token was issued (Unix seconds); 0 means "now", as for a fresh login.
    pub start_time: i64,
    /// The current time (Unix seconds).
    pub now: i64,
}

/// The result of a TTL computation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TtlOutcome {
    /// The TTL to grant, in seconds (`auth.lease_duration`).
    pub ttl: i64,
    /// The effective maximum: the smallest of the mount max, `token_max_ttl` and
    /// `token_explicit_max_ttl` that are set.
    pub effective_max_ttl: i64,
    /// The Unix time past which the token can never live (issue time plus the effective max,
    /// or plus the explicit max for periodic tokens); `None` for a periodic token without an
    /// explicit max, which can be renewed forever.
    pub max_valid_until: Option<i64>,
    /// Vault's warnings, word for word.
    pub warnings: Vec<String>,
}

/// Why no TTL could be computed. `Display` is Vault's text.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TtlError {
    /// The effective max is zero or negative (a mount tuned to a 0 max, for instance).
    #[error("max TTL must be greater than zero")]
    NonPositiveMax,
    /// The token already reached its maximum lifetime.
    #[error("past the max TTL, cannot renew")]
    PastMax,
}

/// Vault's `CalculateTTL`.
///
/// - Periodic (`period > 0`): the TTL is the period, capped at the effective max (with
///   Vault's `period of "X" exceeded the effective max_ttl of "Y"...` warning); only an
///   explicit max limits the total lifetime.
/// - Otherwise: the increment, else `token_ttl`, else the mount default; capped so the token
///   never outlives `start + effective max` (warning `TTL of "X" exceeded the effective max_ttl
///   of "Y"; TTL value is capped accordingly`, where Y is the time left).
pub fn calculate_ttl(req: &TtlRequest, mount: &MountTtls) -> Result<TtlOutcome, TtlError> {
    let start = if req.start_time == 0 {
        req.now
    } else {
        req.start_time
    };

    let mut max_ttl = mount.max_lease_ttl;
    if req.backend_max_ttl > 0 && req.backend_max_ttl < max_ttl {
        max_ttl = req.backend_max_ttl;
    }
    if req.explicit_max_ttl > 0 && req.explicit_max_ttl < max_ttl {
        max_ttl = req.explicit_max_ttl;
    }
    if max_ttl <= 0 {
        return Err(TtlError::NonPositiveMax);
    }

    let mut warnings = Vec::new();
    let (mut ttl, max_valid_until) = if req.period > 0 {
        let mut period = req.period;
        if period > max_ttl {
            warnings.push(format!(
                "period of \"{}\" exceeded the effective max_ttl of \"{}\"; period value is capped accordingly",
                format_duration(period),
                format_duration(max_ttl)
            ));
            period = max_ttl;
        }
        let until = (req.explicit_max_ttl > 0).then(|| start.saturating_add(req.explicit_max_ttl));
        (period, until)
    } else {
        let ttl = if req.increment > 0 {
            req.increment
        } else if req.backend_ttl > 0 {
            req.backend_ttl
        } else {
            mount.default_lease_ttl
        };
        (ttl, Some(start.saturating_add(max_ttl)))
    };

    if let Some(until) = max_valid_until {
        let remaining = until.saturating_sub(req.now);
        if remaining <= 0 {
            return Err(TtlError::PastMax);
        }
        if ttl > remaining {
            warnings.push(format!(
                "TTL of \"{}\" exceeded the effective max_ttl of \"{}\"; TTL value is capped accordingly",
                format_duration(ttl),
                format_duration(remaining)
            ));
            ttl = remaining;
        }
    }

    Ok(TtlOutcome {
        ttl,
        effective_max_ttl: max_ttl,
        max_valid_until,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    fn login(
        backend_ttl: i64,
        backend_max_ttl: i64,
        period: i64,
        explicit_max_ttl: i64,
    ) -> TtlRequest {
        TtlRequest {
            backend_ttl,
            backend_max_ttl,
            period,
            explicit_max_ttl,
            now: NOW,
            ..TtlRequest::default()
        }
    }

    #[test]
    fn defaults_are_768h() {
        let mount = MountTtls::default();
        assert_eq!(mount.default_lease_ttl, 2_764_800);
        assert_eq!(mount.max_lease_ttl, 2_764_800);
        let out = calculate_ttl(&login(0, 0, 0, 0), &mount).unwrap();
        assert_eq!(out.ttl, 2_764_800);
        assert_eq!(out.effective_max_ttl, 2_764_800);
        assert_eq!(out.max_valid_until, Some(NOW + 2_764_800));
        assert!(out.warnings.is_empty());
    }

    #[test]
    fn role_ttl_is_used() {
        let out = calculate_ttl(&login(3600, 0, 0, 0), &MountTtls::default()).unwrap();
        assert_eq!(out.ttl, 3600);
        assert!(out.warnings.is_empty());
    }

    #[test]
    fn default_ttl_capped_by_role_max_with_warning() {
        let out = calculate_ttl(&login(0, 3600, 0, 0), &MountTtls::default()).unwrap();
        assert_eq!(out.ttl, 3600);
        assert_eq!(out.effective_max_ttl, 3600);
        assert_eq!(
            out.warnings,
            [
                r#"TTL of "768h" exceeded the effective max_ttl of "1h"; TTL value is capped accordingly"#
            ]
        );
    }

    #[test]
    fn role_ttl_capped_by_mount_max() {
        let mount = MountTtls {
            default_lease_ttl: 600,
            max_lease_ttl: 1800,
        };
        let out = calculate_ttl(&login(3600, 7200, 0, 0), &mount).unwrap();
        assert_eq!(out.ttl, 1800);
        assert_eq!(out.effective_max_ttl, 1800);
        assert_eq!(
            out.warnings,
            [
                r#"TTL of "1h" exceeded the effective max_ttl of "30m"; TTL value is capped accordingly"#
            ]
        );
        assert_eq!(calculate_ttl(&login(0, 0, 0, 0), &mount).unwrap().ttl, 600);
    }

    #[test]
    fn explicit_max_wins_when_smaller() {
        let out = calculate_ttl(&login(7200, 0, 0, 5400), &MountTtls::default()).unwrap();
        assert_eq!(out.ttl, 5400);
        assert_eq!(out.effective_max_ttl, 5400);
        assert_eq!(
            out.warnings,
            [
                r#"TTL of "2h" exceeded the effective max_ttl of "1h30m"; TTL value is capped accordingly"#
            ]
        );
    }

    #[test]
    fn periodic_tokens() {
        let out = calculate_ttl(&login(60, 0, 3600, 0), &MountTtls::default()).unwrap();
        assert_eq!(out.ttl, 3600);
        assert_eq!(out.max_valid_until, None);
        assert!(out.warnings.is_empty());

        let capped = calculate_ttl(&login(0, 1800, 3600, 0), &MountTtls::default()).unwrap();
        assert_eq!(capped.ttl, 1800);
        assert_eq!(
            capped.warnings,
            [
                r#"period of "1h" exceeded the effective max_ttl of "30m"; period value is capped accordingly"#
            ]
        );

        let mount = MountTtls::default();
        let huge = calculate_ttl(&login(0, 0, 800 * 3600, 0), &mount).unwrap();
        assert_eq!(huge.ttl, 2_764_800);
        assert_eq!(
            huge.warnings,
            [
                r#"period of "800h" exceeded the effective max_ttl of "768h"; period value is capped accordingly"#
            ]
        );
    }

    #[test]
    fn periodic_with_explicit_max_is_bounded() {
        let mut req = login(0, 0, 3600, 7200);
        req.start_time = NOW - 6000;
        req.increment = 3600;
        let out = calculate_ttl(&req, &MountTtls::default()).unwrap();
        assert_eq!(out.ttl, 1200);
        assert_eq!(out.max_valid_until, Some(NOW + 1200));
        assert_eq!(
            out.warnings,
            [
                r#"TTL of "1h" exceeded the effective max_ttl of "20m"; TTL value is capped accordingly"#
            ]
        );
    }

    #[test]
    fn renewal_increment_and_near_the_max() {
        let mut req = TtlRequest {
            increment: 1800,
            backend_ttl: 600,
            backend_max_ttl: 3600,
            start_time: NOW - 3000,
            now: NOW,
            ..TtlRequest::default()
        };
        let out = calculate_ttl(&req, &MountTtls::default()).unwrap();
        assert_eq!(out.ttl, 600);
        assert_eq!(
            out.warnings,
            [
                r#"TTL of "30m" exceeded the effective max_ttl of "10m"; TTL value is capped accordingly"#
            ]
        );

        req.increment = 0;
        let out = calculate_ttl(&req, &MountTtls::default()).unwrap();
        assert_eq!(out.ttl, 600);
        assert!(out.warnings.is_empty());

        req.start_time = NOW - 3599;
        let last_second = calculate_ttl(&req, &MountTtls::default()).unwrap();
        assert_eq!(last_second.ttl, 1);
    }

    #[test]
    fn past_the_max() {
        let req = TtlRequest {
            backend_max_ttl: 3600,
            start_time: NOW - 3600,
            now: NOW,
            ..TtlRequest::default()
        };
        let err = calculate_ttl(&req, &MountTtls::default()).unwrap_err();
        assert_eq!(err, TtlError::PastMax);
        assert_eq!(err.to_string(), "past the max TTL, cannot renew");
    }

    #[test]
    fn zero_max_is_an_error() {
        let mount = MountTtls {
            default_lease_ttl: 60,
            max_lease_ttl: 0,
        };
        let err = calculate_ttl(&login(0, 0, 0, 0), &mount).unwrap_err();
        assert_eq!(err.to_string(), "max TTL must be greater than zero");
    }
}
