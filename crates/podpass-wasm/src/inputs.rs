//! The shapes JavaScript passes in, in JavaScript's naming (`remoteAddr`, `wrapTtl`), and their
//! translation to the core's types. Unknown fields are refused where a typo would otherwise be
//! silently ignored (a `remote_addr` that never binds a CIDR).

use std::collections::BTreeMap;

use podpass_core::acl::{Operation, Request};
use podpass_core::configuration::SourceFormat;
use podpass_core::identity::Identity;
#[cfg(feature = "full")]
use podpass_core::lint::LintOptions;
use podpass_core::login::LoginRequest;
use podpass_core::timestamp::{LATEST_NOW, is_valid_now, rfc3339};
use serde::Deserialize;
use serde_json::{Map, Value};
use tsify::Tsify;
use wasm_bindgen::JsValue;

use crate::error::{ErrorCode, PodpassError};
use crate::verified::MOST_VERIFIED_TOKENS;

/// `new Engine(text, options)`.
#[derive(Debug, Default, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct EngineOptions {
    /// The input's name in origins and error locations (`<input>` by default).
    #[tsify(optional)]
    pub(crate) source: Option<String>,
    /// The form, when detection should be overridden.
    #[tsify(optional, type = "SourceFormat")]
    pub(crate) format: Option<String>,
    /// The mount `login` uses when a request names none (`kubernetes` when it exists, else the
    /// only mount).
    #[tsify(optional)]
    pub(crate) default_mount: Option<String>,
    /// What `loginAsync` verifies signatures with: `auto` (the default: node:crypto where the
    /// host has it, as Node does, which spares WebCrypto's thread-pool round trip; WebCrypto
    /// elsewhere) or `webcrypto` (always `crypto.subtle`).
    #[tsify(optional, type = "\"auto\" | \"webcrypto\"")]
    pub(crate) host_crypto: Option<String>,
    /// The cluster's signing keys, as its `/openid/v1/jwks` serves them (the object or its JSON
    /// text): they verify logins on every mount whose config sets `jwks_discovery`, as the keys
    /// podpass's server fetches from the cluster do. Kept for the engine's lifetime; after the
    /// cluster rotates its keys, build a new engine.
    #[tsify(optional, type = "string | { keys: object[] }")]
    pub(crate) jwks: Option<Value>,
    /// Refuse the configuration when a mount has no keys (`pem_keys`, or `jwks` for a
    /// `jwks_discovery` mount): there Vault leaves the signature to the TokenReview API, which an
    /// engine cannot call, so a login would be allowed on its claims alone. `false` by default,
    /// as the playground and `podpass check` explain such logins; a gateway sets it.
    #[tsify(optional)]
    pub(crate) require_signatures: Option<bool>,
    /// How many tokens whose signature verified the engine keeps, so that the same token
    /// presented again (a pod sends its token with every request) is not verified again; every
    /// other check still runs on every login. 0, the default, keeps none (at most 100000).
    // Only accepted here: it is read from the JavaScript value itself (`verified_token_cache`).
    #[tsify(optional, type = "number")]
    #[serde(rename = "verifiedTokenCache")]
    pub(crate) _verified_token_cache: Option<Value>,
}

impl EngineOptions {
    /// Whether `loginAsync` may use node:crypto (`hostCrypto` is `auto` or absent).
    pub(crate) fn node_crypto_allowed(&self) -> Result<bool, PodpassError> {
        match self.host_crypto.as_deref() {
            None | Some("auto") => Ok(true),
            Some("webcrypto") => Ok(false),
            Some(other) => Err(PodpassError::argument(
                "engine options: hostCrypto",
                format!("unknown value {other:?} (expected auto or webcrypto)"),
            )),
        }
    }
}

/// The engine option `verifiedTokenCache`, as JavaScript holds it (the JSON round trip would
/// turn `NaN` and `Infinity` into `null` and so, silently, into the default): absent, or a
/// whole number from 0 to [`MOST_VERIFIED_TOKENS`].
pub(crate) fn verified_token_cache(given: &JsValue) -> Result<u32, PodpassError> {
    if given.is_undefined() || given.is_null() {
        return Ok(0);
    }
    match given.as_f64() {
        // In range and whole, so exact.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some(count)
            if count.fract() == 0.0 && (0.0..=f64::from(MOST_VERIFIED_TOKENS)).contains(&count) =>
        {
            Ok(count as u32)
        }
        _ => Err(PodpassError::argument(
            "engine options: verifiedTokenCache",
            format!("expected a whole number of tokens from 0 to {MOST_VERIFIED_TOKENS}"),
        )),
    }
}

/// A form named as JavaScript writes it (`vault_commands`, `podpass_hcl`, `api_json`, the
/// names the core serializes), or `None` for detection.
pub(crate) fn source_format(
    name: Option<&str>,
    option: &str,
) -> Result<Option<SourceFormat>, PodpassError> {
    let Some(name) = name else {
        return Ok(None);
    };
    [
        SourceFormat::VaultCommands,
        SourceFormat::PodpassHcl,
        SourceFormat::ApiJson,
    ]
    .into_iter()
    .find(|format| serde_json::to_value(format).is_ok_and(|v| v == name))
    .map(Some)
    .ok_or_else(|| {
        PodpassError::argument(
            option,
            format!("unknown format {name:?} (expected vault_commands, podpass_hcl or api_json)"),
        )
    })
}

/// `engine.login(request)`.
#[derive(Debug, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[tsify(rename = "LoginRequest")]
pub(crate) struct LoginInput {
    /// The role name.
    role: String,
    /// The service-account JWT.
    jwt: String,
    /// Auth mount path; the engine's default mount when absent.
    #[tsify(optional)]
    mount: Option<String>,
    /// The caller's IP address, for `token_bound_cidrs`.
    #[tsify(optional)]
    remote_addr: Option<String>,
    /// The namespace's labels, for `bound_service_account_namespace_selector`.
    #[tsify(optional)]
    namespace_labels: Option<BTreeMap<String, String>>,
    /// Seconds since the epoch; fractions are dropped. The host's clock when absent.
    #[tsify(optional)]
    now: Option<f64>,
    /// A request to authorize with the issued token: an allowed login's result then carries
    /// the decision as `authorization` (as `engine.authorize(result, request)` would answer).
    #[tsify(optional, type = "AuthorizeRequest")]
    pub(crate) authorize: Option<AuthorizeInput>,
}

impl LoginInput {
    /// The mount named (if any) and the core's request, `now` filled from `clock` when absent.
    pub(crate) fn into_request(
        self,
        clock: impl FnOnce() -> f64,
    ) -> Result<(Option<String>, LoginRequest), PodpassError> {
        let now = self.now.unwrap_or_else(clock);
        check_now(now)?;
        let request = LoginRequest {
            role: self.role,
            jwt: self.jwt,
            remote_addr: self.remote_addr,
            namespace_labels: self.namespace_labels,
            // Truncation to whole seconds is intended: Vault's clock checks are in seconds.
            #[allow(clippy::cast_possible_truncation)]
            now: now.floor() as i64,
        };
        Ok((self.mount, request))
    }
}

/// Refuses a `now` that is not a time a token could be checked at ([`is_valid_now`]):
/// `NaN`, infinite, before the epoch or past year 9999.
pub(crate) fn check_now(now: f64) -> Result<(), PodpassError> {
    // Whole seconds count, as in Vault's clock checks; a NaN or infinity fails the range.
    if now.is_finite() && is_valid_now(now.floor() as i64) {
        return Ok(());
    }
    Err(PodpassError::argument(
        "login request",
        format!(
            "`now` must be seconds since the epoch, from 0 to {LATEST_NOW} ({}), got {now}",
            rfc3339(LATEST_NOW)
        ),
    ))
}

/// Whose permissions a capability or authorization question is about: a token's policies (and
/// identity, for templated paths), or a login result / allowed outcome as `login` returned it.
#[derive(Debug, Deserialize)]
pub(crate) struct SubjectInput {
    policies: Option<Vec<String>>,
    identity: Option<Identity>,
    /// Present when a whole login result is passed.
    outcome: Option<Box<SubjectInput>>,
    /// `allowed` or `denied` when an outcome is passed.
    result: Option<String>,
    /// A denied outcome's message.
    message: Option<String>,
}

impl SubjectInput {
    /// The policy names and identity the subject stands for.
    pub(crate) fn into_policies(self) -> Result<(Vec<String>, Option<Identity>), PodpassError> {
        if let Some(outcome) = self.outcome {
            return outcome.into_policies();
        }
        if let Some(result) = self.result.as_deref().filter(|r| *r != "allowed") {
            return Err(PodpassError::new(
                ErrorCode::LoginDenied,
                format!(
                    "the login was {result} ({}): a denied login has no token to ask about",
                    self.message.as_deref().unwrap_or("no message")
                ),
            ));
        }
        match self.policies {
            Some(policies) => Ok((policies, self.identity)),
            None => Err(PodpassError::argument(
                "subject",
                "expected {policies: string[], identity?} or a login result",
            )),
        }
    }
}

/// `engine.authorize(subject, request)`.
#[derive(Debug, Clone, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[tsify(rename = "AuthorizeRequest")]
pub(crate) struct AuthorizeInput {
    /// The operation asked for.
    operation: Operation,
    /// The API path after `/v1/`, e.g. `secret/data/grade-api/db`.
    path: String,
    /// The request body, for parameter constraints.
    #[tsify(optional, type = "Record<string, unknown>")]
    parameters: Option<Map<String, Value>>,
    /// Requested response-wrapping TTL, seconds.
    #[tsify(optional)]
    wrap_ttl: Option<u64>,
    /// Whether the endpoint needs `sudo`.
    #[serde(default)]
    root_protected: bool,
}

impl From<AuthorizeInput> for Request {
    fn from(input: AuthorizeInput) -> Request {
        Request {
            operation: input.operation,
            path: input.path,
            parameters: input.parameters,
            wrap_ttl: input.wrap_ttl,
            root_protected: input.root_protected,
        }
    }
}

/// `importScript(text, options)`.
#[cfg(feature = "full")]
#[derive(Debug, Default, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ImportOptions {
    /// The input's name in notes and error locations (`<input>` by default).
    #[tsify(optional)]
    pub(crate) source: Option<String>,
    /// The form, when detection should be overridden.
    #[tsify(optional, type = "SourceFormat")]
    pub(crate) format: Option<String>,
    /// The form to write (`podpass_hcl` by default).
    #[tsify(optional, type = "SourceFormat")]
    pub(crate) to: Option<String>,
}

/// `lint(text, options)` and `engine.lint(options)` (which ignores `source` and `format`).
#[cfg(feature = "full")]
#[derive(Debug, Default, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[tsify(rename = "LintOptions")]
pub(crate) struct LintInput {
    /// `lint()` only: the input's name.
    #[tsify(optional)]
    pub(crate) source: Option<String>,
    /// `lint()` only: the form, when detection should be overridden.
    #[tsify(optional, type = "SourceFormat")]
    pub(crate) format: Option<String>,
    /// KV version 2 mount paths (`["secret"]` by default).
    #[tsify(optional)]
    kv_v2_mounts: Option<Vec<String>>,
    /// TTLs above this many seconds are reported (3600 by default).
    #[tsify(optional)]
    long_ttl_seconds: Option<i64>,
}

#[cfg(feature = "full")]
impl LintInput {
    /// The core's lint options, defaults where nothing was given.
    pub(crate) fn lint_options(&self) -> LintOptions {
        let defaults = LintOptions::default();
        LintOptions {
            kv_v2_mounts: self.kv_v2_mounts.clone().unwrap_or(defaults.kv_v2_mounts),
            long_ttl_seconds: self.long_ttl_seconds.unwrap_or(defaults.long_ttl_seconds),
        }
    }
}

/// `operationForHttp(method, options)`.
#[derive(Debug, Default, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct HttpOptions {
    /// A `GET` with `?list=true`.
    #[serde(default)]
    pub(crate) list: bool,
    /// Whether the item a `POST`/`PUT` writes exists already (update) or not (create).
    #[serde(default)]
    pub(crate) item_exists: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(value: Value) -> Result<(Vec<String>, Option<Identity>), PodpassError> {
        serde_json::from_value::<SubjectInput>(value)
            .map_err(|e| PodpassError::argument("subject", e))?
            .into_policies()
    }

    #[test]
    fn a_subject_is_a_policy_list_an_allowed_outcome_or_a_login_result() {
        let policies = vec!["default".to_string(), "grade-api".to_string()];
        let plain = serde_json::json!({"policies": policies});
        let outcome = serde_json::json!({"result": "allowed", "policies": policies, "role": "r"});
        let result = serde_json::json!({"outcome": outcome.clone(), "trace": []});
        for value in [plain, outcome, result] {
            let (names, identity) = subject(value).expect("a subject");
            assert_eq!(names, policies);
            assert!(identity.is_none());
        }
    }

    #[test]
    fn formats_are_named_as_the_core_serializes_them() {
        assert_eq!(
            source_format(Some("podpass_hcl"), "format").expect("known"),
            Some(SourceFormat::PodpassHcl)
        );
        assert_eq!(source_format(None, "format").expect("detect"), None);
        let error = source_format(Some("yaml"), "format").expect_err("unknown");
        assert_eq!(error.code, ErrorCode::InvalidArgument);
        assert!(error.message.contains("\"yaml\""), "{}", error.message);
    }

    #[test]
    fn a_denied_login_is_not_a_subject() {
        let denied = serde_json::json!({"outcome": {"result": "denied", "status": 403, "message": "permission denied"}});
        let error = subject(denied).expect_err("denied");
        assert_eq!(error.code, ErrorCode::LoginDenied);
        assert!(error.message.contains("permission denied"));
        let empty = subject(serde_json::json!({})).expect_err("nothing");
        assert_eq!(empty.code, ErrorCode::InvalidArgument);
    }

    #[test]
    fn a_login_request_takes_the_clock_only_when_now_is_missing() {
        let input: LoginInput =
            serde_json::from_value(serde_json::json!({"role": "r", "jwt": "j", "now": 10.9}))
                .expect("valid");
        let (mount, request) = input.into_request(|| 99.0).expect("valid");
        assert_eq!((mount, request.now), (None, 10));
        let input: LoginInput =
            serde_json::from_value(serde_json::json!({"role": "r", "jwt": "j"})).expect("valid");
        assert_eq!(input.into_request(|| 99.5).expect("valid").1.now, 99);
        for bad in [-1.0, 1e300, LATEST_NOW as f64 + 1.0] {
            let input: LoginInput =
                serde_json::from_value(serde_json::json!({"role": "r", "jwt": "j", "now": bad}))
                    .expect("a number");
            let error = input.into_request(|| 99.0).expect_err("out of range");
            assert_eq!(error.code, ErrorCode::InvalidArgument);
            assert!(error.message.contains("`now`"), "{}", error.message);
        }
        let typo = serde_json::from_value::<LoginInput>(
            serde_json::json!({"role": "r", "jwt": "j", "remote_addr": "10.0.0.1"}),
        );
        assert!(typo.is_err(), "remote_addr is a typo of remoteAddr");
    }
}
