//! # podpass-web
//!
//! The podpass playground: paste a configuration (the tutorial's `vault` commands, podpass.hcl
//! or Vault API JSON), a service-account token and a path, and see what Vault would decide —
//! the decoded token with its signature and expiry status, the login's outcome with every check,
//! the issued policies and TTL, and the rule that allows or denies the path.
//!
//! Everything is evaluated in the page by [`podpass_core`]; nothing is sent anywhere. The logic
//! (state, share links, presets, minting, evaluation, formatting) is plain Rust, tested
//! natively; the Yew user interface in `ui` is compiled for the browser only.

pub mod evaluate;
pub mod format;
pub mod minting;
pub mod presets;
pub mod share;
pub mod signatures;
pub mod state;

#[cfg(target_arch = "wasm32")]
pub mod ui;
