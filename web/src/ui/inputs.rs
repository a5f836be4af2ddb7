//! The left pane: configuration, token (with the mint form), login options and the path.

use std::collections::BTreeSet;
use std::rc::Rc;

use podpass_core::acl::Operation;
use podpass_core::diagnostic::Diagnostic;
use podpass_core::lint::Severity;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::{App, Field, Msg, Notice};
use crate::evaluate::origin_line;
use crate::state::KeyChoice;

pub(super) fn view(app: &App, ctx: &Context<App>) -> Html {
    html! {
        <>
        { config_editor(app, ctx) }
        { token_input(app, ctx) }
        { login_options(app, ctx) }
        { path_input(app, ctx) }
        </>
    }
}

/// A callback that stores a text input's value into `field`.
fn on_text(ctx: &Context<App>, field: Field) -> Callback<InputEvent> {
    ctx.link().callback(move |e: InputEvent| {
        Msg::Edit(field, e.target_unchecked_into::<HtmlInputElement>().value())
    })
}

fn on_area(ctx: &Context<App>, field: Field) -> Callback<InputEvent> {
    ctx.link().callback(move |e: InputEvent| {
        Msg::Edit(
            field,
            e.target_unchecked_into::<HtmlTextAreaElement>().value(),
        )
    })
}

fn on_select(ctx: &Context<App>, field: Field) -> Callback<Event> {
    ctx.link().callback(move |e: Event| {
        Msg::Edit(
            field,
            e.target_unchecked_into::<HtmlSelectElement>().value(),
        )
    })
}

/// A labelled one-line text input, with optional help and a problem to show under it.
struct TextField<'a> {
    id: &'static str,
    label: &'static str,
    value: &'a str,
    field: Field,
    placeholder: &'static str,
    help: Option<&'static str>,
    problem: Option<&'a str>,
}

impl<'a> TextField<'a> {
    fn new(
        id: &'static str,
        label: &'static str,
        value: &'a str,
        field: Field,
        placeholder: &'static str,
    ) -> Self {
        TextField {
            id,
            label,
            value,
            field,
            placeholder,
            help: None,
            problem: None,
        }
    }

    fn help(mut self, help: &'static str) -> Self {
        self.help = Some(help);
        self
    }

    fn problem(mut self, problem: Option<&'a str>) -> Self {
        self.problem = problem;
        self
    }

    fn view(self, ctx: &Context<App>) -> Html {
        let id = self.id;
        let help_id = format!("{id}-help");
        html! {
            <div class="field">
                <label for={id}>{self.label}</label>
                <input id={id} type="text" value={self.value.to_string()} placeholder={self.placeholder}
                    spellcheck="false" autocomplete="off"
                    aria-invalid={if self.problem.is_some() { "true" } else { "false" }}
                    aria-describedby={self.help.map(|_| help_id.clone())}
                    oninput={on_text(ctx, self.field)} />
                if let Some(help) = self.help { <p id={help_id} class="help">{help}</p> }
                if let Some(problem) = self.problem {
                    <p class="field-problem" role="alert"><span aria-hidden="true">{"⚠ "}</span>{problem.to_string()}</p>
                }
            </div>
        }
    }
}

fn config_editor(app: &App, ctx: &Context<App>) -> Html {
    let text = &app.state.config;
    let (error_line, status) = match &app.evaluation.config {
        Ok(_) if text.trim().is_empty() => (None, html! { <span class="badge">{"empty"}</span> }),
        Ok(summary) => (
            None,
            html! { <span class="badge ok" id="config-format"><span aria-hidden="true">{"✓ "}</span>{format!("read as {}", summary.format)}</span> },
        ),
        Err(error) => (
            error.diagnostic().location().map(|at| at.line),
            html! { <span class="badge fail"><span aria-hidden="true">{"✗ "}</span>{"does not read"}</span> },
        ),
    };
    // Inserted one by one: collecting into a set would compile a sort of its own.
    let mut finding_lines = BTreeSet::new();
    if let Ok(config) = &app.evaluation.config {
        for finding in &config.findings {
            finding_lines.extend(origin_line(&finding.origin));
        }
    }
    let finding_lines = Rc::new(finding_lines);
    let error = match &app.evaluation.config {
        Err(error) => diagnostic_box(ctx, &error.diagnostic(), "config-error"),
        Ok(_) => html! {},
    };
    html! {
        <section class="card" aria-labelledby="config-heading">
            <div class="card-head">
                <h2 id="config-heading"><label for="config">{"Configuration"}</label></h2>
                { status }
            </div>
            <p class="help" id="config-help">{"The tutorial's vault commands, a podpass.hcl file or Vault API JSON — detected automatically."}</p>
            <Editor text={AttrValue::from(text.clone())} {error_line} {finding_lines}
                editor={app.editor.clone()} oninput={on_area(ctx, Field::Config)} />
            { error }
        </section>
    }
}

/// The configuration editor's height of one line, in pixels (`.gutter` and `textarea` in
/// style.css).
const LINE_PX: i32 = 20;
/// Gutter lines drawn around the visible ones: the window moves in steps of this many.
const GUTTER_STEP: u32 = 100;

/// What the configuration editor draws.
#[derive(Properties, PartialEq)]
struct EditorProps {
    text: AttrValue,
    error_line: Option<u32>,
    finding_lines: Rc<BTreeSet<u32>>,
    editor: NodeRef,
    oninput: Callback<InputEvent>,
}

/// The configuration's textarea with a gutter of line numbers and marks. The gutter draws only
/// the lines around the visible ones (spacers stand for the rest), so a text of 300,000 lines
/// costs a few hundred elements, not one per line; scrolling redraws it only when the view
/// leaves the drawn window.
#[function_component(Editor)]
fn editor(props: &EditorProps) -> Html {
    let line_count = u32::try_from(props.text.bytes().filter(|&b| b == b'\n').count())
        .unwrap_or(u32::MAX)
        .saturating_add(1);
    let window_start = use_state_eq(|| 0u32);
    let gutter = use_node_ref();
    // The textarea is left uncontrolled: setting `value` on every render would make the browser
    // lay out the whole text again after each keystroke. Only a text that differs from what it
    // holds (a preset, a restore, Clear all) is written into it.
    {
        let area = props.editor.clone();
        use_effect_with(props.text.clone(), move |text| {
            if let Some(area) = area.cast::<HtmlTextAreaElement>()
                && area.value() != text.as_str()
            {
                area.set_value(text);
            }
        });
    }
    let on_scroll = {
        let gutter = gutter.clone();
        let window_start = window_start.clone();
        Callback::from(move |e: Event| {
            let area = e.target_unchecked_into::<HtmlTextAreaElement>();
            if let Some(gutter) = gutter.cast::<web_sys::Element>() {
                gutter.set_scroll_top(area.scroll_top());
            }
            let top_line = u32::try_from(area.scroll_top() / LINE_PX).unwrap_or(0);
            window_start.set((top_line / GUTTER_STEP).saturating_sub(1) * GUTTER_STEP);
        })
    };
    let first = (*window_start).min(line_count.saturating_sub(1)) + 1;
    let last = line_count.min(first.saturating_add(4 * GUTTER_STEP));
    let spacer = |lines: u32| {
        let height = i64::from(lines) * i64::from(LINE_PX);
        html! { <div class="spacer" style={format!("height: {height}px")}></div> }
    };
    html! {
        <div class={classes!("editor", props.error_line.map(|_| "has-error"))}>
            <div class="gutter" aria-hidden="true" ref={gutter}>
                { spacer(first - 1) }
                { for (first..=last).map(|n| {
                    let class = if Some(n) == props.error_line {
                        "error"
                    } else if props.finding_lines.contains(&n) {
                        "finding"
                    } else {
                        ""
                    };
                    let mark = match class { "error" => "✗ ", "finding" => "⚑ ", _ => "" };
                    html! { <div class={class} data-line={n.to_string()}>{mark}{n}</div> }
                }) }
                { spacer(line_count - last) }
            </div>
            <textarea id="config" ref={props.editor.clone()} wrap="off" spellcheck="false"
                autocomplete="off" aria-describedby="config-help"
                aria-invalid={if props.error_line.is_some() { "true" } else { "false" }}
                oninput={props.oninput.clone()}
                onscroll={on_scroll} />
        </div>
    }
}

fn token_input(app: &App, ctx: &Context<App>) -> Html {
    let form = &app.state.mint;
    let link = ctx.link();
    let notice = match &app.mint_notice {
        Some(Notice::Done(text)) => {
            html! { <p id="mint-notice" class="notice info"><span aria-hidden="true">{"✓ "}</span>{text}</p> }
        }
        Some(Notice::Busy(text)) => {
            html! { <p id="mint-notice" class="notice info"><span aria-hidden="true">{"… "}</span>{text}</p> }
        }
        Some(Notice::Problem(text)) => {
            html! { <p id="mint-notice" class="notice problem" role="alert"><span aria-hidden="true">{"⚠ "}</span>{text}</p> }
        }
        None => html! {},
    };
    html! {
        <section class="card" aria-labelledby="token-heading">
            <div class="card-head">
                <h2 id="token-heading"><label for="token">{"Service-account token"}</label></h2>
            </div>
            <textarea id="token" class="token" rows="4" spellcheck="false" autocomplete="off"
                placeholder="eyJhbGciOi… (paste a JWT: it is decoded here and never sent anywhere)"
                value={app.state.token.clone()} oninput={on_area(ctx, Field::Token)} />
            <details class="mint" open=true>
                <summary>{"Mint a test token"}</summary>
                <div class="grid2">
                    { TextField::new("mint-namespace", "Namespace", &form.namespace, Field::MintNamespace, "grade-api").view(ctx) }
                    { TextField::new("mint-service-account", "Service account", &form.service_account, Field::MintServiceAccount, "grade-api-sa").view(ctx) }
                    { TextField::new("mint-audience", "Audience", &form.audience, Field::MintAudience, "none (e.g. vault)").view(ctx) }
                    { TextField::new("mint-ttl", "Lifetime", &form.ttl, Field::MintTtl, "1h").view(ctx) }
                </div>
                <fieldset class="key-choice">
                    <legend>{"Sign with"}</legend>
                    <label>
                        <input type="radio" name="mint-key" id="mint-key-demo" checked={form.key == KeyChoice::Demo}
                            onchange={link.callback(|_| Msg::ChooseKey(KeyChoice::Demo))} />
                        {" the demo key (published; the presets trust it)"}
                    </label>
                    <label>
                        <input type="radio" name="mint-key" id="mint-key-browser" checked={form.key == KeyChoice::Browser}
                            onchange={link.callback(|_| Msg::ChooseKey(KeyChoice::Browser))} />
                        {" a new key made in this browser (becomes the mount's pem_keys)"}
                    </label>
                </fieldset>
                <button id="mint" class="primary" onclick={link.callback(|_| Msg::Mint)}>{"Mint token"}</button>
                { notice }
            </details>
        </section>
    }
}

fn login_options(app: &App, ctx: &Context<App>) -> Html {
    let state = &app.state;
    let (roles, mounts) = match &app.evaluation.config {
        Ok(summary) => (summary.roles.clone(), summary.mounts.clone()),
        Err(_) => (Vec::new(), Vec::new()),
    };
    let problem = |field: &str| {
        app.evaluation
            .input_problems
            .iter()
            .find(|p| p.field == field)
            .map(|p| p.message.clone())
    };
    let now_problem = problem("now");
    let labels_problem = problem("labels");
    let mut role_options = roles.clone();
    if !state.role.is_empty() && !role_options.contains(&state.role) {
        role_options.push(state.role.clone());
    }
    html! {
        <section class="card" aria-labelledby="login-heading">
            <div class="card-head"><h2 id="login-heading">{"Login"}</h2></div>
            <div class="grid2">
                if mounts.len() > 1 {
                    <div class="field">
                        <label for="mount">{"Auth mount"}</label>
                        <select id="mount" onchange={on_select(ctx, Field::Mount)}>
                            { for mounts.iter().map(|m| html! {
                                <option value={m.clone()} selected={*m == state.mount}>{format!("auth/{m}")}</option>
                            }) }
                        </select>
                    </div>
                }
                <div class="field">
                    <label for="role">{"Role"}</label>
                    <select id="role" onchange={on_select(ctx, Field::Role)}>
                        <option value="" selected={state.role.is_empty()}>{"— choose a role —"}</option>
                        { for role_options.iter().map(|r| {
                            let missing = !roles.contains(r);
                            html! {
                                <option value={r.clone()} selected={*r == state.role}>
                                    {if missing { format!("{r} (not in the configuration)") } else { r.clone() }}
                                </option>
                            }
                        }) }
                    </select>
                </div>
                { TextField::new("now", "Now (override)", &state.now, Field::Now, "the clock; or +2h, 2026-11-29T09:00:00Z")
                    .help("Play with expiry: an offset like +2h, a date, or seconds since the epoch.")
                    .problem(now_problem.as_deref()).view(ctx) }
                { TextField::new("remote-addr", "Caller IP", &state.remote_addr, Field::RemoteAddr, "e.g. 10.0.3.7")
                    .help("For roles with token_bound_cidrs.").view(ctx) }
                { TextField::new("labels", "Namespace labels", &state.namespace_labels, Field::Labels, "team=grade, env=prod")
                    .help("For roles that bind namespaces by label selector.")
                    .problem(labels_problem.as_deref()).view(ctx) }
            </div>
        </section>
    }
}

fn path_input(app: &App, ctx: &Context<App>) -> Html {
    let state = &app.state;
    let current = if state.operation.is_empty() {
        "read"
    } else {
        state.operation.as_str()
    };
    html! {
        <section class="card" aria-labelledby="path-heading">
            <div class="card-head"><h2 id="path-heading">{"Authorise a request with the issued token"}</h2></div>
            <div class="grid-path">
                <div class="field">
                    <label for="operation">{"Operation"}</label>
                    <select id="operation" onchange={on_select(ctx, Field::Operation)}>
                        { for Operation::ALL.iter().map(|op| html! {
                            <option value={op.as_str()} selected={op.as_str() == current}>{op.as_str()}</option>
                        }) }
                    </select>
                </div>
                { TextField::new("path", "Path", &state.path, Field::Path, "secret/data/grade-api/config").view(ctx) }
            </div>
        </section>
    }
}

/// The word and glyph for a lint severity (never colour alone).
pub(super) fn severity_label(severity: Severity) -> (&'static str, &'static str) {
    match severity {
        Severity::Error => ("✗", "error"),
        Severity::Warning => ("⚠", "warning"),
        Severity::Info => ("ℹ", "info"),
    }
}

/// A diagnostic about the configuration text, shown the one way the playground shows them:
/// `✗ Line L, column C: message`, the help when there is some, and a button to the line.
fn diagnostic_box(ctx: &Context<App>, diagnostic: &Diagnostic, id: &'static str) -> Html {
    let place = diagnostic
        .location()
        .map(|at| format!("Line {}, column {}: ", at.line, at.column))
        .unwrap_or_default();
    let go_to = diagnostic.location().map(|at| at.line);
    html! {
        <div {id} class="error-box" role="alert">
            <strong><span aria-hidden="true">{"✗ "}</span>{place}</strong>
            <span>{diagnostic.message.clone()}</span>
            if let Some(help) = &diagnostic.help { <p class="help">{help.clone()}</p> }
            if let Some(line) = go_to {
                <button class="link" onclick={ctx.link().callback(move |_| Msg::GoToLine(line))}>{format!("Go to line {line}")}</button>
            }
        </div>
    }
}
