//! From login to authorisation: a successful login's policies and identity give the token's
//! ACL (the tutorial's exercise 3, and a templated policy filled from the login's alias).

use crate::support;

use podpass_core::acl::{Operation, Request};
use podpass_core::configuration::{Configuration, Origin};
use podpass_core::login::{LoginRequest, LoginSuccess};
use support::*;

fn tutorial() -> Configuration {
    let mut config = Configuration::new();
    config.insert_mount(tutorial_mount());
    for name in ["grade-api", "payment-api", "shared-reader"] {
        let path = fixtures()
            .join("tutorial/policies")
            .join(format!("{name}.hcl"));
        config
            .put_policy(
                name,
                &read(&path),
                Origin::new(&path.display().to_string(), 1),
            )
            .expect("fixture policy parses");
    }
    config
}

fn login(config: &Configuration, role: &str, namespace: &str, account: &str) -> LoginSuccess {
    let result = config
        .login(
            "kubernetes",
            &LoginRequest {
                role: role.into(),
                jwt: token(namespace, account),
                now: NOW,
                ..Default::default()
            },
        )
        .expect("mount exists");
    result
        .success()
        .cloned()
        .unwrap_or_else(|| panic!("{}", result.trace))
}

#[test]
fn exercise_3_each_namespace_reads_only_its_own_secrets() {
    let config = tutorial();
    let grade = config
        .acl_for_login(&login(&config, "grade-api", "grade-api", "grade-api-sa"))
        .expect("acl");
    let payment = config
        .acl_for_login(&login(&config, "payment-api", "payment", "payment-sa"))
        .expect("acl");

    assert_eq!(grade.capabilities("secret/data/grade-api/db"), ["read"]);
    assert_eq!(payment.capabilities("secret/data/payment/db"), ["read"]);

    let denied = grade.authorize(&Request::new(Operation::Read, "secret/data/payment/db"));
    assert!(!denied.allowed);
    assert_eq!(
        denied.reason(),
        r#"no rule matches "secret/data/payment/db""#
    );
    assert!(
        !payment
            .authorize(&Request::new(Operation::Read, "secret/data/grade-api/db"))
            .allowed
    );
    // The common KV v2 mistake: the v1-style path is not what `vault kv get` checks.
    assert_eq!(grade.capabilities("secret/grade-api/db"), ["deny"]);
    // Every token carries Vault's default policy.
    assert!(
        grade
            .capabilities("auth/token/lookup-self")
            .contains(&"read".to_string())
    );
}

#[test]
fn templated_policy_fills_from_the_logins_alias() {
    let mut config = tutorial();
    let accessor = config
        .mount("kubernetes")
        .expect("mount")
        .accessor()
        .to_string();
    let policy = format!(
        "path \"secret/data/{{{{identity.entity.aliases.{accessor}.metadata.service_account_namespace}}}}/*\" {{\n  capabilities = [\"read\"]\n}}\n"
    );
    config
        .put_policy("per-namespace", &policy, Origin::new("inline", 1))
        .expect("parses");
    let mut success = login(&config, "grade-api", "grade-api", "grade-api-sa");
    success.policies.push("per-namespace".into());
    let acl = config.acl_for_login(&success).expect("acl");
    assert_eq!(acl.capabilities("secret/data/grade-api/anything"), ["read"]);
    assert_eq!(acl.capabilities("secret/data/payment/anything"), ["deny"]);
}

#[test]
fn policies_no_one_defined_grant_nothing() {
    let config = tutorial();
    let names = vec![
        "default".to_string(),
        "grade-api".into(),
        "typo-policy".into(),
    ];
    assert_eq!(config.missing_policies(&names), ["typo-policy"]);
    let acl = config.acl_for_policies(&names, None).expect("acl");
    assert_eq!(acl.capabilities("secret/data/grade-api/x"), ["read"]);
}
