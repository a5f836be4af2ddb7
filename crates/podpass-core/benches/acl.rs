//! ACL benchmarks, podpass and Cedar side by side over the same generated rules:
//!
//! 1. `acl_authorize`: 1,000 policies × 10 paths (exact, prefix and `+` rules), one `authorize`
//!    per iteration over seeded random requests.
//! 2. `acl_capabilities`: `capabilities` for 1,000 paths against 38 policies, all per iteration.
//! 3. The same questions to Cedar (`cedar-policy`), one `permit`/`forbid` per rule with an
//!    equality or `like` condition on the resource's path (`+` becomes `*`: Cedar has no
//!    one-segment wildcard, and it unions permits where Vault picks one winning rule, so the
//!    policy sets are equivalent in size and shape, not in every answer).
//!
//! `acl_compile` also times building the 1,000-policy ACL.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // fixtures and test code: a failure should stop loudly

#[path = "../tests/core/support/mod.rs"]
mod support;

use std::collections::{HashMap, HashSet};
use std::hint::black_box;
use std::str::FromStr;

use criterion::{Criterion, criterion_group, criterion_main};
use podpass_core::acl::{Acl, Operation, Request};
use podpass_core::policy::Policy;
use support::XorShift;

struct RuleSpec {
    path: String,
    capabilities: &'static [&'static str],
}

/// Ten rules for team `i`: four exact, three prefix, three with `+` (one also a prefix).
fn team_rules(i: usize) -> Vec<RuleSpec> {
    let rule =
        |path: String, capabilities: &'static [&'static str]| RuleSpec { path, capabilities };
    vec![
        rule(format!("secret/data/team-{i}/config"), &["read"]),
        rule(
            format!("secret/metadata/team-{i}/config"),
            &["read", "delete"],
        ),
        rule(
            format!("auth/kubernetes/role/team-{i}"),
            &["read", "update"],
        ),
        rule(
            format!("secret/data/team-{i}/private"),
            if i.is_multiple_of(5) {
                &["deny"]
            } else {
                &["read"]
            },
        ),
        rule(format!("secret/data/team-{i}/*"), &["read", "list"]),
        rule(format!("secret/metadata/team-{i}/*"), &["list"]),
        rule(format!("kv/team-{i}/app-*"), &["create", "read", "update"]),
        rule(format!("secret/data/+/team-{i}/shared"), &["read"]),
        rule(format!("database/+/team-{i}/*"), &["read"]),
        rule(format!("transit/+/team-{i}-key"), &["update"]),
    ]
}

fn hcl(rules: &[RuleSpec]) -> String {
    rules
        .iter()
        .map(|r| {
            let caps: Vec<String> = r.capabilities.iter().map(|c| format!("{c:?}")).collect();
            format!(
                "path {:?} {{\n  capabilities = [{}]\n}}\n",
                r.path,
                caps.join(", ")
            )
        })
        .collect()
}

fn cedar(rules: &[RuleSpec]) -> String {
    rules
        .iter()
        .map(|r| {
            let condition = if r.path.contains(['*', '+']) {
                format!("resource.path like {:?}", r.path.replace('+', "*"))
            } else {
                format!("resource.path == {:?}", r.path)
            };
            if r.capabilities == ["deny"] {
                format!("forbid(principal, action, resource) when {{ {condition} }};\n")
            } else {
                let actions: Vec<String> = r
                    .capabilities
                    .iter()
                    .map(|c| format!("Action::{c:?}"))
                    .collect();
                format!(
                    "permit(principal, action in [{}], resource) when {{ {condition} }};\n",
                    actions.join(", ")
                )
            }
        })
        .collect()
}

/// A request for a random team below `teams` (some beyond the policies, which match nothing).
fn random_request(rng: &mut XorShift, teams: u64) -> Request {
    let i = rng.next() % teams;
    let (op, path) = match rng.next() % 11 {
        0 => (Operation::Read, format!("secret/data/team-{i}/config")),
        1 => (Operation::Read, format!("secret/data/team-{i}/db")),
        2 => (
            Operation::Update,
            format!("secret/data/team-{i}/app/nested/key"),
        ),
        3 => (Operation::List, format!("secret/metadata/team-{i}/")),
        4 => (Operation::Create, format!("kv/team-{i}/app-frontend")),
        5 => (
            Operation::Read,
            format!("secret/data/ns-{}/team-{i}/shared", rng.next() % 50),
        ),
        6 => (Operation::Read, format!("database/static/team-{i}/role")),
        7 => (Operation::Update, format!("transit/encrypt/team-{i}-key")),
        8 => (Operation::Read, format!("auth/kubernetes/role/team-{i}")),
        9 => (Operation::Read, format!("secret/data/team-{i}/private")),
        _ => (Operation::Read, format!("pki/issue/team-{i}")),
    };
    Request::new(op, path)
}

struct CedarSet {
    policies: cedar_policy::PolicySet,
    authorizer: cedar_policy::Authorizer,
}

impl CedarSet {
    fn new(rules: &[RuleSpec]) -> CedarSet {
        CedarSet {
            policies: cedar_policy::PolicySet::from_str(&cedar(rules)).expect("cedar policies"),
            authorizer: cedar_policy::Authorizer::new(),
        }
    }
}

fn uid(kind: &str, id: &str) -> cedar_policy::EntityUid {
    cedar_policy::EntityUid::from_type_name_and_id(
        cedar_policy::EntityTypeName::from_str(kind).expect("type name"),
        cedar_policy::EntityId::new(id),
    )
}

/// The resource entity (with its path) and a request per action, built before timing.
fn cedar_question(
    path: &str,
    actions: &[&str],
) -> (Vec<cedar_policy::Request>, cedar_policy::Entities) {
    let resource = uid("Path", "r");
    let entity = cedar_policy::Entity::new(
        resource.clone(),
        HashMap::from([(
            "path".to_string(),
            cedar_policy::RestrictedExpression::new_string(path.to_string()),
        )]),
        HashSet::new(),
    )
    .expect("entity");
    let entities = cedar_policy::Entities::from_entities([entity], None).expect("entities");
    let requests = actions
        .iter()
        .map(|action| {
            cedar_policy::Request::new(
                uid("User", "app"),
                uid("Action", action),
                resource.clone(),
                cedar_policy::Context::empty(),
                None,
            )
            .expect("request")
        })
        .collect();
    (requests, entities)
}

fn bench_authorize(c: &mut Criterion) {
    let specs: Vec<Vec<RuleSpec>> = (0..1000).map(team_rules).collect();
    let policies: Vec<Policy> = specs
        .iter()
        .enumerate()
        .map(|(i, rules)| Policy::parse(&format!("team-{i}"), &hcl(rules)).expect("policy"))
        .collect();
    let acl = Acl::new(&policies, None).expect("acl");
    let mut rng = XorShift(0x5eed_ac10_0000_0001);
    let requests: Vec<Request> = (0..4096).map(|_| random_request(&mut rng, 1200)).collect();
    let allowed = requests.iter().filter(|r| acl.authorize(r).allowed).count();
    eprintln!(
        "acl_authorize: {allowed} of {} requests allowed",
        requests.len()
    );

    let mut group = c.benchmark_group("acl_authorize");
    let mut i = 0usize;
    group.bench_function("podpass_1000_policies_x10", |b| {
        b.iter(|| {
            let request = &requests[i & 4095];
            i = i.wrapping_add(1);
            black_box(acl.authorize(black_box(request)))
        })
    });

    let all_rules: Vec<RuleSpec> = specs.into_iter().flatten().collect();
    let cedar_set = CedarSet::new(&all_rules);
    let cedar_questions: Vec<_> = requests
        .iter()
        .take(256)
        .map(|r| cedar_question(&r.path, &[r.operation.as_str()]))
        .collect();
    group.sample_size(10);
    let mut j = 0usize;
    group.bench_function("cedar_1000_policies_x10", |b| {
        b.iter(|| {
            let (requests, entities) = &cedar_questions[j & 255];
            j = j.wrapping_add(1);
            black_box(cedar_set.authorizer.is_authorized(
                &requests[0],
                &cedar_set.policies,
                entities,
            ))
        })
    });
    group.finish();

    c.bench_function("acl_compile/podpass_1000_policies_x10", |b| {
        b.iter(|| black_box(Acl::new(black_box(&policies), None).expect("acl")))
    });
}

fn bench_capabilities(c: &mut Criterion) {
    let specs: Vec<Vec<RuleSpec>> = (0..37).map(team_rules).collect();
    let mut policies: Vec<Policy> = vec![Policy::default_policy()];
    policies.extend(
        specs
            .iter()
            .enumerate()
            .map(|(i, rules)| Policy::parse(&format!("team-{i}"), &hcl(rules)).expect("policy")),
    );
    assert_eq!(policies.len(), 38);
    let acl = Acl::new(&policies, None).expect("acl");
    let mut rng = XorShift(0x5eed_cafe_0000_0002);
    let paths: Vec<String> = (0..1000)
        .map(|_| random_request(&mut rng, 45).path)
        .collect();

    let mut group = c.benchmark_group("acl_capabilities");
    group.bench_function("podpass_1000_paths_38_policies", |b| {
        b.iter(|| {
            for path in &paths {
                black_box(acl.capabilities(black_box(path)));
            }
        })
    });

    let all_rules: Vec<RuleSpec> = specs.into_iter().flatten().collect();
    let cedar_set = CedarSet::new(&all_rules);
    let actions = ["create", "read", "update", "patch", "delete", "list"];
    let questions: Vec<_> = paths.iter().map(|p| cedar_question(p, &actions)).collect();
    group.sample_size(10);
    group.bench_function("cedar_1000_paths_38_policies", |b| {
        b.iter(|| {
            for (requests, entities) in &questions {
                let granted: Vec<bool> = requests
                    .iter()
                    .map(|r| {
                        cedar_set
                            .authorizer
                            .is_authorized(r, &cedar_set.policies, entities)
                            .decision()
                            == cedar_policy::Decision::Allow
                    })
                    .collect();
                black_box(granted);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_authorize, bench_capabilities);
criterion_main!(benches);
