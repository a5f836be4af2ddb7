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
//! - Free functions: `decodeJwt`, `lint`, `importScript`, `operationForHttp`.
//!
//! The TypeScript definitions of every shape are in [`typescript`].

mod engine;
mod error;
mod functions;
mod host_crypto;
mod inputs;
mod lazy;
mod output;
pub mod typescript;

pub use engine::Engine;
pub use error::{ErrorCode, ErrorLocation, PodpassError};
pub use functions::{decode_jwt, import_script, lint, operation_for_http};
pub use lazy::Explainer;
