//! Policy tests: `opa test` for Vault's Kubernetes auth. A test file states what a login should
//! get and what its token may do; [`run`] evaluates every case against a
//! [`Configuration`](crate::configuration::Configuration) and reports expected against actual,
//! with the login trace when a case fails.
//!
//! The file format (HCL, documented with examples in `docs/policy-tests.md`):
//!
//! ```hcl
//! config = "podpass.hcl"            # read by the CLI, relative to this file
//! now    = "2026-05-28T20:26:40Z"   # optional: pin the clock
//!
//! test "the tutorial's login" {
//!   role  = "grade-api"
//!   token = "grade-api/grade-api-sa"   # namespace/service account, signed by the runner
//!   expect {
//!     login    = "allowed"
//!     policies = ["default", "grade-api"]
//!     ttl      = "1h"
//!   }
//!   allowed = ["read secret/data/grade-api/db", "list secret/metadata/grade-api/"]
//!   denied  = ["read secret/data/payment/db"]
//! }
//! ```
//!
//! Tokens described by claims are signed with [`TEST_KEY_PEM`], a throwaway key whose public
//! half the runner adds to a *copy* of the mount's keys, so a configuration with real
//! `pem_keys` still accepts them while the configuration itself is never changed. Literal JWTs
//! (`token { jwt = "…" }`) are checked against the mount's own keys.
//!
//! ```
//! use podpass_core::configuration::{Configuration, Origin};
//! use podpass_core::policy_test::{parse, run};
//!
//! let mut config = Configuration::new();
//! config.put_policy("shared", "path \"secret/data/shared/*\" {\n  capabilities = [\"read\"]\n}\n", Origin::new("shared.hcl", 1))?;
//! let tests = parse(r#"
//! test "shared is readable" {
//!   policies = ["shared"]
//!   allowed  = ["read secret/data/shared/x"]
//!   denied   = ["update secret/data/shared/x"]
//! }
//! "#)?;
//! let report = run(&config, &tests, 1_780_000_000);
//! assert_eq!((report.passed, report.failed), (1, 0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod key;
mod parse;
mod run;
mod time;

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::acl::Request;
use crate::diagnostic::{Diagnostic, Location};
use crate::trace::Trace;

pub use key::{TEST_KEY_ID, TEST_KEY_JWKS, TEST_KEY_PEM, TEST_PUBLIC_KEY_PEM};
pub use parse::{parse, parse_with_files};
pub use run::{Tester, run};
pub use time::parse_rfc3339;

/// A parsed test file.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct TestFile {
    /// `config = "…"`: the configuration to test, relative to the test file (the CLI reads it;
    /// the core runner is given the configuration).
    pub config: Option<String>,
    /// `mount = "…"`: the default auth mount of every case (else the configuration's only
    /// mount, else `kubernetes`).
    pub mount: Option<String>,
    /// `now = "…"`: a pinned clock (seconds since the epoch); else the caller's `now`.
    pub now: Option<i64>,
    /// Named tokens (`token "name" { … }`), referred to by cases.
    pub tokens: BTreeMap<String, TokenInput>,
    /// The cases, in file order.
    pub cases: Vec<TestCase>,
}

/// One `test "name" { … }` block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestCase {
    /// The name given in the file.
    pub name: String,
    /// The line of the `test` block.
    pub line: u32,
    /// The auth mount for the login (overrides the file's).
    pub mount: Option<String>,
    /// Who asks: a login, or a bare list of policies.
    pub subject: Subject,
    /// Expectations about the login.
    pub expect: LoginExpectation,
    /// Requests the resulting token makes, each with the decision expected.
    pub requests: Vec<RequestCheck>,
    /// `capabilities = { "path" = [...] }`: what `sys/capabilities-self` should answer.
    pub capabilities: Vec<CapabilityCheck>,
}

/// What a case evaluates.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Subject {
    /// A login on a role with a token; requests use the token it issues.
    Login {
        /// The role name.
        role: String,
        /// The service-account token.
        token: TokenInput,
        /// The caller's address (for `token_bound_cidrs`).
        remote_addr: Option<String>,
        /// The namespace's labels (for a namespace selector).
        namespace_labels: Option<BTreeMap<String, String>>,
    },
    /// No login: requests are checked against these policies as listed (`default` is not
    /// added; templated paths, which need a login's identity, are left out).
    Policies {
        /// Policy names.
        policies: Vec<String>,
    },
}

/// A service-account token for a login.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TokenInput {
    /// Described by its claims, signed by the runner with the test key.
    Claims(Box<TokenClaims>),
    /// A literal JWT (`jwt`, or read from `jwt_file`), verified with the mount's own keys.
    Jwt {
        /// The compact JWS.
        jwt: String,
    },
}

/// The claims of a token the runner signs. Unset fields take the defaults noted.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct TokenClaims {
    /// Service-account namespace.
    pub namespace: String,
    /// Service-account name.
    pub service_account: String,
    /// Service-account uid (default: a stable uid derived from namespace and name).
    pub uid: Option<String>,
    /// `aud` (default: the role's audience when it sets one, else none; `[]` for none).
    pub audiences: Option<Vec<String>>,
    /// `iss` (default: the mount's configured issuer, else Kubernetes' usual one).
    pub issuer: Option<String>,
    /// Lifetime in seconds (default 3600): `exp = iat + ttl`.
    pub ttl_seconds: Option<i64>,
    /// When the token was issued.
    pub issued: Option<IssuedAt>,
    /// A legacy, secret-based token (flat claims, no time claims).
    pub legacy: bool,
    /// Pod name of a projected token (default `<service account>-0`).
    pub pod: Option<String>,
    /// Claims set over the generated ones (for deliberately odd tokens); `null` removes one.
    pub claims: Map<String, Value>,
}

/// When a described token was issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IssuedAt {
    /// Seconds relative to the test's `now` (negative: in the past).
    Offset(i64),
    /// Seconds since the epoch.
    At(i64),
}

/// What a login should give. Every field is optional; only those set are compared.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct LoginExpectation {
    /// The line of the `expect` block (0 when absent).
    pub line: u32,
    /// `login = "allowed" | "denied"`.
    pub allowed: Option<bool>,
    /// The HTTP status of a denial (400, 403, 500).
    pub status: Option<u16>,
    /// Vault's message, exactly (`namespace not authorized`).
    pub message: Option<String>,
    /// The check that failed (`namespace`, `service_account_name`, `expiry`, …).
    pub check: Option<String>,
    /// Text the failed check's explanation contains.
    pub reason: Option<String>,
    /// The token's policies, in any order.
    pub policies: Option<Vec<String>>,
    /// `lease_duration` in seconds.
    pub ttl: Option<i64>,
    /// The effective maximum TTL in seconds.
    pub max_ttl: Option<i64>,
    /// `service` or `batch`.
    pub token_type: Option<String>,
    /// Metadata entries the token must carry (others are ignored).
    pub metadata: BTreeMap<String, String>,
    /// The entity alias name.
    pub alias: Option<String>,
}

/// A request and the decision expected for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestCheck {
    /// Where it was written.
    pub line: u32,
    /// The request.
    pub request: Request,
    /// Whether Vault should let it through.
    pub allowed: bool,
    /// Text the decision's reason contains.
    pub reason: Option<String>,
    /// The deciding fact, as its snake_case kind (`no_match`, `missing_capability`, …).
    pub outcome: Option<String>,
    /// A policy among the winning rule's sources.
    pub policy: Option<String>,
    /// The winning rule's path.
    pub rule: Option<String>,
}

/// `capabilities = { "path" = ["read", "list"] }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CapabilityCheck {
    /// Where it was written.
    pub line: u32,
    /// The path asked about.
    pub path: String,
    /// The sorted answer expected (`["deny"]` for nothing).
    pub expected: Vec<String>,
}

/// A test file that could not be read. `Display`: `line 3, column 5: message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{location}: {message}")]
pub struct TestFileError {
    /// Where the problem is (serialized as `line` and `column`).
    #[serde(flatten)]
    pub location: Location,
    /// What is wrong.
    pub message: String,
}

impl TestFileError {
    /// The refusal as a diagnostic about the test file named `source` (`policy_test/file`).
    pub fn diagnostic(&self, source: &str) -> Diagnostic {
        Diagnostic::error("policy_test/file", self.message.clone())
            .in_source(source)
            .at(self.location)
    }
}

/// The outcome of a whole file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestReport {
    /// The clock the cases ran with (seconds since the epoch).
    pub now: i64,
    /// One result per case, in file order.
    pub cases: Vec<CaseResult>,
    /// How many passed.
    pub passed: usize,
    /// How many failed.
    pub failed: usize,
}

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseResult {
    /// The case's name.
    pub name: String,
    /// The line of its `test` block.
    pub line: u32,
    /// Whether every expectation held.
    pub passed: bool,
    /// The expectations that did not hold.
    pub failures: Vec<Mismatch>,
    /// The login's check-by-check trace, when the case failed and a login ran.
    pub trace: Option<Trace>,
}

/// One expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// Where the expectation was written.
    pub line: u32,
    /// What was compared, e.g. `login`, `policies`, `read secret/data/payment/db`.
    pub what: String,
    /// The value expected.
    pub expected: String,
    /// The value found.
    pub actual: String,
    /// More context, such as the ACL's reason for its decision.
    pub detail: Option<String>,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}: {}: expected {}, got {}",
            self.line, self.what, self.expected, self.actual
        )?;
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}
