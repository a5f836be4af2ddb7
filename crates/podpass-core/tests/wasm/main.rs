//! The core under wasm32 (Node, or headless Chromium with WASM_BINDGEN_USE_BROWSER=1):
//! `cargo test -p podpass-core --target wasm32-unknown-unknown --test wasm`.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // fixtures and test code: a failure should stop loudly
#![allow(clippy::disallowed_methods, reason = "size rules are for wasm faces")]

mod checks;
mod logins;
