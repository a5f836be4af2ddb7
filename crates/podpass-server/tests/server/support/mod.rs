//! Test support shared by the server's integration tests.
// Each test binary uses part of it.
#![allow(dead_code)]

pub mod demo;
pub mod fake_kubernetes;
pub mod logs;
pub mod postgres;
pub mod router;
