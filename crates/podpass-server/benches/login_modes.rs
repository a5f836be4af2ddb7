//! Login latency per verification mode, in process (router `oneshot`, memory storage, batch
//! tokens so that storage does not dominate): TokenReview alone, `pem_keys` and `jwks_discovery`
//! (keys cached) each with TokenReview (the default, as Vault) and with `disable_token_review`,
//! against the fake cluster of `tests/server/support` over TLS on loopback.
//!
//! `cargo bench -p podpass-server --bench login_modes`; results go to docs/benchmarks.md.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)] // a benchmark: a failure should stop loudly
#![allow(clippy::disallowed_methods, reason = "size rules are for wasm faces")]

#[path = "../tests/server/support/fake_kubernetes.rs"]
mod fake_kubernetes;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use criterion::{Criterion, criterion_group, criterion_main};
use podpass_core::mint::TokenSpec;
use podpass_server::app::App;
use podpass_server::cluster::{Cluster, ClusterOptions};
use podpass_server::server::{fixed_clock, issue_root_token, router};
use podpass_server::storage::{MemoryBackend, SealKey, Store};
use serde_json::{Value, json};
use tower::ServiceExt;

use fake_kubernetes::FakeKubernetes;

const NOW: i64 = 1_780_000_000;
const ROOT: &str = "hvs.bench-root";
const REVIEWER: &str = "bench-reviewer";

async fn call(app: &Arc<App>, path: &str, token: Option<&str>, body: &Value) -> StatusCode {
    let mut builder = Request::builder().method("POST").uri(format!("/v1/{path}"));
    if let Some(token) = token {
        builder = builder.header("X-Vault-Token", token);
    }
    let request = builder.body(Body::from(body.to_string())).unwrap();
    router(Arc::clone(app), None)
        .oneshot(request)
        .await
        .unwrap()
        .status()
}

/// One mount per mode, all on the same fake cluster and role.
async fn setup(fake: &FakeKubernetes, dir: &std::path::Path) -> Arc<App> {
    let store = Store::new(Arc::new(MemoryBackend::new()), SealKey::generate().unwrap());
    let mut app = App::load(store, fixed_clock(NOW)).unwrap();
    app.cluster = Cluster::new(ClusterOptions {
        pod_ca_path: dir.join("ca.crt"),
        pod_token_path: dir.join("token"),
        ..ClusterOptions::default()
    });
    let app = Arc::new(app);
    issue_root_token(&app, ROOT).await.unwrap();
    let base = json!({"kubernetes_host": fake.url, "kubernetes_ca_cert": fake.ca_pem,
                      "token_reviewer_jwt": REVIEWER});
    let modes = [
        ("pem-review", json!({"pem_keys": [fake.public_key_pem()]})),
        (
            "pem-only",
            json!({"pem_keys": [fake.public_key_pem()], "disable_token_review": true}),
        ),
        ("jwks-review", json!({"jwks_discovery": true})),
        (
            "jwks-only",
            json!({"jwks_discovery": true, "disable_token_review": true}),
        ),
        ("review", json!({})),
    ];
    for (mount, extra) in modes {
        let mut config = base.clone();
        for (key, value) in extra.as_object().unwrap() {
            config[key] = value.clone();
        }
        let ok = |s: StatusCode| assert!(s.is_success(), "{mount}: {s}");
        ok(call(
            &app,
            &format!("sys/auth/{mount}"),
            Some(ROOT),
            &json!({"type": "kubernetes"}),
        )
        .await);
        ok(call(&app, &format!("auth/{mount}/config"), Some(ROOT), &config).await);
        ok(call(
            &app,
            &format!("auth/{mount}/role/grade-api"),
            Some(ROOT),
            &json!({"bound_service_account_names": "grade-api-sa",
                    "bound_service_account_namespaces": "grade-api",
                    "token_policies": "grade-api", "token_type": "batch"}),
        )
        .await);
    }
    app
}

fn login_modes(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let fake = runtime.block_on(FakeKubernetes::start(REVIEWER));
    let app = runtime.block_on(setup(&fake, dir.path()));
    let jwt = fake.issue(&TokenSpec::projected("grade-api", "grade-api-sa", NOW));
    let mut group = c.benchmark_group("login");
    for mount in [
        "pem-only",
        "pem-review",
        "jwks-only",
        "jwks-review",
        "review",
    ] {
        let body = json!({"role": "grade-api", "jwt": jwt});
        let path = format!("auth/{mount}/login");
        let status = runtime.block_on(call(&app, &path, None, &body));
        assert_eq!(status, StatusCode::OK, "{mount}");
        group.bench_function(mount, |b| {
            b.iter(|| runtime.block_on(call(&app, &path, None, &body)));
        });
    }
    group.finish();
    let calls = fake.calls();
    println!(
        "fake cluster calls: {} TokenReviews, {} discovery, {} JWKS",
        calls.token_reviews, calls.discovery, calls.jwks
    );
}

criterion_group!(benches, login_modes);
criterion_main!(benches);
