//! The server's integration tests, one binary: the router in process, the listener, the cluster
//! client against a fake Kubernetes API.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // fixtures and test code: a failure should stop loudly
#![allow(clippy::disallowed_methods, reason = "size rules are for wasm faces")]

mod support;

mod api;
mod audit;
mod cluster;
mod explain;
mod kv;
mod metrics;
mod parity;
mod request_limits;
mod storage;
mod tls;
mod tokens;
