//! `loginAsync`: the signature verified by the host (WebCrypto's `crypto.subtle` in browsers and
//! workerd; node:crypto where the host has it, as Node does, WebCrypto being much slower there),
//! every other check by the core ([`podpass_core::host_signature`]).
//!
//! Imported `CryptoKey`s are kept per engine, so only the first login with a key pays for the
//! import.
//!
//! Every wait is in JavaScript (js/lazy.js), so the package carries no Rust futures. The usual
//! login, whose first candidate key WebCrypto verifies, waits in `afterFirstKey`: one `then` on
//! WebCrypto's promise hands back the answer prepared meanwhile. The others (the first key
//! refused, or a key to import first) go through `tryKeys`, which imports and verifies the
//! remaining candidates in order and asks the engine for the answer once one verifies or none
//! does.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use podpass_core::host_signature::{
    HostVerdict, SignatureJob, evaluate_login_asking_host, evaluate_login_with_host_verdict,
    signature_job, web_crypto_algorithm,
};
use podpass_core::jwt::SigningAlgorithm;
use podpass_core::mount::KubernetesMount;
use podpass_core::trace::TraceMode;
use wasm_bindgen::prelude::*;

use crate::engine::EngineState;
use crate::error::{ErrorCode, PodpassError};
use crate::lazy::{Explainer, LoginRead};
use crate::output::to_js;

#[wasm_bindgen]
extern "C" {
    /// WebCrypto's `SubtleCrypto`, only the two methods used.
    #[derive(Clone)]
    type SubtleCrypto;

    #[wasm_bindgen(method, catch, js_name = importKey)]
    fn import_key(
        this: &SubtleCrypto,
        format: &str,
        key: &JsValue,
        algorithm: &JsValue,
        extractable: bool,
        usages: &Array,
    ) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn verify(
        this: &SubtleCrypto,
        algorithm: &JsValue,
        key: &JsValue,
        signature: &Uint8Array,
        data: &Uint8Array,
    ) -> Result<JsValue, JsValue>;
}

/// `CryptoKey`s imported for an engine, by mount, key position and algorithm (one key imports
/// differently for PKCS#1 v1.5 and PSS, and per hash), with the WebCrypto they were imported
/// by and its algorithm parameters: found and made once, not on every login. Also the logins
/// waiting in JavaScript for WebCrypto's verdict on their first candidate key.
///
/// An engine holds a handful of keys and algorithms, so they are kept in lists and found by
/// comparison: no hashing on the login path, and no hash-table code of their own in the package.
pub(crate) struct HostKeys {
    keys: RefCell<Vec<ImportedKey>>,
    subtle: RefCell<Option<SubtleCrypto>>,
    params: RefCell<Vec<(&'static str, Rc<Params>)>>,
    /// Whether node:crypto may verify (the engine's `hostCrypto` option).
    node_allowed: bool,
    /// Logins waiting in JavaScript until the verdict is reported, by slot.
    waiting: RefCell<Vec<Option<Waiting>>>,
    /// Empty slots of `waiting`, reused before it grows.
    free_slots: RefCell<Vec<u32>>,
}

impl HostKeys {
    pub(crate) fn new(node_allowed: bool) -> HostKeys {
        HostKeys {
            keys: RefCell::default(),
            subtle: RefCell::default(),
            params: RefCell::default(),
            node_allowed,
            waiting: RefCell::default(),
            free_slots: RefCell::default(),
        }
    }

    /// The key imported before for a mount's key at `index`, for an algorithm (or node:crypto).
    fn cached(&self, mount: &str, index: usize, algorithm: &'static str) -> Option<JsValue> {
        self.keys
            .borrow()
            .iter()
            .find(|kept| kept.is(mount, index, algorithm))
            .map(|kept| kept.key.clone())
    }

    /// Keeps a key imported for a mount's key at `index` (in place of one kept before).
    fn remember(&self, mount: &str, index: usize, algorithm: &'static str, key: &JsValue) {
        let mut keys = self.keys.borrow_mut();
        keys.retain(|kept| !kept.is(mount, index, algorithm));
        keys.push(ImportedKey {
            mount: mount.to_string(),
            index,
            algorithm,
            key: key.clone(),
        });
    }

    /// The host's WebCrypto, looked up on first use.
    fn subtle(&self) -> Result<SubtleCrypto, PodpassError> {
        if let Some(subtle) = self.subtle.borrow().as_ref() {
            return Ok(subtle.clone());
        }
        let subtle = subtle_crypto()?;
        *self.subtle.borrow_mut() = Some(subtle.clone());
        Ok(subtle)
    }

    /// WebCrypto's parameters for `algorithm`, made on first use.
    fn params(&self, algorithm: SigningAlgorithm) -> Rc<Params> {
        let name = algorithm.name();
        let mut params = self.params.borrow_mut();
        if let Some((_, made)) = params.iter().find(|(kept, _)| *kept == name) {
            return Rc::clone(made);
        }
        let made = Rc::new(Params::for_algorithm(algorithm));
        params.push((name, Rc::clone(&made)));
        made
    }
}

/// A key the host imported, and what it was imported for.
struct ImportedKey {
    mount: String,
    /// The key's position in the mount's keys.
    index: usize,
    /// The JWS algorithm (or node:crypto).
    algorithm: &'static str,
    key: JsValue,
}

impl ImportedKey {
    fn is(&self, mount: &str, index: usize, algorithm: &str) -> bool {
        self.index == index && self.algorithm == algorithm && self.mount == mount
    }
}

#[wasm_bindgen(module = "/js/lazy.js")]
extern "C" {
    /// `prepared` once `verifying` (WebCrypto's verify of the first candidate key) says the
    /// signature verifies (after `engine.verified(slot)`; thrown instead when `failed`), else
    /// `engine.otherKeys(slot)`; `engine` is the engine's [`Explainer`].
    #[wasm_bindgen(js_name = afterFirstKey)]
    fn after_first_key(
        verifying: &JsValue,
        prepared: &JsValue,
        failed: bool,
        engine: &JsValue,
        slot: u32,
    ) -> Promise;

    /// Verifies the signature with each of `job.candidates` (`{ index, key }`, or `{ index,
    /// jwk }` for a key not imported yet) in order, importing keys as needed
    /// (`engine.keyImported`, or `engine.keyRefused` thrown), until one verifies; then
    /// `engine.decided(slot, index)`, or `engine.decided(slot)` when none does.
    #[wasm_bindgen(js_name = tryKeys)]
    fn try_keys(engine: &JsValue, slot: u32, job: &JsValue) -> Promise;
}

#[wasm_bindgen(module = "/js/node_crypto.js")]
extern "C" {
    /// A node:crypto public key for a JWK; `undefined` where node:crypto is missing or refuses.
    #[wasm_bindgen(js_name = nodePublicKey)]
    fn node_public_key(jwk: &JsValue) -> JsValue;

    /// Whether the signature verifies with a key from `nodePublicKey` (synchronously).
    #[wasm_bindgen(js_name = nodeVerify)]
    fn node_verify(
        key: &JsValue,
        hash: &str,
        salt_length: u32,
        signature: &Uint8Array,
        data: &Uint8Array,
    ) -> bool;
}

/// The login of `Engine.loginAsync`. Everything up to the host's verification runs in the call,
/// so that WebCrypto starts verifying at once; only the wait for it is asynchronous. A login
/// decided without waiting (no signature to verify, or node:crypto's synchronous verify) is an
/// already settled promise.
pub(crate) fn login(state: &Rc<EngineState>, request: &JsValue) -> Promise {
    match start(state, request) {
        Ok(Started::Answered(answer)) => Promise::resolve(&answer),
        Ok(Started::Verifying(verifying)) => wait(state, *verifying),
        Err(error) => Promise::reject(&error.into()),
    }
}

/// The promise of a login waiting for WebCrypto: the usual one, its first candidate's answer
/// prepared, waits for that key's verdict; the others (a key to import first, a verify that
/// threw) go on to the keys not tried yet.
fn wait(state: &Rc<EngineState>, verifying: Verifying) -> Promise {
    let Verifying {
        read,
        first,
        if_first_verifies,
    } = verifying;
    let tried = match first {
        FirstKey::Verifying(FirstCandidate {
            verifying: Ok(call),
            prepared,
        }) => {
            let (prepared, failed) = match prepared {
                Ok(answer) => (answer, false),
                Err(error) => (error.into(), true),
            };
            let slot = state.host_keys.wait(Waiting {
                state: Rc::clone(state),
                read,
                if_first_verifies,
            });
            return after_first_key(&call, &prepared, failed, &state.explainer(), slot);
        }
        // A verify that threw does not verify.
        FirstKey::Verifying(_) => 1,
        FirstKey::NotStarted => 0,
    };
    other_keys(state, read, tried)
}

/// The promise of trying the login's candidate keys after the first `tried` in JavaScript
/// (`tryKeys`), or of its answer when there is no signature to verify.
fn other_keys(state: &Rc<EngineState>, read: LoginRead, tried: usize) -> Promise {
    match start_other_keys(state, read, tried) {
        Ok(promise) => promise,
        Err(error) => Promise::reject(&error.into()),
    }
}

/// Hands `tryKeys` the candidates after the first `tried`, each with its imported key or its
/// JWK, and keeps the login until `tryKeys` reports.
fn start_other_keys(
    state: &Rc<EngineState>,
    read: LoginRead,
    tried: usize,
) -> Result<Promise, PodpassError> {
    let mount = state.mount(read.mount.as_deref())?;
    // The job the evaluation was given, read again (this path is the rare one).
    let Some(job) = signature_job(mount, &read.request) else {
        let answered = answer(state, mount, &read, HostVerdict::default())?;
        return Ok(Promise::resolve(&answered));
    };
    let candidates = Array::new();
    for candidate in job.candidates.iter().skip(tried) {
        let index = JsValue::from(candidate.index);
        let cached = state
            .host_keys
            .cached(mount.path(), candidate.index, job.algorithm.name());
        let entry = match (cached, candidate.jwk()) {
            (Some(key), _) => object(&[("index", index), ("key", key)]),
            (None, Some(jwk)) => object(&[
                ("index", index),
                ("jwk", js_object(&serde_json::Value::Object(jwk))?),
            ]),
            // No JWK form: WebCrypto cannot take this key.
            (None, None) => continue,
        };
        candidates.push(&entry);
    }
    let params = state.host_keys.params(job.algorithm);
    let signature = Uint8Array::from(job.signature.as_slice());
    let data = Uint8Array::from(job.signing_input.as_bytes());
    let tries = object(&[
        ("subtle", state.host_keys.subtle()?.into()),
        ("import", params.import.clone()),
        ("verify", params.verify.clone()),
        ("signature", signature.into()),
        ("data", data.into()),
        ("candidates", candidates.into()),
    ]);
    let slot = state.host_keys.wait(Waiting {
        state: Rc::clone(state),
        read,
        if_first_verifies: HostVerdict::default(),
    });
    Ok(try_keys(&state.explainer(), slot, &tries))
}

impl HostKeys {
    /// Keeps a login until JavaScript reports a verdict; answers its slot.
    fn wait(&self, waiting: Waiting) -> u32 {
        let waiting = Some(waiting);
        let mut slots = self.waiting.borrow_mut();
        if let Some(slot) = self.free_slots.borrow_mut().pop() {
            slots[slot as usize] = waiting;
            return slot;
        }
        slots.push(waiting);
        // More logins waiting at once than a u32 counts cannot fit in wasm32's memory.
        u32::try_from(slots.len() - 1).unwrap_or(u32::MAX)
    }

    /// The login waiting in `slot`, taken out.
    fn take_waiting(&self, slot: u32) -> Option<Waiting> {
        let taken = self.waiting.borrow_mut().get_mut(slot as usize)?.take();
        if taken.is_some() {
            self.free_slots.borrow_mut().push(slot);
        }
        taken
    }
}

/// `afterFirstKey` and `tryKeys` (js/lazy.js) report the host's verdicts on a waiting login to
/// the engine's [`Explainer`], the one object per engine its results already hold.
#[wasm_bindgen]
impl Explainer {
    /// The first candidate key verified: the login's prepared answer stands.
    #[doc(hidden)]
    pub fn verified(&self, slot: u32) {
        if let Some(waiting) = self.take_waiting(slot) {
            remember(&waiting.state, &waiting.read, waiting.if_first_verifies);
        }
    }

    /// The first candidate key did not verify: the login's other candidates are tried.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = otherKeys)]
    pub fn other_keys(&self, slot: u32) -> Promise {
        match self.take_waiting(slot) {
            Some(waiting) => other_keys(&waiting.state, waiting.read, 1),
            None => Promise::reject(&waited_twice().into()),
        }
    }

    /// WebCrypto imported the key at `index` for a waiting login: kept for the engine's next
    /// logins.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = keyImported)]
    pub fn key_imported(&self, slot: u32, index: usize, key: JsValue) {
        let Some(state) = self.engine() else { return };
        let slots = state.host_keys.waiting.borrow();
        let Some(Some(waiting)) = slots.get(slot as usize) else {
            return;
        };
        let Ok(mount) = state.mount(waiting.read.mount.as_deref()) else {
            return;
        };
        if let Some(job) = signature_job(mount, &waiting.read.request) {
            let algorithm = job.algorithm.name();
            state
                .host_keys
                .remember(mount.path(), index, algorithm, &key);
        }
    }

    /// WebCrypto refused to import the key at `index` (`error`, what it threw): the login fails
    /// with the error answered.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = keyRefused)]
    pub fn key_refused(&self, slot: u32, index: usize, error: JsValue) -> JsValue {
        let key = self
            .take_waiting(slot)
            .and_then(|waiting| {
                let mount = waiting.state.mount(waiting.read.mount.as_deref()).ok()?;
                let job = signature_job(mount, &waiting.read.request)?;
                let candidate = job.candidates.iter().find(|c| c.index == index)?;
                Some(format!("{} for {}", candidate.description(), job.algorithm))
            })
            .unwrap_or_else(|| format!("key {index}"));
        let message = format!("WebCrypto refused {key}: {}", describe(&error));
        PodpassError::new(ErrorCode::HostCryptoUnavailable, message).into()
    }

    /// The login's answer once the key at `index` verified its signature, or none did.
    #[doc(hidden)]
    pub fn decided(&self, slot: u32, index: Option<usize>) -> Result<JsValue, JsValue> {
        let Waiting { state, read, .. } = self.take_waiting(slot).ok_or_else(waited_twice)?;
        let mount = state.mount(read.mount.as_deref())?;
        let verdict = HostVerdict { verified_by: index };
        if index.is_some() {
            state.verified.remember(mount.path(), &read, verdict);
        }
        Ok(answer(&state, mount, &read, verdict)?)
    }
}

impl Explainer {
    fn take_waiting(&self, slot: u32) -> Option<Waiting> {
        // A waiting login keeps its engine alive, so the engine is there while any waits.
        self.engine()?.host_keys.take_waiting(slot)
    }
}

fn waited_twice() -> PodpassError {
    PodpassError::new(ErrorCode::Internal, "a login waited for twice")
}

/// Where a login stands once the call returns.
enum Started {
    /// Decided: nothing to verify, or node:crypto verified.
    Answered(JsValue),
    /// Waiting for WebCrypto (boxed: the request read is large next to an answer).
    Verifying(Box<Verifying>),
}

/// A login waiting in JavaScript for the host's verdict, with its engine (kept alive, so that a
/// login started before `engine.free()` still settles).
struct Waiting {
    state: Rc<EngineState>,
    read: LoginRead,
    /// The verdict if the first candidate key verifies.
    if_first_verifies: HostVerdict,
}

/// A login waiting for WebCrypto's verdict.
struct Verifying {
    read: LoginRead,
    first: FirstKey,
    /// The verdict if the first candidate key verifies.
    if_first_verifies: HostVerdict,
}

/// Where the first candidate key's verification stands.
enum FirstKey {
    /// Started in the call (its key was imported before).
    Verifying(FirstCandidate),
    /// Not started: its key is imported first.
    NotStarted,
}

/// The first candidate key's verification, under way.
///
/// WebCrypto verifies off the JavaScript thread where the host can (Node's thread pool), so
/// the login is decided meanwhile as if this key verifies, and the answer
/// prepared; it is used if so, and thrown away otherwise (a forged token then costs one
/// evaluation more).
struct FirstCandidate {
    /// What WebCrypto's `verify` returned, or what it threw.
    verifying: Result<JsValue, JsValue>,
    /// The answer for "this key verifies".
    prepared: Result<JsValue, PodpassError>,
}

/// What the host did when the evaluation reached the signature step.
enum Asked {
    /// The login was decided before that step, or there is nothing to verify.
    Not,
    /// node:crypto verified, synchronously: the evaluation had the real verdict.
    Verified(HostVerdict),
    /// WebCrypto is verifying the first candidate; the evaluation assumed it verifies.
    Verifying {
        verdict: HostVerdict,
        verifying: Result<JsValue, JsValue>,
    },
    /// WebCrypto must import the first candidate's key first: the evaluation is redone once
    /// the verdict is known.
    Later,
    /// The host has no crypto to verify with.
    Failed(PodpassError),
}

/// The whole answer for a verdict.
fn answer(
    state: &Rc<EngineState>,
    mount: &KubernetesMount,
    read: &LoginRead,
    verdict: HostVerdict,
) -> Result<JsValue, PodpassError> {
    let result =
        evaluate_login_with_host_verdict(mount, &read.request, &verdict, TraceMode::OutcomeOnly);
    crate::lazy::login_result(state, read, &result, verdict)
}

/// Reads the request and decides it, the host asked at the signature step: node:crypto
/// verifies there and then; WebCrypto is started on the first candidate key and the login
/// decided as if it verifies.
fn start(state: &Rc<EngineState>, request: &JsValue) -> Result<Started, PodpassError> {
    let read = state.login_request(request)?;
    let mount = state.mount(read.mount.as_deref())?;
    if let Some(verdict) = state.verified.get(mount.path(), &read) {
        return answer(state, mount, &read, verdict).map(Started::Answered);
    }
    let asked = RefCell::new(Asked::Not);
    let host = |job: &SignatureJob<'_>| {
        let (verdict, what) = ask(state, mount.path(), job);
        *asked.borrow_mut() = what;
        verdict
    };
    let result = evaluate_login_asking_host(mount, &read.request, &host, TraceMode::OutcomeOnly);
    let answered =
        |verdict| crate::lazy::login_result(state, &read, &result, verdict).map(Started::Answered);
    match asked.into_inner() {
        Asked::Not => answered(HostVerdict::default()),
        Asked::Verified(verdict) => {
            state.verified.remember(mount.path(), &read, verdict);
            answered(verdict)
        }
        Asked::Failed(error) => Err(error),
        Asked::Verifying { verdict, verifying } => {
            let prepared = crate::lazy::login_result(state, &read, &result, verdict);
            Ok(Started::Verifying(Box::new(Verifying {
                read,
                first: FirstKey::Verifying(FirstCandidate {
                    verifying,
                    prepared,
                }),
                if_first_verifies: verdict,
            })))
        }
        Asked::Later => Ok(Started::Verifying(Box::new(Verifying {
            read,
            first: FirstKey::NotStarted,
            if_first_verifies: HostVerdict::default(),
        }))),
    }
}

/// The host's part at the signature step: the verdict the evaluation goes on with, and what
/// was done to reach it.
fn ask(state: &EngineState, mount: &str, job: &SignatureJob<'_>) -> (HostVerdict, Asked) {
    let unverified = HostVerdict::default();
    let signature = Uint8Array::from(job.signature.as_slice());
    let data = Uint8Array::from(job.signing_input.as_bytes());
    if state.host_keys.node_allowed {
        match verify_with_node(state, mount, job, &signature, &data) {
            Ok(Some(verdict)) => return (verdict, Asked::Verified(verdict)),
            Ok(None) => {}
            Err(error) => return (unverified, Asked::Failed(error)),
        }
    }
    let subtle = match state.host_keys.subtle() {
        Ok(subtle) => subtle,
        Err(error) => return (unverified, Asked::Failed(error)),
    };
    let first = job.candidates.first().and_then(|candidate| {
        let key = state
            .host_keys
            .cached(mount, candidate.index, job.algorithm.name())?;
        Some((candidate.index, key))
    });
    let Some((index, key)) = first else {
        return (unverified, Asked::Later);
    };
    let params = state.host_keys.params(job.algorithm);
    let verifying = subtle.verify(&params.verify, &key, &signature, &data);
    let verdict = HostVerdict {
        verified_by: Some(index),
    };
    (verdict, Asked::Verifying { verdict, verifying })
}

/// Keeps `verdict` for the token of the login `read`, when the engine keeps verified tokens.
fn remember(state: &EngineState, read: &LoginRead, verdict: HostVerdict) {
    if let Ok(mount) = state.mount(read.mount.as_deref()) {
        state.verified.remember(mount.path(), read, verdict);
    }
}

/// The key cache's name for node:crypto's keys (WebCrypto's are under the JWS algorithm).
const NODE_CRYPTO: &str = "node:crypto";

/// The verdict from node:crypto, or `None` where it is missing or refuses a key (WebCrypto
/// then decides). Keys are cached per engine like WebCrypto's.
fn verify_with_node(
    state: &EngineState,
    mount: &str,
    job: &SignatureJob<'_>,
    signature: &Uint8Array,
    data: &Uint8Array,
) -> Result<Option<HostVerdict>, PodpassError> {
    use SigningAlgorithm as A;
    let (hash, salt_length) = match job.algorithm {
        A::RS256 | A::ES256 => ("sha256", 0),
        A::RS384 | A::ES384 => ("sha384", 0),
        A::RS512 => ("sha512", 0),
        A::PS256 => ("sha256", 32),
        A::PS384 => ("sha384", 48),
        A::PS512 => ("sha512", 64),
    };
    for candidate in &job.candidates {
        let key = match state.host_keys.cached(mount, candidate.index, NODE_CRYPTO) {
            Some(key) => key,
            None => {
                let Some(jwk) = candidate.jwk() else { continue };
                let key = node_public_key(&js_object(&serde_json::Value::Object(jwk))?);
                if key.is_undefined() || key.is_null() {
                    return Ok(None);
                }
                state
                    .host_keys
                    .remember(mount, candidate.index, NODE_CRYPTO, &key);
                key
            }
        };
        if node_verify(&key, hash, salt_length, signature, data) {
            return Ok(Some(HostVerdict {
                verified_by: Some(candidate.index),
            }));
        }
    }
    Ok(Some(HostVerdict::default()))
}

/// WebCrypto algorithm parameters for importing a key and for verifying with it.
struct Params {
    import: JsValue,
    verify: JsValue,
}

impl Params {
    fn for_algorithm(algorithm: SigningAlgorithm) -> Params {
        let named = web_crypto_algorithm(algorithm);
        let hash = JsValue::from(named.hash);
        match (named.named_curve, named.salt_length) {
            (Some(curve), _) => Params {
                import: object(&[("name", named.name.into()), ("namedCurve", curve.into())]),
                verify: object(&[("name", named.name.into()), ("hash", hash)]),
            },
            (None, Some(salt)) => Params {
                import: object(&[("name", named.name.into()), ("hash", hash)]),
                verify: object(&[("name", named.name.into()), ("saltLength", salt.into())]),
            },
            // The key carries the hash; naming the algorithm alone spares the host's WebCrypto
            // from normalizing a dictionary on every verify (measurably slower in Node).
            (None, None) => Params {
                import: object(&[("name", named.name.into()), ("hash", hash)]),
                verify: named.name.into(),
            },
        }
    }
}

fn subtle_crypto() -> Result<SubtleCrypto, PodpassError> {
    let unavailable = || {
        PodpassError::new(
            ErrorCode::HostCryptoUnavailable,
            "this host has no WebCrypto (globalThis.crypto.subtle); use login() instead",
        )
    };
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).map_err(|_| unavailable())?;
    if crypto.is_undefined() || crypto.is_null() {
        return Err(unavailable());
    }
    let subtle = Reflect::get(&crypto, &"subtle".into()).map_err(|_| unavailable())?;
    if subtle.is_undefined() || subtle.is_null() {
        return Err(unavailable());
    }
    Ok(subtle.unchecked_into())
}

fn object(entries: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in entries {
        // A fresh plain object accepts every property.
        let _ = Reflect::set(&object, &(*key).into(), value);
    }
    object.into()
}

fn js_object(value: &serde_json::Value) -> Result<JsValue, PodpassError> {
    to_js::<JsValue>(value)
}

/// A thrown JS value in words.
fn describe(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "unknown error".to_string())
}
