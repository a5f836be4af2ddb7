//! Token TTL arithmetic: Vault's `framework.CalculateTTL`, used at login (increment 0) and at
//! renewal (the requested increment), with the mount's default and maximum lease TTLs.
//!
//! All values are whole seconds; times are Unix seconds supplied by the caller (this crate
//! reads no clock).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use thiserror::Error;

use crate::duration::{format_duration, parse_duration};

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
    #[inline]
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

/// What renewal needs to redo Vault's TTL arithmetic for a token: the role's (or the token
/// request's) TTL settings and the mount's tuning, taken when the token is issued. A login
/// carries them ([`crate::login::LoginSuccess::ttl_settings`]) so that renewal never re-reads a
/// role that may have changed; the server stores them with each token (field names are its
/// storage format).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TtlSettings {
    /// The backend's TTL (a role's `token_ttl`, or the TTL asked for at `auth/token/create`).
    pub backend_ttl: i64,
    /// The backend's max TTL (a role's `token_max_ttl`).
    pub backend_max_ttl: i64,
    /// `token_period`.
    pub period: i64,
    /// `explicit_max_ttl`.
    pub explicit_max_ttl: i64,
    /// The auth mount's default lease TTL.
    pub mount_default_ttl: i64,
    /// The auth mount's max lease TTL.
    pub mount_max_ttl: i64,
}

impl TtlSettings {
    /// Vault's TTL for this token at `now`, asking for `increment` seconds (0: the default).
    #[inline]
    pub fn calculate(
        &self,
        increment: i64,
        start_time: i64,
        now: i64,
    ) -> Result<TtlOutcome, TtlError> {
        calculate_ttl(
            &TtlRequest {
                increment,
                backend_ttl: self.backend_ttl,
                period: self.period,
                backend_max_ttl: self.backend_max_ttl,
                explicit_max_ttl: self.explicit_max_ttl,
                start_time,
                now,
            },
            &MountTtls {
                default_lease_ttl: self.mount_default_ttl,
                max_lease_ttl: self.mount_max_ttl,
            },
        )
    }
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
/// - Otherwise: the increment, else `token_ttl`, else the mount default (the system default
///   when the mount's is not positive); capped so the token never outlives `start + effective
///   max` (warning `TTL of "X" exceeded the effective max_ttl of "Y"; TTL value is capped
///   accordingly`, where Y is the time left).
#[inline]
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
        } else if mount.default_lease_ttl > 0 {
            mount.default_lease_ttl
        } else {
            // Vault's mount table reads an unset (0) default as the system's, so its default is
            // never zero or negative; `MountTtls` built by hand can be, and would otherwise grant
            // a TTL of zero or less.
            SYSTEM_DEFAULT_LEASE_TTL
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

/// A mount's lease TTLs as Vault's mount table keeps them, where 0 means "the system default"
/// (768h). This is what `sys/auth` lists under `config`, what `vault auth enable
/// -default-lease-ttl` and `vault auth tune` set, and what `podpass.hcl`'s `default_lease_ttl`
/// and `max_lease_ttl` stand for; logins and renewals use [`MountTune::effective`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MountTune {
    /// The tuned default lease TTL in seconds; 0 for the system default.
    pub default_lease_ttl: i64,
    /// The tuned maximum lease TTL in seconds; 0 for the system default.
    pub max_lease_ttl: i64,
}

/// Why an enable-time config or a tune was refused. `Display` is Vault's text (negative values,
/// which Vault stores and then misbehaves with, are podpass's own refusal).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TuneError {
    /// A value is not a duration; the message is Vault's for the endpoint.
    #[error("{0}")]
    Invalid(String),
    /// A negative TTL.
    #[error("{0} cannot be negative")]
    Negative(&'static str),
    /// `sys/auth/<path>` with a default above the max given with it.
    #[error("given default lease TTL greater than given max lease TTL")]
    EnableDefaultAboveMax,
    /// `sys/auth/<path>` with a default above the system max and no max.
    #[error(
        "given default lease TTL greater than system max lease TTL of {SYSTEM_DEFAULT_LEASE_TTL}"
    )]
    EnableDefaultAboveSystemMax,
    /// `sys/auth/<path>/tune` leaving a max below the default (both set).
    #[error(
        "backend max lease TTL of {max} would be less than backend default lease TTL of {default}"
    )]
    MaxBelowDefault {
        /// The new max, in seconds.
        max: i64,
        /// The new default, in seconds.
        default: i64,
    },
}

impl MountTune {
    /// The TTLs a login or renewal uses: each unset (0) value is the system default.
    #[inline]
    pub fn effective(&self) -> MountTtls {
        let or_system = |v: i64| if v == 0 { SYSTEM_DEFAULT_LEASE_TTL } else { v };
        MountTtls {
            default_lease_ttl: or_system(self.default_lease_ttl),
            max_lease_ttl: or_system(self.max_lease_ttl),
        }
    }

    /// The mount-table form of effective TTLs: a value equal to the system default counts as
    /// unset, since that is what it behaves as.
    #[inline]
    pub fn from_ttls(ttls: &MountTtls) -> MountTune {
        let raw = |v: i64| if v == SYSTEM_DEFAULT_LEASE_TTL { 0 } else { v };
        MountTune {
            default_lease_ttl: raw(ttls.default_lease_ttl),
            max_lease_ttl: raw(ttls.max_lease_ttl),
        }
    }

    /// The `config` object of an enable request (`POST sys/auth/<path>`), checked as Vault's
    /// `handleEnableAuth` checks it. Keys other than the two TTLs are ignored.
    #[inline]
    pub fn enable(config: &Map<String, Value>) -> Result<MountTune, TuneError> {
        let parse = |field: &'static str, label: &str| -> Result<i64, TuneError> {
            match setting(config.get(field)) {
                Setting::Keep | Setting::System => Ok(0),
                Setting::Value(value) => seconds(field, value).map_err(|e| match e {
                    TuneError::Invalid(reason) => TuneError::Invalid(format!(
                        "unable to parse {label} TTL of {}: {reason}",
                        plain(value)
                    )),
                    other => other,
                }),
            }
        };
        let tune = MountTune {
            default_lease_ttl: parse("default_lease_ttl", "default")?,
            max_lease_ttl: parse("max_lease_ttl", "max")?,
        };
        if tune.max_lease_ttl != 0 && tune.default_lease_ttl > tune.max_lease_ttl {
            return Err(TuneError::EnableDefaultAboveMax);
        }
        if tune.max_lease_ttl == 0 && tune.default_lease_ttl > SYSTEM_DEFAULT_LEASE_TTL {
            return Err(TuneError::EnableDefaultAboveSystemMax);
        }
        Ok(tune)
    }

    /// A tune request (`POST sys/auth/<path>/tune`) applied to these settings, as Vault's
    /// tune handler does: a missing or empty value keeps the current one, `"system"` resets it,
    /// and a max below the default is refused only when both are set. Other keys are ignored.
    #[inline]
    pub fn tune(&self, body: &Map<String, Value>) -> Result<MountTune, TuneError> {
        let parse = |field: &'static str, current: i64| -> Result<i64, TuneError> {
            match setting(body.get(field)) {
                Setting::Keep => Ok(current),
                Setting::System => Ok(0),
                Setting::Value(value) => seconds(field, value),
            }
        };
        let tuned = MountTune {
            default_lease_ttl: parse("default_lease_ttl", self.default_lease_ttl)?,
            max_lease_ttl: parse("max_lease_ttl", self.max_lease_ttl)?,
        };
        if tuned != *self
            && tuned.default_lease_ttl != 0
            && tuned.max_lease_ttl != 0
            && tuned.max_lease_ttl < tuned.default_lease_ttl
        {
            return Err(TuneError::MaxBelowDefault {
                max: tuned.max_lease_ttl,
                default: tuned.default_lease_ttl,
            });
        }
        Ok(tuned)
    }
}

/// What a request says about one TTL.
enum Setting<'a> {
    /// Absent, `null` or `""`: leave it.
    Keep,
    /// `"system"`: the system default.
    System,
    /// A duration to parse.
    Value(&'a Value),
}

#[inline]
fn setting(value: Option<&Value>) -> Setting<'_> {
    match value {
        None | Some(Value::Null) => Setting::Keep,
        Some(Value::String(text)) if text.is_empty() => Setting::Keep,
        Some(Value::String(text)) if text == "system" => Setting::System,
        Some(value) => Setting::Value(value),
    }
}

#[inline]
fn seconds(field: &'static str, value: &Value) -> Result<i64, TuneError> {
    match parse_duration(value) {
        Ok(s) if s < 0 => Err(TuneError::Negative(field)),
        Ok(s) => Ok(s),
        Err(e) => Err(TuneError::Invalid(e.to_string())),
    }
}

/// A value as Vault's string-typed config field would print it.
#[inline]
fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
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

    fn body(json: serde_json::Value) -> Map<String, Value> {
        json.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn enable_config_is_checked_as_vault_does() {
        let tune = MountTune::enable(&body(serde_json::json!({
            "default_lease_ttl": "1h", "max_lease_ttl": 7200, "force_no_cache": true
        })))
        .unwrap();
        assert_eq!((tune.default_lease_ttl, tune.max_lease_ttl), (3600, 7200));
        assert_eq!(tune.effective().max_lease_ttl, 7200);
        let system = MountTune::enable(&body(serde_json::json!({"max_lease_ttl": "system"})));
        assert_eq!(system.unwrap().effective(), MountTtls::default());
        let above = MountTune::enable(&body(serde_json::json!({
            "default_lease_ttl": "3h", "max_lease_ttl": "1h"
        })));
        assert_eq!(
            above.unwrap_err().to_string(),
            "given default lease TTL greater than given max lease TTL"
        );
        let above_system =
            MountTune::enable(&body(serde_json::json!({"default_lease_ttl": "1000h"})));
        assert_eq!(
            above_system.unwrap_err().to_string(),
            "given default lease TTL greater than system max lease TTL of 2764800"
        );
        let bogus = MountTune::enable(&body(serde_json::json!({"max_lease_ttl": "bogus"})));
        assert_eq!(
            bogus.unwrap_err().to_string(),
            "unable to parse max TTL of bogus: time: invalid duration \"bogus\""
        );
    }

    #[test]
    fn tune_keeps_unset_values_and_checks_only_set_pairs() {
        let start = MountTune {
            default_lease_ttl: 3 * 3600,
            max_lease_ttl: 0,
        };
        // A max below a set default is refused with Vault's words.
        let err = start
            .tune(&body(serde_json::json!({"max_lease_ttl": "30m"})))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "backend max lease TTL of 1800 would be less than backend default lease TTL of 10800"
        );
        // Resetting the default to the system value makes any max acceptable.
        let reset = start
            .tune(&body(
                serde_json::json!({"default_lease_ttl": "system", "max_lease_ttl": "1h"}),
            ))
            .unwrap();
        assert_eq!(
            reset,
            MountTune {
                default_lease_ttl: 0,
                max_lease_ttl: 3600
            }
        );
        // The effective default is then the system's, and logins cap it at the max.
        assert_eq!(
            reset.effective().default_lease_ttl,
            SYSTEM_DEFAULT_LEASE_TTL
        );
        let unchanged = start
            .tune(&body(serde_json::json!({"description": "x"})))
            .unwrap();
        assert_eq!(unchanged, start);
        assert_eq!(
            start
                .tune(&body(serde_json::json!({"default_lease_ttl": "-1h"})))
                .unwrap_err(),
            TuneError::Negative("default_lease_ttl")
        );
        assert_eq!(
            start
                .tune(&body(serde_json::json!({"max_lease_ttl": "bogus"})))
                .unwrap_err()
                .to_string(),
            "time: invalid duration \"bogus\""
        );
    }

    #[test]
    fn tuned_values_round_trip_through_effective_ttls() {
        let tuned = MountTtls {
            default_lease_ttl: 3600,
            max_lease_ttl: SYSTEM_DEFAULT_LEASE_TTL,
        };
        let raw = MountTune::from_ttls(&tuned);
        assert_eq!(raw.max_lease_ttl, 0);
        assert_eq!(raw.effective(), tuned);
    }
}
