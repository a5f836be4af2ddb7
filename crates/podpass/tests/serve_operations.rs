//! `podpass serve`'s operating flags (issue 8), through the real binary: `--log-format json`
//! writes JSON log lines, `--audit-log` records requests, SIGTERM shuts down cleanly (exit 0,
//! audit lines flushed), and a server block with only one of the TLS files is refused.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: a failure should stop loudly

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

/// A fresh, empty directory for one test, under cargo's target/tmp.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("serve-ops-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn one_tls_file_without_the_other_is_refused() {
    let dir = scratch("half-tls");
    let config = dir.join("podpass.hcl");
    std::fs::write(&config, "server {\n  tls_key_file = \"tls.key\"\n}\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_podpass"))
        .args(["serve", "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("sets tls_key_file but not tls_cert_file: TLS needs both"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn json_logs_and_the_audit_log_survive_a_sigterm() {
    let dir = scratch("json-audit");
    let config = dir.join("podpass.hcl");
    std::fs::write(&config, "auth \"kubernetes\" {}\n").unwrap();
    let audit = dir.join("audit.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_podpass"))
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--audit-log")
        .arg(&audit)
        .env("RUST_LOG", "info")
        .env_remove("PODPASS_SEAL_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut base_url = String::new();
    let mut root_token = String::new();
    // Kept open until the end: the server's stdout must not hit a closed pipe.
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in stdout.by_ref() {
        let line = line.unwrap();
        if let Some((_, token)) = line.split_once("Root Token (shown once, keep it safe): ") {
            root_token = token.trim().to_string();
        } else if let Some(url) = line.strip_prefix("podpass listening on ") {
            base_url = url.trim().to_string();
            break;
        }
    }
    assert!(base_url.starts_with("http://"), "no listening line");

    let response = ureq::get(format!("{base_url}/v1/auth/token/lookup-self"))
        .header("X-Vault-Token", &root_token)
        .call()
        .unwrap();
    assert_eq!(response.status(), 200);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    drop(stdout);
    assert!(status.success(), "exit after SIGTERM: {status}");

    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let logs: Vec<Value> = stderr
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    assert!(logs.iter().all(|l| l["level"].is_string()), "{stderr}");
    assert!(
        logs.iter()
            .any(|l| l["message"] == "shutting down: finishing requests in flight"),
        "{stderr}"
    );

    let lines: Vec<Value> = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["type"], "request");
    assert_eq!(lines[1]["type"], "response");
    assert_eq!(lines[1]["request"]["path"], "auth/token/lookup-self");
    let text = std::fs::read_to_string(&audit).unwrap();
    assert!(
        !text.contains(&root_token),
        "the root token is in the audit log"
    );
    assert!(
        lines[1]["auth"]["client_token"]
            .as_str()
            .unwrap()
            .starts_with("hmac-sha256:")
    );
}
