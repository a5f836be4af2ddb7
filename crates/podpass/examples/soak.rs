//! The load generator behind `scripts/soak.sh`: a paced, mixed load against a running
//! `podpass serve` that records every write the server acknowledged, and a `verify` mode that
//! checks, after the server was killed with SIGKILL and restarted, that none of them was lost.
//!
//! ```text
//! soak run --addr URL --out DIR [--seconds N] [--rate R] [--threads T] [--phase NAME]
//! soak verify --addr URL --out DIR
//! ```
//!
//! The root token comes from `VAULT_TOKEN` and the login JWT from `SOAK_JWT`, not from the
//! command line, where `ps` would show them. `--rate` is in HTTP requests per second across all
//! threads (open loop: request slots are handed out on a fixed schedule, so a slow answer does
//! not slow the offered load down); `--rate 0` sends as fast as the threads go, which is how the
//! maximum is measured. Acknowledged writes are appended to `DIR/acks.txt`, one per line:
//!
//! ```text
//! kv soak/<n> <version> <value>        a KV v2 write answered 200 with that version
//! policy soak-<n> <text as JSON>       an ACL policy write answered 204
//! token <token> <expiry, Unix s>       a service token issued, or renewed to that expiry
//! revoked <token>                      a revoke-self answered 204
//! ```
//!
//! The mix (weights per operation, see [`MIX`]) leans on what a Kubernetes workload does most:
//! read its secrets, and log in at start-up. Service logins and revocations have the same weight,
//! and each thread keeps a bounded pool of live service tokens, so the number of live tokens stays
//! flat: a soak that grew the token table without bound would measure that growth, not a leak.
//! KV paths and policy names are likewise a fixed set per thread (KV v2 keeps ten versions a
//! secret), and each belongs to one thread, so every read can be checked against the last value
//! that thread wrote, and the last acknowledged policy text is the one that must survive.
#![allow(clippy::disallowed_methods, reason = "size rules are for wasm faces")]
#![allow(clippy::expect_used, clippy::panic)] // a load generator: a broken setup (bad arguments, unwritable output, a garbled ack file) should stop it at once

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// The roles and the Kubernetes mount that `scripts/soak.sh` writes into podpass.hcl.
const SERVICE_ROLE: &str = "soak-service";
const BATCH_ROLE: &str = "soak-batch";
const LOGIN_PATH: &str = "auth/kubernetes/login";

/// Live service tokens a thread keeps at most; with 16 threads, a few hundred live tokens.
const POOL_SIZE: usize = 16;
/// KV paths and policy names each thread owns.
const KV_KEYS_PER_THREAD: u64 = 64;
const POLICIES_PER_THREAD: u64 = 8;
/// Unexpected answers printed as they happen; the rest are only counted.
const ERRORS_SHOWN: usize = 20;
/// A token whose recorded expiry is this close at verification time may have expired in between.
const EXPIRY_GRACE_SECONDS: i64 = 60;

/// One kind of request, for the statistics; an operation of the mix is one request, except a
/// revocation, which is followed by a lookup with the revoked token that must be refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    KvRead,
    KvWrite,
    BatchLogin,
    ServiceLogin,
    Renew,
    Revoke,
    RevokedLookup,
    PolicyWrite,
}

const KINDS: [Kind; 8] = [
    Kind::KvRead,
    Kind::KvWrite,
    Kind::BatchLogin,
    Kind::ServiceLogin,
    Kind::Renew,
    Kind::Revoke,
    Kind::RevokedLookup,
    Kind::PolicyWrite,
];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::KvRead => "kv-read",
            Kind::KvWrite => "kv-write",
            Kind::BatchLogin => "login-batch",
            Kind::ServiceLogin => "login-service",
            Kind::Renew => "renew-self",
            Kind::Revoke => "revoke-self",
            Kind::RevokedLookup => "revoked-lookup (403)",
            Kind::PolicyWrite => "policy-write",
        }
    }

    fn index(self) -> usize {
        KINDS.iter().position(|&k| k == self).unwrap_or(0)
    }
}

/// Weights per operation (out of 100). Reads dominate, as for applications reading their
/// secrets; logins come next (batch tokens for short jobs, service tokens for long-running pods);
/// writes, renewals and revocations are the durable operations (one commit each); policy writes
/// are an operator's, rare, and each empties the server's cache of compiled ACLs.
const MIX: [(Kind, u32); 7] = [
    (Kind::KvRead, 40),
    (Kind::KvWrite, 15),
    (Kind::BatchLogin, 15),
    (Kind::ServiceLogin, 10),
    (Kind::Revoke, 10),
    (Kind::Renew, 8),
    (Kind::PolicyWrite, 2),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, flags) = match args.split_first() {
        Some((mode, rest)) => (mode.as_str(), parse_flags(rest)),
        None => usage(),
    };
    let flag = |name: &str| flags.get(name).map(String::as_str);
    let addr = flag("addr")
        .unwrap_or_else(|| usage())
        .trim_end_matches('/');
    let out = PathBuf::from(flag("out").unwrap_or_else(|| usage()));
    let root = std::env::var("VAULT_TOKEN").expect("VAULT_TOKEN: the root token");
    let number = |name: &str, default: f64| -> f64 {
        flag(name).map_or(default, |v| v.parse().expect("a number"))
    };
    match mode {
        "run" => {
            let config = RunConfig {
                addr: addr.to_string(),
                root,
                jwt: std::env::var("SOAK_JWT").expect("SOAK_JWT: a JWT both soak roles accept"),
                seconds: number("seconds", 10.0),
                rate: number("rate", 0.0),
                threads: (number("threads", 16.0) as u64).max(1),
                phase: flag("phase").unwrap_or("run").to_string(),
                acks: out.join("acks.txt"),
            };
            std::fs::create_dir_all(&out).expect("creating the output directory");
            run(config)
        }
        "verify" => verify(addr, &root, &out.join("acks.txt")),
        _ => usage(),
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: soak run --addr URL --out DIR [--seconds N] [--rate REQ/S] [--threads T] [--phase NAME]\n       soak verify --addr URL --out DIR\n(VAULT_TOKEN: the root token; SOAK_JWT: the login JWT, for run)"
    );
    std::process::exit(2)
}

/// `--name value` pairs.
fn parse_flags(args: &[String]) -> HashMap<String, String> {
    let mut flags = HashMap::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let Some(name) = arg.strip_prefix("--") else {
            usage()
        };
        let Some(value) = args.next() else { usage() };
        flags.insert(name.to_string(), value.clone());
    }
    flags
}

struct RunConfig {
    addr: String,
    root: String,
    jwt: String,
    seconds: f64,
    rate: f64,
    threads: u64,
    phase: String,
    acks: PathBuf,
}

/// Hands out request slots on a fixed schedule shared by all threads (a token bucket without
/// burst): slot `n` is due at `start + n / rate`, whoever takes it.
struct Pacer {
    start: Instant,
    end: Instant,
    /// Time between slots; `None` for no pacing.
    interval_ns: Option<f64>,
    next: AtomicU64,
}

impl Pacer {
    /// Takes `n` consecutive slots and sleeps until the first is due; `None` once the run is over.
    /// Returns how late the slot was taken (the load generator falling behind its schedule).
    fn acquire(&self, n: u64) -> Option<Duration> {
        let now = Instant::now();
        let Some(interval_ns) = self.interval_ns else {
            return (now < self.end).then_some(Duration::ZERO);
        };
        let slot = self.next.fetch_add(n, Ordering::Relaxed);
        let due = self.start + Duration::from_nanos((slot as f64 * interval_ns) as u64);
        if due >= self.end {
            return None;
        }
        if due > now {
            thread::sleep(due - now);
            Some(Duration::ZERO)
        } else {
            Some(now - due)
        }
    }
}

/// What all threads share: the schedule, the ack file and the count of unexpected answers.
struct Shared {
    config: RunConfig,
    pacer: Pacer,
    acks: Mutex<BufWriter<File>>,
    unexpected: AtomicUsize,
}

impl Shared {
    fn ack(&self, line: String) {
        let mut acks = self.acks.lock().expect("ack file lock");
        writeln!(acks, "{line}").expect("writing the ack file");
    }

    /// Counts an answer that is not the expected one and prints the first few.
    fn unexpected(&self, what: String) {
        if self.unexpected.fetch_add(1, Ordering::Relaxed) < ERRORS_SHOWN {
            eprintln!("UNEXPECTED {what}");
        }
    }
}

/// A live service token and when it expires (Unix seconds).
struct Live {
    token: String,
    expires: i64,
}

/// One thread of load: its own connection, its tokens, its KV paths and policies.
struct Worker {
    shared: Arc<Shared>,
    agent: ureq::Agent,
    index: u64,
    rng: u64,
    pool: VecDeque<Live>,
    batch_token: Option<String>,
    /// KV path number → (version, value) of this thread's last acknowledged write to it.
    written: BTreeMap<u64, (u64, String)>,
    sequence: u64,
    /// Latencies in microseconds, per [`Kind`].
    latencies: Vec<Vec<u32>>,
    lags: Vec<u32>,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// One HTTP exchange: the status and the JSON body (`Null` when empty).
fn call(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Result<(u16, Value), String> {
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    if let Some(token) = token {
        request = request.header("X-Vault-Token", token);
    }
    let response = match body {
        Some(body) => agent.run(
            request
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .map_err(|e| e.to_string())?,
        ),
        None => agent.run(request.body(()).map_err(|e| e.to_string())?),
    }
    .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let text = response
        .into_body()
        .read_to_string()
        .map_err(|e| e.to_string())?;
    if text.is_empty() {
        return Ok((status, Value::Null));
    }
    serde_json::from_str(&text)
        .map(|value| (status, value))
        .map_err(|e| format!("{status}, body is not JSON ({e}): {text}"))
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl Worker {
    fn new(shared: Arc<Shared>, index: u64) -> Worker {
        Worker {
            shared,
            agent: agent(),
            index,
            // xorshift must not start at zero.
            rng: 0x9E37_79B9_7F4A_7C15 ^ (index + 1).wrapping_mul(0xD1B5_4A32_D192_ED03),
            pool: VecDeque::new(),
            batch_token: None,
            written: BTreeMap::new(),
            sequence: 0,
            latencies: vec![Vec::new(); KINDS.len()],
            lags: Vec::new(),
        }
    }

    fn random(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    fn below(&mut self, n: u64) -> u64 {
        self.random() % n.max(1)
    }

    /// Picks the next operation from [`MIX`], then bends it to this thread's state: nothing to
    /// renew, revoke or read yet means a login or a write first, and a full pool means a
    /// revocation instead of another service login.
    fn next_operation(&mut self) -> Kind {
        let total: u32 = MIX.iter().map(|(_, w)| w).sum();
        let mut pick = (self.random() % u64::from(total)) as u32;
        let mut kind = Kind::KvRead;
        for (k, weight) in MIX {
            if pick < weight {
                kind = k;
                break;
            }
            pick -= weight;
        }
        match kind {
            Kind::ServiceLogin if self.pool.len() >= POOL_SIZE => Kind::Revoke,
            Kind::Renew | Kind::Revoke if self.pool.is_empty() => Kind::ServiceLogin,
            Kind::KvRead | Kind::KvWrite if self.pool.is_empty() && self.batch_token.is_none() => {
                Kind::BatchLogin
            }
            Kind::KvRead if self.written.is_empty() => Kind::KvWrite,
            other => other,
        }
    }

    /// Sends one request, records its latency under `kind`, and hands back the body when the
    /// status is `expected`; anything else is counted as unexpected.
    fn request(
        &mut self,
        kind: Kind,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        expected: u16,
    ) -> Option<Value> {
        let url = format!("{}/v1/{path}", self.shared.config.addr);
        let started = Instant::now();
        let answer = call(&self.agent, method, &url, token, body);
        let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
        self.latencies[kind.index()].push(micros);
        match answer {
            Ok((status, value)) if status == expected => Some(value),
            Ok((status, value)) => {
                self.shared.unexpected(format!(
                    "{} {method} {path}: {status}, wanted {expected}: {value}",
                    kind.name()
                ));
                None
            }
            Err(e) => {
                self.shared
                    .unexpected(format!("{} {method} {path}: {e}", kind.name()));
                None
            }
        }
    }

    /// A token allowed on `secret/data/soak/*`: the latest batch token or a pooled service token.
    fn kv_token(&mut self) -> String {
        let use_batch = self.pool.is_empty() || self.random().is_multiple_of(2);
        match (&self.batch_token, use_batch) {
            (Some(token), true) => token.clone(),
            _ => {
                let i = self.below(self.pool.len() as u64) as usize;
                self.pool[i].token.clone()
            }
        }
    }

    fn login(&mut self, kind: Kind) {
        let role = if kind == Kind::ServiceLogin {
            SERVICE_ROLE
        } else {
            BATCH_ROLE
        };
        let body = json!({ "role": role, "jwt": self.shared.config.jwt });
        let Some(answer) = self.request(kind, "POST", LOGIN_PATH, None, Some(&body), 200) else {
            return;
        };
        let auth = &answer["auth"];
        let want_type = if kind == Kind::ServiceLogin {
            "service"
        } else {
            "batch"
        };
        let (Some(token), Some(lease), true) = (
            auth["client_token"].as_str(),
            auth["lease_duration"].as_i64(),
            auth["token_type"] == want_type,
        ) else {
            self.shared.unexpected(format!(
                "{} answer without a {want_type} token: {answer}",
                kind.name()
            ));
            return;
        };
        if kind == Kind::ServiceLogin {
            let expires = unix_now() + lease;
            self.shared.ack(format!("token {token} {expires}"));
            self.pool.push_back(Live {
                token: token.to_string(),
                expires,
            });
        } else {
            self.batch_token = Some(token.to_string());
        }
    }

    fn kv_path(&self, key: u64) -> String {
        format!("soak/{}", key * self.shared.config.threads + self.index)
    }

    fn kv_write(&mut self) {
        let key = self.below(KV_KEYS_PER_THREAD);
        let path = self.kv_path(key);
        self.sequence += 1;
        let value = format!(
            "{}-{}-{}",
            self.shared.config.phase, self.index, self.sequence
        );
        let token = self.kv_token();
        let body = json!({ "data": { "value": value } });
        let Some(answer) = self.request(
            Kind::KvWrite,
            "POST",
            &format!("secret/data/{path}"),
            Some(&token),
            Some(&body),
            200,
        ) else {
            return;
        };
        let Some(version) = answer["data"]["version"].as_u64() else {
            self.shared
                .unexpected(format!("kv-write {path}: no version in {answer}"));
            return;
        };
        self.shared.ack(format!("kv {path} {version} {value}"));
        self.written.insert(key, (version, value));
    }

    /// Reads one of this thread's paths: no one else writes it, so the answer must be the last
    /// acknowledged write.
    fn kv_read(&mut self) {
        let nth = self.below(self.written.len() as u64) as usize;
        let Some((&key, (version, value))) = self.written.iter().nth(nth) else {
            return;
        };
        let (version, value) = (*version, value.clone());
        let path = self.kv_path(key);
        let token = self.kv_token();
        let Some(answer) = self.request(
            Kind::KvRead,
            "GET",
            &format!("secret/data/{path}"),
            Some(&token),
            None,
            200,
        ) else {
            return;
        };
        let data = &answer["data"];
        if data["data"]["value"] != value.as_str() || data["metadata"]["version"] != version {
            self.shared.unexpected(format!(
                "kv-read {path}: wanted version {version} = {value}, read {answer}"
            ));
        }
    }

    fn renew(&mut self) {
        let i = self.below(self.pool.len() as u64) as usize;
        let token = self.pool[i].token.clone();
        let Some(answer) = self.request(
            Kind::Renew,
            "POST",
            "auth/token/renew-self",
            Some(&token),
            Some(&json!({})),
            200,
        ) else {
            return;
        };
        let Some(lease) = answer["auth"]["lease_duration"].as_i64().filter(|&l| l > 0) else {
            self.shared
                .unexpected(format!("renew-self: no lease_duration in {answer}"));
            return;
        };
        let expires = unix_now() + lease;
        self.shared.ack(format!("token {token} {expires}"));
        self.pool[i].expires = expires;
    }

    /// Revokes the oldest pooled token, then uses it once more: that use must be refused.
    fn revoke(&mut self) {
        let Some(live) = self.pool.pop_front() else {
            return;
        };
        let revoked = self.request(
            Kind::Revoke,
            "POST",
            "auth/token/revoke-self",
            Some(&live.token),
            None,
            204,
        );
        if revoked.is_none() {
            return;
        }
        self.shared.ack(format!("revoked {}", live.token));
        self.request(
            Kind::RevokedLookup,
            "GET",
            "auth/token/lookup-self",
            Some(&live.token),
            None,
            403,
        );
    }

    fn policy_write(&mut self) {
        let n = self.below(POLICIES_PER_THREAD) * self.shared.config.threads + self.index;
        self.sequence += 1;
        let text = format!(
            "# soak {} {}-{}\npath \"secret/data/soak-policy/{n}/*\" {{\n  capabilities = [\"read\", \"list\"]\n}}\n",
            self.shared.config.phase, self.index, self.sequence
        );
        let name = format!("soak-{n}");
        let root = self.shared.config.root.clone();
        let body = json!({ "policy": text });
        if self
            .request(
                Kind::PolicyWrite,
                "PUT",
                &format!("sys/policies/acl/{name}"),
                Some(&root),
                Some(&body),
                204,
            )
            .is_some()
        {
            self.shared
                .ack(format!("policy {name} {}", Value::from(text.as_str())));
        }
    }

    fn run(mut self) -> Worker {
        loop {
            let kind = self.next_operation();
            let requests = if kind == Kind::Revoke { 2 } else { 1 };
            let Some(lag) = self.shared.pacer.acquire(requests) else {
                break;
            };
            self.lags
                .push(u32::try_from(lag.as_micros()).unwrap_or(u32::MAX));
            match kind {
                Kind::KvRead => self.kv_read(),
                Kind::KvWrite => self.kv_write(),
                Kind::BatchLogin | Kind::ServiceLogin => self.login(kind),
                Kind::Renew => self.renew(),
                Kind::Revoke | Kind::RevokedLookup => self.revoke(),
                Kind::PolicyWrite => self.policy_write(),
            }
        }
        self
    }
}

/// The `p`-th percentile of sorted microseconds, in milliseconds.
fn percentile_ms(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    f64::from(sorted[rank.min(sorted.len() - 1)]) / 1000.0
}

fn run(config: RunConfig) -> ExitCode {
    let acks = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&config.acks)
        .expect("opening the ack file");
    let start = Instant::now();
    let shared = Arc::new(Shared {
        pacer: Pacer {
            start,
            end: start + Duration::from_secs_f64(config.seconds),
            interval_ns: (config.rate > 0.0).then(|| 1e9 / config.rate),
            next: AtomicU64::new(0),
        },
        acks: Mutex::new(BufWriter::new(acks)),
        unexpected: AtomicUsize::new(0),
        config,
    });
    let config = &shared.config;
    let workers: Vec<Worker> = (0..config.threads)
        .map(|i| {
            let worker = Worker::new(Arc::clone(&shared), i);
            thread::spawn(move || worker.run())
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|handle| handle.join().expect("a load thread panicked"))
        .collect();
    let elapsed = start.elapsed().as_secs_f64();
    shared
        .acks
        .lock()
        .expect("ack file lock")
        .flush()
        .expect("flushing the ack file");

    let mut latencies = vec![Vec::new(); KINDS.len()];
    let mut lags = Vec::new();
    let mut live_tokens = 0;
    for worker in &workers {
        for (all, mine) in latencies.iter_mut().zip(&worker.latencies) {
            all.extend_from_slice(mine);
        }
        lags.extend_from_slice(&worker.lags);
        live_tokens += worker.pool.len();
    }
    let requests: usize = latencies.iter().map(Vec::len).sum();
    let unexpected = shared.unexpected.load(Ordering::Relaxed);
    let rate = requests as f64 / elapsed;
    let target = if config.rate > 0.0 {
        format!("{:.0} req/s", config.rate)
    } else {
        "max".to_string()
    };
    println!(
        "phase {}: {elapsed:.1} s, {} threads, target {target}, achieved {rate:.0} req/s, {requests} requests, {unexpected} unexpected, {live_tokens} live service tokens left",
        config.phase, config.threads
    );
    println!(
        "{:<22} {:>8} {:>9} {:>9} {:>9}",
        "kind", "count", "p50 ms", "p99 ms", "max ms"
    );
    for (kind, samples) in KINDS.iter().zip(&mut latencies) {
        samples.sort_unstable();
        println!(
            "{:<22} {:>8} {:>9.2} {:>9.2} {:>9.2}",
            kind.name(),
            samples.len(),
            percentile_ms(samples, 50.0),
            percentile_ms(samples, 99.0),
            percentile_ms(samples, 100.0)
        );
    }
    lags.sort_unstable();
    println!(
        "schedule lag (start of an operation after its slot): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile_ms(&lags, 50.0),
        percentile_ms(&lags, 99.0),
        percentile_ms(&lags, 100.0)
    );
    // One line for scripts/soak.sh to read.
    println!(
        "SOAK phase={} requests={requests} seconds={elapsed:.2} rate={rate:.1} unexpected={unexpected}",
        config.phase
    );
    if unexpected == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// What the ack file says must be on the server.
#[derive(Default)]
struct Expected {
    /// KV path → acknowledged (version, value) pairs.
    kv: BTreeMap<String, Vec<(u64, String)>>,
    /// Policy name → the text of its last acknowledged write.
    policies: BTreeMap<String, String>,
    /// Service token → its latest recorded expiry, and whether a revocation was acknowledged.
    tokens: HashMap<String, (i64, bool)>,
}

fn read_acks(path: &Path) -> Expected {
    let file = File::open(path).expect("opening the ack file");
    let mut expected = Expected::default();
    for line in BufReader::new(file).lines() {
        let line = line.expect("reading the ack file");
        let mut fields = line.splitn(4, ' ');
        match (fields.next(), fields.next(), fields.next(), fields.next()) {
            (Some("kv"), Some(path), Some(version), Some(value)) => {
                let version = version.parse().expect("a KV version in the ack file");
                expected
                    .kv
                    .entry(path.to_string())
                    .or_default()
                    .push((version, value.to_string()));
            }
            (Some("policy"), Some(name), Some(first), rest) => {
                // The JSON text may contain spaces, which the split above cut.
                let json_text = match rest {
                    Some(rest) => format!("{first} {rest}"),
                    None => first.to_string(),
                };
                let text: String =
                    serde_json::from_str(&json_text).expect("a JSON string in the ack file");
                expected.policies.insert(name.to_string(), text);
            }
            (Some("token"), Some(token), Some(expires), None) => {
                let expires = expires.parse().expect("an expiry in the ack file");
                let entry = expected
                    .tokens
                    .entry(token.to_string())
                    .or_insert((0, false));
                entry.0 = entry.0.max(expires);
            }
            (Some("revoked"), Some(token), None, None) => {
                expected
                    .tokens
                    .entry(token.to_string())
                    .or_insert((0, false))
                    .1 = true;
            }
            _ => panic!("an ack line this program does not write: {line}"),
        }
    }
    expected
}

/// Re-reads every acknowledged write from the (restarted) server.
fn verify(addr: &str, root: &str, acks: &Path) -> ExitCode {
    let expected = read_acks(acks);
    let agent = agent();
    let get = |path: &str, token: &str| -> (u16, Value) {
        call(
            &agent,
            "GET",
            &format!("{addr}/v1/{path}"),
            Some(token),
            None,
        )
        .unwrap_or_else(|e| (0, Value::from(format!("no answer: {e}"))))
    };
    let mut failures: Vec<String> = Vec::new();
    let mut checked_versions = 0;
    let mut trimmed_versions = 0;

    for (path, writes) in &expected.kv {
        let newest = writes.iter().map(|(v, _)| *v).max().unwrap_or(0);
        let (status, meta) = get(&format!("secret/metadata/{path}"), root);
        let current = meta["data"]["current_version"].as_u64().unwrap_or(0);
        if status != 200 || current < newest {
            failures.push(format!(
                "kv {path}: acknowledged up to version {newest}, metadata {status} {meta}"
            ));
            continue;
        }
        // KV v2 keeps the last versions only (ten by default): older ones are gone by design.
        let oldest_kept = meta["data"]["versions"]
            .as_object()
            .and_then(|v| v.keys().filter_map(|k| k.parse::<u64>().ok()).min())
            .unwrap_or(current);
        for (version, value) in writes {
            if *version < oldest_kept {
                trimmed_versions += 1;
                continue;
            }
            checked_versions += 1;
            let (status, answer) = get(&format!("secret/data/{path}?version={version}"), root);
            if status != 200 || answer["data"]["data"]["value"] != value.as_str() {
                failures.push(format!(
                    "kv {path} version {version}: wanted {value}, read {status} {answer}"
                ));
            }
        }
    }

    for (name, text) in &expected.policies {
        let (status, answer) = get(&format!("sys/policies/acl/{name}"), root);
        if status != 200 || answer["data"]["policy"].as_str() != Some(text.as_str()) {
            failures.push(format!("policy {name}: {status} {answer}"));
        }
    }

    let now = unix_now();
    let (mut live, mut revoked, mut expired) = (0, 0, 0);
    for (token, (expires, was_revoked)) in &expected.tokens {
        let (status, answer) = get("auth/token/lookup-self", token);
        if *was_revoked {
            revoked += 1;
            if status != 403 {
                failures.push(format!("a revoked token looks up again: {status} {answer}"));
            }
        } else if *expires <= now + EXPIRY_GRACE_SECONDS {
            expired += 1;
        } else {
            live += 1;
            if status != 200 || answer["data"]["type"] != "service" {
                failures.push(format!("a live service token: {status} {answer}"));
            }
        }
    }

    let kv_writes: usize = expected.kv.values().map(Vec::len).sum();
    println!(
        "verify: {kv_writes} acknowledged KV writes on {} paths ({checked_versions} versions read back, {trimmed_versions} older than the ten kept), {} policies, {live} live service tokens looked up, {revoked} revoked tokens refused, {expired} skipped as expired; {} missing or wrong",
        expected.kv.len(),
        expected.policies.len(),
        failures.len()
    );
    for failure in failures.iter().take(ERRORS_SHOWN) {
        eprintln!("LOST {failure}");
    }
    println!("VERIFY failures={}", failures.len());
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
