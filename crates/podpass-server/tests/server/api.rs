//! Every route, in process: the router is driven with `tower::ServiceExt::oneshot`, over a
//! memory backend and a pinned clock.

use crate::support;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use podpass_server::app::App;
use podpass_server::server::fixed_clock;
use serde_json::{Value, json};

use support::demo::{Harness, NOW, ROOT, errors, get};

#[tokio::test]
async fn health_seal_status_and_init_need_no_token() {
    let h = Harness::demo().await;
    let (status, body) = h.call("GET", "sys/health", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (body["initialized"].clone(), body["sealed"].clone()),
        (json!(true), json!(false))
    );
    let (status, body) = h.call("GET", "sys/seal-status", None, None).await;
    assert_eq!(
        (status, body["sealed"].clone()),
        (StatusCode::OK, json!(false))
    );
    let (status, body) = h.call("GET", "sys/init", None, None).await;
    assert_eq!(
        (status, body["initialized"].clone()),
        (StatusCode::OK, json!(true))
    );
    let (status, body) = h.call("GET", "sys/leader", None, None).await;
    assert_eq!(
        (status, body["ha_enabled"].clone()),
        (StatusCode::OK, json!(false))
    );
    // What `vault kv get secret/x` asks first.
    let (status, body) = h
        .call("GET", "sys/internal/ui/mounts/secret/x", Some(ROOT), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["options"]["version"], json!("2"));
    assert_eq!(body["data"]["path"], json!("secret/"));
    assert_eq!(
        h.call("GET", "sys/internal/ui/mounts/other/x", Some(ROOT), None)
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    // It needs a token, as Vault's does, but any token: the default policy grants nothing on
    // the lookup's own path.
    assert_eq!(
        h.call("GET", "sys/internal/ui/mounts/secret/x", None, None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let grade = h
        .login_token("grade-api", "grade-api", "grade-api-sa")
        .await;
    assert_eq!(
        h.call("GET", "sys/internal/ui/mounts/secret/x", Some(&grade), None)
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_tutorial_login_gets_an_hour_and_its_policies() {
    let h = Harness::demo().await;
    let (status, body) = h.login("grade-api", "grade-api", "grade-api-sa").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let auth = &body["auth"];
    assert_eq!(auth["lease_duration"], json!(3600));
    assert_eq!(auth["policies"], json!(["default", "grade-api"]));
    assert_eq!(auth["token_type"], json!("service"));
    let token = auth["client_token"].as_str().expect("token");
    assert!(token.starts_with("hvs."), "{token}");
    assert!(auth["accessor"].as_str().is_some_and(|a| !a.is_empty()));
}

#[tokio::test]
async fn a_refused_login_carries_vaults_message_and_status() {
    let h = Harness::demo().await;
    let (status, body) = h.login("grade-api", "payment", "grade-api-sa").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(errors(&body), ["namespace not authorized"]);
    let (status, body) = h.login("grade-api", "grade-api", "payment-sa").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(errors(&body), ["service account name not authorized"]);
    let (status, body) = h
        .call(
            "POST",
            "auth/kubernetes/login",
            None,
            Some(json!({"jwt": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(errors(&body), ["missing role"]);
}

#[tokio::test]
async fn tokens_are_checked_and_acls_enforced_on_kv() {
    let h = Harness::demo().await;
    for (path, value) in [("grade-api/db", "grades"), ("payment/db", "cards")] {
        let (status, body) = h
            .call(
                "POST",
                &format!("secret/data/{path}"),
                Some(ROOT),
                Some(json!({"data": {"password": value}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["data"]["version"], json!(1));
    }
    let grade = h
        .login_token("grade-api", "grade-api", "grade-api-sa")
        .await;
    let (status, body) = h
        .call("GET", "secret/data/grade-api/db", Some(&grade), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["data"]["password"], json!("grades"));
    // Exercise 3: one namespace's token cannot read the other's secrets (Vault's core words
    // an ACL denial as a one-item multierror).
    let (status, body) = h
        .call("GET", "secret/data/payment/db", Some(&grade), None)
        .await;
    assert_eq!(
        (status, errors(&body)),
        (
            StatusCode::FORBIDDEN,
            vec!["1 error occurred:\n\t* permission denied\n\n".to_string()]
        )
    );
    // Read-only: writing is denied even on its own path.
    let (status, _) = h
        .call(
            "POST",
            "secret/data/grade-api/db",
            Some(&grade),
            Some(json!({"data": {"x": "y"}})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Missing and unknown tokens.
    assert_eq!(
        h.call("GET", "secret/data/grade-api/db", None, None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        h.call("GET", "secret/data/grade-api/db", Some("hvs.nope"), None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        h.call("GET", "secret/data/grade-api/db", Some("hvb.forged"), None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn kv_versions_cas_patch_delete_and_metadata() {
    let h = Harness::demo().await;
    let write = |data: Value| h.call("POST", "secret/data/app/config", Some(ROOT), Some(data));
    assert_eq!(
        write(json!({"data": {"a": "1"}})).await.1["data"]["version"],
        json!(1)
    );
    assert_eq!(
        write(json!({"data": {"a": "2"}, "options": {"cas": 1}}))
            .await
            .1["data"]["version"],
        json!(2)
    );
    let (status, body) = write(json!({"data": {"a": "3"}, "options": {"cas": 1}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(&body),
        ["check-and-set parameter did not match the current version"]
    );
    let (status, body) = h
        .call("GET", "secret/data/app/config?version=1", Some(ROOT), None)
        .await;
    assert_eq!(
        (status, body["data"]["data"]["a"].clone()),
        (StatusCode::OK, json!("1"))
    );
    let (status, body) = h
        .call(
            "PATCH",
            "secret/data/app/config",
            Some(ROOT),
            Some(json!({"data": {"b": "x"}})),
        )
        .await;
    assert_eq!(
        (status, body["data"]["version"].clone()),
        (StatusCode::OK, json!(3))
    );
    let (_, body) = h
        .call("GET", "secret/data/app/config", Some(ROOT), None)
        .await;
    assert_eq!(body["data"]["data"], json!({"a": "2", "b": "x"}));
    let (status, _) = h
        .call("DELETE", "secret/data/app/config", Some(ROOT), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = h
        .call("GET", "secret/data/app/config", Some(ROOT), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["data"]["data"], Value::Null);
    assert!(
        body["data"]["metadata"]["deletion_time"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    let (status, body) = h
        .call("GET", "secret/metadata/app/config", Some(ROOT), None)
        .await;
    assert_eq!(
        (status, body["data"]["current_version"].clone()),
        (StatusCode::OK, json!(3))
    );
    let (status, body) = h
        .call("LIST", "secret/metadata/app", Some(ROOT), None)
        .await;
    assert_eq!(
        (status, body["data"]["keys"].clone()),
        (StatusCode::OK, json!(["config"]))
    );
    let (status, body) = h
        .call("GET", "secret/metadata/?list=true", Some(ROOT), None)
        .await;
    assert_eq!(
        (status, body["data"]["keys"].clone()),
        (StatusCode::OK, json!(["app/"]))
    );
    assert_eq!(
        h.call("DELETE", "secret/metadata/app/config", Some(ROOT), None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        h.call("GET", "secret/metadata/app/config", Some(ROOT), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        h.call("LIST", "secret/metadata/app", Some(ROOT), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (status, body) = h
        .call(
            "POST",
            "secret/data/app/x",
            Some(ROOT),
            Some(json!({"nodata": 1})),
        )
        .await;
    assert_eq!(
        (status, errors(&body)),
        (
            StatusCode::BAD_REQUEST,
            vec!["no data provided".to_string()]
        )
    );
}

#[tokio::test]
async fn lookup_renew_and_revoke_self() {
    let h = Harness::demo().await;
    let token = h
        .login_token("grade-api", "grade-api", "grade-api-sa")
        .await;
    let (status, body) = h
        .call("GET", "auth/token/lookup-self", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["policies"], json!(["default", "grade-api"]));
    assert_eq!(body["data"]["ttl"], json!(3600));
    assert_eq!(body["data"]["id"], json!(token));
    assert_eq!(body["data"]["path"], json!("auth/kubernetes/login"));
    assert!(body["data"].get("last_renewal").is_none(), "{body}");
    let (status, body) = h
        .call(
            "POST",
            "auth/token/renew-self",
            Some(&token),
            Some(json!({"increment": "30m"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["auth"]["lease_duration"], json!(1800));
    // Once renewed, the lookup says when, in both of Vault's forms.
    let (_, body) = h
        .call("GET", "auth/token/lookup-self", Some(&token), None)
        .await;
    assert_eq!(body["data"]["last_renewal_time"], json!(NOW));
    assert_eq!(
        body["data"]["last_renewal"],
        json!(podpass_core::timestamp::rfc3339(NOW))
    );
    let (status, _) = h
        .call("POST", "auth/token/revoke-self", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        h.call("GET", "auth/token/lookup-self", Some(&token), None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let h = Harness::demo().await;
    let token = h
        .login_token("grade-api", "grade-api", "grade-api-sa")
        .await;
    // The same state seen an hour and a second later.
    let app_later = App::load(h.app.store.clone(), fixed_clock(NOW + 3601)).expect("reload");
    let later = Harness {
        app: Arc::new(app_later),
    };
    assert_eq!(
        later
            .call("GET", "auth/token/lookup-self", Some(&token), None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(later.app.tokens.sweep(NOW + 3601).await.expect("sweep"), 1);
    assert_eq!(
        later.app.tokens.live_count(),
        1,
        "only the root token is left"
    );
}

#[tokio::test]
async fn token_lookup_create_and_batch_tokens() {
    let h = Harness::demo().await;
    let (status, body) = h
        .call(
            "POST",
            "auth/token/create",
            Some(ROOT),
            Some(json!({"policies": ["grade-api"], "ttl": "10m"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["auth"]["policies"], json!(["default", "grade-api"]));
    assert_eq!(body["auth"]["lease_duration"], json!(600));
    let child = body["auth"]["client_token"]
        .as_str()
        .expect("token")
        .to_string();
    let accessor = body["auth"]["accessor"]
        .as_str()
        .expect("accessor")
        .to_string();
    let (status, body) = h
        .call(
            "POST",
            "auth/token/lookup",
            Some(ROOT),
            Some(json!({"token": child})),
        )
        .await;
    assert_eq!(
        (status, body["data"]["ttl"].clone()),
        (StatusCode::OK, json!(600))
    );
    // By accessor: the same token, without revealing it.
    let (status, body) = h
        .call(
            "POST",
            "auth/token/lookup-accessor",
            Some(ROOT),
            Some(json!({"accessor": accessor})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["data"]["id"].clone(), body["data"]["ttl"].clone()),
        (json!(""), json!(600))
    );
    // A non-root token may only hand out its own policies.
    let (status, body) = h
        .call(
            "POST",
            "auth/token/create",
            Some(ROOT),
            Some(json!({"policies": ["payment-api"], "ttl": "10m"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let payment_admin = body["auth"]["client_token"]
        .as_str()
        .expect("token")
        .to_string();
    let (status, _) = h
        .call(
            "PUT",
            "sys/policies/acl/token-maker",
            Some(ROOT),
            Some(json!({"policy": "path \"auth/token/create\" { capabilities = [\"update\"] }"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = h
        .call(
            "POST",
            "auth/token/create",
            Some(ROOT),
            Some(json!({"policies": ["payment-api", "token-maker"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let maker = body["auth"]["client_token"]
        .as_str()
        .expect("token")
        .to_string();
    let (status, body) = h
        .call(
            "POST",
            "auth/token/create",
            Some(&maker),
            Some(json!({"policies": ["grade-api"]})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        errors(&body)[0].contains("child policies must be subset of parent"),
        "{body}"
    );
    let (status, body) = h
        .call(
            "POST",
            "auth/token/create",
            Some(&maker),
            Some(json!({"policies": ["payment-api"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["auth"]["policies"], json!(["default", "payment-api"]));
    // Without update on auth/token/create, no token can be made at all.
    assert_eq!(
        h.call(
            "POST",
            "auth/token/create",
            Some(&payment_admin),
            Some(json!({}))
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = h
        .call(
            "POST",
            "auth/token/create",
            Some(ROOT),
            Some(json!({"policies": ["payment-api"], "type": "batch", "ttl": "5m"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let batch = body["auth"]["client_token"]
        .as_str()
        .expect("token")
        .to_string();
    assert!(batch.starts_with("hvb."), "{batch}");
    assert_eq!(body["auth"]["token_type"], json!("batch"));
    let (status, body) = h
        .call("GET", "auth/token/lookup-self", Some(&batch), None)
        .await;
    assert_eq!(
        (status, body["data"]["type"].clone()),
        (StatusCode::OK, json!("batch"))
    );
    let (status, body) = h
        .call("POST", "auth/token/renew-self", Some(&batch), None)
        .await;
    assert_eq!(
        (status, errors(&body)),
        (
            StatusCode::BAD_REQUEST,
            vec!["batch tokens cannot be renewed".to_string()]
        )
    );
    // Batch tokens are not stored: a token sealed with another server's key is refused.
    let other = Harness::demo().await;
    assert_eq!(
        other
            .call("GET", "auth/token/lookup-self", Some(&batch), None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn batch_roles_issue_batch_tokens_at_login() {
    let h = Harness::demo().await;
    let (status, body) = h
        .call(
            "POST",
            "auth/kubernetes/role/batchy",
            Some(ROOT),
            Some(json!({"bound_service_account_names": "grade-api-sa", "bound_service_account_namespaces": "grade-api", "token_policies": "grade-api", "token_type": "batch", "token_ttl": "15m"})),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let token = h.login_token("batchy", "grade-api", "grade-api-sa").await;
    assert!(token.starts_with("hvb."), "{token}");
    assert_eq!(h.app.tokens.live_count(), 1, "batch tokens are not stored");
    let (status, body) = h
        .call("GET", "auth/token/lookup-self", Some(&token), None)
        .await;
    assert_eq!(
        (status, body["data"]["ttl"].clone()),
        (StatusCode::OK, json!(900))
    );
}

#[tokio::test]
async fn auth_methods_config_and_roles() {
    let h = Harness::demo().await;
    let (status, body) = h.call("GET", "sys/auth", Some(ROOT), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["kubernetes/"]["type"], json!("kubernetes"));
    assert_eq!(body["data"]["token/"]["type"], json!("token"));
    let (status, _) = h
        .call(
            "POST",
            "sys/auth/k8s-two",
            Some(ROOT),
            Some(json!({"type": "kubernetes"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = h
        .call(
            "POST",
            "sys/auth/k8s-two",
            Some(ROOT),
            Some(json!({"type": "kubernetes"})),
        )
        .await;
    assert_eq!(
        (status, errors(&body)),
        (
            StatusCode::BAD_REQUEST,
            vec!["path is already in use at k8s-two/".to_string()]
        )
    );
    let (status, body) = h
        .call(
            "POST",
            "sys/auth/up",
            Some(ROOT),
            Some(json!({"type": "userpass"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(errors(&body)[0].contains("userpass"));
    let (status, body) = h
        .call("POST", "auth/k8s-two/config", Some(ROOT), Some(json!({"kubernetes_host": "https://k8s:443", "pem_keys": [podpass_core::demo::DEMO_PUBLIC_KEY_PEM]})))
        .await;
    assert!(status.is_success(), "{body}");
    let (status, body) = h.call("GET", "auth/k8s-two/config", Some(ROOT), None).await;
    assert_eq!(
        (status, body["data"]["kubernetes_host"].clone()),
        (StatusCode::OK, json!("https://k8s:443"))
    );
    let (status, body) = h
        .call("POST", "auth/k8s-two/config", Some(ROOT), Some(json!({})))
        .await;
    assert_eq!(
        (status, errors(&body)),
        (
            StatusCode::BAD_REQUEST,
            vec!["no host provided".to_string()]
        )
    );
    assert_eq!(
        h.call("LIST", "auth/k8s-two/role", Some(ROOT), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (status, body) = h
        .call("POST", "auth/k8s-two/role/r1", Some(ROOT), Some(json!({"bound_service_account_names": "a", "bound_service_account_namespaces": "b", "ttl": "1h"})))
        .await;
    assert!(status.is_success(), "{body}");
    let (status, body) = h
        .call("GET", "auth/k8s-two/role/r1", Some(ROOT), None)
        .await;
    assert_eq!(
        (status, body["data"]["token_ttl"].clone()),
        (StatusCode::OK, json!(3600))
    );
    let (status, body) = h
        .call("GET", "auth/k8s-two/role?list=true", Some(ROOT), None)
        .await;
    assert_eq!(
        (status, body["data"]["keys"].clone()),
        (StatusCode::OK, json!(["r1"]))
    );
    let (status, body) = h
        .call(
            "POST",
            "auth/k8s-two/role/r2",
            Some(ROOT),
            Some(json!({"bound_service_account_names": "a"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        h.call("DELETE", "auth/k8s-two/role/r1", Some(ROOT), None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        h.call("GET", "auth/k8s-two/role/r1", Some(ROOT), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        h.call("DELETE", "sys/auth/k8s-two", Some(ROOT), None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        h.call("GET", "auth/k8s-two/config", Some(ROOT), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // Enabling auth methods needs sudo: a login token may not, whatever its policies.
    let grade = h
        .login_token("grade-api", "grade-api", "grade-api-sa")
        .await;
    assert_eq!(
        h.call(
            "POST",
            "sys/auth/x",
            Some(&grade),
            Some(json!({"type": "kubernetes"}))
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = h.call("GET", "sys/mounts", Some(ROOT), None).await;
    assert_eq!(
        (
            status,
            body["data"]["secret/"]["options"]["version"].clone()
        ),
        (StatusCode::OK, json!("2"))
    );
}

#[tokio::test]
async fn policies_both_apis_with_errors_at_their_line() {
    let h = Harness::demo().await;
    let policy = "path \"secret/data/x/*\" {\n  capabilities = [\"read\"]\n}\n";
    assert_eq!(
        h.call(
            "PUT",
            "sys/policies/acl/x",
            Some(ROOT),
            Some(json!({"policy": policy}))
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    let (status, body) = h.call("GET", "sys/policies/acl/x", Some(ROOT), None).await;
    assert_eq!(
        (status, body["data"]["policy"].clone()),
        (StatusCode::OK, json!(policy))
    );
    let (status, body) = h.call("GET", "sys/policy/x", Some(ROOT), None).await;
    assert_eq!(
        (status, body["data"]["rules"].clone()),
        (StatusCode::OK, json!(policy))
    );
    assert_eq!(
        body["rules"],
        json!(policy),
        "the legacy path, also at the top level"
    );
    assert_eq!(
        h.call(
            "PUT",
            "sys/policy/y",
            Some(ROOT),
            Some(json!({"rules": policy}))
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    let (_, body) = h.call("LIST", "sys/policies/acl", Some(ROOT), None).await;
    assert_eq!(
        body["data"]["keys"],
        json!([
            "default",
            "grade-api",
            "payment-api",
            "shared-reader",
            "x",
            "y",
            "root"
        ]),
        "the stored names sorted, then root, as Vault lists them"
    );
    let (_, body) = h.call("GET", "sys/policy", Some(ROOT), None).await;
    assert!(
        body["data"]["policies"]
            .as_array()
            .is_some_and(|p| p.contains(&json!("y")))
    );
    assert_eq!(body["policies"], body["data"]["policies"]);
    assert_eq!(body["keys"], body["data"]["keys"]);
    let (status, body) = h
        .call(
            "PUT",
            "sys/policies/acl/bad",
            Some(ROOT),
            Some(json!({"policy": "path \"a\" {\n  capabilities = [\"read\"\n}\n"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        errors(&body)[0].contains("failed to parse policy") && errors(&body)[0].contains('3'),
        "{body}"
    );
    assert_eq!(
        h.call("GET", "sys/policies/acl/bad", Some(ROOT), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        h.call("DELETE", "sys/policies/acl/x", Some(ROOT), None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        h.call("GET", "sys/policies/acl/x", Some(ROOT), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (status, body) = h
        .call("DELETE", "sys/policy/default", Some(ROOT), None)
        .await;
    assert_eq!(
        (status, errors(&body)),
        (
            StatusCode::BAD_REQUEST,
            vec!["cannot delete default policy".to_string()]
        )
    );
    assert_eq!(
        h.call(
            "PUT",
            "sys/policy/root",
            Some(ROOT),
            Some(json!({"policy": policy}))
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );
    let (status, body) = h
        .call("GET", "sys/policies/acl/default", Some(ROOT), None)
        .await;
    assert!(
        status == StatusCode::OK
            && body["data"]["policy"]
                .as_str()
                .is_some_and(|p| p.contains("lookup-self"))
    );
}

#[tokio::test]
async fn capabilities_self_and_of_another_token() {
    let h = Harness::demo().await;
    let grade = h
        .login_token("grade-api", "grade-api", "grade-api-sa")
        .await;
    let (status, body) = h
        .call(
            "POST",
            "sys/capabilities-self",
            Some(&grade),
            Some(json!({"paths": ["secret/data/grade-api/db", "secret/data/payment/db"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["secret/data/grade-api/db"], json!(["read"]));
    assert_eq!(body["data"]["secret/data/payment/db"], json!(["deny"]));
    // As in Vault, the answers are at the top level too.
    assert_eq!(body["secret/data/grade-api/db"], json!(["read"]));
    assert_eq!(body["secret/data/payment/db"], json!(["deny"]));
    assert!(
        body["request_id"].is_string() && body["auth"].is_null(),
        "{body}"
    );
    let (status, body) = h
        .call(
            "POST",
            "sys/capabilities",
            Some(ROOT),
            Some(json!({"token": grade, "path": "secret/metadata/grade-api/x"})),
        )
        .await;
    assert_eq!(
        (status, body["data"]["capabilities"].clone()),
        (StatusCode::OK, json!(["list"]))
    );
    let (_, body) = h
        .call(
            "POST",
            "sys/capabilities-self",
            Some(ROOT),
            Some(json!({"path": "anything"})),
        )
        .await;
    assert_eq!(body["data"]["capabilities"], json!(["root"]));
    assert_eq!(body["capabilities"], json!(["root"]));
    assert_eq!(body["anything"], json!(["root"]));
}

#[tokio::test]
async fn bad_bodies_unknown_paths_and_wrong_methods() {
    let h = Harness::demo().await;
    let (status, body) = h
        .raw(
            "POST",
            "sys/policies/acl/x",
            Some(ROOT),
            Some("{not json".into()),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        errors(&body)[0].starts_with("failed to parse JSON input"),
        "{body}"
    );
    let (status, body) = h
        .raw(
            "POST",
            "sys/policies/acl/x",
            Some(ROOT),
            Some("[1,2]".into()),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        errors(&body)[0].contains("cannot unmarshal array into Go value"),
        "{body}"
    );
    let (status, body) = h.call("GET", "nowhere/at/all", Some(ROOT), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(errors(&body)[0].contains("no handler for route"), "{body}");
    assert_eq!(
        h.call("GET", "sys/unknown", Some(ROOT), None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        h.call("GET", "auth/kubernetes/nothing", Some(ROOT), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        h.call("GET", "secret/other", Some(ROOT), None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        h.call("DELETE", "sys/mounts", Some(ROOT), None).await.0,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(
        h.call("GET", "auth/kubernetes/login", None, None).await.0,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(
        h.call("LIST", "secret/data/x", Some(ROOT), None).await.0,
        StatusCode::METHOD_NOT_ALLOWED
    );
    // OPTIONS reaches Vault's core as an internal operation, which it refuses; HEAD is
    // sys/health's alone; a method Vault does not know is a bare 405.
    let (status, body) = h.call("OPTIONS", "sys/mounts", Some(ROOT), None).await;
    assert_eq!(
        (status, errors(&body)),
        (
            StatusCode::BAD_REQUEST,
            vec!["cannot handle internal-only request operation".to_string()]
        )
    );
    assert_eq!(
        h.call("HEAD", "sys/policies/acl/default", Some(ROOT), None)
            .await
            .0,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(
        h.call("HEAD", "sys/health", None, None).await.0,
        StatusCode::OK
    );
    for (method, path) in [("FOO", "sys/policies/acl/default"), ("PATCH", "sys/health")] {
        let (status, body) = h.call(method, path, Some(ROOT), None).await;
        assert_eq!(
            (status, errors(&body)),
            (StatusCode::METHOD_NOT_ALLOWED, Vec::<String>::new()),
            "{method} {path}"
        );
    }
    // `list` is read as Go's ParseBool reads it; a flag it cannot read is a bare 400.
    let (status, body) = h
        .call("GET", "sys/policies/acl?list=True", Some(ROOT), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = h
        .call("GET", "sys/policies/acl?list=yes", Some(ROOT), None)
        .await;
    assert_eq!(
        (status, errors(&body)),
        (StatusCode::BAD_REQUEST, Vec::<String>::new())
    );
}

#[tokio::test]
async fn state_survives_a_reload_from_storage() {
    let h = Harness::demo().await;
    let grade = h
        .login_token("grade-api", "grade-api", "grade-api-sa")
        .await;
    h.call(
        "POST",
        "secret/data/grade-api/db",
        Some(ROOT),
        Some(json!({"data": {"k": "v"}})),
    )
    .await;
    let reloaded = Harness {
        app: Arc::new(App::load(h.app.store.clone(), fixed_clock(NOW)).expect("reload")),
    };
    let (status, body) = reloaded
        .call("GET", "secret/data/grade-api/db", Some(&grade), None)
        .await;
    assert_eq!(
        (status, body["data"]["data"]["k"].clone()),
        (StatusCode::OK, json!("v"))
    );
    let (status, body) = reloaded.login("payment-api", "payment", "payment-sa").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn bearer_tokens_use_limits_and_bound_cidrs() {
    let h = Harness::demo().await;
    let role = json!({
        "bound_service_account_names": "grade-api-sa",
        "bound_service_account_namespaces": "grade-api",
        "token_policies": "grade-api",
        "token_num_uses": 2,
        "token_bound_cidrs": "10.0.0.0/8",
    });
    let (status, body) = h
        .call(
            "POST",
            "auth/kubernetes/role/fenced",
            Some(ROOT),
            Some(role),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let (status, _) = h.login_from("192.168.1.1", "fenced").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "logins are fenced too");
    let (status, body) = h.login_from("10.1.2.3", "fenced").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["auth"]["client_token"]
        .as_str()
        .expect("token")
        .to_string();
    let lookup = "auth/token/lookup-self";
    assert_eq!(
        h.send_from("192.168.1.1", get(lookup, &token)).await.0,
        StatusCode::FORBIDDEN
    );
    // Two uses from inside the range (the refused use above was not counted), then revoked.
    assert_eq!(
        h.send_from("10.1.2.3", get(lookup, &token)).await.0,
        StatusCode::OK
    );
    let bearer = Request::builder()
        .uri(format!("/v1/{lookup}"))
        .header("Authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    let (status, body) = h.send_from("10.9.9.9", bearer).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "Authorization: Bearer works like X-Vault-Token"
    );
    // The last use shows as -1, Vault's mark for a token revoked once the request ends.
    assert_eq!(body["data"]["num_uses"], json!(-1));
    assert_eq!(
        h.send_from("10.1.2.3", get(lookup, &token)).await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn ignored_parameters_are_named_only_beside_another_warning_as_in_vault() {
    let h = Harness::demo().await;
    let config = json!({"kubernetes_host": "https://k8s:443", "pem_keys": [podpass_core::demo::DEMO_PUBLIC_KEY_PEM],
                        "disable_token_review": true, "polices": "x"});
    let (status, body) = h
        .call("POST", "auth/kubernetes/config", Some(ROOT), Some(config))
        .await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let role = |audience: Option<&str>| {
        let mut body = json!({"bound_service_account_names": "a", "bound_service_account_namespaces": "a",
                              "polices": "x"});
        if let Some(audience) = audience {
            body["audience"] = json!(audience);
        }
        body
    };
    let (status, body) = h
        .call(
            "POST",
            "auth/kubernetes/role/quiet",
            Some(ROOT),
            Some(role(Some("vault"))),
        )
        .await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let (status, body) = h
        .call(
            "POST",
            "auth/kubernetes/role/loud",
            Some(ROOT),
            Some(role(None)),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let warnings = body["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 2, "{body}");
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .contains("does not have an audience configured")
    );
    assert_eq!(
        warnings[1],
        "Endpoint ignored these unrecognized parameters: [polices]"
    );
}

#[tokio::test]
async fn a_renewal_answers_the_use_limit_the_token_was_issued_with() {
    let h = Harness::demo().await;
    let (status, body) = h
        .call(
            "POST",
            "auth/token/create",
            Some(ROOT),
            Some(json!({"num_uses": 3, "ttl": "1h"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["auth"]["client_token"]
        .as_str()
        .expect("token")
        .to_string();
    let (_, body) = h
        .call(
            "POST",
            "auth/token/renew-self",
            Some(&token),
            Some(json!({})),
        )
        .await;
    assert_eq!(body["auth"]["num_uses"], json!(3), "{body}");
    // The lookup (its own use counted) shows what is left.
    let (_, body) = h
        .call("GET", "auth/token/lookup-self", Some(&token), None)
        .await;
    assert_eq!(body["data"]["num_uses"], json!(1), "{body}");
}

#[tokio::test]
async fn login_parameters_are_read_as_vaults_string_fields() {
    let h = Harness::demo().await;
    let jwt = podpass_core::demo::token("grade-api", "grade-api-sa", NOW).expect("jwt");
    let login = |body: Value| h.call("POST", "auth/kubernetes/login", None, Some(body));
    // A list is refused with the framework's words, without echoing the token.
    let (status, body) = login(json!({"role": "grade-api", "jwt": [jwt]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(&body),
        vec![
            "Field validation failed: error converting input for field \"jwt\": '' expected \
             type 'string', got unconvertible type '[]interface {}'"
                .to_string()
        ]
    );
    // A number is its text: a role that does not exist, not a missing one.
    let (status, body) = login(json!({"role": 5, "jwt": jwt})).await;
    assert_eq!(
        (status, errors(&body)),
        (
            StatusCode::BAD_REQUEST,
            vec!["invalid role name \"5\"".to_string()]
        )
    );
    // Parameters the path does not know are named in a warning on a granted login.
    let (status, body) = login(json!({"role": "grade-api", "jwt": jwt, "b": 1, "a": 2})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let warnings = body["warnings"].to_string();
    assert!(
        warnings.contains("Endpoint ignored these unrecognized parameters: [a b]"),
        "{warnings}"
    );
}

#[tokio::test]
async fn a_policy_write_reads_policy_and_on_the_legacy_path_rules() {
    let h = Harness::demo().await;
    let rules = json!({"rules": "path \"a\" { capabilities = [\"read\"] }"});
    let (status, body) = h
        .call("PUT", "sys/policies/acl/w", Some(ROOT), Some(rules.clone()))
        .await;
    assert_eq!(
        (status, errors(&body)),
        (
            StatusCode::BAD_REQUEST,
            vec!["'policy' parameter not supplied or empty".to_string()]
        ),
        "`rules` belongs to the legacy path"
    );
    let (status, _) = h.call("PUT", "sys/policy/w", Some(ROOT), Some(rules)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Blank text is a policy without rules; a number is its text (which HCL refuses).
    let (status, _) = h
        .call(
            "PUT",
            "sys/policies/acl/w",
            Some(ROOT),
            Some(json!({"policy": "  "})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = h
        .call(
            "PUT",
            "sys/policies/acl/w",
            Some(ROOT),
            Some(json!({"policy": 5})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        errors(&body)[0].starts_with("failed to parse policy"),
        "{body}"
    );
}
