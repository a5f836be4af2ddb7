//! # podpass-wasm
//!
//! podpass for JavaScript: the same login and ACL decisions as the core, for browsers, Node and
//! edge runtimes (Cloudflare's workerd). A thin translation layer: JS values in, the core's
//! answers out as plain objects, every failure a structured `PodpassError` (`code`, `message`,
//! `location`). No rule lives here; each method calls the core.
//!
//! - [`Engine`]: built once from a configuration (vault commands, podpass.hcl or Vault API JSON,
//!   detected), then asked many questions: `login`, `loginAsync` (signature verified by the
//!   host's WebCrypto), `capabilities`, `authorize`, `lint`.
//! - Free functions: `decodeJwt`, `operationForHttp`; in the full build also `lint` and
//!   `importScript`.
//!
//! Two builds (Cargo feature `full`, on by default): the full build reads every configuration
//! form, lints, imports and verifies signatures in wasm as well as through the host; the edge
//! build, for Workers and gateways, keeps Vault API JSON configurations, `loginAsync` (the
//! host's WebCrypto), `authorize`, `capabilities` and `decodeJwt`, at a fraction of the size.
//!
//! The TypeScript definitions of every shape are in [`typescript`].

mod answers;
#[cfg(feature = "full")]
mod authoring;
mod cluster_keys;
mod engine;
mod error;
mod functions;
mod host_crypto;
mod inputs;
mod lazy;
mod output;
pub mod typescript;
mod unverified_mounts;
mod verified;

#[cfg(feature = "full")]
pub use authoring::{import_script, lint};
pub use engine::Engine;
pub use error::{ErrorCode, ErrorLocation, PodpassError};
pub use functions::{decode_jwt, operation_for_http};
pub use lazy::Explainer;
