//! Crash durability of `podpass serve`: writers hammer a real server process over HTTP,
//! the process is killed with SIGKILL mid-loop, and after a restart on the same data directory
//! every write the server acknowledged (a 2xx answer) must still be there.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::process::{ServerProcess, call, client, unix_now};

/// Acknowledged writes (over all kinds) to wait for before pulling the plug.
const WRITES_BEFORE_KILL: usize = 200;

/// How long the writers get to reach [`WRITES_BEFORE_KILL`] before the test gives up.
const WRITE_DEADLINE: Duration = Duration::from_secs(60);

/// The role the login writer logs in with, and the policy it grants (both from the config file).
const LOGIN_ROLE: &str = "app";
const LOGIN_POLICY: &str = "durable-reader";

/// A fresh, empty directory for one test, under cargo's target/tmp (not the system /tmp).
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("durability-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes podpass.hcl (one Kubernetes mount trusting the demo key, one role, one policy) into
/// `dir` and returns its path.
fn write_config(dir: &Path) -> PathBuf {
    write_config_with(dir, "")
}

/// [`write_config`] with `extra` (a storage block, say) appended.
pub fn write_config_with(dir: &Path, extra: &str) -> PathBuf {
    std::fs::write(
        dir.join("demo.pub.pem"),
        podpass_core::demo::DEMO_PUBLIC_KEY_PEM,
    )
    .unwrap();
    let config = format!(
        r#"
auth "kubernetes" {{
  config {{
    kubernetes_host      = "https://k8s:443"
    pem_keys             = [file("demo.pub.pem")]
    disable_token_review = true
  }}

  role "{LOGIN_ROLE}" {{
    bound_service_account_names      = ["app"]
    bound_service_account_namespaces = ["default"]
    token_policies                   = ["{LOGIN_POLICY}"]
    token_ttl                        = "1h"
  }}
}}

policy "{LOGIN_POLICY}" {{
  path "secret/data/durable/*" {{
    capabilities = ["read"]
  }}
}}
{extra}
"#
    );
    let path = dir.join("podpass.hcl");
    std::fs::write(&path, config).unwrap();
    path
}

/// The four kinds of state the server persists, one writer thread each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Secret,
    Policy,
    Role,
    Login,
}

const KINDS: [Kind; 4] = [Kind::Secret, Kind::Policy, Kind::Role, Kind::Login];

/// A write the server acknowledged, with what a later read must return.
#[derive(Debug)]
enum Acknowledged {
    /// `secret/data/<path>` holds `data`.
    Secret { path: String, data: Value },
    /// The ACL policy `name` has exactly `text`.
    Policy { name: String, text: String },
    /// The Kubernetes role `name` is bound to service account `service_account`.
    Role {
        name: String,
        service_account: String,
    },
    /// A login issued `token`.
    Token { token: String },
}

/// What a writer thread came back with.
struct WriterReport {
    kind: Kind,
    acknowledged: Vec<Acknowledged>,
    /// Non-2xx answers: the server refused a valid write, which is a bug whatever the crash.
    refused: Vec<String>,
}

/// Writes items of one kind, one after another, until stopped or the server goes away;
/// every 2xx answer is recorded (and counted in `counter`) as an acknowledged write.
fn writer(
    kind: Kind,
    base_url: String,
    root: String,
    counter: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
) -> WriterReport {
    let agent = client();
    let jwt = podpass_core::demo::token("default", "app", unix_now()).unwrap();
    let mut report = WriterReport {
        kind,
        acknowledged: Vec::new(),
        refused: Vec::new(),
    };
    let mut index = 0_usize;
    while !stop.load(Ordering::SeqCst) {
        index += 1;
        let (url, token, body, item) = match kind {
            Kind::Secret => {
                let path = format!("durable/secret-{index}");
                let data = json!({
                    "index": index,
                    "value": format!("value-{index}-{}", "x".repeat(index % 97)),
                });
                (
                    format!("{base_url}/v1/secret/data/{path}"),
                    Some(root.as_str()),
                    json!({ "data": data }),
                    Some(Acknowledged::Secret { path, data }),
                )
            }
            Kind::Policy => {
                let name = format!("durable-policy-{index}");
                let text = format!(
                    "# policy {index}\npath \"secret/data/durable/p{index}/*\" {{\n  capabilities = [\"read\", \"list\"]\n}}\n"
                );
                (
                    format!("{base_url}/v1/sys/policies/acl/{name}"),
                    Some(root.as_str()),
                    json!({ "policy": text }),
                    Some(Acknowledged::Policy { name, text }),
                )
            }
            Kind::Role => {
                let name = format!("durable-role-{index}");
                let service_account = format!("sa-{index}");
                (
                    format!("{base_url}/v1/auth/kubernetes/role/{name}"),
                    Some(root.as_str()),
                    json!({
                        "bound_service_account_names": [service_account],
                        "bound_service_account_namespaces": ["durable"],
                        "token_policies": [LOGIN_POLICY],
                        "token_ttl": "1h",
                    }),
                    Some(Acknowledged::Role {
                        name,
                        service_account,
                    }),
                )
            }
            // The token is only known from the answer.
            Kind::Login => (
                format!("{base_url}/v1/auth/kubernetes/login"),
                None,
                json!({ "role": LOGIN_ROLE, "jwt": jwt }),
                None,
            ),
        };
        let method = if kind == Kind::Policy { "PUT" } else { "POST" };
        let Ok((status, answer)) = call(&agent, method, &url, token, Some(&body)) else {
            // The server is gone: this write was never acknowledged, and neither will any other be.
            break;
        };
        if !(200..300).contains(&status) {
            report
                .refused
                .push(format!("{method} {url} -> {status}: {answer}"));
            break;
        }
        let item = item.unwrap_or_else(|| Acknowledged::Token {
            token: answer["auth"]["client_token"]
                .as_str()
                .unwrap_or_else(|| panic!("login answer has no auth.client_token: {answer}"))
                .to_string(),
        });
        report.acknowledged.push(item);
        counter.fetch_add(1, Ordering::SeqCst);
    }
    report
}

/// Checks one acknowledged write against the restarted server; `Err` says what is missing.
fn verify(
    agent: &ureq::Agent,
    base_url: &str,
    root: &str,
    item: &Acknowledged,
) -> Result<(), String> {
    let get = |path: &str, token: &str| {
        call(
            agent,
            "GET",
            &format!("{base_url}/v1/{path}"),
            Some(token),
            None,
        )
        .unwrap_or_else(|e| panic!("GET {path}: the restarted server did not answer: {e}"))
    };
    match item {
        Acknowledged::Secret { path, data } => {
            let (status, answer) = get(&format!("secret/data/{path}"), root);
            if status != 200 || answer["data"]["data"] != *data {
                return Err(format!("secret {path}: {status} {answer}, wanted {data}"));
            }
        }
        Acknowledged::Policy { name, text } => {
            let (status, answer) = get(&format!("sys/policies/acl/{name}"), root);
            if status != 200 || answer["data"]["policy"].as_str() != Some(text.as_str()) {
                return Err(format!("policy {name}: {status} {answer}"));
            }
        }
        Acknowledged::Role {
            name,
            service_account,
        } => {
            let (status, answer) = get(&format!("auth/kubernetes/role/{name}"), root);
            if status != 200
                || answer["data"]["bound_service_account_names"] != json!([service_account])
                || answer["data"]["token_policies"] != json!([LOGIN_POLICY])
            {
                return Err(format!("role {name}: {status} {answer}"));
            }
        }
        Acknowledged::Token { token } => {
            let (status, answer) = get("auth/token/lookup-self", token);
            let has_policy = answer["data"]["policies"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p == LOGIN_POLICY));
            if status != 200 || !has_policy {
                return Err(format!("login token {token}: {status} {answer}"));
            }
        }
    }
    Ok(())
}

#[test]
fn every_acknowledged_write_survives_sigkill() {
    let dir = scratch("sigkill");
    let config = write_config(&dir);
    let data_dir = dir.join("data");

    let mut server = ServerProcess::start(&config, &data_dir);
    let root = server
        .root_token
        .clone()
        .expect("the first start prints the root token");

    let counter = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = KINDS
        .iter()
        .map(|&kind| {
            let (base_url, root) = (server.base_url.clone(), root.clone());
            let (counter, stop) = (Arc::clone(&counter), Arc::clone(&stop));
            thread::spawn(move || writer(kind, base_url, root, counter, stop))
        })
        .collect();

    // Pull the plug while every writer is still looping (none stops on its own before that).
    let started = Instant::now();
    while counter.load(Ordering::SeqCst) < WRITES_BEFORE_KILL
        && !writers.iter().any(|w| w.is_finished())
        && started.elapsed() < WRITE_DEADLINE
    {
        thread::sleep(Duration::from_millis(5));
    }
    let writers_running = writers.iter().all(|w| !w.is_finished());
    server.kill();
    let acknowledged_at_kill = counter.load(Ordering::SeqCst);
    stop.store(true, Ordering::SeqCst);
    let reports: Vec<WriterReport> = writers.into_iter().map(|w| w.join().unwrap()).collect();

    for report in &reports {
        assert!(
            report.refused.is_empty(),
            "the server refused valid writes: {:?}",
            report.refused
        );
    }
    assert!(
        writers_running,
        "a writer stopped before the kill, so the crash did not land mid-loop"
    );
    assert!(
        acknowledged_at_kill >= WRITES_BEFORE_KILL,
        "only {acknowledged_at_kill} writes acknowledged within {WRITE_DEADLINE:?}"
    );
    for report in &reports {
        assert!(
            !report.acknowledged.is_empty(),
            "no {:?} write was acknowledged before the kill: the check would prove nothing",
            report.kind
        );
        eprintln!(
            "{:?}: {} acknowledged before SIGKILL",
            report.kind,
            report.acknowledged.len()
        );
    }

    let restarted = ServerProcess::start(&config, &data_dir);
    assert_eq!(
        restarted.root_token, None,
        "the restart treated the data directory as new"
    );
    let agent = client();
    let lost: Vec<String> = reports
        .iter()
        .flat_map(|r| &r.acknowledged)
        .filter_map(|item| verify(&agent, &restarted.base_url, &root, item).err())
        .collect();
    let total: usize = reports.iter().map(|r| r.acknowledged.len()).sum();
    assert!(
        lost.is_empty(),
        "{} of {total} acknowledged writes are missing after the restart:\n{}",
        lost.len(),
        lost.join("\n")
    );
}
