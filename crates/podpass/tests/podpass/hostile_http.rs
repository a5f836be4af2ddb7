//! Hostile HTTP against a real `podpass serve` on loopback: oversized and malformed bodies,
//! deep and wide JSON, a 1 MB JWT, thousands of paths in one capabilities call, path tricks,
//! header floods, connections that never finish their headers or never speak, and a token
//! guessed many times. Each gets a clean 4xx (or, for a silent or slow client, a closed
//! connection), the server does not crash, its memory and file descriptors stay bounded, and a
//! legitimate client keeps being served throughout (its p99 is printed, not asserted: timing
//! belongs in docs/benchmarks.md).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The header timeout the servers here run with, so silent clients are dealt with quickly.
const READ_HEADER_TIMEOUT_SECS: u64 = 2;

/// How long any single exchange may take before the test calls the server stuck.
const EXCHANGE_DEADLINE: Duration = Duration::from_secs(30);

/// A running `podpass serve`, killed when dropped.
struct Served {
    child: Child,
    addr: SocketAddr,
    root: String,
}

impl Served {
    fn start(name: &str) -> Served {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("hostile-{name}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("demo.pub.pem"),
            podpass_core::demo::DEMO_PUBLIC_KEY_PEM,
        )
        .unwrap();
        let config = format!(
            r#"
server {{
  http_read_header_timeout = "{READ_HEADER_TIMEOUT_SECS}s"
}}

auth "kubernetes" {{
  config {{
    kubernetes_host      = "https://k8s:443"
    pem_keys             = [file("demo.pub.pem")]
    disable_token_review = true
  }}

  role "app" {{
    bound_service_account_names      = ["app"]
    bound_service_account_namespaces = ["default"]
    token_policies                   = ["app"]
  }}
}}

policy "app" {{
  path "secret/data/app/*" {{
    capabilities = ["read"]
  }}
}}
"#
        );
        std::fs::write(dir.join("podpass.hcl"), config).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_podpass"))
            .args(["serve", "--listen", "127.0.0.1:0", "--config"])
            .arg(dir.join("podpass.hcl"))
            .arg("--data-dir")
            .arg(dir.join("data"))
            .env_remove("PODPASS_SEAL_KEY")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let url = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| {
                line.strip_prefix("podpass listening on http://")
                    .map(str::to_string)
            })
            .expect("no listening line");
        // Keep draining stdout so the server never blocks on a full pipe.
        thread::spawn(move || lines.for_each(drop));
        let root = std::fs::read_to_string(dir.join("data/root-token"))
            .unwrap()
            .trim()
            .to_string();
        Served {
            child,
            addr: url.trim().parse().unwrap(),
            root,
        }
    }

    /// The server's resident memory in KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap()
    }

    /// The server's open file descriptors.
    fn fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id()))
            .unwrap()
            .count()
    }

    /// CPU time the server has used (user and system), from /proc.
    fn cpu(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // Fields after the command's closing parenthesis; utime and stime are 14th and 15th.
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<u64> = after
            .split_whitespace()
            .map(|f| f.parse().unwrap_or(0))
            .collect();
        // Clock ticks are 100 per second on Linux.
        Duration::from_millis((fields[11] + fields[12]) * 10)
    }

    fn assert_alive(&mut self) {
        assert!(
            self.child.try_wait().unwrap().is_none(),
            "the server exited"
        );
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}/v1/{path}", self.addr)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain client: statuses are answers, not errors.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(EXCHANGE_DEADLINE))
        .build()
        .into()
}

/// A status and the body as JSON (Null when it is not JSON).
fn answer(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
    let mut response = response.unwrap_or_else(|e| panic!("no answer: {e}"));
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// Sends raw bytes on a fresh connection and reads one answer: the status line's code and
/// the text. A server that closes without answering gives status 0.
fn raw(addr: SocketAddr, request: &[u8]) -> (u16, String) {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(EXCHANGE_DEADLINE)).unwrap();
    // Read while writing: a server may answer (413, 431) before taking the whole request and
    // then reset the connection, and a reset would swallow an answer not yet read.
    let mut reader = stream.try_clone().unwrap();
    let answer = thread::spawn(move || {
        let mut out = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        while !answer_complete(&out) {
            match reader.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&chunk[..n]),
            }
        }
        out
    });
    let _ = (&stream).write_all(request);
    let out = answer.join().unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// Whether `out` holds an answer's head and as much body as its `content-length` says.
fn answer_complete(out: &[u8]) -> bool {
    let text = String::from_utf8_lossy(out);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    body.len() >= length
}

/// A legitimate client reading a secret in a loop while an attack runs.
struct Bystander {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<(Vec<Duration>, Vec<String>)>,
}

impl Bystander {
    fn start(server: &Served) -> Bystander {
        let agent = agent();
        let url = server.url("secret/data/app/config");
        let root = server.root.clone();
        let (status, body) = answer(
            agent
                .post(&url)
                .header("X-Vault-Token", &root)
                .send_json(json!({"data": {"password": "fine"}})),
        );
        assert_eq!(status, 200, "{body}");
        let stop = Arc::new(AtomicBool::new(false));
        let handle = thread::spawn({
            let stop = Arc::clone(&stop);
            move || {
                let mut latencies = Vec::new();
                let mut failures = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let result = agent.get(&url).header("X-Vault-Token", &root).call();
                    match result {
                        Ok(mut response) if response.status() == 200 => {
                            let _ = response.body_mut().read_to_string();
                            latencies.push(started.elapsed());
                        }
                        Ok(response) => failures.push(format!("status {}", response.status())),
                        Err(error) => failures.push(error.to_string()),
                    }
                    thread::sleep(Duration::from_millis(20));
                }
                (latencies, failures)
            }
        });
        Bystander { stop, handle }
    }

    /// Stops the client; every one of its requests must have been answered.
    fn finish(self, attack: &str) {
        self.stop.store(true, Ordering::Relaxed);
        let (mut latencies, failures) = self.handle.join().unwrap();
        assert!(
            failures.is_empty(),
            "{attack}: the legitimate client failed: {failures:?}"
        );
        assert!(
            !latencies.is_empty(),
            "{attack}: the legitimate client got nothing done"
        );
        latencies.sort();
        let p99 = latencies[(latencies.len() * 99 / 100).min(latencies.len() - 1)];
        println!(
            "{attack}: legitimate client {} requests, p50 {:?}, p99 {:?}",
            latencies.len(),
            latencies[latencies.len() / 2],
            p99
        );
    }
}

fn errors(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn oversized_deep_wide_and_malformed_bodies_get_clean_400s() {
    let mut server = Served::start("bodies");
    let bystander = Bystander::start(&server);
    let rss_before = server.rss_kib();
    let agent = agent();
    let write = |body: Vec<u8>| {
        answer(
            agent
                .post(server.url("secret/data/app/hostile"))
                .header("X-Vault-Token", &server.root)
                .header("Content-Type", "application/json")
                .send(&body[..]),
        )
    };
    let refused =
        |what: &str| format!("refused JSON input due to high complexity: exceeded maximum {what}");
    let cases: Vec<(&str, Vec<u8>, u16, String)> = vec![
        (
            "nesting 100,000 deep",
            format!("{{\"data\":{}", "[".repeat(100_000)).into_bytes(),
            400,
            refused("nesting depth"),
        ),
        (
            "a 2 MiB string",
            format!("{{\"data\":{{\"a\":\"{}\"}}}}", "x".repeat(2 << 20)).into_bytes(),
            400,
            refused("string length"),
        ),
        (
            "an array of 1,000,000 numbers",
            format!("{{\"data\":{{\"a\":[{}1]}}}}", "1,".repeat(1_000_000)).into_bytes(),
            400,
            refused("number of array elements"),
        ),
        (
            "invalid UTF-8",
            b"{\"data\":{\"a\":\"\xff\xfe\"}}".to_vec(),
            400,
            String::new(),
        ),
        ("not JSON", b"{\"data\":".to_vec(), 400, String::new()),
    ];
    for (what, body, status, message) in cases {
        let started = Instant::now();
        let (got, answer) = write(body);
        assert_eq!(got, status, "{what}: {answer}");
        let errors = errors(&answer);
        assert_eq!(errors.len(), 1, "{what}: Vault's envelope: {answer}");
        if !message.is_empty() {
            assert_eq!(errors[0], message, "{what}");
        }
        println!("{what}: {got} in {:?}", started.elapsed());
    }

    // Above the 32 MiB body limit: refused when sent, and refused from the declared length
    // before a body that may never come.
    let chunked = format!(
        "POST /v1/secret/data/app/big HTTP/1.1\r\nHost: x\r\nX-Vault-Token: {}\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{}\r\n0\r\n\r\n",
        server.root,
        33 << 20,
        "x".repeat(33 << 20)
    );
    let (status, text) = raw(server.addr, chunked.as_bytes());
    assert_eq!(status, 413, "{text}");
    let (status, text) = raw(
        server.addr,
        format!(
            "POST /v1/secret/data/app/big HTTP/1.1\r\nHost: x\r\nX-Vault-Token: {}\r\nContent-Length: {}\r\n\r\n{{\"data\":",
            server.root,
            40 << 20
        )
        .as_bytes(),
    );
    assert_eq!(status, 413, "{text}");

    // Duplicate keys: the last one wins, as in Go's decoder.
    let (status, body) = write(br#"{"data":{"a":"first"},"data":{"a":"last"}}"#.to_vec());
    assert_eq!(status, 200, "{body}");
    let (_, read) = answer(
        agent
            .get(server.url("secret/data/app/hostile"))
            .header("X-Vault-Token", &server.root)
            .call(),
    );
    assert_eq!(read["data"]["data"], json!({"a": "last"}));

    // A JWT of 1 MB (under the string limit) at login: decoded and refused, not a 500.
    let (status, body) = answer(
        agent
            .post(server.url("auth/kubernetes/login"))
            .send_json(json!({"role": "app", "jwt": format!("e30.{}.x", "A".repeat(1_000_000))})),
    );
    assert!((400..500).contains(&status), "{status} {body}");
    assert_eq!(errors(&body).len(), 1, "{body}");

    // Thousands of paths in one capabilities call: up to 1,000 are answered, more are refused
    // with the count named.
    let capabilities = |count: usize| {
        let paths: Vec<String> = (0..count).map(|i| format!("secret/data/app/{i}")).collect();
        answer(
            agent
                .post(server.url("sys/capabilities-self"))
                .header("X-Vault-Token", &server.root)
                .send_json(json!({"paths": paths})),
        )
    };
    let (status, body) = capabilities(1_000);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["secret/data/app/999"], json!(["root"]));
    let (status, body) = capabilities(9_999);
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        errors(&body),
        ["too many paths: 9999 (podpass answers at most 1000 per request)"]
    );

    server.assert_alive();
    let rss_after = server.rss_kib();
    println!("RSS {rss_before} KiB before, {rss_after} KiB after");
    assert!(
        rss_after < rss_before + 256 * 1024,
        "memory grew from {rss_before} to {rss_after} KiB"
    );
    bystander.finish("hostile bodies");
}

#[test]
fn hostile_paths_and_header_floods_are_refused_or_redirected() {
    let mut server = Served::start("paths");
    let bystander = Bystander::start(&server);
    let get = |path: &str| {
        raw(
            server.addr,
            format!(
                "GET {path} HTTP/1.1\r\nHost: x\r\nX-Vault-Token: {}\r\nConnection: close\r\n\r\n",
                server.root
            )
            .as_bytes(),
        )
    };
    // Unclean paths are redirected to their clean form, as Go's ServeMux does for Vault.
    for (path, location) in [
        ("/v1/secret/data/app/../../../sys/seal", "/v1/sys/seal"),
        ("/v1/secret//data/app/x", "/v1/secret/data/app/x"),
        ("/v1/secret/data/./app/x", "/v1/secret/data/app/x"),
    ] {
        let (status, text) = get(path);
        assert_eq!(status, 307, "{path}: {text}");
        assert!(
            text.to_ascii_lowercase()
                .contains(&format!("location: {location}\r\n").to_ascii_lowercase()),
            "{path}: {text}"
        );
    }
    // Encoded dots, NUL and bytes that are not UTF-8 once decoded are refused.
    for path in [
        "/v1/secret/data/app/%2e%2e/%2e%2e/sys/seal",
        "/v1/secret/data/app/a%00b",
        "/v1/secret/data/app/%ff",
    ] {
        let (status, text) = get(path);
        assert_eq!(status, 400, "{path}: {text}");
    }
    // A raw NUL or space in the request line is not HTTP.
    let (status, text) = raw(
        server.addr,
        b"GET /v1/secret/a\0b HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    assert!(status == 400 || status == 0, "raw NUL: {text}");
    // An 8 KiB path is an ordinary miss; 64 KiB and 1 MiB are refused before routing (hyper's
    // limits: 414 for the URI, 431 once the whole head is too large).
    let long = format!("/v1/secret/data/app/{}", "a".repeat(8 << 10));
    let (status, text) = get(&long);
    assert_eq!(status, 404, "8 KiB path: {}", &text[..text.len().min(300)]);
    for size in [64 << 10, 1 << 20] {
        let longer = format!("/v1/secret/data/app/{}", "a".repeat(size));
        let (status, text) = get(&longer);
        assert!(
            status == 414 || status == 431,
            "{size}-byte path: {}",
            &text[..text.len().min(300)]
        );
    }
    // Header floods: more headers than hyper takes, and one enormous header.
    for (what, headers) in [
        (
            "10,000 headers",
            (0..10_000)
                .map(|i| format!("X-Flood-{i}: {i}\r\n"))
                .collect::<String>(),
        ),
        (
            "a 1 MiB header",
            format!("X-Big: {}\r\n", "b".repeat(1 << 20)),
        ),
    ] {
        let (status, text) = raw(
            server.addr,
            format!("GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n{headers}\r\n").as_bytes(),
        );
        assert!(
            status == 431 || status == 400 || status == 0,
            "{what}: {}",
            &text[..text.len().min(300)]
        );
    }
    server.assert_alive();
    bystander.finish("hostile paths and headers");
}

#[test]
fn silent_and_slow_clients_are_disconnected_while_others_are_served() {
    let mut server = Served::start("slow");
    let fds_before = server.fds();
    let bystander = Bystander::start(&server);
    // Clients that connect and never speak.
    let silent: Vec<TcpStream> = (0..2_000)
        .map(|_| TcpStream::connect(server.addr).unwrap())
        .collect();
    // Slowloris: a request line, then a header every half second, never the blank line.
    let mut slow: Vec<TcpStream> = (0..100)
        .map(|_| {
            let mut stream = TcpStream::connect(server.addr).unwrap();
            stream
                .write_all(b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n")
                .unwrap();
            stream
        })
        .collect();
    let started = Instant::now();
    let mut peak_fds = 0;
    while started.elapsed() < Duration::from_secs(READ_HEADER_TIMEOUT_SECS * 3) {
        for stream in &mut slow {
            let _ = stream.write_all(b"X-Slow: 1\r\n");
        }
        peak_fds = peak_fds.max(server.fds());
        thread::sleep(Duration::from_millis(500));
    }
    // Every attacking connection has been closed by the server: a read sees the end.
    for stream in silent.iter().chain(&slow) {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut reader = stream;
        let read = reader.read_to_end(&mut Vec::new());
        let closed = match &read {
            Ok(_) => true,
            Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
        };
        assert!(closed, "an attacking connection is still open: {read:?}");
    }
    let fds_after = server.fds();
    println!("file descriptors: {fds_before} before, peak {peak_fds}, {fds_after} after");
    assert!(
        fds_after <= fds_before + 16,
        "descriptors not released: {fds_before} before, {fds_after} after"
    );
    server.assert_alive();
    bystander.finish("silent and slow clients");
}

#[test]
fn a_token_guessed_many_times_is_refused_every_time() {
    let guesses: usize = std::env::var("PODPASS_HOSTILE_GUESSES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let mut server = Served::start("guess");
    let bystander = Bystander::start(&server);
    let rss_before = server.rss_kib();
    let cpu_before = server.cpu();
    let started = Instant::now();
    let threads = 4;
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let url = server.url("secret/data/app/config");
            thread::spawn(move || {
                let agent = agent();
                let mut other = Vec::new();
                for i in (t..guesses).step_by(threads) {
                    let guess = format!("hvs.{:024x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
                    let (status, body) =
                        answer(agent.get(&url).header("X-Vault-Token", &guess).call());
                    if status != 403 || errors(&body) != ["permission denied"] {
                        other.push(format!("{guess}: {status} {body}"));
                    }
                }
                other
            })
        })
        .collect();
    let other: Vec<String> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    assert!(
        other.is_empty(),
        "guesses not refused: {:?}",
        &other[..other.len().min(5)]
    );
    let elapsed = started.elapsed();
    let rss_after = server.rss_kib();
    let cpu = server.cpu() - cpu_before;
    println!(
        "{guesses} guesses in {elapsed:?} ({:.0}/s, server CPU {:.1} µs each); RSS {rss_before} KiB before, {rss_after} KiB after",
        guesses as f64 / elapsed.as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / guesses as f64
    );
    assert!(
        rss_after < rss_before + 64 * 1024,
        "memory grew from {rss_before} to {rss_after} KiB over {guesses} guesses"
    );
    server.assert_alive();
    bystander.finish("token guessing");
}
