//! # podpass-core
//!
//! The podpass engine: decides what HashiCorp Vault's Kubernetes auth method and ACL policies
//! would decide, and explains every step. Pure Rust with no I/O and no clock: callers pass the
//! current time, namespace labels and TokenReview responses in, so the same engine runs natively,
//! in wasm32 and at the edge.
//!
//! The main entry points:
//! - [`config::AuthConfig`] and [`role::Role`]: Vault's `auth/<mount>/config` and
//!   `auth/<mount>/role/<name>` with Vault's write-time validation and read representation.
//! - [`jwt`]: decode a service-account JWT for display, or verify it against [`keys::KeySet`].
//! - [`login::evaluate_login`]: Vault's login decision, with a [`trace::Trace`] of every check;
//!   [`host_signature`] lets a host (WebCrypto) verify the signature and the core do the rest.
//! - [`policy`] and [`acl`]: Vault ACL policies, compiled once and queried many times.
//! - [`lint`] and [`policy_test`]: a configuration's risky or broken roles and policies, and
//!   `opa test`-style tests of what logins get and what their tokens may do.
//! - [`diagnostic`]: what podpass says about a text it read (parse errors, `fmt` refusals, lint
//!   findings) as one model with resolved places, one line index, and one JSON shape.

pub mod acl;
pub mod cidr;
pub mod claims;
pub mod config;
pub mod configuration;
#[cfg(feature = "demo")]
pub mod demo;
pub mod diagnostic;
pub mod duration;
pub mod fields;
pub mod glob;
mod hcl_read;
pub mod host_signature;
pub mod identity;
pub mod jwt;
pub mod keys;
pub mod lint;
pub mod login;
pub mod mint;
pub mod mount;
pub mod playground_link;
pub mod policy;
pub mod policy_test;
pub mod role;
pub mod selector;
pub mod timestamp;
pub mod token_review;
pub mod trace;
pub mod ttl;
