//! The playground's user interface (Yew, browser only): inputs on the left, what Vault would
//! decide on the right, re-evaluated on every edit.

mod browser;
mod inputs;
mod results;

use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

use crate::evaluate::{Evaluation, evaluate};
use crate::minting::{self, BrowserKey};
use crate::presets::{self, PRESETS};
use crate::share::{decode_fragment, encode_fragment};
use crate::state::{KeyChoice, PlaygroundState};

/// Where the state is remembered between visits.
const STATE_KEY: &str = "podpass.playground.state";
/// Where the chosen theme is remembered.
const THEME_KEY: &str = "podpass.playground.theme";

/// Mounts the playground on the page's body.
pub fn start() {
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
    /// Put the state into the URL and show the link.
    Share,
    /// Forget everything.
    ClearAll,
    /// Switch between the light and dark themes.
    ToggleTheme,
    /// Select a line of the configuration editor.
    GoToLine(u32),
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
}

impl App {
    fn reevaluate(&mut self) {
        let started = browser::performance_now();
        self.evaluation = evaluate(&self.state, browser::now_seconds());
        self.evaluation_ms = browser::performance_now() - started;
        self.evaluations += 1;
    }

    /// After any change: evaluate, remember, and drop a share fragment that no longer matches.
    fn changed(&mut self) {
        self.reevaluate();
        if let Ok(json) = serde_json::to_string(&self.state) {
            browser::save(STATE_KEY, &json);
        }
        if !browser::fragment().is_empty() {
            browser::set_fragment("");
        }
        self.share_link = None;
    }

    fn load_preset(&mut self, id: &str) {
        let Some(preset) = presets::find(id) else {
            return;
        };
        match preset.state(browser::now_seconds()) {
            Ok(state) => {
                self.state = state;
                self.mint_notice = None;
                self.restore_notice = Some(Notice::Done(preset.lesson.to_string()));
            }
            Err(e) => self.restore_notice = Some(Notice::Problem(e)),
        }
        self.changed();
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
            KeyChoice::Demo => match minting::sign_with_demo_key(&spec) {
                Ok(token) => {
                    self.state.token = token;
                    self.mint_notice = Some(Notice::Done(format!(
                        "Minted a token for {}/{}, signed with the demo key.",
                        spec.namespace, spec.service_account
                    )));
                }
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
                let signed =
                    minting::trust_key(&self.state.config, &self.state.mount, &key.public_pem)
                        .and_then(|config| {
                            minting::sign_with_browser_key(&spec, &key).map(|token| (config, token))
                        });
                match signed {
                    Ok((config, token)) => {
                        self.state.config = config;
                        self.state.token = token;
                        self.mint_notice = Some(Notice::Done(format!(
                            "Minted a token for {}/{} with a key made in this browser; its public half is now the mount's pem_keys.",
                            spec.namespace, spec.service_account
                        )));
                    }
                    Err(e) => self.mint_notice = Some(Notice::Problem(e)),
                }
            }
        }
        self.changed();
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
fn initial_state() -> (PlaygroundState, Option<Notice>) {
    match decode_fragment(&browser::fragment()) {
        Ok(Some(state)) => {
            return (
                state,
                Some(Notice::Done("Restored from the share link.".to_string())),
            );
        }
        Ok(None) => {}
        Err(problem) => {
            let (state, _) = remembered_or_tutorial();
            return (state, Some(Notice::Problem(problem)));
        }
    }
    remembered_or_tutorial()
}

fn remembered_or_tutorial() -> (PlaygroundState, Option<Notice>) {
    if let Some(state) = browser::load(STATE_KEY)
        .and_then(|json| serde_json::from_str::<PlaygroundState>(&json).ok())
    {
        // A cleared playground stays cleared, without a message about it.
        if state == PlaygroundState::default() {
            return (state, None);
        }
        return (
            state,
            Some(Notice::Done(
                "Restored your last session from this browser's storage.".to_string(),
            )),
        );
    }
    match PRESETS[0].state(browser::now_seconds()) {
        Ok(state) => (state, Some(Notice::Done(PRESETS[0].lesson.to_string()))),
        Err(e) => (PlaygroundState::default(), Some(Notice::Problem(e))),
    }
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(_ctx: &Context<Self>) -> Self {
        let (state, restore_notice) = initial_state();
        let dark = match browser::load(THEME_KEY).as_deref() {
            Some("dark") => true,
            Some("light") => false,
            _ => browser::prefers_dark(),
        };
        let started = browser::performance_now();
        let evaluation = evaluate(&state, browser::now_seconds());
        let evaluation_ms = browser::performance_now() - started;
        App {
            evaluation,
            state,
            evaluation_ms,
            evaluations: 1,
            picked_preset: PRESETS[0].id.to_string(),
            browser_key: None,
            mint_notice: None,
            share_link: None,
            restore_notice,
            dark,
            editor: NodeRef::default(),
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Self::Message) -> bool {
        match msg {
            Msg::Edit(field, value) => {
                self.set_field(field, value);
                // A preset's lesson or a restore message no longer describes edited inputs.
                self.restore_notice = None;
                self.changed();
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
            Msg::Share => {
                let fragment = encode_fragment(&self.state);
                self.share_link = browser::set_fragment(&fragment);
                if let Some(link) = &self.share_link {
                    browser::copy_to_clipboard(link);
                }
            }
            Msg::ClearAll => {
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

    fn rendered(&mut self, _ctx: &Context<Self>, first_render: bool) {
        if first_render {
            browser::remove_element("loading");
            // "Interactive": the first evaluation is on screen (read by scripts/bench-web.sh).
            browser::mark("podpass-interactive");
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
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
