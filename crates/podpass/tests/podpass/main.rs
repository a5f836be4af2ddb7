//! The binary's integration tests, one binary: the CLI's commands and `podpass serve` run as real
//! processes.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // fixtures and test code: a failure should stop loudly
#![allow(clippy::disallowed_methods, reason = "size rules are for wasm faces")]

mod cli;
mod deploy_manifests;
mod docs_examples;
mod durability;
mod hostile_http;
// The throwaway PostgreSQL cluster, shared with the server's own tests.
#[path = "../../../podpass-server/tests/server/support/postgres.rs"]
mod postgres;
mod process;
mod replicas;
mod serve_operations;
