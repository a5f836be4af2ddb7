//! Diagnostics: every refusal and finding becomes one `Diagnostic` whose message is the typed
//! error's own text and whose place is the typed error's place, while the typed errors keep
//! the texts and JSON shapes callers (the server, JavaScript) already read.

use podpass_core::configuration::{Configuration, NoFiles, Origin};
use podpass_core::diagnostic::{Location, Severity};
use podpass_core::lint::lint;
use podpass_core::policy::{Policy, format_policy};
use podpass_core::policy_test::parse;
use serde_json::json;

#[test]
fn a_policy_refusal_keeps_vaults_text_and_gains_a_code() {
    let text = "path \"secret/*\" {\n  capabilities = [\"reed\"]\n}\n";
    let error = Policy::parse("x", text).unwrap_err();
    // The server answers with this Display; it must not move.
    assert_eq!(
        error.to_string(),
        r#"line 2, column 19: path "secret/*": invalid capability "reed""#
    );
    let diagnostic = error.diagnostic("x.hcl");
    assert_eq!(diagnostic.severity, Severity::Error);
    assert_eq!(diagnostic.code, "policy/invalid_capability");
    assert_eq!(diagnostic.message, error.message());
    assert_eq!(diagnostic.location(), Some(Location::new(2, 19)));
    assert_eq!(
        diagnostic.to_string(),
        r#"x.hcl:2:19: path "secret/*": invalid capability "reed""#
    );

    let syntax = Policy::parse("x", "path \"a\" {\n").unwrap_err();
    let diagnostic = syntax.diagnostic("x.hcl");
    assert_eq!(diagnostic.code, "policy/syntax");
    assert!(diagnostic.message.starts_with("failed to parse policy: "));
}

#[test]
fn a_configuration_refusal_keeps_its_json_and_display() {
    let text =
        "vault auth enable kubernetes\nvault write auth/kubernetes/role/r token_ttl=forever\n";
    let error = Configuration::import(text, "setup.sh", None, &NoFiles).unwrap_err();
    let json = serde_json::to_value(&error).unwrap();
    // The location is flattened: the shape is the one it had with line and column fields.
    assert_eq!(
        json,
        json!({
            "source": "setup.sh",
            "line": error.location.line,
            "column": error.location.column,
            "message": error.message,
        })
    );
    assert_eq!(
        error.to_string(),
        format!("setup.sh:2:{}: {}", error.location.column, error.message)
    );
    let diagnostic = error.diagnostic();
    assert_eq!(diagnostic.code, "configuration/import");
    assert_eq!(diagnostic.source, "setup.sh");
    assert_eq!(diagnostic.location(), Some(error.location));
    assert_eq!(diagnostic.to_string(), error.to_string());
}

#[test]
fn a_policy_inside_podpass_hcl_is_placed_in_the_file() {
    let text =
        "policy \"grade-api\" {\n  path \"secret/*\" {\n    capabilities = [\"reed\"]\n  }\n}\n";
    let error = Configuration::import(text, "podpass.hcl", None, &NoFiles).unwrap_err();
    assert_eq!(error.location, Location::new(3, 21));
    let diagnostic = error.diagnostic();
    assert_eq!(diagnostic.location(), Some(Location::new(3, 21)));
    assert!(
        diagnostic
            .message
            .ends_with(r#"path "secret/*": invalid capability "reed""#),
        "{}",
        diagnostic.message
    );
}

#[test]
fn test_file_and_format_refusals_become_diagnostics() {
    let error = parse("test \"x\" {\n  tokn = 1\n}\n").unwrap_err();
    assert_eq!(error.location, Location::new(2, 3));
    assert!(
        error
            .to_string()
            .starts_with("line 2, column 3: unknown key `tokn`")
    );
    let json = serde_json::to_value(&error).unwrap();
    assert_eq!(
        (json["line"].as_u64(), json["column"].as_u64()),
        (Some(2), Some(3))
    );
    let diagnostic = error.diagnostic("t.test.hcl");
    assert_eq!(diagnostic.code, "policy_test/file");
    assert_eq!(diagnostic.message, error.message);
    assert_eq!(diagnostic.location(), Some(Location::new(2, 3)));

    let error = format_policy("path \"a\" {\n  capabilities = [\"reed\"]\n}\n").unwrap_err();
    let diagnostic = error.diagnostic("a.hcl");
    assert_eq!(diagnostic.code, "policy/invalid_capability");
    assert_eq!(diagnostic.location(), Some(Location::new(2, 19)));
    let error = format_policy(
        "a = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
    )
    .unwrap_err();
    assert_eq!(error.code, "policy/syntax");
    assert_eq!(error.location.line, 1);
}

#[test]
fn lint_findings_are_diagnostics_coded_by_their_rule() {
    let mut config = Configuration::new();
    config
        .put_policy(
            "grade-api",
            "path \"secret/grade-api/*\" {\n  capabilities = [\"read\"]\n}\n",
            Origin::new("grade-api.hcl", 1),
        )
        .unwrap();
    let findings = lint(&config);
    assert!(!findings.is_empty());
    for finding in &findings {
        let diagnostic = finding.diagnostic();
        assert_eq!(diagnostic.code, finding.rule);
        assert_eq!(diagnostic.severity, finding.severity);
        assert_eq!(diagnostic.message, finding.message);
        assert_eq!(diagnostic.help.as_deref(), Some(finding.hint.as_str()));
        assert_eq!(diagnostic.source, finding.origin.source);
        let line = diagnostic.location().map_or(0, |at| at.line);
        assert_eq!(line, finding.origin.line);
        let json = serde_json::to_value(&diagnostic).unwrap();
        assert_eq!(json["code"], json!(finding.rule));
        assert_eq!(json["severity"], json!(finding.severity.as_str()));
    }
}

#[test]
fn an_item_defined_twice_points_at_both_definitions() {
    let label_places = |text: &str, source: &str| {
        let error = Configuration::import(text, source, None, &NoFiles).unwrap_err();
        let diagnostic = error.diagnostic();
        let labels: Vec<(bool, Location, Option<String>)> = diagnostic
            .labels
            .iter()
            .map(|l| (l.primary, l.start, l.message.clone()))
            .collect();
        (error, labels)
    };
    let first_defined = Some("first defined here".to_string());

    let hcl = "auth \"kubernetes\" {\n  role \"a\" {\n    bound_service_account_names = [\"x\"]\n    \
               bound_service_account_namespaces = [\"y\"]\n  }\n  role \"A\" {\n  }\n}\n";
    let (error, labels) = label_places(hcl, "podpass.hcl");
    assert!(error.message.contains("defined twice"), "{}", error.message);
    assert_eq!(
        labels,
        [
            (true, Location::new(6, 3), None),
            (false, Location::new(2, 3), first_defined.clone()),
        ]
    );

    let json = "{\n  \"policies\": {},\n  \"policies\": {}\n}\n";
    let (error, labels) = label_places(json, "api.json");
    assert!(error.message.starts_with("duplicate key \"policies\""));
    assert_eq!(labels[1], (false, Location::new(2, 3), first_defined));
    // The JSON of an error carries the first place only when there is one.
    assert_eq!(
        serde_json::to_value(&error).unwrap()["first_defined"],
        json!({"line": 2, "column": 3})
    );
}
