//! ACL decisions: matching, priority, merging, LIST handling, sudo, parameters, wrapping TTLs,
//! capabilities and explanations.

use podpass_core::acl::{Acl, AclError, MatchKind, Operation, Outcome, PriorityRule, Request};
use podpass_core::policy::{Capability, Policy};
use serde_json::{Map, Value, json};

fn policy(name: &str, text: &str) -> Policy {
    Policy::parse(name, text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn acl(policies: &[(&str, &str)]) -> Acl {
    let parsed: Vec<Policy> = policies.iter().map(|(n, t)| policy(n, t)).collect();
    Acl::new(&parsed, None).unwrap()
}

fn rule(path: &str, caps: &str) -> String {
    format!("path \"{path}\" {{ capabilities = [{caps}] }}\n")
}

fn allowed(acl: &Acl, op: Operation, path: &str) -> bool {
    acl.authorize(&Request::new(op, path)).allowed
}

fn winner(acl: &Acl, op: Operation, path: &str) -> Option<String> {
    acl.authorize(&Request::new(op, path))
        .explanation
        .rule()
        .map(|r| r.path.to_string())
}

fn body(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

use Operation::*;

#[test]
fn tutorial_exercise_3_teams_cannot_read_each_other() {
    let grade = policy(
        "grade-api",
        r#"path "secret/data/grade-api/*" { capabilities = ["read"] }"#,
    );
    let payment = policy(
        "payment-api",
        r#"path "secret/data/payment/*" { capabilities = ["read"] }"#,
    );
    let default = Policy::default_policy();
    let grade_acl = Acl::new([&default, &grade], None).unwrap();
    let payment_acl = Acl::new([&default, &payment], None).unwrap();

    assert!(allowed(&grade_acl, Read, "secret/data/grade-api/db"));
    assert!(allowed(&payment_acl, Read, "secret/data/payment/db"));

    let denied = grade_acl.authorize(&Request::new(Read, "secret/data/payment/db"));
    assert!(!denied.allowed);
    assert_eq!(denied.explanation.outcome, Outcome::NoMatch);
    assert_eq!(
        denied.reason(),
        r#"no rule matches "secret/data/payment/db""#
    );
    let denied = payment_acl.authorize(&Request::new(Read, "secret/data/grade-api/db"));
    assert!(!denied.allowed);
    assert_eq!(
        denied.reason(),
        r#"no rule matches "secret/data/grade-api/db""#
    );

    let not_update = grade_acl.authorize(&Request::new(Update, "secret/data/grade-api/db"));
    assert!(!not_update.allowed);
    assert_eq!(
        not_update.reason(),
        r#"rule "secret/data/grade-api/*" from policy grade-api (line 1) grants [read], not update"#
    );
}

#[test]
fn explanation_names_policies_lines_and_capabilities() {
    let acl = acl(&[(
        "grade-api",
        r#"path "secret/data/grade-api/*" { capabilities = ["read", "list"] }"#,
    )]);
    let d = acl.authorize(&Request::new(Update, "/secret/data/grade-api/db"));
    assert_eq!(
        d.reason(),
        r#"rule "secret/data/grade-api/*" from policy grade-api (line 1) grants [read list], not update"#
    );
    assert_eq!(
        d.explanation.path, "secret/data/grade-api/db",
        "leading / removed"
    );
    let v = serde_json::to_value(&d).unwrap();
    assert_eq!(v["allowed"], false);
    assert_eq!(
        v["explanation"]["outcome"],
        json!({"kind": "missing_capability", "needed": "update"})
    );
    assert_eq!(v["explanation"]["reason"], d.reason());
    assert_eq!(v["explanation"]["rule"]["kind"], "prefix");
    assert_eq!(
        v["explanation"]["rule"]["sources"],
        json!([{"policy": "grade-api", "line": 1, "capabilities": ["list", "read"], "template": null}])
    );
    assert_eq!(v["explanation"]["operation"], "update");
}

#[test]
fn exact_rules_win_outright() {
    let acl = acl(&[(
        "p",
        &(rule("secret/foo", "\"read\"")
            + &rule("secret/*", "\"read\", \"update\"")
            + &rule("secret/+", "\"delete\"")),
    )]);
    let d = acl.authorize(&Request::new(Update, "secret/foo"));
    assert!(!d.allowed, "the exact rule lacks update");
    let rule = d.explanation.rule().unwrap();
    assert_eq!(rule.path, "secret/foo");
    assert_eq!(rule.kind, MatchKind::Exact);
    let beaten: Vec<(&str, PriorityRule)> = d
        .explanation
        .beaten()
        .iter()
        .map(|b| (b.path, b.lost_on))
        .collect();
    assert_eq!(
        beaten,
        [
            ("secret/+", PriorityRule::ExactMatchWins),
            ("secret/*", PriorityRule::ExactMatchWins)
        ]
    );
    let v = serde_json::to_value(&d.explanation.beaten()[0]).unwrap();
    assert_eq!(v["why"], "exact match wins");
    assert_eq!(v["priority_rule"], Value::Null);
    // Without an exact rule, secret/+ beats secret/* (rule 2) and only its delete applies.
    assert_eq!(
        winner(&acl, Update, "secret/bar").as_deref(),
        Some("secret/+")
    );
    assert!(!allowed(&acl, Update, "secret/bar"));
}

#[test]
fn prefix_rules() {
    let acl = acl(&[(
        "p",
        &(rule("secret/*", "\"read\"") + &rule("secret/data/app*", "\"list\"")),
    )]);
    assert!(allowed(&acl, Read, "secret/"), "secret/* matches secret/");
    assert!(allowed(&acl, Read, "secret/a/b/c"));
    assert!(!allowed(&acl, Read, "secret"), "but not secret");
    for path in ["secret/data/app", "secret/data/apple", "secret/data/app/x"] {
        assert_eq!(
            winner(&acl, Read, path).as_deref(),
            Some("secret/data/app*"),
            "{path}"
        );
        assert!(!allowed(&acl, Read, path), "{path}: winner takes all");
    }
    assert_eq!(
        winner(&acl, Read, "secret/data/ap").as_deref(),
        Some("secret/*")
    );

    // The shorter prefix is shown as beaten, on rule 1.
    let d = acl.authorize(&Request::new(Read, "secret/data/apple"));
    assert_eq!(d.explanation.beaten().len(), 1);
    assert_eq!(d.explanation.beaten()[0].path, "secret/*");
    assert_eq!(
        d.explanation.beaten()[0].lost_on,
        PriorityRule::FirstWildcardLater
    );
}

#[test]
fn priority_rule_pairs() {
    // (winner, loser, request path, deciding rule)
    let cases = [
        (
            "foo/a*",
            "foo/+",
            "foo/ab",
            PriorityRule::FirstWildcardLater,
        ),
        (
            "foo/bar/+/baz",
            "foo/+/bar/baz",
            "foo/bar/bar/baz",
            PriorityRule::FirstWildcardLater,
        ),
        ("foo/+", "foo/*", "foo/x", PriorityRule::NotPrefix),
        (
            "foo/+/bar",
            "foo/+/ba*",
            "foo/x/bar",
            PriorityRule::NotPrefix,
        ),
        (
            "secret/data/+/db",
            "secret/data/*",
            "secret/data/x/db",
            PriorityRule::NotPrefix,
        ),
        (
            "a/+/b/c",
            "a/+/+/c",
            "a/x/b/c",
            PriorityRule::FewerSegmentWildcards,
        ),
        (
            "foo/+/bar/ba*",
            "foo/+/bar/b*",
            "foo/x/bar/baz",
            PriorityRule::Longer,
        ),
        (
            "+/x/+",
            "+/+/y",
            "q/x/y",
            PriorityRule::LexicographicallyLater,
        ),
    ];
    for (win, lose, path, by) in cases {
        let texts = [
            rule(win, "\"read\"") + &rule(lose, "\"deny\""),
            rule(lose, "\"deny\"") + &rule(win, "\"read\""),
        ];
        for text in texts {
            let acl = acl(&[("p", &text)]);
            let d = acl.authorize(&Request::new(Read, path));
            assert!(
                d.allowed,
                "{win} should beat {lose} on {path}: {}",
                d.reason()
            );
            assert_eq!(d.explanation.rule().map(|r| r.path), Some(win));
            let lost: Vec<_> = d
                .explanation
                .beaten()
                .iter()
                .filter(|b| b.path == lose)
                .map(|b| b.lost_on)
                .collect();
            assert_eq!(lost, [by], "{win} vs {lose}");
            assert!(by.number().is_some());
        }
    }
}

#[test]
fn same_path_blocks_merge_and_deny_anywhere_wins() {
    let acl = acl(&[
        ("a", &rule("secret/data/x/*", "\"read\"")),
        (
            "b",
            &format!("\n\n{}", rule("secret/data/x/*", "\"update\"")),
        ),
    ]);
    assert!(allowed(&acl, Read, "secret/data/x/1"));
    assert!(allowed(&acl, Update, "secret/data/x/1"));
    let d = acl.authorize(&Request::new(Delete, "secret/data/x/1"));
    assert_eq!(
        d.reason(),
        r#"rule "secret/data/x/*" from policies a (line 1), b (line 3) grants [read update], not delete"#
    );
    assert_eq!(acl.capabilities("secret/data/x/1"), ["read", "update"]);

    for order in [["a", "b"], ["b", "a"]] {
        let denying = rule("secret/data/x/*", "\"deny\"");
        let granting = rule("secret/data/x/*", "\"read\", \"update\"");
        let texts = if order[0] == "a" {
            [&denying, &granting]
        } else {
            [&granting, &denying]
        };
        let merged = self::acl(&[("a", texts[0]), ("b", texts[1])]);
        let d = merged.authorize(&Request::new(Read, "secret/data/x/1"));
        assert!(!d.allowed);
        assert_eq!(d.explanation.outcome, Outcome::ExplicitDeny);
        assert_eq!(merged.capabilities("secret/data/x/1"), ["deny"]);
        assert_eq!(d.explanation.rule().map(|r| r.sources.len()), Some(2));
    }
}

#[test]
fn winner_takes_all_between_different_paths() {
    let acl = acl(&[(
        "p",
        &(rule("secret/*", "\"deny\"")
            + &rule("secret/data/*", "\"read\"")
            + &rule("secret/data/app/*", "\"list\"")),
    )]);
    assert!(
        allowed(&acl, Read, "secret/data/other"),
        "a lower-priority deny does not override"
    );
    assert!(
        !allowed(&acl, Read, "secret/data/app/x"),
        "the more specific rule lacks read"
    );
    assert!(!allowed(&acl, Read, "secret/other"));
    let d = acl.authorize(&Request::new(Read, "secret/data/app/x"));
    assert_eq!(
        d.explanation.outcome,
        Outcome::MissingCapability {
            needed: Capability::Read
        }
    );
}

#[test]
fn list_with_and_without_trailing_slash() {
    let acl = acl(&[(
        "p",
        &(rule("auth/approle/role", "\"list\"") + &rule("sys/policies/acl/", "\"list\"")),
    )]);
    assert!(allowed(&acl, List, "auth/approle/role/"));
    assert!(
        allowed(&acl, List, "auth/approle/role"),
        "a / is added to LIST paths"
    );
    assert!(allowed(&acl, List, "sys/policies/acl/"));
    assert!(allowed(&acl, List, "sys/policies/acl"));
    let d = acl.authorize(&Request::new(List, "auth/approle/role"));
    assert_eq!(d.explanation.path, "auth/approle/role/");
    assert!(d.explanation.rule().unwrap().without_trailing_slash);
    assert!(
        !allowed(&acl, Read, "auth/approle/role/"),
        "only LIST drops the slash"
    );
    assert_eq!(acl.capabilities("auth/approle/role/"), ["list"]);

    // Wildcard rules without the slash match LIST too.
    let wildcard = acl_of(&rule("+/sys/policies/acl", "\"list\""));
    assert!(allowed(&wildcard, List, "ns1/sys/policies/acl/"));
}

fn acl_of(text: &str) -> Acl {
    acl(&[("p", text)])
}

#[test]
fn a_more_specific_deny_beats_a_broader_list_grant() {
    let acl = acl_of(
        r#"
path "foo/metadata/*" { capabilities = ["list"] }
path "foo/metadata/private/*" { capabilities = ["deny"] }
path "foo/metadata/private/granted/*" { capabilities = ["list"] }
"#,
    );
    for (path, expected) in [
        ("foo", false),
        ("foo/metadata", true),
        ("foo/metadata/test", true),
        ("foo/metadata/private", false),
        ("foo/metadata/private/internal", false),
        ("foo/metadata/private/granted", true),
        ("foo/metadata/private/granted/test", true),
    ] {
        let d = acl.authorize(&Request::new(List, format!("{path}/")));
        assert_eq!(d.allowed, expected, "LIST {path}/: {}", d.reason());
    }
    let d = acl.authorize(&Request::new(List, "foo/metadata/private/"));
    assert_eq!(d.explanation.outcome, Outcome::ExplicitDeny);
    assert_eq!(
        d.explanation.rule().map(|r| r.path),
        Some("foo/metadata/private/*")
    );
}

#[test]
fn segment_wildcard_corner_cases() {
    let acl = acl_of(
        &(rule("a/+", "\"read\"")
            + &rule("+/b", "\"update\"")
            + &rule("c/+/d", "\"delete\"")
            + &rule("e/+/f*", "\"list\"")
            + &rule("g/+/*", "\"create\"")
            + &rule("h/+bar", "\"patch\"")
            + &rule("i/foo+bar", "\"sudo\"")),
    );
    let caps = |p: &str| acl.capabilities(p);
    assert_eq!(caps("a/x"), ["read"]);
    assert_eq!(caps("a/"), ["read"], "+ matches an empty trailing segment");
    assert_eq!(caps("a/x/y"), ["deny"], "+ is one segment only");
    assert_eq!(caps("a"), ["deny"]);
    assert_eq!(caps("x/b"), ["update"], "+ at the front");
    assert_eq!(
        caps("/b"),
        ["deny"],
        "leading / is stripped, so this is b: no match"
    );
    assert_eq!(caps("b"), ["deny"]);
    assert_eq!(caps("c//d"), ["delete"], "empty middle segment");
    assert_eq!(caps("c/x/y/d"), ["deny"]);
    assert_eq!(caps("e/x/f"), ["list"], "+ with a trailing *");
    assert_eq!(caps("e/x/fig/tree"), ["list"]);
    assert_eq!(caps("e/x/g"), ["deny"]);
    assert_eq!(caps("g/x/"), ["create"]);
    assert_eq!(caps("g/x/y/z"), ["create"]);
    assert_eq!(caps("g/x"), ["deny"], "g/+/* needs the third segment");
    assert_eq!(caps("h/+bar"), ["patch"], "+bar is a literal segment");
    assert_eq!(caps("h/xbar"), ["deny"]);
    assert_eq!(caps("i/foo+bar"), ["sudo"], "foo+bar is literal");
    assert_eq!(
        acl.authorize(&Request::new(Read, "c/x/d"))
            .explanation
            .rule()
            .map(|r| r.kind),
        Some(MatchKind::SegmentWildcard)
    );
}

#[test]
fn sudo_for_root_protected_endpoints() {
    let acl =
        acl_of(&(rule("sys/audit/*", "\"update\"") + &rule("sys/raw/*", "\"update\", \"sudo\"")));
    let plain = Request::new(Update, "sys/audit/file");
    assert!(acl.authorize(&plain).allowed);
    let d = acl.authorize(&plain.clone().root_protected());
    assert!(!d.allowed);
    assert_eq!(d.explanation.outcome, Outcome::SudoRequired);
    assert!(d.reason().contains("root-protected"), "{}", d.reason());
    assert!(
        acl.authorize(&Request::new(Update, "sys/raw/x").root_protected())
            .allowed
    );
    assert!(
        !acl.authorize(&Request::new(Read, "sys/raw/x").root_protected())
            .allowed,
        "sudo does not replace the operation's own capability"
    );
}

#[test]
fn parameters() {
    let acl = acl_of(
        r#"
path "req" {
  capabilities = ["create", "update", "read"]
  required_parameters = ["Name"]
}
path "deny" {
  capabilities = ["update"]
  denied_parameters = {
    "password" = []
    "role"     = ["admin*", "*-root"]
  }
}
path "denyall" {
  capabilities = ["update"]
  denied_parameters = { "*" = [] }
}
path "allow" {
  capabilities = ["update", "patch"]
  allowed_parameters = {
    "Colour" = ["red", "gr*"]
    "size"   = []
    "count"  = [1, 2]
  }
}
path "allowall" {
  capabilities = ["update"]
  allowed_parameters = { "*" = [] }
}
path "allowsome" {
  capabilities = ["update"]
  allowed_parameters = {
    "*"    = []
    "mode" = ["ro"]
  }
}
"#,
    );
    let check = |path: &str, op: Operation, params: Value| {
        acl.authorize(&Request::new(op, path).with_parameters(body(params)))
            .explanation
            .outcome
    };
    let ok = Outcome::Granted;
    assert_eq!(check("req", Update, json!({"name": "x"})), ok);
    assert_eq!(
        check("req", Update, json!({"other": 1})),
        Outcome::RequiredParameterMissing {
            parameter: "Name".into()
        }
    );
    assert_eq!(
        acl.authorize(&Request::new(Read, "req"))
            .explanation
            .outcome,
        Outcome::RequiredParameterMissing {
            parameter: "Name".into()
        },
        "required parameters apply to reads too"
    );

    assert_eq!(check("deny", Update, json!({"user": "x"})), ok);
    assert_eq!(
        check("deny", Update, json!({"PASSWORD": "x"})),
        Outcome::ParameterDenied {
            parameter: "PASSWORD".into()
        },
        "keys are case-insensitive"
    );
    assert_eq!(
        check("deny", Update, json!({"role": "administrator"})),
        Outcome::ParameterDenied {
            parameter: "role".into()
        }
    );
    assert_eq!(
        check("deny", Update, json!({"role": "db-root"})),
        Outcome::ParameterDenied {
            parameter: "role".into()
        }
    );
    assert_eq!(check("deny", Update, json!({"role": "reader"})), ok);
    assert_eq!(
        check("deny", Update, json!({"role": ["reader", "admin"]})),
        Outcome::ParameterDenied {
            parameter: "role".into()
        }
    );
    assert_eq!(
        check("deny", Update, json!({"role": "reader, admin"})),
        Outcome::ParameterDenied {
            parameter: "role".into()
        }
    );
    assert_eq!(
        check("denyall", Update, json!({"a": 1})),
        Outcome::AllParametersDenied
    );
    assert_eq!(
        check("denyall", Update, json!({})),
        ok,
        "no body, nothing to deny"
    );

    assert_eq!(
        check("allow", Update, json!({"colour": "red", "size": 9})),
        ok
    );
    assert_eq!(check("allow", Update, json!({"colour": "green"})), ok);
    assert_eq!(
        check("allow", Update, json!({"colour": ["red", "grey"]})),
        ok
    );
    assert_eq!(check("allow", Update, json!({"colour": "red,green"})), ok);
    assert_eq!(
        check("allow", Patch, json!({"count": 2})),
        Outcome::ParameterValueNotAllowed {
            parameter: "count".into()
        },
        "as in Vault, a number in a request body never equals a listed value"
    );
    assert_eq!(
        check("allow", Patch, json!({"count": "1"})),
        Outcome::ParameterValueNotAllowed {
            parameter: "count".into()
        }
    );
    assert_eq!(
        check("allow", Update, json!({"colour": "blue"})),
        Outcome::ParameterValueNotAllowed {
            parameter: "colour".into()
        }
    );
    assert_eq!(
        check("allow", Update, json!({"count": 3})),
        Outcome::ParameterValueNotAllowed {
            parameter: "count".into()
        }
    );
    assert_eq!(
        check("allow", Update, json!({"colour": "red", "shape": "x"})),
        Outcome::ParameterNotAllowed {
            parameter: "shape".into()
        }
    );
    assert_eq!(check("allowall", Update, json!({"anything": 1})), ok);
    assert_eq!(
        check("allowsome", Update, json!({"anything": 1, "mode": "ro"})),
        ok
    );
    assert_eq!(
        check("allowsome", Update, json!({"mode": "rw"})),
        Outcome::ParameterValueNotAllowed {
            parameter: "mode".into()
        }
    );
    assert_eq!(
        acl.authorize(&Request::new(Delete, "deny").with_parameters(body(json!({"password": 1}))))
            .explanation
            .outcome,
        Outcome::MissingCapability {
            needed: Capability::Delete
        },
    );
}

#[test]
fn parameter_lists_merge_across_policies() {
    let acl = acl(&[
        (
            "a",
            "path \"p\" {\n capabilities = [\"update\"]\n allowed_parameters = { \"x\" = [\"1\"] }\n}",
        ),
        (
            "b",
            "path \"p\" {\n capabilities = [\"update\"]\n allowed_parameters = { \"x\" = [\"2\"], \"y\" = [] }\n}",
        ),
        (
            "c",
            "path \"q\" {\n capabilities = [\"update\"]\n allowed_parameters = { \"x\" = [\"1\"] }\n}",
        ),
        (
            "d",
            "path \"q\" {\n capabilities = [\"update\"]\n allowed_parameters = { \"x\" = [] }\n}",
        ),
    ]);
    let check = |path: &str, params: Value| {
        acl.authorize(&Request::new(Update, path).with_parameters(body(params)))
            .allowed
    };
    assert!(check("p", json!({"x": "1"})));
    assert!(check("p", json!({"x": "2", "y": "anything"})));
    assert!(!check("p", json!({"x": "3"})));
    assert!(
        check("q", json!({"x": "3"})),
        "an empty list (any value) absorbs the other"
    );
}

#[test]
fn wrapping_ttls() {
    let acl = acl(&[
        (
            "a",
            r#"path "w" {
  capabilities = ["update"]
  min_wrapping_ttl = "1m"
  max_wrapping_ttl = "1h"
}
path "m" {
  capabilities = ["update"]
  min_wrapping_ttl = "10m"
  max_wrapping_ttl = "2h"
}"#,
        ),
        (
            "b",
            r#"path "m" {
  capabilities = ["update"]
  min_wrapping_ttl = "5m"
  max_wrapping_ttl = "30m"
}
path "c" {
  capabilities = ["update"]
  min_wrapping_ttl = "20m"
}"#,
        ),
        (
            "c",
            r#"path "c" {
  capabilities = ["update"]
  max_wrapping_ttl = "10m"
}"#,
        ),
    ]);
    let outcome = |path: &str, ttl: Option<u64>| {
        let mut request = Request::new(Update, path);
        request.wrap_ttl = ttl;
        acl.authorize(&request).explanation.outcome
    };
    assert_eq!(outcome("w", None), Outcome::WrappingRequired);
    assert_eq!(outcome("w", Some(300)), Outcome::Granted);
    assert_eq!(
        outcome("w", Some(60)),
        Outcome::Granted,
        "bounds are inclusive"
    );
    assert_eq!(outcome("w", Some(3600)), Outcome::Granted);
    assert_eq!(
        outcome("w", Some(3601)),
        Outcome::WrapTtlAboveMax {
            requested: 3601,
            max: 3600
        }
    );
    assert_eq!(
        outcome("w", Some(59)),
        Outcome::WrapTtlBelowMin {
            requested: 59,
            min: 60
        }
    );
    // Merged: the smaller maximum (30m) and the smaller minimum (5m), as Vault does.
    assert_eq!(outcome("m", Some(400)), Outcome::Granted);
    assert_eq!(
        outcome("m", Some(299)),
        Outcome::WrapTtlBelowMin {
            requested: 299,
            min: 300
        }
    );
    assert_eq!(
        outcome("m", Some(1801)),
        Outcome::WrapTtlAboveMax {
            requested: 1801,
            max: 1800
        }
    );
    // Merged bounds that cross (min 20m from one policy, max 10m from another) leave nothing.
    assert_eq!(
        outcome("c", Some(600)),
        Outcome::WrapTtlBelowMin {
            requested: 600,
            min: 1200
        }
    );
    assert_eq!(
        outcome("c", Some(1200)),
        Outcome::WrapTtlAboveMax {
            requested: 1200,
            max: 600
        }
    );
}

#[test]
fn capabilities_api() {
    let acl = acl_of(
        &(rule("secret/*", "\"update\", \"read\", \"list\", \"create\"")
            + &rule("secret/deny", "\"deny\"")
            + &rule("secret/empty", "")),
    );
    assert_eq!(
        acl.capabilities("secret/x"),
        ["create", "list", "read", "update"]
    );
    assert_eq!(
        acl.capabilities("/secret/x"),
        ["create", "list", "read", "update"]
    );
    assert_eq!(acl.capabilities("secret/deny"), ["deny"]);
    assert_eq!(
        acl.capabilities("secret/empty"),
        ["deny"],
        "a matching rule with nothing wins"
    );
    assert_eq!(acl.capabilities("other"), ["deny"]);
    assert_eq!(
        acl.capabilities("secret/deny/"),
        ["deny"],
        "exact rule without the / applies"
    );

    let root = Acl::new([&Policy::root()], None).unwrap();
    assert!(root.is_root());
    assert_eq!(root.capabilities("anything"), ["root"]);
    let d = root.authorize(&Request::new(Delete, "sys/raw/x").root_protected());
    assert!(d.allowed);
    assert_eq!(d.explanation.outcome, Outcome::Root);
    assert_eq!(d.reason(), "the root policy allows everything");
    assert_eq!(
        Acl::new([&Policy::root(), &Policy::default_policy()], None).unwrap_err(),
        AclError::RootWithOthers
    );
    assert_eq!(
        AclError::RootWithOthers.to_string(),
        "other policies present along with root"
    );
}

#[test]
fn http_methods() {
    assert_eq!(Operation::from_http("GET", false, true), Some(Read));
    assert_eq!(Operation::from_http("get", true, true), Some(List));
    assert_eq!(Operation::from_http("LIST", false, true), Some(List));
    assert_eq!(Operation::from_http("POST", false, false), Some(Create));
    assert_eq!(Operation::from_http("PUT", false, true), Some(Update));
    assert_eq!(Operation::from_http("PATCH", false, true), Some(Patch));
    assert_eq!(Operation::from_http("DELETE", false, true), Some(Delete));
    assert_eq!(Operation::from_http("OPTIONS", false, true), None);
    assert_eq!(Read.capability(), Capability::Read);
}

#[test]
fn kv_version_1_rule_for_a_version_2_path_gets_a_hint() {
    let acl = acl(&[("grade-api", &rule("secret/grade-api/*", "\"read\""))]);
    let d = acl.authorize(&Request::new(Read, "secret/data/grade-api/db"));
    assert!(!d.allowed);
    assert_eq!(
        d.explanation.hints(),
        [
            r#"rule "secret/grade-api/*" from policy grade-api (line 1) matches "secret/grade-api/db", but a KV version 2 mount checks "secret/data/grade-api/db": the rule should be "secret/data/grade-api/*""#
        ]
    );
}

#[test]
fn no_matching_rule_points_at_the_nearest_ones() {
    let acl = acl(&[(
        "app",
        &format!(
            "{}\n{}\n{}",
            rule("secret/data/app/*", "\"read\""),
            rule("secret/data/app/db", "\"read\""),
            rule("auth/token/lookup-self", "\"read\"")
        ),
    )]);
    let d = acl.authorize(&Request::new(Read, "secret/data/other/db"));
    assert!(!d.allowed);
    assert_eq!(
        d.explanation.hints(),
        [
            r#"the nearest rules share 2 leading segments with "secret/data/other/db": "secret/data/app/*" from policy app (line 1), "secret/data/app/db" from policy app (line 3)"#
        ]
    );
    let unrelated = acl.authorize(&Request::new(Read, "sys/mounts"));
    assert!(unrelated.explanation.hints().is_empty());
}

#[test]
fn requests_deserialize() {
    let request: Request = serde_json::from_value(json!({
        "operation": "update",
        "path": "secret/data/x",
        "parameters": {"a": 1},
        "wrap_ttl": 60
    }))
    .unwrap();
    assert_eq!(request.operation, Update);
    assert!(!request.root_protected);
    assert_eq!(request.wrap_ttl, Some(60));
}

#[test]
fn the_compiled_acl_serializes() {
    let acl = acl(&[
        ("a", &rule("x/*", "\"read\"")),
        ("b", &rule("x/*", "\"list\"")),
    ]);
    let v = serde_json::to_value(&acl).unwrap();
    assert_eq!(v["policies"], json!(["a", "b"]));
    assert_eq!(v["rules"][0]["path"], "x/*");
    assert_eq!(v["rules"][0]["capabilities"], json!(["list", "read"]));
    assert_eq!(v["rules"][0]["sources"].as_array().map(Vec::len), Some(2));
}

/// Found by the ACL differential fuzz target, answers checked against OpenBao 2.7.2: a lone
/// `+` is a one-segment rule, whether or not an exact rule for the empty path sits beside it.
#[test]
fn a_lone_plus_matches_any_single_segment() {
    for text in [
        rule("+", "\"read\""),
        rule("+", "\"read\"") + &rule("", "\"deny\""),
    ] {
        let acl = acl(&[("p", &text)]);
        assert_eq!(acl.capabilities("a"), ["read"], "{text}");
        assert_eq!(acl.capabilities("a/"), ["read"], "{text}");
        assert_eq!(acl.capabilities("b/c"), ["deny"], "{text}");
        assert!(allowed(&acl, Read, "a"), "{text}");
    }
}

/// The differential fuzz target's reference first stripped every leading `/` from a rule;
/// OpenBao 2.7.2 strips one (as podpass does), so `///+` never matches a request path, whose
/// leading slashes all go.
#[test]
fn a_rule_loses_one_leading_slash_a_request_path_all() {
    let acl = acl(&[("p", &(rule("///+", "\"read\"") + &rule("/b", "\"list\"")))]);
    assert_eq!(acl.capabilities("a"), ["deny"]);
    assert_eq!(acl.capabilities("//a"), ["deny"]);
    assert_eq!(acl.capabilities("b"), ["list"]);
    assert_eq!(acl.capabilities("///b"), ["list"]);
}
