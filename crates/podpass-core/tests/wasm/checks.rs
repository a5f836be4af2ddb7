//! Lint and policy tests under wasm32 (the playground's engine): the tutorial's findings, and
//! its test file passing with tokens signed by the runner through the RustCrypto backend.
//! `cargo test -p podpass-core --target wasm32-unknown-unknown --test wasm`.
#![cfg(target_arch = "wasm32")]

use podpass_core::configuration::{Configuration, NoFiles, Origin};
use podpass_core::lint::{Severity, lint};
use podpass_core::policy_test::{parse, run};
use wasm_bindgen_test::wasm_bindgen_test;

const RSA_PUB: &str = include_str!("../../../../tests/fixtures/keys/rsa-2048.pub.pem");
const POLICIES: [(&str, &str); 3] = [
    (
        "grade-api",
        include_str!("../../../../tests/fixtures/tutorial/policies/grade-api.hcl"),
    ),
    (
        "payment-api",
        include_str!("../../../../tests/fixtures/tutorial/policies/payment-api.hcl"),
    ),
    (
        "shared-reader",
        include_str!("../../../../tests/fixtures/tutorial/policies/shared-reader.hcl"),
    ),
];
const TESTS: &str = include_str!("../../../../tests/fixtures/tutorial/tutorial.test.hcl");

/// The tutorial's roles as vault commands (no file references: the playground has no files).
fn tutorial() -> Configuration {
    let mut commands = String::from("vault auth enable kubernetes\n");
    commands.push_str(&format!(
        "vault write auth/kubernetes/config kubernetes_host=https://kubernetes.default.svc:443 pem_keys='{RSA_PUB}'\n"
    ));
    for (role, names, namespaces, policy, ttl) in [
        ("grade-api", "grade-api-sa", "grade-api", "grade-api", "1h"),
        ("payment-api", "payment-sa", "payment", "payment-api", "1h"),
        (
            "shared-reader",
            "grade-api-sa,analytics-sa",
            "grade-api,analytics",
            "shared-reader",
            "1h",
        ),
        ("namespace-wide", "'*'", "grade-api", "grade-api", "1h"),
        ("any-ns", "vault-reader", "'*'", "shared-reader", "30m"),
    ] {
        commands.push_str(&format!(
            "vault write auth/kubernetes/role/{role} bound_service_account_names={names} bound_service_account_namespaces={namespaces} policies={policy} ttl={ttl}\n"
        ));
    }
    let mut config = Configuration::import(&commands, "setup.sh", None, &NoFiles)
        .expect("imports")
        .configuration;
    for (name, text) in POLICIES {
        config
            .put_policy(name, text, Origin::new(&format!("{name}.hcl"), 1))
            .expect("policy");
    }
    config
}

#[wasm_bindgen_test]
fn lint_finds_the_tutorials_warnings() {
    let findings = lint(&tutorial());
    assert_eq!(findings.len(), 13);
    assert!(findings.iter().all(|f| f.severity == Severity::Warning));
    assert!(findings.iter().any(|f| f.rule == "cross-namespace-reach"));
}

#[wasm_bindgen_test]
fn the_tutorial_test_file_passes() {
    let tests = parse(TESTS).expect("parses");
    let report = run(&tutorial(), &tests, 0);
    assert_eq!(
        (report.passed, report.failed),
        (tests.cases.len(), 0),
        "{report:?}"
    );
}
