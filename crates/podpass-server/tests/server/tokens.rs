//! Tokens as a security boundary: a revocation is final under any race and across a restart,
//! a use limit is exact under concurrency, a child stays inside its parent's limits and dies
//! with it, and a path reaches storage only in the form the ACL checked.

use crate::support;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use podpass_server::app::App;
use podpass_server::server::fixed_clock;
use serde_json::{Value, json};

use support::demo::{Harness, NOW, ROOT, errors, get};

/// Rounds of each race: enough that the old interleavings showed up in nearly every run.
const ROUNDS: usize = 20;

async fn create(h: &Harness, token: &str, body: Value) -> (StatusCode, Value) {
    h.call("POST", "auth/token/create", Some(token), Some(body))
        .await
}

async fn created(h: &Harness, token: &str, body: Value) -> (String, String) {
    let (status, body) = create(h, token, body).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let auth = &body["auth"];
    (
        auth["client_token"].as_str().expect("token").to_string(),
        auth["accessor"].as_str().unwrap_or_default().to_string(),
    )
}

async fn status_of(h: &Harness, token: &str) -> StatusCode {
    h.send(get("auth/token/lookup-self", token)).await.0
}

/// The same store loaded afresh, as after a restart.
fn restarted(h: &Harness) -> Harness {
    Harness {
        app: Arc::new(App::load(h.app.store.clone(), fixed_clock(NOW)).expect("reload")),
    }
}

/// Puts a policy that lets a token create children (the default policy does not), and
/// returns the policy list a parent needs.
async fn token_maker(h: &Harness) -> Value {
    let policy = r#"path "auth/token/create" { capabilities = ["update"] }"#;
    h.put_policy("token-maker", policy).await;
    json!(["grade-api", "token-maker"])
}

fn first_error(body: &Value) -> String {
    errors(body).first().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revocation_racing_renewals_is_final_in_memory_and_on_disk() {
    let h = Arc::new(Harness::demo().await);
    for _ in 0..ROUNDS {
        let (token, accessor) = created(&h, ROOT, json!({"policies": ["grade-api"]})).await;
        let mut tasks = Vec::new();
        for _ in 0..15 {
            let (h, token) = (Arc::clone(&h), token.clone());
            tasks.push(tokio::spawn(async move {
                h.call("POST", "auth/token/renew-self", Some(&token), None)
                    .await
                    .0
            }));
        }
        let revoker = {
            let h = Arc::clone(&h);
            tokio::spawn(async move {
                h.call(
                    "POST",
                    "auth/token/revoke-accessor",
                    Some(ROOT),
                    Some(json!({ "accessor": accessor })),
                )
                .await
                .0
            })
        };
        assert_eq!(revoker.await.unwrap(), StatusCode::NO_CONTENT);
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(status_of(&h, &token).await, StatusCode::FORBIDDEN);
        assert_eq!(
            status_of(&restarted(&h), &token).await,
            StatusCode::FORBIDDEN,
            "a renewal must not write the revoked token back to storage"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_use_limit_holds_under_concurrency_and_a_revocation_racing_uses_is_final() {
    let h = Arc::new(Harness::demo().await);
    for round in 0..ROUNDS {
        let (token, accessor) =
            created(&h, ROOT, json!({"policies": ["grade-api"], "num_uses": 5})).await;
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (h, token) = (Arc::clone(&h), token.clone());
            tasks.push(tokio::spawn(async move { status_of(&h, &token).await }));
        }
        if round % 2 == 1 {
            // Odd rounds also revoke in the middle of the uses.
            h.call(
                "POST",
                "auth/token/revoke-accessor",
                Some(ROOT),
                Some(json!({ "accessor": accessor })),
            )
            .await;
        }
        let mut allowed = 0;
        for task in tasks {
            if task.await.unwrap() == StatusCode::OK {
                allowed += 1;
            }
        }
        if round % 2 == 0 {
            assert_eq!(allowed, 5, "exactly num_uses requests succeed");
        } else {
            assert!(allowed <= 5, "{allowed} uses of a 5-use token");
        }
        assert_eq!(status_of(&h, &token).await, StatusCode::FORBIDDEN);
        assert_eq!(
            status_of(&restarted(&h), &token).await,
            StatusCode::FORBIDDEN
        );
    }
}

#[tokio::test]
async fn children_die_with_their_parent_and_orphans_need_sudo_or_create_orphan() {
    let h = Harness::demo().await;
    let policies = token_maker(&h).await;
    let (parent, _) = created(&h, ROOT, json!({"policies": policies, "ttl": "1h"})).await;
    let (child, _) = created(&h, &parent, json!({})).await;
    let (grandchild, _) = created(&h, &child, json!({"type": "batch"})).await;
    let (status, body) = h
        .call("GET", "auth/token/lookup-self", Some(&child), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["orphan"], json!(false));
    // As in Vault, `period` and `bound_cidrs` appear only when they apply.
    assert!(body["data"].get("period").is_none(), "{body}");
    assert!(body["data"].get("bound_cidrs").is_none(), "{body}");
    assert_eq!(
        body["data"]["policies"],
        json!(["default", "grade-api", "token-maker"]),
        "a child inherits its parent's policies"
    );
    let (status, body) = create(&h, &parent, json!({"no_parent": true})).await;
    assert_eq!(
        (status, first_error(&body).as_str()),
        (
            StatusCode::BAD_REQUEST,
            "root or sudo privileges required to create orphan token"
        )
    );
    // Without create-orphan in the parent's policies, the endpoint itself is denied.
    let (status, _) = h
        .call(
            "POST",
            "auth/token/create-orphan",
            Some(&parent),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (orphan, _) = created(
        &h,
        ROOT,
        json!({"policies": ["grade-api"], "no_parent": true}),
    )
    .await;

    let (status, _) = h
        .call("POST", "auth/token/revoke-self", Some(&parent), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for token in [&parent, &child, &grandchild] {
        assert_eq!(status_of(&h, token).await, StatusCode::FORBIDDEN);
        assert_eq!(
            status_of(&restarted(&h), token).await,
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(status_of(&h, &orphan).await, StatusCode::OK);
}

#[tokio::test]
async fn a_child_cannot_escape_its_parents_limits() {
    let h = Harness::demo().await;
    let policies = token_maker(&h).await;
    // A 60 s, non-renewable parent: no periodic child, and no child outlives it.
    let (short, _) = created(
        &h,
        ROOT,
        json!({"policies": policies, "ttl": "60s", "renewable": false}),
    )
    .await;
    let (status, body) = create(&h, &short, json!({"period": "8760h"})).await;
    assert_eq!(
        (status, first_error(&body).as_str()),
        (
            StatusCode::BAD_REQUEST,
            "root or sudo privileges required to create periodic token"
        )
    );
    let (long_child, _) = created(&h, &short, json!({"ttl": "700h"})).await;
    let later = Harness {
        app: Arc::new(App::load(h.app.store.clone(), fixed_clock(NOW + 120)).expect("reload")),
    };
    assert_eq!(
        status_of(&later, &long_child).await,
        StatusCode::FORBIDDEN,
        "a child is valid only while its parent is"
    );
    assert_eq!(later.app.tokens.sweep(NOW + 120).await.expect("sweep"), 2);

    // The creating request spends a use: with one left the parent is gone by the time its
    // child would be made, with more it is still use-limited (OpenBao answers both alike).
    for (uses, message) in [
        (1, "parent token lookup failed: no parent found"),
        (2, "restricted use token cannot generate child tokens"),
    ] {
        let (limited, _) = created(&h, ROOT, json!({"policies": policies, "num_uses": uses})).await;
        let (status, body) = create(&h, &limited, json!({})).await;
        assert_eq!(
            (status, first_error(&body).as_str()),
            (StatusCode::BAD_REQUEST, message)
        );
    }
    let (batch, _) = created(&h, ROOT, json!({"policies": policies, "type": "batch"})).await;
    let (status, body) = create(&h, &batch, json!({"ttl": "700h"})).await;
    assert_eq!(
        (status, first_error(&body).as_str()),
        (
            StatusCode::BAD_REQUEST,
            "batch tokens cannot create more tokens"
        )
    );
    let (status, body) = create(&h, &short, json!({"policies": ["payment-api"]})).await;
    assert_eq!(
        (status, first_error(&body).as_str()),
        (
            StatusCode::BAD_REQUEST,
            "child policies must be subset of parent"
        )
    );
}

#[tokio::test]
async fn a_child_of_a_cidr_bound_token_is_bound_too() {
    let h = Harness::demo().await;
    token_maker(&h).await;
    let role = json!({
        "bound_service_account_names": "grade-api-sa",
        "bound_service_account_namespaces": "grade-api",
        "token_policies": "grade-api,token-maker",
        "token_bound_cidrs": "10.0.0.0/8",
    });
    let (status, _) = h
        .call(
            "POST",
            "auth/kubernetes/role/fenced",
            Some(ROOT),
            Some(role),
        )
        .await;
    assert!(status.is_success());
    let (status, body) = h.login_from("10.1.2.3", "fenced").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let parent = body["auth"]["client_token"].as_str().expect("token");
    let create = Request::builder()
        .method("POST")
        .uri("/v1/auth/token/create")
        .header("X-Vault-Token", parent)
        .body(Body::from("{}"))
        .expect("request");
    let (status, body) = h.send_from("10.1.2.3", create).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let child = body["auth"]["client_token"].as_str().expect("token");
    let lookup = "auth/token/lookup-self";
    assert_eq!(
        h.send_from("192.168.1.1", get(lookup, child)).await.0,
        StatusCode::FORBIDDEN,
        "the child is bound to its parent's CIDRs"
    );
    let (status, body) = h.send_from("10.9.9.9", get(lookup, child)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["bound_cidrs"], json!(["10.0.0.0/8"]));
    assert!(
        body["data"]["entity_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
}

#[tokio::test]
async fn tokens_without_an_end_are_refused() {
    let h = Harness::demo().await;
    let (status, body) = create(&h, ROOT, json!({"policies": ["root"], "type": "batch"})).await;
    assert_eq!(
        (status, first_error(&body).as_str()),
        (
            StatusCode::BAD_REQUEST,
            "batch tokens cannot be root tokens"
        )
    );
    let (status, body) = create(&h, ROOT, json!({"type": "batch", "num_uses": 3})).await;
    assert_eq!(
        (status, first_error(&body).as_str()),
        (
            StatusCode::BAD_REQUEST,
            "batch tokens cannot have \"num_uses\" set"
        )
    );
    let (expiring_root, _) = created(&h, ROOT, json!({"ttl": "1h"})).await;
    let (status, body) = create(&h, &expiring_root, json!({})).await;
    assert_eq!(
        (status, first_error(&body).as_str()),
        (
            StatusCode::BAD_REQUEST,
            "expiring root tokens cannot create non-expiring root tokens"
        )
    );
    let (status, body) = create(&h, &expiring_root, json!({"ttl": "30m"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_doubled_slash_or_relative_segment_never_reaches_storage_unchecked() {
    let h = Harness::demo().await;
    let policy = r#"
path "secret/metadata/*" { capabilities = ["list"] }
path "secret/metadata/admin/*" { capabilities = ["deny"] }
"#;
    h.put_policy("lister", policy).await;
    h.call(
        "POST",
        "secret/data/admin/keys",
        Some(ROOT),
        Some(json!({"data": {"k": "v"}})),
    )
    .await;
    let (lister, _) = created(&h, ROOT, json!({"policies": ["lister"]})).await;
    let list = |path: &str| {
        Request::builder()
            .method("LIST")
            .uri(path)
            .header("X-Vault-Token", &lister)
            .body(Body::empty())
            .expect("request")
    };
    let response = tower::ServiceExt::oneshot(
        podpass_server::server::router(Arc::clone(&h.app), None),
        list("/v1/secret/metadata//admin"),
    )
    .await
    .expect("response");
    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(
        response.headers().get("location").map(|v| v.as_bytes()),
        Some(&b"/v1/secret/metadata/admin"[..])
    );
    let (status, body) = h.send(list("/v1/secret/metadata/admin")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = h.send(list("/v1/secret/metadata/x/%2e%2e/admin")).await;
    assert_eq!(
        (status, first_error(&body).as_str()),
        (StatusCode::BAD_REQUEST, "relative paths not supported")
    );
    let (status, _) = h.send(get("secret/data/a%00b", ROOT)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn policy_and_role_names_are_checked_lowercased_as_they_are_stored() {
    let h = Harness::demo().await;
    let policy = r#"
path "sys/policies/acl/*" { capabilities = ["create", "update", "read"] }
path "sys/policies/acl/admin" { capabilities = ["deny"] }
path "auth/kubernetes/role/*" { capabilities = ["create", "update", "read"] }
path "auth/kubernetes/role/grade-api" { capabilities = ["deny"] }
"#;
    h.put_policy("editor", policy).await;
    let (editor, _) = created(&h, ROOT, json!({"policies": ["editor"]})).await;
    let text = json!({"policy": r#"path "x" { capabilities = ["read"] }"#});
    for name in ["ADMIN", "Admin"] {
        let (status, _) = h
            .call(
                "PUT",
                &format!("sys/policies/acl/{name}"),
                Some(&editor),
                Some(text.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}");
    }
    let (status, _) = h
        .call("PUT", "sys/policies/acl/Other", Some(&editor), Some(text))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = h
        .call(
            "POST",
            "auth/kubernetes/role/GRADE-API",
            Some(&editor),
            Some(json!({"bound_service_account_names": "x", "bound_service_account_namespaces": "*"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn policy_names_of_dots_or_blanks_answer_as_vault_does() {
    let h = Harness::demo().await;
    let text = json!({"policy": r#"path "x" { capabilities = ["read"] }"#});
    // Blank or `.` once trimmed: the list's endpoint (GET lists on the legacy path only).
    for name in ["%20", "%20.", ".%20%20"] {
        let (status, body) = h
            .call("GET", &format!("sys/policy/{name}"), Some(ROOT), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{name}: {body}");
        assert!(body["data"]["keys"].is_array(), "{name}: {body}");
        for prefix in ["sys/policy", "sys/policies/acl"] {
            let (status, _) = h
                .call(
                    "PUT",
                    &format!("{prefix}/{name}"),
                    Some(ROOT),
                    Some(text.clone()),
                )
                .await;
            assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{prefix}/{name}");
        }
    }
    // `..` once trimmed: refused by the step that would touch storage.
    for (method, said) in [
        ("GET", "failed to read policy"),
        ("PUT", "unable to get existing policy for check-and-set"),
        ("DELETE", "failed to delete policy"),
    ] {
        for path in ["sys/policy/%20..", "sys/policies/acl/..%20"] {
            let (status, body) = h.call(method, path, Some(ROOT), Some(text.clone())).await;
            assert_eq!(
                (status, first_error(&body)),
                (
                    StatusCode::BAD_REQUEST,
                    format!("{said}: relative paths not supported")
                ),
                "{method} {path}"
            );
        }
    }
    let (_, body) = h.call("LIST", "sys/policies/acl", Some(ROOT), None).await;
    let names = &body["data"]["keys"];
    assert!(
        names
            .as_array()
            .is_some_and(|n| !n.iter().any(|n| n == "." || n == "..")),
        "no dotted policy was written: {names}"
    );
    // Until the handler refuses it, a token's ACL is asked about the path as sent.
    let (nobody, _) = created(&h, ROOT, json!({"policies": ["default"]})).await;
    let (status, _) = h.call("GET", "sys/policy/%20..", Some(&nobody), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn paths_without_an_endpoint_are_answered_after_the_token_and_the_acl() {
    let h = Harness::demo().await;
    let (plain, _) = created(&h, ROOT, json!({"policies": ["default"]})).await;
    let unknown = [
        "sys/no-such-endpoint",
        "auth/kubernetes/no-such-endpoint",
        "auth/kubernetes/role/%20spaced",
        "no-such-mount/x",
        "secret/foo",
    ];
    for path in unknown {
        let (status, body) = h.call("GET", path, None, None).await;
        assert_eq!(
            (status, first_error(&body).as_str()),
            (StatusCode::FORBIDDEN, "permission denied"),
            "no token: {path}"
        );
        let (status, _) = h.call("GET", path, Some(&plain), None).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "a token the ACL refuses: {path}"
        );
        let (status, _) = h.call("GET", path, Some(ROOT), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "root: {path}");
    }
    let (_, body) = h
        .call("GET", "auth/kubernetes/role/%20spaced", Some(ROOT), None)
        .await;
    assert_eq!(
        first_error(&body),
        "1 error occurred:\n\t* unsupported path\n\n"
    );
    // A trailing `/` where Vault's pattern takes none: no endpoint, not the path without it.
    let (status, _) = h
        .call("GET", "auth/token/lookup-self/", Some(ROOT), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, body) = h.call("LIST", "no-such-mount/x", Some(ROOT), None).await;
    assert_eq!(
        first_error(&body),
        "no handler for route \"no-such-mount/x/\". route entry not found.",
        "Vault routes a list with a trailing slash"
    );
    // KV v2 answers a KV v1-style path with a 404 whose warning names the command to use.
    for (method, command) in [
        ("GET", "get"),
        ("PUT", "put"),
        ("DELETE", "delete"),
        ("LIST", "list"),
    ] {
        let (status, body) = h
            .call(
                method,
                "secret/grade-api/db",
                Some(ROOT),
                Some(json!({"data": {}})),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}");
        let warning = body["warnings"][0].as_str().unwrap_or_default();
        assert!(
            warning.starts_with("Invalid path for a versioned K/V secrets engine.")
                && warning.contains(&format!("'vault kv {command}'")),
            "{method}: {body}"
        );
    }
    let (status, body) = h.call("GET", "secret/data", Some(ROOT), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body["warnings"][0],
        "Non-listing operations on the root of a K/V v2 mount are not supported."
    );
    // A write to a folder is refused before the token is looked at.
    let (status, body) = h
        .call("PUT", "secret/data/", None, Some(json!({"data": {}})))
        .await;
    assert_eq!(
        (status, first_error(&body).as_str()),
        (
            StatusCode::BAD_REQUEST,
            "cannot write to a path ending in '/'"
        )
    );
}

#[tokio::test]
async fn token_create_reads_its_fields_as_vaults_token_store_does() {
    let h = Harness::demo().await;
    // A string is one policy, not a comma-separated list.
    let (status, body) = create(&h, ROOT, json!({"policies": "a, B"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["auth"]["policies"], json!(["a, b", "default"]));
    for (field, value, said) in [
        ("ttl", json!("-1h"), "ttl must be positive"),
        ("ttl", json!("soon"), "time: invalid duration \"soon\""),
        (
            "explicit_max_ttl",
            json!("-1s"),
            "explicit_max_ttl must be positive",
        ),
        ("period", json!(-5), "period must be positive"),
    ] {
        let (status, body) = create(&h, ROOT, json!({ field: value })).await;
        assert_eq!(
            (status, first_error(&body).as_str()),
            (StatusCode::BAD_REQUEST, said),
            "{field} {value}"
        );
    }
}

#[tokio::test]
async fn a_token_sent_as_a_number_is_that_token_not_the_callers() {
    let h = Harness::demo().await;
    let (status, body) = h
        .call(
            "POST",
            "auth/token/lookup",
            Some(ROOT),
            Some(json!({"token": 5})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["data"].is_null(),
        "the root token was not looked up: {body}"
    );
}

#[tokio::test]
async fn one_capabilities_request_asks_about_a_bounded_number_of_paths() {
    let h = Harness::demo().await;
    let paths: Vec<String> = (0..1001).map(|i| format!("secret/data/{i}")).collect();
    let (status, body) = h
        .call(
            "POST",
            "sys/capabilities-self",
            Some(ROOT),
            Some(json!({ "paths": paths })),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(first_error(&body).starts_with("too many paths: 1001"));
    let (status, _) = h
        .call(
            "POST",
            "sys/capabilities-self",
            Some(ROOT),
            Some(json!({ "paths": paths[..1000] })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_service_token_from_a_mount_no_longer_enabled_is_refused() {
    // As when another replica issued it while this one was disabling the mount: the disable's
    // revocation sweep could not see it, so the mount's absence must refuse it.
    let h = Harness::demo().await;
    let mut profile = podpass_server::token::TokenProfile::root();
    profile.mount = "kubernetes-gone".into();
    let entry = podpass_server::token::TokenEntry::new(profile, NOW, 3600, 0, None);
    let (token, _) = h.app.tokens.issue(entry, NOW).await.expect("issued");
    let (status, body) = h.send(get("auth/token/lookup-self", &token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(first_error(&body), "permission denied");
}
