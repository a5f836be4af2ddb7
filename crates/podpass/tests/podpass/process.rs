//! A `podpass serve` process for tests, and a blocking HTTP client to drive it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::Duration;

use serde_json::Value;

/// A running `podpass serve`; killed (SIGKILL on Unix) and reaped when dropped, so a failing
/// assertion never leaves a server behind.
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// The root token, from the file the first start wrote in the data directory.
    pub root_token: Option<String>,
}

impl ServerProcess {
    /// Starts the server and waits for its "listening" line.
    pub fn start(config: &Path, data_dir: &Path) -> ServerProcess {
        Self::start_with_key(config, data_dir, None).expect("podpass serve started")
    }

    /// [`ServerProcess::start`] with `PODPASS_SEAL_KEY` set to `seal_key` (unset when `None`);
    /// `Err` carries what the server wrote to stderr when it exited before listening.
    pub fn start_with_key(
        config: &Path,
        data_dir: &Path,
        seal_key: Option<&str>,
    ) -> Result<ServerProcess, String> {
        let mut command = Command::new(env!("CARGO_BIN_EXE_podpass"));
        command
            .arg("serve")
            .arg("--config")
            .arg(config)
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "warn")
            .env_remove("PODPASS_SEAL_KEY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(key) = seal_key {
            command.env("PODPASS_SEAL_KEY", key);
        }
        let mut child = command.spawn().unwrap();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let (lines_tx, lines_rx) = std::sync::mpsc::channel();
        // Pass stderr through (as the tests' own output) and keep it for an early exit.
        let passing = thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                eprintln!("{line}");
                let _ = lines_tx.send(line);
            }
        });
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut server = ServerProcess {
            child,
            base_url: String::new(),
            root_token: None,
        };
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(url) = line.strip_prefix("podpass listening on ") {
                server.base_url = url.trim().to_string();
                break;
            }
        }
        // The first start writes the root token to a file in the data directory; read it and
        // delete it, as an operator would, so a restart that wrote it again would show.
        let token_file = data_dir.join("root-token");
        server.root_token = std::fs::read_to_string(&token_file)
            .ok()
            .map(|token| token.trim().to_string());
        let _ = std::fs::remove_file(&token_file);
        if server.base_url.is_empty() {
            let _ = server.child.wait();
            // Everything the process wrote has been read once its stderr closes.
            let _ = passing.join();
            let said: Vec<String> = lines_rx.try_iter().collect();
            return Err(said.join("\n"));
        }
        // Keep draining stdout so a later print can never block or fail on a full pipe.
        thread::spawn(move || lines.for_each(drop));
        Ok(server)
    }

    /// Kills the process without warning (SIGKILL on Unix: no shutdown code runs) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A blocking HTTP client that hands back every status instead of turning 4xx/5xx into errors.
pub fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// One HTTP exchange: the status and the JSON body (`Null` when empty). `Err` when the server
/// could not be reached or the answer was cut off, as when the process dies mid-request.
pub fn call(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Result<(u16, Value), ureq::Error> {
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    if let Some(token) = token {
        request = request.header("X-Vault-Token", token);
    }
    let response = match body {
        Some(body) => agent.run(
            request
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .unwrap(),
        )?,
        None => agent.run(request.body(()).unwrap())?,
    };
    let status = response.status().as_u16();
    let text = response.into_body().read_to_string()?;
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{url}: body is not JSON ({e}): {text}"))
    };
    Ok((status, value))
}

/// Seconds since the Unix epoch, for minting tokens the servers accept now.
pub fn unix_now() -> i64 {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    i64::try_from(seconds).unwrap()
}
