//! `cross-namespace-reach`: roles bound to different namespaces whose tokens reach the same
//! secret paths — the tutorial's exercise 3 ("grade-api's token cannot read payment's
//! secrets"), checked for every pair of roles at once.
//!
//! Each policy path rule gives a *witness*: a concrete path only that rule's pattern (and
//! broader ones) can match — the rule itself for an exact path, the stem followed by a NUL for
//! a `*` rule, a NUL segment for each `+`. A witness is then put to the ACL of every role that
//! might grant it, so Vault's own rule priority (exact over prefix, a more specific `deny`)
//! decides, not a textual comparison.
//!
//! Pairs of roles are never enumerated: roles sharing the same policies share one compiled ACL,
//! and a witness is only put to ACLs holding a rule whose literal beginning is a prefix of it
//! (an index of literal prefixes, looked up at each character of the witness). The cost is
//! about (witnesses × their length) hash lookups plus one ACL query per real candidate.
//!
//! Limits: the `default` policy is left out (every token has it, and its paths are the
//! token's own); so are `sys/`, `auth/`, `identity/` and `cubbyhole/` (per-token) paths and
//! templated paths (filled per login, usually per namespace — the recommended pattern). Two
//! patterns that only cross (`secret/data/+/db` and `secret/data/shared/*`) share paths no
//! witness probes and are not reported.

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap, FxHashSet};

use super::{Context, Finding, Severity, join_limited, policy_rule_origin};
use crate::acl::Acl;
use crate::configuration::Origin;
use crate::policy::{Capabilities, DEFAULT_POLICY_NAME, ROOT_POLICY_NAME};

/// Paths that are not shared secrets.
const NOT_SECRETS: [&str; 4] = ["sys/", "auth/", "identity/", "cubbyhole/"];

/// Stands for "any text" in a witness: no policy path contains it, so it matches wildcards only.
const ANY: char = '\u{0}';

/// Where a witness came from (the first rule that produced it).
struct WitnessSource {
    path: String,
    policy: String,
    origin: Origin,
}

/// Overlapping roles and the paths they share.
#[derive(Default)]
struct Overlap {
    paths: Vec<(usize, Vec<(usize, Capabilities)>)>,
}

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Finding>) {
    let config = context.config;

    // One ACL per distinct policy set (without `default`), and each role's set.
    let mut sets: FxHashMap<Vec<String>, usize> = FxHashMap::default();
    let mut acls: Vec<Acl> = Vec::new();
    let mut set_policies: Vec<Vec<String>> = Vec::new();
    let mut role_set: Vec<Option<usize>> = Vec::with_capacity(context.roles.len());
    for role in &context.roles {
        let key: Vec<String> = role
            .policies
            .iter()
            .filter(|p| *p != DEFAULT_POLICY_NAME && *p != ROOT_POLICY_NAME)
            .filter(|p| config.policy(p).is_some())
            .cloned()
            .collect();
        if key.is_empty() {
            role_set.push(None);
            continue;
        }
        if let Some(&id) = sets.get(&key) {
            role_set.push(Some(id));
            continue;
        }
        let Ok(acl) = config.acl_for_policies(&key, None) else {
            role_set.push(None);
            continue;
        };
        let id = acls.len();
        acls.push(acl);
        set_policies.push(key.clone());
        sets.insert(key, id);
        role_set.push(Some(id));
    }
    if distinct_bindings(context, &role_set) < 2 {
        return;
    }

    // Policy name -> policy sets holding it; literal prefix -> policies with a rule there.
    let mut sets_of_policy: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for (id, names) in set_policies.iter().enumerate() {
        for name in names {
            sets_of_policy.entry(name.as_str()).or_default().push(id);
        }
    }
    let mut by_prefix: FxHashMap<&str, Vec<&str>> = FxHashMap::default();
    let mut witnesses: Vec<(String, WitnessSource)> = Vec::new();
    let mut seen: FxHashSet<String> = FxHashSet::default();
    let mut used: Vec<&str> = sets_of_policy.keys().copied().collect();
    used.sort_unstable();
    for name in used {
        let Some(entry) = config.policy(name) else {
            continue;
        };
        for rule in entry.policy.paths() {
            if rule.templated
                || NOT_SECRETS.iter().any(|p| rule.path.starts_with(p))
                || rule.capabilities.is_deny()
                || rule.capabilities.is_empty()
            {
                continue;
            }
            let names = by_prefix.entry(literal_prefix(&rule.path)).or_default();
            if names.last() != Some(&name) {
                names.push(name);
            }
            let witness = witness(&rule.path);
            if seen.insert(witness.clone()) {
                witnesses.push((
                    witness,
                    WitnessSource {
                        path: rule.path.clone(),
                        policy: name.to_string(),
                        origin: policy_rule_origin(&entry.origin, rule.line),
                    },
                ));
            }
        }
    }

    // Roles by policy set, to expand an ACL's answer to the roles behind it.
    let mut roles_of_set: Vec<Vec<usize>> = vec![Vec::new(); acls.len()];
    for (role, set) in role_set.iter().enumerate() {
        if let Some(set) = set {
            roles_of_set[*set].push(role);
        }
    }
    let bindings: Vec<String> = context.roles.iter().map(binding).collect();

    // Group witnesses by the exact set of policy sets reaching them.
    let mut groups: BTreeMap<Vec<usize>, Overlap> = BTreeMap::new();
    let mut candidates: Vec<usize> = Vec::new();
    for (index, (witness, _)) in witnesses.iter().enumerate() {
        candidates.clear();
        for end in char_boundaries(witness) {
            if let Some(names) = by_prefix.get(&witness[..end]) {
                for name in names {
                    if let Some(ids) = sets_of_policy.get(name) {
                        candidates.extend(ids);
                    }
                }
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let reaching: Vec<(usize, Capabilities)> = candidates
            .iter()
            .filter_map(|&id| {
                let caps = acls[id].capability_set(witness);
                (!caps.is_empty() && !caps.is_deny()).then_some((id, caps))
            })
            .collect();
        let mut distinct: Vec<&str> = reaching
            .iter()
            .flat_map(|(id, _)| roles_of_set[*id].iter().map(|&r| bindings[r].as_str()))
            .collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < 2 {
            continue;
        }
        let key: Vec<usize> = reaching.iter().map(|(id, _)| *id).collect();
        groups.entry(key).or_default().paths.push((index, reaching));
    }

    for (sets, overlap) in groups {
        let mut roles: Vec<usize> = sets
            .iter()
            .flat_map(|id| roles_of_set[*id].iter().copied())
            .collect();
        roles.sort_by(|a, b| {
            let (ra, rb) = (&context.roles[*a], &context.roles[*b]);
            (ra.mount, &ra.role.name).cmp(&(rb.mount, &rb.role.name))
        });
        let described: Vec<String> = roles
            .iter()
            .map(|&r| {
                let role = &context.roles[r];
                format!(
                    "{} ({})",
                    context.role_names(&[r], 1),
                    describe_binding(role.role)
                )
            })
            .collect();
        let paths: Vec<String> = overlap
            .paths
            .iter()
            .map(|(index, reaching)| {
                let source = &witnesses[*index].1;
                let caps = reaching
                    .iter()
                    .fold(Capabilities::NONE, |all, (_, c)| all.union(*c));
                format!(
                    "{} {caps} (policy {} at {})",
                    source.path, source.policy, source.origin
                )
            })
            .collect();
        let Some((first, _)) = overlap.paths.first() else {
            continue;
        };
        let first = &witnesses[*first].1;
        out.push(Finding {
            rule: "cross-namespace-reach",
            severity: Severity::Warning,
            message: format!(
                "roles bound to different namespaces reach the same secret paths: {}; shared: {}",
                join_limited(&described, 6),
                join_limited(&paths, 6)
            ),
            origin: first.origin.clone(),
            subject: format!("roles {}", context.role_names(&roles, 6)),
            hint: "if these secrets are meant to be shared, this is expected; otherwise give each namespace its own path (secret/data/<team>/*, or one templated policy on the service_account_namespace alias metadata) and attach it only to that namespace's role".to_string(),
        });
    }
}

fn distinct_bindings(context: &Context<'_>, role_set: &[Option<usize>]) -> usize {
    let mut all: Vec<String> = context
        .roles
        .iter()
        .zip(role_set)
        .filter(|(_, set)| set.is_some())
        .map(|(r, _)| binding(r))
        .collect();
    all.sort_unstable();
    all.dedup();
    all.len()
}

/// A comparable key of where a role's tokens come from: the mount (one per cluster, so the
/// same namespace name on two mounts is two namespaces), the namespaces and the selector.
fn binding(role: &super::RoleRef<'_>) -> String {
    let mut namespaces = role.role.bound_service_account_namespaces.clone();
    namespaces.sort_unstable();
    format!(
        "{}\n{}\n{}",
        role.mount,
        namespaces.join(","),
        role.role.bound_service_account_namespace_selector.trim()
    )
}

fn describe_binding(role: &crate::role::Role) -> String {
    let mut parts = Vec::new();
    if !role.bound_service_account_namespaces.is_empty() {
        parts.push(format!(
            "namespaces {}",
            role.bound_service_account_namespaces.join(", ")
        ));
    }
    if let Some(selector) = &role.namespace_selector {
        parts.push(format!("selector {}", selector.describe()));
    }
    parts.join("; ")
}

/// The part of a rule's path before its first wildcard.
fn literal_prefix(path: &str) -> &str {
    let mut offset = 0;
    for segment in path.split('/') {
        if segment == "+" {
            return &path[..offset];
        }
        offset += segment.len() + 1;
    }
    path.strip_suffix('*').unwrap_or(path)
}

/// A concrete path the rule matches and that only wildcards (or the same exact rule) match.
fn witness(path: &str) -> String {
    let (body, prefix) = match path.strip_suffix('*') {
        Some(body) => (body, true),
        None => (path, false),
    };
    let mut out = String::with_capacity(path.len() + 2);
    for (i, segment) in body.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        if segment == "+" {
            out.push(ANY);
        } else {
            out.push_str(segment);
        }
    }
    if prefix {
        out.push(ANY);
    }
    out
}

/// Every end offset of a prefix of `s`, from the empty prefix to `s` itself.
fn char_boundaries(s: &str) -> impl Iterator<Item = usize> + '_ {
    s.char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn witnesses_and_prefixes() {
        assert_eq!(witness("secret/data/app/*"), "secret/data/app/\u{0}");
        assert_eq!(witness("secret/data/+/db"), "secret/data/\u{0}/db");
        assert_eq!(witness("secret/data/+/*"), "secret/data/\u{0}/\u{0}");
        assert_eq!(witness("secret/data/x"), "secret/data/x");
        assert_eq!(literal_prefix("secret/data/+/db"), "secret/data/");
        assert_eq!(literal_prefix("secret/data/app*"), "secret/data/app");
        assert_eq!(literal_prefix("secret/data/x"), "secret/data/x");
        assert_eq!(literal_prefix("+/x"), "");
        assert_eq!(char_boundaries("ab").collect::<Vec<_>>(), [0, 1, 2]);
    }
}
