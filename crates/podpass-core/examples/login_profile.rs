//! Runs N logins (or N bare jsonwebtoken verifications) of the tutorial's RS256 token, for
//! instruction counting under `valgrind --tool=callgrind` (scripts/bench.sh): unlike wall time,
//! instruction counts do not move when the machine is busy.
//!
//! `cargo run --release -p podpass-core --example login_profile -- <podpass|jsonwebtoken> <N>`
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // a measuring tool over fixtures

#[path = "../tests/core/support/mod.rs"]
mod support;

use std::hint::black_box;

use podpass_core::login::{LoginRequest, evaluate_login};

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "podpass".into());
    let iterations: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(300);
    let mount = support::tutorial_mount();
    let jwt = support::token("grade-api", "grade-api-sa");
    let request = LoginRequest {
        role: "grade-api".into(),
        jwt: jwt.clone(),
        now: support::NOW,
        ..Default::default()
    };
    let public = support::key_pem("rsa-2048.pub.pem");
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(public.as_bytes()).expect("key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    for _ in 0..iterations {
        match mode.as_str() {
            "jsonwebtoken" => {
                black_box(
                    jsonwebtoken::decode::<serde_json::Value>(black_box(&jwt), &key, &validation)
                        .is_ok(),
                );
            }
            _ => {
                black_box(evaluate_login(black_box(&mount), black_box(&request)));
            }
        }
    }
}
