//! The core's integration tests, one binary: each module drives the public API the way a face does.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // fixtures and test code: a failure should stop loudly
#![allow(clippy::disallowed_methods, reason = "size rules are for wasm faces")]

mod support;

mod acl_decisions;
mod acl_garbage;
mod acl_policy_parse;
mod acl_templates;
mod configuration_commands;
mod configuration_errors;
mod configuration_forms;
mod default_mount;
mod diagnostics;
mod lint;
mod login;
mod login_acl;
mod policy_test;
mod properties;
mod role_api;
mod time_checks;
