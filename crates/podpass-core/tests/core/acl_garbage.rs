//! Hostile input never panics: mutated policies, random bytes, deep nesting, huge texts and
//! odd request paths. Deterministic (a seeded xorshift), no extra dependencies.

use crate::support;

use std::collections::BTreeMap;

use podpass_core::acl::{Acl, Operation, Request};
use podpass_core::identity::{EntityAlias, Identity};
use podpass_core::policy::Policy;
use support::XorShift;

const SEEDS: &[&str] = &[
    r#"path "secret/data/{{identity.entity.aliases.acc.metadata.service_account_namespace}}/*" {
  capabilities = ["read", "list"]
  allowed_parameters = { "a" = ["x*", 1, true, null] }
  denied_parameters = { "*" = [] }
  min_wrapping_ttl = "1m"
  max_wrapping_ttl = 3600
}
path "sys/+/x/+/*" { policy = "sudo" }
path "a/b" {
  capabilities = ["deny"]
}"#,
    r#"{"path": {"secret/*": {"capabilities": ["read"], "required_parameters": ["x"]},
  "+/+": [{"policy": "write"}], "x/{{identity.entity.id}}": {"capabilities": ["update"]}}}"#,
    "path \"p\" {\n  control_group {\n    factor \"f\" { identity { approvals = 1 } }\n  }\n}\n",
];

const SPICE: &[u8] = b"{}[]()\"'=:,\n*+/#\\ $%~-.0aZ\xc3\xa9";

fn identity() -> Identity {
    Identity {
        entity_id: "id".into(),
        entity_name: "name".into(),
        aliases: vec![EntityAlias {
            mount_accessor: "acc".into(),
            name: "alias".into(),
            metadata: BTreeMap::from([("service_account_namespace".into(), "ns".into())]),
        }],
    }
}

fn mutate(rng: &mut XorShift, seed: &str) -> String {
    let mut bytes = seed.as_bytes().to_vec();
    for _ in 0..=rng.below(6) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(5) {
            0 if at < bytes.len() => bytes[at] = SPICE[rng.below(SPICE.len())],
            1 => bytes.insert(at, SPICE[rng.below(SPICE.len())]),
            2 if at < bytes.len() => {
                let end = (at + rng.below(20)).min(bytes.len());
                bytes.drain(at..end);
            }
            3 => {
                let end = (at + rng.below(30)).min(bytes.len());
                let copy: Vec<u8> = bytes[at..end].to_vec();
                let to = rng.below(bytes.len() + 1);
                bytes.splice(to..to, copy);
            }
            _ => bytes.truncate(at),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Parses, and if that works, compiles and asks a few questions.
fn exercise(text: &str, rng: &mut XorShift) -> bool {
    let Ok(policy) = Policy::parse("fuzz", text) else {
        return false;
    };
    let id = identity();
    let Ok(acl) = Acl::new([&policy, &Policy::default_policy()], Some(&id)) else {
        return true;
    };
    let ops = [
        Operation::Create,
        Operation::Read,
        Operation::Update,
        Operation::Patch,
        Operation::Delete,
        Operation::List,
    ];
    for path in policy
        .paths()
        .iter()
        .map(|p| p.path.replace(['*', '+'], "x"))
    {
        let request =
            Request::new(ops[rng.below(ops.len())], path.clone()).with_wrap_ttl(rng.next() % 7200);
        let decision = acl.authorize(&request);
        let _ = decision.reason();
        let _ = serde_json::to_string(&decision);
        let _ = acl.capabilities(&path);
    }
    let _ = serde_json::to_string(&acl);
    true
}

#[test]
fn mutated_policies_never_panic() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut parsed = 0;
    for i in 0..600 {
        let text = mutate(&mut rng, SEEDS[i % SEEDS.len()]);
        if exercise(&text, &mut rng) {
            parsed += 1;
        }
    }
    // Some mutations keep the policy valid, most do not: both paths were exercised.
    assert!(parsed > 10 && parsed < 590, "{parsed} of 600 parsed");
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = XorShift(42);
    for _ in 0..300 {
        let len = rng.below(400);
        let bytes: Vec<u8> = (0..len).map(|_| (rng.next() & 0xff) as u8).collect();
        let text = String::from_utf8_lossy(&bytes);
        let _ = exercise(&text, &mut rng);
        let printable: String = bytes
            .iter()
            .map(|b| SPICE[*b as usize % SPICE.len()] as char)
            .collect();
        let _ = exercise(&printable, &mut rng);
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let depth = 100_000;
    let texts = [
        "[".repeat(depth),
        "{".repeat(depth),
        format!("path \"a\" {{\n  capabilities = {}\n}}", "[".repeat(depth)),
        format!(
            "path \"a\" {{\n  allowed_parameters = {}\n}}",
            "{ a = ".repeat(depth)
        ),
        format!("{{\"path\": {}", "[".repeat(depth)),
        format!("{{\"path\": {}", "{\"a\": ".repeat(depth)),
        format!("x = {}", "(".repeat(depth)),
        "path \"a\" {\n".repeat(depth),
        format!("path \"{}\" {{}}", "{{".repeat(depth)),
    ];
    for text in &texts {
        let result = Policy::parse("deep", text);
        assert!(result.is_err(), "{}", &text[..40]);
    }
    // Nesting up to the HCL readers' limit of 32 levels parses; one more is refused before
    // hcl-edit, whose backtracking doubles per level past about 30, ever sees it.
    let nested = |inner: usize| {
        format!(
            "path \"a\" {{\n  capabilities = [\"read\"]\n  allowed_parameters = {{ a = [{}1{}] }}\n}}",
            "[".repeat(inner),
            "]".repeat(inner)
        )
    };
    assert!(Policy::parse("deep", &nested(29)).is_ok());
    let error = Policy::parse("deep", &nested(30)).unwrap_err().to_string();
    assert!(
        error.contains("brackets nest deeper than 32 levels"),
        "{error}"
    );
}

#[test]
fn huge_policies_and_paths() {
    let mut text = String::new();
    for i in 0..3000 {
        text.push_str(&format!(
            "path \"secret/data/team-{i}/*\" {{\n  capabilities = [\"read\"]\n}}\npath \"kv/+/team-{i}/x\" {{\n  capabilities = [\"list\"]\n}}\n"
        ));
    }
    let policy = Policy::parse("huge", &text).unwrap();
    assert_eq!(policy.paths().len(), 6000);
    assert_eq!(policy.paths()[5999].line, 17_998);
    let acl = Acl::new([&policy], None).unwrap();
    assert!(
        acl.authorize(&Request::new(Operation::Read, "secret/data/team-2999/db"))
            .allowed
    );
    assert_eq!(acl.capabilities("kv/a/team-7/x"), ["list"]);

    let long_segment = "a".repeat(1 << 20);
    let many_slashes = "/".repeat(1 << 20);
    let many_segments = "x/".repeat(1 << 18);
    for path in [
        long_segment,
        many_slashes,
        many_segments,
        String::new(),
        "é/ü/+/*".into(),
    ] {
        for op in [Operation::Read, Operation::List] {
            let d = acl.authorize(&Request::new(op, path.clone()));
            assert!(!d.allowed);
        }
        let _ = acl.capabilities(&path);
    }

    let error = Policy::parse(
        "huge",
        &format!("{text}\npath \"x\" {{ capabilities = [\"nope\"] }}"),
    )
    .unwrap_err();
    assert_eq!(error.location().line, 18_002);
}
