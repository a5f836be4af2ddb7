//! Evaluates the tutorial scenario (tests/fixtures/tutorial) offline and prints each login's
//! outcome with its check-by-check explanation: `cargo run -p podpass-core --example tutorial`.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // fixtures and test code: a failure should stop loudly

#[path = "../tests/core/support/mod.rs"]
mod support;

use std::time::{SystemTime, UNIX_EPOCH};

use podpass_core::login::{LoginOutcome, LoginRequest, evaluate_login};
use podpass_core::mint::TokenSpec;

fn main() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    let mount = support::tutorial_mount();
    let expired = TokenSpec {
        ttl_seconds: 600,
        ..TokenSpec::projected("grade-api", "grade-api-sa", now - 3600)
    };
    let cases = [
        (
            "grade-api",
            TokenSpec::projected("grade-api", "grade-api-sa", now - 60),
            "the tutorial's login",
        ),
        (
            "grade-api",
            TokenSpec::projected("payment", "payment-sa", now - 60),
            "payment's token on grade-api's role",
        ),
        (
            "grade-api",
            TokenSpec::projected("payment", "grade-api-sa", now - 60),
            "right name, wrong namespace",
        ),
        ("grade-api", expired, "an expired token"),
        (
            "any-ns",
            TokenSpec::projected("team-z", "vault-reader", now - 60),
            "a wildcard-namespace role",
        ),
    ];
    for (role, spec, title) in cases {
        let jwt = support::sign(&spec);
        let result = evaluate_login(
            &mount,
            &LoginRequest {
                role: role.into(),
                jwt,
                now,
                ..Default::default()
            },
        );
        println!(
            "== {title}: role {role}, token for {}/{}",
            spec.namespace, spec.service_account
        );
        match &result.outcome {
            LoginOutcome::Allowed(success) => println!(
                "ALLOWED  policies [{}], ttl {}s, alias {}",
                success.policies.join(", "),
                success.lease_duration,
                success.alias().map(|a| a.name.as_str()).unwrap_or_default()
            ),
            LoginOutcome::Denied(denial) => {
                println!("DENIED   {} {}", denial.status, denial.message)
            }
        }
        println!("{}", result.trace);
    }
}
