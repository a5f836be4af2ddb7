//! `podpass serve`'s operating flags, through the real binary: `--log-format json`
//! writes JSON log lines, `--audit-log` records requests, SIGTERM shuts down cleanly (exit 0,
//! audit lines flushed), and a server block with only one of the TLS files is refused.

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
    // A directory that does not exist yet: the server creates it (0700).
    let audit = dir.join("logs/audit/audit.log");
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
    let mut printed = String::new();
    // Kept open until the end: the server's stdout must not hit a closed pipe.
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in stdout.by_ref() {
        let line = line.unwrap();
        printed.push_str(&line);
        if let Some(url) = line.strip_prefix("podpass listening on ") {
            base_url = url.trim().to_string();
            break;
        }
    }
    assert!(base_url.starts_with("http://"), "no listening line");
    // The root token is in a 0600 file in the data directory, never on stdout.
    let token_file = dir.join("data/root-token");
    let root_token = std::fs::read_to_string(&token_file)
        .unwrap()
        .trim()
        .to_string();
    assert!(root_token.starts_with("hvs."), "{root_token}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&token_file), 0o600);
        assert_eq!(mode(&dir.join("logs/audit")), 0o700);
    }
    assert!(
        !printed.contains(&root_token),
        "the root token is on stdout"
    );

    // A denied login: its log line carries the reason under its own key.
    let denied = ureq::post(format!("{base_url}/v1/auth/kubernetes/login"))
        .config()
        .http_status_as_error(false)
        .build()
        .send_json(serde_json::json!({"role": "nope", "jwt": "x"}))
        .unwrap();
    assert_eq!(denied.status(), 400);

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
    // One `message` key per object: a second one would be silently dropped by JSON readers.
    assert!(
        stderr
            .lines()
            .all(|l| l.matches("\"message\":").count() == 1),
        "{stderr}"
    );
    let denial = logs
        .iter()
        .find(|l| l["message"] == "request denied")
        .unwrap_or_else(|| panic!("no request denied line: {stderr}"));
    assert_eq!(denial["route"], "auth/:mount/login");
    assert!(
        denial["explanation"]
            .as_str()
            .is_some_and(|e| e.contains("no role `nope`")),
        "{denial}"
    );
    assert!(
        logs.iter()
            .any(|l| l["file"] == token_file.display().to_string()),
        "the log says where the root token is: {stderr}"
    );
    assert!(
        !stderr.contains(&root_token),
        "the root token is in the log"
    );
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
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["type"], "request");
    assert_eq!(lines[1]["type"], "response");
    assert_eq!(lines[1]["request"]["path"], "auth/kubernetes/login");
    assert_eq!(lines[3]["request"]["path"], "auth/token/lookup-self");
    let text = std::fs::read_to_string(&audit).unwrap();
    assert!(
        !text.contains(&root_token),
        "the root token is in the audit log"
    );
    assert!(
        lines[3]["auth"]["client_token"]
            .as_str()
            .unwrap()
            .starts_with("hmac-sha256:")
    );
}

#[test]
fn the_default_data_directory_is_beside_the_config_file() {
    let dir = scratch("default-data-dir");
    let elsewhere = scratch("default-data-dir-cwd");
    let config = dir.join("podpass.hcl");
    std::fs::write(&config, "server {\n  listen = \"127.0.0.1:0\"\n}\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_podpass"))
        .args(["serve", "--config"])
        .arg(&config)
        .current_dir(&elsewhere)
        .env("RUST_LOG", "warn")
        .env_remove("PODPASS_SEAL_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let listening = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .any(|line| line.starts_with("podpass listening on "));
    let _ = child.kill();
    let _ = child.wait();
    assert!(listening, "the server did not start");
    assert!(dir.join("podpass-data/root-token").is_file());
    assert!(!elsewhere.join("podpass-data").exists());
}
