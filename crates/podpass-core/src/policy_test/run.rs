//! Running test cases: sign the described tokens, log in, compile the token's ACL, compare.

use std::collections::BTreeMap;

use serde_json::Value;

use super::key::{TEST_KEY_ID, TEST_KEY_JWKS, TEST_KEY_PEM};
use super::parse::check_name;
use super::{
    CaseResult, IssuedAt, LoginExpectation, Mismatch, RequestCheck, Subject, TestCase, TestFile,
    TestReport, TokenClaims, TokenInput,
};
use crate::acl::{Acl, Decision};
use crate::claims::ClaimShape;
use crate::configuration::{Configuration, DEFAULT_MOUNT_PATH};
use crate::duration::format_duration;
use crate::jwt::SigningAlgorithm;
use crate::keys::KeySet;
use crate::login::{Denial, LoginOutcome, LoginRequest, LoginResult, LoginSuccess, evaluate_login};
use crate::mint::{
    DEFAULT_PROJECTED_ISSUER, LEGACY_ISSUER, SigningKey, TokenSpec, service_account_uid,
    sign_claims,
};
use crate::mount::KubernetesMount;

/// Logs in with described or literal tokens against a configuration, without changing it:
/// mounts that verify signatures get a copy with the test key's public half added.
#[derive(Debug)]
pub struct Tester<'c> {
    config: &'c Configuration,
    key: Option<SigningKey>,
    trusting: BTreeMap<String, Box<KubernetesMount>>,
    key_error: Option<String>,
}

impl<'c> Tester<'c> {
    /// Prepares the copies of the mounts that trust the test key.
    pub fn new(config: &'c Configuration) -> Tester<'c> {
        let key = SigningKey::from_pem(
            TEST_KEY_PEM,
            SigningAlgorithm::ES256,
            Some(TEST_KEY_ID.to_string()),
        );
        let jwks = KeySet::from_jwks_json(TEST_KEY_JWKS);
        let (key, jwks, key_error) = match (key, jwks) {
            (Ok(key), Ok(jwks)) => (Some(key), Some(jwks), None),
            (Err(e), _) => (None, None, Some(e.to_string())),
            (_, Err(e)) => (None, None, Some(e.to_string())),
        };
        let mut trusting = BTreeMap::new();
        if let Some(jwks) = jwks {
            for (path, mount) in config.mounts() {
                // Without keys Vault skips the signature check (TokenReview vouches): a copy
                // is only needed where signatures are verified.
                if mount.verifies_signatures() {
                    let mut copy = mount.clone();
                    copy.add_jwks(jwks.clone());
                    trusting.insert(path.clone(), copy);
                }
            }
        }
        Tester {
            config,
            key,
            trusting,
            key_error,
        }
    }

    /// The mount a case uses when it names none: [`Configuration::default_mount`]. Without
    /// one, `kubernetes`, so that the login fails naming the mounts there are.
    pub fn default_mount(&self) -> String {
        self.config
            .default_mount()
            .unwrap_or(DEFAULT_MOUNT_PATH)
            .to_string()
    }

    /// Signs the token `claims` describe, as it would be presented on `role` at `now`.
    pub fn mint(
        &self,
        mount: &str,
        role: &str,
        claims: &TokenClaims,
        now: i64,
    ) -> Result<String, String> {
        let Some(key) = &self.key else {
            return Err(format!(
                "the test key is unusable: {}",
                self.key_error.as_deref().unwrap_or("unknown error")
            ));
        };
        let mount = self.config.mount(mount);
        let audiences = claims.audiences.clone().unwrap_or_else(|| {
            mount
                .and_then(|m| m.role(role))
                .filter(|r| !r.audience.is_empty())
                .map(|r| vec![r.audience.clone()])
                .unwrap_or_default()
        });
        let issuer = claims.issuer.clone().unwrap_or_else(|| {
            let configured = mount
                .and_then(KubernetesMount::config)
                .map(|c| c.issuer.clone())
                .filter(|i| !i.is_empty());
            match (configured, claims.legacy) {
                (Some(issuer), _) => issuer,
                (None, true) => LEGACY_ISSUER.to_string(),
                (None, false) => DEFAULT_PROJECTED_ISSUER.to_string(),
            }
        });
        let issued_at = match claims.issued {
            None => now,
            Some(IssuedAt::Offset(offset)) => now.saturating_add(offset),
            Some(IssuedAt::At(at)) => at,
        };
        let spec = TokenSpec {
            namespace: claims.namespace.clone(),
            service_account: claims.service_account.clone(),
            uid: claims
                .uid
                .clone()
                .unwrap_or_else(|| service_account_uid(&claims.namespace, &claims.service_account)),
            audiences,
            issuer,
            issued_at,
            ttl_seconds: claims.ttl_seconds.unwrap_or(3600),
            shape: if claims.legacy {
                ClaimShape::Legacy
            } else {
                ClaimShape::Projected
            },
            pod_name: if claims.legacy {
                None
            } else {
                Some(
                    claims
                        .pod
                        .clone()
                        .unwrap_or_else(|| format!("{}-0", claims.service_account)),
                )
            },
        };
        let mut body = spec.claims();
        if let Value::Object(map) = &mut body {
            for (name, value) in &claims.claims {
                if value.is_null() {
                    map.remove(name);
                } else {
                    map.insert(name.clone(), value.clone());
                }
            }
        }
        sign_claims(&body, key).map_err(|e| e.to_string())
    }

    /// Evaluates a login offline (TokenReview skipped). Described tokens are signed with the
    /// test key and checked on the mount's copy that trusts it; literal JWTs on the mount
    /// itself. Errs when the mount does not exist or the token cannot be signed.
    pub fn login(
        &self,
        mount: &str,
        request: &LoginRequest,
        token: &TokenInput,
    ) -> Result<LoginResult, String> {
        let Some(original) = self.config.mount(mount) else {
            let known: Vec<&str> = self.config.mounts().keys().map(String::as_str).collect();
            return Err(format!(
                "no Kubernetes auth mount at auth/{}/ (mounts: [{}])",
                mount.trim_matches('/'),
                known.join(", ")
            ));
        };
        let (jwt, target) = match token {
            TokenInput::Jwt { jwt } => (jwt.clone(), original),
            TokenInput::Claims(claims) => (
                self.mint(mount, &request.role, claims, request.now)?,
                self.trusting
                    .get(original.path())
                    .map_or(original, |mount| &**mount),
            ),
        };
        let request = LoginRequest {
            jwt,
            ..request.clone()
        };
        Ok(evaluate_login(target, &request))
    }
}

/// Runs every case of `tests` against `config`. `now` (seconds since the epoch) is the clock
/// unless the file pins one.
pub fn run(config: &Configuration, tests: &TestFile, now: i64) -> TestReport {
    let tester = Tester::new(config);
    let now = tests.now.unwrap_or(now);
    let default_mount = tests
        .mount
        .clone()
        .unwrap_or_else(|| tester.default_mount());
    let cases: Vec<CaseResult> = tests
        .cases
        .iter()
        .map(|case| run_case(&tester, case, &default_mount, now))
        .collect();
    let passed = cases.iter().filter(|c| c.passed).count();
    TestReport {
        now,
        failed: cases.len() - passed,
        passed,
        cases,
    }
}

fn run_case(tester: &Tester<'_>, case: &TestCase, default_mount: &str, now: i64) -> CaseResult {
    let mut failures = Vec::new();
    let mut trace = None;
    let acl = match &case.subject {
        Subject::Login {
            role,
            token,
            remote_addr,
            namespace_labels,
        } => {
            let mount = case.mount.as_deref().unwrap_or(default_mount);
            let request = LoginRequest {
                role: role.clone(),
                jwt: String::new(),
                remote_addr: remote_addr.clone(),
                namespace_labels: namespace_labels.clone(),
                now,
            };
            match tester.login(mount, &request, token) {
                Err(error) => {
                    failures.push(Mismatch {
                        line: case.line,
                        what: "login".into(),
                        expected: "a login to evaluate".into(),
                        actual: format!("error: {error}"),
                        detail: None,
                    });
                    None
                }
                Ok(result) => {
                    check_login(&case.expect, &result, case, &mut failures);
                    let acl = result
                        .success()
                        .and_then(|success| acl_for(tester.config, success, case, &mut failures));
                    trace = Some(result.trace);
                    acl
                }
            }
        }
        Subject::Policies { policies } => match tester.config.acl_for_policies(policies, None) {
            Ok(acl) => {
                let missing = tester.config.missing_policies(policies);
                if !missing.is_empty() {
                    failures.push(Mismatch {
                        line: case.line,
                        what: "policies".into(),
                        expected: "policies the configuration defines".into(),
                        actual: format!("not defined: [{}]", missing.join(", ")),
                        detail: None,
                    });
                }
                Some(acl)
            }
            Err(e) => {
                failures.push(Mismatch {
                    line: case.line,
                    what: "policies".into(),
                    expected: "an ACL".into(),
                    actual: format!("error: {e}"),
                    detail: None,
                });
                None
            }
        },
    };
    if let Some(acl) = &acl {
        for check in &case.requests {
            check_request(acl, check, &mut failures);
        }
        for check in &case.capabilities {
            let actual = acl.capabilities(&check.path);
            if actual != check.expected {
                failures.push(Mismatch {
                    line: check.line,
                    what: format!("capabilities of {}", check.path),
                    expected: list(&check.expected),
                    actual: list(&actual),
                    detail: None,
                });
            }
        }
    }
    let passed = failures.is_empty();
    CaseResult {
        name: case.name.clone(),
        line: case.line,
        passed,
        failures,
        trace: if passed { None } else { trace },
    }
}

fn acl_for(
    config: &Configuration,
    success: &LoginSuccess,
    case: &TestCase,
    failures: &mut Vec<Mismatch>,
) -> Option<Acl> {
    match config.acl_for_login(success) {
        Ok(acl) => Some(acl),
        Err(e) => {
            failures.push(Mismatch {
                line: case.line,
                what: "token ACL".into(),
                expected: "an ACL".into(),
                actual: format!("error: {e}"),
                detail: None,
            });
            None
        }
    }
}

fn failed_reason(result: &LoginResult) -> Option<String> {
    result
        .trace
        .first_failure()
        .map(|c| format!("{} check: {}", c.id.label(), c.reason))
}

fn list(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

fn verdict(allowed: bool) -> String {
    if allowed { "allowed" } else { "denied" }.to_string()
}

fn check_login(
    expect: &LoginExpectation,
    result: &LoginResult,
    case: &TestCase,
    failures: &mut Vec<Mismatch>,
) {
    let line = if expect.line == 0 {
        case.line
    } else {
        expect.line
    };
    if let Some(allowed) = expect.allowed
        && allowed != result.success().is_some()
    {
        failures.push(Mismatch {
            line,
            what: "login".into(),
            expected: verdict(allowed),
            actual: outcome_summary(&result.outcome),
            detail: failed_reason(result),
        });
        return;
    }
    let mut found = Mismatches { line, failures };
    match &result.outcome {
        LoginOutcome::Denied(denial) => check_denial(expect, result, denial, case, &mut found),
        LoginOutcome::Allowed(success) => check_success(expect, success, &mut found),
    }
}

/// The mismatches of one expectation, all reported at its line.
struct Mismatches<'f> {
    line: u32,
    failures: &'f mut Vec<Mismatch>,
}

impl Mismatches<'_> {
    fn push(&mut self, what: &str, expected: String, actual: String) {
        self.failures.push(Mismatch {
            line: self.line,
            what: what.to_string(),
            expected,
            actual,
            detail: None,
        });
    }
}

/// `allowed with policies [...]` or `denied: 403 permission denied`.
fn outcome_summary(outcome: &LoginOutcome) -> String {
    match outcome {
        LoginOutcome::Allowed(s) => format!("allowed with policies {}", list(&s.policies)),
        LoginOutcome::Denied(d) => format!("denied: {} {}", d.status, d.message),
    }
}

/// A denied login against what the test says of the denial (status, message, failed check,
/// reason), and against a test that describes the issued token without saying `allowed`.
fn check_denial(
    expect: &LoginExpectation,
    result: &LoginResult,
    denial: &Denial,
    case: &TestCase,
    found: &mut Mismatches<'_>,
) {
    if let Some(status) = expect.status
        && status != denial.status
    {
        found.push("status", status.to_string(), denial.status.to_string());
    }
    if let Some(message) = &expect.message
        && *message != denial.message
    {
        found.push(
            "message",
            format!("{message:?}"),
            format!("{:?}", denial.message),
        );
    }
    let failed = result.trace.first_failure();
    if let Some(check) = &expect.check {
        let actual = failed.map_or_else(|| "none".to_string(), |c| check_name(c.id));
        if *check != actual {
            found.push("failed check", check.clone(), actual);
        }
    }
    if let Some(reason) = &expect.reason {
        let actual = failed.map(|c| c.reason.to_string()).unwrap_or_default();
        if !actual.contains(reason.as_str()) {
            found.push(
                "reason",
                format!("text containing {reason:?}"),
                format!("{actual:?}"),
            );
        }
    }
    let describes_token = expect.policies.is_some()
        || expect.ttl.is_some()
        || expect.max_ttl.is_some()
        || expect.token_type.is_some()
        || !expect.metadata.is_empty()
        || expect.alias.is_some()
        || !case.requests.is_empty()
        || !case.capabilities.is_empty();
    if describes_token && expect.allowed.is_none() {
        found.failures.push(Mismatch {
            line: found.line,
            what: "login".into(),
            expected: "allowed (the test describes the issued token or uses it)".into(),
            actual: format!("denied: {} {}", denial.status, denial.message),
            detail: failed_reason(result),
        });
    }
}

/// A granted login against what the test says of the token (policies, TTLs, type, metadata,
/// alias), and against a test that describes a denial.
fn check_success(expect: &LoginExpectation, success: &LoginSuccess, found: &mut Mismatches<'_>) {
    if expect.status.is_some() || expect.message.is_some() || expect.check.is_some() {
        found.push(
            "login",
            "denied (the test describes a denial)".into(),
            format!("allowed with policies {}", list(&success.policies)),
        );
    }
    if let Some(policies) = &expect.policies {
        let mut want: Vec<String> = policies
            .iter()
            .map(|p| crate::policy::normalize_name(p))
            .collect();
        crate::order::sort(&mut want);
        want.dedup();
        let mut got = success.policies.clone();
        crate::order::sort(&mut got);
        if want != got {
            found.push("policies", list(&want), list(&got));
        }
    }
    if let Some(ttl) = expect.ttl
        && ttl != success.lease_duration
    {
        found.push("ttl", seconds(ttl), seconds(success.lease_duration));
    }
    if let Some(max) = expect.max_ttl
        && max != success.max_ttl
    {
        found.push("max_ttl", seconds(max), seconds(success.max_ttl));
    }
    if let Some(kind) = &expect.token_type
        && kind != success.token_type.issued_name()
    {
        found.push(
            "token_type",
            kind.clone(),
            success.token_type.issued_name().to_string(),
        );
    }
    for (key, value) in &expect.metadata {
        let actual = success.metadata.get(key);
        if actual != Some(value) {
            found.push(
                &format!("metadata {key}"),
                format!("{value:?}"),
                actual.map_or_else(|| "nothing".to_string(), |a| format!("{a:?}")),
            );
        }
    }
    if let Some(alias) = &expect.alias {
        let actual = success.alias().map(|a| a.name.clone()).unwrap_or_default();
        if *alias != actual {
            found.push("alias", format!("{alias:?}"), format!("{actual:?}"));
        }
    }
}

/// `3600s (1h)`.
fn seconds(value: i64) -> String {
    format!("{value}s ({})", format_duration(value))
}

/// The snake_case kind of a decision's outcome, as it serializes.
pub(crate) fn outcome_kind(decision: &Decision<'_>) -> String {
    serde_json::to_value(&decision.explanation.outcome)
        .ok()
        .and_then(|v| v.get("kind").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_default()
}

fn check_request(acl: &Acl, check: &RequestCheck, failures: &mut Vec<Mismatch>) {
    let decision = acl.authorize(&check.request);
    let what = format!("{} {}", check.request.operation, check.request.path);
    let reason = decision.reason();
    let mut mismatch = |what: String, expected: String, actual: String| {
        failures.push(Mismatch {
            line: check.line,
            what,
            expected,
            actual,
            detail: Some(reason.clone()),
        });
    };
    if decision.allowed != check.allowed {
        mismatch(
            what.clone(),
            verdict(check.allowed),
            verdict(decision.allowed),
        );
        return;
    }
    if let Some(want) = &check.reason
        && !reason.contains(want.as_str())
    {
        mismatch(
            format!("{what}: reason"),
            format!("text containing {want:?}"),
            format!("{reason:?}"),
        );
    }
    if let Some(want) = &check.outcome {
        let kind = outcome_kind(&decision);
        if *want != kind {
            mismatch(format!("{what}: outcome"), want.clone(), kind);
        }
    }
    let rule = decision.explanation.rule();
    if let Some(want) = &check.rule {
        let actual = rule.as_ref().map_or("no rule", |r| r.path);
        if want != actual {
            mismatch(
                format!("{what}: rule"),
                format!("{want:?}"),
                format!("{actual:?}"),
            );
        }
    }
    if let Some(want) = &check.policy {
        let sources: Vec<String> = rule
            .as_ref()
            .map(|r| r.sources.iter().map(|s| s.policy.clone()).collect())
            .unwrap_or_default();
        if !sources.iter().any(|s| s == want) {
            mismatch(
                format!("{what}: policy"),
                want.clone(),
                if sources.is_empty() {
                    "no rule".to_string()
                } else {
                    list(&sources)
                },
            );
        }
    }
}
