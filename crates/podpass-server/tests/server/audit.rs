//! The audit log, in process: logins, KV writes and reads, token lookups, token
//! creation and refusals go through the router with auditing on, and then no raw token,
//! accessor, JWT or secret value may appear anywhere in the log — while the HMACs of each of
//! them do (so the check is not passing on an empty or truncated log).

use crate::support;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::http::StatusCode;
use podpass_server::app::App;
use podpass_server::audit::{AuditLog, AuditTarget};
use podpass_server::server::{apply_configuration, fixed_clock, issue_root_token};
use podpass_server::storage::{MemoryBackend, SealKey, Store};
use serde_json::{Value, json};

const NOW: i64 = 1_780_000_000;
const ROOT: &str = "hvs.root-token-for-the-audit-test";

struct Audited {
    app: Arc<App>,
    log_path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Audited {
    async fn start() -> Audited {
        let dir = tempfile::tempdir().unwrap();
        let log_path = dir.path().join("audit.log");
        let store = Store::new(Arc::new(MemoryBackend::new()), SealKey::generate().unwrap());
        let app = Arc::new(App::load(store, fixed_clock(NOW)).unwrap());
        let log = AuditLog::open(&AuditTarget::File(log_path.clone())).unwrap();
        app.telemetry.enable_audit(log).unwrap();
        issue_root_token(&app, ROOT).await.unwrap();
        apply_configuration(&app, &podpass_server::server::demo_configuration().unwrap())
            .await
            .unwrap();
        Audited {
            app,
            log_path,
            _dir: dir,
        }
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request =
            support::router::request(method, path, token, body.map(|b| b.to_string()));
        let from: SocketAddr = "10.1.2.3:40000".parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(from));
        support::router::send(&self.app, request).await
    }

    async fn lines(&self) -> Vec<Value> {
        self.app.telemetry.audit().unwrap().flush().await;
        std::fs::read_to_string(&self.log_path)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    fn hmac(&self, value: &str) -> String {
        self.app.store.key().audit_hmac(value)
    }
}

#[tokio::test]
async fn no_token_jwt_or_secret_reaches_the_audit_log_raw() {
    let h = Audited::start().await;
    // Values that must never appear raw, and what each is.
    let mut secrets: Vec<(String, &str)> = vec![(ROOT.into(), "root token")];

    // A granted login: its JWT in, a client token and accessor out.
    let jwt = podpass_core::demo::token("grade-api", "grade-api-sa", NOW).unwrap();
    let (status, login) = h
        .call(
            "POST",
            "auth/kubernetes/login",
            None,
            Some(json!({"role": "grade-api", "jwt": jwt})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{login}");
    let client_token = login["auth"]["client_token"].as_str().unwrap().to_string();
    let accessor = login["auth"]["accessor"].as_str().unwrap().to_string();
    secrets.push((jwt.clone(), "granted login's JWT"));
    secrets.push((client_token.clone(), "login token"));
    secrets.push((accessor.clone(), "login token's accessor"));

    // A denied login (wrong namespace) and one with a JWT that is not even a JWT.
    let wrong_jwt = podpass_core::demo::token("payment", "payment-sa", NOW).unwrap();
    let (status, _) = h
        .call(
            "POST",
            "auth/kubernetes/login",
            None,
            Some(json!({"role": "grade-api", "jwt": wrong_jwt})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    secrets.push((wrong_jwt.clone(), "denied login's JWT"));
    let garbage = "not-a-jwt-but-still-secret-7f3a9c";
    let (status, _) = h
        .call(
            "POST",
            "auth/kubernetes/login",
            None,
            Some(json!({"role": "grade-api", "jwt": garbage})),
        )
        .await;
    assert!(status.is_client_error());
    secrets.push((garbage.into(), "malformed JWT"));

    // KV: root writes, the login token reads.
    let password = "correct-horse-battery-staple-31337";
    let api_key = "AKIA-audit-test-0123456789";
    let (status, body) = h
        .call(
            "POST",
            "secret/data/grade-api/db",
            Some(ROOT),
            Some(json!({"data": {"password": password, "nested": {"api_key": api_key}}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    secrets.push((password.into(), "KV secret value"));
    secrets.push((api_key.into(), "nested KV secret value"));
    let (status, read) = h
        .call("GET", "secret/data/grade-api/db", Some(&client_token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read["data"]["data"]["password"], password);

    // Token lookups: self, by token in the body, by accessor.
    let (status, _) = h
        .call("GET", "auth/token/lookup-self", Some(&client_token), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h
        .call(
            "POST",
            "auth/token/lookup",
            Some(ROOT),
            Some(json!({"token": client_token})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h
        .call(
            "POST",
            "auth/token/lookup-accessor",
            Some(ROOT),
            Some(json!({"accessor": accessor})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // A created token, and a request with a token that does not exist.
    let (status, created) = h
        .call(
            "POST",
            "auth/token/create",
            Some(ROOT),
            Some(json!({"policies": ["grade-api"], "ttl": "1h"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let created_token = created["auth"]["client_token"]
        .as_str()
        .unwrap()
        .to_string();
    let created_accessor = created["auth"]["accessor"].as_str().unwrap().to_string();
    secrets.push((created_token.clone(), "created token"));
    secrets.push((created_accessor.clone(), "created token's accessor"));
    let bogus = "hvs.this-token-does-not-exist-42";
    let (status, _) = h
        .call("GET", "secret/data/grade-api/db", Some(bogus), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    secrets.push((bogus.into(), "unknown token"));
    let (status, _) = h
        .call(
            "POST",
            "auth/token/revoke-accessor",
            Some(ROOT),
            Some(json!({"accessor": created_accessor})),
        )
        .await;
    assert!(status.is_success());

    let lines = h.lines().await;
    let text = std::fs::read_to_string(&h.log_path).unwrap();

    // Nothing raw, not even a JWT's header, payload or signature on its own.
    for (secret, what) in &secrets {
        assert!(
            !text.contains(secret.as_str()),
            "the {what} appears raw in the audit log"
        );
    }
    for jwt in [&jwt, &wrong_jwt] {
        for part in jwt.split('.') {
            assert!(!text.contains(part), "a JWT segment appears raw: {part}");
        }
    }

    // ... and every one of them is there as its HMAC.
    for (secret, what) in &secrets {
        assert!(
            text.contains(&h.hmac(secret)),
            "the HMAC of the {what} is missing from the audit log"
        );
    }

    // Vault's shape: a request line then a response line per request, sharing the id.
    assert_eq!(
        lines.len(),
        2 * 11,
        "one request and one response line per request"
    );
    assert_eq!(lines.len() % 2, 0);
    for pair in lines.chunks(2) {
        assert_eq!(pair[0]["type"], "request", "{}", pair[0]);
        assert_eq!(pair[1]["type"], "response", "{}", pair[1]);
        assert_eq!(pair[0]["request"]["id"], pair[1]["request"]["id"]);
        assert_eq!(pair[0]["request"]["remote_address"], "10.1.2.3");
        assert!(pair[0]["time"].as_str().unwrap().starts_with("2026-"));
    }

    // The granted login: the JWT and role hashed in the request, the token and accessor hashed
    // in the response's auth, the policies readable.
    let granted = lines
        .iter()
        .find(|l| {
            l["type"] == "response"
                && l["request"]["path"] == "auth/kubernetes/login"
                && l["response"]["auth"].is_object()
        })
        .unwrap();
    assert_eq!(granted["request"]["data"]["jwt"], h.hmac(&jwt));
    assert_eq!(granted["request"]["data"]["role"], h.hmac("grade-api"));
    assert_eq!(granted["request"]["operation"], "update");
    assert_eq!(
        granted["response"]["auth"]["client_token"],
        h.hmac(&client_token)
    );
    assert_eq!(granted["response"]["auth"]["accessor"], h.hmac(&accessor));
    assert_eq!(
        granted["response"]["auth"]["policies"],
        json!(["default", "grade-api"])
    );

    // The KV read: the caller's token and accessor hashed, its policies readable, the
    // response's request_id the audit id.
    let kv_read = lines
        .iter()
        .find(|l| {
            l["type"] == "response"
                && l["request"]["path"] == "secret/data/grade-api/db"
                && l["request"]["operation"] == "read"
                && l["error"].is_null()
        })
        .unwrap();
    assert_eq!(kv_read["auth"]["client_token"], h.hmac(&client_token));
    assert_eq!(kv_read["auth"]["accessor"], h.hmac(&accessor));
    assert_eq!(kv_read["auth"]["policies"], json!(["default", "grade-api"]));
    assert_eq!(
        kv_read["response"]["data"]["data"]["password"],
        h.hmac(password)
    );
    assert_eq!(kv_read["request"]["id"], read["request_id"]);

    // The refused request: an error, the unknown token hashed, no auth.
    let refused = lines
        .iter()
        .find(|l| l["type"] == "response" && l["request"]["client_token"] == h.hmac(bogus))
        .unwrap();
    assert_eq!(refused["error"], "permission denied");
    assert_eq!(refused["auth"], json!({}));
}

#[tokio::test]
async fn health_checks_are_not_audited_and_refusals_before_routing_are() {
    let h = Audited::start().await;
    let (status, _) = h.call("GET", "sys/health", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h.call("GET", "no/such/mount", Some(ROOT), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let lines = h.lines().await;
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["type"], "request");
    assert_eq!(lines[0]["request"]["path"], "no/such/mount");
    assert_eq!(lines[1]["type"], "response");
    assert!(
        lines[1]["error"]
            .as_str()
            .unwrap()
            .contains("no handler for route")
    );
}
