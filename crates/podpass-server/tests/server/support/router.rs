//! Driving the router in process: a request in, the status and JSON body out.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use podpass_server::app::App;
use podpass_server::server::router;
use serde_json::Value;
use tower::ServiceExt;

/// A `/v1/<path>` request with an optional token (`X-Vault-Token`) and raw body; a PATCH
/// declares its body a merge patch, as Vault requires and its clients send.
pub fn request(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> Request<Body> {
    let mut builder = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).expect("method"))
        .uri(format!("/v1/{path}"));
    if let Some(token) = token {
        builder = builder.header("X-Vault-Token", token);
    }
    if method == "PATCH" {
        builder = builder.header("Content-Type", "application/merge-patch+json");
    }
    builder
        .body(body.map_or_else(Body::empty, Body::from))
        .expect("request")
}

/// Sends `request` through a fresh router over `app`; the body is `Null` when empty.
pub async fn send(app: &Arc<App>, request: Request<Body>) -> (StatusCode, Value) {
    let response = router(Arc::clone(app), None)
        .oneshot(request)
        .await
        .expect("response");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("JSON body")
    };
    (status, value)
}

/// [`request`] with a JSON body, then [`send`].
pub async fn call(
    app: &Arc<App>,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    send(
        app,
        request(method, path, token, body.map(|b| b.to_string())),
    )
    .await
}
