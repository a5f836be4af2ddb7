//! The playground's user interface (Yew, browser only): inputs on the left, what Vault would
//! decide on the right, re-evaluated on every edit.

mod browser;
mod inputs;
mod results;

use gloo_timers::callback::Timeout;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

use crate::evaluate::{Evaluation, LIVE_MAX_MS, evaluate, over_live_budget};
use crate::minting::{self, BrowserKey, TokenToSign};
use crate::presets::{self, PRESETS};
use crate::share::{decode_fragment, encode_fragment};
use crate::signatures::{Job, Verdict, Verdicts};
use crate::state::{KeyChoice, PlaygroundState};

/// Where the state is remembered between visits.
const STATE_KEY: &str = "podpass.playground.state";
/// Where the chosen theme is remembered.
const THEME_KEY: &str = "podpass.playground.theme";
/// How long typing must pause before the inputs are evaluated and remembered, milliseconds.
const SETTLE_MS: u32 = 150;

/// Mounts the playground on the page's body.
pub fn start() {
    // The first load's phases, as User Timing marks (read by scripts/bench-web.sh):
    // `podpass-start` (the module is running), `podpass-state` (the starting state is ready: a
    // first visit mints the tutorial's token with WebCrypto), `podpass-evaluated` (the first
    // evaluation is done, its signature verified by WebCrypto) and `podpass-interactive` (it is
    // on screen).
    browser::mark("podpass-start");
    yew::Renderer::<App>::new().render();
}

/// A text input of the playground.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The configuration editor.
    Config,
    /// The token.
    Token,
    /// The auth mount.
    Mount,
    /// The role.
    Role,
    /// Namespace labels.
    Labels,
    /// Caller IP.
    RemoteAddr,
    /// The "now" override.
    Now,
    /// The path to authorise.
    Path,
    /// The operation.
    Operation,
    /// Mint form: namespace.
    MintNamespace,
    /// Mint form: service account.
    MintServiceAccount,
    /// Mint form: audience.
    MintAudience,
    /// Mint form: lifetime.
    MintTtl,
}

/// What happens in the playground.
pub enum Msg {
    /// A text input changed.
    Edit(Field, String),
    /// The mint form's key choice changed.
    ChooseKey(KeyChoice),
    /// The preset picker's selection changed (not loaded yet).
    PickPreset(String),
    /// Load the picked preset.
    LoadPreset,
    /// Load this preset (the getting-started card's button).
    LoadPresetNamed(&'static str),
    /// Mint a token from the form.
    Mint,
    /// WebCrypto finished generating a key.
    KeyGenerated(Result<BrowserKey, String>),
    /// WebCrypto signed a token (or could not), for this purpose.
    Signed(Signed, Result<String, String>),
    /// WebCrypto verified the signatures an evaluation asked for.
    Verified(Vec<(Job, Verdict)>),
    /// Typing paused: evaluate (when live) and remember the state.
    Settled,
    /// Evaluate now, whatever the budget says.
    EvaluateNow,
    /// Put the state into the URL and show the link (asks first when there is a token).
    Share,
    /// Share, with or without the pasted token.
    ShareConfirmed {
        /// Whether the link carries the token.
        with_token: bool,
    },
    /// Do not share after all.
    CancelShare,
    /// Keep the shared state (and from now on remember it instead of the saved session).
    KeepShared,
    /// Go back to the session saved in this browser.
    RestoreSaved,
    /// Forget everything.
    ClearAll,
    /// Switch between the light and dark themes.
    ToggleTheme,
    /// Select a line of the configuration editor.
    GoToLine(u32),
}

/// What a token WebCrypto signs is for.
pub enum Signed {
    /// A preset's state (a first visit's tutorial too), which the signed token completes.
    Preset {
        /// The preset's state, without its token.
        state: Box<PlaygroundState>,
        /// What to say once it is loaded: the preset's lesson.
        notice: Notice,
    },
    /// A token minted from the form.
    Mint {
        /// The configuration trusting the browser key, when the token is signed with one.
        config: Option<String>,
        /// What to say once it is minted.
        done: String,
    },
}

/// How far the first load is, for its User Timing marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Startup {
    /// A first visit's token is being signed.
    Signing,
    /// The state is ready; its signature may still be being verified.
    Verifying,
    /// The first complete evaluation is done, not yet on screen.
    Evaluated,
    /// It is on screen.
    Done,
}

/// A message next to the mint form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Something worked.
    Done(String),
    /// Something went wrong.
    Problem(String),
    /// Working.
    Busy(String),
}

/// Whether edits are evaluated as they happen.
#[derive(Debug, Clone, PartialEq)]
pub enum Live {
    /// Every edit is evaluated once typing pauses.
    On,
    /// The inputs are over the live budget: evaluation waits for "Evaluate now".
    TooLarge(String),
    /// The last evaluation took this many milliseconds, over the budget.
    Slow(f64),
}

/// The playground.
pub struct App {
    state: PlaygroundState,
    evaluation: Evaluation,
    /// How long the last evaluation took, milliseconds.
    evaluation_ms: f64,
    /// How many evaluations ran (the benchmark waits on it).
    evaluations: u64,
    picked_preset: String,
    browser_key: Option<BrowserKey>,
    mint_notice: Option<Notice>,
    share_link: Option<String>,
    /// Where the state came from, or a problem restoring it.
    restore_notice: Option<Notice>,
    dark: bool,
    editor: NodeRef,
    live: Live,
    /// The evaluation waiting for typing to pause (dropping it cancels it).
    settle: Option<Timeout>,
    /// The results are older than the inputs.
    stale: bool,
    /// "Share link" was pressed with a token in the state: the page asks first.
    share_prompt: bool,
    /// A share link was opened while this browser holds a saved session of the visitor's own,
    /// which is kept until the visitor chooses.
    saved_session: Option<PlaygroundState>,
    /// The signature verdicts WebCrypto reached.
    verdicts: Verdicts,
    /// How far the first load is.
    startup: Startup,
    /// Where the WebCrypto results are sent.
    link: html::Scope<App>,
}

impl App {
    fn reevaluate(&mut self) {
        let started = browser::performance_now();
        self.evaluation = evaluate(&self.state, browser::now_seconds(), &self.verdicts);
        self.evaluation_ms = browser::performance_now() - started;
        self.evaluations += 1;
        self.stale = false;
        self.live = if self.evaluation_ms > LIVE_MAX_MS {
            Live::Slow(self.evaluation_ms)
        } else {
            Live::On
        };
        let wanted = self.verdicts.take_wanted();
        if !wanted.is_empty() {
            self.link.send_future(async move {
                let mut verdicts = Vec::with_capacity(wanted.len());
                for job in wanted {
                    let verdict = browser::verify(&job).await;
                    verdicts.push((job, verdict));
                }
                Msg::Verified(verdicts)
            });
        } else {
            self.first_evaluation_done();
        }
    }

    /// Asks WebCrypto to sign `token`; [`Msg::Signed`] brings it back for `purpose`.
    fn sign(&self, token: TokenToSign, purpose: Signed) {
        self.link.send_future(async move {
            let signed = browser::sign(token).await;
            Msg::Signed(purpose, signed)
        });
    }

    /// A token WebCrypto signed, put where it was meant to go.
    fn signed(&mut self, purpose: Signed, token: Result<String, String>) {
        if self.startup == Startup::Signing {
            browser::mark("podpass-state");
            self.startup = Startup::Verifying;
        }
        match (purpose, token) {
            (Signed::Preset { state, notice }, Ok(token)) => {
                self.state = *state;
                self.state.token = token;
                self.mint_notice = None;
                self.restore_notice = Some(notice);
            }
            (Signed::Preset { .. }, Err(e)) => self.restore_notice = Some(Notice::Problem(e)),
            (Signed::Mint { config, done }, Ok(token)) => {
                if let Some(config) = config {
                    self.state.config = config;
                }
                self.state.token = token;
                self.mint_notice = Some(Notice::Done(done));
            }
            (Signed::Mint { .. }, Err(e)) => {
                self.mint_notice = Some(Notice::Problem(e));
                return;
            }
        }
        self.changed();
    }

    /// Evaluates when the inputs are within the live budget; otherwise says why not.
    fn evaluate_within_budget(&mut self) {
        match over_live_budget(&self.state) {
            Some(reason) => {
                self.live = Live::TooLarge(reason);
                self.stale = true;
                self.first_evaluation_done();
            }
            None if matches!(self.live, Live::Slow(_)) => {
                self.stale = true;
                self.first_evaluation_done();
            }
            None => self.reevaluate(),
        }
    }

    /// Marks the first load's evaluation done: complete (its signature verified), or not run
    /// because the inputs are over the live budget.
    fn first_evaluation_done(&mut self) {
        if self.startup == Startup::Verifying {
            browser::mark("podpass-evaluated");
            self.startup = Startup::Evaluated;
        }
    }

    /// Remembers the state, unless a shared link's state is still waiting for the visitor to
    /// choose it over their own saved session.
    fn remember(&self) {
        if self.saved_session.is_some() {
            return;
        }
        if let Ok(json) = serde_json::to_string(&self.state) {
            browser::save(STATE_KEY, &json);
        }
    }

    /// After a deliberate change (a preset, a mint, clear): evaluate at once, remember, and
    /// drop a share fragment that no longer matches.
    fn changed(&mut self) {
        self.settle = None;
        self.evaluate_within_budget();
        self.remember();
        self.forget_share_link();
    }

    /// After a keystroke: evaluate and remember once typing pauses.
    fn edited(&mut self, ctx: &Context<Self>) {
        self.stale = true;
        let link = ctx.link().clone();
        self.settle = Some(Timeout::new(SETTLE_MS, move || {
            link.send_message(Msg::Settled)
        }));
        self.forget_share_link();
    }

    fn forget_share_link(&mut self) {
        if !browser::fragment().is_empty() {
            browser::set_fragment("");
        }
        self.share_link = None;
        self.share_prompt = false;
    }

    fn share(&mut self, with_token: bool) {
        let mut state = self.state.clone();
        if !with_token {
            state.token.clear();
        }
        self.share_prompt = false;
        self.share_link = browser::set_fragment(&encode_fragment(&state));
        if let Some(link) = &self.share_link {
            browser::copy_to_clipboard(link);
        }
    }

    fn load_preset(&mut self, id: &str) {
        let Some(preset) = presets::find(id) else {
            return;
        };
        match preset.state(browser::now_seconds()) {
            Ok((state, token)) => self.sign(
                token,
                Signed::Preset {
                    state: Box::new(state),
                    notice: Notice::Done(preset.lesson.to_string()),
                },
            ),
            Err(e) => {
                self.restore_notice = Some(Notice::Problem(e));
                self.changed();
            }
        }
    }

    fn mint(&mut self, ctx: &Context<Self>) {
        let spec = match minting::token_spec(&self.state.mint, browser::now_seconds()) {
            Ok(spec) => spec,
            Err(e) => {
                self.mint_notice = Some(Notice::Problem(e));
                return;
            }
        };
        match self.state.mint.key {
            KeyChoice::Demo => match minting::with_demo_key(&spec) {
                Ok(token) => self.sign(
                    token,
                    Signed::Mint {
                        config: None,
                        done: format!(
                            "Minted a token for {}/{}, signed with the demo key.",
                            spec.namespace, spec.service_account
                        ),
                    },
                ),
                Err(e) => self.mint_notice = Some(Notice::Problem(e)),
            },
            KeyChoice::Browser => {
                let Some(key) = self.browser_key.clone() else {
                    self.mint_notice = Some(Notice::Busy("Generating a P-256 key…".to_string()));
                    ctx.link().send_future(async {
                        Msg::KeyGenerated(browser::generate_p256_key().await)
                    });
                    return;
                };
                match minting::trust_key(&self.state.config, &self.state.mount, &key.public_pem)
                {
                    Ok(config) => self.sign(
                        minting::with_browser_key(&spec, &key),
                        Signed::Mint {
                            config: Some(config),
                            done: format!(
                                "Minted a token for {}/{} with a key made in this browser; its public half is now the mount's pem_keys.",
                                spec.namespace, spec.service_account
                            ),
                        },
                    ),
                    Err(e) => self.mint_notice = Some(Notice::Problem(e)),
                }
            }
        }
    }

    fn set_field(&mut self, field: Field, value: String) {
        let state = &mut self.state;
        let slot = match field {
            Field::Config => &mut state.config,
            Field::Token => &mut state.token,
            Field::Mount => &mut state.mount,
            Field::Role => &mut state.role,
            Field::Labels => &mut state.namespace_labels,
            Field::RemoteAddr => &mut state.remote_addr,
            Field::Now => &mut state.now,
            Field::Path => &mut state.path,
            Field::Operation => &mut state.operation,
            Field::MintNamespace => &mut state.mint.namespace,
            Field::MintServiceAccount => &mut state.mint.service_account,
            Field::MintAudience => &mut state.mint.audience,
            Field::MintTtl => &mut state.mint.ttl,
        };
        *slot = value;
    }
}

/// The state to start with: a share link's, else the last visit's, else the tutorial.
/// Where the page starts: a state and what to say about it, or the tutorial preset, whose
/// token WebCrypto signs first.
enum Start {
    /// A shared, saved or cleared state.
    Ready(PlaygroundState, Option<Notice>),
    /// The tutorial, its token to be signed.
    Tutorial(Signed, TokenToSign),
    /// The tutorial could not be prepared.
    Failed(String),
}

fn initial_state() -> Start {
    match decode_fragment(&browser::fragment()) {
        Ok(Some(state)) => {
            let notice = if saved_session(&state).is_some() {
                "Opened a shared link. Your own session is still saved in this browser: keep working on the shared state, or go back to yours."
            } else {
                "Restored from the share link."
            };
            Start::Ready(state, Some(Notice::Done(notice.to_string())))
        }
        Ok(None) => remembered_or_tutorial(),
        Err(problem) => match remembered_or_tutorial() {
            Start::Ready(state, _) => Start::Ready(state, Some(Notice::Problem(problem))),
            // The tutorial's lesson would hide the link's problem.
            Start::Tutorial(Signed::Preset { state, .. }, token) => Start::Tutorial(
                Signed::Preset {
                    state,
                    notice: Notice::Problem(problem),
                },
                token,
            ),
            other => other,
        },
    }
}

/// The visitor's own saved session, when there is one worth keeping that differs from `shared`.
fn saved_session(shared: &PlaygroundState) -> Option<PlaygroundState> {
    browser::load(STATE_KEY)
        .and_then(|json| serde_json::from_slice::<PlaygroundState>(json.as_bytes()).ok())
        .filter(|saved| saved != shared && *saved != PlaygroundState::default())
}

fn remembered_or_tutorial() -> Start {
    if let Some(state) = browser::load(STATE_KEY)
        .and_then(|json| serde_json::from_slice::<PlaygroundState>(json.as_bytes()).ok())
    {
        // A cleared playground stays cleared, without a message about it.
        if state == PlaygroundState::default() {
            return Start::Ready(state, None);
        }
        return Start::Ready(
            state,
            Some(Notice::Done(
                "Restored your last session from this browser's storage.".to_string(),
            )),
        );
    }
    match PRESETS[0].state(browser::now_seconds()) {
        Ok((state, token)) => Start::Tutorial(
            Signed::Preset {
                state: Box::new(state),
                notice: Notice::Done(PRESETS[0].lesson.to_string()),
            },
            token,
        ),
        Err(e) => Start::Failed(e),
    }
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let start = initial_state();
        let (state, restore_notice, to_sign) = match start {
            Start::Ready(state, notice) => (state, notice, None),
            Start::Tutorial(purpose, token) => {
                (PlaygroundState::default(), None, Some((purpose, token)))
            }
            Start::Failed(e) => (PlaygroundState::default(), Some(Notice::Problem(e)), None),
        };
        let dark = match browser::load(THEME_KEY).as_deref() {
            Some("dark") => true,
            Some("light") => false,
            _ => browser::prefers_dark(),
        };
        let saved_session = if browser::fragment().is_empty() {
            None
        } else {
            saved_session(&state)
        };
        let verdicts = Verdicts::default();
        let mut app = App {
            evaluation: evaluate(
                &PlaygroundState::default(),
                browser::now_seconds(),
                &verdicts,
            ),
            state,
            evaluation_ms: 0.0,
            evaluations: 0,
            picked_preset: PRESETS[0].id.to_string(),
            browser_key: None,
            mint_notice: None,
            share_link: None,
            restore_notice,
            dark,
            editor: NodeRef::default(),
            live: Live::On,
            settle: None,
            stale: false,
            share_prompt: false,
            saved_session,
            verdicts,
            startup: Startup::Signing,
            link: ctx.link().clone(),
        };
        match to_sign {
            Some((purpose, token)) => app.sign(token, purpose),
            None => {
                browser::mark("podpass-state");
                app.startup = Startup::Verifying;
                app.evaluate_within_budget();
            }
        }
        app
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Self::Message) -> bool {
        match msg {
            Msg::Edit(field, value) => {
                self.set_field(field, value);
                // A preset's lesson or a restore message no longer describes edited inputs.
                self.restore_notice = None;
                // Redrawn at once (the inputs are controlled, so they must hold the new text);
                // the results follow once typing pauses.
                self.edited(ctx);
            }
            Msg::Settled => {
                self.settle = None;
                self.evaluate_within_budget();
                self.remember();
            }
            Msg::EvaluateNow => {
                self.settle = None;
                self.reevaluate();
                self.remember();
            }
            Msg::ChooseKey(choice) => {
                self.state.mint.key = choice;
                self.mint_notice = None;
                self.changed();
            }
            Msg::PickPreset(id) => self.picked_preset = id,
            Msg::LoadPreset => {
                let id = self.picked_preset.clone();
                self.load_preset(&id);
            }
            Msg::LoadPresetNamed(id) => {
                self.picked_preset = id.to_string();
                self.load_preset(id);
            }
            Msg::Mint => {
                self.restore_notice = None;
                self.mint(ctx);
            }
            Msg::KeyGenerated(Ok(key)) => {
                self.browser_key = Some(key);
                self.mint(ctx);
            }
            Msg::KeyGenerated(Err(e)) => self.mint_notice = Some(Notice::Problem(e)),
            Msg::Signed(purpose, token) => self.signed(purpose, token),
            Msg::Verified(verdicts) => {
                for (job, verdict) in verdicts {
                    self.verdicts.insert(job, verdict);
                }
                self.evaluate_within_budget();
            }
            Msg::Share if self.state.token.trim().is_empty() => self.share(false),
            Msg::Share => {
                self.share_link = None;
                self.share_prompt = true;
            }
            Msg::ShareConfirmed { with_token } => self.share(with_token),
            Msg::CancelShare => self.share_prompt = false,
            Msg::KeepShared => {
                self.saved_session = None;
                self.restore_notice = None;
                self.remember();
            }
            Msg::RestoreSaved => {
                if let Some(saved) = self.saved_session.take() {
                    self.state = saved;
                    self.restore_notice = Some(Notice::Done(
                        "Back to your own session, as saved in this browser.".to_string(),
                    ));
                    self.changed();
                }
            }
            Msg::ClearAll => {
                self.saved_session = None;
                browser::forget(STATE_KEY);
                self.state = PlaygroundState::default();
                self.browser_key = None;
                self.mint_notice = None;
                self.restore_notice = Some(Notice::Done(
                    "Cleared. Nothing of the previous session is kept in this browser.".to_string(),
                ));
                self.changed();
            }
            Msg::ToggleTheme => {
                self.dark = !self.dark;
                let theme = if self.dark { "dark" } else { "light" };
                browser::save(THEME_KEY, theme);
                browser::apply_theme(Some(theme));
            }
            Msg::GoToLine(line) => {
                if let Some(editor) = self.editor.cast::<HtmlTextAreaElement>() {
                    browser::go_to_line(&editor, line);
                }
                return false;
            }
        }
        true
    }

    fn rendered(&mut self, _ctx: &Context<Self>, _first_render: bool) {
        if self.startup == Startup::Evaluated {
            browser::remove_element("loading");
            // "Interactive": the first evaluation is on screen (read by scripts/bench-web.sh).
            browser::mark("podpass-interactive");
            self.startup = Startup::Done;
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        // The page keeps its loading note until the first evaluation is complete (the first
        // token signed and verified by WebCrypto), then draws everything once: drawing the
        // whole page for a state about to change would hold up the answer.
        if matches!(self.startup, Startup::Signing | Startup::Verifying) {
            return Html::default();
        }
        let link = ctx.link();
        let theme_label = if self.dark {
            "☀ Light theme"
        } else {
            "☾ Dark theme"
        };
        html! {
            <>
            <header class="topbar">
                <div class="brand">
                    <span class="logo" aria-hidden="true">
                        <svg viewBox="0 0 24 24" width="22" height="22">
                            <path class="shield" d="M12 2 4 5.2v6.1c0 4.9 3.4 9.3 8 10.7 4.6-1.4 8-5.8 8-10.7V5.2L12 2z" />
                            <path class="keyhole" d="M12 7.5a2.2 2.2 0 0 0-1.1 4.1l-.7 3.9h3.6l-.7-3.9A2.2 2.2 0 0 0 12 7.5z" />
                        </svg>
                    </span>
                    <div>
                        <h1>{"podpass playground"}</h1>
                        <p class="tagline">{"What Vault's Kubernetes auth would decide, and why."}</p>
                    </div>
                </div>
                <div class="toolbar" role="toolbar" aria-label="Playground actions">
                    <label class="inline" for="preset">{"Preset"}</label>
                    <select id="preset" onchange={link.callback(|e: Event| {
                        Msg::PickPreset(e.target_unchecked_into::<web_sys::HtmlSelectElement>().value())
                    })}>
                        { for PRESETS.iter().map(|p| html! {
                            <option value={p.id} selected={p.id == self.picked_preset}>{p.title}</option>
                        }) }
                    </select>
                    <button id="load-preset" class="primary" onclick={link.callback(|_| Msg::LoadPreset)}>{"Load preset"}</button>
                    <button id="share" onclick={link.callback(|_| Msg::Share)}>{"Share link"}</button>
                    <button id="clear-all" onclick={link.callback(|_| Msg::ClearAll)}>{"Clear all"}</button>
                    <button id="theme" aria-pressed={if self.dark { "true" } else { "false" }} onclick={link.callback(|_| Msg::ToggleTheme)}>{theme_label}</button>
                </div>
            </header>
            <div class="notices">
                <p class="privacy"><strong>{"Private by design. "}</strong>{"Everything runs in this page: a token you paste is decoded and checked here and never leaves your browser. Share links keep the state in the part after #, which browsers do not send to servers."}</p>
                { self.view_restore_notice() }
                { self.view_saved_session_choice(ctx) }
                { self.view_live_notice(ctx) }
                { self.view_share_prompt(ctx) }
                { self.view_share_link() }
            </div>
            <main class="layout">
                <section class="pane inputs" aria-label="Inputs">
                    { inputs::view(self, ctx) }
                </section>
                <section class="pane results" aria-label="Results" aria-live="polite">
                    { results::view(self, ctx) }
                </section>
            </main>
            <footer class="footer">
                <span id="eval-time" data-eval-ms={format!("{:.3}", self.evaluation_ms)}
                    data-evaluations={self.evaluations.to_string()}>
                    {format!("Evaluated in {:.2} ms by podpass-core, in this page.", self.evaluation_ms)}
                </span>
                <span>{" Decisions follow Vault's Kubernetes auth method and ACL policies; TokenReview is not called offline."}</span>
            </footer>
            </>
        }
    }
}

impl App {
    fn view_restore_notice(&self) -> Html {
        match &self.restore_notice {
            Some(Notice::Done(text)) => {
                html! { <p id="restore-notice" class="notice info"><span aria-hidden="true">{"ℹ "}</span>{text}</p> }
            }
            Some(Notice::Problem(text)) | Some(Notice::Busy(text)) => html! {
                <p id="restore-notice" class="notice problem" role="alert"><span aria-hidden="true">{"⚠ "}</span>{text}</p>
            },
            None => html! {},
        }
    }

    fn view_saved_session_choice(&self, ctx: &Context<Self>) -> Html {
        if self.saved_session.is_none() {
            return html! {};
        }
        let link = ctx.link();
        html! {
            <div id="saved-session" class="notice info" role="group" aria-label="Your saved session">
                <span>{"Your saved session is kept and will not be replaced until you choose. "}</span>
                <button id="keep-shared" onclick={link.callback(|_| Msg::KeepShared)}>{"Keep the shared state"}</button>
                <button id="restore-saved" onclick={link.callback(|_| Msg::RestoreSaved)}>{"Back to my session"}</button>
            </div>
        }
    }

    fn view_live_notice(&self, ctx: &Context<Self>) -> Html {
        let reason = match &self.live {
            Live::On => return html! {},
            Live::TooLarge(reason) => format!("Too large to evaluate live: {reason}."),
            Live::Slow(ms) => format!(
                "Live evaluation paused: the last evaluation took {ms:.0} ms (over {LIVE_MAX_MS:.0} ms)."
            ),
        };
        let results = if self.stale {
            " The results below are not for the current inputs."
        } else {
            ""
        };
        html! {
            <div id="live-notice" class="notice problem" role="status">
                <span>{reason}{results}{" "}</span>
                <button id="evaluate-now" class="primary" onclick={ctx.link().callback(|_| Msg::EvaluateNow)}>{"Evaluate now"}</button>
            </div>
        }
    }

    fn view_share_prompt(&self, ctx: &Context<Self>) -> Html {
        if !self.share_prompt {
            return html! {};
        }
        let link = ctx.link();
        html! {
            <div id="share-prompt" class="notice problem" role="alertdialog" aria-label="The link would contain your token">
                <span>{"The link would contain the pasted token: anyone who gets the link can read it, and it stays in browser history. "}</span>
                <button id="share-without-token" class="primary" onclick={link.callback(|_| Msg::ShareConfirmed { with_token: false })}>{"Share without the token"}</button>
                <button id="share-with-token" onclick={link.callback(|_| Msg::ShareConfirmed { with_token: true })}>{"Share with the token"}</button>
                <button id="share-cancel" class="link" onclick={link.callback(|_| Msg::CancelShare)}>{"Cancel"}</button>
            </div>
        }
    }

    fn view_share_link(&self) -> Html {
        let Some(link) = &self.share_link else {
            return html! {};
        };
        html! {
            <div class="notice share">
                <label for="share-link">{"Share link (copied to the clipboard when the browser allows):"}</label>
                <input id="share-link" type="text" readonly=true value={link.clone()}
                    onfocus={Callback::from(|e: FocusEvent| {
                        e.target_unchecked_into::<web_sys::HtmlInputElement>().select();
                    })} />
            </div>
        }
    }
}
