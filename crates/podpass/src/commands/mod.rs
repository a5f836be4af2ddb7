//! One module per subcommand, plus what several share: tokens from arguments and the rendering
//! of login traces and ACL decisions.

pub mod access;
pub mod convert;
pub mod fmt;
pub mod lint;
pub mod server;
pub mod test;
pub mod token;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use podpass_core::acl::Decision;
use podpass_core::configuration::Configuration;
use podpass_core::lint::policy_rule_origin;
use podpass_core::policy_test::{TokenClaims, TokenInput};
use podpass_core::trace::{CheckStatus, Trace};

use crate::cli::TokenArgs;
use crate::files::{InputError, read_text};
use crate::style::{BAD, DIM, GOOD, paint};

/// How a command ended when it ran to completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Success,
    /// Exit 1: a check, test or lint failure.
    Failure,
}

impl Outcome {
    /// Success when `ok`.
    pub fn from_ok(ok: bool) -> Outcome {
        if ok {
            Outcome::Success
        } else {
            Outcome::Failure
        }
    }
}

/// The token the arguments describe, if any.
pub fn token_input(args: &TokenArgs) -> Result<Option<TokenInput>, InputError> {
    if let Some(path) = &args.token {
        let jwt = read_text(path)?.trim().to_string();
        if jwt.is_empty() {
            return Err(InputError::at(path, "the file holds no token"));
        }
        return Ok(Some(TokenInput::Jwt { jwt }));
    }
    if let Some(jwt) = &args.jwt {
        return Ok(Some(TokenInput::Jwt {
            jwt: jwt.trim().to_string(),
        }));
    }
    let Some(claims) = &args.claims else {
        return Ok(None);
    };
    let Some((namespace, service_account)) = claims
        .split_once('/')
        .filter(|(n, s)| !n.is_empty() && !s.is_empty() && !s.contains('/'))
    else {
        return Err(InputError::new(format!(
            "--claims: {claims:?} should be NAMESPACE/SERVICE_ACCOUNT, e.g. grade-api/grade-api-sa"
        )));
    };
    Ok(Some(TokenInput::Claims(Box::new(TokenClaims {
        namespace: namespace.to_string(),
        service_account: service_account.to_string(),
        audiences: (!args.audiences.is_empty()).then(|| args.audiences.clone()),
        issuer: args.issuer.clone(),
        legacy: args.legacy,
        ..TokenClaims::default()
    }))))
}

/// `KEY=VALUE` labels, each `--label` read by the core's
/// [`podpass_core::selector::parse_labels`] (so one may also hold several, comma-separated).
pub fn labels(items: &[String]) -> Result<Option<BTreeMap<String, String>>, InputError> {
    if items.is_empty() {
        return Ok(None);
    }
    let mut labels = BTreeMap::new();
    for item in items {
        let parsed = podpass_core::selector::parse_labels(item)
            .map_err(|e| InputError::new(format!("--label: {e}")))?;
        labels.extend(parsed.unwrap_or_default());
    }
    Ok(Some(labels))
}

/// The trace, one check a line, indented, with coloured symbols.
pub fn render_trace(trace: &Trace, indent: &str) -> String {
    let mut out = String::new();
    for check in trace.checks() {
        let symbol = match check.status {
            CheckStatus::Passed => paint(GOOD, check.status.symbol()),
            CheckStatus::Failed => paint(BAD, check.status.symbol()),
            CheckStatus::Skipped => paint(DIM, check.status.symbol()),
        };
        let _ = writeln!(
            out,
            "{indent}{symbol} {:<21} {}",
            check.id.label(),
            check.reason
        );
    }
    out
}

/// A decision explained: the verdict and reason, where the winning rule is written, what it
/// beat and any hint.
pub fn render_decision(decision: &Decision<'_>, config: &Configuration, indent: &str) -> String {
    let mut out = String::new();
    let verdict = if decision.allowed {
        paint(GOOD, "allowed")
    } else {
        paint(BAD, "denied ")
    };
    let explanation = &decision.explanation;
    let _ = writeln!(
        out,
        "{indent}{verdict}  {} {}: {}",
        explanation.operation,
        explanation.path,
        decision.reason()
    );
    if let Some(rule) = explanation.rule() {
        for source in rule.sources {
            if let Some(location) = rule_location(config, &source.policy, source.line) {
                let _ = writeln!(
                    out,
                    "{indent}         {}",
                    paint(
                        DIM,
                        format!(
                            "rule {:?} of policy {} at {location}",
                            rule.path, source.policy
                        )
                    )
                );
            }
        }
    }
    for beaten in explanation.beaten() {
        let _ = writeln!(
            out,
            "{indent}         {}",
            paint(
                DIM,
                format!(
                    "beats {:?} {}: {}",
                    beaten.path,
                    beaten.capabilities,
                    beaten.lost_on.description()
                )
            )
        );
    }
    for hint in explanation.hints() {
        let _ = writeln!(out, "{indent}         hint: {hint}");
    }
    out
}

/// `file:line` of a policy's path block, when the policy is in the configuration.
pub fn rule_location(config: &Configuration, policy: &str, line: u32) -> Option<String> {
    let entry = config.policy(policy)?;
    let origin = policy_rule_origin(&entry.origin, line);
    (!origin.source.is_empty()).then(|| origin.to_string())
}

/// The display name of a path given on the command line.
pub fn shown(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}
