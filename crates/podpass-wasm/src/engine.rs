//! `Engine`: a configuration imported once, then asked many login and ACL questions.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use podpass_core::acl::{Acl, AclCache, Request};
use podpass_core::configuration::{Configuration, ImportNote, NoFiles, SourceFormat};
use podpass_core::host_signature::{evaluate_login_with_host_verdict, evaluate_login_with_verdict};
use podpass_core::mount::KubernetesMount;
use podpass_core::trace::TraceMode;
use wasm_bindgen::prelude::*;

use crate::answers::Answers;
use crate::cluster_keys::trust_cluster_keys;
use crate::error::{ErrorCode, PodpassError};
use crate::host_crypto::HostKeys;
use crate::inputs::{EngineOptions, check_now, source_format, verified_token_cache};
use crate::lazy::{Explainer, LoginFields, LoginRead, read_authorize, read_login, read_subject};
use crate::output::{optional_text_from_js, options_from_js, text_from_js, to_js, type_name};
use crate::typescript::{
    AuthorizeRequestJs, DecisionJs, EngineOptionsJs, ImportNotesJs, LoginRequestJs, LoginResultJs,
    SubjectJs, TextJs,
};
use crate::unverified_mounts::refuse_unverified_mounts;
use crate::verified::VerifiedTokens;
#[cfg(feature = "full")]
use crate::{inputs::LintInput, typescript::FindingsJs, typescript::LintOptionsJs};

/// The name configuration text gets in locations when the caller gives none.
pub(crate) const DEFAULT_SOURCE: &str = "<input>";
/// Compiled ACLs kept per engine; beyond this the cache starts over (a bound, not a policy).
const ACL_CACHE_LIMIT: usize = 256;

/// A configuration (auth mounts, roles, policies) ready to answer questions.
///
/// Built once, it keeps the imported configuration, the compiled ACLs of the policy sets asked
/// about, and keys the host's WebCrypto imported for `loginAsync`.
#[wasm_bindgen]
pub struct Engine {
    state: Rc<EngineState>,
}

pub(crate) struct EngineState {
    pub(crate) configuration: Configuration,
    format: SourceFormat,
    notes: Vec<ImportNote>,
    default_mount: Option<String>,
    pub(crate) acls: AclCache,
    pub(crate) host_keys: HostKeys,
    /// Tokens whose signature verified, when the engine was asked to keep them.
    pub(crate) verified: VerifiedTokens,
    /// The answers of recent logins, handed out again as copies.
    pub(crate) answers: Answers,
    /// The [`Explainer`] of this engine's login results, made on the first login.
    explainer: RefCell<Option<JsValue>>,
}

#[wasm_bindgen]
impl Engine {
    /// Imports `configuration` (vault commands, podpass.hcl or Vault API JSON; detected unless
    /// `options.format` says). Files cannot be referenced: keys and policies must be inline.
    #[wasm_bindgen(constructor)]
    pub fn new(configuration: TextJs, options: Option<EngineOptionsJs>) -> Result<Engine, JsValue> {
        let configuration = text_from_js(configuration.into(), "configuration")?;
        let options: Option<JsValue> = options.map(Into::into);
        let given_cache = options
            .as_ref()
            .filter(|options| options.is_object())
            .and_then(|options| js_sys::Reflect::get(options, &"verifiedTokenCache".into()).ok())
            .unwrap_or(JsValue::UNDEFINED);
        let options: EngineOptions = options_from_js(options, "engine options")?;
        let verified_token_cache = verified_token_cache(&given_cache)?;
        let format = source_format(options.format.as_deref(), "engine options: format")?;
        let node_crypto = options.node_crypto_allowed()?;
        let source = options.source.as_deref().unwrap_or(DEFAULT_SOURCE);
        let mut imported = Configuration::import(&configuration, source, format, &NoFiles)
            .map_err(PodpassError::from)?;
        trust_cluster_keys(&mut imported.configuration, options.jwks.as_ref())?;
        refuse_unverified_mounts(
            &imported.configuration,
            options.require_signatures.unwrap_or(false),
        )?;
        let mounts = imported.configuration.mounts();
        let default_mount = match options.default_mount {
            Some(path) => {
                let path = path.trim_matches('/').to_string();
                if !mounts.contains_key(&path) {
                    return Err(unknown_mount(&imported.configuration, &path).into());
                }
                Some(path)
            }
            None => imported.configuration.default_mount().map(str::to_string),
        };
        Ok(Engine {
            state: Rc::new(EngineState {
                format: imported.format,
                notes: imported.notes,
                configuration: imported.configuration,
                default_mount,
                acls: AclCache::new(ACL_CACHE_LIMIT),
                host_keys: HostKeys::new(node_crypto),
                verified: VerifiedTokens::new(verified_token_cache),
                answers: Answers::new(),
                explainer: RefCell::new(None),
            }),
        })
    }

    /// The form the configuration was read as: `vault_commands`, `podpass_hcl` or `api_json`.
    #[wasm_bindgen(getter, unchecked_return_type = "SourceFormat")]
    pub fn format(&self) -> String {
        match serde_json::to_value(self.state.format) {
            Ok(serde_json::Value::String(name)) => name,
            _ => self.state.format.to_string(),
        }
    }

    /// What the import skipped or noted (a `kubectl` line, a flag it cannot evaluate offline).
    #[wasm_bindgen(getter)]
    pub fn notes(&self) -> Result<ImportNotesJs, JsValue> {
        Ok(to_js(&self.state.notes)?)
    }

    /// The auth mount paths, e.g. `["kubernetes"]`.
    pub fn mounts(&self) -> Vec<String> {
        self.state.configuration.mounts().keys().cloned().collect()
    }

    /// The role names of a mount (the default mount when none is named).
    pub fn roles(&self, mount: Option<TextJs>) -> Result<Vec<String>, JsValue> {
        let mount = optional_text_from_js(mount.map(Into::into), "mount")?;
        let mount = self.state.mount(mount.as_deref())?;
        Ok(mount.roles().keys().cloned().collect())
    }

    /// The policy names written in the configuration (Vault's built-in `default` is implied).
    pub fn policies(&self) -> Vec<String> {
        self.state
            .configuration
            .policies()
            .keys()
            .cloned()
            .collect()
    }

    /// Vault's decision on `POST auth/<mount>/login`, with every check explained. The signature
    /// is verified in wasm; `loginAsync` verifies it with the host's WebCrypto instead.
    /// A refused login is a result (`outcome.result === "denied"`), not an error.
    pub fn login(&self, request: LoginRequestJs) -> Result<LoginResultJs, JsValue> {
        let read = self.state.login_request(&request.into())?;
        let mount = self.state.mount(read.mount.as_deref())?;
        refuse_keys_without_crypto(mount)?;
        let verified = &self.state.verified;
        let (result, verdict) = match verified.get(mount.path(), &read) {
            Some(verdict) => (
                evaluate_login_with_host_verdict(
                    mount,
                    &read.request,
                    &verdict,
                    TraceMode::OutcomeOnly,
                ),
                verdict,
            ),
            None => {
                let (result, verdict) =
                    evaluate_login_with_verdict(mount, &read.request, TraceMode::OutcomeOnly);
                verified.remember(mount.path(), &read, verdict);
                (result, verdict)
            }
        };
        Ok(crate::lazy::login_result(&self.state, &read, &result, verdict)?.unchecked_into())
    }

    /// The same decision as `login`, with the signature verified by the host's WebCrypto
    /// (`crypto.subtle`): much faster for RSA where the host has native crypto. Rejects with a
    /// `PodpassError` where `login` would throw.
    #[wasm_bindgen(js_name = loginAsync, unchecked_return_type = "Promise<LoginResult>")]
    pub fn login_async(&self, request: LoginRequestJs) -> js_sys::Promise {
        crate::host_crypto::login(&self.state, &request.into())
    }

    /// What Vault's `sys/capabilities-self` answers for `path` with the subject's policies:
    /// sorted capability names, `["deny"]` when nothing is granted, `["root"]` for root.
    pub fn capabilities(&self, subject: SubjectJs, path: TextJs) -> Result<Vec<String>, JsValue> {
        let path = text_from_js(path.into(), "path")?;
        let acl = self.state.acl(&subject.into())?;
        Ok(acl.capabilities(&path))
    }

    /// Vault's decision on a request made with the subject's token: allowed or not, the rule
    /// that decided (policy and line), the rules it beat, hints.
    pub fn authorize(
        &self,
        subject: SubjectJs,
        request: AuthorizeRequestJs,
    ) -> Result<DecisionJs, JsValue> {
        let acl = self.state.acl(&subject.into())?;
        let request: Request = read_authorize(&request.into(), "authorize request")?;
        Ok(self
            .state
            .answers
            .decision(&acl, &request)?
            .unchecked_into())
    }

    /// Lint findings for this engine's configuration (see the free `lint` for the rules).
    /// `options.source` and `options.format` do not apply here.
    #[cfg(feature = "full")]
    pub fn lint(&self, options: Option<LintOptionsJs>) -> Result<FindingsJs, JsValue> {
        let options: LintInput = options_from_js(options.map(Into::into), "lint options")?;
        Ok(to_js(&podpass_core::lint::lint_with(
            &self.state.configuration,
            &options.lint_options(),
        ))?)
    }
}

impl EngineState {
    /// The mount named, or the default one.
    pub(crate) fn mount(&self, path: Option<&str>) -> Result<&KubernetesMount, PodpassError> {
        let path = match (path, self.default_mount.as_deref()) {
            (Some(path), _) | (None, Some(path)) => path,
            (None, None) => {
                return Err(PodpassError::new(
                    ErrorCode::UnknownMount,
                    format!(
                        "the configuration has {} auth mounts and none at kubernetes/: name one with `mount` ({})",
                        self.configuration.mounts().len(),
                        mount_list(&self.configuration)
                    ),
                ));
            }
        };
        self.configuration
            .mount(path)
            .ok_or_else(|| unknown_mount(&self.configuration, path))
    }

    /// A login request read from JS, `now` from the host's clock when absent.
    pub(crate) fn login_request(&self, request: &JsValue) -> Result<LoginRead, PodpassError> {
        let now = given_now(request)?;
        read_login(request, now, || js_sys::Date::now() / 1000.0)
    }

    /// The engine's [`Explainer`] as a JS object, made once; it holds the engine weakly.
    pub(crate) fn explainer(self: &Rc<Self>) -> JsValue {
        self.explainer
            .borrow_mut()
            .get_or_insert_with(|| Explainer::new(Rc::downgrade(self)).into())
            .clone()
    }

    /// The compiled ACL for a subject, from the cache when the same policies (and identity)
    /// were asked about before.
    fn acl(&self, subject: &JsValue) -> Result<Arc<Acl>, PodpassError> {
        let (policies, identity) = read_subject(subject)?;
        Ok(self
            .acls
            .get_or_compile(&self.configuration, &policies, identity.as_ref())?)
    }
}

/// The request's `now` as JavaScript holds it. Read before the JSON round trip, which would
/// turn `NaN` and `Infinity` into `null` and so, silently, into the host's clock.
fn given_now(request: &JsValue) -> Result<Option<f64>, PodpassError> {
    if !request.is_object() {
        return Ok(None);
    }
    let fields: &LoginFields = request.unchecked_ref();
    let now = fields
        .now_as_given()
        .map_err(|_| PodpassError::argument("login request", "`now` could not be read"))?;
    if now.is_undefined() || now.is_null() {
        return Ok(None);
    }
    match now.as_f64() {
        Some(seconds) => check_now(seconds).map(|()| Some(seconds)),
        None => Err(PodpassError::argument(
            "login request",
            format!("`now` must be a number, got {}", type_name(&now)),
        )),
    }
}

/// Policies and identity decide an ACL; the identity only matters to templated paths, but is
/// keyed always (cheap next to compiling).
fn mount_list(configuration: &Configuration) -> String {
    let paths: Vec<String> = configuration
        .mounts()
        .keys()
        .map(|p| format!("{p}/"))
        .collect();
    if paths.is_empty() {
        "none".to_string()
    } else {
        paths.join(", ")
    }
}

/// The edge build has no signature crypto of its own: a mount with keys is for `loginAsync`.
/// Refused up front, so that a missing feature never reads as a denied login.
fn refuse_keys_without_crypto(mount: &KubernetesMount) -> Result<(), PodpassError> {
    if cfg!(feature = "full") || mount.keys().is_empty() {
        return Ok(());
    }
    Err(PodpassError::new(
        ErrorCode::NotInThisBuild,
        format!(
            "the edge build verifies signatures with the host's WebCrypto: call loginAsync \
             (mount {}/ has keys), or use the full build, which verifies them in wasm as well",
            mount.path()
        ),
    ))
}

fn unknown_mount(configuration: &Configuration, path: &str) -> PodpassError {
    PodpassError::new(
        ErrorCode::UnknownMount,
        format!(
            "no Kubernetes auth mount at {path}/ (mounts: {})",
            mount_list(configuration)
        ),
    )
}
