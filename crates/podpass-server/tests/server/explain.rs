//! Denials explained on the live server: the failed login check or the deciding ACL rule in the
//! log, the audit entry and `sys/podpass/explain`; in the response only where the server
//! explains denials; never a token, JWT or secret value.

use crate::support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use podpass_server::audit::{AuditLog, AuditTarget};
use serde_json::{Value, json};

use support::demo::{Harness, NOW, ROOT};

/// A policy with one rule of each kind a denial can come from.
const POLICY: &str = r#"path "secret/data/app/*" {
  capabilities = ["read"]
}
path "secret/data/app/admin" {
  capabilities = ["deny"]
}
path "secret/team/*" {
  capabilities = ["read"]
}
"#;

async fn with_policy(h: &Harness) -> String {
    h.put_policy("app", POLICY).await;
    let (status, body) = h
        .call(
            "POST",
            "auth/token/create",
            Some(ROOT),
            Some(json!({"policies": ["app"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["auth"]["client_token"].as_str().unwrap().to_string()
}

/// Collects what the log subscriber writes.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn each_acl_denial_names_its_rule_in_the_log_and_only_dev_servers_tell_the_client() {
    let h = Harness::demo().await;
    let token = with_policy(&h).await;
    let logs = Buffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = support::logs::capture(subscriber);

    let cases = [
        (
            "GET",
            "secret/data/app/admin",
            r#"read secret/data/app/admin: rule "secret/data/app/admin" from policy app (line 4) denies it"#,
        ),
        (
            "POST",
            "secret/data/app/db",
            r#"create secret/data/app/db: rule "secret/data/app/*" from policy app (line 1) grants [read], not create"#,
        ),
        (
            "GET",
            "secret/data/team/db",
            r#"rule "secret/team/*" from policy app (line 7) matches "secret/team/db", but a KV version 2 mount checks "secret/data/team/db""#,
        ),
        (
            "GET",
            "secret/data/other",
            r#"read secret/data/other: no rule matches "secret/data/other"; the nearest rules share 2 leading segments with "secret/data/other": "secret/data/app/*" from policy app (line 1)"#,
        ),
    ];
    for (method, path, expected) in cases {
        let body = (method == "POST").then(|| json!({"data": {"k": "v"}}));
        h.app.set_explain_denials(false);
        let (status, terse) = h.call(method, path, Some(&token), body.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(
            terse,
            json!({"errors": ["1 error occurred:\n\t* permission denied\n\n"]}),
            "production keeps Vault's answer"
        );
        h.app.set_explain_denials(true);
        let (status, explained) = h.call(method, path, Some(&token), body).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(
            explained["errors"],
            json!(["1 error occurred:\n\t* permission denied\n\n"])
        );
        let warning = explained["warnings"][0].as_str().unwrap_or_default();
        assert!(warning.contains(expected), "{warning}\n  !~ {expected}");
        assert!(logs.text().contains(expected), "{}", logs.text());
    }
    let (status, body) = h
        .call("GET", "secret/data/app/db", Some("hvs.not-a-token"), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["warnings"][0]
            .as_str()
            .is_some_and(|w| w.starts_with("the token is not valid")),
        "{body}"
    );
    assert!(!logs.text().contains(&token), "no token in the log");
    assert!(
        !logs.text().contains("hvs.not-a-token"),
        "no token in the log"
    );
}

#[tokio::test]
async fn a_denied_login_is_explained_by_its_failed_check_without_the_jwt() {
    let h = Harness::demo().await;
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("audit.log");
    let log = AuditLog::open(&AuditTarget::File(log_path.clone())).unwrap();
    assert!(h.app.telemetry.enable_audit(log).is_ok());
    let jwt = podpass_core::demo::token("payment", "payment-sa", NOW).unwrap();
    let (status, body) = h
        .call(
            "POST",
            "auth/kubernetes/login",
            None,
            Some(json!({"role": "grade-api", "jwt": jwt})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.get("warnings").is_none(), "{body}");
    h.app.telemetry.audit().unwrap().flush().await;
    let text = std::fs::read_to_string(&log_path).unwrap();
    assert!(!text.contains(&jwt), "no JWT in the audit log");
    let response: Value = text
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .find(|entry| entry["type"] == "response")
        .unwrap();
    let explanation = response["explanation"].as_str().unwrap_or_default();
    assert!(
        explanation.contains("payment") && explanation.contains("grade-api"),
        "{explanation}"
    );
}

#[tokio::test]
async fn every_kind_of_login_denial_is_explained_by_its_check() {
    let h = Harness::demo().await;
    h.app.set_explain_denials(true);
    let audience_role = json!({
        "bound_service_account_names": "grade-api-sa",
        "bound_service_account_namespaces": "grade-api",
        "audience": "vault",
        "token_policies": "grade-api",
    });
    let (status, _) = h
        .call(
            "POST",
            "auth/kubernetes/role/with-audience",
            Some(ROOT),
            Some(audience_role),
        )
        .await;
    assert!(status.is_success());
    let good = podpass_core::demo::token("grade-api", "grade-api-sa", NOW).unwrap();
    let mut forged = good.clone();
    forged.truncate(forged.len() - 4);
    forged.push_str("AAAA");
    let cases = [
        ("nope", good.clone(), "role: "),
        ("grade-api", forged, "signature: "),
        (
            "grade-api",
            podpass_core::demo::token("grade-api", "grade-api-sa", NOW - 7200).unwrap(),
            "expiry: ",
        ),
        (
            "grade-api",
            podpass_core::demo::token("grade-api", "other-sa", NOW).unwrap(),
            "service account name: ",
        ),
        (
            "grade-api",
            podpass_core::demo::token("payment", "grade-api-sa", NOW).unwrap(),
            "namespace: ",
        ),
        ("with-audience", good.clone(), "audience: "),
        ("grade-api", "not-a-jwt".to_string(), ""),
    ];
    for (role, jwt, label) in cases {
        let (status, body) = h
            .call(
                "POST",
                "auth/kubernetes/login",
                None,
                Some(json!({"role": role, "jwt": jwt})),
            )
            .await;
        assert!(status.is_client_error(), "{role}: {body}");
        let warning = body["warnings"][0].as_str().unwrap_or_default();
        assert!(
            !warning.is_empty() && warning.starts_with(label),
            "{role}/{label}: {body}"
        );
        assert!(!warning.contains(&jwt), "no JWT in the explanation");
    }
}

/// Root asks `sys/podpass/explain` about a `grade-api` login with `jwt` reading
/// `secret/data/grade-api/x`; the answer's body.
async fn explain_grade_api_login(h: &Harness, jwt: &str) -> Value {
    let (status, body) = h
        .call(
            "POST",
            "sys/podpass/explain",
            Some(ROOT),
            Some(json!({"role": "grade-api", "jwt": jwt, "path": "secret/data/grade-api/x"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn the_explain_endpoint_needs_sudo_and_explains_tokens_and_logins() {
    let h = Harness::demo().await;
    let token = with_policy(&h).await;
    let (status, body) = h
        .call("GET", "auth/token/lookup-self", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let accessor = body["data"]["accessor"].as_str().unwrap().to_string();

    let ask = json!({"accessor": accessor, "path": "secret/data/app/admin", "operation": "read"});
    let (status, _) = h
        .call(
            "POST",
            "sys/podpass/explain",
            Some(&token),
            Some(ask.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "sudo only");

    let (status, body) = h
        .call("POST", "sys/podpass/explain", Some(ROOT), Some(ask))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = &body["data"];
    assert_eq!(data["ok"], json!(false));
    assert_eq!(data["token"]["policies"], json!(["app", "default"]));
    assert_eq!(data["requests"][0]["allowed"], json!(false));
    assert_eq!(
        data["requests"][0]["explanation"]["rule"]["path"],
        json!("secret/data/app/admin")
    );
    assert!(
        data["explanation"]
            .as_str()
            .is_some_and(|e| e.contains("denies it"))
    );
    assert!(!body.to_string().contains(&token), "no token in the answer");

    let jwt = podpass_core::demo::token("payment", "payment-sa", NOW).unwrap();
    let body = explain_grade_api_login(&h, &jwt).await;
    assert_eq!(body["data"]["ok"], json!(false));
    assert_eq!(body["data"]["mount"], json!("kubernetes"));
    assert!(body["data"]["login"]["trace"].is_array(), "{body}");
    assert!(!body.to_string().contains(&jwt), "no JWT in the answer");
    // The playground link opens the same configuration, claims and path, with no token in it.
    let link = body["data"]["playground"].as_str().unwrap();
    let fragment = link.strip_prefix("/ui/#").unwrap();
    let state = podpass_core::playground_link::decode_fragment(fragment)
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            state.role.as_str(),
            state.mount.as_str(),
            state.path.as_str()
        ),
        ("grade-api", "kubernetes", "secret/data/grade-api/x")
    );
    assert_eq!(
        (
            state.mint.namespace.as_str(),
            state.mint.service_account.as_str()
        ),
        ("payment", "payment-sa")
    );
    assert!(state.token.is_empty());
    assert!(state.config.contains("grade-api"), "{}", state.config);

    let jwt = podpass_core::demo::token("grade-api", "grade-api-sa", NOW).unwrap();
    let body = explain_grade_api_login(&h, &jwt).await;
    assert_eq!(
        body["data"]["requests"][0]["allowed"],
        json!(true),
        "{body}"
    );
    assert_eq!(body["data"]["ok"], json!(true));
    assert_eq!(
        h.app.tokens.live_count(),
        2,
        "explaining a login issues no token"
    );
}
