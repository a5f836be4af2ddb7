//! The bindings under wasm32, the same suite in Node and in headless Chromium
//! (`WASM_BINDGEN_USE_BROWSER=1`): every answer is the core's answer, unchanged, and every
//! failure is a structured `PodpassError`. The full build's suite: the edge build is compared
//! with it from JavaScript (tests/node/builds.test.mjs, tests/browser/builds.test.mjs).
#![cfg(all(target_arch = "wasm32", feature = "full"))]
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: a failure should stop loudly
#![allow(clippy::disallowed_methods, reason = "size rules are for wasm faces")]

use podpass_core::acl::{Operation, Request};
use podpass_core::configuration::{Configuration, NoFiles};
use podpass_core::jwt::SigningAlgorithm;
use podpass_core::login::{LoginRequest, LoginResult, evaluate_login};
use podpass_core::mint::{SigningKey, TokenSpec, mint};
use podpass_wasm::{Engine, decode_jwt, import_script, lint, operation_for_http};
use serde_json::{Value, json};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

const NOW: i64 = 1_780_000_000;
/// The tutorial scenario as Vault API JSON, keys inline (trusts tests/fixtures/keys/rsa-2048).
const TUTORIAL: &str = include_str!("../../../tests/fixtures/configuration/tutorial.json");
const RSA_KEY: &str = include_str!("../../../tests/fixtures/keys/rsa-2048.key.pem");
const OTHER_RSA_KEY: &str = include_str!("../../../tests/fixtures/keys/other-rsa-2048.key.pem");

fn js(value: Value) -> JsValue {
    js_sys::JSON::parse(&value.to_string()).expect("valid JSON")
}

/// A string argument as the bindings receive it.
fn text(value: &str) -> podpass_wasm::typescript::TextJs {
    JsValue::from_str(value).unchecked_into()
}

fn json_of(value: &JsValue) -> Value {
    let text = js_sys::JSON::stringify(value).expect("serializable");
    serde_json::from_str(&String::from(text)).expect("JSON")
}

fn token(private_pem: &str, spec: &TokenSpec) -> String {
    let key = SigningKey::from_pem(private_pem, SigningAlgorithm::RS256, None).expect("key");
    mint(spec, &key).expect("mint")
}

fn tutorial_token(namespace: &str, service_account: &str) -> String {
    token(
        RSA_KEY,
        &TokenSpec::projected(namespace, service_account, NOW - 60),
    )
}

/// What the core itself decides for the same login (the bindings must add nothing).
fn core_login(role: &str, jwt: &str) -> LoginResult {
    let configuration = Configuration::import(TUTORIAL, "<input>", None, &NoFiles)
        .expect("imports")
        .configuration;
    let request = LoginRequest {
        role: role.into(),
        jwt: jwt.into(),
        now: NOW,
        ..LoginRequest::default()
    };
    evaluate_login(configuration.mount("kubernetes").expect("mount"), &request)
}

fn engine() -> Engine {
    Engine::new(text(TUTORIAL), None).expect("the tutorial imports")
}

fn login_request(role: &str, jwt: &str) -> JsValue {
    js(json!({"role": role, "jwt": jwt, "now": NOW}))
}

/// The cases: granted, wrong namespace, forged (other key), expired.
fn cases() -> Vec<(&'static str, String)> {
    let mut expired = TokenSpec::projected("grade-api", "grade-api-sa", NOW - 7200);
    expired.ttl_seconds = 600;
    vec![
        ("grade-api", tutorial_token("grade-api", "grade-api-sa")),
        ("grade-api", tutorial_token("payment", "grade-api-sa")),
        (
            "grade-api",
            token(
                OTHER_RSA_KEY,
                &TokenSpec::projected("grade-api", "grade-api-sa", NOW - 60),
            ),
        ),
        ("grade-api", token(RSA_KEY, &expired)),
        ("no-such-role", tutorial_token("grade-api", "grade-api-sa")),
    ]
}

fn error_code(error: &JsValue) -> String {
    assert!(error.is_instance_of::<js_sys::Error>(), "an Error object");
    assert_eq!(
        js_sys::Reflect::get(error, &"name".into())
            .unwrap()
            .as_string(),
        Some("PodpassError".into())
    );
    js_sys::Reflect::get(error, &"code".into())
        .unwrap()
        .as_string()
        .expect("a code")
}

#[wasm_bindgen_test]
fn login_answers_exactly_what_the_core_decides() {
    let engine = engine();
    for (role, jwt) in cases() {
        let result = engine
            .login(login_request(role, &jwt).unchecked_into())
            .expect("a result");
        let expected = serde_json::to_value(core_login(role, &jwt)).expect("serializes");
        assert_eq!(json_of(&result), expected, "{role}");
    }
}

#[wasm_bindgen_test]
fn the_tutorial_token_is_granted_and_the_others_are_not() {
    let engine = engine();
    let outcomes: Vec<(String, Option<String>)> = cases()
        .into_iter()
        .map(|(role, jwt)| {
            let result = json_of(
                &engine
                    .login(login_request(role, &jwt).unchecked_into())
                    .unwrap(),
            );
            let outcome = &result["outcome"];
            (
                outcome["result"].as_str().unwrap_or_default().to_string(),
                outcome["check"].as_str().map(str::to_string),
            )
        })
        .collect();
    let denied_at = |check: &str| ("denied".to_string(), Some(check.to_string()));
    assert_eq!(
        outcomes,
        vec![
            ("allowed".to_string(), None),
            denied_at("namespace"),
            denied_at("signature"),
            denied_at("expiry"),
            denied_at("role_lookup"),
        ]
    );
}

#[wasm_bindgen_test]
async fn login_async_with_webcrypto_gives_the_same_answers_as_login() {
    let engine = engine();
    for (role, jwt) in cases() {
        let sync = engine
            .login(login_request(role, &jwt).unchecked_into())
            .unwrap();
        let promise = engine.login_async(login_request(role, &jwt).unchecked_into());
        let hosted = JsFuture::from(promise).await.expect("resolves");
        assert_eq!(json_of(&hosted), json_of(&sync), "{role}");
    }
}

#[wasm_bindgen_test]
async fn login_async_verifies_ecdsa_with_webcrypto() {
    let engine = Engine::new(text(podpass_core::demo::DEMO_SCENARIO_COMMANDS), None).expect("demo");
    let granted = podpass_core::demo::token("grade-api", "grade-api-sa", NOW - 60).unwrap();
    let sync = engine.login(login_request("grade-api", &granted).unchecked_into());
    let hosted =
        JsFuture::from(engine.login_async(login_request("grade-api", &granted).unchecked_into()))
            .await
            .unwrap();
    let hosted = json_of(&hosted);
    assert_eq!(hosted, json_of(&sync.unwrap()));
    assert_eq!(hosted["outcome"]["result"], "allowed");
}

#[wasm_bindgen_test]
fn capabilities_and_authorize_follow_the_logins_policies() {
    let engine = engine();
    let granted = engine
        .login(
            login_request("grade-api", &tutorial_token("grade-api", "grade-api-sa"))
                .unchecked_into(),
        )
        .unwrap();
    let configuration = Configuration::import(TUTORIAL, "<input>", None, &NoFiles)
        .unwrap()
        .configuration;
    let policies: Vec<String> =
        serde_json::from_value(json_of(&granted)["outcome"]["policies"].clone()).unwrap();
    let acl = configuration.acl_for_policies(&policies, None).unwrap();
    for path in [
        "secret/data/grade-api/db",
        "secret/data/payment/db",
        "secret/metadata/grade-api/",
    ] {
        // The whole result, the outcome alone, or the policy list: the same subject.
        for subject in [
            granted.clone(),
            js_sys::Reflect::get(&granted, &"outcome".into()).unwrap(),
            js(json!({"policies": policies})),
        ] {
            let capabilities = engine
                .capabilities(subject.clone().unchecked_into(), text(path))
                .unwrap();
            assert_eq!(capabilities, acl.capabilities(path), "{path}");
            let decision = engine
                .authorize(
                    subject.unchecked_into(),
                    js(json!({"operation": "read", "path": path})).unchecked_into(),
                )
                .unwrap();
            let expected =
                serde_json::to_value(acl.authorize(&Request::new(Operation::Read, path))).unwrap();
            assert_eq!(json_of(&decision), expected, "{path}");
        }
    }
}

#[wasm_bindgen_test]
fn errors_are_structured_with_a_code_and_where_known_a_location() {
    let bad =
        "vault auth enable kubernetes\nvault write auth/kubernetes/role/r token_ttl=forever\n";
    let error = Engine::new(
        text(bad),
        Some(js(json!({"source": "setup.sh"})).unchecked_into()),
    )
    .err()
    .expect("refused");
    assert_eq!(error_code(&error), "invalid_configuration");
    let location = json_of(&js_sys::Reflect::get(&error, &"location".into()).unwrap());
    assert_eq!(location["line"], 2);
    assert_eq!(location["source"], "setup.sh");

    let engine = engine();
    let typo = js(json!({"role": "grade-api", "jwt": "x", "remote_addr": "10.0.0.1"}));
    assert_eq!(
        error_code(&engine.login(typo.unchecked_into()).err().unwrap()),
        "invalid_argument"
    );
    let elsewhere = js(json!({"role": "grade-api", "jwt": "x", "mount": "k8s"}));
    assert_eq!(
        error_code(&engine.login(elsewhere.unchecked_into()).err().unwrap()),
        "unknown_mount"
    );
    assert_eq!(
        error_code(&decode_jwt(text("not a jwt")).err().unwrap()),
        "invalid_jwt"
    );
    let denied = engine
        .login(
            login_request("grade-api", &tutorial_token("payment", "payment-sa")).unchecked_into(),
        )
        .unwrap();
    let refused = engine.capabilities(denied.unchecked_into(), text("secret/data/grade-api/db"));
    assert_eq!(error_code(&refused.err().unwrap()), "login_denied");
    let root_and_more = js(json!({"policies": ["root", "grade-api"]}));
    assert_eq!(
        error_code(
            &engine
                .capabilities(root_and_more.unchecked_into(), text("x"))
                .err()
                .unwrap()
        ),
        "invalid_policies"
    );
}

#[wasm_bindgen_test]
async fn login_async_rejects_with_the_same_structured_errors() {
    let engine = engine();
    let typo = js(json!({"role": "grade-api", "jwt": "x", "now": "soon"}));
    let rejected = JsFuture::from(engine.login_async(typo.unchecked_into())).await;
    assert_eq!(error_code(&rejected.err().unwrap()), "invalid_argument");
}

#[wasm_bindgen_test]
fn decode_jwt_shows_the_claims_without_verifying() {
    let jwt = tutorial_token("grade-api", "grade-api-sa");
    let decoded = json_of(&decode_jwt(text(&jwt)).unwrap());
    let core = serde_json::to_value(podpass_core::jwt::decode(&jwt).unwrap()).unwrap();
    assert_eq!(decoded, core);
    assert_eq!(decoded["algorithm"], "RS256");
}

#[wasm_bindgen_test]
fn import_script_output_reads_back_to_the_same_configuration() {
    let setup = podpass_core::demo::DEMO_SCENARIO_COMMANDS;
    for to in ["podpass_hcl", "vault_commands", "api_json"] {
        let converted = json_of(
            &import_script(text(setup), Some(js(json!({"to": to})).unchecked_into())).unwrap(),
        );
        assert_eq!(converted["format"], "vault_commands");
        assert_eq!(converted["to"], to);
        let output = converted["output"].as_str().unwrap();
        let original = Engine::new(text(setup), None).unwrap();
        let again = Engine::new(text(output), None).unwrap();
        assert_eq!(again.format(), to);
        assert_eq!(again.roles(None).unwrap(), original.roles(None).unwrap());
        assert_eq!(again.policies(), original.policies());
    }
}

#[wasm_bindgen_test]
fn lint_reports_what_the_core_finds() {
    let findings = json_of(&lint(text(TUTORIAL), None).unwrap());
    let configuration = Configuration::import(TUTORIAL, "<input>", None, &NoFiles)
        .unwrap()
        .configuration;
    let expected = serde_json::to_value(podpass_core::lint::lint(&configuration)).unwrap();
    assert_eq!(findings, expected);
    assert!(
        findings.as_array().is_some_and(|f| !f.is_empty()),
        "the tutorial's any-ns role is flagged"
    );
    assert_eq!(json_of(&engine().lint(None).unwrap()), expected);
}

#[wasm_bindgen_test]
fn http_methods_map_to_the_operations_vault_checks() {
    let op = |method: &str, options: Value| {
        operation_for_http(text(method), Some(js(options).unchecked_into()))
            .unwrap()
            .as_string()
    };
    for (method, options) in [
        ("GET", json!({})),
        ("GET", json!({"list": true})),
        ("LIST", json!({})),
        ("POST", json!({})),
        ("PUT", json!({"itemExists": true})),
        ("DELETE", json!({})),
        ("PATCH", json!({})),
        ("TRACE", json!({})),
    ] {
        let list = options["list"].as_bool().unwrap_or(false);
        let exists = options["itemExists"].as_bool().unwrap_or(false);
        let expected = Operation::from_http(method, list, exists).map(|o| o.as_str().to_string());
        assert_eq!(op(method, options), expected, "{method}");
    }
}

#[wasm_bindgen_test]
fn the_default_mount_is_the_cores_choice() {
    // A mount sorted before `kubernetes` must not take the logins that name none.
    let mut document: Value = serde_json::from_str(TUTORIAL).expect("JSON");
    document["auth"]["a"] = json!({"type": "kubernetes"});
    let config = document.to_string();
    let configuration = Configuration::import(&config, "<input>", None, &NoFiles)
        .expect("imports")
        .configuration;
    assert_eq!(configuration.default_mount(), Some("kubernetes"));

    let engine = Engine::new(text(&config), None).expect("imports");
    assert_eq!(engine.mounts(), ["a", "kubernetes"]);
    let roles = engine.roles(None).expect("the default mount's roles");
    assert!(roles.contains(&"grade-api".to_string()), "{roles:?}");
    let jwt = tutorial_token("grade-api", "grade-api-sa");
    let result = engine
        .login(login_request("grade-api", &jwt).unchecked_into())
        .expect("a result");
    assert_eq!(json_of(&result)["outcome"]["result"], "allowed");
}
