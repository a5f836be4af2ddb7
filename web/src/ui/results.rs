//! The right pane: status at a glance (login, signature, time), then the login's details and
//! trace, the path's decision, the decoded token, lint findings and import notes.

use podpass_core::lint::Finding;
use podpass_core::login::{LoginOutcome, LoginResult};
use podpass_core::trace::CheckStatus;
use yew::prelude::*;

use super::inputs::severity_label;
use super::{App, Msg};
use crate::evaluate::{
    Authorization, DecodedToken, RuleLocation, RuleSummary, SignatureStatus, TokenSummary,
    Validity, origin_line,
};
use crate::format;

pub(super) fn view(app: &App, ctx: &Context<App>) -> Html {
    html! {
        <>
        { status_strip(app) }
        { getting_started(app, ctx) }
        { login_details(app) }
        { authorization(app, ctx) }
        { token_details(app) }
        { findings(app, ctx) }
        </>
    }
}

/// One of the three tiles at the top.
fn tile(
    id: &'static str,
    title: &'static str,
    tone: &'static str,
    icon: &'static str,
    word: String,
    detail: String,
) -> Html {
    html! {
        <div id={id} class={classes!("tile", tone)}>
            <span class="tile-title">{title}</span>
            <span class="tile-word"><span class="icon" aria-hidden="true">{icon}</span>{word}</span>
            <span class="tile-detail">{detail}</span>
        </div>
    }
}

fn status_strip(app: &App) -> Html {
    let login = match &app.evaluation.login {
        Ok(result) => match &result.outcome {
            LoginOutcome::Allowed(success) => tile(
                "login-status",
                "Login",
                "pass",
                "✓",
                "Allowed".to_string(),
                format!(
                    "policies [{}], TTL {}",
                    success.policies.join(", "),
                    format::ttl(success.lease_duration)
                ),
            ),
            LoginOutcome::Denied(denial) => tile(
                "login-status",
                "Login",
                "fail",
                "✗",
                "Denied".to_string(),
                format!("{} {}", denial.status, denial.message),
            ),
        },
        Err(why) => tile(
            "login-status",
            "Login",
            "idle",
            "–",
            "Not evaluated".to_string(),
            why.clone(),
        ),
    };
    let (signature, time) = match &app.evaluation.token {
        TokenSummary::Decoded(token) => {
            (signature_tile(token), time_tile(token, app.evaluation.now))
        }
        TokenSummary::Empty => (
            tile(
                "signature-status",
                "Signature",
                "idle",
                "–",
                "No token".to_string(),
                "paste or mint one".to_string(),
            ),
            tile(
                "time-status",
                "Expiry",
                "idle",
                "–",
                "No token".to_string(),
                String::new(),
            ),
        ),
        TokenSummary::Invalid(why) => (
            tile(
                "signature-status",
                "Signature",
                "fail",
                "✗",
                "Not a JWT".to_string(),
                why.clone(),
            ),
            tile(
                "time-status",
                "Expiry",
                "idle",
                "–",
                "Unknown".to_string(),
                String::new(),
            ),
        ),
    };
    html! {
        <div class="status-strip">
            { login }
            { signature }
            { time }
        </div>
    }
}

fn signature_tile(token: &DecodedToken) -> Html {
    match &token.signature {
        SignatureStatus::Verified(how) => tile(
            "signature-status",
            "Signature",
            "pass",
            "✓",
            "Verified".to_string(),
            format!("{}: {how}", token.algorithm),
        ),
        SignatureStatus::Failed(why) => tile(
            "signature-status",
            "Signature",
            "fail",
            "✗",
            "Failed".to_string(),
            why.clone(),
        ),
        SignatureStatus::NotChecked(why) => tile(
            "signature-status",
            "Signature",
            "warn",
            "?",
            "Not checked".to_string(),
            why.clone(),
        ),
        SignatureStatus::Checking => tile(
            "signature-status",
            "Signature",
            "idle",
            "…",
            "Checking".to_string(),
            "the browser's WebCrypto is verifying it".to_string(),
        ),
    }
}

fn time_tile(token: &DecodedToken, now: i64) -> Html {
    let exp = token.times.iter().find(|t| t.name == "exp").map(|t| t.at);
    match &token.validity {
        Validity::Valid(_) => tile(
            "time-status",
            "Expiry",
            "pass",
            "✓",
            "Valid".to_string(),
            exp.map(|at| format!("expires {}", format::relative(at, now)))
                .unwrap_or_else(|| "no exp claim".to_string()),
        ),
        Validity::Expired(why) => tile(
            "time-status",
            "Expiry",
            "fail",
            "✗",
            "Expired".to_string(),
            why.clone(),
        ),
        Validity::NotYetValid(why) => tile(
            "time-status",
            "Expiry",
            "fail",
            "✗",
            "Not yet valid".to_string(),
            why.clone(),
        ),
        Validity::NoTimeClaims => tile(
            "time-status",
            "Expiry",
            "warn",
            "∞",
            "Never expires".to_string(),
            "no exp, nbf or iat: a legacy token".to_string(),
        ),
        Validity::Unknown(why) => tile(
            "time-status",
            "Expiry",
            "warn",
            "?",
            "Unknown".to_string(),
            why.clone(),
        ),
    }
}

fn login_details(app: &App) -> Html {
    let Ok(result) = &app.evaluation.login else {
        return html! {};
    };
    html! {
        <section class="card" aria-labelledby="outcome-heading">
            <div class="card-head"><h2 id="outcome-heading">{"Login outcome"}</h2></div>
            { outcome(result) }
            <h3>{"Check by check"}</h3>
            <ol id="trace" class="trace">
                { for result.trace.checks().iter().map(|check| {
                    let (icon, word, class) = match check.status {
                        CheckStatus::Passed => ("✓", "pass", "pass"),
                        CheckStatus::Failed => ("✗", "fail", "fail"),
                        CheckStatus::Skipped => ("–", "skip", "skip"),
                    };
                    html! {
                        <li class={class}>
                            <span class="status"><span aria-hidden="true">{icon}</span>{format!(" {word}")}</span>
                            <span class="check">{check.id.label()}</span>
                            <span class="reason">{check.reason.to_string()}</span>
                        </li>
                    }
                }) }
            </ol>
        </section>
    }
}

fn outcome(result: &LoginResult) -> Html {
    match &result.outcome {
        LoginOutcome::Denied(denial) => html! {
            <div id="outcome" class="outcome fail">
                <p class="verdict"><span aria-hidden="true">{"✗ "}</span>{"Denied"}</p>
                <p>{"Vault answers "}<strong>{format!("HTTP {}", denial.status)}</strong>{": "}<code id="denial-message">{denial.message.clone()}</code></p>
                if let Some(check) = denial.check {
                    <p class="muted">{format!("Decided by the {} check.", check.label())}</p>
                }
            </div>
        },
        LoginOutcome::Allowed(success) => {
            let alias = success.alias().map(|a| a.name.clone()).unwrap_or_default();
            html! {
                <div id="outcome" class="outcome pass">
                    <p class="verdict"><span aria-hidden="true">{"✓ "}</span>{"Allowed"}</p>
                    <dl class="facts">
                        <dt>{"Policies"}</dt>
                        <dd id="policies">{ for success.policies.iter().map(|p| html! { <span class="chip">{p.clone()}</span> }) }</dd>
                        <dt>{"TTL"}</dt>
                        <dd id="ttl">{format::ttl(success.lease_duration)}</dd>
                        <dt>{"Max TTL"}</dt>
                        <dd id="max-ttl">{format::ttl(success.max_ttl)}</dd>
                        <dt>{"Token"}</dt>
                        <dd>{format!("{}{}{}",
                            success.token_type.issued_name(),
                            if success.renewable { ", renewable" } else { ", not renewable" },
                            if success.period > 0 { format!(", periodic {}", format::ttl(success.period)) } else { String::new() })}</dd>
                        <dt>{"Display name"}</dt>
                        <dd><code>{success.display_name.clone()}</code></dd>
                        <dt>{"Entity alias"}</dt>
                        <dd><code>{alias}</code></dd>
                        if !success.bound_cidrs.is_empty() {
                            <dt>{"Bound CIDRs"}</dt>
                            <dd>{success.bound_cidrs.as_strings().join(", ")}</dd>
                        }
                    </dl>
                    <details class="metadata">
                        <summary>{format!("Metadata ({} keys)", success.metadata.len())}</summary>
                        <table>
                            <thead><tr><th scope="col">{"key"}</th><th scope="col">{"value"}</th></tr></thead>
                            <tbody>
                                { for success.metadata.iter().map(|(k, v)| html! { <tr><td><code>{k.clone()}</code></td><td><code>{v.clone()}</code></td></tr> }) }
                            </tbody>
                        </table>
                    </details>
                    { for success.warnings.iter().map(|w| html! {
                        <p class="notice problem"><span aria-hidden="true">{"⚠ "}</span>{format!("Vault warns: {w}")}</p>
                    }) }
                </div>
            }
        }
    }
}

fn line_button(ctx: &Context<App>, line: u32, text: String) -> Html {
    html! {
        <button class="link" title="Show this line in the configuration" onclick={ctx.link().callback(move |_| Msg::GoToLine(line))}>{text}</button>
    }
}

fn locations(ctx: &Context<App>, sources: &[RuleLocation]) -> Html {
    html! {
        { for sources.iter().map(|s| {
            let label = format!("policy {} line {}", s.policy, s.policy_line);
            match s.config_line {
                Some(line) => html! { <span class="source">{line_button(ctx, line, format!("{label} (config line {line})"))}</span> },
                None => html! { <span class="source">{format!("{label} (built in)")}</span> },
            }
        }) }
    }
}

fn rule(ctx: &Context<App>, rule: &RuleSummary) -> Html {
    html! {
        <>
            <code>{format!("path {:?}", rule.path)}</code>
            {" "}<span class="caps">{rule.capabilities.clone()}</span>
            {" — "}{ locations(ctx, &rule.sources) }
        </>
    }
}

fn authorization(app: &App, ctx: &Context<App>) -> Html {
    let body = match &app.evaluation.authorization {
        Err(why) => html! { <p id="authz" class="muted">{why.clone()}</p> },
        Ok(decision) => decision_view(ctx, decision),
    };
    html! {
        <section class="card" aria-labelledby="authz-heading">
            <div class="card-head"><h2 id="authz-heading">{"Request with the issued token"}</h2></div>
            { body }
        </section>
    }
}

fn decision_view(ctx: &Context<App>, d: &Authorization) -> Html {
    let (class, icon, word) = if d.allowed {
        ("pass", "✓", "Allowed")
    } else {
        ("fail", "✗", "Denied")
    };
    html! {
        <div id="authz" class={classes!("outcome", class)}>
            <p class="verdict"><span aria-hidden="true">{format!("{icon} ")}</span>{word}
                <span class="verdict-detail">{format!(" {} {}", d.operation, d.path)}</span></p>
            <p id="authz-reason">{d.reason.clone()}</p>
            <dl class="facts">
                <dt>{"Capabilities"}</dt>
                <dd id="capabilities">{ for d.capabilities.iter().map(|c| html! { <span class="chip">{c.clone()}</span> }) }</dd>
                if let Some(winner) = &d.rule {
                    <dt>{"Decided by"}</dt>
                    <dd>{ rule(ctx, winner) }</dd>
                }
            </dl>
            if !d.beaten.is_empty() {
                <h3>{"Rules it beat"}</h3>
                <ul class="beaten">
                    { for d.beaten.iter().map(|b| html! { <li>{ rule(ctx, &b.rule) }<br/><span class="muted">{b.why.clone()}</span></li> }) }
                </ul>
            }
            { for d.hints.iter().map(|h| html! { <p class="notice hint"><span aria-hidden="true">{"ℹ "}</span>{h.clone()}</p> }) }
        </div>
    }
}

fn token_details(app: &App) -> Html {
    let TokenSummary::Decoded(token) = &app.evaluation.token else {
        return html! {};
    };
    let now = app.evaluation.now;
    html! {
        <section class="card" aria-labelledby="decoded-heading">
            <div class="card-head">
                <h2 id="decoded-heading">{"Decoded token"}</h2>
                if let Some(who) = &token.service_account {
                    <span class="badge">{format!("service account {who}")}</span>
                }
            </div>
            if !token.times.is_empty() {
                <table class="times">
                    <thead><tr><th scope="col">{"claim"}</th><th scope="col">{"date"}</th><th scope="col">{"relative to now"}</th></tr></thead>
                    <tbody>
                        { for token.times.iter().map(|t| html! {
                            <tr>
                                <th scope="row"><code>{t.name}</code></th>
                                <td>{format::date(t.at)}</td>
                                <td>{format::relative(t.at, now)}</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
            <p class="muted">{format!("Now is {} ({}).", format::date(now), if app.state.now.trim().is_empty() { "the clock" } else { "overridden" })}</p>
            <div class="json-pair">
                <div>
                    <h3>{"Header"}</h3>
                    <pre id="token-header" class="json">{token.header.clone()}</pre>
                </div>
                <div>
                    <h3>{"Claims"}</h3>
                    <pre id="token-claims" class="json">{token.claims.clone()}</pre>
                </div>
            </div>
        </section>
    }
}

fn findings(app: &App, ctx: &Context<App>) -> Html {
    let Ok(config) = &app.evaluation.config else {
        return html! {};
    };
    html! {
        <section class="card" aria-labelledby="lint-heading">
            <div class="card-head">
                <h2 id="lint-heading">{"Lint findings"}</h2>
                <span class="badge">{format!("{} found", config.findings.len())}</span>
            </div>
            if config.findings.is_empty() {
                <p class="muted"><span aria-hidden="true">{"✓ "}</span>{"No findings."}</p>
            }
            <ul id="findings" class="findings">
                { for config.findings.iter().take(SHOWN_FINDINGS).map(|f| finding(ctx, f)) }
            </ul>
            if config.findings.len() > SHOWN_FINDINGS {
                <details class="more-findings">
                    <summary>{format!("Show {} more", config.findings.len() - SHOWN_FINDINGS)}</summary>
                    <ul class="findings">
                        { for config.findings.iter().skip(SHOWN_FINDINGS).map(|f| finding(ctx, f)) }
                    </ul>
                </details>
            }
            if !config.notes.is_empty() {
                <h3>{"Import notes"}</h3>
                <ul class="notes">
                    { for config.notes.iter().map(|n| html! { <li>{line_button(ctx, n.line, format!("line {}", n.line))}{format!(": {}", n.message)}</li> }) }
                </ul>
            }
        </section>
    }
}

/// Findings listed before the rest is folded away.
const SHOWN_FINDINGS: usize = 4;

fn finding(ctx: &Context<App>, f: &Finding) -> Html {
    let (icon, word) = severity_label(f.severity);
    html! {
        <li class={word}>
            <span class="status"><span aria-hidden="true">{icon}</span>{format!(" {word}")}</span>
            <div>
                <p class="finding-head">
                    <strong>{f.subject.clone()}</strong>
                    <span class="meta"><code>{f.rule}</code>{" · "}
                        { match origin_line(&f.origin) {
                            Some(line) => line_button(ctx, line, format!("line {line}")),
                            None => html! { {f.origin.to_string()} },
                        } }
                    </span>
                </p>
                <p>{f.message.clone()}</p>
                if !f.hint.is_empty() { <p class="muted hint-text">{format!("Fix: {}", f.hint)}</p> }
            </div>
        </li>
    }
}

/// What an empty playground offers instead of results.
fn getting_started(app: &App, ctx: &Context<App>) -> Html {
    if !app.state.config.trim().is_empty() || !app.state.token.trim().is_empty() {
        return html! {};
    }
    html! {
        <section id="getting-started" class="card" aria-labelledby="start-heading">
            <div class="card-head"><h2 id="start-heading">{"Getting started"}</h2></div>
            <ol class="steps">
                <li>{"Paste a configuration on the left: the tutorial's "}<code>{"vault"}</code>{" commands, a podpass.hcl file or Vault API JSON."}</li>
                <li>{"Paste a service-account token (from a pod: "}<code>{"/var/run/secrets/kubernetes.io/serviceaccount/token"}</code>{"), or mint a test token."}</li>
                <li>{"Choose the role the login names, and a path to try with the issued token."}</li>
            </ol>
            <button class="primary" onclick={ctx.link().callback(|_| Msg::LoadPresetNamed("tutorial"))}>{"Load the tutorial scenario"}</button>
        </section>
    }
}
