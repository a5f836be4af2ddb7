//! Logins that need the cluster: TokenReview, namespace selectors and OIDC discovery keys,
//! against the fake Kubernetes API in `support/` (real TLS with a CA made at test time).

use crate::support;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use podpass_core::mint::{TokenSpec, mint};
use podpass_server::app::App;
use podpass_server::cluster::{Cluster, ClusterOptions};
use podpass_server::server::{fixed_clock, issue_root_token};
use podpass_server::storage::{MemoryBackend, SealKey, Store};
use serde_json::{Value, json};
use support::fake_kubernetes::{FakeKubernetes, TokenOwner};

const NOW: i64 = 1_780_000_000;
const ROOT: &str = "hvs.root-for-cluster-tests";
const REVIEWER: &str = "reviewer-token-with-auth-delegator";

struct Harness {
    app: Arc<App>,
    fake: FakeKubernetes,
    logs: LogBuffer,
    _log_guard: tracing::subscriber::DefaultGuard,
    _pod_dir: tempfile::TempDir,
}

/// The server's log lines (WARN and above), as an operator would read them.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;

    fn make_writer(&'a self) -> LogBuffer {
        self.clone()
    }
}

impl Harness {
    /// A server whose `kubernetes` mount points at a fresh fake cluster (CA configured), with
    /// the role `grade-api` bound to `grade-api-sa` in `grade-api`. `config` adds to the
    /// mount's config; `options` adjusts the cluster client (the pod's files live in a
    /// temporary directory, empty unless a test writes them).
    async fn start(config: Value, options: impl FnOnce(&mut ClusterOptions)) -> Harness {
        let fake = FakeKubernetes::start(REVIEWER).await;
        let pod_dir = tempfile::tempdir().unwrap();
        let mut cluster_options = ClusterOptions {
            timeout: Duration::from_secs(5),
            pod_ca_path: pod_dir.path().join("ca.crt"),
            pod_token_path: pod_dir.path().join("token"),
            ..ClusterOptions::default()
        };
        options(&mut cluster_options);
        let store = Store::new(Arc::new(MemoryBackend::new()), SealKey::generate().unwrap());
        let mut app = App::load(store, fixed_clock(NOW)).unwrap();
        app.cluster = Cluster::new(cluster_options);
        let app = Arc::new(app);
        issue_root_token(&app, ROOT).await.unwrap();
        // Tests run on one thread (tokio's current-thread runtime), so a thread-local
        // subscriber sees every task of the test, the server's included.
        let logs = LogBuffer::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(logs.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::WARN)
            .finish();
        let harness = Harness {
            app,
            fake,
            logs,
            _log_guard: support::logs::capture(subscriber),
            _pod_dir: pod_dir,
        };
        harness
            .ok("POST", "sys/auth/kubernetes", json!({"type": "kubernetes"}))
            .await;
        let mut body = json!({
            "kubernetes_host": harness.fake.url,
            "kubernetes_ca_cert": harness.fake.ca_pem,
        });
        for (key, value) in config.as_object().unwrap() {
            body[key] = value.clone();
        }
        harness.ok("POST", "auth/kubernetes/config", body).await;
        harness
            .ok(
                "POST",
                "auth/kubernetes/role/grade-api",
                json!({
                    "bound_service_account_names": "grade-api-sa",
                    "bound_service_account_namespaces": "grade-api",
                    "token_policies": "grade-api",
                }),
            )
            .await;
        harness
    }

    /// Everything logged so far.
    fn logged(&self) -> String {
        String::from_utf8_lossy(&self.logs.0.lock().unwrap()).into_owned()
    }

    /// Asserts the log explains a denial with `reason` and never shows the login JWT.
    fn assert_logged(&self, reason: &str, jwt: &str) {
        let logged = self.logged();
        assert!(
            logged.contains(reason),
            "expected {reason:?} in the log:\n{logged}"
        );
        assert!(
            !logged.contains(jwt),
            "the login JWT reached the log:\n{logged}"
        );
    }

    fn pod_file(&self, name: &str) -> PathBuf {
        self._pod_dir.path().join(name)
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> (StatusCode, Value) {
        // A login must answer promptly even when the cluster does not; this bounds a hang,
        // it does not measure speed.
        tokio::time::timeout(
            Duration::from_secs(30),
            support::router::call(&self.app, method, path, token, Some(body)),
        )
        .await
        .expect("the server answered")
    }

    async fn ok(&self, method: &str, path: &str, body: Value) -> Value {
        let (status, answer) = self.call(method, path, Some(ROOT), body).await;
        assert!(status.is_success(), "{method} {path}: {status} {answer}");
        answer
    }

    async fn login(&self, role: &str, jwt: &str) -> (StatusCode, Value) {
        self.call(
            "POST",
            "auth/kubernetes/login",
            None,
            json!({"role": role, "jwt": jwt}),
        )
        .await
    }
}

fn grade_api_token() -> TokenSpec {
    TokenSpec::projected("grade-api", "grade-api-sa", NOW)
}

fn assert_permission_denied((status, body): (StatusCode, Value)) {
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body, json!({"errors": ["permission denied"]}));
}

#[tokio::test]
async fn token_review_login_succeeds_with_the_reviewer_jwt() {
    let h = Harness::start(json!({"token_reviewer_jwt": REVIEWER}), |_| {}).await;
    let jwt = h.fake.issue(&grade_api_token());
    let (status, body) = h.login("grade-api", &jwt).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["auth"]["metadata"]["service_account_name"],
        "grade-api-sa"
    );
    let calls = h.fake.calls();
    assert_eq!((calls.token_reviews, calls.unauthorized), (1, 0));
}

#[tokio::test]
async fn the_pods_own_token_is_the_bearer_when_no_reviewer_is_configured() {
    let h = Harness::start(json!({}), |_| {}).await;
    std::fs::write(h.pod_file("token"), format!("{REVIEWER}\n")).unwrap();
    let jwt = h.fake.issue(&grade_api_token());
    let (status, body) = h.login("grade-api", &jwt).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(h.fake.calls().unauthorized, 0);
}

#[tokio::test]
async fn the_pods_ca_is_used_when_the_config_has_none() {
    let fake_ca = {
        // The CA is only known once the fake runs: start without one, then write the pod's file.
        let h = Harness::start(json!({"token_reviewer_jwt": REVIEWER}), |_| {}).await;
        std::fs::write(h.pod_file("ca.crt"), &h.fake.ca_pem).unwrap();
        h.ok(
            "POST",
            "auth/kubernetes/config",
            json!({"kubernetes_host": h.fake.url, "token_reviewer_jwt": REVIEWER}),
        )
        .await;
        let jwt = h.fake.issue(&grade_api_token());
        let (status, body) = h.login("grade-api", &jwt).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // With disable_local_ca_jwt the pod's CA is not trusted: TLS fails, the login is denied.
        h.ok(
            "POST",
            "auth/kubernetes/config",
            json!({"kubernetes_host": h.fake.url, "token_reviewer_jwt": REVIEWER,
                   "disable_local_ca_jwt": true}),
        )
        .await;
        assert_permission_denied(h.login("grade-api", &jwt).await);
        h.assert_logged("invalid peer certificate: UnknownIssuer", &jwt);
        h.fake.calls().token_reviews
    };
    assert_eq!(fake_ca, 1, "the untrusted server never saw a review");
}

#[tokio::test]
async fn a_401_from_the_api_denies_the_login() {
    // No reviewer and no pod token: the login JWT itself is the bearer, which this cluster
    // does not accept as a caller.
    let h = Harness::start(json!({}), |_| {}).await;
    let jwt = h.fake.issue(&grade_api_token());
    assert_permission_denied(h.login("grade-api", &jwt).await);
    let calls = h.fake.calls();
    assert_eq!((calls.token_reviews, calls.unauthorized), (1, 1));
    h.assert_logged("service account unauthorized", &jwt);
}

#[tokio::test]
async fn a_cluster_that_does_not_answer_in_time_denies_the_login() {
    let h = Harness::start(json!({"token_reviewer_jwt": REVIEWER}), |o| {
        o.timeout = Duration::from_millis(200);
    })
    .await;
    let jwt = h.fake.issue(&grade_api_token());
    h.fake.set_delay(Duration::from_secs(5));
    assert_permission_denied(h.login("grade-api", &jwt).await);
    h.assert_logged("no answer from https://127.0.0.1:", &jwt);
}

#[tokio::test]
async fn an_unreachable_cluster_denies_the_login() {
    let h = Harness::start(json!({"token_reviewer_jwt": REVIEWER}), |_| {}).await;
    let jwt = h.fake.issue(&grade_api_token());
    // Port 1 on loopback: connection refused.
    h.ok(
        "POST",
        "auth/kubernetes/config",
        json!({"kubernetes_host": "https://127.0.0.1:1", "kubernetes_ca_cert": h.fake.ca_pem,
               "token_reviewer_jwt": REVIEWER}),
    )
    .await;
    assert_permission_denied(h.login("grade-api", &jwt).await);
    h.assert_logged(
        "request to https://127.0.0.1:1/apis/authentication.k8s.io/v1/tokenreviews failed",
        &jwt,
    );
}

#[tokio::test]
async fn a_reviewed_uid_that_differs_from_the_jwts_denies_the_login() {
    let h = Harness::start(json!({"token_reviewer_jwt": REVIEWER}), |_| {}).await;
    let jwt = h.fake.issue(&grade_api_token());
    // The service account was recreated: same name, new uid.
    h.fake.register(
        &jwt,
        TokenOwner {
            username: "system:serviceaccount:grade-api:grade-api-sa".into(),
            uid: "a-new-uid".into(),
            audiences: vec![podpass_core::mint::DEFAULT_PROJECTED_ISSUER.into()],
            invalidated: false,
        },
    );
    assert_permission_denied(h.login("grade-api", &jwt).await);
    assert_eq!(h.fake.calls().token_reviews, 1);
    h.assert_logged("JWT UIDs did not match", &jwt);
}

#[tokio::test]
async fn unauthenticated_tokens_are_denied_and_deleted_pods_lose_access() {
    let h = Harness::start(json!({"token_reviewer_jwt": REVIEWER}), |_| {}).await;
    // Signed by a key the cluster does not know: no authenticator recognises it.
    let forged = mint(
        &grade_api_token(),
        &FakeKubernetes::foreign_signing_key("key-1"),
    )
    .unwrap();
    assert_permission_denied(h.login("grade-api", &forged).await);
    h.assert_logged("service account jwt not valid", &forged);
    // A real token works until its pod is deleted; TokenReview notices at once.
    let jwt = h.fake.issue(&grade_api_token());
    assert_eq!(h.login("grade-api", &jwt).await.0, StatusCode::OK);
    h.fake.invalidate(&jwt);
    assert_permission_denied(h.login("grade-api", &jwt).await);
    assert_eq!(h.fake.calls().token_reviews, 3);
    h.assert_logged("service account token has been invalidated", &jwt);
}

#[tokio::test]
async fn a_token_for_another_audience_is_denied() {
    let h = Harness::start(json!({"token_reviewer_jwt": REVIEWER}), |_| {}).await;
    h.ok(
        "POST",
        "auth/kubernetes/role/grade-api",
        json!({"bound_service_account_names": "grade-api-sa",
               "bound_service_account_namespaces": "grade-api", "audience": "vault"}),
    )
    .await;
    let mut spec = grade_api_token();
    spec.audiences = vec!["vault".into()];
    let jwt = h.fake.issue(&spec);
    assert_eq!(h.login("grade-api", &jwt).await.0, StatusCode::OK);
    // The claims say `vault`, but the cluster issued the token for another audience (the
    // claims of an unverified token prove nothing; the cluster knows).
    h.fake.register(
        &jwt,
        TokenOwner {
            username: "system:serviceaccount:grade-api:grade-api-sa".into(),
            uid: spec.uid.clone(),
            audiences: vec!["https://other.example".into()],
            invalidated: false,
        },
    );
    assert_permission_denied(h.login("grade-api", &jwt).await);
    h.assert_logged("is invalid for the target audiences", &jwt);
}

#[tokio::test]
async fn namespace_selectors_read_the_namespaces_labels_and_cache_them() {
    let h = Harness::start(json!({"token_reviewer_jwt": REVIEWER}), |_| {}).await;
    h.ok(
        "POST",
        "auth/kubernetes/role/by-label",
        json!({"bound_service_account_names": "*",
               "bound_service_account_namespace_selector": r#"{"matchLabels":{"team":"grades"}}"#,
               "token_policies": "grade-api"}),
    )
    .await;
    h.fake.set_namespace("grade-api", &[("team", "grades")]);
    h.fake.set_namespace("payment", &[("team", "payments")]);
    let grades = h.fake.issue(&grade_api_token());
    let (status, body) = h.login("by-label", &grades).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(h.login("by-label", &grades).await.0, StatusCode::OK);
    assert_eq!(h.fake.calls().namespaces, 1, "the labels were cached");

    let payment = h
        .fake
        .issue(&TokenSpec::projected("payment", "payment-sa", NOW));
    let (status, body) = h.login("by-label", &payment).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // A namespace the cluster does not have has no labels: denied too.
    let ghost = h.fake.issue(&TokenSpec::projected("ghost", "sa", NOW));
    assert_eq!(h.login("by-label", &ghost).await.0, StatusCode::FORBIDDEN);
    h.assert_logged(r#"namespaces \"ghost\" not found"#, &ghost);
    // Roles without a selector never ask for labels.
    let before = h.fake.calls().namespaces;
    assert_eq!(h.login("grade-api", &grades).await.0, StatusCode::OK);
    assert_eq!(h.fake.calls().namespaces, before);
}

#[tokio::test]
async fn discovery_keys_verify_logins_without_token_review_when_the_mount_opts_out() {
    let h = Harness::start(
        json!({"token_reviewer_jwt": REVIEWER, "jwks_discovery": true, "disable_token_review": true}),
        |_| {},
    )
    .await;
    let jwt = h.fake.issue(&grade_api_token());
    // A burst on a cold cache: one fetch, every login verified with its result.
    let burst = tokio::join!(
        h.login("grade-api", &jwt),
        h.login("grade-api", &jwt),
        h.login("grade-api", &jwt)
    );
    for (status, body) in [burst.0, burst.1, burst.2] {
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert_eq!(h.login("grade-api", &jwt).await.0, StatusCode::OK);
    let calls = h.fake.calls();
    assert_eq!(calls.token_reviews, 0, "no TokenReview in JWKS mode");
    assert_eq!((calls.discovery, calls.jwks), (1, 1), "keys fetched once");
    // What JWKS mode gives up: the token of a deleted pod works until it expires.
    h.fake.invalidate(&jwt);
    assert_eq!(h.login("grade-api", &jwt).await.0, StatusCode::OK);
    // A token signed by a key the cluster never published is refused.
    let forged = mint(
        &grade_api_token(),
        &FakeKubernetes::foreign_signing_key("key-1"),
    )
    .unwrap();
    assert_eq!(h.login("grade-api", &forged).await.0, StatusCode::FORBIDDEN);
    assert_eq!(h.fake.calls().token_reviews, 0);
}

#[tokio::test]
async fn an_unknown_kid_refreshes_the_keys_at_most_once_per_interval() {
    let h = Harness::start(
        json!({"token_reviewer_jwt": REVIEWER, "jwks_discovery": true, "disable_token_review": true}),
        |o| o.jwks_min_refresh = Duration::ZERO,
    )
    .await;
    let first = h.fake.issue(&grade_api_token());
    assert_eq!(h.login("grade-api", &first).await.0, StatusCode::OK);
    h.fake.rotate_signing_key("key-2");
    let rotated = h.fake.issue(&grade_api_token());
    let (status, body) = h.login("grade-api", &rotated).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(h.fake.calls().jwks, 2, "the unknown kid refreshed the keys");
    assert_eq!(h.login("grade-api", &first).await.0, StatusCode::OK);
    assert_eq!(h.fake.calls().jwks, 2, "both keys are now cached");

    let limited = Harness::start(
        json!({"token_reviewer_jwt": REVIEWER, "jwks_discovery": true, "disable_token_review": true}),
        |o| o.jwks_min_refresh = Duration::from_secs(3600),
    )
    .await;
    let jwt = limited.fake.issue(&grade_api_token());
    assert_eq!(limited.login("grade-api", &jwt).await.0, StatusCode::OK);
    let unknown = mint(
        &grade_api_token(),
        &FakeKubernetes::foreign_signing_key("nobody-published-this"),
    )
    .unwrap();
    for _ in 0..3 {
        assert_eq!(
            limited.login("grade-api", &unknown).await.0,
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(
        limited.fake.calls().jwks,
        1,
        "unknown kids do not turn logins into API calls"
    );
}

#[tokio::test]
async fn a_mount_without_reachable_discovery_denies_jwks_logins() {
    let h = Harness::start(json!({"jwks_discovery": true}), |_| {}).await;
    // No reviewer, no pod token: the login JWT is the bearer and this cluster refuses it.
    let jwt = h.fake.issue(&grade_api_token());
    assert_permission_denied(h.login("grade-api", &jwt).await);
    let calls = h.fake.calls();
    assert_eq!((calls.discovery, calls.token_reviews), (1, 0));
    h.assert_logged("no keys from the cluster's OIDC discovery", &jwt);
    h.assert_logged("answered HTTP 401", &jwt);
}

#[tokio::test]
async fn pem_keys_verify_the_signature_and_token_review_still_decides_by_default() {
    let h = Harness::start(json!({"token_reviewer_jwt": REVIEWER}), |_| {}).await;
    let pem = h.fake.public_key_pem();
    h.ok(
        "POST",
        "auth/kubernetes/config",
        json!({"kubernetes_host": h.fake.url, "kubernetes_ca_cert": h.fake.ca_pem,
               "token_reviewer_jwt": REVIEWER, "pem_keys": [pem]}),
    )
    .await;
    let read = h.ok("GET", "auth/kubernetes/config", json!({})).await;
    assert!(read["data"].get("disable_token_review").is_none(), "{read}");
    let jwt = h.fake.issue(&grade_api_token());
    let (status, body) = h.login("grade-api", &jwt).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        h.fake.calls().token_reviews,
        1,
        "Vault asks even with pem_keys"
    );
    // As in Vault: the token of a deleted pod stops working at once.
    h.fake.invalidate(&jwt);
    assert_permission_denied(h.login("grade-api", &jwt).await);
    assert_eq!(h.fake.calls().token_reviews, 2);
    // A signature the keys refuse is denied before any call.
    let forged = mint(
        &grade_api_token(),
        &FakeKubernetes::foreign_signing_key("key-1"),
    )
    .unwrap();
    assert_permission_denied(h.login("grade-api", &forged).await);
    assert_eq!(h.fake.calls().token_reviews, 2);

    // The explicit choice: the signature alone decides, and the deleted pod's token works.
    h.ok(
        "POST",
        "auth/kubernetes/config",
        json!({"kubernetes_host": h.fake.url, "kubernetes_ca_cert": h.fake.ca_pem,
               "pem_keys": [h.fake.public_key_pem()], "disable_token_review": true}),
    )
    .await;
    let read = h.ok("GET", "auth/kubernetes/config", json!({})).await;
    assert_eq!(read["data"]["disable_token_review"], true);
    let (status, body) = h.login("grade-api", &jwt).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        h.fake.calls().token_reviews,
        2,
        "no call when the mount opts out"
    );
}

#[tokio::test]
async fn discovery_keys_and_token_review_by_default() {
    let h = Harness::start(
        json!({"token_reviewer_jwt": REVIEWER, "jwks_discovery": true}),
        |_| {},
    )
    .await;
    let jwt = h.fake.issue(&grade_api_token());
    assert_eq!(h.login("grade-api", &jwt).await.0, StatusCode::OK);
    let calls = h.fake.calls();
    assert_eq!((calls.jwks, calls.token_reviews), (1, 1));
    h.fake.invalidate(&jwt);
    assert_permission_denied(h.login("grade-api", &jwt).await);
}

#[tokio::test]
async fn disabling_token_review_needs_keys() {
    let h = Harness::start(json!({}), |_| {}).await;
    let (status, body) = h
        .call(
            "POST",
            "auth/kubernetes/config",
            Some(ROOT),
            json!({"kubernetes_host": h.fake.url, "disable_token_review": true}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"errors": ["disable_token_review requires pem_keys or jwks_discovery: without TokenReview nothing would verify the token's signature"]})
    );
}
