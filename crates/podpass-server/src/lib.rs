//! # podpass-server
//!
//! podpass's Vault-compatible HTTP server: the Kubernetes auth method's real logins, tokens,
//! ACL policies and KV v2, over a durable store that encrypts every value. The decisions
//! (login checks, TTLs, ACLs) are podpass-core's; this crate is the transport, the state and
//! the storage around them.
//!
//! - [`server::router`] builds the axum router; [`server::Server`] starts it from
//!   [`server::DevOptions`] (`podpass dev`) or [`server::ServeOptions`] (`podpass serve`).
//! - [`app::App`] is the state every request sees; [`dispatch`] runs a request through
//!   routing, token authentication, the ACL check and the endpoint.
//! - [`reconcile`] applies podpass.hcl at start as the source of truth for what it names.
//! - [`cluster`] calls the Kubernetes API for logins: TokenReview, namespace labels and the
//!   cluster's OIDC discovery keys.
//! - [`telemetry`] holds the Prometheus [`metrics`] and the [`audit`] log; [`tls`] loads and
//!   reloads the listener's certificate.
//! - [`storage`] is the seam for other backends: [`storage::Backend`] is the physical store,
//!   [`storage::Store`] adds encryption and group commit.

#![allow(clippy::disallowed_methods, reason = "size rules are for wasm faces")]

pub mod app;
pub mod audit;
pub mod cluster;
pub mod connection;
pub mod dispatch;
pub mod error;
pub mod kv;
mod locks;
pub mod metrics;
pub mod playground;
pub mod reconcile;
pub mod request;
pub mod routes;
pub mod server;
pub mod settings;
pub mod storage;
pub mod telemetry;
pub mod tls;
pub mod token;
