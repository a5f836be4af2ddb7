//! The explanation of a login: every check Vault performs, in Vault's order, each passed,
//! failed or skipped with a one-line reason. Vault answers only `permission denied`; this is the
//! part it never shows.

use serde::{Serialize, Serializer};

use crate::duration::format_duration;
use crate::timestamp::rfc3339;

/// One of the checks of a Kubernetes login, in the order Vault performs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum CheckId {
    /// The request names a role and carries a JWT, and the role exists.
    RoleLookup,
    /// The caller's address is inside the role's `token_bound_cidrs`.
    BoundCidrs,
    /// The JWT's signature verifies against a configured key.
    Signature,
    /// The JWT's `alg` is an accepted one.
    Algorithm,
    /// `iss` matches the configured issuer (when issuer validation is on).
    Issuer,
    /// `aud` contains the role's audience (when the role sets one).
    Audience,
    /// `nbf` has passed (60 s leeway). Vault checks it before `exp`.
    NotBefore,
    /// `exp` has not passed (60 s leeway).
    Expiry,
    /// `iat` is not in the future (60 s leeway).
    IssuedAt,
    /// The service-account name is bound by the role.
    ServiceAccountName,
    /// The namespace is bound by the role's list or selector.
    Namespace,
    /// The Kubernetes TokenReview API vouches for the token.
    TokenReview,
}

impl CheckId {
    /// Every check, in evaluation order.
    pub const ORDER: [CheckId; 12] = [
        CheckId::RoleLookup,
        CheckId::BoundCidrs,
        CheckId::Signature,
        CheckId::Algorithm,
        CheckId::Issuer,
        CheckId::Audience,
        CheckId::NotBefore,
        CheckId::Expiry,
        CheckId::IssuedAt,
        CheckId::ServiceAccountName,
        CheckId::Namespace,
        CheckId::TokenReview,
    ];

    /// A short human label, e.g. `service account name`.
    pub fn label(self) -> &'static str {
        match self {
            CheckId::RoleLookup => "role",
            CheckId::BoundCidrs => "bound CIDRs",
            CheckId::Signature => "signature",
            CheckId::Algorithm => "algorithm",
            CheckId::Issuer => "issuer",
            CheckId::Audience => "audience",
            CheckId::Expiry => "expiry",
            CheckId::NotBefore => "not before",
            CheckId::IssuedAt => "issued at",
            CheckId::ServiceAccountName => "service account name",
            CheckId::Namespace => "namespace",
            CheckId::TokenReview => "token review",
        }
    }
}

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum CheckStatus {
    /// The check ran and passed.
    Passed,
    /// The check ran and failed; the login is denied here.
    Failed,
    /// The check did not run: not configured, not applicable, or not reached after a failure.
    Skipped,
}

impl CheckStatus {
    /// A text symbol that does not rely on colour: `✓`, `✗`, `–`.
    pub fn symbol(self) -> &'static str {
        match self {
            CheckStatus::Passed => "✓",
            CheckStatus::Failed => "✗",
            CheckStatus::Skipped => "–",
        }
    }
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Check {
    /// Which check.
    pub id: CheckId,
    /// How it ended.
    pub status: CheckStatus,
    /// One line saying why, e.g. "namespace `payment` is not in [grade-api]".
    #[cfg_attr(feature = "typescript", tsify(type = "string"))]
    pub reason: Reason,
}

/// Why a check ended as it did. Rendered (with `Display`, or as a string when serialised) only
/// when someone reads it, so a login nobody explains pays little for its explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// A fixed sentence.
    Static(&'static str),
    /// A sentence built at check time.
    Text(String),
    /// A time claim compared with now.
    Time(TimeReason),
}

/// The facts behind a time check's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeReason {
    /// Which claim and how it was derived, e.g. `exp` or `nbf missing, iat used:`.
    pub source: &'static str,
    /// `valid from`, `expires`, `expired`, `issued`.
    pub verb: &'static str,
    /// The instant, seconds since the epoch.
    pub at: i64,
    /// Now, seconds since the epoch.
    pub now: i64,
    /// Whether the instant is outside the leeway (the check failed).
    pub beyond_leeway: bool,
}

impl Reason {
    /// The sentence: borrowed when it is fixed or already built, rendered otherwise.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Reason::Static(text) => std::borrow::Cow::Borrowed(text),
            Reason::Text(text) => std::borrow::Cow::Borrowed(text),
            Reason::Time(_) => std::borrow::Cow::Owned(self.to_string()),
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Static(text) => f.write_str(text),
            Reason::Text(text) => f.write_str(text),
            Reason::Time(t) => {
                if !t.source.is_empty() {
                    write!(f, "{} ", t.source)?;
                }
                // Claims and "now" can be any i64: saturate rather than overflow.
                let relative = if t.at >= t.now {
                    format!("in {}", format_duration(t.at.saturating_sub(t.now)))
                } else {
                    format!("{} ago", format_duration(t.now.saturating_sub(t.at)))
                };
                write!(f, "{} {} ({relative})", t.verb, rfc3339(t.at))?;
                if t.beyond_leeway {
                    f.write_str(", beyond the 60s leeway")?;
                }
                Ok(())
            }
        }
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl From<&'static str> for Reason {
    fn from(text: &'static str) -> Reason {
        Reason::Static(text)
    }
}

impl From<String> for Reason {
    fn from(text: String) -> Reason {
        Reason::Text(text)
    }
}

impl From<TimeReason> for Reason {
    fn from(time: TimeReason) -> Reason {
        Reason::Time(time)
    }
}

/// How much of its trace a login writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceMode {
    /// Every check, with its reason: what [`crate::login::evaluate_login`] gives.
    Full,
    /// The outcome alone; the trace stays empty and no reason is written. For a host that
    /// explains only when asked, by evaluating the same login again with [`TraceMode::Full`].
    OutcomeOnly,
}

/// The ordered checks of one login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Trace {
    checks: Vec<Check>,
    #[serde(skip)]
    #[cfg_attr(feature = "typescript", tsify(skip))]
    recording: bool,
}

impl Default for Trace {
    /// An empty trace that records.
    fn default() -> Trace {
        Trace {
            checks: Vec::new(),
            recording: true,
        }
    }
}

impl Trace {
    pub(crate) fn new(mode: TraceMode) -> Trace {
        match mode {
            TraceMode::Full => Trace {
                checks: Vec::with_capacity(CheckId::ORDER.len()),
                recording: true,
            },
            TraceMode::OutcomeOnly => Trace {
                checks: Vec::new(),
                recording: false,
            },
        }
    }

    pub(crate) fn record(&mut self, id: CheckId, status: CheckStatus, reason: impl Into<Reason>) {
        if self.recording {
            self.checks.push(Check {
                id,
                status,
                reason: reason.into(),
            });
        }
    }

    /// [`Trace::record`] of a passed check whose reason is written only when it is recorded:
    /// the checks every allowed login passes format nothing unless explained.
    pub(crate) fn passed(&mut self, id: CheckId, reason: impl FnOnce() -> String) {
        if self.recording {
            self.record(id, CheckStatus::Passed, reason());
        }
    }

    /// Marks every check not yet recorded as skipped, so the trace always lists all of them.
    pub(crate) fn skip_rest(&mut self, reason: &'static str) {
        for id in CheckId::ORDER {
            if !self.checks.iter().any(|c| c.id == id) {
                self.record(id, CheckStatus::Skipped, reason);
            }
        }
        let rank = |c: &Check| CheckId::ORDER.iter().position(|o| *o == c.id);
        crate::order::sort_by(&mut self.checks, |a, b| rank(a).cmp(&rank(b)));
    }

    /// The checks, in evaluation order.
    pub fn checks(&self) -> &[Check] {
        &self.checks
    }

    /// The check with this id, if recorded.
    pub fn get(&self, id: CheckId) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// The first failed check.
    pub fn first_failure(&self) -> Option<&Check> {
        self.checks.iter().find(|c| c.status == CheckStatus::Failed)
    }

    /// Why the login was refused, on one line for logs and warnings: the first failed check's
    /// label and reason (`namespace: namespace \`payment\` is not in [grade-api]`).
    pub fn failure_summary(&self) -> Option<String> {
        self.first_failure()
            .map(|check| format!("{}: {}", check.id.label(), check.reason))
    }
}

impl std::fmt::Display for Trace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for check in &self.checks {
            writeln!(
                f,
                "{} {:<21} {}",
                check.status.symbol(),
                check.id.label(),
                check.reason
            )?;
        }
        Ok(())
    }
}

/// Formats a list for reasons: `[a, b]`.
pub(crate) fn list(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}
