//! A stand-in for the Kubernetes API server, speaking the shapes podpass relies on, over TLS
//! with a CA generated at start:
//!
//! - `POST /apis/authentication.k8s.io/v1/tokenreviews`: TokenReview v1. Only tokens this
//!   cluster issued ([`FakeKubernetes::issue`]) and has not invalidated authenticate; the
//!   audiences answered are the intersection of the requested ones (default: the API server's,
//!   the issuer URL) with the token's, and an empty intersection fails, as in the API server.
//! - `GET /api/v1/namespaces/<name>`: a Namespace with its labels, or a 404 Status.
//! - `GET /.well-known/openid-configuration` and `GET /openid/v1/jwks`: OIDC discovery and the
//!   public keys of every signing key the cluster holds.
//!
//! Every endpoint wants `Authorization: Bearer <token>` with a token the cluster accepts as a
//! caller (the reviewer's), else it answers 401 with a `Status`, as an API server with
//! anonymous auth disabled does. Calls are counted per endpoint.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, dead_code)] // test code: a failure should stop loudly

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use podpass_core::jwt::SigningAlgorithm;
use podpass_core::mint::{DEFAULT_PROJECTED_ISSUER, SigningKey, TokenSpec, mint};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// Who the cluster says a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenOwner {
    /// `system:serviceaccount:<namespace>:<name>`.
    pub username: String,
    /// The service account's uid.
    pub uid: String,
    /// The token's audiences.
    pub audiences: Vec<String>,
    /// Whether the token has been invalidated (its pod or service account deleted).
    pub invalidated: bool,
}

/// Calls per endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Calls {
    /// TokenReview `POST`s.
    pub token_reviews: usize,
    /// Namespace `GET`s.
    pub namespaces: usize,
    /// Discovery document `GET`s.
    pub discovery: usize,
    /// JWK Set `GET`s.
    pub jwks: usize,
    /// Requests refused with 401.
    pub unauthorized: usize,
}

struct SigningEntry {
    kid: String,
    key: KeyPair,
}

#[derive(Default)]
struct Cluster {
    callers: HashSet<String>,
    tokens: HashMap<String, TokenOwner>,
    namespaces: HashMap<String, BTreeMap<String, String>>,
    signing: Vec<SigningEntry>,
    delay: Option<Duration>,
    calls: Calls,
}

type Shared = Arc<Mutex<Cluster>>;

/// A running fake API server.
pub struct FakeKubernetes {
    /// `https://127.0.0.1:<port>`.
    pub url: String,
    /// The PEM of the CA that signed the server's certificate (the mount's `kubernetes_ca_cert`).
    pub ca_pem: String,
    cluster: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeKubernetes {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeKubernetes {
    /// Starts a cluster that accepts `reviewer` as a caller and signs tokens with one fresh
    /// ES256 key (`kid` `key-1`).
    pub async fn start(reviewer: &str) -> FakeKubernetes {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "fake-kubernetes-ca");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let server_key = KeyPair::generate().unwrap();
        let mut server_params =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
        server_params
            .distinguished_name
            .push(DnType::CommonName, "kube-apiserver");
        let server_cert = server_params.signed_by(&server_key, &issuer).unwrap();

        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![server_cert.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
            )
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(tls));

        let mut cluster = Cluster::default();
        cluster.callers.insert(reviewer.to_string());
        cluster.signing.push(SigningEntry {
            kid: "key-1".into(),
            key: KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap(),
        });
        let cluster: Shared = Arc::new(Mutex::new(cluster));
        let app = Router::new()
            .route(
                "/apis/authentication.k8s.io/v1/tokenreviews",
                post(token_review),
            )
            .route("/api/v1/namespaces/{name}", get(namespace))
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/openid/v1/jwks", get(jwks))
            .with_state(Arc::clone(&cluster));

        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address: SocketAddr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let app = app.clone();
                tokio::spawn(async move {
                    let Ok(stream) = acceptor.accept(stream).await else {
                        return;
                    };
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app))
                        .await;
                });
            }
        });
        FakeKubernetes {
            url: format!("https://{address}"),
            ca_pem: ca_cert.pem(),
            cluster,
            task,
        }
    }

    /// Mints a token for `spec` with the newest signing key and remembers it as valid. Like
    /// the API server, a token requested without audiences gets the issuer as its audience.
    pub fn issue(&self, spec: &TokenSpec) -> String {
        let mut spec = spec.clone();
        if spec.audiences.is_empty() {
            spec.audiences = vec![DEFAULT_PROJECTED_ISSUER.to_string()];
        }
        let jwt = mint(&spec, &self.signing_key()).unwrap();
        self.register(
            &jwt,
            TokenOwner {
                username: format!(
                    "system:serviceaccount:{}:{}",
                    spec.namespace, spec.service_account
                ),
                uid: spec.uid.clone(),
                audiences: spec.audiences.clone(),
                invalidated: false,
            },
        );
        jwt
    }

    /// Records who a token belongs to (tests use it for states a real cluster reaches by
    /// recreating service accounts).
    pub fn register(&self, jwt: &str, owner: TokenOwner) {
        self.lock().tokens.insert(jwt.to_string(), owner);
    }

    /// Invalidates a token, as deleting its pod does.
    pub fn invalidate(&self, jwt: &str) {
        if let Some(owner) = self.lock().tokens.get_mut(jwt) {
            owner.invalidated = true;
        }
    }

    /// Sets a namespace's labels (creating it).
    pub fn set_namespace(&self, name: &str, labels: &[(&str, &str)]) {
        self.lock().namespaces.insert(
            name.to_string(),
            labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
    }

    /// Adds a new signing key (`kid` given), which signs tokens from now on; the old keys
    /// stay published, as during a key rotation.
    pub fn rotate_signing_key(&self, kid: &str) {
        self.lock().signing.push(SigningEntry {
            kid: kid.to_string(),
            key: KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap(),
        });
    }

    /// A key the cluster does not publish, for forged tokens.
    pub fn foreign_signing_key(kid: &str) -> SigningKey {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        SigningKey::from_pem(
            &key.serialize_pem(),
            SigningAlgorithm::ES256,
            Some(kid.into()),
        )
        .unwrap()
    }

    /// The newest signing key's public half as SPKI PEM (what `pem_keys` would hold).
    pub fn public_key_pem(&self) -> String {
        self.lock().signing.last().unwrap().key.public_key_pem()
    }

    /// Makes every answer wait this long.
    pub fn set_delay(&self, delay: Duration) {
        self.lock().delay = Some(delay);
    }

    /// The calls so far.
    pub fn calls(&self) -> Calls {
        self.lock().calls
    }

    fn signing_key(&self) -> SigningKey {
        let cluster = self.lock();
        let entry = cluster.signing.last().unwrap();
        SigningKey::from_pem(
            &entry.key.serialize_pem(),
            SigningAlgorithm::ES256,
            Some(entry.kid.clone()),
        )
        .unwrap()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cluster> {
        self.cluster.lock().unwrap()
    }
}

fn status(code: StatusCode, reason: &str, message: &str) -> Response {
    (
        code,
        axum::Json(json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code.as_u16()
        })),
    )
        .into_response()
}

/// Waits the configured delay, counts the call, and checks the caller's bearer.
async fn admit(
    cluster: &Shared,
    headers: &HeaderMap,
    count: fn(&mut Calls) -> &mut usize,
) -> Result<(), Response> {
    let delay = cluster.lock().unwrap().delay;
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let mut cluster = cluster.lock().unwrap();
    *count(&mut cluster.calls) += 1;
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer.is_some_and(|b| cluster.callers.contains(b)) {
        Ok(())
    } else {
        cluster.calls.unauthorized += 1;
        Err(status(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Unauthorized",
        ))
    }
}

async fn token_review(State(cluster): State<Shared>, headers: HeaderMap, body: String) -> Response {
    if let Err(refused) = admit(&cluster, &headers, |c| &mut c.token_reviews).await {
        return refused;
    }
    let Ok(review) = serde_json::from_str::<Value>(&body) else {
        return status(StatusCode::BAD_REQUEST, "BadRequest", "invalid JSON");
    };
    if review["kind"] != "TokenReview" || review["apiVersion"] != "authentication.k8s.io/v1" {
        return status(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "expected a TokenReview of authentication.k8s.io/v1",
        );
    }
    let spec = &review["spec"];
    let token = spec["token"].as_str().unwrap_or_default();
    let wanted: Vec<String> = match spec["audiences"].as_array() {
        Some(list) if !list.is_empty() => list
            .iter()
            .filter_map(|a| a.as_str().map(String::from))
            .collect(),
        _ => vec![DEFAULT_PROJECTED_ISSUER.to_string()],
    };
    let owner = cluster.lock().unwrap().tokens.get(token).cloned();
    let status_object = match owner {
        // A token no authenticator recognises.
        None => json!({"user": {}}),
        Some(owner) if owner.invalidated => json!({
            "user": {},
            "error": "[invalid bearer token, service account token has been invalidated]"
        }),
        Some(owner) => {
            let granted: Vec<&String> = wanted
                .iter()
                .filter(|a| owner.audiences.contains(a))
                .collect();
            if granted.is_empty() {
                json!({"user": {}, "error": format!(
                    "[invalid bearer token, token audiences {:?} is invalid for the target audiences {:?}]",
                    owner.audiences, wanted)})
            } else {
                let namespace = owner.username.split(':').nth(2).unwrap_or_default();
                json!({
                    "authenticated": true,
                    "user": {
                        "username": owner.username,
                        "uid": owner.uid,
                        "groups": ["system:serviceaccounts", format!("system:serviceaccounts:{namespace}"), "system:authenticated"]
                    },
                    "audiences": granted
                })
            }
        }
    };
    let answer = json!({
        "kind": "TokenReview",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"creationTimestamp": null},
        "spec": spec,
        "status": status_object,
    });
    (StatusCode::CREATED, axum::Json(answer)).into_response()
}

async fn namespace(
    State(cluster): State<Shared>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(refused) = admit(&cluster, &headers, |c| &mut c.namespaces).await {
        return refused;
    }
    let labels = cluster.lock().unwrap().namespaces.get(&name).cloned();
    match labels {
        Some(labels) => axum::Json(json!({
            "kind": "Namespace",
            "apiVersion": "v1",
            "metadata": {"name": name, "labels": labels},
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"}
        }))
        .into_response(),
        None => status(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!("namespaces \"{name}\" not found"),
        ),
    }
}

async fn discovery(State(cluster): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(refused) = admit(&cluster, &headers, |c| &mut c.discovery).await {
        return refused;
    }
    // The issuer's host is not this server's: podpass must fetch the keys from its
    // configured host, at jwks_uri's path.
    axum::Json(json!({
        "issuer": DEFAULT_PROJECTED_ISSUER,
        "jwks_uri": format!("{DEFAULT_PROJECTED_ISSUER}/openid/v1/jwks"),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"]
    }))
    .into_response()
}

async fn jwks(State(cluster): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(refused) = admit(&cluster, &headers, |c| &mut c.jwks).await {
        return refused;
    }
    let cluster = cluster.lock().unwrap();
    let keys: Vec<Value> = cluster
        .signing
        .iter()
        .map(|entry| {
            // An uncompressed P-256 point: 0x04, then x and y (32 bytes each).
            let point = entry.key.public_key_raw();
            json!({
                "use": "sig", "kty": "EC", "crv": "P-256", "alg": "ES256", "kid": entry.kid,
                "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
                "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
            })
        })
        .collect();
    axum::Json(json!({ "keys": keys })).into_response()
}
