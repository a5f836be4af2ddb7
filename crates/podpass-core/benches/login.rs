//! Full offline login evaluation of an RS256 projected token against the tutorial config, next
//! to a bare jsonwebtoken RS256 decode+verify of the same token, in one run.
//! `cargo bench -p podpass-core --bench login`; results in docs/benchmarks.md.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // fixtures and test code: a failure should stop loudly

#[path = "../tests/core/support/mod.rs"]
mod support;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use podpass_core::login::{LoginRequest, evaluate_login};

fn login(c: &mut Criterion) {
    let mount = support::tutorial_mount();
    let jwt = support::token("grade-api", "grade-api-sa");
    let request = LoginRequest {
        role: "grade-api".into(),
        jwt: jwt.clone(),
        now: support::NOW,
        ..Default::default()
    };
    assert!(
        evaluate_login(&mount, &request).success().is_some(),
        "the benchmark login must succeed"
    );

    let public = support::key_pem("rsa-2048.pub.pem");
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(public.as_bytes()).expect("key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    assert!(jsonwebtoken::decode::<serde_json::Value>(&jwt, &key, &validation).is_ok());

    let mut group = c.benchmark_group("login");
    group.bench_function("podpass_full_login_rs256", |b| {
        b.iter(|| evaluate_login(black_box(&mount), black_box(&request)))
    });
    group.bench_function("jsonwebtoken_decode_verify_rs256", |b| {
        b.iter(|| jsonwebtoken::decode::<serde_json::Value>(black_box(&jwt), &key, &validation))
    });
    group.finish();
}

criterion_group!(benches, login);
criterion_main!(benches);
