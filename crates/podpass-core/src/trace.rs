//! The explanation of a login: every check Vault performs, in Vault's order, each passed,
//! failed or skipped with a one-line reason. Vault answers only `permission denied`; this is the
//! part it never shows.

use serde::Serialize;

/// One of the checks of a Kubernetes login, in the order Vault performs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
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
pub struct Check {
    /// Which check.
    pub id: CheckId,
    /// How it ended.
    pub status: CheckStatus,
    /// One line saying why, e.g. "namespace `payment` is not in [grade-api]".
    pub reason: String,
}

/// The ordered checks of one login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(transparent)]
pub struct Trace {
    checks: Vec<Check>,
}

impl Trace {
    pub(crate) fn with_capacity() -> Trace {
        Trace {
            checks: Vec::with_capacity(CheckId::ORDER.len()),
        }
    }

    pub(crate) fn record(&mut self, id: CheckId, status: CheckStatus, reason: impl Into<String>) {
        self.checks.push(Check {
            id,
            status,
            reason: reason.into(),
        });
    }

    /// Marks every check not yet recorded as skipped, so the trace always lists all of them.
    pub(crate) fn skip_rest(&mut self, reason: &str) {
        for id in CheckId::ORDER {
            if !self.checks.iter().any(|c| c.id == id) {
                self.record(id, CheckStatus::Skipped, reason);
            }
        }
        self.checks
            .sort_by_key(|c| CheckId::ORDER.iter().position(|o| *o == c.id));
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
