//! The audit log: one JSON line per request and one per response, in the shape of Vault's
//! file audit device (`type`, `time`, `auth`, `request`, `response`, `error`).
//!
//! Nothing sensitive is written raw. Client tokens and accessors, and every string and number
//! in request and response data (login JWTs, KV secret values, the token ids that
//! `lookup` answers with) are written as `hmac-sha256:<hex>` under the seal key's audit subkey,
//! as Vault's audit devices do by default; an issued token's `client_token` and `accessor` in a
//! response's `auth` likewise. Policies, metadata, paths and error messages stay readable.
//!
//! Lines are handed to a writer thread over a bounded channel, so a request waits for the
//! file only when the writer is more than [`QUEUE_LENGTH`] lines behind.

use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};
use tokio::sync::{mpsc, oneshot};

use crate::error::ApiError;
use crate::request::ApiResponse;
use crate::routes::Caller;
use crate::storage::SealKey;

/// Lines queued for the writer before requests wait for it.
pub const QUEUE_LENGTH: usize = 4096;

/// The audit log's destination: `-` for standard output, else a file (appended to, created
/// with mode 0600: it holds HMACs that can confirm guessed values for anyone with the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditTarget {
    /// Standard output.
    Stdout,
    /// A file.
    File(PathBuf),
}

impl AuditTarget {
    /// `-` is standard output; anything else a file path.
    pub fn parse(text: &Path) -> AuditTarget {
        if text == Path::new("-") {
            AuditTarget::Stdout
        } else {
            AuditTarget::File(text.to_path_buf())
        }
    }
}

enum Command {
    Line(String),
    Flush(oneshot::Sender<()>),
}

/// A running audit log: cheap to share, writes through a background thread.
#[derive(Debug, Clone)]
pub struct AuditLog {
    sender: mpsc::Sender<Command>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            Command::Line(_) => "Line",
            Command::Flush(_) => "Flush",
        })
    }
}

/// Creates the audit log's missing parent directories, readable by the owner only (0700): the
/// log holds HMACs of every token and secret, and a directory made for it should not be
/// listable by others. Existing directories are left as they are.
fn create_private_parent(path: &std::path::Path) -> std::io::Result<()> {
    let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(());
    };
    if parent.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(parent).map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!(
                "cannot create the audit log's directory {}: {e}",
                parent.display()
            ),
        )
    })
}

impl AuditLog {
    /// Opens `target` and starts the writer thread.
    pub fn open(target: &AuditTarget) -> std::io::Result<AuditLog> {
        let writer: Box<dyn Write + Send> = match target {
            AuditTarget::Stdout => Box::new(std::io::stdout()),
            AuditTarget::File(path) => {
                create_private_parent(path)?;
                let mut options = OpenOptions::new();
                options.create(true).append(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                Box::new(options.open(path).map_err(|e| {
                    std::io::Error::new(
                        e.kind(),
                        format!("cannot open the audit log {}: {e}", path.display()),
                    )
                })?)
            }
        };
        let (sender, receiver) = mpsc::channel(QUEUE_LENGTH);
        std::thread::Builder::new()
            .name("podpass-audit".into())
            .spawn(move || write_lines(receiver, BufWriter::new(writer)))?;
        Ok(AuditLog { sender })
    }

    /// Queues one entry (one line).
    pub async fn record(&self, entry: &Value) {
        let line = entry.to_string();
        if self.sender.send(Command::Line(line)).await.is_err() {
            tracing::error!("the audit log writer has stopped; an audit entry was lost");
        }
    }

    /// Waits until every entry queued so far is written and flushed.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.sender.send(Command::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

fn write_lines(mut receiver: mpsc::Receiver<Command>, mut out: BufWriter<Box<dyn Write + Send>>) {
    while let Some(command) = receiver.blocking_recv() {
        let result = match command {
            Command::Line(line) => out
                .write_all(line.as_bytes())
                .and_then(|()| out.write_all(b"\n"))
                // Flush once the queue is drained: bursts share one write.
                .and_then(|()| {
                    if receiver.is_empty() {
                        out.flush()
                    } else {
                        Ok(())
                    }
                }),
            Command::Flush(done) => {
                let result = out.flush();
                let _ = done.send(());
                result
            }
        };
        if let Err(e) = result {
            tracing::error!(error = %e, "writing the audit log failed");
        }
    }
    let _ = out.flush();
}

/// Replaces every string and number in `value` (recursively) with its HMAC; keys, booleans
/// and nulls stay as they are.
pub fn hash_values(key: &SealKey, value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(key.audit_hmac(s)),
        Value::Number(n) => Value::String(key.audit_hmac(&n.to_string())),
        Value::Array(items) => Value::Array(items.iter().map(|v| hash_values(key, v)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), hash_values(key, v)))
                .collect(),
        ),
        Value::Bool(_) | Value::Null => value.clone(),
    }
}

/// What an audit entry says about the request, shared by its request and response lines.
#[derive(Debug, Clone)]
pub struct AuditedRequest {
    auth: Value,
    request: Value,
}

/// What is known about a request when it is audited.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    /// The id shared by the request and response lines (and the response's `request_id`).
    pub id: &'a str,
    /// Vault's operation name (`read`, `update`, ...).
    pub operation: &'a str,
    /// The path after `/v1/`.
    pub path: &'a str,
    /// The body (its values are hashed).
    pub data: Option<&'a Map<String, Value>>,
    /// The client token, if one was sent (hashed).
    pub client_token: Option<&'a str>,
    /// The caller's address.
    pub remote_address: Option<IpAddr>,
}

impl AuditedRequest {
    /// The `auth` and `request` objects of the entries for one request; `caller` is the
    /// resolved token when authentication succeeded.
    pub fn new(key: &SealKey, facts: RequestFacts<'_>, caller: Option<&Caller>) -> AuditedRequest {
        let hmac_or_empty = |s: &str| {
            if s.is_empty() {
                String::new()
            } else {
                key.audit_hmac(s)
            }
        };
        let auth = match caller {
            Some(caller) => {
                let entry = &caller.resolved.entry;
                let profile = &entry.profile;
                json!({
                    "client_token": key.audit_hmac(&caller.token),
                    "accessor": hmac_or_empty(&entry.accessor),
                    "display_name": profile.display_name,
                    "policies": profile.policies,
                    "token_policies": profile.policies,
                    "metadata": profile.meta,
                    "entity_id": entry.entity_id(),
                    "token_type": profile.kind.as_str(),
                    "token_ttl": entry.creation_ttl,
                    "token_issue_time": podpass_core::timestamp::rfc3339(entry.creation_time),
                    "token_remaining_uses": entry.num_uses,
                })
            }
            None => json!({}),
        };
        let accessor = caller.map_or(String::new(), |c| hmac_or_empty(&c.resolved.entry.accessor));
        let data = facts
            .data
            .filter(|d| !d.is_empty())
            .map(|d| hash_values(key, &Value::Object(d.clone())));
        let request = json!({
            "id": facts.id,
            "operation": facts.operation,
            "client_token": facts.client_token.map_or(String::new(), |t| key.audit_hmac(t)),
            "client_token_accessor": accessor,
            "namespace": { "id": "root" },
            "path": facts.path,
            "data": data,
            "remote_address": facts.remote_address.map(|a| a.to_string()),
        });
        AuditedRequest { auth, request }
    }

    /// The request line.
    pub fn request_entry(&self, now: i64) -> Value {
        json!({
            "time": podpass_core::timestamp::rfc3339(now),
            "type": "request",
            "auth": self.auth,
            "request": self.request,
        })
    }

    /// The response line for an answer (`Ok`) or an error's messages (`Err`).
    pub fn response_entry(
        &self,
        key: &SealKey,
        now: i64,
        answer: Result<&ApiResponse, &ApiError>,
    ) -> Value {
        let (response, error, explanation) = match answer {
            Ok(response) => (response_object(key, response), Value::Null, None),
            Err(error) => (
                json!({}),
                Value::String(error.errors.join("; ")),
                error.explanation.as_deref(),
            ),
        };
        let mut entry = json!({
            "time": podpass_core::timestamp::rfc3339(now),
            "type": "response",
            "auth": self.auth,
            "request": self.request,
            "response": response,
        });
        if !error.is_null() {
            entry["error"] = error;
        }
        if let Some(explanation) = explanation {
            entry["explanation"] = Value::String(explanation.to_string());
        }
        entry
    }
}

/// The `response` object: the envelope's `data` hashed, its `auth` with the issued token and
/// accessor hashed, warnings as they are.
fn response_object(key: &SealKey, response: &ApiResponse) -> Value {
    let body = match response {
        ApiResponse::NoContent | ApiResponse::Empty(_) | ApiResponse::Text { .. } => {
            return json!({});
        }
        ApiResponse::Json(_, body) => body,
    };
    let Some(map) = body.as_object() else {
        return json!({ "data": hash_values(key, body) });
    };
    if !map.contains_key("request_id") {
        // Not Vault's envelope (sys/init and similar): the whole body is data.
        return json!({ "data": hash_values(key, body) });
    }
    let mut response = Map::new();
    if let Some(data) = map.get("data").filter(|d| !d.is_null()) {
        response.insert("data".into(), hash_values(key, data));
    }
    if let Some(Value::Object(auth)) = map.get("auth") {
        let mut auth = auth.clone();
        for field in ["client_token", "accessor"] {
            if let Some(Value::String(value)) = auth.get(field)
                && !value.is_empty()
            {
                let hashed = key.audit_hmac(value);
                auth.insert(field.into(), Value::String(hashed));
            }
        }
        response.insert("auth".into(), Value::Object(auth));
    }
    if let Some(warnings) = map.get("warnings").filter(|w| !w.is_null()) {
        response.insert("warnings".into(), warnings.clone());
    }
    Value::Object(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_numbers_are_hashed_and_structure_kept() {
        let key = SealKey::generate().unwrap();
        let hashed = hash_values(
            &key,
            &json!({"password": "hunter2", "pin": 1234, "on": true, "list": ["a"], "n": null}),
        );
        assert_eq!(hashed["password"], json!(key.audit_hmac("hunter2")));
        assert_eq!(hashed["pin"], json!(key.audit_hmac("1234")));
        assert_eq!(hashed["on"], json!(true));
        assert_eq!(hashed["list"][0], json!(key.audit_hmac("a")));
        assert_eq!(hashed["n"], Value::Null);
    }
}
