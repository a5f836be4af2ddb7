//! Vault's rules for `auth/token/create`: what a child token may ask of its parent.
//!
//! The checks run in Vault's order with Vault's messages (its token store's create handler):
//! batch and use-limited parents create nothing; a child's policies are a subset of its
//! parent's unless the caller has `sudo`; orphans (`no_parent`), periodic tokens and chosen ids
//! need `sudo`; batch tokens carry no `num_uses`, `period` or `explicit_max_ttl` and are never
//! root; only a root parent creates root children, and only a parent that never expires
//! creates a child that never expires. A child that is not an orphan shares its parent's
//! identity and bound CIDRs, and is revoked with it.

use std::collections::BTreeMap;

use podpass_core::cidr::BoundCidrs;
use podpass_core::duration::parse_duration_str;
use podpass_core::fields::{self, FieldError};
use podpass_core::login::sanitize_policies;
use podpass_core::policy::ROOT_POLICY_NAME;
use podpass_core::ttl::SYSTEM_DEFAULT_LEASE_TTL;
use serde_json::{Map, Value};

use super::{ResolvedToken, TokenEntry, TokenKind, TokenProfile, TtlSettings};

/// Policies Vault reserves for its own tokens; no token may be created with them.
const NON_ASSIGNABLE_POLICIES: [&str; 2] = ["response-wrapping", "control-group"];

/// Who asks, and how.
#[derive(Debug, Clone, Copy)]
pub struct Creation<'a> {
    /// The caller's token, the parent of the child unless it becomes an orphan.
    pub parent: &'a ResolvedToken,
    /// Whether the caller has `sudo` on the creation path (root tokens do).
    pub sudo: bool,
    /// Whether the request came to `auth/token/create-orphan`.
    pub orphan_endpoint: bool,
    /// Unix seconds.
    pub now: i64,
}

/// A child ready to issue.
#[derive(Debug, Clone)]
pub struct ChildToken {
    /// The entry to store (or seal, for batch tokens).
    pub entry: TokenEntry,
    /// The token id the caller chose (sudo only), when it did.
    pub id: Option<String>,
    /// The lease duration to report (0: never expires).
    pub lease: i64,
    /// Warnings from the TTL arithmetic.
    pub warnings: Vec<String>,
}

/// The request body's fields, decoded as Vault decodes them.
#[derive(Debug, Default)]
struct Asked {
    id: Option<String>,
    policies: Vec<String>,
    meta: BTreeMap<String, String>,
    no_parent: bool,
    no_default_policy: bool,
    ttl: i64,
    renewable: bool,
    explicit_max_ttl: i64,
    display_name: String,
    num_uses: i64,
    period: i64,
    kind: String,
}

impl Asked {
    fn decode(body: &Map<String, Value>) -> Result<Asked, String> {
        Ok(Asked {
            id: Some(decoded(body, "id", fields::string)?).filter(|id| !id.is_empty()),
            // Vault's token store decodes its fields weakly, not as a path's typed fields: a
            // string is one policy, and durations are text for `ParseDurationSecond`.
            policies: decoded(body, "policies", fields::string_slice)?,
            meta: decoded(body, "meta", fields::kv_pairs)?,
            no_parent: decoded(body, "no_parent", fields::boolean)?,
            no_default_policy: decoded(body, "no_default_policy", fields::boolean)?,
            ttl: duration(body, "ttl")?,
            renewable: decoded_or(body, "renewable", true, fields::boolean)?,
            explicit_max_ttl: duration(body, "explicit_max_ttl")?,
            display_name: decoded(body, "display_name", fields::string)?,
            num_uses: decoded(body, "num_uses", fields::integer)?,
            period: duration(body, "period")?,
            kind: decoded(body, "type", fields::string)?,
        })
    }
}

/// A duration of the token store: its text parsed as Vault's `ParseDurationSecond` parses it,
/// with that parser's words for bad text and `<name> must be positive` below zero.
fn duration(body: &Map<String, Value>, name: &str) -> Result<i64, String> {
    let text: String = decoded(body, name, fields::string)?;
    let seconds = parse_duration_str(&text).map_err(|e| e.to_string())?;
    if seconds < 0 {
        return Err(format!("{name} must be positive"));
    }
    Ok(seconds)
}

/// A body field decoded with Vault's field type `decode`; absent or `null`: the type's zero.
fn decoded<T: Default>(
    body: &Map<String, Value>,
    name: &str,
    decode: impl Fn(&str, &Value) -> Result<T, FieldError>,
) -> Result<T, String> {
    decoded_or(body, name, T::default(), decode)
}

/// A body field decoded with `decode`; absent or `null`: `default`.
fn decoded_or<T>(
    body: &Map<String, Value>,
    name: &str,
    default: T,
    decode: impl Fn(&str, &Value) -> Result<T, FieldError>,
) -> Result<T, String> {
    match body.get(name).filter(|v| !v.is_null()) {
        Some(value) => decode(name, value).map_err(|e| e.response_message()),
        None => Ok(default),
    }
}

/// Decides the child `body` asks for under `creation`, or Vault's message for why not (every
/// refusal is a 400).
pub fn plan(creation: Creation<'_>, body: &Map<String, Value>) -> Result<ChildToken, String> {
    let parent = &creation.parent.entry;
    if parent.profile.kind == TokenKind::Batch {
        return Err("batch tokens cannot create more tokens".into());
    }
    // A use-limited token could otherwise escape its limit through its children.
    if parent.num_uses > 0 {
        return Err("restricted use token cannot generate child tokens".into());
    }
    let asked = Asked::decode(body)?;
    let kind = token_kind(&asked)?;
    if asked.num_uses < 0 {
        return Err("number of uses cannot be negative".into());
    }
    if asked.id.is_some() && !creation.sudo {
        return Err("root or sudo privileges required to specify token id".into());
    }
    let policies = child_policies(parent, &asked, creation.sudo)?;
    let is_root = policies.iter().any(|p| p == ROOT_POLICY_NAME);
    if is_root && kind == TokenKind::Batch {
        // Batch tokens cannot be revoked, so a root one would live until it expires.
        return Err("batch tokens cannot be root tokens".into());
    }
    let orphan = if asked.no_parent {
        if !creation.sudo {
            return Err("root or sudo privileges required to create orphan token".into());
        }
        true
    } else {
        creation.orphan_endpoint
    };
    if asked.period > 0 && !creation.sudo {
        return Err("root or sudo privileges required to create periodic token".into());
    }
    let settings = TtlSettings {
        backend_ttl: asked.ttl,
        backend_max_ttl: 0,
        period: asked.period,
        explicit_max_ttl: asked.explicit_max_ttl,
        mount_default_ttl: SYSTEM_DEFAULT_LEASE_TTL,
        mount_max_ttl: SYSTEM_DEFAULT_LEASE_TTL,
    };
    let (mut lease, warnings) = if asked.period > 0 || asked.ttl > 0 || !is_root {
        let outcome = settings
            .calculate(0, creation.now, creation.now)
            .map_err(|e| e.to_string())?;
        (outcome.ttl, outcome.warnings)
    } else {
        (0, Vec::new())
    };
    // Root tokens without a TTL are still bound by an explicit max TTL.
    if lease == 0 && asked.explicit_max_ttl > 0 {
        lease = asked.explicit_max_ttl;
    }
    let mut renewable = asked.renewable && kind == TokenKind::Service;
    let mut bound_cidrs = if orphan {
        BoundCidrs::default()
    } else {
        parent.profile.bound_cidrs.clone()
    };
    if lease == 0 {
        if !parent.never_expires() {
            return Err("expiring root tokens cannot create non-expiring root tokens".into());
        }
        renewable = false;
        bound_cidrs = BoundCidrs::default();
    }
    let profile = TokenProfile {
        kind,
        policies,
        identity: if orphan {
            None
        } else {
            parent.profile.identity.clone()
        },
        meta: asked.meta,
        display_name: display_name(&asked.display_name),
        path: if creation.orphan_endpoint {
            "auth/token/create-orphan"
        } else {
            "auth/token/create"
        }
        .to_string(),
        mount: "token".to_string(),
        ttl: settings,
        renewable,
        bound_cidrs,
    };
    let parent_hash = creation.parent.hash.clone().filter(|_| !orphan);
    Ok(ChildToken {
        entry: TokenEntry::new(profile, creation.now, lease, asked.num_uses, parent_hash),
        id: asked.id,
        lease,
        warnings,
    })
}

/// Service or batch; batch tokens refuse what they cannot honour.
fn token_kind(asked: &Asked) -> Result<TokenKind, String> {
    match asked.kind.as_str() {
        "" | "service" => Ok(TokenKind::Service),
        "batch" => {
            let refused = if asked.explicit_max_ttl != 0 {
                Some("explicit_max_ttl")
            } else if asked.num_uses != 0 {
                Some("num_uses")
            } else if asked.period != 0 {
                Some("period")
            } else {
                None
            };
            match refused {
                Some(field) => Err(format!("batch tokens cannot have \"{field}\" set")),
                None => Ok(TokenKind::Batch),
            }
        }
        _ => Err("invalid 'token_type' value".into()),
    }
}

/// The child's policies: the parent's when none are asked for; otherwise a subset of the
/// parent's unless the caller has sudo. `default` follows Vault's rules for adding it.
fn child_policies(parent: &TokenEntry, asked: &Asked, sudo: bool) -> Result<Vec<String>, String> {
    let parent_policies = &parent.profile.policies;
    let (requested, add_default) = if asked.policies.is_empty() {
        (sanitize_policies(parent_policies, false), false)
    } else if sudo {
        (asked.policies.clone(), !asked.no_default_policy)
    } else {
        let requested = sanitize_policies(&asked.policies, false);
        let allowed = sanitize_policies(parent_policies, false);
        if !requested.iter().all(|p| allowed.contains(p)) {
            return Err("child policies must be subset of parent".into());
        }
        let parent_has_default = parent_policies.iter().any(|p| p == "default");
        (requested, !asked.no_default_policy && parent_has_default)
    };
    let mut policies = sanitize_policies(&requested, add_default);
    if asked.no_default_policy {
        policies.retain(|p| p != "default");
    }
    if let Some(reserved) = policies
        .iter()
        .find(|p| NON_ASSIGNABLE_POLICIES.contains(&p.as_str()))
    {
        return Err(format!("cannot assign policy \"{reserved}\""));
    }
    let parent_is_root = parent_policies.iter().any(|p| p == ROOT_POLICY_NAME);
    if policies.iter().any(|p| p == ROOT_POLICY_NAME) && !parent_is_root {
        return Err("root tokens may not be created without parent token being root".into());
    }
    Ok(policies)
}

/// `token-<name>` with every character outside `[A-Za-z0-9-]` replaced by `-`, and one
/// trailing `-` dropped; `token` when no name is given.
fn display_name(asked: &str) -> String {
    if asked.is_empty() {
        return "token".into();
    }
    let full: String = format!("token-{asked}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    full.strip_suffix('-').map_or(full.clone(), str::to_string)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn parent(policies: &[&str], expire_time: Option<i64>, num_uses: i64) -> ResolvedToken {
        ResolvedToken {
            hash: Some("parent-hash".into()),
            entry: TokenEntry {
                profile: Arc::new(TokenProfile {
                    kind: TokenKind::Service,
                    policies: policies.iter().map(|p| p.to_string()).collect(),
                    identity: None,
                    meta: BTreeMap::new(),
                    display_name: "token".into(),
                    path: "auth/token/create".into(),
                    mount: "token".into(),
                    ttl: TtlSettings::default(),
                    renewable: true,
                    bound_cidrs: BoundCidrs::parse(&["127.0.0.1/32".to_string()])
                        .unwrap_or_default(),
                }),
                accessor: "a".into(),
                creation_time: 1000,
                creation_ttl: 60,
                expire_time,
                num_uses,
                parent: None,
                last_renewal: None,
                creation_num_uses: num_uses,
            },
        }
    }

    fn body(json: Value) -> Map<String, Value> {
        match json {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    fn ask(parent: &ResolvedToken, sudo: bool, json: Value) -> Result<ChildToken, String> {
        let creation = Creation {
            parent,
            sudo,
            orphan_endpoint: false,
            now: 1000,
        };
        plan(creation, &body(json))
    }

    #[test]
    fn a_child_inherits_its_parent_and_its_bound_cidrs() {
        let p = parent(&["default", "dev"], Some(1060), 0);
        let child = ask(&p, false, serde_json::json!({})).map_err(|e| e.to_string());
        let child = child.as_ref().map(|c| &c.entry);
        assert_eq!(
            child.map(|e| e.parent.clone()),
            Ok(Some("parent-hash".into()))
        );
        assert_eq!(
            child.map(|e| e.profile.policies.clone()),
            Ok(vec!["default".to_string(), "dev".to_string()])
        );
        assert_eq!(
            child.map(|e| e.profile.bound_cidrs.as_strings()),
            Ok(vec!["127.0.0.1".to_string()])
        );
    }

    #[test]
    fn display_names_are_sanitised_as_vault_does() {
        assert_eq!(display_name(""), "token");
        assert_eq!(display_name("ci job!"), "token-ci-job");
        assert_eq!(display_name("a.b"), "token-a-b");
    }

    #[test]
    fn each_refusal_names_vaults_reason() {
        let limited = parent(&["dev"], Some(1060), 1);
        assert_eq!(
            ask(&limited, true, serde_json::json!({})).err().as_deref(),
            Some("restricted use token cannot generate child tokens")
        );
        let p = parent(&["default", "dev"], Some(1060), 0);
        let cases = [
            (
                serde_json::json!({"policies": ["admin"]}),
                "child policies must be subset of parent",
            ),
            (
                serde_json::json!({"period": "8760h"}),
                "root or sudo privileges required to create periodic token",
            ),
            (
                serde_json::json!({"no_parent": true}),
                "root or sudo privileges required to create orphan token",
            ),
            (
                serde_json::json!({"id": "mine"}),
                "root or sudo privileges required to specify token id",
            ),
            (
                serde_json::json!({"type": "batch", "num_uses": 3}),
                "batch tokens cannot have \"num_uses\" set",
            ),
            (
                serde_json::json!({"num_uses": -1}),
                "number of uses cannot be negative",
            ),
            (
                serde_json::json!({"type": "default"}),
                "invalid 'token_type' value",
            ),
            (
                serde_json::json!({"policies": ["root"]}),
                "child policies must be subset of parent",
            ),
        ];
        for (json, message) in cases {
            assert_eq!(
                ask(&p, false, json.clone()).err().as_deref(),
                Some(message),
                "{json}"
            );
        }
    }

    #[test]
    fn root_children_need_a_root_parent_and_never_outlive_an_expiring_one() {
        let sudo_only = parent(&["admin"], None, 0);
        assert_eq!(
            ask(&sudo_only, true, serde_json::json!({"policies": ["root"]}))
                .err()
                .as_deref(),
            Some("root tokens may not be created without parent token being root")
        );
        let expiring_root = parent(&["root"], Some(1060), 0);
        assert_eq!(
            ask(&expiring_root, true, serde_json::json!({}))
                .err()
                .as_deref(),
            Some("expiring root tokens cannot create non-expiring root tokens")
        );
        let root = parent(&["root"], None, 0);
        assert_eq!(
            ask(&root, true, serde_json::json!({"type": "batch"}))
                .err()
                .as_deref(),
            Some("batch tokens cannot be root tokens")
        );
        let forever = ask(&root, true, serde_json::json!({}));
        assert!(forever.is_ok_and(|c| c.lease == 0 && c.entry.expire_time.is_none()));
        let bounded = ask(&root, true, serde_json::json!({"explicit_max_ttl": "1h"}));
        assert!(bounded.is_ok_and(|c| c.lease == 3600));
    }

    #[test]
    fn sudo_lifts_the_subset_rule_and_adds_default() {
        let p = parent(&["admin"], Some(5000), 0);
        let child = ask(
            &p,
            true,
            serde_json::json!({"policies": "ops", "period": "1h"}),
        );
        assert!(child.is_ok_and(|c| {
            c.entry.profile.policies == ["default", "ops"] && c.entry.profile.ttl.period == 3600
        }));
        let no_default = ask(
            &p,
            true,
            serde_json::json!({"policies": ["ops"], "no_default_policy": true}),
        );
        assert!(no_default.is_ok_and(|c| c.entry.profile.policies == ["ops"]));
    }

    #[test]
    fn batch_parents_create_nothing() {
        let mut p = parent(&["root"], None, 0);
        Arc::make_mut(&mut p.entry.profile).kind = TokenKind::Batch;
        assert_eq!(
            ask(&p, true, serde_json::json!({})).err().as_deref(),
            Some("batch tokens cannot create more tokens")
        );
    }
}
