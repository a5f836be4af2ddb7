//! Policy tests: the tutorial's test file passes, and failures say what differed and why.

use crate::support;

use podpass_core::configuration::{Configuration, Origin};
use podpass_core::login::LoginRequest;
use podpass_core::policy_test::{
    Mismatch, TestReport, Tester, TokenClaims, TokenInput, parse, run,
};
use serde_json::json;

fn tutorial() -> Configuration {
    let dir = support::fixtures().join("tutorial");
    let mut config = Configuration::new();
    config.insert_mount(support::tutorial_mount());
    for name in ["grade-api", "payment-api", "shared-reader"] {
        let path = dir.join("policies").join(format!("{name}.hcl"));
        config
            .put_policy(
                name,
                &support::read(&path),
                Origin::new(&format!("{name}.hcl"), 1),
            )
            .expect("tutorial policy parses");
    }
    config
}

fn run_text(config: &Configuration, text: &str) -> TestReport {
    let tests = parse(text).unwrap_or_else(|e| panic!("{e}"));
    run(config, &tests, support::NOW)
}

fn failures(report: &TestReport) -> Vec<&Mismatch> {
    report.cases.iter().flat_map(|c| &c.failures).collect()
}

#[test]
fn the_tutorial_test_file_passes() {
    let text = support::read(&support::fixtures().join("tutorial/tutorial.test.hcl"));
    let tests = parse(&text).expect("parses");
    assert_eq!(tests.config.as_deref(), Some("setup.sh"));
    // The file pins its clock; the caller's `now` is ignored.
    let report = run(&tutorial(), &tests, 0);
    for case in &report.cases {
        for f in &case.failures {
            println!("{}: {f}", case.name);
        }
    }
    assert_eq!((report.passed, report.failed), (tests.cases.len(), 0));
    assert_eq!(report.now, support::NOW);
    assert!(report.cases.iter().all(|c| c.trace.is_none()));
}

#[test]
fn a_failed_login_reports_expected_actual_and_the_trace() {
    let report = run_text(
        &tutorial(),
        r#"
test "wrong namespace expected to pass" {
  role  = "grade-api"
  token = "payment/grade-api-sa"
  expect {
    login    = "allowed"
    policies = ["default", "grade-api"]
  }
}
"#,
    );
    assert_eq!((report.passed, report.failed), (0, 1));
    let case = &report.cases[0];
    assert_eq!(case.line, 2);
    assert_eq!(case.failures.len(), 1, "{:#?}", case.failures);
    let f = &case.failures[0];
    assert_eq!((f.line, f.what.as_str()), (5, "login"));
    assert_eq!(f.expected, "allowed");
    assert_eq!(f.actual, "denied: 403 namespace not authorized");
    assert_eq!(
        f.detail.as_deref(),
        Some("namespace check: namespace `payment` is not in [grade-api]")
    );
    let trace = case.trace.as_ref().expect("the trace of a failed case");
    assert!(trace.to_string().contains("✗ namespace"));
}

#[test]
fn each_expectation_is_compared() {
    let report = run_text(
        &tutorial(),
        r#"
test "everything wrong" {
  role  = "grade-api"
  token = "grade-api/grade-api-sa"
  expect {
    login      = "allowed"
    policies   = ["grade-api"]
    ttl        = "2h"
    max_ttl    = "1h"
    token_type = "batch"
    metadata   = { role = "payment-api", nope = "x" }
    alias      = "grade-api/grade-api-sa"
  }
  allowed = ["update secret/data/grade-api/db"]
  denied  = ["read secret/data/grade-api/db"]
  request {
    operation = "read"
    path      = "secret/data/grade-api/db"
    allowed   = true
    reason    = "from policy payment-api"
    outcome   = "root"
    rule      = "secret/data/*"
    policy    = "payment-api"
  }
  capabilities = { "secret/data/grade-api/db" = ["list", "read"] }
}
"#,
    );
    let got: Vec<(u32, &str, &str, &str)> = failures(&report)
        .iter()
        .map(|f| {
            (
                f.line,
                f.what.as_str(),
                f.expected.as_str(),
                f.actual.as_str(),
            )
        })
        .collect();
    let uid = podpass_core::mint::service_account_uid("grade-api", "grade-api-sa");
    let uid = format!("{uid:?}");
    assert_eq!(
        got,
        [
            (5, "policies", "[grade-api]", "[default, grade-api]"),
            (5, "ttl", "7200s (2h)", "3600s (1h)"),
            (5, "max_ttl", "3600s (1h)", "2764800s (768h)"),
            (5, "token_type", "batch", "service"),
            (5, "metadata nope", "\"x\"", "nothing"),
            (5, "metadata role", "\"payment-api\"", "\"grade-api\""),
            (5, "alias", "\"grade-api/grade-api-sa\"", uid.as_str()),
            (14, "update secret/data/grade-api/db", "allowed", "denied"),
            (15, "read secret/data/grade-api/db", "denied", "allowed"),
            (
                16,
                "read secret/data/grade-api/db: reason",
                "text containing \"from policy payment-api\"",
                "\"rule \\\"secret/data/grade-api/*\\\" from policy grade-api (line 2) grants [read]\""
            ),
            (
                16,
                "read secret/data/grade-api/db: outcome",
                "root",
                "granted"
            ),
            (
                16,
                "read secret/data/grade-api/db: rule",
                "\"secret/data/*\"",
                "\"secret/data/grade-api/*\""
            ),
            (
                16,
                "read secret/data/grade-api/db: policy",
                "payment-api",
                "[grade-api]"
            ),
            (
                25,
                "capabilities of secret/data/grade-api/db",
                "[list, read]",
                "[read]"
            ),
        ]
    );
    let update = failures(&report)[7];
    assert_eq!(
        update.detail.as_deref(),
        Some(
            "rule \"secret/data/grade-api/*\" from policy grade-api (line 2) grants [read], not update"
        )
    );
}

#[test]
fn denials_compare_status_message_check_and_reason() {
    let report = run_text(
        &tutorial(),
        r#"
test "denied, but not like that" {
  role  = "grade-api"
  token = "payment/payment-sa"
  expect {
    login   = "denied"
    status  = 400
    message = "namespace not authorized"
    check   = "namespace"
    reason  = "is not in [payment]"
  }
}
"#,
    );
    let got: Vec<&str> = failures(&report).iter().map(|f| f.what.as_str()).collect();
    assert_eq!(got, ["status", "message", "failed check", "reason"]);
    assert_eq!(failures(&report)[2].actual, "service_account_name");
}

#[test]
fn a_login_that_was_needed_but_denied() {
    let report = run_text(
        &tutorial(),
        "test \"t\" {\n  role = \"grade-api\"\n  token = \"payment/payment-sa\"\n  allowed = [\"read secret/data/grade-api/x\"]\n}\n",
    );
    let f = failures(&report);
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].actual,
        "denied: 403 service account name not authorized"
    );
    assert!(f[0].expected.starts_with("allowed"));
}

#[test]
fn literal_jwts_use_the_mounts_own_keys() {
    let good = support::token("grade-api", "grade-api-sa");
    let other = podpass_core::mint::mint(
        &support::spec("grade-api", "grade-api-sa"),
        &podpass_core::mint::SigningKey::from_pem(
            &support::key_pem("other-rsa-2048.key.pem"),
            podpass_core::jwt::SigningAlgorithm::RS256,
            None,
        )
        .unwrap(),
    )
    .unwrap();
    let report = run_text(
        &tutorial(),
        &format!(
            r#"
test "signed by the cluster" {{
  role = "grade-api"
  token {{
    jwt = "{good}"
  }}
  expect {{
    login = "allowed"
  }}
}}
test "signed by someone else" {{
  role = "grade-api"
  token {{
    jwt = "{other}"
  }}
  expect {{
    login   = "denied"
    message = "permission denied"
    check   = "signature"
  }}
}}
"#
        ),
    );
    assert_eq!(
        (report.passed, report.failed),
        (2, 0),
        "{:#?}",
        failures(&report)
    );
}

#[test]
fn the_test_key_is_trusted_only_by_the_runner() {
    let config = tutorial();
    let tester = Tester::new(&config);
    let claims = TokenClaims {
        namespace: "grade-api".into(),
        service_account: "grade-api-sa".into(),
        ..TokenClaims::default()
    };
    let request = LoginRequest {
        role: "grade-api".into(),
        now: support::NOW,
        ..LoginRequest::default()
    };
    let through_runner = tester
        .login(
            "kubernetes",
            &request,
            &TokenInput::Claims(Box::new(claims.clone())),
        )
        .expect("login");
    assert!(through_runner.success().is_some());
    let signature = through_runner.trace.checks()[2].reason.to_string();
    assert!(signature.contains("kid podpass-test-key"), "{signature}");

    // The configuration itself does not trust the test key.
    let jwt = tester
        .mint("kubernetes", "grade-api", &claims, support::NOW)
        .unwrap();
    let direct = config
        .login(
            "kubernetes",
            &LoginRequest {
                jwt,
                ..request.clone()
            },
        )
        .unwrap();
    assert_eq!(
        direct.denial().map(|d| d.message.as_str()),
        Some("permission denied")
    );

    // An unknown mount is an error, not a denial.
    let err = tester
        .login("nope", &request, &TokenInput::Claims(Box::new(claims)))
        .unwrap_err();
    assert_eq!(
        err,
        "no Kubernetes auth mount at auth/nope/ (mounts: [kubernetes])"
    );
}

/// A mount with an issuer to validate, a role with an audience, and no policies.
fn strict_config(with_keys: bool) -> Configuration {
    let mut config = Configuration::new();
    let mount = config.enable_kubernetes("k8s");
    let mut body = json!({
        "kubernetes_host": "https://k8s:443",
        "issuer": "https://oidc.example/cluster",
        "disable_iss_validation": false,
    });
    if with_keys {
        body["pem_keys"] = json!([support::key_pem("ec-p256.pub.pem")]);
    }
    mount.write_config(&support::body(body)).expect("config");
    let role = podpass_core::role::Role::write(
        "app",
        &support::body(json!({
            "bound_service_account_names": "app",
            "bound_service_account_namespaces": "apps",
            "audience": "vault",
            "token_ttl": "10m",
        })),
        None,
        &podpass_core::ttl::MountTtls::default(),
    )
    .expect("role")
    .role;
    mount.put_role(role);
    config
}

#[test]
fn described_tokens_default_to_the_configured_issuer_and_the_roles_audience() {
    let text = r#"
test "defaults fit" {
  role  = "app"
  token = "apps/app"
  expect {
    login = "allowed"
    ttl   = 600
  }
}
test "no audience" {
  role = "app"
  token {
    namespace       = "apps"
    service_account = "app"
    audiences       = []
  }
  expect {
    login = "denied"
    check = "audience"
  }
}
test "another issuer" {
  role = "app"
  token {
    namespace       = "apps"
    service_account = "app"
    issuer          = "https://evil.example"
  }
  expect {
    login = "denied"
    check = "issuer"
  }
}
test "legacy token" {
  role = "app"
  token {
    namespace       = "apps"
    service_account = "app"
    legacy          = true
  }
  expect {
    login = "allowed"
  }
}
test "odd claims" {
  role = "app"
  token {
    namespace       = "apps"
    service_account = "app"
    claims          = { exp = "tomorrow", nbf = null }
  }
  expect {
    login   = "denied"
    message = "invalid claims: claim \"exp\" must be a number (seconds since the epoch), got a string"
  }
}
test "not yet valid" {
  role = "app"
  token {
    namespace       = "apps"
    service_account = "app"
    issued          = "5m"
  }
  expect {
    login = "denied"
    check = "not_before"
  }
}
"#;
    for with_keys in [true, false] {
        let report = run_text(&strict_config(with_keys), text);
        // The configuration's only mount is used; without keys Vault skips the signature.
        assert_eq!(
            (report.passed, report.failed),
            (6, 0),
            "with_keys={with_keys}: {:#?}",
            failures(&report)
        );
    }
}

#[test]
fn parameters_wrapping_and_sudo() {
    let mut config = tutorial();
    config
        .put_policy(
            "writer",
            r#"path "secret/data/app/*" {
  capabilities = ["create", "update"]
  allowed_parameters = {
    "data" = []
  }
  denied_parameters = {
    "options" = []
  }
}
path "sys/audit" {
  capabilities = ["read"]
}
path "sys/wrapped" {
  capabilities = ["read"]
  min_wrapping_ttl = "1m"
}
"#,
            Origin::new("writer.hcl", 1),
        )
        .unwrap();
    let report = run_text(
        &config,
        r#"
test "writer" {
  policies = ["writer"]
  request {
    operation  = "create"
    path       = "secret/data/app/db"
    parameters = { data = { password = "s3cret" } }
    allowed    = true
  }
  request {
    operation  = "create"
    path       = "secret/data/app/db"
    parameters = { data = {}, options = { cas = 0 } }
    allowed    = false
    outcome    = "parameter_denied"
  }
  request {
    operation = "read"
    path      = "sys/audit"
    sudo      = true
    allowed   = false
    outcome   = "sudo_required"
  }
  request {
    operation = "read"
    path      = "sys/wrapped"
    wrap_ttl  = "5m"
    allowed   = true
  }
  request {
    operation = "read"
    path      = "sys/wrapped"
    allowed   = false
    outcome   = "wrapping_required"
  }
}
test "undefined policies are reported" {
  policies = ["writer", "nope"]
  allowed  = ["read sys/audit"]
}
"#,
    );
    assert_eq!(report.cases[0].failures, Vec::<Mismatch>::new());
    assert_eq!(report.cases[1].failures.len(), 1);
    assert_eq!(report.cases[1].failures[0].actual, "not defined: [nope]");
}

#[test]
fn an_unknown_mount_fails_the_case() {
    let report = run_text(
        &tutorial(),
        "mount = \"k8s-prod\"\ntest \"t\" {\n  role = \"grade-api\"\n  token = \"a/b\"\n  expect {\n    login = \"denied\"\n  }\n}\n",
    );
    let f = failures(&report);
    assert_eq!(f.len(), 1);
    assert!(
        f[0].actual
            .starts_with("error: no Kubernetes auth mount at auth/k8s-prod/"),
        "{}",
        f[0].actual
    );
}

#[test]
fn reports_serialize() {
    let report = run_text(
        &tutorial(),
        "test \"t\" {\n  role = \"grade-api\"\n  token = \"payment/grade-api-sa\"\n  expect {\n    login = \"allowed\"\n  }\n}\n",
    );
    let value = serde_json::to_value(&report).unwrap();
    assert_eq!(value["failed"], 1);
    assert_eq!(value["cases"][0]["failures"][0]["what"], "login");
    assert_eq!(value["cases"][0]["trace"][10]["id"], "namespace");
    assert_eq!(value["cases"][0]["trace"][10]["status"], "failed");
}
