//! What an export writes, whatever the form: each mount's tuning, config and roles as the fields
//! that differ from Vault's defaults (under the `token_*` names), and each policy's text without
//! the padding an import added. The three writers only choose the syntax.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{Configuration, SourceFormat};
use crate::auth_config::AuthConfig;
use crate::duration::format_duration;
use crate::role::{AliasNameSource, Role, TokenType};
use crate::ttl::{MountTtls, SYSTEM_DEFAULT_LEASE_TTL};

impl Configuration {
    /// This configuration written in `format`, as a file holds it (ending with a newline):
    /// [`Configuration::to_vault_commands`], [`Configuration::to_podpass_hcl`], or
    /// [`Configuration::to_api_json`] pretty-printed. The CLI's `export`, the wasm
    /// `importScript` and the playground's rewritten configuration all write through here.
    pub fn export(&self, format: SourceFormat) -> String {
        match format {
            SourceFormat::VaultCommands => self.to_vault_commands(),
            SourceFormat::PodpassHcl => self.to_podpass_hcl(),
            SourceFormat::ApiJson => {
                let document = self.to_api_json();
                // A `Value` always serialises; its `Display` is the compact fallback.
                let mut text = serde_json::to_string_pretty(&document)
                    .unwrap_or_else(|_| document.to_string());
                text.push('\n');
                text
            }
        }
    }
}

/// A field value, typed so each syntax can write it idiomatically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Val {
    Str(String),
    List(Vec<String>),
    Int(i64),
    Bool(bool),
    /// Whole seconds, written as `1h30m`.
    Duration(i64),
    Map(BTreeMap<String, String>),
}

impl Val {
    /// The value as a Vault API body would carry it.
    pub(super) fn to_json(&self) -> Value {
        match self {
            Val::Str(text) => Value::String(text.clone()),
            Val::List(items) => Value::Array(items.iter().cloned().map(Value::String).collect()),
            Val::Int(n) => Value::from(*n),
            Val::Bool(b) => Value::Bool(*b),
            Val::Duration(seconds) => Value::String(format_duration(*seconds)),
            Val::Map(map) => {
                let mut out = Map::new();
                for (key, value) in map {
                    out.insert(key.clone(), Value::String(value.clone()));
                }
                Value::Object(out)
            }
        }
    }
}

/// One body field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Field {
    pub(super) name: &'static str,
    pub(super) value: Val,
}

fn field(name: &'static str, value: Val) -> Field {
    Field { name, value }
}

/// Fields as a JSON body, keys inserted in sorted order so the output is the same whether or not
/// serde_json keeps insertion order.
pub(super) fn body_json(fields: &[Field]) -> Value {
    let mut sorted: Vec<&Field> = fields.iter().collect();
    crate::order::sort_by(&mut sorted, |a, b| a.name.cmp(b.name));
    let mut out = Map::new();
    for f in sorted {
        out.insert(f.name.to_string(), f.value.to_json());
    }
    Value::Object(out)
}

/// One mount, ready to write.
#[derive(Debug, Clone)]
pub(super) struct MountOut {
    pub(super) path: String,
    pub(super) tune: Vec<Field>,
    pub(super) config: Option<Vec<Field>>,
    pub(super) roles: Vec<(String, Vec<Field>)>,
}

/// One policy, ready to write.
#[derive(Debug, Clone)]
pub(super) struct PolicyOut {
    pub(super) name: String,
    /// The text without import padding, ending in one newline (empty for an empty policy).
    pub(super) text: String,
    /// Whether the text is a JSON policy.
    pub(super) json: bool,
}

/// Every mount, sorted by path, roles sorted by name.
pub(super) fn mounts(configuration: &Configuration) -> Vec<MountOut> {
    configuration
        .mounts()
        .values()
        .map(|mount| MountOut {
            path: mount.path().to_string(),
            tune: tune_fields(mount.ttls()),
            config: mount.config().map(config_fields),
            roles: mount
                .roles()
                .values()
                .map(|role| (role.name.clone(), role_fields(role)))
                .collect(),
        })
        .collect()
}

/// Every policy, sorted by name.
pub(super) fn policies(configuration: &Configuration) -> Vec<PolicyOut> {
    configuration
        .policies()
        .iter()
        .map(|(name, entry)| {
            let text = policy_text(&entry.text);
            PolicyOut {
                name: name.clone(),
                json: text.trim_start().starts_with('{'),
                text,
            }
        })
        .collect()
}

pub(super) fn tune_fields(ttls: &MountTtls) -> Vec<Field> {
    let mut out = Vec::new();
    if ttls.default_lease_ttl != SYSTEM_DEFAULT_LEASE_TTL {
        out.push(field(
            "default_lease_ttl",
            Val::Duration(ttls.default_lease_ttl),
        ));
    }
    if ttls.max_lease_ttl != SYSTEM_DEFAULT_LEASE_TTL {
        out.push(field("max_lease_ttl", Val::Duration(ttls.max_lease_ttl)));
    }
    out
}

/// The config fields that differ from Vault's defaults (`kubernetes_host` always).
pub(super) fn config_fields(config: &AuthConfig) -> Vec<Field> {
    let defaults = AuthConfig::default();
    let mut out = vec![field(
        "kubernetes_host",
        Val::Str(config.kubernetes_host.clone()),
    )];
    let strings = [
        ("kubernetes_ca_cert", &config.kubernetes_ca_cert),
        ("token_reviewer_jwt", &config.token_reviewer_jwt),
        ("issuer", &config.issuer),
    ];
    for (name, value) in strings {
        if !value.is_empty() {
            out.push(field(name, Val::Str(value.clone())));
        }
    }
    if !config.pem_keys.is_empty() {
        out.push(field("pem_keys", Val::List(config.pem_keys.clone())));
    }
    let flags = [
        (
            "disable_iss_validation",
            config.disable_iss_validation,
            defaults.disable_iss_validation,
        ),
        (
            "disable_local_ca_jwt",
            config.disable_local_ca_jwt,
            defaults.disable_local_ca_jwt,
        ),
        (
            "use_annotations_as_alias_metadata",
            config.use_annotations_as_alias_metadata,
            defaults.use_annotations_as_alias_metadata,
        ),
        (
            "jwks_discovery",
            config.jwks_discovery,
            defaults.jwks_discovery,
        ),
        (
            "disable_token_review",
            config.disable_token_review,
            defaults.disable_token_review,
        ),
    ];
    for (name, value, default) in flags {
        if value != default {
            out.push(field(name, Val::Bool(value)));
        }
    }
    out
}

/// The role fields that differ from a new role's defaults, under the `token_*` names — except
/// where only the legacy name is accepted for a stored value (a negative legacy `num_uses`, a
/// legacy `period` or `num_uses` on a batch role: Vault checks only the `token_*` names for
/// those).
pub(super) fn role_fields(role: &Role) -> Vec<Field> {
    let token = &role.token;
    let mut out = vec![field(
        "bound_service_account_names",
        Val::List(role.bound_service_account_names.clone()),
    )];
    if !role.bound_service_account_namespaces.is_empty() {
        out.push(field(
            "bound_service_account_namespaces",
            Val::List(role.bound_service_account_namespaces.clone()),
        ));
    }
    if !role.bound_service_account_namespace_selector.is_empty() {
        out.push(field(
            "bound_service_account_namespace_selector",
            Val::Str(role.bound_service_account_namespace_selector.clone()),
        ));
    }
    if !role.audience.is_empty() {
        out.push(field("audience", Val::Str(role.audience.clone())));
    }
    if role.alias_name_source != AliasNameSource::default() {
        out.push(field(
            "alias_name_source",
            Val::Str(role.alias_name_source.as_str().to_string()),
        ));
    }
    if !role.alias_metadata.is_empty() {
        out.push(field(
            "alias_metadata",
            Val::Map(role.alias_metadata.clone()),
        ));
    }
    if !token.policies.is_empty() {
        out.push(field("token_policies", Val::List(token.policies.clone())));
    }
    if token.no_default_policy {
        out.push(field("token_no_default_policy", Val::Bool(true)));
    }
    let durations = [
        ("token_ttl", token.ttl),
        ("token_max_ttl", token.max_ttl),
        ("token_explicit_max_ttl", token.explicit_max_ttl),
    ];
    for (name, seconds) in durations {
        if seconds != 0 {
            out.push(field(name, Val::Duration(seconds)));
        }
    }
    if token.period != 0 {
        let name = if token.token_type == TokenType::Batch {
            "period"
        } else {
            "token_period"
        };
        out.push(field(name, Val::Duration(token.period)));
    }
    if token.num_uses != 0 {
        let name = if token.num_uses < 0 || token.token_type == TokenType::Batch {
            "num_uses"
        } else {
            "token_num_uses"
        };
        out.push(field(name, Val::Int(token.num_uses)));
    }
    if !token.bound_cidrs.is_empty() {
        out.push(field(
            "token_bound_cidrs",
            Val::List(token.bound_cidrs.as_strings()),
        ));
    }
    if token.token_type != TokenType::Default {
        out.push(field(
            "token_type",
            Val::Str(token.token_type.as_str().to_string()),
        ));
    }
    out
}

/// A policy's text as written by a user: the blank lines and indentation an import added (or an
/// inline block carried) removed, one trailing newline.
pub(super) fn policy_text(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let first = lines.iter().position(|l| !l.trim().is_empty());
    let last = lines.iter().rposition(|l| !l.trim().is_empty());
    let (Some(first), Some(last)) = (first, last) else {
        return String::new();
    };
    let body = &lines[first..=last];
    // Dedenting or trimming line ends would change the content of a heredoc inside the policy
    // (a `comment`, say); leave those lines alone.
    let heredoc = text.contains("<<");
    let indent = if heredoc {
        0
    } else {
        body.iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.len() - l.trim_start_matches([' ', '\t']).len())
            .min()
            .unwrap_or(0)
    };
    let mut out = String::with_capacity(text.len());
    for line in body {
        let line = if heredoc { line } else { line.trim_end() };
        // Lines are dedented by a count of ASCII blanks, so slicing stays on a char boundary.
        out.push_str(line.get(indent..).unwrap_or(line.trim_start()));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::role::Role;
    use serde_json::json;

    fn role(body: Value) -> Role {
        let Value::Object(map) = body else {
            panic!("object")
        };
        Role::write("r", &map, None, &MountTtls::default())
            .expect("valid")
            .role
    }

    fn names(fields: &[Field]) -> Vec<&str> {
        fields.iter().map(|f| f.name).collect()
    }

    #[test]
    fn role_export_uses_token_names_and_skips_defaults() {
        let fields = role_fields(&role(json!({
            "bound_service_account_names": "a",
            "bound_service_account_namespaces": "b",
            "policies": "Grade-API",
            "ttl": "1h",
        })));
        assert_eq!(
            fields,
            vec![
                field("bound_service_account_names", Val::List(vec!["a".into()])),
                field(
                    "bound_service_account_namespaces",
                    Val::List(vec!["b".into()])
                ),
                field("token_policies", Val::List(vec!["grade-api".into()])),
                field("token_ttl", Val::Duration(3600)),
            ]
        );
    }

    #[test]
    fn legacy_only_values_keep_their_legacy_names() {
        let fields = role_fields(&role(json!({
            "bound_service_account_names": "a",
            "bound_service_account_namespaces": "b",
            "num_uses": -1,
            "period": "1h",
            "token_type": "batch",
        })));
        assert_eq!(
            names(&fields),
            vec![
                "bound_service_account_names",
                "bound_service_account_namespaces",
                "period",
                "num_uses",
                "token_type"
            ]
        );
    }

    #[test]
    fn config_export_skips_defaults() {
        let config = AuthConfig {
            kubernetes_host: "https://k".into(),
            disable_iss_validation: false,
            ..AuthConfig::default()
        };
        assert_eq!(
            config_fields(&config),
            vec![
                field("kubernetes_host", Val::Str("https://k".into())),
                field("disable_iss_validation", Val::Bool(false)),
            ]
        );
    }

    #[test]
    fn tune_export_only_when_tuned() {
        assert!(tune_fields(&MountTtls::default()).is_empty());
        let tuned = MountTtls {
            default_lease_ttl: 3600,
            max_lease_ttl: SYSTEM_DEFAULT_LEASE_TTL,
        };
        assert_eq!(
            tune_fields(&tuned),
            vec![field("default_lease_ttl", Val::Duration(3600))]
        );
    }

    #[test]
    fn policy_text_drops_padding_and_common_indent() {
        assert_eq!(
            policy_text(
                "\n\n        \n  # c\n  path \"a\" {\n    capabilities = [\"read\"]\n  }\n\n"
            ),
            "# c\npath \"a\" {\n  capabilities = [\"read\"]\n}\n"
        );
        assert_eq!(policy_text(" \n \n"), "");
        let heredoc = "  path \"a\" {\n    comment = <<EOT\n  x\nEOT\n  }\n";
        assert_eq!(policy_text(heredoc), heredoc);
    }

    #[test]
    fn json_bodies_are_sorted() {
        let body = body_json(&[
            field("b", Val::Int(1)),
            field("a", Val::Map(BTreeMap::from([("k".into(), "v".into())]))),
        ]);
        assert_eq!(body.to_string(), r#"{"a":{"k":"v"},"b":1}"#);
    }
}
