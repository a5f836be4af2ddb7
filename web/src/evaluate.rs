//! One evaluation of the playground's state through the core: the configuration imported and
//! linted, the token decoded with its signature and time status, the login decided, and the
//! path authorised with the issued token. The user interface only draws the result.

use podpass_core::acl::{Operation, Request};
use podpass_core::claims::ServiceAccountClaims;
use podpass_core::configuration::{
    Configuration, ImportError, ImportNote, NoFiles, Origin, PolicyEntry, SourceFormat,
};
use podpass_core::host_signature::{
    HostVerdict, SignatureJob, evaluate_login_asking_host, token_signature_job,
    verify_token_with_host_verdict,
};
use podpass_core::jwt::{self, DecodedJwt};
use podpass_core::lint::{self, Finding, policy_rule_origin};
use podpass_core::login::{LoginRequest, LoginResult, time_checks};
use podpass_core::mount::KubernetesMount;
use podpass_core::trace::{CheckId, CheckStatus, TraceMode};
use serde_json::Value;

use std::cell::RefCell;

use crate::minting::INPUT_SOURCE;
use crate::signatures::SignatureCheck;
use crate::state::{PlaygroundState, parse_labels, parse_now};

/// The most input (all fields together) the page evaluates on every edit.
pub const LIVE_MAX_BYTES: usize = 256 * 1024;
/// The most configuration lines the page evaluates on every edit.
pub const LIVE_MAX_LINES: usize = 5_000;
/// An evaluation slower than this, in milliseconds, pauses evaluation on every edit: the page
/// runs it on the main thread, and a keystroke should not wait longer.
pub const LIVE_MAX_MS: f64 = 250.0;

/// Why the inputs are too large to evaluate on every edit (evaluation then waits to be asked
/// for), or `None` when they fit. Checked before any parsing, so a hostile share link or a
/// huge saved session cannot freeze the page on load.
pub fn over_live_budget(state: &PlaygroundState) -> Option<String> {
    let lines = state.config.bytes().filter(|&b| b == b'\n').count() + 1;
    let bytes = [
        &state.config,
        &state.token,
        &state.mount,
        &state.role,
        &state.namespace_labels,
        &state.remote_addr,
        &state.now,
        &state.path,
        &state.operation,
        &state.mint.namespace,
        &state.mint.service_account,
        &state.mint.audience,
        &state.mint.ttl,
    ]
    .iter()
    .map(|field| field.len())
    .sum::<usize>();
    if lines > LIVE_MAX_LINES {
        return Some(format!(
            "the configuration has {lines} lines (live evaluation stops at {LIVE_MAX_LINES})"
        ));
    }
    if bytes > LIVE_MAX_BYTES {
        return Some(format!(
            "the inputs take {} KiB (live evaluation stops at {} KiB)",
            bytes / 1024,
            LIVE_MAX_BYTES / 1024
        ));
    }
    None
}

/// Everything the results pane shows.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The "now" the time checks used, seconds since the epoch.
    pub now: i64,
    /// Problems with the optional inputs (labels, "now"), shown next to them.
    pub input_problems: Vec<InputProblem>,
    /// The configuration as read, or why it could not be.
    pub config: Result<ConfigSummary, ImportError>,
    /// The token as decoded.
    pub token: TokenSummary,
    /// The login, once there is a configuration, a token and a role.
    pub login: Result<LoginResult, String>,
    /// The path authorised with the issued token.
    pub authorization: Result<Authorization, String>,
}

/// A problem with one of the optional inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProblem {
    /// Which input: `now` or `labels`.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

/// What the configuration holds.
#[derive(Debug, Clone)]
pub struct ConfigSummary {
    /// The form it was read as.
    pub format: SourceFormat,
    /// What the import skipped or noted.
    pub notes: Vec<ImportNote>,
    /// Every mount path.
    pub mounts: Vec<String>,
    /// The mount logins go to.
    pub mount: Option<String>,
    /// The roles of that mount.
    pub roles: Vec<String>,
    /// The policies written in the configuration.
    pub policies: Vec<String>,
    /// Lint findings, most severe first.
    pub findings: Vec<Finding>,
}

/// The token, decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenSummary {
    /// Nothing pasted.
    Empty,
    /// Not a JWT; the core's message.
    Invalid(String),
    /// A JWT.
    Decoded(Box<DecodedToken>),
}

/// A decoded token's parts and status.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedToken {
    /// The header, pretty-printed JSON.
    pub header: String,
    /// The claims, pretty-printed JSON.
    pub claims: String,
    /// `alg`.
    pub algorithm: String,
    /// The service account the claims name, `namespace/name`, when they are a service-account
    /// token's.
    pub service_account: Option<String>,
    /// `iat`, `nbf` and `exp`, when present.
    pub times: Vec<TimeClaim>,
    /// Whether the token is valid at "now".
    pub validity: Validity,
    /// Whether the signature verifies against the mount's keys.
    pub signature: SignatureStatus,
}

/// A time claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeClaim {
    /// `iat`, `nbf` or `exp`.
    pub name: &'static str,
    /// Seconds since the epoch.
    pub at: i64,
}

/// A token's time status, as a login's time checks decide it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Validity {
    /// Every time check passes; the expiry check's reason.
    Valid(String),
    /// `exp` has passed (beyond the leeway).
    Expired(String),
    /// `nbf` (or `iat`) is in the future.
    NotYetValid(String),
    /// No time claims (a legacy token): Vault checks no times.
    NoTimeClaims,
    /// The claims are not a service-account token's; why.
    Unknown(String),
}

/// Whether the signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureStatus {
    /// Verified; how (`verified with ECDSA P-256 key pem_keys[0]`).
    Verified(String),
    /// Did not verify; why.
    Failed(String),
    /// Not checked; why (no keys configured, no configuration).
    NotChecked(String),
    /// The browser is verifying it.
    Checking,
}

/// The decision on a path for the issued token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// Allowed or not.
    pub allowed: bool,
    /// The operation.
    pub operation: String,
    /// The path as checked.
    pub path: String,
    /// The one-line reason.
    pub reason: String,
    /// The token's capabilities on the path (Vault's `sys/capabilities-self`).
    pub capabilities: Vec<String>,
    /// The rule that decided, when one matched.
    pub rule: Option<RuleSummary>,
    /// The matching rules it beat, closest first.
    pub beaten: Vec<BeatenSummary>,
    /// Advice for likely mistakes.
    pub hints: Vec<String>,
}

/// A rule of the ACL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSummary {
    /// The path as written.
    pub path: String,
    /// Its capabilities.
    pub capabilities: String,
    /// Where it was written: policy, line within the policy, line in the configuration text.
    pub sources: Vec<RuleLocation>,
}

/// One path block behind a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleLocation {
    /// The policy.
    pub policy: String,
    /// The line within the policy.
    pub policy_line: u32,
    /// The line in the configuration text, when the policy was written there.
    pub config_line: Option<u32>,
}

/// A matching rule that lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeatenSummary {
    /// The rule.
    pub rule: RuleSummary,
    /// Why the winner won, with Vault's rule number when there is one.
    pub why: String,
}

/// What the login says while the page verifies the token's signature.
pub const CHECKING_SIGNATURE: &str = "checking the token's signature with the browser's WebCrypto";

/// Evaluates `state` with the clock at `clock_now` (seconds since the epoch), signature
/// verdicts from `signatures`.
pub fn evaluate(
    state: &PlaygroundState,
    clock_now: i64,
    signatures: &dyn SignatureCheck,
) -> Evaluation {
    let mut input_problems = Vec::new();
    let now = parse_now(&state.now, clock_now).unwrap_or_else(|message| {
        input_problems.push(InputProblem {
            field: "now",
            message,
        });
        clock_now
    });
    let labels = parse_labels(&state.namespace_labels).unwrap_or_else(|message| {
        input_problems.push(InputProblem {
            field: "labels",
            message,
        });
        None
    });

    let imported = Configuration::import(&state.config, INPUT_SOURCE, None, &NoFiles);
    let (configuration, config) = match imported {
        Ok(imported) => {
            let configuration = imported.configuration;
            let summary = summarize(&configuration, imported.format, imported.notes, state);
            (Some(configuration), Ok(summary))
        }
        Err(error) => (None, Err(error)),
    };
    let mount = match (&configuration, &config) {
        (Some(c), Ok(summary)) => summary.mount.as_deref().and_then(|m| c.mount(m)),
        _ => None,
    };

    let login = match (&configuration, mount) {
        (None, _) => Err("fix the configuration to see the login".to_string()),
        (Some(c), None) => Err(missing_mount(
            c,
            config.as_ref().ok().and_then(|s| s.mount.as_deref()),
        )),
        (Some(_), Some(_)) if state.token.trim().is_empty() => {
            Err("paste a token, pick a preset or mint one".to_string())
        }
        (Some(_), Some(_)) if state.role.trim().is_empty() => {
            Err("choose the role the login names".to_string())
        }
        (Some(_), Some(mount)) => {
            let request = LoginRequest {
                role: state.role.trim().to_string(),
                jwt: state.token.trim().to_string(),
                remote_addr: Some(state.remote_addr.trim())
                    .filter(|a| !a.is_empty())
                    .map(str::to_string),
                namespace_labels: labels,
                now,
            };
            login(mount, &request, signatures)
        }
    };

    let token = summarize_token(
        &state.token,
        mount,
        configuration.is_some(),
        login.as_ref().ok(),
        now,
        signatures,
    );
    let authorization = authorize(configuration.as_ref(), &login, state);

    Evaluation {
        now,
        input_problems,
        config,
        token,
        login,
        authorization,
    }
}

/// The login decided with the signature verdict from `signatures`; an error while the verdict
/// is not known yet, or when the browser could not reach one.
fn login(
    mount: &KubernetesMount,
    request: &LoginRequest,
    signatures: &dyn SignatureCheck,
) -> Result<LoginResult, String> {
    let problem = RefCell::new(None);
    let host = |job: &SignatureJob<'_>| match signatures.verdict(job) {
        Some(Ok(verdict)) => verdict,
        Some(Err(why)) => {
            *problem.borrow_mut() = Some(format!("the signature could not be checked: {why}"));
            HostVerdict::default()
        }
        None => {
            *problem.borrow_mut() = Some(CHECKING_SIGNATURE.to_string());
            HostVerdict::default()
        }
    };
    let result = evaluate_login_asking_host(mount, request, &host, TraceMode::Full);
    match problem.into_inner() {
        Some(problem) => Err(problem),
        None => Ok(result),
    }
}

/// Why no mount could take the login: there is none, the one chosen does not exist, or there
/// are several and none is the default.
fn missing_mount(configuration: &Configuration, chosen: Option<&str>) -> String {
    let paths = configuration
        .mounts()
        .keys()
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    match chosen {
        _ if configuration.mounts().is_empty() => {
            "the configuration has no Kubernetes auth mount".to_string()
        }
        Some(path) => format!("no Kubernetes auth mount at {path}/ (mounts: {paths})"),
        None => format!(
            "the configuration has several auth mounts and none at kubernetes/: choose one ({paths})"
        ),
    }
}

fn summarize(
    configuration: &Configuration,
    format: SourceFormat,
    notes: Vec<ImportNote>,
    state: &PlaygroundState,
) -> ConfigSummary {
    let mounts: Vec<String> = configuration.mounts().keys().cloned().collect();
    let wanted = state.mount.trim().trim_matches('/');
    let mount = if wanted.is_empty() {
        configuration.default_mount().map(str::to_string)
    } else {
        Some(wanted.to_string())
    };
    let roles = mount
        .as_deref()
        .and_then(|m| configuration.mount(m))
        .map(|m| m.roles().keys().cloned().collect())
        .unwrap_or_default();
    let mut findings = lint::lint(configuration);
    lint::sort(&mut findings);
    ConfigSummary {
        format,
        notes,
        mounts,
        mount,
        roles,
        policies: configuration.policies().keys().cloned().collect(),
        findings,
    }
}

fn summarize_token(
    text: &str,
    mount: Option<&KubernetesMount>,
    have_configuration: bool,
    login: Option<&LoginResult>,
    now: i64,
    signatures: &dyn SignatureCheck,
) -> TokenSummary {
    if text.trim().is_empty() {
        return TokenSummary::Empty;
    }
    let decoded = match jwt::decode(text) {
        Ok(decoded) => decoded,
        Err(e) => return TokenSummary::Invalid(e.to_string()),
    };
    let pretty = |map: &serde_json::Map<String, Value>| {
        serde_json::to_string_pretty(map).unwrap_or_default()
    };
    let times = ["iat", "nbf", "exp"]
        .into_iter()
        .filter_map(|name| {
            let at = decoded.claims.get(name)?.as_i64()?;
            Some(TimeClaim { name, at })
        })
        .collect();
    let (service_account, validity) = match ServiceAccountClaims::from_claims(&decoded.claims) {
        Ok(claims) => {
            let who = (!claims.namespace.is_empty() || !claims.name.is_empty())
                .then(|| format!("{}/{}", claims.namespace, claims.name));
            (who, validity(&claims, now))
        }
        Err(e) => (None, Validity::Unknown(e.to_string())),
    };
    TokenSummary::Decoded(Box::new(DecodedToken {
        header: pretty(&decoded.header),
        claims: pretty(&decoded.claims),
        algorithm: decoded.algorithm.clone(),
        service_account,
        times,
        validity,
        signature: signature(&decoded, mount, have_configuration, login, signatures),
    }))
}

fn validity(claims: &ServiceAccountClaims, now: i64) -> Validity {
    let trace = time_checks(claims, now);
    if let Some(failed) = trace.first_failure() {
        let reason = failed.reason.to_string();
        return match failed.id {
            CheckId::Expiry => Validity::Expired(reason),
            _ => Validity::NotYetValid(reason),
        };
    }
    match trace.get(CheckId::Expiry) {
        Some(check) if check.status == CheckStatus::Passed => {
            Validity::Valid(check.reason.to_string())
        }
        _ => Validity::NoTimeClaims,
    }
}

/// The signature's status. The login's own signature check is reused when the login reached
/// it, so a token is verified once per evaluation.
fn signature(
    decoded: &DecodedJwt,
    mount: Option<&KubernetesMount>,
    have_configuration: bool,
    login: Option<&LoginResult>,
    signatures: &dyn SignatureCheck,
) -> SignatureStatus {
    let Some(mount) = mount else {
        return SignatureStatus::NotChecked(if have_configuration {
            "no Kubernetes auth mount to take keys from".to_string()
        } else {
            "no key: the configuration does not read".to_string()
        });
    };
    if mount.keys().is_empty() {
        return SignatureStatus::NotChecked(
            "no key: pem_keys is empty, so Vault leaves the signature to the TokenReview API"
                .to_string(),
        );
    }
    match login.and_then(|l| l.trace.get(CheckId::Signature)) {
        Some(check) if check.status == CheckStatus::Passed => {
            return SignatureStatus::Verified(check.reason.to_string());
        }
        Some(check) if check.status == CheckStatus::Failed => {
            return SignatureStatus::Failed(check.reason.to_string());
        }
        _ => {}
    }
    let verdict = match token_signature_job(decoded, mount.keys()) {
        Some(job) => match signatures.verdict(&job) {
            Some(Ok(verdict)) => verdict,
            Some(Err(why)) => return SignatureStatus::NotChecked(why),
            None => return SignatureStatus::Checking,
        },
        // Nothing to verify: the core says why without crypto (no signature, no key fits).
        None => HostVerdict::default(),
    };
    match verify_token_with_host_verdict(decoded, mount.keys(), &verdict) {
        Ok(verified) => SignatureStatus::Verified(format!(
            "verified with {} ({})",
            verified.key, verified.algorithm
        )),
        Err(e) => SignatureStatus::Failed(e.to_string()),
    }
}

fn authorize(
    configuration: Option<&Configuration>,
    login: &Result<LoginResult, String>,
    state: &PlaygroundState,
) -> Result<Authorization, String> {
    let path = state.path.trim();
    if path.is_empty() {
        return Err("enter a path to authorise".to_string());
    }
    let operation_name = if state.operation.trim().is_empty() {
        "read"
    } else {
        state.operation.trim()
    };
    let operation = Operation::from_name(operation_name)
        .ok_or_else(|| format!("unknown operation `{operation_name}`"))?;
    let (Some(configuration), Ok(result)) = (configuration, login) else {
        return Err("no token: there is no login yet".to_string());
    };
    let Some(success) = result.success() else {
        return Err("no token: the login was denied".to_string());
    };
    let acl = configuration
        .acl_for_login(success)
        .map_err(|e| e.to_string())?;
    let decision = acl.authorize(&Request::new(operation, path));
    let explanation = &decision.explanation;
    let locate = |sources: &[podpass_core::acl::RuleSource]| -> Vec<RuleLocation> {
        sources
            .iter()
            .map(|s| RuleLocation {
                policy: s.policy.clone(),
                policy_line: s.line,
                config_line: configuration
                    .policy(&s.policy)
                    .and_then(|entry| config_line(entry, s.line)),
            })
            .collect()
    };
    Ok(Authorization {
        allowed: decision.allowed,
        operation: operation.as_str().to_string(),
        path: explanation.path.clone(),
        reason: decision.reason(),
        capabilities: acl.capabilities(&explanation.path),
        rule: explanation.rule().map(|rule| RuleSummary {
            path: rule.path.to_string(),
            capabilities: rule.capabilities.to_string(),
            sources: locate(rule.sources),
        }),
        beaten: explanation
            .beaten()
            .iter()
            .map(|b| BeatenSummary {
                rule: RuleSummary {
                    path: b.path.to_string(),
                    capabilities: b.capabilities.to_string(),
                    sources: locate(b.sources),
                },
                why: match b.lost_on.number() {
                    Some(n) => format!(
                        "lost on Vault's priority rule {n}: the winner {}",
                        b.lost_on.description()
                    ),
                    None => b.lost_on.description().to_string(),
                },
            })
            .collect(),
        hints: explanation.hints(),
    })
}

/// The configuration line of a policy's line `policy_line`, when the policy was written in the
/// pasted configuration (not Vault's built-in `default`).
fn config_line(entry: &PolicyEntry, policy_line: u32) -> Option<u32> {
    (entry.origin.source == INPUT_SOURCE && entry.origin.line > 0)
        .then(|| policy_rule_origin(&entry.origin, policy_line).line)
}

/// The configuration line an origin points at, when it is in the pasted text.
pub fn origin_line(origin: &Origin) -> Option<u32> {
    (origin.source == INPUT_SOURCE && origin.line > 0).then_some(origin.line)
}

#[cfg(test)]
mod tests {
    #[test]
    fn large_inputs_are_over_the_live_budget_before_any_parsing() {
        let mut state = PlaygroundState::default();
        assert_eq!(over_live_budget(&state), None);
        state.config = "\n".repeat(300_000);
        let reason = over_live_budget(&state).expect("too many lines");
        assert!(reason.contains("300001 lines"), "{reason}");
        state.config = "#".repeat(LIVE_MAX_BYTES);
        state.token = "x".to_string();
        let reason = over_live_budget(&state).expect("too many bytes");
        assert!(reason.contains("KiB"), "{reason}");
        state.config = "path \"a\" {}\n".repeat(100);
        assert_eq!(over_live_budget(&state), None);
    }

    use super::*;
    use crate::presets::find;
    use crate::signatures::{EngineCrypto, Job, Verdicts};

    const NOW: i64 = 1_780_000_000;

    /// A preset's state with its token signed natively.
    fn preset(id: &str) -> PlaygroundState {
        let (mut state, token) = find(id).unwrap().state(NOW).unwrap();
        state.token = token.sign_in_engine().unwrap();
        state
    }

    fn tutorial() -> PlaygroundState {
        preset("tutorial")
    }

    /// Evaluates as the page does: the signatures asked for are verified (here by the engine,
    /// there by WebCrypto) and the state evaluated again.
    fn evaluate_as_the_page_does(state: &PlaygroundState) -> (Evaluation, Evaluation) {
        let mut verdicts = Verdicts::default();
        let first = evaluate(state, NOW, &verdicts);
        for job in verdicts.take_wanted() {
            let verdict = verify_owned(&job);
            verdicts.insert(job, verdict);
        }
        let second = evaluate(state, NOW, &verdicts);
        assert!(verdicts.take_wanted().is_empty(), "nothing left to verify");
        (first, second)
    }

    /// An owned job verified as WebCrypto would: each candidate's JWK, in order.
    fn verify_owned(job: &Job) -> crate::signatures::Verdict {
        let signature = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            &job.signature,
        );
        let alg = match job.algorithm.name() {
            "ES256" => jsonwebtoken::Algorithm::ES256,
            other => panic!("the playground's tests sign with ES256, not {other}"),
        };
        let verified_by = job.candidates.iter().find_map(|(index, jwk)| {
            let jwk: jsonwebtoken::jwk::Jwk =
                serde_json::from_slice(jwk.as_deref()?.as_bytes()).ok()?;
            let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).ok()?;
            jsonwebtoken::crypto::verify(&signature, job.signing_input.as_bytes(), &key, alg)
                .ok()
                .filter(|ok| *ok)
                .map(|_| *index)
        });
        Ok(HostVerdict { verified_by })
    }

    #[test]
    fn the_page_shows_checking_then_the_same_evaluation_as_the_engines_crypto() {
        let mut unknown_role = tutorial();
        unknown_role.role = "nobody".to_string();
        let mut other_key = tutorial();
        other_key.config = crate::minting::trust_key(
            &other_key.config,
            "",
            include_str!("../../tests/fixtures/keys/ec-p256.pub.pem"),
        )
        .unwrap();
        for state in [
            tutorial(),
            unknown_role,
            other_key,
            preset("cross-namespace"),
        ] {
            let (first, second) = evaluate_as_the_page_does(&state);
            let TokenSummary::Decoded(token) = &first.token else {
                panic!("decoded token expected");
            };
            assert_eq!(token.signature, SignatureStatus::Checking);
            if state.role != "nobody" {
                assert_eq!(first.login.as_ref().unwrap_err(), CHECKING_SIGNATURE);
            }
            // Evaluation holds the core's results, compared through their full Debug form.
            assert_eq!(
                format!("{second:?}"),
                format!("{:?}", evaluate(&state, NOW, &EngineCrypto)),
                "{}",
                state.role
            );
        }
    }

    #[test]
    fn the_tutorial_logs_in_with_verified_signature_and_valid_times() {
        let evaluation = evaluate(&tutorial(), NOW, &EngineCrypto);
        let config = evaluation.config.as_ref().unwrap();
        assert_eq!(config.format, SourceFormat::VaultCommands);
        assert_eq!(config.mount.as_deref(), Some("kubernetes"));
        assert!(config.roles.contains(&"grade-api".to_string()));
        let success = evaluation
            .login
            .as_ref()
            .unwrap()
            .success()
            .unwrap()
            .clone();
        assert_eq!(success.policies, ["default", "grade-api"]);
        let TokenSummary::Decoded(token) = &evaluation.token else {
            panic!("decoded token expected");
        };
        assert!(
            matches!(token.signature, SignatureStatus::Verified(ref how) if how.contains("ECDSA P-256")),
            "{:?}",
            token.signature
        );
        assert_eq!(token.algorithm, "ES256");
        assert!(matches!(token.validity, Validity::Valid(ref why) if why.contains("in 59m")));
        assert_eq!(
            token.service_account.as_deref(),
            Some("grade-api/grade-api-sa")
        );
        assert_eq!(token.times.len(), 3);
        let authorization = evaluation.authorization.unwrap();
        assert!(authorization.allowed);
        assert_eq!(authorization.capabilities, ["read"]);
    }

    #[test]
    fn evaluation_and_minting_pick_the_same_default_mount() {
        let mut state = tutorial();
        state.config = format!("vault auth enable -path=a kubernetes\n{}", state.config);
        let evaluation = evaluate(&state, NOW, &EngineCrypto);
        let config = evaluation.config.as_ref().unwrap();
        assert_eq!(config.mounts, ["a", "kubernetes"]);
        assert_eq!(config.mount.as_deref(), Some("kubernetes"));
        assert!(evaluation.login.as_ref().unwrap().success().is_some());

        let trusted =
            crate::minting::trust_key(&state.config, "", podpass_core::demo::DEMO_PUBLIC_KEY_PEM)
                .unwrap();
        let imported = Configuration::import(&trusted, "t", None, &NoFiles).unwrap();
        let configuration = imported.configuration;
        let keys = |path: &str| configuration.mount(path).map(|m| m.keys().is_empty());
        assert_eq!(keys("kubernetes"), Some(false));
        assert_eq!(keys("a"), Some(true));

        state.config =
            "vault auth enable -path=a kubernetes\nvault auth enable -path=b kubernetes\n"
                .to_string();
        let evaluation = evaluate(&state, NOW, &EngineCrypto);
        assert!(
            evaluation.login.unwrap_err().contains("choose one (a, b)"),
            "several mounts and no default must ask for one"
        );
        assert!(
            crate::minting::trust_key(&state.config, "", podpass_core::demo::DEMO_PUBLIC_KEY_PEM)
                .is_err()
        );
    }

    #[test]
    fn another_teams_path_is_denied_and_the_rule_is_located() {
        let mut state = tutorial();
        state.path = "secret/data/payment/db".to_string();
        let denied = evaluate(&state, NOW, &EngineCrypto).authorization.unwrap();
        assert!(!denied.allowed);
        assert_eq!(denied.capabilities, ["deny"]);
        assert!(denied.rule.is_none());

        state.path = "secret/data/grade-api/config".to_string();
        state.operation = "update".to_string();
        let missing = evaluate(&state, NOW, &EngineCrypto).authorization.unwrap();
        assert!(!missing.allowed);
        let rule = missing.rule.unwrap();
        assert_eq!(rule.path, "secret/data/grade-api/*");
        let source = &rule.sources[0];
        assert_eq!(source.policy, "grade-api");
        let line = source.config_line.unwrap() as usize;
        let text_line = state.config.lines().nth(line - 1).unwrap();
        assert!(text_line.contains("secret/data/grade-api/*"), "{text_line}");
    }

    #[test]
    fn time_overrides_expire_the_token() {
        let mut state = tutorial();
        state.now = "+2h".to_string();
        let evaluation = evaluate(&state, NOW, &EngineCrypto);
        let TokenSummary::Decoded(token) = &evaluation.token else {
            panic!("decoded token expected");
        };
        assert!(matches!(token.validity, Validity::Expired(_)));
        let denial = evaluation.login.as_ref().unwrap().denial().unwrap().clone();
        assert!(denial.message.contains("expired"));
        assert_eq!(
            evaluation.authorization.unwrap_err(),
            "no token: the login was denied"
        );

        state.now = "-1h".to_string();
        let TokenSummary::Decoded(token) = evaluate(&state, NOW, &EngineCrypto).token else {
            panic!("decoded token expected");
        };
        assert!(matches!(token.validity, Validity::NotYetValid(_)));
    }

    #[test]
    fn a_legacy_token_has_no_time_claims() {
        let state = preset("legacy-token");
        let TokenSummary::Decoded(token) = evaluate(&state, NOW, &EngineCrypto).token else {
            panic!("decoded token expected");
        };
        assert_eq!(token.validity, Validity::NoTimeClaims);
        assert!(token.times.is_empty());
    }

    #[test]
    fn broken_configuration_reports_its_line() {
        let mut state = tutorial();
        state.config = "auth \"kubernetes\" {\n  role \"r\" {\n    bound_service_account_names = [\"a\"\n  }\n}\n".to_string();
        let evaluation = evaluate(&state, NOW, &EngineCrypto);
        let error = evaluation.config.unwrap_err();
        assert!(error.location.line >= 3, "{error}");
        assert!(evaluation.login.is_err());
        let TokenSummary::Decoded(token) = evaluation.token else {
            panic!("decoded token expected");
        };
        assert!(matches!(token.signature, SignatureStatus::NotChecked(_)));
    }

    #[test]
    fn a_token_for_other_keys_fails_its_signature() {
        let mut state = tutorial();
        let other_key = include_str!("../../tests/fixtures/keys/ec-p256.pub.pem");
        state.config = crate::minting::trust_key(&state.config, "", other_key).unwrap();
        let TokenSummary::Decoded(token) = evaluate(&state, NOW, &EngineCrypto).token else {
            panic!("decoded token expected");
        };
        assert!(
            matches!(token.signature, SignatureStatus::Failed(ref why) if why.contains("verif")),
            "{:?}",
            token.signature
        );
    }

    #[test]
    fn optional_inputs_report_their_problems_and_garbage_tokens_are_named() {
        let mut state = tutorial();
        state.now = "tomorrow".to_string();
        state.namespace_labels = "team".to_string();
        state.token = "not a token".to_string();
        let evaluation = evaluate(&state, NOW, &EngineCrypto);
        let fields: Vec<&str> = evaluation.input_problems.iter().map(|p| p.field).collect();
        assert_eq!(fields, ["now", "labels"]);
        assert!(matches!(evaluation.token, TokenSummary::Invalid(ref m) if m.contains("three")));
        assert!(evaluation.login.unwrap().denial().is_some());
    }

    #[test]
    fn lint_findings_point_into_the_text() {
        let evaluation = evaluate(&tutorial(), NOW, &EngineCrypto);
        let findings = &evaluation.config.unwrap().findings;
        assert!(
            !findings.is_empty(),
            "the tutorial's blast-radius roles are flagged"
        );
        assert!(findings.iter().all(|f| origin_line(&f.origin).is_some()));
    }
}
