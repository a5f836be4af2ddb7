//! Policy parsing: every key, the shorthand, JSON, names, the default policy, and every error
//! with its message and location.

use std::time::Duration;

use podpass_core::policy::{
    Capabilities, Capability, DEFAULT_POLICY_HCL, Location, Policy, PolicyError,
};
use serde_json::json;

fn parse(text: &str) -> Policy {
    Policy::parse("test", text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn err(text: &str) -> PolicyError {
    match Policy::parse("test", text) {
        Ok(p) => panic!("expected an error, parsed {p:?}"),
        Err(e) => e,
    }
}

fn caps(names: &[Capability]) -> Capabilities {
    names.iter().copied().collect()
}

fn at(line: u32, column: u32) -> Location {
    Location { line, column }
}

#[test]
fn path_blocks_with_every_key() {
    let policy = parse(
        r#"
name = "ignored"

# comment
path "secret/data/app/*" {
  capabilities = ["read", "list"]
  comment = "app secrets"
  allowed_parameters = {
    "Version" = []
    "colour" = ["red", "blu*"]
  }
  denied_parameters = {
    "secret" = []
  }
  required_parameters = ["version"]
  min_wrapping_ttl = "1m"
  max_wrapping_ttl = 3600
  mfa_methods = ["totp"]
  subscribe_event_types = ["kv*"]
  control_group = {
    ttl = "4h"
  }
}

path "/auth/token/lookup-self" {
  policy = "read"
}
"#,
    );
    assert_eq!(policy.name(), "test");
    assert!(!policy.is_templated());
    let [app, token] = policy.paths() else {
        panic!("two paths expected: {policy:?}")
    };
    assert_eq!(app.path, "secret/data/app/*");
    assert_eq!(app.line, 5);
    assert_eq!(
        app.capabilities,
        caps(&[Capability::Read, Capability::List])
    );
    assert_eq!(app.comment.as_deref(), Some("app secrets"));
    assert_eq!(
        app.allowed_parameters.keys().collect::<Vec<_>>(),
        ["colour", "version"],
        "keys are lowercased"
    );
    assert_eq!(
        app.allowed_parameters["colour"],
        [json!("red"), json!("blu*")]
    );
    assert!(app.allowed_parameters["version"].is_empty());
    assert!(app.denied_parameters["secret"].is_empty());
    assert_eq!(app.required_parameters, ["version"]);
    assert_eq!(app.min_wrapping_ttl, Some(Duration::from_secs(60)));
    assert_eq!(app.max_wrapping_ttl, Some(Duration::from_secs(3600)));
    assert_eq!(app.mfa_methods, ["totp"]);
    assert_eq!(app.subscribe_event_types, ["kv*"]);
    assert_eq!(app.control_group, Some(json!({"ttl": "4h"})));

    assert_eq!(
        token.path, "auth/token/lookup-self",
        "one leading / is stripped"
    );
    assert_eq!(token.line, 25);
    assert_eq!(
        token.capabilities,
        caps(&[Capability::Read, Capability::List])
    );
}

#[test]
fn nested_blocks_are_accepted_for_map_keys() {
    let policy = parse(
        r#"path "sys/x" {
  capabilities = ["update"]
  allowed_parameters {
    Name = ["a"]
  }
  control_group {
    factor "ops" {
      identity {
        group_names = ["managers"]
        approvals = 1
      }
    }
  }
}"#,
    );
    let rule = &policy.paths()[0];
    assert_eq!(rule.allowed_parameters["name"], [json!("a")]);
    assert_eq!(
        rule.control_group,
        Some(
            json!({"factor": {"ops": {"identity": {"group_names": ["managers"], "approvals": 1}}}})
        )
    );
}

#[test]
fn legacy_shorthand() {
    let expand = |shorthand: &str, extra: &str| {
        parse(&format!(r#"path "p" {{ policy = "{shorthand}" {extra} }}"#)).paths()[0].capabilities
    };
    use Capability::*;
    assert_eq!(expand("read", ""), caps(&[Read, List]));
    assert_eq!(
        expand("write", ""),
        caps(&[Create, Read, Update, Delete, List])
    );
    assert_eq!(
        expand("sudo", ""),
        caps(&[Create, Read, Update, Delete, List, Sudo])
    );
    assert_eq!(expand("deny", ""), Capabilities::DENY);
    assert_eq!(
        expand("", ""),
        Capabilities::NONE,
        "an empty shorthand is ignored"
    );

    // The shorthand adds to the capabilities list; deny replaces it.
    let both = parse("path \"p\" {\n  capabilities = [\"patch\"]\n  policy = \"read\"\n}");
    assert_eq!(both.paths()[0].capabilities, caps(&[Patch, Read, List]));
    let denied =
        parse("path \"p\" {\n  capabilities = [\"read\", \"bogus\"]\n  policy = \"deny\"\n}");
    assert_eq!(denied.paths()[0].capabilities, Capabilities::DENY);
}

#[test]
fn deny_makes_a_block_deny_only() {
    let p = parse(
        r#"path "p" {
  capabilities = ["read", "deny", "reed"]
  max_wrapping_ttl = "not a duration"
  allowed_parameters = { "a" = [] }
}"#,
    );
    let rule = &p.paths()[0];
    assert_eq!(rule.capabilities, Capabilities::DENY);
    assert!(rule.allowed_parameters.is_empty());
    assert_eq!(rule.max_wrapping_ttl, None);

    // Vault stops at deny, so an invalid entry after it is never read; one before it is.
    let e = err(r#"path "p" { capabilities = ["reed", "deny"] }"#);
    assert_eq!(e.message(), r#"path "p": invalid capability "reed""#);
}

#[test]
fn every_capability_name() {
    let p = parse(
        r#"path "p" { capabilities = ["create", "read", "update", "patch", "delete", "list", "sudo", "subscribe", "recover"] }"#,
    );
    assert_eq!(
        p.paths()[0].capabilities.to_vault_list(),
        [
            "create",
            "delete",
            "list",
            "patch",
            "read",
            "recover",
            "subscribe",
            "sudo",
            "update"
        ]
    );
    let empty = parse(r#"path "p" { capabilities = [] }"#);
    assert_eq!(empty.paths()[0].capabilities, Capabilities::NONE);
}

#[test]
fn errors_in_vaults_words_with_locations() {
    let cases: &[(&str, &str, Location)] = &[
        (
            "path \"secret/*\" {\n    capabilities = [\"reed\"]\n}",
            r#"path "secret/*": invalid capability "reed""#,
            at(2, 21),
        ),
        (
            "path \"secret/*\" {\n  policy = \"admin\"\n}",
            r#"path "secret/*": invalid policy "admin""#,
            at(2, 12),
        ),
        (
            "\n\nfoo = 1\npath \"a\" {}",
            r#"invalid key "foo" on line 3"#,
            at(3, 1),
        ),
        (
            "path \"a\" {\n  capabilities = [\"read\"]\n  capabilites = [\"read\"]\n}",
            r#"path "a": invalid key "capabilites" on line 3"#,
            at(3, 3),
        ),
        (
            "path \"/secret/+*\" {\n  capabilities = [\"read\"]\n}",
            r#"path "secret/+*": invalid use of wildcards ('+*' is forbidden)"#,
            at(1, 6),
        ),
        (
            "path \"a\" {\n  capabilities = [\"read\"]\n  min_wrapping_ttl = \"1h\"\n  max_wrapping_ttl = \"30m\"\n}",
            "max_wrapping_ttl cannot be less than min_wrapping_ttl",
            at(4, 22),
        ),
        (
            "path \"a\" {\n  capabilities = [\"read\"]\n  max_wrapping_ttl = \"soon\"\n}",
            r#"error parsing max_wrapping_ttl: invalid duration "soon""#,
            at(3, 22),
        ),
        (
            "path \"secret/{{identity.entity.id}/*\" {\n  capabilities = [\"read\"]\n}",
            "failed to validate policy templating: unbalanced templating characters",
            at(1, 6),
        ),
        (
            "path \"a\" {\n  capabilities = \"read\"\n}",
            r#"path "a": "capabilities" must be a list of strings, not a string"#,
            at(2, 18),
        ),
        (
            "path \"a\" {\n  capabilities = [read]\n}",
            r#"failed to parse policy: unexpected token while parsing list: IDENT read (a string is written in double quotes: "read")"#,
            at(2, 19),
        ),
        (
            "path {\n  capabilities = [\"read\"]\n}",
            "a path block takes exactly one path, as in path \"secret/*\" { … } (found 0)",
            at(1, 1),
        ),
    ];
    for (text, message, location) in cases {
        let e = err(text);
        assert_eq!(&e.message(), message, "{text}");
        assert_eq!(e.location(), *location, "{text}: {e}");
        assert_eq!(e.to_string(), format!("{location}: {message}"));
    }
}

#[test]
fn display_renders_location_then_message() {
    let e = err("\n\npath \"secret/*\" {\n    capabilities = [\"reed\"]\n}");
    assert_eq!(
        e.to_string(),
        r#"line 4, column 21: path "secret/*": invalid capability "reed""#
    );
    assert!(matches!(e, PolicyError::InvalidCapability { .. }));
}

#[test]
fn hcl_syntax_errors() {
    for (text, line) in [
        ("path \"a\" {\n  capabilities = [\"read\"\n}", 3),
        ("path \"a\" {\n  capabilities = [\"read\"]\n", 3),
        ("path \"a\" \n{{{", 2),
        ("\"unterminated", 1),
        ("path \"a\" { capabilities = [\"read\"] } }", 1),
    ] {
        let e = err(text);
        assert!(
            e.message().starts_with("failed to parse policy: "),
            "{text}: {e}"
        );
        assert!(matches!(e, PolicyError::Syntax { .. }));
        assert_eq!(e.location().line, line, "{text}: {e}");
    }
}

#[test]
fn json_policies() {
    let text = r#"{
  "name": "ignored",
  "path": {
    "secret/data/app/*": {
      "capabilities": ["read", "list"],
      "allowed_parameters": {"Foo": ["bar"]},
      "max_wrapping_ttl": "5m"
    },
    "sys/leases/lookup": {
      "policy": "write"
    }
  }
}"#;
    let p = parse(text);
    let [app, leases] = p.paths() else {
        panic!("{p:?}")
    };
    assert_eq!(app.path, "secret/data/app/*");
    assert_eq!(app.line, 4);
    assert_eq!(app.allowed_parameters["foo"], [json!("bar")]);
    assert_eq!(app.max_wrapping_ttl, Some(Duration::from_secs(300)));
    assert_eq!(leases.line, 9);
    assert!(leases.capabilities.contains(Capability::Update));

    // HCL1's JSON form also allows lists of objects.
    let listed = parse(
        r#"{"path": [{"a": {"capabilities": ["read"]}}, {"b": [{"capabilities": ["list"]}, {"capabilities": ["read"]}]}]}"#,
    );
    let paths: Vec<&str> = listed.paths().iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["a", "b", "b"]);

    let e = err("{\n  \"path\": {\n    \"a\": {\"capabilities\": [\"read\", \"wrte\"]}\n  }\n}");
    assert_eq!(
        e.to_string(),
        r#"line 3, column 36: path "a": invalid capability "wrte""#
    );
    let e = err("{\n  \"paths\": {}\n}");
    assert_eq!(
        e.to_string(),
        r#"line 2, column 3: invalid key "paths" on line 2"#
    );
    let e = err("{\"path\": {\"a\": {\"capabilities\": [\"read\"],}}}");
    assert!(e.message().starts_with("failed to parse policy: "), "{e}");
    assert_eq!(e.location().line, 1);
    let e = err("  {\"path\": ");
    assert!(matches!(e, PolicyError::Syntax { .. }), "{e}");
}

#[test]
fn hcl_paths_are_block_labels_not_a_map() {
    // `path = { "a/*" = { … } }` is JSON's shape written in HCL: HCL1 reads it as a rule for
    // the literal path `path` (and Vault then refuses the key "a/*"); podpass refuses it like a
    // block without a path, naming the form to write.
    for text in [
        "path = {\n  \"a/*\" = { capabilities = [\"read\"] }\n}",
        "path = { capabilities = [\"read\"] }",
    ] {
        let e = err(text);
        assert!(
            matches!(e, PolicyError::PathLabel { labels: 0, .. }),
            "{text}: {e}"
        );
        assert_eq!(e.location(), Location::new(1, 1));
    }
}

#[test]
fn durations() {
    let ttl = |v: &str| {
        parse(&format!(
            "path \"a\" {{\n  capabilities = [\"read\"]\n  max_wrapping_ttl = {v}\n}}"
        ))
        .paths()[0]
            .max_wrapping_ttl
    };
    assert_eq!(ttl("300"), Some(Duration::from_secs(300)));
    assert_eq!(ttl("\"300\""), Some(Duration::from_secs(300)));
    assert_eq!(ttl("\"300s\""), Some(Duration::from_secs(300)));
    assert_eq!(ttl("\"1h\""), Some(Duration::from_secs(3600)));
    assert_eq!(ttl("\"2d\""), Some(Duration::from_secs(172_800)));
    assert_eq!(ttl("\"1h30m\""), Some(Duration::from_secs(5400)));
    assert_eq!(ttl("0"), None, "zero means unset");
    assert_eq!(ttl("\"\""), None);
}

#[test]
fn names() {
    assert_eq!(
        Policy::parse("  Grade-API ", "").map(|p| p.name().to_string()),
        Ok("grade-api".into())
    );
    let e = Policy::parse(" ROOT", r#"path "a" { capabilities = ["read"] }"#).unwrap_err();
    assert_eq!(e.message(), r#"cannot update "root" policy"#);
    assert_eq!(e.location(), Location::START);
    let e = Policy::parse("  ", "").unwrap_err();
    assert_eq!(e.message(), "policy name missing");
    for relative in [".", " .. "] {
        let e = Policy::parse(relative, "").unwrap_err();
        assert_eq!(e.message(), "relative paths not supported", "{relative:?}");
        assert_eq!(e.code(), "policy/relative_name");
    }
    assert_eq!(
        Policy::parse("a..b", "").map(|p| p.name().to_string()),
        Ok("a..b".into()),
        "only a whole name of dots is a relative path"
    );
    assert!(Policy::root().is_root());
    assert!(Policy::root().paths().is_empty());
}

#[test]
fn templated_paths_are_marked() {
    let p = parse(
        r#"path "secret/data/{{identity.entity.aliases.auth_kubernetes_1234.metadata.service_account_namespace}}/*" {
  capabilities = ["read"]
}
path "plain" { capabilities = ["read"] }"#,
    );
    assert!(p.is_templated());
    assert!(p.paths()[0].templated);
    assert!(!p.paths()[1].templated);
}

#[test]
fn default_policy_contents() {
    let default = Policy::default_policy();
    assert_eq!(default.name(), "default");
    assert!(default.is_templated());
    use Capability::*;
    let expected: &[(&str, &[Capability])] = &[
        ("auth/token/lookup-self", &[Read]),
        ("auth/token/renew-self", &[Update]),
        ("auth/token/revoke-self", &[Update]),
        ("sys/capabilities-self", &[Update]),
        ("identity/entity/id/{{identity.entity.id}}", &[Read]),
        ("identity/entity/name/{{identity.entity.name}}", &[Read]),
        ("sys/internal/ui/resultant-acl", &[Read]),
        ("sys/renew", &[Update]),
        ("sys/leases/renew", &[Update]),
        ("sys/leases/lookup", &[Update]),
        ("cubbyhole/*", &[Create, Read, Update, Delete, List]),
        ("sys/wrapping/wrap", &[Update]),
        ("sys/wrapping/lookup", &[Update]),
        ("sys/wrapping/unwrap", &[Update]),
        ("sys/tools/hash", &[Update]),
        ("sys/tools/hash/*", &[Update]),
        ("sys/control-group/request", &[Update]),
        ("identity/oidc/provider/+/authorize", &[Read, Update]),
    ];
    let actual: Vec<(&str, Capabilities)> = default
        .paths()
        .iter()
        .map(|r| (r.path.as_str(), r.capabilities))
        .collect();
    let expected: Vec<(&str, Capabilities)> = expected.iter().map(|(p, c)| (*p, caps(c))).collect();
    assert_eq!(actual, expected);
    // The text is public (for display) and parses on its own too.
    assert_eq!(
        Policy::parse("default", DEFAULT_POLICY_HCL).map(|p| p.paths().len()),
        Ok(expected.len())
    );
}

#[test]
fn tutorial_fixture_policies_parse() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/tutorial/policies"
    );
    let Ok(entries) = std::fs::read_dir(dir) else {
        return; // The fixtures live in the repository, not in a packaged crate.
    };
    let mut seen = 0;
    for entry in entries.flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        let name = entry
            .path()
            .file_stem()
            .map(|s| s.to_string_lossy().to_string());
        let policy = Policy::parse(&name.unwrap_or_default(), &text)
            .unwrap_or_else(|e| panic!("{}: {e}", entry.path().display()));
        assert!(!policy.paths().is_empty());
        seen += 1;
    }
    assert!(seen >= 3);
}

#[test]
fn errors_and_policies_serialize() {
    let e = err("path \"a\" { capabilities = [\"reed\"] }");
    let v = serde_json::to_value(&e).unwrap();
    assert_eq!(v["kind"], "invalid_capability");
    assert_eq!(v["location"], json!({"line": 1, "column": 28}));
    let p =
        parse("path \"a\" {\n capabilities = [\"read\", \"list\"]\n max_wrapping_ttl = \"1m\"\n}");
    let v = serde_json::to_value(&p).unwrap();
    assert_eq!(v["paths"][0]["capabilities"], json!(["list", "read"]));
    assert_eq!(v["paths"][0]["max_wrapping_ttl"], json!(60));
}

#[test]
fn hcl1_layout_is_read_as_vault_reads_it() {
    // Vault's HCL1 gives newlines no meaning: an attribute may share a line with a block's
    // braces, and items may be separated by commas.
    for text in [
        "path \"secret/data/a/*\" { capabilities = [\"read\"]\n}\n",
        "path \"secret/data/a/*\" {\n  capabilities = [\"read\"] }\n",
        "path \"secret/data/a/*\" { capabilities = [\"read\"], comment = \"c\" },\n",
    ] {
        let policy = parse(text);
        assert_eq!(policy.paths()[0].path, "secret/data/a/*", "{text}");
        assert!(policy.paths()[0].capabilities.contains(Capability::Read));
    }
    // HCL1 strings: `${…}` and `$${…}` as written, Go's escapes.
    let policy = parse("path \"a/${x}/$${y}/\\x41\" { capabilities = [\"r\\145ad\"] }");
    assert_eq!(policy.paths()[0].path, "a/${x}/$${y}/A");
    assert!(policy.paths()[0].capabilities.contains(Capability::Read));
}

#[test]
fn wrapping_ttls_written_as_floats_drop_their_fraction_as_go_does() {
    let policy = parse(
        "path \"a\" { capabilities = [\"read\"] min_wrapping_ttl = 1.5 max_wrapping_ttl = 6e1 }\npath \"b\" { capabilities = [\"read\"] min_wrapping_ttl = -1.5e1 }",
    );
    assert_eq!(
        policy.paths()[0].min_wrapping_ttl,
        Some(Duration::from_secs(1))
    );
    assert_eq!(
        policy.paths()[0].max_wrapping_ttl,
        Some(Duration::from_secs(60))
    );
    assert_eq!(policy.paths()[1].min_wrapping_ttl, None);
}

#[test]
fn a_repeated_key_is_decoded_as_hcl1_decodes_it() {
    // Lists are joined and parameter maps merged (OpenBao 2.7.2 grants list and read here, and
    // allows both parameters); any other value is the last one written.
    let policy = parse(
        "path \"a\" {\n  capabilities = [\"read\"]\n  capabilities = [\"list\"]\n  allowed_parameters = { \"x\" = [] }\n  allowed_parameters = { \"y\" = [] }\n  policy = \"deny\"\n  policy = \"read\"\n}\n",
    );
    let rule = &policy.paths()[0];
    assert_eq!(
        rule.capabilities,
        caps(&[Capability::Read, Capability::List])
    );
    let allowed: Vec<&str> = rule.allowed_parameters.keys().map(String::as_str).collect();
    assert_eq!(allowed, ["x", "y"]);
    // A deny in either list makes the block deny-only.
    let denied = parse("path \"a\" { capabilities = [\"deny\"] capabilities = [\"read\"] }");
    assert_eq!(denied.paths()[0].capabilities, Capabilities::DENY);
}
