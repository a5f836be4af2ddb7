//! Lint and policy tests at scale: a generated configuration of 500 roles and 500 policies
//! (one mount), linted whole, and a 500-case test file run against it.
//!
//! The shape is deterministic: role `team-i` binds `svc-i` in namespace `team-i` and attaches
//! policy `team-i` (every tenth role also `shared`); policy `team-i` reads its team's KV v2
//! secrets, lists their metadata and denies an admin path. Every seventh policy also has a KV
//! version 1 style path and every eleventh reaches into the next team's secrets, so lint has
//! findings to make (including cross-namespace reach, the expensive rule).
//!
//! `cargo bench -p podpass-core --bench configuration`; results in docs/benchmarks.md.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // fixtures and test code: a failure should stop loudly

#[path = "../tests/core/support/mod.rs"]
mod support;

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use podpass_core::configuration::{Configuration, Origin};
use podpass_core::jwt::SigningAlgorithm;
use podpass_core::lint::lint;
use podpass_core::mint::{SigningKey, TokenSpec, mint};
use podpass_core::policy_test::{TEST_KEY_PEM, parse, run};
use podpass_core::role::Role;
use podpass_core::ttl::MountTtls;
use serde_json::json;

const TEAMS: usize = 500;

fn policy(i: usize, teams: usize) -> String {
    let mut text = format!(
        "path \"secret/data/team-{i}/*\" {{\n  capabilities = [\"read\", \"create\", \"update\"]\n}}\n\npath \"secret/metadata/team-{i}/*\" {{\n  capabilities = [\"list\"]\n}}\n\npath \"secret/data/team-{i}/admin\" {{\n  capabilities = [\"deny\"]\n}}\n"
    );
    if i.is_multiple_of(7) {
        let _ = write!(
            text,
            "\npath \"secret/team-{i}/*\" {{\n  capabilities = [\"read\"]\n}}\n"
        );
    }
    if i.is_multiple_of(11) {
        let next = (i + 1) % teams;
        let _ = write!(
            text,
            "\npath \"secret/data/team-{next}/shared\" {{\n  capabilities = [\"read\"]\n}}\n"
        );
    }
    text
}

/// `teams` roles, `teams - 1` team policies and `shared` (the last team's policy is missing: a
/// lint error).
fn configuration(teams: usize) -> Configuration {
    let mut config = Configuration::new();
    let mount = config.enable_kubernetes("kubernetes");
    mount
        .write_config(&support::body(json!({
            "kubernetes_host": "https://k8s:443",
            "pem_keys": [support::key_pem("rsa-2048.pub.pem")],
        })))
        .expect("config");
    for i in 0..teams {
        let policies = if i.is_multiple_of(10) {
            format!("team-{i},shared")
        } else {
            format!("team-{i}")
        };
        let body = support::body(json!({
            "bound_service_account_names": format!("svc-{i}"),
            "bound_service_account_namespaces": format!("team-{i}"),
            "audience": "vault",
            "token_policies": policies,
            "token_ttl": "1h",
            "token_max_ttl": "24h",
        }));
        let role = Role::write(&format!("team-{i}"), &body, None, &MountTtls::default())
            .expect("role")
            .role;
        mount.put_role(role);
    }
    for i in 0..teams {
        config.set_role_origin(
            "kubernetes",
            &format!("team-{i}"),
            Origin::new("podpass.hcl", 10 + i as u32 * 8),
        );
    }
    for i in 0..teams - 1 {
        config
            .put_policy(
                &format!("team-{i}"),
                &policy(i, teams),
                Origin::new(&format!("policies/team-{i}.hcl"), 1),
            )
            .expect("policy");
    }
    config
        .put_policy(
            "shared",
            "path \"secret/data/shared/*\" {\n  capabilities = [\"read\"]\n}\n",
            Origin::new("policies/shared.hcl", 1),
        )
        .expect("policy");
    config
}

/// One case per team: the login, its policies and TTL, one allowed and two denied requests.
/// The last team's policy is missing (`shared` took its place), so its own read is denied.
fn test_file() -> String {
    let mut text = String::from("now = \"2026-05-28T20:26:40Z\"\n");
    for i in 0..TEAMS {
        let other = (i + 2) % TEAMS;
        let policies = if i.is_multiple_of(10) {
            format!("\"default\", \"shared\", \"team-{i}\"")
        } else {
            format!("\"default\", \"team-{i}\"")
        };
        let own = format!("\"read secret/data/team-{i}/db\"");
        let (allowed, denied) = if i == TEAMS - 1 {
            (String::new(), format!("{own}, "))
        } else {
            (format!("allowed = [{own}]"), String::new())
        };
        let _ = write!(
            text,
            "\ntest \"team-{i}\" {{\n  role  = \"team-{i}\"\n  token = \"team-{i}/svc-{i}\"\n  expect {{\n    login    = \"allowed\"\n    policies = [{policies}]\n    ttl      = \"1h\"\n  }}\n  {allowed}\n  denied  = [{denied}\"read secret/data/team-{other}/db\", \"read secret/data/team-{i}/admin\"]\n}}\n"
        );
    }
    text
}

fn bench(c: &mut Criterion) {
    let config = configuration(TEAMS);
    let text = test_file();
    let tests = parse(&text).expect("test file parses");
    assert_eq!(tests.cases.len(), TEAMS);

    // One timed pass of the whole job, printed beside criterion's statistics.
    let started = Instant::now();
    let findings = lint(&config);
    let linted = started.elapsed();
    let report = run(&config, &tests, support::NOW);
    let total = started.elapsed();
    assert_eq!(
        (report.passed, report.failed),
        (TEAMS, 0),
        "{:?}",
        report.cases.iter().find(|c| !c.passed)
    );
    let reach = findings
        .iter()
        .filter(|f| f.rule == "cross-namespace-reach")
        .count();
    assert!(reach > 0 && findings.iter().any(|f| f.rule == "kv-v2-path"));
    println!(
        "one pass: lint {linted:?} ({} findings, {reach} cross-namespace), lint + {TEAMS} test cases {total:?}",
        findings.len()
    );

    let mut group = c.benchmark_group("configuration");
    group.sample_size(10);
    group.bench_function("lint_500_roles_500_policies", |b| {
        b.iter(|| lint(black_box(&config)))
    });
    group.bench_function("parse_500_test_cases", |b| {
        b.iter(|| parse(black_box(&text)))
    });
    group.bench_function("run_500_test_cases", |b| {
        b.iter(|| run(black_box(&config), black_box(&tests), support::NOW))
    });
    // Four times the roles and policies: lint should take about four times as long, not 16.
    let large = configuration(4 * TEAMS);
    group.bench_function("lint_2000_roles_2000_policies", |b| {
        b.iter(|| lint(black_box(&large)))
    });
    group.finish();

    // Why the runner signs with an ES256 key: what one signature costs, ES256 against RSA-2048.
    let mut group = c.benchmark_group("signing");
    let spec = TokenSpec::projected("team-1", "svc-1", support::NOW);
    let es256 = SigningKey::from_pem(TEST_KEY_PEM, SigningAlgorithm::ES256, None).expect("key");
    group.bench_function("mint_es256", |b| b.iter(|| mint(black_box(&spec), &es256)));
    let rs256 = support::rsa_key();
    group.bench_function("mint_rs256", |b| b.iter(|| mint(black_box(&spec), &rs256)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
