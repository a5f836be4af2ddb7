//! A server with the demo scenario, driven in process over a memory backend and a pinned
//! clock.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use podpass_server::app::App;
use podpass_server::server::{apply_configuration, fixed_clock, issue_root_token};
use podpass_server::storage::{MemoryBackend, SealKey, Store};
use serde_json::{Value, json};

pub const NOW: i64 = 1_780_000_000;
pub const ROOT: &str = "hvs.root-for-tests";

pub struct Harness {
    /// The server state.
    pub app: Arc<App>,
}

impl Harness {
    /// A server with the demo scenario (tutorial roles and policies on the demo key).
    pub async fn demo() -> Harness {
        let now = NOW;
        let key = SealKey::generate().expect("key");
        let store = Store::new(Arc::new(MemoryBackend::new()), key);
        let app = Arc::new(App::load(store, fixed_clock(now)).expect("app"));
        issue_root_token(&app, ROOT).await.expect("root token");
        let demo = podpass_server::server::demo_configuration().expect("demo");
        apply_configuration(&app, &demo)
            .await
            .expect("demo applies");
        Harness { app }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.raw(method, path, token, body.map(|b| b.to_string()))
            .await
    }

    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<String>,
    ) -> (StatusCode, Value) {
        self.send(super::router::request(method, path, token, body))
            .await
    }

    /// Sends a request as if from `from` (what axum's connect info carries in a real server).
    pub async fn send_from(&self, from: &str, mut request: Request<Body>) -> (StatusCode, Value) {
        let address: SocketAddr = format!("{from}:40000").parse().expect("address");
        request.extensions_mut().insert(ConnectInfo(address));
        self.send(request).await
    }

    pub async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        super::router::send(&self.app, request).await
    }

    pub async fn login(
        &self,
        role: &str,
        namespace: &str,
        service_account: &str,
    ) -> (StatusCode, Value) {
        let jwt = podpass_core::demo::token(namespace, service_account, NOW).expect("jwt");
        self.call(
            "POST",
            "auth/kubernetes/login",
            None,
            Some(json!({"role": role, "jwt": jwt})),
        )
        .await
    }

    /// Writes policy `name` as root; the write must succeed.
    pub async fn put_policy(&self, name: &str, policy: &str) {
        let (status, body) = self
            .call(
                "PUT",
                &format!("sys/policies/acl/{name}"),
                Some(ROOT),
                Some(json!({ "policy": policy })),
            )
            .await;
        assert!(status.is_success(), "{body}");
    }

    /// Logs in to `role` as `grade-api-sa` in `grade-api`, as if from the address `from`.
    pub async fn login_from(&self, from: &str, role: &str) -> (StatusCode, Value) {
        let jwt = podpass_core::demo::token("grade-api", "grade-api-sa", NOW).expect("jwt");
        let request = Request::builder()
            .method("POST")
            .uri("/v1/auth/kubernetes/login")
            .body(Body::from(json!({"role": role, "jwt": jwt}).to_string()))
            .expect("request");
        self.send_from(from, request).await
    }

    pub async fn login_token(&self, role: &str, namespace: &str, service_account: &str) -> String {
        let (status, body) = self.login(role, namespace, service_account).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["auth"]["client_token"]
            .as_str()
            .expect("client_token")
            .to_string()
    }
}

pub fn errors(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A GET of `/v1/<path>` with a token.
pub fn get(path: &str, token: &str) -> Request<Body> {
    Request::builder()
        .uri(format!("/v1/{path}"))
        .header("X-Vault-Token", token)
        .body(Body::empty())
        .expect("request")
}
