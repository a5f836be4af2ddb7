//! The Kubernetes API, as a login needs it: TokenReview ([`token_review`]), namespace labels for
//! `bound_service_account_namespace_selector` ([`namespaces`]) and the cluster's OIDC discovery
//! keys ([`jwks`]).
//!
//! Each mount's `kubernetes_host` is reached over rustls with the mount's `kubernetes_ca_cert`
//! (inside a pod, when the config has none and `disable_local_ca_jwt` is false, the pod's
//! service-account CA; otherwise the system roots). Every call has a deadline: a cluster that
//! does not answer turns into a denied login, never a hung one. The core decides what answers
//! mean; this module only moves bytes and caches.

pub mod jwks;
pub mod namespaces;
pub mod token_review;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::{Method, Request};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use podpass_core::auth_config::AuthConfig;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use thiserror::Error;

use crate::error::error_chain;
use crate::locks::lock;

/// Where a pod finds its service account's CA bundle.
pub const POD_CA_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
/// Where a pod finds its own (rotating) service-account token.
pub const POD_TOKEN_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";
/// Answers larger than this are refused: a TokenReview, a namespace or a JWK Set is a few KB.
const MAX_ANSWER_BYTES: usize = 1 << 20;
/// HTTP clients kept at most (one per distinct CA); the cache is cleared when full.
const CLIENT_CACHE_LIMIT: usize = 64;

/// Deadlines, cache lifetimes and the in-pod file locations.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// Deadline of one API call, connection included.
    pub timeout: Duration,
    /// The pod's CA bundle, used when a mount configures no `kubernetes_ca_cert`.
    pub pod_ca_path: PathBuf,
    /// The pod's own token, used as the bearer when a mount configures no `token_reviewer_jwt`.
    pub pod_token_path: PathBuf,
    /// How long a read pod token is used before the file is read again (bound tokens rotate).
    pub pod_token_reread: Duration,
    /// How long a read pod CA bundle is used before the file is read again.
    pub pod_ca_reread: Duration,
    /// How long a namespace's labels are trusted.
    pub namespace_ttl: Duration,
    /// How long discovered keys are used before they are fetched again.
    pub jwks_ttl: Duration,
    /// Least time between two fetches of a mount's keys, so tokens with unknown `kid`s cannot
    /// turn every login into an API call.
    pub jwks_min_refresh: Duration,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            timeout: Duration::from_secs(5),
            pod_ca_path: PathBuf::from(POD_CA_PATH),
            pod_token_path: PathBuf::from(POD_TOKEN_PATH),
            pod_token_reread: Duration::from_secs(60),
            pod_ca_reread: Duration::from_secs(3600),
            namespace_ttl: Duration::from_secs(10),
            jwks_ttl: Duration::from_secs(300),
            jwks_min_refresh: Duration::from_secs(10),
        }
    }
}

/// Why a call to the Kubernetes API gave no usable answer. The client only ever sees
/// `permission denied`; these messages go to the log.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ClusterError {
    /// No answer within [`ClusterOptions::timeout`].
    #[error("no answer from {url} within {timeout:?}")]
    Timeout {
        /// What was called.
        url: String,
        /// The deadline.
        timeout: Duration,
    },
    /// Connection, TLS or HTTP failure.
    #[error("request to {url} failed: {reason}")]
    Transport {
        /// What was called.
        url: String,
        /// The underlying error.
        reason: String,
    },
    /// The CA bundle could not be turned into a TLS client.
    #[error("no TLS client for the Kubernetes API: {0}")]
    Tls(String),
    /// A non-success status where the caller needs a body (namespaces, discovery).
    #[error("{url} answered HTTP {status}: {body}")]
    Status {
        /// What was called.
        url: String,
        /// The status code.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// A body that is not what the API serves.
    #[error("unexpected answer from {url}: {reason}")]
    Malformed {
        /// What was called.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// A request that cannot be made (e.g. a namespace name that is not a DNS label).
    #[error("{0}")]
    BadRequest(String),
}

/// An HTTP answer: status and body text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: String,
}

impl Answer {
    /// The body when the status is 2xx, else [`ClusterError::Status`].
    fn success_body(self, url: &str) -> Result<String, ClusterError> {
        if (200..300).contains(&self.status) {
            Ok(self.body)
        } else {
            Err(ClusterError::Status {
                url: url.to_string(),
                status: self.status,
                body: self.body.trim().chars().take(256).collect(),
            })
        }
    }
}

type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A file of the pod's (token or CA), read again once `period` has passed. The same
/// periods as Vault: a minute for the token, an hour for the CA.
struct PodFile {
    path: PathBuf,
    period: Duration,
    read: Mutex<Option<(Instant, Option<String>)>>,
}

impl PodFile {
    fn new(path: PathBuf, period: Duration) -> PodFile {
        PodFile {
            path,
            period,
            read: Mutex::new(None),
        }
    }

    /// The trimmed contents, `None` when the file is missing or empty (not in a pod).
    fn contents(&self) -> Option<String> {
        let mut read = lock(&self.read);
        if let Some((read_at, contents)) = read.as_ref()
            && read_at.elapsed() < self.period
        {
            return contents.clone();
        }
        let contents = std::fs::read_to_string(&self.path)
            .ok()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        *read = Some((Instant::now(), contents.clone()));
        contents
    }
}

/// The server's client for the Kubernetes API of every mount, with its caches.
pub struct Cluster {
    options: ClusterOptions,
    clients: Mutex<HashMap<String, HttpClient>>,
    pod_token: PodFile,
    pod_ca: PodFile,
    namespaces: namespaces::NamespaceCache,
    jwks: jwks::JwksCache,
}

impl Default for Cluster {
    fn default() -> Self {
        Cluster::new(ClusterOptions::default())
    }
}

impl Cluster {
    /// A client with these deadlines and paths; connections are made on first use.
    pub fn new(options: ClusterOptions) -> Cluster {
        Cluster {
            pod_token: PodFile::new(options.pod_token_path.clone(), options.pod_token_reread),
            pod_ca: PodFile::new(options.pod_ca_path.clone(), options.pod_ca_reread),
            options,
            clients: Mutex::new(HashMap::new()),
            namespaces: namespaces::NamespaceCache::default(),
            jwks: jwks::JwksCache::default(),
        }
    }

    /// The options in force.
    pub fn options(&self) -> &ClusterOptions {
        &self.options
    }

    /// The bearer for calls on behalf of a mount: its `token_reviewer_jwt`, else (unless
    /// `disable_local_ca_jwt`) the pod's own token, else `fallback` (the login JWT, which
    /// Vault also falls back to: the pod then reviews itself).
    pub(crate) fn bearer(&self, config: &AuthConfig, fallback: &str) -> String {
        if !config.token_reviewer_jwt.is_empty() {
            return config.token_reviewer_jwt.clone();
        }
        if !config.disable_local_ca_jwt
            && let Some(token) = self.pod_token.contents()
        {
            return token;
        }
        fallback.to_string()
    }

    /// One call to the mount's API server, within the deadline.
    pub(crate) async fn send(
        &self,
        config: &AuthConfig,
        method: Method,
        url: &str,
        bearer: &str,
        body: Option<String>,
    ) -> Result<Answer, ClusterError> {
        let client = self.client_for(config)?;
        let transport = |reason: String| ClusterError::Transport {
            url: url.to_string(),
            reason,
        };
        let mut builder = Request::builder()
            .method(method)
            .uri(url)
            .header("Accept", "application/json");
        if !bearer.is_empty() {
            builder = builder.header("Authorization", format!("Bearer {bearer}"));
        }
        if body.is_some() {
            builder = builder.header("Content-Type", "application/json");
        }
        let request = builder
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| transport(e.to_string()))?;
        let call = async {
            let response = client
                .request(request)
                .await
                .map_err(|e| transport(error_chain(&e)))?;
            let status = response.status().as_u16();
            let bytes = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
                .collect()
                .await
                .map_err(|e| transport(format!("reading the answer: {e}")))?
                .to_bytes();
            Ok(Answer {
                status,
                body: String::from_utf8_lossy(&bytes).into_owned(),
            })
        };
        tokio::time::timeout(self.options.timeout, call)
            .await
            .map_err(|_| ClusterError::Timeout {
                url: url.to_string(),
                timeout: self.options.timeout,
            })?
    }

    /// The HTTP client trusting the mount's CA, built once per distinct CA.
    fn client_for(&self, config: &AuthConfig) -> Result<HttpClient, ClusterError> {
        let ca = if !config.kubernetes_ca_cert.is_empty() {
            Some(config.kubernetes_ca_cert.clone())
        } else if !config.disable_local_ca_jwt {
            self.pod_ca.contents()
        } else {
            None
        };
        let key = ca.clone().unwrap_or_default();
        if let Some(client) = lock(&self.clients).get(&key) {
            return Ok(client.clone());
        }
        let client = build_client(ca.as_deref())?;
        let mut clients = lock(&self.clients);
        if clients.len() >= CLIENT_CACHE_LIMIT {
            clients.clear();
        }
        clients.insert(key, client.clone());
        Ok(client)
    }
}

/// A pooled HTTP/1.1 client over rustls (aws-lc-rs), trusting `ca_pem` or the system roots.
fn build_client(ca_pem: Option<&str>) -> Result<HttpClient, ClusterError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = |e: &dyn std::fmt::Display| ClusterError::Tls(e.to_string());
    let builder = hyper_rustls::HttpsConnectorBuilder::new();
    let builder = match ca_pem {
        Some(pem) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                roots.add(cert.map_err(|e| tls(&e))?).map_err(|e| tls(&e))?;
            }
            if roots.is_empty() {
                return Err(ClusterError::Tls(
                    "the CA bundle holds no certificate".into(),
                ));
            }
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| tls(&e))?
                .with_root_certificates(roots)
                .with_no_client_auth();
            builder.with_tls_config(config)
        }
        None => builder
            .with_provider_and_native_roots(provider)
            .map_err(|e| tls(&e))?,
    };
    let connector = builder.https_or_http().enable_http1().build();
    Ok(Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .build(connector))
}

/// `kubernetes_host` without a trailing `/`, the prefix of every URL.
pub(crate) fn base_url(config: &AuthConfig) -> &str {
    config.kubernetes_host.trim_end_matches('/')
}
