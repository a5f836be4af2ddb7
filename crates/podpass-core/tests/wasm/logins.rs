//! The core under wasm32 (Node, or headless Chromium with WASM_BINDGEN_USE_BROWSER=1): the
//! tutorial's logins, signing and verification through the RustCrypto backend.
#![cfg(target_arch = "wasm32")]

use podpass_core::jwt::{self, SigningAlgorithm};
use podpass_core::keys::KeySet;
use podpass_core::login::{LoginRequest, evaluate_login};
use podpass_core::mint::{self, SigningKey, TokenSpec};
use podpass_core::mount::KubernetesMount;
use podpass_core::role::Role;
use podpass_core::trace::CheckId;
use podpass_core::ttl::MountTtls;
use serde_json::{Map, Value, json};
use wasm_bindgen_test::wasm_bindgen_test;

const NOW: i64 = 1_780_000_000;
const RSA_PUB: &str = include_str!("../../../../tests/fixtures/keys/rsa-2048.pub.pem");
const RSA_KEY: &str = include_str!("../../../../tests/fixtures/keys/rsa-2048.key.pem");
const EC_PUB: &str = include_str!("../../../../tests/fixtures/keys/ec-p256.pub.pem");
const EC_KEY: &str = include_str!("../../../../tests/fixtures/keys/ec-p256.key.pem");
const EC384_PUB: &str = include_str!("../../../../tests/fixtures/keys/ec-p384.pub.pem");
const EC384_KEY: &str = include_str!("../../../../tests/fixtures/keys/ec-p384.key.pem");
const ROLES: [(&str, &str); 2] = [
    (
        "grade-api",
        include_str!("../../../../tests/fixtures/tutorial/roles/grade-api.json"),
    ),
    (
        "payment-api",
        include_str!("../../../../tests/fixtures/tutorial/roles/payment-api.json"),
    ),
];

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn mount() -> KubernetesMount {
    let mut mount = KubernetesMount::new("kubernetes", "auth_kubernetes_wasm");
    mount
        .write_config(&object(
            json!({"kubernetes_host": "https://k8s", "pem_keys": [RSA_PUB, EC_PUB]}),
        ))
        .expect("config");
    for (name, body) in ROLES {
        let body = object(serde_json::from_str(body).expect("json"));
        mount.put_role(
            Role::write(name, &body, None, &MountTtls::default())
                .expect("role")
                .role,
        );
    }
    mount
}

fn login(mount: &KubernetesMount, role: &str, jwt: String) -> podpass_core::login::LoginResult {
    evaluate_login(
        mount,
        &LoginRequest {
            role: role.into(),
            jwt,
            now: NOW,
            ..Default::default()
        },
    )
}

#[wasm_bindgen_test]
fn tutorial_login_is_allowed_in_wasm() {
    let key = SigningKey::from_pem(RSA_KEY, SigningAlgorithm::RS256, None).expect("key");
    let jwt = mint::mint(
        &TokenSpec::projected("grade-api", "grade-api-sa", NOW - 60),
        &key,
    )
    .expect("mint");
    let result = login(&mount(), "grade-api", jwt);
    let success = result.success().expect("allowed");
    assert_eq!(success.policies, vec!["default", "grade-api"]);
    assert_eq!(success.lease_duration, 3600);
}

#[wasm_bindgen_test]
fn cross_namespace_login_is_denied_in_wasm() {
    let key = SigningKey::from_pem(EC_KEY, SigningAlgorithm::ES256, None).expect("key");
    let jwt = mint::mint(
        &TokenSpec::projected("grade-api", "grade-api-sa", NOW - 60),
        &key,
    )
    .expect("mint");
    let result = login(&mount(), "payment-api", jwt);
    let denial = result.denial().expect("denied");
    assert_eq!(
        (denial.status, denial.message.as_str()),
        (403, "service account name not authorized")
    );
    assert_eq!(denial.check, Some(CheckId::ServiceAccountName));
}

#[wasm_bindgen_test]
fn forged_token_is_refused_in_wasm() {
    let key = SigningKey::from_pem(RSA_KEY, SigningAlgorithm::PS256, None).expect("key");
    let jwt = mint::mint(
        &TokenSpec::projected("grade-api", "grade-api-sa", NOW - 60),
        &key,
    )
    .expect("mint");
    let mut tampered: Vec<char> = jwt.chars().collect();
    let last = tampered.len() - 2;
    tampered[last] = if tampered[last] == 'A' { 'B' } else { 'A' };
    let result = login(&mount(), "grade-api", tampered.into_iter().collect());
    assert_eq!(
        result.denial().expect("denied").message,
        "permission denied"
    );
}

#[wasm_bindgen_test]
fn every_accepted_algorithm_signs_and_verifies_in_wasm() {
    let keys = KeySet::from_pem_keys(&[RSA_PUB, EC_PUB, EC384_PUB]).expect("keys");
    let spec = TokenSpec::projected("grade-api", "grade-api-sa", NOW - 60);
    for algorithm in SigningAlgorithm::ALL {
        let private = match algorithm {
            SigningAlgorithm::ES256 => EC_KEY,
            SigningAlgorithm::ES384 => EC384_KEY,
            _ => RSA_KEY,
        };
        let key = SigningKey::from_pem(private, algorithm, None).expect("key");
        let token = mint::mint(&spec, &key).expect("mint");
        let verified = jwt::decode(&token)
            .expect("decodes")
            .verify_signature(&keys)
            .expect("verifies");
        assert_eq!(verified.algorithm, algorithm);

        // The same token with its signature from another key of the family is refused.
        let (signed, _) = token.rsplit_once('.').expect("three parts");
        let other =
            mint::mint(&TokenSpec::projected("other", "other-sa", NOW - 60), &key).expect("mint");
        let (_, other_signature) = other.rsplit_once('.').expect("three parts");
        let spliced = format!("{signed}.{other_signature}");
        assert!(
            jwt::decode(&spliced)
                .expect("decodes")
                .verify_signature(&keys)
                .is_err(),
            "{algorithm}: a signature over other claims must not verify"
        );
    }
}

#[wasm_bindgen_test]
fn key_export_through_jsonwebtoken_is_an_error_not_a_panic() {
    // Signing once installs the engine's crypto provider.
    let key = SigningKey::from_pem(EC_KEY, SigningAlgorithm::ES256, None).expect("key");
    mint::mint(&TokenSpec::legacy("a", "b"), &key).expect("mint");
    let encoding = jsonwebtoken::EncodingKey::from_ec_der(b"not a key");
    assert!(
        jsonwebtoken::jwk::Jwk::from_encoding_key(&encoding, jsonwebtoken::Algorithm::ES256)
            .is_err()
    );
}
