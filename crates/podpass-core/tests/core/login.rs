//! Login decisions against the tutorial scenario and hostile input: Vault's order, messages,
//! statuses, TTLs, and a complete trace every time.

use crate::support;

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use podpass_core::jwt::SigningAlgorithm;
use podpass_core::login::{
    LoginOutcome, LoginRequest, LoginResult, LoginStep, begin_login, evaluate_login,
    sanitize_policies,
};
use podpass_core::mint::{self, SigningKey, TokenSpec, service_account_uid};
use podpass_core::mount::KubernetesMount;
use podpass_core::role::{Role, TokenType};
use podpass_core::token_review::TokenReviewResponse;
use podpass_core::trace::{CheckId, CheckStatus};
use podpass_core::ttl::MountTtls;
use serde_json::json;
use support::*;

fn login(mount: &KubernetesMount, role: &str, jwt: &str) -> LoginResult {
    evaluate_login(
        mount,
        &LoginRequest {
            role: role.into(),
            jwt: jwt.into(),
            now: NOW,
            ..Default::default()
        },
    )
}

fn denied(result: &LoginResult) -> (u16, &str, Option<CheckId>) {
    match &result.outcome {
        LoginOutcome::Denied(d) => (d.status, d.message.as_str(), d.check),
        LoginOutcome::Allowed(s) => panic!("expected a denial, got {s:?}\n{}", result.trace),
    }
}

fn status(result: &LoginResult, id: CheckId) -> CheckStatus {
    result
        .trace
        .get(id)
        .map(|c| c.status)
        .expect("every check is in the trace")
}

fn reason(result: &LoginResult, id: CheckId) -> String {
    result
        .trace
        .get(id)
        .map(|c| c.reason.to_string())
        .expect("every check is in the trace")
}

fn with_role(mount: &mut KubernetesMount, name: &str, body: serde_json::Value) {
    let written =
        Role::write(name, &support::body(body), None, &MountTtls::default()).expect("valid role");
    mount.put_role(written.role);
}

#[test]
fn tutorial_grade_api_login_is_allowed_with_policies_and_one_hour() {
    let mount = tutorial_mount();
    let result = login(&mount, "grade-api", &token("grade-api", "grade-api-sa"));
    let success = result
        .success()
        .unwrap_or_else(|| panic!("denied:\n{}", result.trace));
    assert_eq!(success.policies, vec!["default", "grade-api"]);
    assert_eq!(success.token_policies, success.policies);
    assert_eq!(success.lease_duration, 3600, "exercise 2: ttl=1h");
    assert_eq!(success.max_ttl, 2_764_800);
    assert!(success.renewable);
    assert_eq!(success.token_type, TokenType::Service);
    assert_eq!(success.display_name, "kubernetes-grade-api-grade-api-sa");
    let uid = service_account_uid("grade-api", "grade-api-sa");
    assert_eq!(success.metadata["role"], "grade-api");
    assert_eq!(success.metadata["service_account_name"], "grade-api-sa");
    assert_eq!(success.metadata["service_account_namespace"], "grade-api");
    assert_eq!(success.metadata["service_account_secret_name"], "");
    assert_eq!(success.metadata["service_account_uid"], uid);
    let alias = success.alias().expect("alias");
    assert_eq!(alias.name, uid);
    assert_eq!(alias.mount_accessor, ACCESSOR);
    assert!(!alias.metadata.contains_key("role"));
    assert_eq!(
        success.identity.entity_name,
        format!("entity_{}", &success.identity.entity_id[..8])
    );
    assert!(success.warnings.is_empty(), "{:?}", success.warnings);

    let order: Vec<CheckId> = result.trace.checks().iter().map(|c| c.id).collect();
    assert_eq!(
        order,
        CheckId::ORDER.to_vec(),
        "every check, in Vault's order"
    );
    for id in [
        CheckId::RoleLookup,
        CheckId::Signature,
        CheckId::Algorithm,
        CheckId::NotBefore,
        CheckId::Expiry,
        CheckId::IssuedAt,
        CheckId::ServiceAccountName,
        CheckId::Namespace,
    ] {
        assert_eq!(
            status(&result, id),
            CheckStatus::Passed,
            "{id:?}: {}",
            reason(&result, id)
        );
    }
    for id in [
        CheckId::BoundCidrs,
        CheckId::Issuer,
        CheckId::Audience,
        CheckId::TokenReview,
    ] {
        assert_eq!(status(&result, id), CheckStatus::Skipped, "{id:?}");
    }
    assert_eq!(
        reason(&result, CheckId::Signature),
        "verified with RSA 2048-bit key pem_keys[0]"
    );
    assert_eq!(
        reason(&result, CheckId::Namespace),
        "namespace `grade-api` is in [grade-api]"
    );

    let auth = success.to_auth_json("hvs.x", "acc");
    assert_eq!(auth["lease_duration"], 3600);
    assert_eq!(auth["token_type"], "service");
    assert_eq!(auth["policies"], json!(["default", "grade-api"]));
    assert_eq!(auth["orphan"], true);
}

#[test]
fn tutorial_roles_bind_names_then_namespaces() {
    let mount = tutorial_mount();
    // Name is checked before namespace: payment's account fails on its name.
    let result = login(&mount, "grade-api", &token("payment", "payment-sa"));
    assert_eq!(
        denied(&result),
        (
            403,
            "service account name not authorized",
            Some(CheckId::ServiceAccountName)
        )
    );
    assert_eq!(
        reason(&result, CheckId::ServiceAccountName),
        "service account `payment-sa` is not in [grade-api-sa]"
    );
    assert_eq!(status(&result, CheckId::Namespace), CheckStatus::Skipped);
    assert_eq!(reason(&result, CheckId::Namespace), "not reached");

    let result = login(&mount, "grade-api", &token("payment", "grade-api-sa"));
    assert_eq!(
        denied(&result),
        (403, "namespace not authorized", Some(CheckId::Namespace))
    );
    assert_eq!(
        reason(&result, CheckId::Namespace),
        "namespace `payment` is not in [grade-api]"
    );

    let payment = login(&mount, "payment-api", &token("payment", "payment-sa"));
    assert_eq!(
        payment.success().expect("payment allowed").policies,
        vec!["default", "payment-api"]
    );

    for (ns, sa, allowed) in [
        ("grade-api", "grade-api-sa", true),
        ("analytics", "analytics-sa", true),
        ("analytics", "grade-api-sa", true),
        ("payment", "analytics-sa", false),
        ("grade-api", "payment-sa", false),
    ] {
        let result = login(&mount, "shared-reader", &token(ns, sa));
        assert_eq!(
            result.success().is_some(),
            allowed,
            "shared-reader {ns}/{sa}:\n{}",
            result.trace
        );
    }
}

#[test]
fn tutorial_wildcard_roles_show_their_blast_radius() {
    let mount = tutorial_mount();
    let anyone = login(
        &mount,
        "namespace-wide",
        &token("grade-api", "some-debug-pod-sa"),
    );
    assert!(anyone.success().is_some());
    assert!(reason(&anyone, CheckId::ServiceAccountName).contains("any service account name (*)"));
    let outside = login(
        &mount,
        "namespace-wide",
        &token("payment", "some-debug-pod-sa"),
    );
    assert_eq!(denied(&outside).1, "namespace not authorized");

    let everywhere = login(&mount, "any-ns", &token("team-z", "vault-reader"));
    let success = everywhere.success().expect("any-ns allows every namespace");
    assert_eq!(success.lease_duration, 1800);
    assert!(reason(&everywhere, CheckId::Namespace).contains("every namespace (*)"));
}

#[test]
fn request_shape_and_role_lookup_follow_vault() {
    let mount = tutorial_mount();
    let jwt = token("grade-api", "grade-api-sa");
    assert_eq!(
        denied(&login(&mount, "", &jwt)),
        (400, "missing role", Some(CheckId::RoleLookup))
    );
    assert_eq!(
        denied(&login(&mount, "grade-api", "")),
        (400, "missing jwt", Some(CheckId::RoleLookup))
    );
    let unknown = login(&mount, "grade-apii", &jwt);
    assert_eq!(
        denied(&unknown),
        (
            400,
            "invalid role name \"grade-apii\"",
            Some(CheckId::RoleLookup)
        )
    );
    assert!(reason(&unknown, CheckId::RoleLookup).contains("grade-api, namespace-wide"));
    // Role names are case-insensitive; metadata keeps the name as sent, as Vault does.
    let upper = login(&mount, "GRADE-API", &jwt);
    assert_eq!(
        upper.success().expect("case-insensitive").metadata["role"],
        "GRADE-API"
    );
    // A denied login still lists every check.
    assert_eq!(unknown.trace.checks().len(), CheckId::ORDER.len());
}

#[test]
fn bound_cidrs_need_a_caller_inside_them() {
    let mut mount = tutorial_mount();
    with_role(
        &mut mount,
        "office",
        json!({"bound_service_account_names": "grade-api-sa", "bound_service_account_namespaces": "grade-api",
               "token_bound_cidrs": "10.0.0.0/8,192.168.1.7"}),
    );
    let jwt = token("grade-api", "grade-api-sa");
    let attempt = |addr: Option<&str>| {
        evaluate_login(
            &mount,
            &LoginRequest {
                role: "office".into(),
                jwt: jwt.clone(),
                remote_addr: addr.map(str::to_string),
                now: NOW,
                ..Default::default()
            },
        )
    };
    let inside = attempt(Some("10.20.30.40"));
    assert_eq!(
        inside.success().expect("inside").bound_cidrs.as_strings(),
        vec!["10.0.0.0/8", "192.168.1.7"]
    );
    assert!(attempt(Some("192.168.1.7:50000")).success().is_some());
    let outside = attempt(Some("172.16.0.1"));
    assert_eq!(
        denied(&outside),
        (403, "permission denied", Some(CheckId::BoundCidrs))
    );
    assert!(reason(&outside, CheckId::BoundCidrs).contains("172.16.0.1 is outside"));
    assert_eq!(denied(&attempt(None)).0, 403);
}

fn b64(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(text)
}

#[test]
fn hostile_tokens_are_refused_with_permission_denied_and_a_reason() {
    let mount = tutorial_mount();
    let good_claims = spec("grade-api", "grade-api-sa").claims().to_string();

    let none = format!(
        "{}.{}.",
        b64(r#"{"alg":"none","typ":"JWT"}"#),
        b64(&good_claims)
    );
    let result = login(&mount, "grade-api", &none);
    assert_eq!(
        denied(&result),
        (403, "permission denied", Some(CheckId::Signature))
    );
    assert!(
        reason(&result, CheckId::Signature).contains("\"none\" is not accepted"),
        "{}",
        result.trace
    );

    // Key confusion: HS256 with the RSA public key's PEM as the HMAC secret.
    let public_pem = key_pem("rsa-2048.pub.pem");
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    let confused = jsonwebtoken::encode(
        &header,
        &spec("grade-api", "grade-api-sa").claims(),
        &jsonwebtoken::EncodingKey::from_secret(public_pem.as_bytes()).expect("hmac key"),
    )
    .expect("hs256");
    let result = login(&mount, "grade-api", &confused);
    assert_eq!(
        denied(&result),
        (403, "permission denied", Some(CheckId::Signature))
    );
    assert!(reason(&result, CheckId::Signature).contains("HS256"));

    let other_key = SigningKey::from_pem(
        &key_pem("other-rsa-2048.key.pem"),
        SigningAlgorithm::RS256,
        None,
    )
    .expect("key");
    let forged = mint::mint(&spec("grade-api", "grade-api-sa"), &other_key).expect("mint");
    let result = login(&mount, "grade-api", &forged);
    assert_eq!(
        denied(&result),
        (403, "permission denied", Some(CheckId::Signature))
    );
    assert_eq!(
        reason(&result, CheckId::Signature),
        "signature does not verify against 1 configured key(s)"
    );

    // Tampered claims under a genuine signature.
    let genuine = token("grade-api", "grade-api-sa");
    let parts: Vec<&str> = genuine.split('.').collect();
    let tampered_claims = good_claims.replace("grade-api-sa", "payment-sa");
    let tampered = format!("{}.{}.{}", parts[0], b64(&tampered_claims), parts[2]);
    assert_eq!(
        denied(&login(&mount, "grade-api", &tampered)).1,
        "permission denied"
    );

    for broken in ["not-a-jwt", "a.b", "a.b.c.d", "!!!.???.###", "e30.e30.e30"] {
        let result = login(&mount, "grade-api", broken);
        assert_eq!(
            denied(&result),
            (403, "permission denied", Some(CheckId::Signature)),
            "{broken}"
        );
    }
    let huge = format!(
        "{}.{}.{}",
        b64(r#"{"alg":"RS256"}"#),
        "A".repeat(70_000),
        "sig"
    );
    let result = login(&mount, "grade-api", &huge);
    assert!(reason(&result, CheckId::Signature).contains("over the 65536-byte limit"));
}

#[test]
fn claims_of_the_wrong_type_are_named() {
    let mount = tutorial_mount();
    let mut claims = spec("grade-api", "grade-api-sa").claims();
    claims["exp"] = json!("tomorrow");
    let result = login(
        &mount,
        "grade-api",
        &mint::sign_claims(&claims, &rsa_key()).expect("sign"),
    );
    let (status_code, message, check) = denied(&result);
    assert_eq!((status_code, check), (403, Some(CheckId::Expiry)));
    assert_eq!(
        message,
        "invalid claims: claim \"exp\" must be a number (seconds since the epoch), got a string"
    );

    let mut claims = spec("grade-api", "grade-api-sa").claims();
    claims["kubernetes.io"]["namespace"] = json!(["grade-api"]);
    let result = login(
        &mount,
        "grade-api",
        &mint::sign_claims(&claims, &rsa_key()).expect("sign"),
    );
    assert_eq!(denied(&result).2, Some(CheckId::Namespace));
}

fn timed(exp: Option<i64>, nbf: Option<i64>, iat: Option<i64>) -> String {
    let mut claims = spec("grade-api", "grade-api-sa").claims();
    for (key, value) in [("exp", exp), ("nbf", nbf), ("iat", iat)] {
        match value {
            Some(v) => claims[key] = json!(v),
            None => {
                claims.as_object_mut().expect("object").remove(key);
            }
        }
    }
    mint::sign_claims(&claims, &rsa_key()).expect("sign")
}

#[test]
fn time_claims_use_a_sixty_second_leeway() {
    let mount = tutorial_mount();
    let past = NOW - 3600;
    // exp: one second inside and outside the leeway.
    assert!(
        login(
            &mount,
            "grade-api",
            &timed(Some(NOW - 60), Some(past), Some(past))
        )
        .success()
        .is_some()
    );
    let expired = login(
        &mount,
        "grade-api",
        &timed(Some(NOW - 61), Some(past), Some(past)),
    );
    assert_eq!(
        denied(&expired),
        (
            403,
            "invalid expiration time (exp) claim: token is expired",
            Some(CheckId::Expiry)
        )
    );
    assert!(
        reason(&expired, CheckId::Expiry).contains("1m1s ago"),
        "{}",
        reason(&expired, CheckId::Expiry)
    );
    // nbf.
    assert!(
        login(
            &mount,
            "grade-api",
            &timed(Some(NOW + 600), Some(NOW + 60), Some(past))
        )
        .success()
        .is_some()
    );
    let early = login(
        &mount,
        "grade-api",
        &timed(Some(NOW + 600), Some(NOW + 61), Some(past)),
    );
    assert_eq!(
        denied(&early),
        (
            403,
            "invalid not before (nbf) claim: token not yet valid",
            Some(CheckId::NotBefore)
        )
    );
    // iat.
    assert!(
        login(
            &mount,
            "grade-api",
            &timed(Some(NOW + 600), Some(past), Some(NOW + 60))
        )
        .success()
        .is_some()
    );
    let future = login(
        &mount,
        "grade-api",
        &timed(Some(NOW + 600), Some(past), Some(NOW + 61)),
    );
    assert_eq!(
        denied(&future),
        (
            403,
            "invalid issued at (iat) claim: token issued in the future",
            Some(CheckId::IssuedAt)
        )
    );
}

#[test]
fn missing_time_claims_follow_vaults_rules() {
    let mount = tutorial_mount();
    // No exp: it becomes iat + 150 s, then the 60 s leeway applies.
    assert!(
        login(&mount, "grade-api", &timed(None, None, Some(NOW - 210)))
            .success()
            .is_some()
    );
    let stale = login(&mount, "grade-api", &timed(None, None, Some(NOW - 211)));
    assert_eq!(denied(&stale).2, Some(CheckId::Expiry));
    // No nbf and no iat: nbf becomes exp - 150 s.
    assert!(
        login(&mount, "grade-api", &timed(Some(NOW + 210), None, None))
            .success()
            .is_some()
    );
    let early = login(&mount, "grade-api", &timed(Some(NOW + 211), None, None));
    assert_eq!(denied(&early).2, Some(CheckId::NotBefore));
    // None at all (legacy secret tokens): no time check.
    let legacy =
        mint::mint(&TokenSpec::legacy("grade-api", "grade-api-sa"), &rsa_key()).expect("mint");
    let result = login(&mount, "grade-api", &legacy);
    let success = result
        .success()
        .unwrap_or_else(|| panic!("{}", result.trace));
    assert_eq!(
        success.metadata["service_account_secret_name"],
        "grade-api-sa-token-podpass"
    );
    for id in [CheckId::NotBefore, CheckId::Expiry, CheckId::IssuedAt] {
        assert_eq!(status(&result, id), CheckStatus::Skipped);
    }
}

#[test]
fn issuer_is_checked_only_when_validation_is_on() {
    let mut mount = tutorial_mount();
    let pem = key_pem("rsa-2048.pub.pem");
    mount
        .write_config(&body(json!({"kubernetes_host": "https://k8s", "pem_keys": [pem],
            "issuer": "https://kubernetes.default.svc.cluster.local", "disable_iss_validation": false})))
        .expect("config");
    let ok = login(&mount, "grade-api", &token("grade-api", "grade-api-sa"));
    assert_eq!(status(&ok, CheckId::Issuer), CheckStatus::Passed);
    let mut other = spec("grade-api", "grade-api-sa");
    other.issuer = "https://evil.example".into();
    let result = login(&mount, "grade-api", &sign(&other));
    assert_eq!(
        denied(&result),
        (403, "invalid issuer (iss) claim", Some(CheckId::Issuer))
    );

    mount
        .write_config(&body(
            json!({"kubernetes_host": "https://k8s", "pem_keys": [pem],
            "issuer": "https://kubernetes.default.svc.cluster.local"}),
        ))
        .expect("config");
    assert!(
        login(&mount, "grade-api", &sign(&other))
            .success()
            .is_some(),
        "validation is off by default"
    );
}

#[test]
fn audience_must_be_in_aud_string_or_array() {
    let mut mount = tutorial_mount();
    with_role(
        &mut mount,
        "aud",
        json!({"bound_service_account_names": "grade-api-sa", "bound_service_account_namespaces": "grade-api", "audience": "vault"}),
    );
    let mut s = spec("grade-api", "grade-api-sa");
    s.audiences = vec!["https://kubernetes.default.svc".into(), "vault".into()];
    assert!(login(&mount, "aud", &sign(&s)).success().is_some());
    s.audiences = vec!["vault".into()];
    assert!(
        login(&mount, "aud", &sign(&s)).success().is_some(),
        "single audience is a string claim"
    );
    s.audiences = vec!["https://kubernetes.default.svc".into()];
    let result = login(&mount, "aud", &sign(&s));
    assert_eq!(
        denied(&result),
        (
            403,
            "invalid audience (aud) claim: audience claim does not match any expected audience",
            Some(CheckId::Audience)
        )
    );
    s.audiences = vec![];
    assert_eq!(
        denied(&login(&mount, "aud", &sign(&s))).2,
        Some(CheckId::Audience)
    );
}

#[test]
fn every_accepted_algorithm_verifies_with_its_key() {
    let mut mount = tutorial_mount();
    let keys = ["rsa-2048.cert.pem", "ec-p256.pub.pem", "ec-p384.pub.pem"].map(key_pem);
    mount
        .write_config(&body(
            json!({"kubernetes_host": "https://k8s", "pem_keys": keys}),
        ))
        .expect("config");
    let rsa = key_pem("rsa-2048.key.pem");
    for (alg, private) in [
        (SigningAlgorithm::RS256, rsa.clone()),
        (SigningAlgorithm::RS384, rsa.clone()),
        (SigningAlgorithm::RS512, rsa.clone()),
        (SigningAlgorithm::PS256, rsa.clone()),
        (SigningAlgorithm::PS384, rsa.clone()),
        (SigningAlgorithm::PS512, rsa.clone()),
        (SigningAlgorithm::ES256, key_pem("ec-p256.key.pem")),
        (SigningAlgorithm::ES384, key_pem("ec-p384.key.pem")),
    ] {
        let key = SigningKey::from_pem(&private, alg, None).expect("key");
        let jwt = mint::mint(&spec("grade-api", "grade-api-sa"), &key).expect("mint");
        let result = login(&mount, "grade-api", &jwt);
        assert!(result.success().is_some(), "{alg}:\n{}", result.trace);
        assert_eq!(
            reason(&result, CheckId::Algorithm),
            format!("{alg} is an accepted algorithm")
        );
    }
    // An EC token against RSA-only keys finds no key that fits.
    let rsa_only = tutorial_mount();
    let key = SigningKey::from_pem(&key_pem("ec-p256.key.pem"), SigningAlgorithm::ES256, None)
        .expect("key");
    let result = login(
        &rsa_only,
        "grade-api",
        &mint::mint(&spec("grade-api", "grade-api-sa"), &key).expect("mint"),
    );
    assert_eq!(
        reason(&result, CheckId::Signature),
        "no configured key fits ES256"
    );
}

#[test]
fn only_a_configured_mount_without_keys_admits_unverified_tokens() {
    let mut mount = KubernetesMount::new("kubernetes", ACCESSOR);
    // No config: every login is denied before its signature matters.
    assert!(!mount.verifies_signatures());
    assert!(!mount.admits_unverified_tokens());
    mount
        .write_config(&body(json!({"kubernetes_host": "https://k8s"})))
        .expect("config");
    assert!(mount.admits_unverified_tokens());
    mount.add_jwks(ec_p256_jwks("cluster-key"));
    assert!(mount.verifies_signatures());
    assert!(!mount.admits_unverified_tokens());
    let with_pem_keys = tutorial_mount();
    assert!(with_pem_keys.verifies_signatures());
    assert!(!with_pem_keys.admits_unverified_tokens());
}

#[test]
fn jwks_keys_are_selected_by_kid() {
    let mut mount = KubernetesMount::new("kubernetes", ACCESSOR);
    mount
        .write_config(&body(json!({"kubernetes_host": "https://k8s"})))
        .expect("config");
    let written = Role::write(
        "grade-api",
        &api_body(&fixtures().join("tutorial/roles/grade-api.json")),
        None,
        &MountTtls::default(),
    )
    .expect("role");
    mount.put_role(written.role);
    let private = key_pem("ec-p256.key.pem");
    mount.add_jwks(ec_p256_jwks("cluster-key-2"));

    let key = SigningKey::from_pem(
        &private,
        SigningAlgorithm::ES256,
        Some("cluster-key-2".into()),
    )
    .expect("key");
    let result = login(
        &mount,
        "grade-api",
        &mint::mint(&spec("grade-api", "grade-api-sa"), &key).expect("mint"),
    );
    assert_eq!(
        reason(&result, CheckId::Signature),
        "verified with ECDSA P-256 key jwks keys[0] (kid cluster-key-2)"
    );
    let wrong_kid = SigningKey::from_pem(
        &private,
        SigningAlgorithm::ES256,
        Some("rotated-away".into()),
    )
    .expect("key");
    let result = login(
        &mount,
        "grade-api",
        &mint::mint(&spec("grade-api", "grade-api-sa"), &wrong_kid).expect("mint"),
    );
    assert_eq!(
        reason(&result, CheckId::Signature),
        "no configured key fits ES256 with kid \"rotated-away\""
    );
}

#[test]
fn without_pem_keys_the_signature_is_left_to_token_review() {
    let mut mount = tutorial_mount();
    mount
        .write_config(&body(json!({"kubernetes_host": "https://k8s"})))
        .expect("config");
    let other_key = SigningKey::from_pem(
        &key_pem("other-rsa-2048.key.pem"),
        SigningAlgorithm::RS256,
        None,
    )
    .expect("key");
    let jwt = mint::mint(&spec("grade-api", "grade-api-sa"), &other_key).expect("mint");
    let result = login(&mount, "grade-api", &jwt);
    assert!(result.success().is_some());
    assert_eq!(status(&result, CheckId::Signature), CheckStatus::Skipped);
    // The algorithm list still applies.
    let none = format!(
        "{}.{}.",
        b64(r#"{"alg":"none"}"#),
        b64(&spec("grade-api", "grade-api-sa").claims().to_string())
    );
    assert_eq!(
        denied(&login(&mount, "grade-api", &none)).1,
        "permission denied"
    );
}

#[test]
fn token_review_completes_or_denies_the_login() {
    let mut mount = tutorial_mount();
    mount
        .write_config(&body(
            json!({"kubernetes_host": "https://k8s:6443/", "token_reviewer_jwt": "reviewer-jwt",
            "pem_keys": [key_pem("rsa-2048.pub.pem")]}),
        ))
        .expect("config");
    let jwt = token("grade-api", "grade-api-sa");
    let request = LoginRequest {
        role: "grade-api".into(),
        jwt: jwt.clone(),
        now: NOW,
        ..Default::default()
    };
    let pending = || match begin_login(&mount, &request) {
        LoginStep::NeedsTokenReview(pending) => pending,
        LoginStep::Finished(result) => panic!("no review asked:\n{}", result.trace),
    };
    let p = pending();
    assert_eq!(
        p.request.url,
        "https://k8s:6443/apis/authentication.k8s.io/v1/tokenreviews"
    );
    assert_eq!(p.request.bearer, "reviewer-jwt");
    assert_eq!(p.request.body["spec"]["token"], jwt);

    let uid = service_account_uid("grade-api", "grade-api-sa");
    let review = |username: &str, uid: &str| TokenReviewResponse {
        status_code: 201,
        body: json!({"kind": "TokenReview", "status": {"authenticated": true,
            "user": {"username": username, "uid": uid}}})
        .to_string(),
    };
    let ok = pending().complete(Ok(review(
        "system:serviceaccount:grade-api:grade-api-sa",
        &uid,
    )));
    assert!(ok.success().is_some());
    assert_eq!(status(&ok, CheckId::TokenReview), CheckStatus::Passed);

    let recreated = pending().complete(Ok(review(
        "system:serviceaccount:grade-api:grade-api-sa",
        "another-uid",
    )));
    assert_eq!(
        denied(&recreated),
        (403, "permission denied", Some(CheckId::TokenReview))
    );
    assert_eq!(
        reason(&recreated, CheckId::TokenReview),
        "JWT UIDs did not match"
    );

    let deleted = pending().complete(Ok(TokenReviewResponse {
        status_code: 401,
        body: "{}".into(),
    }));
    assert!(reason(&deleted, CheckId::TokenReview).contains("deleted or recreated"));
    let down = pending().complete(Err("connection refused".into()));
    assert_eq!(denied(&down).0, 403);
    assert_eq!(
        reason(&down, CheckId::TokenReview),
        "lookup failed: connection refused"
    );
}

#[test]
fn ttl_arithmetic_uses_vaults_mount_defaults_and_caps() {
    let mut mount = tutorial_mount();
    with_role(
        &mut mount,
        "no-ttl",
        json!({"bound_service_account_names": "a", "bound_service_account_namespaces": "n"}),
    );
    with_role(
        &mut mount,
        "periodic",
        json!({"bound_service_account_names": "a", "bound_service_account_namespaces": "n", "token_period": "2h"}),
    );
    with_role(
        &mut mount,
        "long",
        json!({"bound_service_account_names": "a", "bound_service_account_namespaces": "n", "token_ttl": "48h"}),
    );
    with_role(
        &mut mount,
        "batch",
        json!({"bound_service_account_names": "a", "bound_service_account_namespaces": "n", "token_type": "batch", "ttl": "10m"}),
    );
    let jwt = token("n", "a");
    let lease = |m: &KubernetesMount, role: &str| {
        let result = login(m, role, &jwt);
        result
            .success()
            .unwrap_or_else(|| panic!("{role}:\n{}", result.trace))
            .clone()
    };
    assert_eq!(
        lease(&mount, "no-ttl").lease_duration,
        2_764_800,
        "768h mount default"
    );
    assert_eq!(lease(&mount, "periodic").lease_duration, 7200);
    let batch = lease(&mount, "batch");
    assert_eq!(
        (batch.token_type, batch.renewable, batch.lease_duration),
        (TokenType::Batch, false, 600)
    );

    mount.set_ttls(MountTtls {
        default_lease_ttl: 3600,
        max_lease_ttl: 86_400,
    });
    let capped = lease(&mount, "long");
    assert_eq!(capped.lease_duration, 86_400);
    assert_eq!(
        capped.warnings,
        vec![
            "TTL of \"48h\" exceeded the effective max_ttl of \"24h\"; TTL value is capped accordingly"
        ]
    );
    assert_eq!(
        lease(&mount, "no-ttl").lease_duration,
        3600,
        "tuned mount default"
    );
}

#[test]
fn namespace_selectors_use_the_labels_the_caller_supplies() {
    let mut mount = tutorial_mount();
    with_role(
        &mut mount,
        "by-label",
        json!({"bound_service_account_names": "*",
               "bound_service_account_namespace_selector": "{\"matchLabels\":{\"team\":\"payments\"}}"}),
    );
    let jwt = token("payment", "payment-sa");
    let attempt = |labels: Option<&[(&str, &str)]>| {
        evaluate_login(
            &mount,
            &LoginRequest {
                role: "by-label".into(),
                jwt: jwt.clone(),
                namespace_labels: labels.map(|l| {
                    l.iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect::<BTreeMap<_, _>>()
                }),
                now: NOW,
                ..Default::default()
            },
        )
    };
    assert!(
        attempt(Some(&[("team", "payments"), ("env", "prod")]))
            .success()
            .is_some()
    );
    let wrong = attempt(Some(&[("team", "grades")]));
    assert_eq!(
        denied(&wrong),
        (403, "namespace not authorized", Some(CheckId::Namespace))
    );
    assert!(reason(&wrong, CheckId::Namespace).contains("do not match the selector"));
    let unknown = attempt(None);
    assert!(reason(&unknown, CheckId::Namespace).contains("were not supplied"));
}

#[test]
fn policies_are_sanitised_and_root_is_refused() {
    assert_eq!(
        sanitize_policies(
            &[
                " Grade-API ".into(),
                "default".into(),
                "grade-api".into(),
                "".into()
            ],
            true
        ),
        vec!["default", "grade-api"]
    );
    assert_eq!(
        sanitize_policies(&["b".into(), "a".into()], false),
        vec!["a", "b"]
    );
    assert_eq!(sanitize_policies(&[], true), vec!["default"]);
    assert_eq!(
        sanitize_policies(&["x".into(), "Root".into()], true),
        vec!["root"]
    );

    let mut mount = tutorial_mount();
    with_role(
        &mut mount,
        "no-default",
        json!({"bound_service_account_names": "a", "bound_service_account_namespaces": "n",
        "token_policies": "reader", "token_no_default_policy": true}),
    );
    with_role(
        &mut mount,
        "rooted",
        json!({"bound_service_account_names": "a", "bound_service_account_namespaces": "n",
        "token_policies": "root"}),
    );
    let jwt = token("n", "a");
    assert_eq!(
        login(&mount, "no-default", &jwt)
            .success()
            .expect("ok")
            .policies,
        vec!["reader"]
    );
    assert_eq!(
        denied(&login(&mount, "rooted", &jwt)),
        (400, "auth methods cannot create root tokens", None)
    );
}

#[test]
fn alias_name_source_and_missing_uid() {
    let mut mount = tutorial_mount();
    with_role(
        &mut mount,
        "by-name",
        json!({"bound_service_account_names": "a", "bound_service_account_namespaces": "n",
        "alias_name_source": "serviceaccount_name"}),
    );
    let result = login(&mount, "by-name", &token("n", "a"));
    assert_eq!(
        result.success().expect("ok").alias().expect("alias").name,
        "n/a"
    );

    let mut no_uid = spec("grade-api", "grade-api-sa");
    no_uid.uid = String::new();
    let result = login(&mount, "grade-api", &sign(&no_uid));
    assert_eq!(
        denied(&result),
        (500, "could not parse UID from claims", None)
    );
}

#[test]
fn an_unconfigured_mount_cannot_log_in() {
    let mut mount = KubernetesMount::new("kubernetes", ACCESSOR);
    with_role(
        &mut mount,
        "r",
        json!({"bound_service_account_names": "a", "bound_service_account_namespaces": "n"}),
    );
    assert_eq!(
        denied(&login(&mount, "r", &token("n", "a"))),
        (500, "could not load backend configuration", None)
    );
}

#[test]
fn the_mount_says_how_its_logins_are_verified() {
    use podpass_core::mount::Verification;
    let with = |config: serde_json::Value| {
        let mut mount = KubernetesMount::new("kubernetes", ACCESSOR);
        mount.write_config(&body(config)).expect("config");
        mount.verification()
    };
    let pem = key_pem("rsa-2048.pub.pem");
    let host = "https://k8s";
    let vault = Verification {
        discovery_keys: false,
        token_review: true,
    };
    assert_eq!(KubernetesMount::new("k", ACCESSOR).verification(), vault);
    assert_eq!(with(json!({"kubernetes_host": host})), vault);
    assert_eq!(
        with(json!({"kubernetes_host": host, "pem_keys": [pem]})),
        vault
    );
    assert_eq!(
        with(json!({"kubernetes_host": host, "jwks_discovery": true})),
        Verification {
            discovery_keys: true,
            token_review: true
        }
    );
    assert_eq!(
        with(json!({"kubernetes_host": host, "pem_keys": [pem], "disable_token_review": true})),
        Verification {
            discovery_keys: false,
            token_review: false
        }
    );
    assert_eq!(
        with(
            json!({"kubernetes_host": host, "jwks_discovery": true, "disable_token_review": true})
        ),
        Verification {
            discovery_keys: true,
            token_review: false
        }
    );
}

#[test]
fn begin_login_follows_the_mounts_verification_and_trusts_discovered_keys() {
    let mut mount = KubernetesMount::new("kubernetes", ACCESSOR);
    mount
        .write_config(&body(json!({
            "kubernetes_host": "https://k8s",
            "jwks_discovery": true,
            "disable_token_review": true,
        })))
        .expect("config");
    let written = Role::write(
        "grade-api",
        &api_body(&fixtures().join("tutorial/roles/grade-api.json")),
        None,
        &MountTtls::default(),
    )
    .expect("role");
    mount.put_role(written.role);
    let private = key_pem("ec-p256.key.pem");
    let discovered = ec_p256_jwks("cluster-key");
    let key = SigningKey::from_pem(
        &private,
        SigningAlgorithm::ES256,
        Some("cluster-key".into()),
    )
    .expect("key");
    let request = LoginRequest {
        role: "grade-api".into(),
        jwt: mint::mint(&spec("grade-api", "grade-api-sa"), &key).expect("mint"),
        now: NOW,
        ..Default::default()
    };

    // Without the discovered keys nothing verifies the signature (the mount has no pem_keys),
    // and without TokenReview nothing else would: the signature step is skipped and the login
    // finishes at once, as the mount asks.
    let LoginStep::Finished(result) =
        podpass_core::login::begin_login_with_discovered_keys(&mount, &request, Some(&discovered))
    else {
        panic!("disable_token_review finishes without TokenReview");
    };
    assert!(result.success().is_some(), "{}", result.trace);
    assert_eq!(
        reason(&result, CheckId::Signature),
        "verified with ECDSA P-256 key jwks keys[0] (kid cluster-key)"
    );
    assert_eq!(status(&result, CheckId::TokenReview), CheckStatus::Skipped);
    assert!(reason(&result, CheckId::TokenReview).contains("disable_token_review"));
    // The mount itself is untouched: the keys were trusted for this login only.
    assert!(mount.keys().is_empty());
    // Offline, with no keys given, the trace says whose keys were missing, not Vault's reason.
    let LoginStep::Finished(offline) = podpass_core::login::begin_login(&mount, &request) else {
        panic!("disable_token_review finishes without TokenReview");
    };
    assert_eq!(status(&offline, CheckId::Signature), CheckStatus::Skipped);
    assert!(
        reason(&offline, CheckId::Signature).contains("jwks_discovery"),
        "{}",
        offline.trace
    );
}

#[test]
fn a_login_carries_what_renewal_needs() {
    let mut mount = tutorial_mount();
    mount.set_ttls(MountTtls {
        default_lease_ttl: 7200,
        max_lease_ttl: 86_400,
    });
    let mut role = mount.role("grade-api").expect("role").clone();
    role.token.ttl = 600;
    role.token.max_ttl = 3600;
    role.token.period = 0;
    role.token.explicit_max_ttl = 5400;
    mount.put_role(role);
    let result = login(&mount, "grade-api", &token("grade-api", "grade-api-sa"));
    let success = result.success().expect("allowed");
    let settings = success.ttl_settings;
    assert_eq!(
        (
            settings.backend_ttl,
            settings.backend_max_ttl,
            settings.explicit_max_ttl
        ),
        (600, 3600, 5400)
    );
    assert_eq!(
        (settings.mount_default_ttl, settings.mount_max_ttl),
        (7200, 86_400)
    );
    // Renewal redoes Vault's arithmetic from them alone.
    let renewed = settings.calculate(0, NOW, NOW + 60).expect("renewal");
    assert_eq!(renewed.ttl, success.lease_duration);
    // They are not part of Vault's answer.
    let json = serde_json::to_value(success).expect("json");
    assert!(json.get("ttl_settings").is_none());
}
