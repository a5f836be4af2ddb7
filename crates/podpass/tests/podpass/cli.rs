//! The built `podpass` binary against the tutorial fixtures: every subcommand, its output, its
//! failures and its exit codes (0 ok, 1 check/test/lint failure, 2 usage or input error).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tutorial(file: &str) -> String {
    root()
        .join("tests/fixtures/tutorial")
        .join(file)
        .display()
        .to_string()
}

fn key(file: &str) -> String {
    root()
        .join("tests/fixtures/keys")
        .join(file)
        .display()
        .to_string()
}

/// A fresh, empty directory for one test, under cargo's target/tmp (not the system /tmp).
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn podpass_in(dir: Option<&Path>, args: &[&str], stdin: Option<&str>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_podpass"));
    command
        .args(args)
        .env_remove("CLICOLOR_FORCE")
        .env("NO_COLOR", "1");
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let output: Output = if let Some(input) = stdin {
        use std::io::Write;
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    } else {
        command.output().unwrap()
    };
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn podpass(args: &[&str]) -> Run {
    podpass_in(None, args, None)
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", run.stdout, run.stderr))
}

// --- help and usage

#[test]
fn help_lists_subcommands_examples_and_exit_codes() {
    let run = podpass(&["--help"]);
    assert_eq!(run.code, 0);
    for word in [
        "check",
        "capabilities",
        "lint",
        "test",
        "fmt",
        "import",
        "export",
        "token",
        "Exit codes:",
        "2  usage or input error",
    ] {
        assert!(
            run.stdout.contains(word),
            "--help lacks {word}:\n{}",
            run.stdout
        );
    }
    let check = podpass(&["check", "--help"]);
    assert_eq!(check.code, 0);
    assert!(check.stdout.contains("Examples:"));
    assert!(check.stdout.contains("--claims grade-api/grade-api-sa"));
    assert!(
        podpass(&["token", "mint", "--help"])
            .stdout
            .contains("--generate-key keys/sa")
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(podpass(&[]).code, 2);
    assert_eq!(podpass(&["frobnicate"]).code, 2);
    let run = podpass(&["check", &tutorial("setup.sh")]);
    assert_eq!(run.code, 2, "--role is required");
    let run = podpass(&["check", &tutorial("setup.sh"), "--role", "grade-api"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("which token?"), "{}", run.stderr);
    let run = podpass(&[
        "check",
        &tutorial("setup.sh"),
        "--role",
        "r",
        "--claims",
        "nope",
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("NAMESPACE/SERVICE_ACCOUNT"));
    let run = podpass(&[
        "check",
        &tutorial("setup.sh"),
        "--role",
        "r",
        "--claims",
        "a/b",
        "--jwt",
        "x",
    ]);
    assert_eq!(run.code, 2, "--claims and --jwt conflict");
}

#[test]
fn a_script_without_vault_commands_is_an_input_error() {
    let dir = scratch("no-vault-commands");
    std::fs::write(dir.join("setup.sh"), "echo hello\nkubectl get pods\n").unwrap();
    let run = podpass_in(
        Some(&dir),
        &["lint", "setup.sh", "--from", "commands"],
        None,
    );
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("error[configuration/import]: no `vault` command in this file"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("\n --> setup.sh:1:1\n"),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains("0 errors"), "{}", run.stdout);
    // Comments alone (an exported empty configuration) are an empty configuration, not an error.
    std::fs::write(dir.join("empty.sh"), "# nothing yet\n").unwrap();
    let run = podpass_in(
        Some(&dir),
        &["lint", "empty.sh", "--from", "commands"],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}

// --- check

#[test]
fn check_explains_an_allowed_login_and_its_requests() {
    let run = podpass(&[
        "check",
        &tutorial("setup.sh"),
        "--role",
        "grade-api",
        "--claims",
        "grade-api/grade-api-sa",
        "--path",
        "secret/data/grade-api/db",
        "--path",
        "secret/metadata/grade-api/",
        "--operation",
        "list",
    ]);
    assert_eq!(
        run.code, 1,
        "read access was checked as list:\n{}",
        run.stdout
    );
    let run = podpass(&[
        "check",
        &tutorial("setup.sh"),
        "--role",
        "grade-api",
        "--claims",
        "grade-api/grade-api-sa",
        "--path",
        "secret/data/grade-api/db",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("ALLOWED  policies [default, grade-api], ttl 1h"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("✓ namespace             namespace `grade-api` is in [grade-api]")
    );
    assert!(run.stdout.contains("kid podpass-test-key"));
    assert!(run.stdout.contains(
        "allowed  read secret/data/grade-api/db: rule \"secret/data/grade-api/*\" from policy grade-api (line 2) grants [read]"
    ));
    // The winning rule's file and line.
    assert!(
        run.stdout.contains("policies/grade-api.hcl:2"),
        "{}",
        run.stdout
    );
}

#[test]
fn check_fails_with_exit_1_on_a_denied_login() {
    let run = podpass(&[
        "check",
        &tutorial("setup.sh"),
        "--role",
        "grade-api",
        "--claims",
        "payment/grade-api-sa",
        "--path",
        "secret/data/grade-api/db",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("DENIED   403 namespace not authorized"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("✗ namespace             namespace `payment` is not in [grade-api]")
    );
    assert!(run.stdout.contains("– token review          not reached"));
    assert!(run.stdout.contains("no token was issued"));
}

#[test]
fn check_fails_with_exit_1_on_a_denied_request_and_gives_the_kv2_hint() {
    let dir = scratch("kv1");
    std::fs::write(
        dir.join("setup.sh"),
        format!(
            "vault auth enable kubernetes\nvault write auth/kubernetes/config kubernetes_host=https://k8s:443 pem_keys=@{}\nvault policy write app - <<EOT\npath \"secret/app/*\" {{\n  capabilities = [\"read\"]\n}}\nEOT\nvault write auth/kubernetes/role/app bound_service_account_names=app bound_service_account_namespaces=apps policies=app ttl=1h\n",
            key("rsa-2048.pub.pem")
        ),
    )
    .unwrap();
    let run = podpass_in(
        Some(&dir),
        &[
            "check",
            "setup.sh",
            "--role",
            "app",
            "--claims",
            "apps/app",
            "--path",
            "secret/data/app/db",
        ],
        None,
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("denied   read secret/data/app/db: no rule matches"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("hint: rule \"secret/app/*\""),
        "{}",
        run.stdout
    );
}

#[test]
fn check_json_carries_the_login_and_the_decisions() {
    let run = podpass(&[
        "check",
        &tutorial("setup.sh"),
        "--role",
        "grade-api",
        "--claims",
        "grade-api/grade-api-sa",
        "--path",
        "secret/data/payment/db",
        "--json",
    ]);
    assert_eq!(run.code, 1);
    let value = json(&run);
    assert_eq!(value["login"]["outcome"]["result"], "allowed");
    assert_eq!(value["login"]["outcome"]["lease_duration"], 3600);
    assert_eq!(value["requests"][0]["allowed"], false);
    assert_eq!(
        value["requests"][0]["explanation"]["outcome"]["kind"],
        "no_match"
    );
    assert_eq!(value["ok"], false);
}

#[test]
fn now_is_read_by_the_cores_parser() {
    let mint_at = |now: &str| {
        podpass(&[
            "token",
            "mint",
            "--namespace",
            "grade-api",
            "--name",
            "grade-api-sa",
            "--key",
            &key("rsa-2048.key.pem"),
            "--now",
            now,
        ])
    };
    let pinned = mint_at("2026-05-28T20:26:40Z");
    assert_eq!(pinned.code, 0, "{}", pinned.stderr);
    // RS256 signatures are deterministic: the same instant written three ways, the same token.
    for same in [
        "1780000000",
        "2026-05-28 20:26:40",
        "2026-05-28T22:26:40+02:00",
    ] {
        let run = mint_at(same);
        assert_eq!(run.code, 0, "{same}: {}", run.stderr);
        assert_eq!(run.stdout, pinned.stdout, "{same}");
    }
    let bad = mint_at("yesterday");
    assert_ne!(bad.code, 0);
    assert!(bad.stderr.contains("--now: `yesterday`"), "{}", bad.stderr);
}

#[test]
fn check_takes_a_literal_jwt_or_a_token_file() {
    // A token signed with the key the tutorial's config trusts, at a pinned time.
    let mint = podpass(&[
        "token",
        "mint",
        "--namespace",
        "grade-api",
        "--name",
        "grade-api-sa",
        "--key",
        &key("rsa-2048.key.pem"),
        "--now",
        "2026-05-28T20:26:40Z",
    ]);
    assert_eq!(mint.code, 0, "{}", mint.stderr);
    let jwt = mint.stdout.trim().to_string();
    assert_eq!(jwt.split('.').count(), 3);
    let at = "2026-05-28T20:30:00Z";
    let run = podpass(&[
        "check",
        &tutorial("setup.sh"),
        "--role",
        "grade-api",
        "--jwt",
        &jwt,
        "--now",
        at,
    ]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("with a RS256 token for grade-api/grade-api-sa")
    );
    assert!(
        run.stdout
            .contains("verified with RSA 2048-bit key pem_keys[0]")
    );

    let dir = scratch("token-file");
    std::fs::write(dir.join("sa.jwt"), format!("{jwt}\n")).unwrap();
    let file = dir.join("sa.jwt").display().to_string();
    let run = podpass(&[
        "check",
        &tutorial("setup.sh"),
        "--role",
        "grade-api",
        "--token",
        &file,
        "--now",
        at,
    ]);
    assert_eq!(run.code, 0);
    // Two hours later it has expired.
    let run = podpass(&[
        "check",
        &tutorial("setup.sh"),
        "--role",
        "grade-api",
        "--token",
        &file,
        "--now",
        "2026-05-28T22:30:00Z",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .contains("invalid expiration time (exp) claim: token is expired")
    );
    // From standard input.
    let run = podpass_in(
        None,
        &[
            "check",
            &tutorial("setup.sh"),
            "--role",
            "grade-api",
            "--token",
            "-",
            "--now",
            at,
        ],
        Some(&jwt),
    );
    assert_eq!(run.code, 0);
}

#[test]
fn input_errors_name_the_file_line_and_column() {
    let run = podpass(&[
        "check",
        "/nonexistent/podpass.hcl",
        "--role",
        "r",
        "--claims",
        "a/b",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("/nonexistent/podpass.hcl: cannot read"),
        "{}",
        run.stderr
    );

    let dir = scratch("bad-config");
    std::fs::write(
        dir.join("setup.sh"),
        "vault auth enable kubernetes\nvault write auth/kubernetes/role/r bound_service_account_names=a ttl=forever\n",
    )
    .unwrap();
    let run = podpass_in(Some(&dir), &["lint", "setup.sh"], None);
    assert_eq!(run.code, 2);
    let mut lines = run.stderr.lines();
    let first = lines.next().unwrap_or_default();
    assert!(
        first.starts_with("error[configuration/import]: auth/kubernetes/role/r: "),
        "{}",
        run.stderr
    );
    let place = lines.next().unwrap_or_default();
    assert!(place.starts_with(" --> setup.sh:2:"), "{}", run.stderr);
}

// --- capabilities

#[test]
fn capabilities_of_a_role_and_of_policies() {
    let run = podpass(&[
        "capabilities",
        &tutorial("setup.sh"),
        "--role",
        "grade-api",
        "secret/data/grade-api/db",
        "secret/metadata/grade-api/",
        "secret/data/payment/db",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("policies [default, grade-api]"));
    assert!(
        run.stdout.contains("secret/data/grade-api/db    read\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("secret/metadata/grade-api/  list\n"));
    assert!(run.stdout.contains("secret/data/payment/db      deny\n"));

    let run = podpass(&[
        "capabilities",
        &tutorial("setup.sh"),
        "--policies",
        "shared-reader,nope",
        "secret/data/shared/x",
        "--json",
    ]);
    assert_eq!(run.code, 0);
    let value = json(&run);
    assert_eq!(
        value["capabilities"]["secret/data/shared/x"],
        serde_json::json!(["read"])
    );
    assert_eq!(value["missing_policies"], serde_json::json!(["nope"]));

    // With a token: the login decides, and a denied login is a failure.
    let run = podpass(&[
        "capabilities",
        &tutorial("setup.sh"),
        "--role",
        "grade-api",
        "--claims",
        "payment/payment-sa",
        "secret/data/grade-api/db",
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("service account name not authorized"));
    let run = podpass(&["capabilities", &tutorial("setup.sh"), "--role", "nope", "x"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no role \"nope\""));
}

// --- lint

#[test]
fn lint_reports_the_tutorial_warnings_with_file_and_line() {
    let run = podpass(&["lint", &tutorial("setup.sh")]);
    assert_eq!(run.code, 0, "warnings do not fail:\n{}", run.stdout);
    assert!(run.stdout.contains("setup.sh:35: warning[wildcard-name]: role namespace-wide admits every service account in [grade-api]"), "{}", run.stdout);
    assert!(run.stdout.contains("setup.sh:42: warning[wildcard-namespace]: role any-ns admits [vault-reader] from every namespace"));
    assert!(run.stdout.contains("warning[cross-namespace-reach]"));
    assert_eq!(
        run.stdout.lines().last(),
        Some("0 errors, 13 warnings, 0 infos")
    );

    let strict = podpass(&["lint", &tutorial("setup.sh"), "--strict"]);
    assert_eq!(strict.code, 1);

    let run = podpass(&["lint", &tutorial("setup.sh"), "--json"]);
    assert_eq!(run.code, 0);
    let value = json(&run);
    assert_eq!(value["warnings"], 13);
    assert_eq!(value["findings"].as_array().map(Vec::len), Some(13));
    assert!(value["findings"][0]["origin"]["line"].as_u64().unwrap() > 0);
}

#[test]
fn lint_fails_on_errors_and_points_at_the_policy_line() {
    let dir = scratch("lint-errors");
    std::fs::create_dir_all(dir.join("policies")).unwrap();
    std::fs::write(
        dir.join("policies/app.hcl"),
        "# KV v1 habits\npath \"secret/app/*\" {\n  capabilities = [\"read\", \"list\"]\n}\n\npath \"secret/data/*/config\" {\n  capabilities = [\"read\"]\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("setup.sh"),
        format!(
            "vault auth enable kubernetes\nvault write auth/kubernetes/config kubernetes_host=https://k8s:443 pem_keys=@{}\nvault policy write app policies/app.hcl\nvault write auth/kubernetes/role/app bound_service_account_names=app bound_service_account_namespaces=apps policies=app,ap ttl=1h max_ttl=2h audience=vault\n",
            key("rsa-2048.pub.pem")
        ),
    )
    .unwrap();
    let run = podpass_in(Some(&dir), &["lint", "setup.sh"], None);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("policies/app.hcl:2: error[kv-v2-path]"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(r#"hint: write path "secret/data/app/*" { capabilities = ["read"] }"#)
    );
    assert!(
        run.stdout
            .contains("policies/app.hcl:6: error[literal-star]")
    );
    assert!(
        run.stdout
            .contains("setup.sh:4: error[missing-policy]: role app attaches policy `ap`")
    );
    assert_eq!(
        run.stdout.lines().last(),
        Some("3 errors, 0 warnings, 0 infos")
    );

    // secret/ as KV version 1: that finding goes.
    let run = podpass_in(Some(&dir), &["lint", "setup.sh", "--kv1", "secret"], None);
    assert_eq!(
        run.stdout.lines().last(),
        Some("2 errors, 0 warnings, 0 infos")
    );
}

#[test]
fn lint_lists_its_rules() {
    let run = podpass(&["lint", "--rules"]);
    assert_eq!(run.code, 0);
    for rule in [
        "wildcard-namespace",
        "kv-v2-path",
        "cross-namespace-reach",
        "literal-star",
    ] {
        assert!(run.stdout.contains(rule));
    }
}

// --- test

#[test]
fn test_runs_the_tutorial_file() {
    let run = podpass(&["test", &tutorial("tutorial.test.hcl")]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("  ok    exercise 2: grade-api logs in for an hour")
    );
    assert_eq!(run.stdout.lines().last(), Some("9 passed, 0 failed"));
}

#[test]
fn failing_tests_exit_1_with_expected_actual_and_trace() {
    let dir = scratch("failing-test");
    std::fs::write(
        dir.join("failing.test.hcl"),
        r#"now = "2026-05-28T20:26:40Z"

test "passes" {
  role  = "grade-api"
  token = "grade-api/grade-api-sa"
  allowed = ["read secret/data/grade-api/db"]
}

test "wrong namespace" {
  role  = "grade-api"
  token = "payment/grade-api-sa"
  expect {
    login = "allowed"
  }
}

test "grade-api reads payment" {
  role    = "grade-api"
  token   = "grade-api/grade-api-sa"
  allowed = ["read secret/data/payment/db"]
}
"#,
    )
    .unwrap();
    let setup = tutorial("setup.sh");
    let run = podpass_in(
        Some(&dir),
        &["test", "failing.test.hcl", "--config", &setup],
        None,
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("  ok    passes"));
    assert!(
        run.stdout
            .contains("  FAIL  wrong namespace (failing.test.hcl:9)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(
        "failing.test.hcl:12: login: expected allowed, got denied: 403 namespace not authorized"
    ));
    assert!(
        run.stdout
            .contains("✗ namespace             namespace `payment` is not in [grade-api]")
    );
    assert!(run.stdout.contains(
        "failing.test.hcl:20: read secret/data/payment/db: expected allowed, got denied"
    ));
    assert!(
        run.stdout
            .contains("no rule matches \"secret/data/payment/db\"")
    );
    assert_eq!(run.stdout.lines().last(), Some("1 passed, 2 failed"));

    let run = podpass_in(
        Some(&dir),
        &["test", "failing.test.hcl", "--config", &setup, "--json"],
        None,
    );
    assert_eq!(run.code, 1);
    let value = json(&run);
    assert_eq!(
        (value["passed"].clone(), value["failed"].clone()),
        (1.into(), 2.into())
    );
    assert_eq!(
        value["files"][0]["report"]["cases"][1]["failures"][0]["what"],
        "login"
    );
}

#[test]
fn broken_test_files_exit_2_with_a_location() {
    let dir = scratch("broken-test");
    std::fs::write(
        dir.join("t.test.hcl"),
        "config = \"setup.sh\"\n\ntest \"x\" {\n  role = \"grade-api\"\n  tokn = \"a/b\"\n}\n",
    )
    .unwrap();
    let run = podpass_in(Some(&dir), &["test", "t.test.hcl"], None);
    assert_eq!(run.code, 2);
    // A diagnostic with the line at fault: heading, place, the line, a caret under the key.
    assert!(
        run.stderr
            .starts_with("error[policy_test/file]: unknown key `tokn` in a test"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(" --> t.test.hcl:5:3\n"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("5 |   tokn = \"a/b\"\n  |   ^\n"),
        "{}",
        run.stderr
    );

    std::fs::write(
        dir.join("u.test.hcl"),
        "test \"x\" {\n  policies = [\"a\"]\n  allowed = [\"read x\"]\n}\n",
    )
    .unwrap();
    let run = podpass_in(Some(&dir), &["test", "u.test.hcl"], None);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no configuration to test"),
        "{}",
        run.stderr
    );

    // The file's `config` is read relative to the test file, not the working directory.
    std::fs::write(dir.join("v.test.hcl"), "config = \"missing.sh\"\ntest \"x\" {\n  policies = [\"a\"]\n  allowed = [\"read x\"]\n}\n").unwrap();
    let run = podpass(&["test", &dir.join("v.test.hcl").display().to_string()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(&format!(
            "{}: cannot read",
            dir.join("missing.sh").display()
        )),
        "{}",
        run.stderr
    );
}

// --- fmt

#[test]
fn fmt_checks_rewrites_and_refuses_invalid_policies() {
    let run = podpass(&[
        "fmt",
        "--check",
        &tutorial("policies/grade-api.hcl"),
        &tutorial("policies/payment-api.hcl"),
        &tutorial("policies/shared-reader.hcl"),
    ]);
    assert_eq!(
        run.code, 0,
        "the tutorial's policies are canonical:\n{}",
        run.stdout
    );

    let dir = scratch("fmt");
    let messy = "# grade-api\npath \"secret/data/grade-api/*\" {\n    capabilities = [\"read\",\"list\"]\n}\npath \"secret/metadata/grade-api/*\" { capabilities = [\"list\"] }\n";
    std::fs::write(dir.join("p.hcl"), messy).unwrap();
    let run = podpass_in(Some(&dir), &["fmt", "--check", "p.hcl"], None);
    assert_eq!((run.code, run.stdout.as_str()), (1, "p.hcl\n"));
    assert_eq!(
        std::fs::read_to_string(dir.join("p.hcl")).unwrap(),
        messy,
        "--check writes nothing"
    );

    let run = podpass_in(Some(&dir), &["fmt", "p.hcl"], None);
    assert_eq!(run.code, 0);
    let formatted = std::fs::read_to_string(dir.join("p.hcl")).unwrap();
    assert_eq!(
        formatted,
        "# grade-api\npath \"secret/data/grade-api/*\" {\n  capabilities = [\"read\", \"list\"]\n}\n\npath \"secret/metadata/grade-api/*\" {\n  capabilities = [\"list\"]\n}\n"
    );
    assert_eq!(
        podpass_in(Some(&dir), &["fmt", "--check", "p.hcl"], None).code,
        0
    );

    let run = podpass_in(None, &["fmt", "-"], Some(messy));
    assert_eq!((run.code, run.stdout.as_str()), (0, formatted.as_str()));

    std::fs::write(
        dir.join("bad.hcl"),
        "path \"a\" {\n  capabilities = [\"reed\"]\n}\n",
    )
    .unwrap();
    let run = podpass_in(Some(&dir), &["fmt", "bad.hcl"], None);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with(
            "error[policy/invalid_capability]: path \"a\": invalid capability \"reed\"\n --> bad.hcl:2:19\n"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("2 |   capabilities = [\"reed\"]\n  |                   ^\n"),
        "{}",
        run.stderr
    );
}

// --- import and export

#[test]
fn import_and_export_round_trip() {
    let dir = scratch("convert");
    let hcl = dir.join("podpass.hcl").display().to_string();
    let run = podpass(&["import", &tutorial("setup.sh"), "-o", &hcl]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(&hcl).unwrap();
    assert!(text.contains("role \"grade-api\""), "{text}");

    // The imported file is a configuration the tests pass against, like the original.
    let run = podpass(&["test", &tutorial("tutorial.test.hcl"), "--config", &hcl]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout.lines().last(), Some("9 passed, 0 failed"));

    let run = podpass(&["export", &hcl, "--to", "json"]);
    assert_eq!(run.code, 0);
    let value = json(&run);
    assert!(value.is_object() || value.is_array());

    let run = podpass(&["export", &hcl]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout
            .contains("vault write auth/kubernetes/role/grade-api"),
        "{}",
        run.stdout
    );

    // And the commands read back.
    let commands = dir.join("setup.sh");
    std::fs::write(&commands, &run.stdout).unwrap();
    let run = podpass(&["lint", &commands.display().to_string(), "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(json(&run)["warnings"], 13);
}

// --- token mint

#[test]
fn token_mint_names_why_a_key_cannot_sign() {
    let dir = scratch("mint-bad-keys");
    let sec1 = dir.join("sec1.pem");
    let pkcs8 = std::fs::read_to_string(key("ec-p256.key.pem")).unwrap();
    std::fs::write(&sec1, pkcs8.replace("PRIVATE KEY", "EC PRIVATE KEY")).unwrap();
    let public = key("ec-p256.pub.pem");
    let cases = [
        (key("ec-p256.key.pem"), "ES384", "it is an ECDSA P-256 key"),
        (
            key("rsa-2048.key.pem"),
            "ES256",
            "it is an RSA 2048-bit key",
        ),
        (sec1.display().to_string(), "ES256", "convert it to PKCS#8"),
        (public, "ES256", "not a private key"),
    ];
    for (file, alg, expected) in cases {
        let run = podpass(&[
            "token",
            "mint",
            "--namespace",
            "apps",
            "--name",
            "app",
            "--key",
            &file,
            "--alg",
            alg,
        ]);
        assert_ne!(run.code, 0, "{file} {alg}");
        assert!(
            run.stdout.is_empty(),
            "no token on a refusal: {}",
            run.stdout
        );
        assert!(
            run.stderr.contains(expected),
            "{file} {alg}: {}",
            run.stderr
        );
    }
}

#[test]
fn token_mint_generates_a_key_pair_a_configuration_can_trust() {
    let dir = scratch("mint");
    for alg in ["RS256", "ES256"] {
        let run = podpass_in(
            Some(&dir),
            &[
                "token",
                "mint",
                "--namespace",
                "apps",
                "--name",
                "app",
                "--audience",
                "vault",
                "--generate-key",
                "sa",
                "--alg",
                alg,
                "--ttl",
                "10m",
            ],
            None,
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stderr.contains("wrote sa.key.pem"));
        let jwt = run.stdout.trim().to_string();
        std::fs::write(
            dir.join("setup.sh"),
            "vault auth enable kubernetes\nvault write auth/kubernetes/config kubernetes_host=https://k8s:443 pem_keys=@sa.pub.pem\nvault write auth/kubernetes/role/app bound_service_account_names=app bound_service_account_namespaces=apps audience=vault policies=default ttl=1h\n",
        )
        .unwrap();
        // Run from elsewhere: @sa.pub.pem is read beside setup.sh.
        let setup = dir.join("setup.sh").display().to_string();
        let run = podpass(&["check", &setup, "--role", "app", "--jwt", &jwt]);
        assert_eq!(run.code, 0, "{alg}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stdout
                .contains(&format!("{alg} is an accepted algorithm"))
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("sa.key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let run = podpass(&["token", "mint", "--namespace", "a", "--name", "b"]);
    assert_eq!(run.code, 2, "a key is required");
    let run = podpass(&[
        "token",
        "mint",
        "--namespace",
        "a",
        "--name",
        "b",
        "--key",
        &key("ec-p256.key.pem"),
    ]);
    assert_eq!(run.code, 2, "an EC key cannot sign RS256");
    assert!(run.stderr.contains("ec-p256.key.pem"), "{}", run.stderr);
    let run = podpass(&[
        "token",
        "mint",
        "--namespace",
        "a",
        "--name",
        "b",
        "--key",
        &key("ec-p256.key.pem"),
        "--alg",
        "es256",
        "--legacy",
    ]);
    assert_eq!(run.code, 0);
}

// --- colour

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let plain = podpass(&["test", &tutorial("tutorial.test.hcl")]);
    assert!(!plain.stdout.contains('\u{1b}'));
    let mut command = Command::new(env!("CARGO_BIN_EXE_podpass"));
    let out = command
        .args(["--color", "always", "test", &tutorial("tutorial.test.hcl")])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("\u{1b}["));
}

#[test]
fn lint_ignores_rules_on_request() {
    let run = podpass(&[
        "lint",
        &tutorial("setup.sh"),
        "--ignore",
        "no-audience",
        "--ignore",
        "no-max-ttl",
    ]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout.lines().last(),
        Some("0 errors, 3 warnings, 0 infos")
    );
    let run = podpass(&["lint", &tutorial("setup.sh"), "--ignore", "no-such-rule"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no rule \"no-such-rule\""));
}

#[test]
fn a_role_defined_twice_shows_both_definitions() {
    let dir = scratch("role-twice");
    std::fs::write(
        dir.join("podpass.hcl"),
        "auth \"kubernetes\" {\n  role \"a\" {\n    bound_service_account_names = [\"x\"]\n    \
         bound_service_account_namespaces = [\"y\"]\n  }\n  role \"A\" {\n  }\n}\n",
    )
    .unwrap();
    let run = podpass_in(Some(&dir), &["lint", "podpass.hcl"], None);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let shown: Vec<&str> = run.stderr.lines().map(str::trim_end).collect();
    assert!(
        shown.contains(&"2 |   role \"a\" {")
            && shown.contains(&"  |   - first defined here")
            && shown.contains(&"6 |   role \"A\" {")
            && shown.contains(&" --> podpass.hcl:6:3"),
        "{}",
        run.stderr
    );
}
