//! What the documentation promises, checked against the server: mount tuning as Vault does it
//! and as `podpass check` computes it, the configuration file reconciled at start, and refusals
//! instead of silent success for what podpass does not implement.

use crate::support;

use std::sync::Arc;

use axum::http::StatusCode;
use podpass_core::configuration::{Configuration, NoFiles};
use podpass_core::login::LoginRequest;
use podpass_server::app::App;
use podpass_server::server::{apply_configuration, fixed_clock, issue_root_token};
use podpass_server::storage::{MemoryBackend, SealKey, Store};
use serde_json::{Value, json};

const NOW: i64 = 1_780_000_000;
const ROOT: &str = "hvs.root-for-tests";

/// A podpass.hcl with the mount tuned to 1h/2h and a role without `token_ttl`.
fn tuned_hcl() -> String {
    format!(
        r#"
auth "kubernetes" {{
  default_lease_ttl = "1h"
  max_lease_ttl     = "2h"
  config {{
    kubernetes_host      = "https://kubernetes.default.svc:443"
    disable_token_review = true
    pem_keys             = [<<-EOT
{key}
EOT
    ]
  }}
  role "app" {{
    bound_service_account_names      = ["app-sa"]
    bound_service_account_namespaces = ["app"]
    token_policies                   = ["default"]
  }}
}}
"#,
        key = podpass_core::demo::DEMO_PUBLIC_KEY_PEM
    )
}

fn import(text: &str) -> Configuration {
    Configuration::import(text, "podpass.hcl", None, &NoFiles)
        .expect("imports")
        .configuration
}

async fn empty_app() -> Arc<App> {
    let store = Store::new(
        Arc::new(MemoryBackend::new()),
        SealKey::generate().expect("key"),
    );
    let app = Arc::new(App::load(store, fixed_clock(NOW)).expect("app"));
    issue_root_token(&app, ROOT).await.expect("root token");
    app
}

async fn call(
    app: &Arc<App>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    support::router::call(app, method, path, Some(ROOT), body).await
}

async fn login(app: &Arc<App>, mount: &str, role: &str) -> (StatusCode, Value) {
    let jwt = podpass_core::demo::token("app", "app-sa", NOW).expect("jwt");
    support::router::call(
        app,
        "POST",
        &format!("auth/{mount}/login"),
        None,
        Some(json!({"role": role, "jwt": jwt})),
    )
    .await
}

#[tokio::test]
async fn check_and_the_server_give_the_same_ttls_for_a_tuned_mount() {
    let configuration = import(&tuned_hcl());
    // What `podpass check` computes: the core's login against the imported mount.
    let offline = configuration
        .login(
            "kubernetes",
            &LoginRequest {
                role: "app".into(),
                jwt: podpass_core::demo::token("app", "app-sa", NOW).expect("jwt"),
                now: NOW,
                ..LoginRequest::default()
            },
        )
        .expect("mount exists");
    let offline = offline.success().expect("check allows the login");
    assert_eq!((offline.lease_duration, offline.max_ttl), (3600, 7200));

    let app = empty_app().await;
    apply_configuration(&app, &configuration)
        .await
        .expect("applies");
    let (status, body) = login(&app, "kubernetes", "app").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["auth"]["lease_duration"],
        json!(offline.lease_duration)
    );
    let token = body["auth"]["client_token"]
        .as_str()
        .expect("token")
        .to_string();

    // sys/auth shows the tuned values, as the mount table holds them.
    let (_, mounts) = call(&app, "GET", "sys/auth", None).await;
    assert_eq!(
        mounts["data"]["kubernetes/"]["config"]["default_lease_ttl"],
        json!(3600)
    );
    assert_eq!(
        mounts["data"]["kubernetes/"]["config"]["max_lease_ttl"],
        json!(7200)
    );

    // A renewal asking for 10h is capped at the mount's 2h max.
    let (status, renewed) = support::router::call(
        &app,
        "POST",
        "auth/token/renew-self",
        Some(&token),
        Some(json!({"increment": "10h"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    assert_eq!(renewed["auth"]["lease_duration"], json!(offline.max_ttl));
}

#[tokio::test]
async fn enable_time_config_and_tune_behave_as_vault() {
    let app = empty_app().await;
    // `vault auth enable -default-lease-ttl=1h -max-lease-ttl=2h kubernetes` sends `config`.
    let (status, body) = call(
        &app,
        "POST",
        "sys/auth/kubernetes",
        Some(json!({"type": "kubernetes", "config": {"default_lease_ttl": "1h", "max_lease_ttl": "2h"}})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, tune) = call(&app, "GET", "sys/auth/kubernetes/tune", None).await;
    assert_eq!(status, StatusCode::OK, "{tune}");
    assert_eq!(
        (
            tune["data"]["default_lease_ttl"].clone(),
            tune["data"]["max_lease_ttl"].clone()
        ),
        (json!(3600), json!(7200))
    );
    let (status, one) = call(&app, "GET", "sys/auth/kubernetes", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["data"]["config"]["max_lease_ttl"], json!(7200));

    // Vault's enable-time refusals.
    let (status, body) = call(
        &app,
        "POST",
        "sys/auth/other",
        Some(json!({"type": "kubernetes", "config": {"default_lease_ttl": "3h", "max_lease_ttl": "1h"}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["errors"][0],
        json!("given default lease TTL greater than given max lease TTL")
    );

    // Tuning: a max below the default is refused; "system" resets; other keys are kept apart.
    let (status, body) = call(
        &app,
        "POST",
        "sys/auth/kubernetes/tune",
        Some(json!({"max_lease_ttl": "30m"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["errors"][0],
        json!("backend max lease TTL of 1800 would be less than backend default lease TTL of 3600")
    );
    let (status, _) = call(
        &app,
        "POST",
        "sys/auth/kubernetes/tune",
        Some(
            json!({"default_lease_ttl": "system", "max_lease_ttl": "30m", "description": "tuned"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // `vault auth tune` and `vault read sys/mounts/auth/<path>/tune` use the sys/mounts form.
    let (_, tune) = call(&app, "GET", "sys/mounts/auth/kubernetes/tune", None).await;
    assert_eq!(tune["data"]["default_lease_ttl"], json!(768 * 3600));
    assert_eq!(tune["data"]["max_lease_ttl"], json!(1800));
    assert_eq!(tune["data"]["description"], json!("tuned"));
    let (_, mounts) = call(&app, "GET", "sys/auth", None).await;
    assert_eq!(
        mounts["data"]["kubernetes/"]["config"]["default_lease_ttl"],
        json!(0)
    );

    // Unknown mounts: Vault's words for each operation.
    let (status, body) = call(&app, "GET", "sys/auth/nope/tune", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["errors"][0],
        json!("cannot fetch sysview for path \"auth/nope/\"")
    );
    let (status, body) = call(
        &app,
        "POST",
        "sys/auth/nope/tune",
        Some(json!({"default_lease_ttl": "1h"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["errors"][0],
        json!("tune of path \"auth/nope/\" failed: no mount entry found")
    );

    // The tuning survives a reload from storage and applies to logins.
    let reloaded = Arc::new(App::load(app.store.clone(), fixed_clock(NOW)).expect("reload"));
    let (_, tune) = call(&reloaded, "GET", "sys/auth/kubernetes/tune", None).await;
    assert_eq!(tune["data"]["max_lease_ttl"], json!(1800));
    let (_, body) = call(
        &reloaded,
        "POST",
        "auth/kubernetes/config",
        Some(json!({"kubernetes_host": "https://k8s:443", "pem_keys": [podpass_core::demo::DEMO_PUBLIC_KEY_PEM], "disable_token_review": true})),
    )
    .await;
    assert!(body.is_null() || body["errors"].is_null(), "{body}");
    let (status, body) = call(
        &reloaded,
        "POST",
        "auth/kubernetes/role/app",
        Some(json!({"bound_service_account_names": "app-sa", "bound_service_account_namespaces": "app"})),
    )
    .await;
    assert!(status.is_success(), "{body}");
    let (status, body) = login(&reloaded, "kubernetes", "app").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["auth"]["lease_duration"], json!(1800));
}

/// The same file with the role and policy list given.
fn file_with(roles: &[&str], policies: &[&str]) -> Configuration {
    let mut text = String::from("auth \"kubernetes\" {\n");
    for role in roles {
        text.push_str(&format!(
            "  role \"{role}\" {{\n    bound_service_account_names = [\"{role}-sa\"]\n    \
             bound_service_account_namespaces = [\"{role}\"]\n    token_policies = [\"{role}\"]\n  }}\n"
        ));
    }
    text.push_str("}\n");
    for policy in policies {
        text.push_str(&format!(
            "policy \"{policy}\" {{\n  path \"secret/data/{policy}/*\" {{\n    capabilities = [\"read\"]\n  }}\n}}\n"
        ));
    }
    import(&text)
}

#[tokio::test]
async fn the_file_is_reconciled_at_each_start() {
    use podpass_server::reconcile::reconcile_configuration;

    let app = empty_app().await;
    let first = reconcile_configuration(&app, &file_with(&["a", "b"], &["a", "b"]))
        .await
        .expect("first start");
    assert!(first.removed.is_empty() && first.replaced.is_empty());
    // Through the API: a role and a policy of its own, and an edit to one the file names.
    for (path, body) in [
        (
            "auth/kubernetes/role/api-made",
            json!({"bound_service_account_names": "x", "bound_service_account_namespaces": "x"}),
        ),
        (
            "sys/policies/acl/api-made",
            json!({"policy": "path \"x\" { capabilities = [\"read\"] }"}),
        ),
        (
            "auth/kubernetes/role/a",
            json!({"bound_service_account_names": "edited", "bound_service_account_namespaces": "a"}),
        ),
    ] {
        let (status, body) = call(&app, "POST", path, Some(body)).await;
        assert!(status.is_success(), "{path}: {body}");
    }

    // A restart with `b` removed from the file, over the same storage.
    let restarted = Arc::new(App::load(app.store.clone(), fixed_clock(NOW)).expect("reload"));
    let second = reconcile_configuration(&restarted, &file_with(&["a"], &["a"]))
        .await
        .expect("second start");
    assert_eq!(
        second.removed,
        ["auth/kubernetes/role/b", "policy b"].map(String::from)
    );
    assert_eq!(second.replaced, ["auth/kubernetes/role/a".to_string()]);
    assert!(
        second
            .summary()
            .contains("removed, no longer in the file: auth/kubernetes/role/b")
    );

    let status = |path: &'static str| {
        let app = Arc::clone(&restarted);
        async move { call(&app, "GET", path, None).await.0 }
    };
    assert_eq!(
        status("auth/kubernetes/role/b").await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(status("sys/policies/acl/b").await, StatusCode::NOT_FOUND);
    assert_eq!(
        status("auth/kubernetes/role/api-made").await,
        StatusCode::OK
    );
    assert_eq!(status("sys/policies/acl/api-made").await, StatusCode::OK);
    let (_, role) = call(&restarted, "GET", "auth/kubernetes/role/a", None).await;
    assert_eq!(role["data"]["bound_service_account_names"], json!(["a-sa"]));

    // A file without the mount removes it (its roles go with it), and only then.
    let third = reconcile_configuration(
        &restarted,
        &import("policy \"a\" {\n  path \"x\" {\n    capabilities = [\"read\"]\n  }\n}\n"),
    )
    .await
    .expect("third start");
    assert_eq!(third.removed, ["auth/kubernetes/".to_string()]);
    assert!(!restarted.has_auth_mount("kubernetes"));
    assert_eq!(status("sys/policies/acl/api-made").await, StatusCode::OK);
}

/// The requests an exported script makes, in its order: `vault auth enable` (with the mount's
/// lease TTLs as `config`), `vault write auth/<mount>/config`, `vault policy write`, then
/// `vault write auth/<mount>/role/<name>`.
fn exported_requests(configuration: &Configuration) -> Vec<(String, Value)> {
    let document = configuration.to_api_json();
    let mut requests = Vec::new();
    let mut roles = Vec::new();
    for (path, mount) in document["auth"].as_object().expect("auth") {
        let mut enable = json!({"type": mount["type"].as_str().unwrap_or("kubernetes")});
        if let Some(tune) = mount.get("tune") {
            enable["config"] = tune.clone();
        }
        requests.push((format!("sys/auth/{path}"), enable));
        if let Some(config) = mount.get("config") {
            requests.push((format!("auth/{path}/config"), config.clone()));
        }
        for (name, role) in mount["roles"].as_object().into_iter().flatten() {
            roles.push((format!("auth/{path}/role/{name}"), role.clone()));
        }
    }
    for (name, text) in document["policies"].as_object().into_iter().flatten() {
        requests.push((format!("sys/policies/acl/{name}"), json!({"policy": text})));
    }
    requests.extend(roles);
    requests
}

#[tokio::test]
async fn an_exported_script_replays_against_podpass_dev() {
    use podpass_server::server::{DevOptions, Server};

    let dev = |demo| DevOptions {
        listen: "127.0.0.1:0".into(),
        root_token: Some(ROOT.into()),
        demo,
        ui_dir: None,
        audit_log: None,
    };
    let server = Server::dev(dev(false)).await.expect("dev starts");
    assert!(
        !server.app.has_auth_mount("kubernetes"),
        "dev mounts no auth method"
    );
    assert!(server.banner.contains("vault auth enable kubernetes"));

    let mut configuration = podpass_server::server::demo_configuration().expect("demo");
    let tuned = import(&tuned_hcl());
    configuration
        .mount_mut("kubernetes")
        .expect("mount")
        .set_ttls(*tuned.mount("kubernetes").expect("tuned").ttls());
    let requests = exported_requests(&configuration);
    assert!(requests.len() > 5, "{requests:?}");
    for (path, body) in &requests {
        let (status, answer) = call(&server.app, "POST", path, Some(body.clone())).await;
        assert!(status.is_success(), "{path}: {status} {answer}");
    }
    let (_, tune) = call(&server.app, "GET", "sys/auth/kubernetes/tune", None).await;
    assert_eq!(tune["data"]["max_lease_ttl"], json!(7200));
    let (status, body) = login_as(&server.app, "grade-api", "grade-api-sa").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // With --demo the mount exists, and enabling it again is Vault's refusal.
    let demo = Server::dev(dev(true)).await.expect("dev --demo starts");
    let (status, body) = call(
        &demo.app,
        "POST",
        "sys/auth/kubernetes",
        Some(json!({"type": "kubernetes"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["errors"][0],
        json!("path is already in use at kubernetes/")
    );
}

async fn login_as(app: &Arc<App>, namespace: &str, service_account: &str) -> (StatusCode, Value) {
    let jwt = podpass_core::demo::token(namespace, service_account, app.now()).expect("jwt");
    support::router::call(
        app,
        "POST",
        "auth/kubernetes/login",
        None,
        Some(json!({"role": namespace, "jwt": jwt})),
    )
    .await
}

#[tokio::test]
async fn without_a_playground_ui_says_how_to_build_it() {
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    let app = empty_app().await;
    for path in ["/ui/", "/ui/index.html"] {
        let response = podpass_server::server::router(Arc::clone(&app), None)
            .oneshot(
                axum::http::Request::builder()
                    .uri(path)
                    .body(axum::body::Body::empty())
                    .expect("request"),
            )
            .await
            .expect("response");
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .expect("ascii")
                .starts_with("text/html")
        );
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let page = String::from_utf8_lossy(&body);
        assert!(page.contains("trunk build --release"), "{page}");
        assert!(page.contains("--features embed-ui"), "{page}");
    }
}

#[tokio::test]
async fn what_podpass_does_not_implement_is_said_not_answered() {
    let app = empty_app().await;
    // `-wrap-ttl`: a refusal, never the clear-text answer.
    let mut request = support::router::request("GET", "sys/policies/acl/default", Some(ROOT), None);
    request
        .headers_mut()
        .insert("X-Vault-Wrap-TTL", "5m".parse().expect("header"));
    let (status, body) = support::router::send(&app, request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = body["errors"][0].as_str().expect("message");
    assert!(
        message.contains("response wrapping is not supported"),
        "{message}"
    );
    assert!(body.get("data").is_none(), "{body}");

    // Only the root namespace is served: another one must not reach the root's data.
    for (namespace, expected) in [
        ("team1", StatusCode::NOT_FOUND),
        ("root", StatusCode::OK),
        ("/", StatusCode::OK),
    ] {
        let mut request =
            support::router::request("GET", "sys/policies/acl/default", Some(ROOT), None);
        request
            .headers_mut()
            .insert("X-Vault-Namespace", namespace.parse().expect("header"));
        let (status, body) = support::router::send(&app, request).await;
        assert_eq!(status, expected, "{namespace}: {body}");
    }

    // Vault endpoints podpass lacks: 501 naming them; a path Vault lacks too stays a 404.
    for (method, path, names) in [
        ("GET", "sys/audit", "sys/audit"),
        ("POST", "sys/mounts/kv2", "secrets engines"),
        ("GET", "sys/policies/password/p", "password policies"),
        ("POST", "sys/wrapping/unwrap", "sys/wrapping"),
        ("GET", "sys/policies/acl/default?help=1", "path help"),
    ] {
        let body = (method == "POST").then(|| json!({"versions": [1]}));
        let (status, answer) = call(&app, method, path, body).await;
        assert_eq!(
            status,
            StatusCode::NOT_IMPLEMENTED,
            "{method} {path}: {answer}"
        );
        let message = answer["errors"][0].as_str().expect("message");
        assert!(
            message.starts_with("podpass does not implement") && message.contains(names),
            "{path}: {message}"
        );
    }
    let (status, answer) = call(&app, "GET", "sys/no-such-endpoint", None).await;
    assert_eq!(
        (status, answer["errors"][0].clone()),
        (
            StatusCode::NOT_FOUND,
            json!("1 error occurred:\n\t* unsupported path\n\n")
        )
    );
}

#[tokio::test]
async fn a_policy_error_says_failed_to_parse_policy_once() {
    let app = empty_app().await;
    let (status, body) = call(
        &app,
        "PUT",
        "sys/policies/acl/bad",
        Some(json!({"policy": "path \"a\" {\n  capabilities = [\"read\"\n}\n"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = body["errors"][0].as_str().expect("message");
    assert!(
        message.starts_with("failed to parse policy: line 3"),
        "{message}"
    );
    assert_eq!(
        message.matches("failed to parse policy").count(),
        1,
        "{message}"
    );
}

#[tokio::test]
async fn restarting_with_an_unchanged_file_replaces_and_removes_nothing() {
    use podpass_server::reconcile::reconcile_configuration;

    let app = empty_app().await;
    let mut configuration = import(&tuned_hcl());
    for (name, entry) in podpass_core::demo::configuration()
        .expect("demo")
        .policies()
    {
        configuration
            .put_policy(name, &entry.text, entry.origin.clone())
            .expect("policy");
    }
    reconcile_configuration(&app, &configuration)
        .await
        .expect("first start");
    let restarted = Arc::new(App::load(app.store.clone(), fixed_clock(NOW)).expect("reload"));
    let again = reconcile_configuration(&restarted, &configuration)
        .await
        .expect("restart");
    assert_eq!(again.removed, Vec::<String>::new());
    assert_eq!(again.replaced, Vec::<String>::new());
    let (status, body) = login(&restarted, "kubernetes", "app").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["auth"]["lease_duration"], json!(3600));
}
