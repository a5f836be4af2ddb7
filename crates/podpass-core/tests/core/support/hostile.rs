//! Configurations shaped the way an attacker — or an unlucky generator — shapes them: cheap
//! to write, and expensive for a reader that is quadratic somewhere. Used by the tests (which
//! check the answers) and the `hostile` benchmark (which times them).

use std::fmt::Write as _;

use podpass_core::configuration::{Configuration, Origin};
use podpass_core::role::Role;
use podpass_core::ttl::MountTtls;
use serde_json::json;

use super::body;

/// Adds role `name` bound to every service account of `namespace`, with `policies`.
fn add_role(config: &mut Configuration, name: &str, namespace: &str, policies: &str) {
    let role = Role::write(
        name,
        &body(json!({
            "bound_service_account_names": "*",
            "bound_service_account_namespaces": namespace,
            "token_policies": policies,
        })),
        None,
        &MountTtls::default(),
    )
    .expect("role")
    .role;
    config.enable_kubernetes("kubernetes").put_role(role);
}

/// Two roles in different namespaces sharing one policy whose only rule has a path of about
/// `length` bytes: `secret/data/aaaa…/*`.
pub fn long_path(length: usize) -> Configuration {
    let mut config = Configuration::new();
    let path = format!("secret/data/{}/*", "a".repeat(length));
    config
        .put_policy(
            "long",
            &format!("path \"{path}\" {{\n  capabilities = [\"read\"]\n}}\n"),
            Origin::new("long.hcl", 1),
        )
        .expect("policy");
    add_role(&mut config, "one", "team-one", "long");
    add_role(&mut config, "two", "team-two", "long");
    config
}

/// `roles` roles, each in its own namespace with its own policy (its team's secrets) and one
/// policy `shared` of `roles` rules that all of them hold.
pub fn shared_policy(roles: usize) -> Configuration {
    let mut config = Configuration::new();
    let mut shared = String::new();
    for i in 0..roles {
        let _ = writeln!(
            shared,
            "path \"secret/data/shared/item-{i}\" {{\n  capabilities = [\"read\"]\n}}"
        );
    }
    config
        .put_policy("shared", &shared, Origin::new("shared.hcl", 1))
        .expect("policy");
    for i in 0..roles {
        let own = format!("team-{i}");
        config
            .put_policy(
                &own,
                &format!("path \"secret/data/{own}/*\" {{\n  capabilities = [\"read\"]\n}}\n"),
                Origin::new(&format!("{own}.hcl"), 1),
            )
            .expect("policy");
        add_role(&mut config, &own, &own, &format!("shared,{own}"));
    }
    config
}

/// A namespace selector of `depth` unclosed YAML flow mappings after a key: `a: {{{{…`.
pub fn nested_selector(depth: usize) -> String {
    format!("a: {}", "{".repeat(depth))
}

/// A YAML namespace selector of `keys` labels, one per line (`  k0: v0`).
pub fn selector_many_keys(keys: usize) -> String {
    let mut text = String::from("matchLabels:\n");
    for i in 0..keys {
        let _ = writeln!(text, "  k{i}: v{i}");
    }
    text
}

/// podpass.hcl text of `attributes` top-level attributes (`a0 = 0`), which the importer refuses
/// by name once the whole text has been read.
pub fn hcl_attributes(attributes: usize) -> String {
    let mut text = String::new();
    for i in 0..attributes {
        let _ = writeln!(text, "a{i} = {i}");
    }
    text
}

/// A Vault API JSON configuration of `roles` roles on one line, as a minifier writes it.
pub fn api_json_one_line(roles: usize) -> String {
    let mut text = String::from(
        r#"{"auth":{"kubernetes":{"config":{"kubernetes_host":"https://k8s:443"},"roles":{"#,
    );
    for i in 0..roles {
        if i > 0 {
            text.push(',');
        }
        let _ = write!(
            text,
            r#""r{i}":{{"bound_service_account_names":"app","bound_service_account_namespaces":"team-{i}"}}"#
        );
    }
    text.push_str("}}}}");
    text
}
