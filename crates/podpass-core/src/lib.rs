//! # podpass-core
//!
//! The podpass engine: decides what HashiCorp Vault's Kubernetes auth method and ACL policies
//! would decide, and explains every step. Pure Rust with no I/O and no clock: callers pass the
//! current time, namespace labels and TokenReview responses in, so the same engine runs natively,
//! in wasm32 and at the edge.
//!
//! The entry points are re-exported here; the modules hold the rest of each concept:
//! - [`Configuration`]: mounts, roles and policies read from any of the three forms
//!   ([`SourceFormat`]) with [`Configuration::import`], written back with
//!   [`Configuration::export`].
//! - [`AuthConfig`], [`Role`] and [`KubernetesMount`]: Vault's `auth/<mount>/config` and
//!   `auth/<mount>/role/<name>` with Vault's write-time validation and read representation.
//! - [`decode_jwt`]: a service-account JWT decoded for display; [`keys`] verifies signatures.
//! - [`evaluate_login`]: Vault's login decision, with a [`Trace`] of every check;
//!   [`host_signature`] lets a host (WebCrypto) verify the signature and the core do the rest.
//! - [`Policy`] and [`Acl`]: Vault ACL policies, compiled once and asked many times; an
//!   [`AclCache`] keeps compiled ACLs between requests.
//! - [`lint()`] and [`policy_test`]: a configuration's risky or broken roles and policies, and
//!   `opa test`-style tests of what logins get and what their tokens may do.
//! - [`Diagnostic`]: what podpass says about a text it read (parse errors, `fmt` refusals, lint
//!   findings) as one model with resolved places, one line index, and one JSON shape.
//!
//! Cargo features: `demo` adds the `demo` module: the Vault tutorial's scenario and the throwaway key
//! its tokens are signed with (for `podpass dev --demo` and the playground); `typescript`
//! derives TypeScript declarations of the types the wasm package hands to JavaScript.
//!
//! The functions of the modules a login runs through are `#[inline]`, so that the wasm package
//! compiles the login path at its own opt-level (docs/architecture.md).

pub mod acl;
pub mod auth_config;
pub mod cidr;
pub mod claims;
pub mod configuration;
#[cfg(feature = "demo")]
pub mod demo;
pub mod diagnostic;
pub mod duration;
pub mod fields;
mod glob;
mod hcl_read;
pub mod host_signature;
pub mod identity;
pub mod jwt;
pub mod keys;
#[cfg(feature = "lint")]
pub mod lint;
pub mod login;
#[cfg(feature = "mint")]
pub mod mint;
pub mod mount;
pub mod names;
mod nesting;
mod order;
#[cfg(feature = "playground-link")]
pub mod playground_link;
pub mod policy;
#[cfg(feature = "policy-tests")]
pub mod policy_test;
pub mod role;
pub mod selector;
pub mod timestamp;
pub mod token_review;
pub mod trace;
pub mod ttl;
#[cfg(all(target_arch = "wasm32", feature = "rust-crypto"))]
mod wasm_crypto;

pub use acl::{Acl, AclCache, Decision, Operation};
pub use auth_config::AuthConfig;
pub use configuration::{Configuration, ImportError, Imported, SourceFormat};
pub use diagnostic::{Diagnostic, Severity};
pub use jwt::{DecodedJwt, decode as decode_jwt};
#[cfg(feature = "lint")]
pub use lint::{Finding, lint};
pub use login::{LoginOutcome, LoginRequest, LoginResult, evaluate_login};
pub use mount::KubernetesMount;
pub use policy::{Capability, Policy, PolicyError};
pub use role::Role;
pub use trace::{Check, CheckId, Trace, TraceMode};
