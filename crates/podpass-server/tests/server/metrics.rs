//! `sys/metrics?format=prometheus`, in process: logins counted by mount, role and
//! result (unknown roles under one label), request latency by route kind, live tokens; the
//! endpoint needs a token allowed to read `sys/metrics`, as in Vault.

use crate::support;

use std::sync::Arc;

use axum::http::{StatusCode, header};
use http_body_util::BodyExt;
use podpass_server::app::App;
use podpass_server::server::{apply_configuration, fixed_clock, issue_root_token, router};
use podpass_server::storage::{MemoryBackend, SealKey, Store};
use serde_json::{Value, json};
use tower::ServiceExt;

const NOW: i64 = 1_780_000_000;
const ROOT: &str = "hvs.root-for-metrics";

async fn demo_app() -> Arc<App> {
    let store = Store::new(Arc::new(MemoryBackend::new()), SealKey::generate().unwrap());
    let app = Arc::new(App::load(store, fixed_clock(NOW)).unwrap());
    issue_root_token(&app, ROOT).await.unwrap();
    apply_configuration(&app, &podpass_server::server::demo_configuration().unwrap())
        .await
        .unwrap();
    app
}

/// Status, content type and body text.
async fn call(
    app: &Arc<App>,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, String, String) {
    let request = support::router::request(method, path, token, body.map(|b| b.to_string()));
    let response = router(Arc::clone(app), None)
        .oneshot(request)
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        String::from_utf8(bytes.to_vec()).unwrap(),
    )
}

async fn login(app: &Arc<App>, role: &str, namespace: &str, account: &str) -> StatusCode {
    let jwt = podpass_core::demo::token(namespace, account, NOW).unwrap();
    let body = json!({"role": role, "jwt": jwt});
    call(app, "POST", "auth/kubernetes/login", None, Some(body))
        .await
        .0
}

/// The value of the sample `name{labels}` in an exposition (labels as written, in order).
fn sample(exposition: &str, series: &str) -> Option<f64> {
    exposition.lines().find_map(|line| {
        let (name, value) = line.rsplit_once(' ')?;
        (name == series).then(|| value.parse().unwrap())
    })
}

#[tokio::test]
async fn logins_latency_and_live_tokens_are_exposed() {
    let app = demo_app().await;
    assert_eq!(
        login(&app, "grade-api", "grade-api", "grade-api-sa").await,
        StatusCode::OK
    );
    assert_eq!(
        login(&app, "grade-api", "grade-api", "grade-api-sa").await,
        StatusCode::OK
    );
    assert_eq!(
        login(&app, "grade-api", "payment", "payment-sa").await,
        StatusCode::FORBIDDEN
    );
    // Role names a client invents share one label value.
    for invented in ["no-such-role", "another-invented-role"] {
        let status = login(&app, invented, "grade-api", "grade-api-sa").await;
        assert!(status.is_client_error());
    }

    let (status, content_type, text) = call(
        &app,
        "GET",
        "sys/metrics?format=prometheus",
        Some(ROOT),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(content_type.starts_with("application/openmetrics-text"));
    assert!(text.trim_end().ends_with("# EOF"));

    let logins = |role: &str, result: &str| {
        sample(
            &text,
            &format!(
                "podpass_logins_total{{mount=\"kubernetes\",role=\"{role}\",result=\"{result}\"}}"
            ),
        )
    };
    assert_eq!(logins("grade-api", "granted"), Some(2.0), "{text}");
    assert_eq!(logins("grade-api", "denied"), Some(1.0));
    assert_eq!(logins("<unknown>", "denied"), Some(2.0));
    assert!(!text.contains("no-such-role"));

    assert_eq!(
        sample(
            &text,
            "podpass_request_duration_seconds_count{route=\"auth/:mount/login\"}"
        ),
        Some(5.0)
    );
    assert_eq!(
        sample(
            &text,
            "podpass_request_duration_seconds_bucket{le=\"+Inf\",route=\"auth/:mount/login\"}"
        ),
        Some(5.0),
        "{text}"
    );
    // The root token and the two login tokens.
    assert_eq!(sample(&text, "podpass_tokens_live"), Some(3.0));
    assert_eq!(app.tokens.live_count(), 3);
}

#[tokio::test]
async fn metrics_need_a_token_that_may_read_sys_metrics() {
    let app = demo_app().await;
    let (status, _, _) = call(&app, "GET", "sys/metrics?format=prometheus", None, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A login token of the demo has no policy on sys/metrics.
    let jwt = podpass_core::demo::token("grade-api", "grade-api-sa", NOW).unwrap();
    let (_, _, body) = call(
        &app,
        "POST",
        "auth/kubernetes/login",
        None,
        Some(json!({"role": "grade-api", "jwt": jwt})),
    )
    .await;
    let body: Value = serde_json::from_str(&body).unwrap();
    let app_token = body["auth"]["client_token"].as_str().unwrap().to_string();
    let (status, _, _) = call(
        &app,
        "GET",
        "sys/metrics?format=prometheus",
        Some(&app_token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A scraper's token with read on sys/metrics.
    let policy = json!({"policy": "path \"sys/metrics\" { capabilities = [\"read\"] }"});
    let (status, _, text) = call(
        &app,
        "PUT",
        "sys/policies/acl/prometheus",
        Some(ROOT),
        Some(policy),
    )
    .await;
    assert!(status.is_success(), "{text}");
    let (status, _, text) = call(
        &app,
        "POST",
        "auth/token/create",
        Some(ROOT),
        Some(json!({"policies": ["prometheus"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let created: Value = serde_json::from_str(&text).unwrap();
    let scraper = created["auth"]["client_token"].as_str().unwrap();
    let (status, _, text) = call(
        &app,
        "GET",
        "sys/metrics?format=prometheus",
        Some(scraper),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("podpass_tokens_live"));

    // The JSON form is not served: the error says what is.
    let (status, _, text) = call(&app, "GET", "sys/metrics", Some(scraper), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("format=prometheus"), "{text}");
}
