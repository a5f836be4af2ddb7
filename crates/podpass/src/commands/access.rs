//! `podpass check` (a login explained, then requests with its token) and
//! `podpass capabilities` (what a role's or some policies' token may do on paths).

use std::fmt::Write as _;

use podpass_core::acl::{Acl, Request};
use podpass_core::claims::ServiceAccountClaims;
use podpass_core::configuration::Configuration;
use podpass_core::duration::{format_duration, parse_duration_str};
use podpass_core::login::{LoginOutcome, LoginRequest, LoginResult, sanitize_policies};
use podpass_core::policy_test::{Tester, TokenInput};
use serde_json::{Value, json};

use super::{Outcome, labels, render_decision, render_trace, token_input};
use crate::cli::{CapabilitiesArgs, CheckArgs};
use crate::files::{InputError, load_config, now};
use crate::style::{BAD, BOLD, DIM, GOOD, WARN, paint};

/// `podpass check`.
pub fn check(args: &CheckArgs) -> Result<Outcome, InputError> {
    let imported = load_config(&args.config.config, args.config.from)?;
    let config = &imported.configuration;
    let now = now(args.now.as_deref())?;
    let token = token_input(&args.token)?.ok_or_else(|| {
        InputError::new(
            "which token? give --claims NAMESPACE/SERVICE_ACCOUNT, --jwt JWT or --token FILE"
                .to_string(),
        )
    })?;
    let requests = requests(args)?;
    let tester = Tester::new(config);
    let mount = args.mount.clone().unwrap_or_else(|| tester.default_mount());
    let request = LoginRequest {
        role: args.role.clone(),
        jwt: String::new(),
        remote_addr: args.remote_addr.clone(),
        namespace_labels: labels(&args.labels)?,
        now,
    };
    let result = tester
        .login(&mount, &request, &token)
        .map_err(|e| InputError::new(format!("{}: {e}", args.config.config.display())))?;
    let acl = match result.success() {
        Some(success) => Some(config.acl_for_login(success).map_err(|e| {
            InputError::new(format!(
                "{}: the token's policies cannot be combined: {e}",
                args.config.config.display()
            ))
        })?),
        None => None,
    };
    let decisions: Vec<_> = acl
        .as_ref()
        .map(|acl| requests.iter().map(|r| acl.authorize(r)).collect())
        .unwrap_or_default();
    let missing: Vec<String> = result
        .success()
        .map(|s| {
            config
                .missing_policies(&s.policies)
                .into_iter()
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let ok = result.success().is_some() && decisions.iter().all(|d| d.allowed);

    if args.json {
        let value = json!({
            "mount": mount,
            "role": args.role,
            "now": now,
            "token": describe_token(&token),
            "login": result,
            "missing_policies": missing,
            "requests": decisions,
            "ok": ok,
        });
        print_json(&value)?;
        return Ok(Outcome::from_ok(ok));
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} on auth/{}/ with {}",
        paint(BOLD, format!("role {}", args.role)),
        mount.trim_matches('/'),
        describe_token(&token)
    );
    render_login(&mut out, &result);
    for name in &missing {
        let _ = writeln!(
            out,
            "{}  policy {name} is not defined in this configuration: Vault attaches it, and it grants nothing",
            paint(WARN, "note")
        );
    }
    out.push('\n');
    out.push_str(&render_trace(&result.trace, ""));
    if !requests.is_empty() {
        out.push('\n');
        if acl.is_none() {
            let _ = writeln!(
                out,
                "{}",
                paint(DIM, "no token was issued, so no request was checked")
            );
        }
        for decision in &decisions {
            out.push_str(&render_decision(decision, config, ""));
        }
    }
    anstream::print!("{out}");
    Ok(Outcome::from_ok(ok))
}

fn requests(args: &CheckArgs) -> Result<Vec<Request>, InputError> {
    let parameters = match &args.parameters {
        None => None,
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Some(map),
            Ok(_) => return Err(InputError::new("--parameters: expected a JSON object")),
            Err(e) => {
                return Err(InputError::new(format!(
                    "--parameters: line {}, column {}: {e}",
                    e.line(),
                    e.column()
                )));
            }
        },
    };
    let wrap_ttl = match &args.wrap_ttl {
        None => None,
        Some(text) => Some(
            parse_duration_str(text)
                .ok()
                .and_then(|s| u64::try_from(s).ok())
                .ok_or_else(|| InputError::new(format!("--wrap-ttl: invalid duration {text:?}")))?,
        ),
    };
    Ok(args
        .paths
        .iter()
        .map(|path| Request {
            operation: args.operation,
            path: path.clone(),
            parameters: parameters.clone(),
            wrap_ttl,
            root_protected: args.sudo,
        })
        .collect())
}

/// `token for grade-api/grade-api-sa (signed by podpass's test key)`.
fn describe_token(token: &TokenInput) -> String {
    match token {
        TokenInput::Claims(claims) => format!(
            "a token for {}/{} (signed with podpass's test key)",
            claims.namespace, claims.service_account
        ),
        TokenInput::Jwt { jwt } => match podpass_core::jwt::decode(jwt) {
            Ok(decoded) => match ServiceAccountClaims::from_claims(&decoded.claims) {
                Ok(sa) => format!(
                    "a {} token for {}/{}",
                    decoded.algorithm, sa.namespace, sa.name
                ),
                Err(_) => format!("a {} token", decoded.algorithm),
            },
            Err(_) => "an unreadable token".to_string(),
        },
    }
}

fn render_login(out: &mut String, result: &LoginResult) {
    match &result.outcome {
        LoginOutcome::Allowed(success) => {
            let max = if success.max_ttl > 0 {
                format!(", max {}", format_duration(success.max_ttl))
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "{}  policies [{}], ttl {}{max}, {} token{}",
                paint(GOOD, "ALLOWED"),
                success.policies.join(", "),
                format_duration(success.lease_duration),
                success.token_type.issued_name(),
                if success.renewable { ", renewable" } else { "" }
            );
            if let Some(alias) = success.alias() {
                let _ = writeln!(
                    out,
                    "{}",
                    paint(DIM, format!("         entity alias {}", alias.name))
                );
            }
            for warning in &success.warnings {
                let _ = writeln!(out, "{}  {warning}", paint(WARN, "warning"));
            }
        }
        LoginOutcome::Denied(denial) => {
            let _ = writeln!(
                out,
                "{}   {} {}",
                paint(BAD, "DENIED"),
                denial.status,
                denial.message
            );
        }
    }
}

fn print_json(value: &Value) -> Result<(), InputError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| InputError::new(format!("cannot render JSON: {e}")))?;
    anstream::println!("{text}");
    Ok(())
}

/// `podpass capabilities`.
pub fn capabilities(args: &CapabilitiesArgs) -> Result<Outcome, InputError> {
    let imported = load_config(&args.config.config, args.config.from)?;
    let config = &imported.configuration;
    let token = token_input(&args.token)?;
    let shown = args.config.config.display();
    let (policies, acl, login) = match &args.role {
        Some(role) => role_acl(config, args, role, token.as_ref())?,
        None => {
            if token.is_some() {
                return Err(InputError::new(
                    "a token logs in on a role: give --role with --claims, --jwt or --token",
                ));
            }
            let acl = config
                .acl_for_policies(&args.policies, None)
                .map_err(|e| InputError::new(format!("{shown}: {e}")))?;
            (args.policies.clone(), Some(acl), None)
        }
    };
    let Some(acl) = acl else {
        // The login was denied: there is no token to ask about.
        if let Some(result) = login {
            if args.json {
                print_json(&json!({ "login": result }))?;
            } else {
                let mut out = String::new();
                render_login(&mut out, &result);
                out.push_str(&render_trace(&result.trace, ""));
                anstream::print!("{out}");
            }
        }
        return Ok(Outcome::Failure);
    };
    let answers: Vec<(String, Vec<String>)> = args
        .paths
        .iter()
        .map(|p| (p.clone(), acl.capabilities(p)))
        .collect();
    let missing: Vec<&str> = config.missing_policies(&policies);
    if args.json {
        let map: serde_json::Map<String, Value> =
            answers.iter().map(|(p, c)| (p.clone(), json!(c))).collect();
        print_json(&json!({
            "policies": policies,
            "missing_policies": missing,
            "dropped_paths": acl.dropped_paths(),
            "capabilities": map,
        }))?;
        return Ok(Outcome::Success);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        paint(DIM, format!("policies [{}]", policies.join(", ")))
    );
    for name in &missing {
        let _ = writeln!(
            out,
            "{}  policy {name} is not defined in this configuration; it grants nothing",
            paint(WARN, "note")
        );
    }
    // The default policy's identity paths are always dropped without a login: not news.
    for dropped in acl.dropped_paths().iter().filter(|d| d.policy != "default") {
        let _ = writeln!(
            out,
            "{}  path {:?} of policy {} is left out: {} (give a token to fill templates)",
            paint(WARN, "note"),
            dropped.path,
            dropped.policy,
            dropped.reason
        );
    }
    let width = answers.iter().map(|(p, _)| p.len()).max().unwrap_or(0);
    for (path, caps) in &answers {
        let style = if caps.iter().any(|c| c == "deny") {
            BAD
        } else {
            GOOD
        };
        let _ = writeln!(out, "{path:<width$}  {}", paint(style, caps.join(", ")));
    }
    anstream::print!("{out}");
    Ok(Outcome::Success)
}

type RoleAcl = (Vec<String>, Option<Acl>, Option<LoginResult>);

fn role_acl(
    config: &Configuration,
    args: &CapabilitiesArgs,
    role: &str,
    token: Option<&TokenInput>,
) -> Result<RoleAcl, InputError> {
    let shown = args.config.config.display();
    let tester = Tester::new(config);
    let mount = args.mount.clone().unwrap_or_else(|| tester.default_mount());
    if let Some(token) = token {
        let request = LoginRequest {
            role: role.to_string(),
            now: now(args.now.as_deref())?,
            ..LoginRequest::default()
        };
        let result = tester
            .login(&mount, &request, token)
            .map_err(|e| InputError::new(format!("{shown}: {e}")))?;
        let Some(success) = result.success() else {
            return Ok((Vec::new(), None, Some(result)));
        };
        let acl = config
            .acl_for_login(success)
            .map_err(|e| InputError::new(format!("{shown}: {e}")))?;
        return Ok((success.policies.clone(), Some(acl), Some(result)));
    }
    let found = config
        .mount(&mount)
        .ok_or_else(|| {
            InputError::new(format!(
                "{shown}: no Kubernetes auth mount at auth/{mount}/"
            ))
        })?
        .role(role)
        .ok_or_else(|| InputError::new(format!("{shown}: no role {role:?} on auth/{mount}/")))?;
    let policies = sanitize_policies(&found.token.policies, !found.token.no_default_policy);
    let acl = config
        .acl_for_policies(&policies, None)
        .map_err(|e| InputError::new(format!("{shown}: {e}")))?;
    Ok((policies, Some(acl), None))
}
