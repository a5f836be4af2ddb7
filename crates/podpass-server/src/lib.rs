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
//! - [`storage`] is the seam for other backends: [`storage::Backend`] is the physical store,
//!   [`storage::Store`] adds encryption and group commit.

pub mod app;
pub mod dispatch;
pub mod error;
pub mod kv;
mod locks;
pub mod request;
pub mod routes;
pub mod server;
pub mod storage;
pub mod token;
