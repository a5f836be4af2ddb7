//! Identity templates in policy paths: filled, unfillable (dropped), refused values, and the
//! default policy's entity paths.

use std::collections::BTreeMap;

use podpass_core::acl::{Acl, Operation, Request};
use podpass_core::identity::{EntityAlias, Identity};
use podpass_core::policy::{Policy, TemplateError};

const ACCESSOR: &str = "auth_kubernetes_1234";

fn identity(namespace: &str) -> Identity {
    Identity {
        entity_id: "7d2e3f4a-0000-4000-8000-000000000001".into(),
        entity_name: "entity_7d2e3f4a".into(),
        aliases: vec![EntityAlias {
            mount_accessor: ACCESSOR.into(),
            name: "0a1b2c3d-uid".into(),
            metadata: BTreeMap::from([
                (
                    "service_account_namespace".to_string(),
                    namespace.to_string(),
                ),
                (
                    "service_account_name".to_string(),
                    "grade-api-sa".to_string(),
                ),
            ]),
        }],
    }
}

fn team_policy() -> Policy {
    Policy::parse(
        "team",
        &format!(
            r#"path "secret/data/{{{{identity.entity.aliases.{ACCESSOR}.metadata.service_account_namespace}}}}/*" {{
  capabilities = ["read"]
}}

path "secret/data/sa/{{{{ identity.entity.aliases.{ACCESSOR}.metadata.service_account_name }}}}" {{
  capabilities = ["read"]
}}

path "secret/data/alias/{{{{identity.entity.aliases.{ACCESSOR}.name}}}}" {{
  capabilities = ["read"]
}}

path "secret/data/entity/{{{{identity.entity.id}}}}/{{{{identity.entity.name}}}}" {{
  capabilities = ["read"]
}}

path "secret/data/other/{{{{identity.entity.aliases.auth_other_9999.name}}}}" {{
  capabilities = ["read"]
}}

path "shared/*" {{
  capabilities = ["read"]
}}
"#
        ),
    )
    .unwrap()
}

fn read(acl: &Acl, path: &str) -> bool {
    acl.authorize(&Request::new(Operation::Read, path)).allowed
}

#[test]
fn templates_are_filled_from_the_identity() {
    let id = identity("grade-api");
    let acl = Acl::new([&team_policy()], Some(&id)).unwrap();
    assert!(read(&acl, "secret/data/grade-api/db"));
    assert!(
        !read(&acl, "secret/data/payment/db"),
        "one policy, one namespace each"
    );
    assert!(read(&acl, "secret/data/sa/grade-api-sa"));
    assert!(read(&acl, "secret/data/alias/0a1b2c3d-uid"));
    assert!(read(
        &acl,
        "secret/data/entity/7d2e3f4a-0000-4000-8000-000000000001/entity_7d2e3f4a"
    ));
    assert!(read(&acl, "shared/config"));

    let d = acl.authorize(&Request::new(Operation::Read, "secret/data/grade-api/db"));
    let rule = d.explanation.rule().unwrap();
    assert_eq!(rule.path, "secret/data/grade-api/*");
    assert_eq!(
        rule.sources[0].template.as_deref(),
        Some(
            "secret/data/{{identity.entity.aliases.auth_kubernetes_1234.metadata.service_account_namespace}}/*"
        )
    );
    assert_eq!(rule.sources[0].line, 1);

    // The same policy serves another namespace with another identity.
    let other = Acl::new([&team_policy()], Some(&identity("payment"))).unwrap();
    assert!(read(&other, "secret/data/payment/db"));
    assert!(!read(&other, "secret/data/grade-api/db"));
}

#[test]
fn unfillable_templates_drop_only_their_path() {
    let id = identity("grade-api");
    let acl = Acl::new([&team_policy()], Some(&id)).unwrap();
    let dropped = acl.dropped_paths();
    assert_eq!(dropped.len(), 1, "{dropped:?}");
    assert_eq!(dropped[0].policy, "team");
    assert_eq!(dropped[0].line, 17);
    assert_eq!(
        dropped[0].reason,
        TemplateError::NotFound {
            selector: "identity.entity.aliases.auth_other_9999.name".into()
        }
    );
    assert!(
        read(&acl, "shared/config"),
        "the rest of the policy applies"
    );
}

#[test]
fn without_an_identity_templated_paths_are_dropped() {
    let acl = Acl::new([&team_policy()], None).unwrap();
    assert!(!read(&acl, "secret/data/grade-api/db"));
    assert!(read(&acl, "shared/config"));
    assert_eq!(acl.dropped_paths().len(), 5);
    assert!(
        acl.dropped_paths()
            .iter()
            .all(|d| d.reason == TemplateError::NoIdentity)
    );
}

#[test]
fn values_with_path_characters_are_refused() {
    for (namespace, character) in [("a/b", '/'), ("*", '*'), ("x+", '+')] {
        let acl = Acl::new([&team_policy()], Some(&identity(namespace))).unwrap();
        let refused: Vec<_> = acl
            .dropped_paths()
            .iter()
            .filter(|d| matches!(&d.reason, TemplateError::ForbiddenValue { character: c, .. } if *c == character))
            .collect();
        assert_eq!(refused.len(), 1, "{namespace}: {:?}", acl.dropped_paths());
        assert!(!read(&acl, "secret/data/a/b/c"));
        assert!(!read(&acl, "secret/data/anything"), "{namespace}");
        assert!(read(&acl, "shared/config"));
        assert!(
            acl.dropped_paths()[0]
                .reason
                .to_string()
                .contains("forbidden character")
        );
    }
}

#[test]
fn default_policy_entity_paths() {
    let id = identity("grade-api");
    let with = Acl::new([&Policy::default_policy()], Some(&id)).unwrap();
    assert!(read(
        &with,
        "identity/entity/id/7d2e3f4a-0000-4000-8000-000000000001"
    ));
    assert!(read(&with, "identity/entity/name/entity_7d2e3f4a"));
    assert!(!read(&with, "identity/entity/id/someone-else"));
    assert!(with.dropped_paths().is_empty());
    let without = Acl::new([&Policy::default_policy()], None).unwrap();
    assert!(!read(
        &without,
        "identity/entity/id/7d2e3f4a-0000-4000-8000-000000000001"
    ));
    assert_eq!(without.dropped_paths().len(), 2);

    // And the rest of the default policy.
    assert!(read(&without, "auth/token/lookup-self"));
    assert!(read(&without, "cubbyhole/anything"));
    assert_eq!(without.capabilities("sys/capabilities-self"), ["update"]);
    assert_eq!(
        without.capabilities("identity/oidc/provider/my-app/authorize"),
        ["read", "update"]
    );
    assert_eq!(without.capabilities("secret/data/x"), ["deny"]);
}

#[test]
fn a_filled_template_merges_with_the_same_literal_path() {
    let literal = Policy::parse(
        "literal",
        r#"path "secret/data/grade-api/*" { capabilities = ["list"] }"#,
    )
    .unwrap();
    let acl = Acl::new([&team_policy(), &literal], Some(&identity("grade-api"))).unwrap();
    assert_eq!(
        acl.capabilities("secret/data/grade-api/x"),
        ["list", "read"]
    );
}
