//! Fast reading of the hot paths' inputs, and login results whose trace is computed on first
//! read (`js/lazy.js`).
//!
//! Inputs are read field by field when they are plain (the JS side checks the shape and that no
//! unknown field is present); anything else goes the general way (`JSON.stringify` and serde),
//! which gives the same values and, for bad input, the same errors as always.
//!
//! A login's trace is not written unless read: the login is decided with
//! [`TraceMode::OutcomeOnly`] (no check's reason is formatted), the result carries a snapshot
//! of the login's inputs (the `now` used, the key that verified the signature), and the
//! engine's [`Explainer`] re-evaluates the login from it with [`TraceMode::Full`], the
//! signature verdict replayed instead of verified again. No memory is kept in wasm per login.

use std::collections::BTreeMap;
use std::rc::{Rc, Weak};

use podpass_core::acl::Request;
use podpass_core::host_signature::{HostVerdict, evaluate_login_with_host_verdict};
use podpass_core::identity::Identity;
use podpass_core::login::LoginRequest;
use podpass_core::trace::TraceMode;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::engine::EngineState;
use crate::error::{ErrorCode, PodpassError};
use crate::inputs::{AuthorizeInput, LoginInput, check_now};
use crate::output::{from_js, has_replacement_character, long_text_from_js, to_js};

#[wasm_bindgen(module = "/js/lazy.js")]
extern "C" {
    #[wasm_bindgen(js_name = plainLoginRequest)]
    fn plain_login_request(request: &JsValue) -> bool;

    #[wasm_bindgen(js_name = plainAuthorizeRequest)]
    fn plain_authorize_request(request: &JsValue) -> bool;

    #[wasm_bindgen(js_name = plainSubject)]
    fn plain_subject(subject: &JsValue) -> JsValue;

    #[wasm_bindgen(js_name = lazyLogin)]
    fn lazy_login(
        json: Option<String>,
        answers: &JsValue,
        slot: Option<u32>,
        explainer: &JsValue,
        request: &JsValue,
        now: f64,
        verified_by: Option<u32>,
    ) -> JsValue;
}

#[wasm_bindgen]
extern "C" {
    /// A login request (or a result's snapshot of one), read field by field.
    pub(crate) type LoginFields;
    #[wasm_bindgen(method, getter, structural)]
    fn role(this: &LoginFields) -> String;
    #[wasm_bindgen(method, getter, structural)]
    fn jwt(this: &LoginFields) -> js_sys::JsString;
    #[wasm_bindgen(method, getter, structural)]
    fn mount(this: &LoginFields) -> Option<String>;
    #[wasm_bindgen(method, getter, structural, js_name = remoteAddr)]
    fn remote_addr(this: &LoginFields) -> Option<String>;
    #[wasm_bindgen(method, getter, structural, js_name = namespaceLabels)]
    fn namespace_labels(this: &LoginFields) -> JsValue;
    #[wasm_bindgen(method, getter, structural)]
    fn authorize(this: &LoginFields) -> JsValue;
    #[wasm_bindgen(method, getter, structural)]
    fn now(this: &LoginFields) -> f64;
    /// `now` as given, whatever it is (a getter may throw).
    #[wasm_bindgen(method, getter, structural, catch, js_name = now)]
    pub(crate) fn now_as_given(this: &LoginFields) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, getter, structural, js_name = verifiedBy)]
    fn verified_by(this: &LoginFields) -> Option<u32>;

    /// An authorize request, read field by field.
    type AuthorizeFields;
    #[wasm_bindgen(method, getter, structural)]
    fn operation(this: &AuthorizeFields) -> String;
    #[wasm_bindgen(method, getter, structural)]
    fn path(this: &AuthorizeFields) -> String;
    #[wasm_bindgen(method, getter, structural, js_name = rootProtected)]
    fn root_protected(this: &AuthorizeFields) -> Option<bool>;

    /// A plain subject: `policies` (strings) and `identity`.
    type SubjectFields;
    #[wasm_bindgen(method, getter, structural)]
    fn policies(this: &SubjectFields) -> Vec<String>;
    #[wasm_bindgen(method, getter, structural)]
    fn identity(this: &SubjectFields) -> JsValue;
}

/// A login request as read: the mount named, the core's request, the authorization asked for
/// with it, and the request object the result's snapshot is taken from.
pub(crate) struct LoginRead {
    pub(crate) mount: Option<String>,
    pub(crate) request: LoginRequest,
    pub(crate) authorize: Option<Request>,
    snapshot_source: JsValue,
    /// The token as the JavaScript string it was read from, when it was read field by field.
    jwt_text: Option<js_sys::JsString>,
}

impl LoginRead {
    /// The token as a JavaScript string: the very string the engine read it from, where it has
    /// one (so that it is not written out of wasm again), else made from the text read.
    pub(crate) fn jwt_text(&self) -> JsValue {
        match &self.jwt_text {
            Some(text) => text.clone().into(),
            None => JsValue::from_str(&self.request.jwt),
        }
    }
}

/// Text read from JS that may have been a lone surrogate, turned into U+FFFD by the
/// conversion: such input goes the general way, which refuses it as it always did.
fn clean(text: String) -> Option<String> {
    (!has_replacement_character(&text)).then_some(text)
}

fn clean_optional(text: Option<String>) -> Option<Option<String>> {
    match text {
        Some(text) => clean(text).map(Some),
        None => Some(None),
    }
}

/// A login request from JS, `now` being `given_now` or else `clock()`.
pub(crate) fn read_login(
    value: &JsValue,
    given_now: Option<f64>,
    clock: impl FnOnce() -> f64,
) -> Result<LoginRead, PodpassError> {
    let now = given_now.unwrap_or_else(clock);
    if plain_login_request(value)
        && let Some(read) = read_plain_login(value.unchecked_ref(), now)?
    {
        return Ok(LoginRead {
            snapshot_source: value.clone(),
            ..read
        });
    }
    let input: LoginInput = from_js(value.clone(), "login request")?;
    let authorize = input.authorize.clone().map(Request::from);
    let (mount, request) = input.into_request(|| now)?;
    let snapshot_source = to_js(&SnapshotSource {
        role: &request.role,
        jwt: &request.jwt,
        mount: mount.as_deref(),
        remote_addr: request.remote_addr.as_deref(),
        namespace_labels: request.namespace_labels.as_ref(),
    })?;
    Ok(LoginRead {
        mount,
        request,
        authorize,
        snapshot_source,
        jwt_text: None,
    })
}

/// The fields of a request `plainLoginRequest` accepted, or `None` when one of them needs the
/// general way (a lone surrogate, labels or an authorize request serde must judge).
fn read_plain_login(fields: &LoginFields, now: f64) -> Result<Option<LoginRead>, PodpassError> {
    let jwt_text = fields.jwt();
    let (Some(role), Some(jwt), Some(mount), Some(remote_addr)) = (
        clean(fields.role()),
        clean(long_text_from_js(&jwt_text)),
        clean_optional(fields.mount()),
        clean_optional(fields.remote_addr()),
    ) else {
        return Ok(None);
    };
    let labels = fields.namespace_labels();
    let namespace_labels = if labels.is_undefined() || labels.is_null() {
        None
    } else {
        match from_js::<BTreeMap<String, String>>(labels, "login request") {
            Ok(labels) => Some(labels),
            Err(_) => return Ok(None),
        }
    };
    let authorize = fields.authorize();
    let authorize = if authorize.is_undefined() || authorize.is_null() {
        None
    } else {
        match read_authorize(&authorize, "login request") {
            Ok(request) => Some(request),
            Err(_) => return Ok(None),
        }
    };
    check_now(now)?;
    Ok(Some(LoginRead {
        mount,
        request: LoginRequest {
            role,
            jwt,
            remote_addr,
            namespace_labels,
            // Truncation to whole seconds is intended, as in `LoginInput::into_request`.
            #[allow(clippy::cast_possible_truncation)]
            now: now.floor() as i64,
        },
        authorize,
        snapshot_source: JsValue::UNDEFINED,
        jwt_text: Some(jwt_text),
    }))
}

/// The fields a result's snapshot keeps, for a request read the general way.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SnapshotSource<'a> {
    role: &'a str,
    jwt: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    mount: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remote_addr: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace_labels: Option<&'a BTreeMap<String, String>>,
}

/// An authorize request from JS; `what` names it in errors.
pub(crate) fn read_authorize(value: &JsValue, what: &str) -> Result<Request, PodpassError> {
    if plain_authorize_request(value) {
        let fields: &AuthorizeFields = value.unchecked_ref();
        let operation = serde_json::from_value(serde_json::Value::String(fields.operation()));
        if let (Ok(operation), Some(path)) = (operation, clean(fields.path())) {
            return Ok(Request {
                operation,
                path,
                parameters: None,
                wrap_ttl: None,
                root_protected: fields.root_protected().unwrap_or(false),
            });
        }
    }
    let input: AuthorizeInput = from_js(value.clone(), what)?;
    Ok(Request::from(input))
}

/// The policies and identity of a subject: a token's `{policies, identity}`, an allowed
/// outcome, or a login result (whose `outcome` is read; its trace is not touched).
pub(crate) fn read_subject(
    value: &JsValue,
) -> Result<(Vec<String>, Option<Identity>), PodpassError> {
    // `plainSubject` answers the object to read (the outcome of a login result, or the subject
    // itself) when it is plain, else `undefined`.
    let plain = plain_subject(value);
    if !plain.is_undefined() {
        let fields: &SubjectFields = plain.unchecked_ref();
        let identity = fields.identity();
        let identity = if identity.is_undefined() || identity.is_null() {
            Ok(None)
        } else {
            from_js::<Identity>(identity, "subject").map(Some)
        };
        let policies = fields.policies();
        if let Ok(identity) = identity
            && !policies.iter().any(|p| has_replacement_character(p))
        {
            return Ok((policies, identity));
        }
    }
    // The general way; a login result is read through its outcome alone, so its lazy trace
    // stays unread.
    let outcome = js_sys::Reflect::get(value, &"outcome".into()).unwrap_or(JsValue::UNDEFINED);
    let target = if outcome.is_object() && !js_sys::Array::is_array(&outcome) {
        outcome
    } else {
        value.clone()
    };
    let subject: crate::inputs::SubjectInput = from_js(target, "subject")?;
    subject.into_policies()
}

/// The result of a login `read` decided as `result` (with `verdict`), its trace lazy: a copy of
/// an answer given before when it is the same (`crate::answers`), else the answer written as
/// JSON.
pub(crate) fn login_result(
    state: &Rc<EngineState>,
    read: &LoginRead,
    result: &podpass_core::login::LoginResult,
    verdict: HostVerdict,
) -> Result<JsValue, PodpassError> {
    let acl = match (&read.authorize, result.success()) {
        (Some(_), Some(success)) => Some(state.acls.get_or_compile(
            &state.configuration,
            &success.policies,
            Some(&success.identity),
        )?),
        _ => None,
    };
    let authorized = acl.as_ref().zip(read.authorize.as_ref());
    let (json, slot) = state.answers.login(&result.outcome, authorized, || {
        answer_json(result, authorized)
    })?;
    let verified_by = verdict.verified_by.and_then(|i| u32::try_from(i).ok());
    #[allow(clippy::cast_precision_loss)]
    let now = read.request.now as f64;
    Ok(lazy_login(
        json,
        state.answers.parsed(),
        slot,
        &state.explainer(),
        &read.snapshot_source,
        now,
        verified_by,
    ))
}

/// `{"outcome":…,"authorization":…}` in one buffer: the outcome alone is about 1 KB, which
/// serializing into a fresh string would grow four times and then copy.
fn answer_json(
    result: &podpass_core::login::LoginResult,
    authorized: crate::answers::Authorized<'_>,
) -> Result<String, PodpassError> {
    let mut json = Vec::with_capacity(1536);
    json.extend_from_slice(b"{\"outcome\":");
    write_json(&mut json, &result.outcome)?;
    if let Some((acl, request)) = authorized {
        json.extend_from_slice(b",\"authorization\":");
        write_json(&mut json, &acl.authorize(request))?;
    }
    json.push(b'}');
    String::from_utf8(json).map_err(PodpassError::serializing)
}

fn write_json(json: &mut Vec<u8>, value: &impl Serialize) -> Result<(), PodpassError> {
    serde_json::to_writer(json, value).map_err(PodpassError::serializing)
}

/// The engine's stand-in once a call has returned: it computes the traces of the engine's login
/// results on demand, and is told WebCrypto's verdict on the first key of a login `loginAsync`
/// is waiting for (`src/host_crypto.rs`). One per engine, held by its results; it does not keep
/// the engine alive.
#[wasm_bindgen(skip_typescript)]
pub struct Explainer {
    state: Weak<EngineState>,
}

impl Explainer {
    pub(crate) fn new(state: Weak<EngineState>) -> Explainer {
        Explainer { state }
    }

    /// The engine, unless it was freed.
    pub(crate) fn engine(&self) -> Option<Rc<EngineState>> {
        self.state.upgrade()
    }
}

#[wasm_bindgen]
impl Explainer {
    /// The trace of the login `snapshot` describes (see `js/lazy.js`).
    #[doc(hidden)]
    pub fn trace(&self, snapshot: JsValue) -> Result<JsValue, JsValue> {
        let Some(state) = self.state.upgrade() else {
            return Err(PodpassError::new(
                ErrorCode::EngineFreed,
                "the engine that made this login result was freed (engine.free()), so its trace can no longer be computed; read `trace` before freeing the engine",
            )
            .into());
        };
        let fields: &LoginFields = snapshot.unchecked_ref();
        let labels = fields.namespace_labels();
        let namespace_labels = if labels.is_undefined() || labels.is_null() {
            None
        } else {
            Some(from_js::<BTreeMap<String, String>>(labels, "snapshot")?)
        };
        #[allow(clippy::cast_possible_truncation)]
        let request = LoginRequest {
            role: fields.role(),
            jwt: long_text_from_js(&fields.jwt()),
            remote_addr: fields.remote_addr(),
            namespace_labels,
            now: fields.now() as i64,
        };
        let mount = state.mount(fields.mount().as_deref())?;
        let verdict = HostVerdict {
            verified_by: fields.verified_by().map(|i| i as usize),
        };
        let result = evaluate_login_with_host_verdict(mount, &request, &verdict, TraceMode::Full);
        Ok(to_js(&result.trace)?)
    }
}
