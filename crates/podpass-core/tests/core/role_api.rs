//! Roles through the public API: the tutorial's role bodies, update sequences as a user would
//! run them with `vault write`, and the TTLs those roles produce.

use std::collections::BTreeMap;
use std::path::PathBuf;

use podpass_core::role::{
    AliasNameSource, Role, RoleError, TokenType, WriteOptions, audience_warning,
};
use podpass_core::ttl::{MountTtls, TtlRequest, calculate_ttl};
use serde_json::{Map, Value, json};

fn body(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

type Fixture = (String, Map<String, Value>);

fn fixture_roles() -> Result<Vec<Fixture>, Box<dyn std::error::Error>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/tutorial/roles");
    let mut roles = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let text = std::fs::read_to_string(&path)?;
        roles.push((name, body(serde_json::from_str(&text)?)));
    }
    roles.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(roles)
}

#[test]
fn tutorial_roles_write_and_read_like_vault() {
    let roles = fixture_roles().expect("fixture roles");
    assert_eq!(roles.len(), 5);
    for (name, request) in roles {
        let written = Role::write(&name, &request, None, &MountTtls::default()).expect("valid");
        // The tutorial never sets an audience, so Vault warns on every role.
        assert_eq!(written.warnings, [audience_warning(&name)]);
        let read = written.role.to_read_json();
        // `policies=` and `ttl=` are the legacy names: both the token_* and legacy keys show.
        assert_eq!(read["policies"], read["token_policies"]);
        assert_eq!(read["ttl"], read["token_ttl"]);
        assert!(read.get("max_ttl").is_none());
        assert_eq!(read["token_type"], json!("default"));
        assert_eq!(read["bound_service_account_namespace_selector"], json!(""));
        assert_eq!(read["alias_name_source"], json!("serviceaccount_uid"));
        assert!(read.get("audience").is_none());
    }
}

#[test]
fn shared_reader_lists_and_ttls() {
    let request = fixture_roles()
        .expect("fixture roles")
        .into_iter()
        .find(|(name, _)| name == "shared-reader")
        .map(|(_, body)| body)
        .expect("shared-reader fixture");
    let role = Role::write("shared-reader", &request, None, &MountTtls::default())
        .expect("valid")
        .role;
    assert_eq!(
        role.bound_service_account_names,
        ["grade-api-sa", "analytics-sa"]
    );
    assert_eq!(
        role.bound_service_account_namespaces,
        ["grade-api", "analytics"]
    );
    assert_eq!(role.token.policies, ["shared-reader"]);
    assert_eq!(role.token.ttl, 3600);

    let now = 1_700_000_000;
    let ttl = calculate_ttl(
        &TtlRequest {
            backend_ttl: role.token.ttl,
            period: role.token.period,
            backend_max_ttl: role.token.max_ttl,
            explicit_max_ttl: role.token.explicit_max_ttl,
            start_time: now,
            now,
            ..TtlRequest::default()
        },
        &MountTtls::default(),
    )
    .expect("ttl");
    assert_eq!(ttl.ttl, 3600);
    assert!(ttl.warnings.is_empty());
}

#[test]
fn a_role_lifecycle() {
    let mount = MountTtls::default();
    let created = Role::write(
        "Payments",
        &body(json!({
            "bound_service_account_names": ["payment-sa"],
            "bound_service_account_namespaces": "payment",
            "audience": "vault",
            "token_policies": "payment-api",
            "token_ttl": "20m",
            "token_max_ttl": "1h"
        })),
        None,
        &mount,
    )
    .expect("create");
    assert!(created.warnings.is_empty());
    let stored = created.role;
    assert_eq!(stored.name, "payments");

    // An update sending one field keeps the rest.
    let updated = Role::write(
        "payments",
        &body(json!({"token_period": "30m"})),
        Some(&stored),
        &mount,
    )
    .expect("update")
    .role;
    assert_eq!(updated.token.period, 1800);
    assert_eq!(updated.token.ttl, 1200);
    assert_eq!(updated.token.policies, ["payment-api"]);
    assert_eq!(updated.audience, "vault");

    // The period makes the token periodic: the TTL is the period, the max no longer binds.
    let now = 1_700_000_000;
    let ttl = calculate_ttl(
        &TtlRequest {
            backend_ttl: updated.token.ttl,
            period: updated.token.period,
            backend_max_ttl: updated.token.max_ttl,
            start_time: now,
            now,
            ..TtlRequest::default()
        },
        &mount,
    )
    .expect("ttl");
    assert_eq!(ttl.ttl, 1800);
    assert_eq!(ttl.max_valid_until, None);

    // A period above the role's max is capped with Vault's warning.
    let long = Role::write(
        "payments",
        &body(json!({"token_period": "2h"})),
        Some(&updated),
        &mount,
    )
    .expect("update")
    .role;
    let ttl = calculate_ttl(
        &TtlRequest {
            period: long.token.period,
            backend_max_ttl: long.token.max_ttl,
            now,
            ..TtlRequest::default()
        },
        &mount,
    )
    .expect("ttl");
    assert_eq!(ttl.ttl, 3600);
    assert_eq!(
        ttl.warnings,
        [
            r#"period of "2h" exceeded the effective max_ttl of "1h"; period value is capped accordingly"#
        ]
    );

    // Switching to batch tokens is refused while the role is periodic.
    let err = Role::write(
        "payments",
        &body(json!({"token_type": "batch"})),
        Some(&long),
        &mount,
    )
    .unwrap_err();
    assert_eq!(err, RoleError::BatchPeriodic);
    let batch = Role::write(
        "payments",
        &body(json!({"token_type": "batch", "token_period": 0})),
        Some(&long),
        &mount,
    )
    .expect("batch")
    .role;
    assert_eq!(batch.token.token_type, TokenType::Batch);
}

#[test]
fn a_tuned_mount_changes_the_limits() {
    let mount = MountTtls {
        default_lease_ttl: 600,
        max_lease_ttl: 3600,
    };
    let written = Role::write(
        "short",
        &body(json!({
            "bound_service_account_names": "a",
            "bound_service_account_namespaces": "b",
            "audience": "vault",
            "token_max_ttl": "2h"
        })),
        None,
        &mount,
    )
    .expect("valid");
    assert_eq!(
        written.warnings,
        [
            "max_ttl is greater than the system or backend mount's maximum TTL value; issued tokens' max TTL value will be truncated"
        ]
    );
    let err = Role::write(
        "short",
        &body(json!({"token_period": "2h"})),
        Some(&written.role),
        &mount,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "token period of '\"2h0m0s\"' is greater than the backend's maximum lease TTL of '\"1h0m0s\"'"
    );
    let ttl = calculate_ttl(
        &TtlRequest {
            backend_max_ttl: written.role.token.max_ttl,
            now: 1,
            ..TtlRequest::default()
        },
        &mount,
    )
    .expect("ttl");
    assert_eq!((ttl.ttl, ttl.effective_max_ttl), (600, 3600));
}

#[test]
fn selector_roles_decide_by_labels() {
    let role = Role::write(
        "by-label",
        &body(json!({
            "bound_service_account_names": "*",
            "bound_service_account_namespace_selector": "matchLabels:\n  team: payments\n",
            "alias_name_source": "serviceaccount_name",
            "audience": "vault"
        })),
        None,
        &MountTtls::default(),
    )
    .expect("valid")
    .role;
    assert_eq!(role.alias_name_source, AliasNameSource::ServiceAccountName);
    assert!(!role.namespace_in_list("pay"));
    let selector = role.namespace_selector.as_ref().expect("parsed");
    let mut labels = BTreeMap::new();
    labels.insert("team".to_string(), "payments".to_string());
    assert!(selector.matches(&labels));
    labels.insert("team".to_string(), "grades".to_string());
    assert!(!selector.matches(&labels));
    assert_eq!(selector.describe(), "team=payments");

    let extended = WriteOptions {
        allow_match_expressions: true,
        ..WriteOptions::default()
    };
    let text = "{\"matchExpressions\": [{\"key\": \"env\", \"operator\": \"NotIn\", \"values\": [\"dev\"]}]}";
    let role = Role::write_with(
        "by-expr",
        &body(json!({"bound_service_account_names": "*", "bound_service_account_namespace_selector": text})),
        None,
        &MountTtls::default(),
        &extended,
    )
    .expect("extension")
    .role;
    let selector = role.namespace_selector.expect("parsed");
    assert!(selector.matches(&BTreeMap::new()));
    assert_eq!(selector.describe(), "env notin (dev)");
}
