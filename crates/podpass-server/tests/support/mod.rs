//! Test support shared by the server's integration tests.

pub mod fake_kubernetes;
