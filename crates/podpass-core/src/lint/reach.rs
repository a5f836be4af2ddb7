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
//! Pairs of roles are never enumerated, and no ACL is compiled per role. Only rules whose
//! literal beginning (the text before the first wildcard) is a prefix of a witness can match
//! it; a trie of those beginnings, walked once along the witness, names the *candidate*
//! policies. A role's answer for the witness is the answer of an ACL made of just the
//! candidates it holds, so one small ACL is compiled per distinct combination of candidates
//! (and kept), and all the roles holding that combination share one query. The cost grows
//! with the total length of the policies' paths and the number of distinct combinations — not
//! with roles × rules, nor with the square of a path's length.
//!
//! Limits: the `default` policy is left out (every token has it, and its paths are the
//! token's own); so are `sys/`, `auth/`, `identity/` and `cubbyhole/` (per-token) paths and
//! templated paths (filled per login, usually per namespace — the recommended pattern). Two
//! patterns that only cross (`secret/data/+/db` and `secret/data/shared/*`) share paths no
//! witness probes and are not reported.

use rustc_hash::{FxHashMap, FxHashSet};

use super::{Context, Finding, Severity, join_limited, policy_rule_origin};
use crate::acl::Acl;
use crate::configuration::{Origin, PolicyEntry};
use crate::policy::{Capabilities, DEFAULT_POLICY_NAME, ROOT_POLICY_NAME};

/// Paths that are not shared secrets.
const NOT_SECRETS: [&str; 4] = ["sys/", "auth/", "identity/", "cubbyhole/"];

/// Stands for "any text" in a witness: no policy path contains it, so it matches wildcards only.
const ANY: char = '\u{0}';

/// A policy used by some role, numbered in order of first use.
type PolicyId = usize;
/// A distinct set of policies held by one or more roles.
type SetId = usize;

/// Where a witness came from (the first rule that produced it).
struct WitnessSource {
    path: String,
    policy: String,
    origin: Origin,
}

/// The roles' policy sets (without `default`, `root` and policies that do not exist).
struct PolicySets<'c> {
    policies: Vec<&'c PolicyEntry>,
    members: Vec<Vec<PolicyId>>,
    of_policy: Vec<Vec<SetId>>,
    roles_of_set: Vec<Vec<usize>>,
    /// Per role, a number standing for where its tokens come from (see [`binding`]).
    binding_of_role: Vec<usize>,
}

impl<'c> PolicySets<'c> {
    fn new(context: &Context<'c>) -> PolicySets<'c> {
        let config = context.config;
        let mut sets = PolicySets {
            policies: Vec::new(),
            members: Vec::new(),
            of_policy: Vec::new(),
            roles_of_set: Vec::new(),
            binding_of_role: Vec::with_capacity(context.roles.len()),
        };
        let mut policy_ids: FxHashMap<&str, PolicyId> = FxHashMap::default();
        let mut set_ids: FxHashMap<Vec<PolicyId>, SetId> = FxHashMap::default();
        let mut binding_ids: FxHashMap<String, usize> = FxHashMap::default();
        for (role_index, role) in context.roles.iter().enumerate() {
            let next_binding = binding_ids.len();
            let binding = *binding_ids.entry(binding(role)).or_insert(next_binding);
            sets.binding_of_role.push(binding);
            let mut key: Vec<PolicyId> = role
                .policies
                .iter()
                .filter(|p| *p != DEFAULT_POLICY_NAME && *p != ROOT_POLICY_NAME)
                .filter_map(|p| config.policy(p))
                .map(|entry| {
                    *policy_ids.entry(entry.policy.name()).or_insert_with(|| {
                        sets.policies.push(entry);
                        sets.of_policy.push(Vec::new());
                        sets.policies.len() - 1
                    })
                })
                .collect();
            crate::order::sort(&mut key);
            key.dedup();
            if key.is_empty() {
                continue;
            }
            let set = match set_ids.get(&key) {
                Some(&set) => set,
                None => {
                    let set = sets.members.len();
                    for &policy in &key {
                        sets.of_policy[policy].push(set);
                    }
                    sets.members.push(key.clone());
                    sets.roles_of_set.push(Vec::new());
                    set_ids.insert(key, set);
                    set
                }
            };
            sets.roles_of_set[set].push(role_index);
        }
        sets
    }

    /// How many different places the roles holding some policy get their tokens from.
    fn distinct_bindings(&self, sets: impl IntoIterator<Item = SetId>) -> usize {
        let mut seen: FxHashSet<usize> = FxHashSet::default();
        for set in sets {
            seen.extend(
                self.roles_of_set[set]
                    .iter()
                    .map(|&r| self.binding_of_role[r]),
            );
        }
        seen.len()
    }

    /// The sets holding any of `candidates`, grouped by which of them they hold.
    fn combinations(&self, candidates: &[PolicyId]) -> Vec<Combination> {
        let mut held: FxHashMap<SetId, Vec<PolicyId>> = FxHashMap::default();
        for &policy in candidates {
            for &set in &self.of_policy[policy] {
                held.entry(set).or_default().push(policy);
            }
        }
        let mut by_policies: FxHashMap<Vec<PolicyId>, Vec<SetId>> = FxHashMap::default();
        for (set, policies) in held {
            by_policies.entry(policies).or_default().push(set);
        }
        let mut combinations: Vec<Combination> = by_policies
            .into_iter()
            .map(|(policies, mut sets)| {
                crate::order::sort(&mut sets);
                Combination { policies, sets }
            })
            .collect();
        crate::order::sort_by(&mut combinations, |a, b| a.policies.cmp(&b.policies));
        combinations
    }
}

/// Sets that hold the same candidate policies for a witness, and so answer alike.
struct Combination {
    policies: Vec<PolicyId>,
    sets: Vec<SetId>,
}

/// The literal beginnings of the policies' rules as a byte trie: one walk along a witness
/// finds every policy with a rule that may match it.
#[derive(Default)]
struct PrefixTrie {
    edges: FxHashMap<(usize, u8), usize>,
    policies_at: Vec<Vec<PolicyId>>,
}

impl PrefixTrie {
    fn insert(&mut self, prefix: &str, policy: PolicyId) {
        if self.policies_at.is_empty() {
            self.policies_at.push(Vec::new());
        }
        let mut node = 0;
        for byte in prefix.bytes() {
            let next = self.policies_at.len();
            node = *self.edges.entry((node, byte)).or_insert_with(|| {
                self.policies_at.push(Vec::new());
                next
            });
        }
        let here = &mut self.policies_at[node];
        if here.last() != Some(&policy) {
            here.push(policy);
        }
    }

    /// The policies with a rule whose beginning is a prefix of `witness`, sorted.
    fn candidates(&self, witness: &str, out: &mut Vec<PolicyId>) {
        out.clear();
        let Some(root) = self.policies_at.first() else {
            return;
        };
        out.extend(root);
        let mut node = 0;
        for byte in witness.bytes() {
            let Some(&next) = self.edges.get(&(node, byte)) else {
                break;
            };
            node = next;
            out.extend(&self.policies_at[node]);
        }
        crate::order::sort(out);
        out.dedup();
    }
}

/// Witnesses reached from the same sets, and the capabilities each is reached with.
struct Overlap {
    sets: Vec<SetId>,
    paths: Vec<(usize, Capabilities)>,
}

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Finding>) {
    let sets = PolicySets::new(context);
    if sets.distinct_bindings(0..sets.members.len()) < 2 {
        return;
    }
    let (trie, witnesses) = index_rules(&sets);
    let mut grouping = Grouping::new(&sets);
    let mut candidates: Vec<PolicyId> = Vec::new();
    for (index, (witness, _)) in witnesses.iter().enumerate() {
        trie.candidates(witness, &mut candidates);
        let list = grouping.combination_list(&candidates);
        let (granting, reached) = grouping.granting(list, witness);
        if granting.is_empty() {
            continue;
        }
        if let Some(group) = grouping.group(list, granting) {
            grouping.groups[group].paths.push((index, reached));
        }
    }
    for overlap in grouping.groups {
        report(context, &sets, &witnesses, &overlap, out);
    }
}

/// What the witnesses share, memoised: per candidate list its combinations, per combination of
/// policies its ACL, per (candidate list, granting combinations) the group the witness joins
/// (or none when the roles reached all get their tokens from one place).
struct Grouping<'s, 'c> {
    sets: &'s PolicySets<'c>,
    combinations_of: FxHashMap<Vec<PolicyId>, usize>,
    combinations: Vec<Vec<Combination>>,
    acls: FxHashMap<Vec<PolicyId>, Option<Acl>>,
    group_of: FxHashMap<(usize, Vec<usize>), Option<usize>>,
    group_of_sets: FxHashMap<Vec<SetId>, usize>,
    groups: Vec<Overlap>,
}

impl<'s, 'c> Grouping<'s, 'c> {
    fn new(sets: &'s PolicySets<'c>) -> Self {
        Grouping {
            sets,
            combinations_of: FxHashMap::default(),
            combinations: Vec::new(),
            acls: FxHashMap::default(),
            group_of: FxHashMap::default(),
            group_of_sets: FxHashMap::default(),
            groups: Vec::new(),
        }
    }

    /// The index of the combinations holding `candidates`, computed once per candidate list.
    fn combination_list(&mut self, candidates: &[PolicyId]) -> usize {
        if let Some(&list) = self.combinations_of.get(candidates) {
            return list;
        }
        self.combinations.push(self.sets.combinations(candidates));
        let list = self.combinations.len() - 1;
        self.combinations_of.insert(candidates.to_vec(), list);
        list
    }

    /// Which combinations of `list` grant something on `witness` (Vault's priority decides,
    /// through an ACL of just their candidate policies), and everything they grant together.
    fn granting(&mut self, list: usize, witness: &str) -> (Vec<usize>, Capabilities) {
        let mut granting: Vec<usize> = Vec::new();
        let mut reached = Capabilities::NONE;
        for (i, combination) in self.combinations[list].iter().enumerate() {
            let acl = self
                .acls
                .entry(combination.policies.clone())
                .or_insert_with(|| {
                    Acl::new(
                        combination
                            .policies
                            .iter()
                            .map(|&p| &self.sets.policies[p].policy),
                        None,
                    )
                    .ok()
                });
            let caps = acl
                .as_ref()
                .map_or(Capabilities::NONE, |acl| acl.capability_set(witness));
            if !caps.is_empty() && !caps.is_deny() {
                granting.push(i);
                reached = reached.union(caps);
            }
        }
        (granting, reached)
    }

    /// The group of the sets the `granting` combinations of `list` hold, created on first use;
    /// none when those sets' roles all get their tokens from one place.
    fn group(&mut self, list: usize, granting: Vec<usize>) -> Option<usize> {
        let sets = self.sets;
        let combinations = &self.combinations;
        let group_of_sets = &mut self.group_of_sets;
        let groups = &mut self.groups;
        *self
            .group_of
            .entry((list, granting))
            .or_insert_with_key(|(list, granting)| {
                let mut reaching: Vec<SetId> = granting
                    .iter()
                    .flat_map(|&i| combinations[*list][i].sets.iter().copied())
                    .collect();
                crate::order::sort(&mut reaching);
                reaching.dedup();
                if sets.distinct_bindings(reaching.iter().copied()) < 2 {
                    return None;
                }
                let next = groups.len();
                let group = *group_of_sets.entry(reaching.clone()).or_insert(next);
                if group == next {
                    groups.push(Overlap {
                        sets: reaching,
                        paths: Vec::new(),
                    });
                }
                Some(group)
            })
    }
}

/// The trie of every rule's literal beginning (deny rules included: they decide too) and the
/// witnesses of the rules that grant something.
fn index_rules(sets: &PolicySets<'_>) -> (PrefixTrie, Vec<(String, WitnessSource)>) {
    let mut trie = PrefixTrie::default();
    let mut witnesses: Vec<(String, WitnessSource)> = Vec::new();
    let mut seen: FxHashSet<String> = FxHashSet::default();
    for (id, entry) in sets.policies.iter().enumerate() {
        for rule in entry.policy.paths() {
            if rule.templated {
                continue;
            }
            trie.insert(literal_prefix(&rule.path), id);
            if NOT_SECRETS.iter().any(|p| rule.path.starts_with(p))
                || rule.capabilities.is_deny()
                || rule.capabilities.is_empty()
            {
                continue;
            }
            let witness = witness(&rule.path);
            if seen.insert(witness.clone()) {
                witnesses.push((
                    witness,
                    WitnessSource {
                        path: rule.path.clone(),
                        policy: entry.policy.name().to_string(),
                        origin: policy_rule_origin(&entry.origin, rule.line),
                    },
                ));
            }
        }
    }
    (trie, witnesses)
}

fn report(
    context: &Context<'_>,
    sets: &PolicySets<'_>,
    witnesses: &[(String, WitnessSource)],
    overlap: &Overlap,
    out: &mut Vec<Finding>,
) {
    let Some((first, _)) = overlap.paths.first() else {
        return;
    };
    let mut roles: Vec<usize> = overlap
        .sets
        .iter()
        .flat_map(|&set| sets.roles_of_set[set].iter().copied())
        .collect();
    crate::order::sort_by(&mut roles, |a, b| {
        let (ra, rb) = (&context.roles[*a], &context.roles[*b]);
        (ra.mount, &ra.role.name).cmp(&(rb.mount, &rb.role.name))
    });
    let described: Vec<String> = roles
        .iter()
        .map(|&r| {
            format!(
                "{} ({})",
                context.role_names(&[r], 1),
                describe_binding(context.roles[r].role)
            )
        })
        .collect();
    let paths: Vec<String> = overlap
        .paths
        .iter()
        .map(|(index, caps)| {
            let source = &witnesses[*index].1;
            format!(
                "{} {caps} (policy {} at {})",
                source.path, source.policy, source.origin
            )
        })
        .collect();
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

/// A comparable key of where a role's tokens come from: the mount (one per cluster, so the
/// same namespace name on two mounts is two namespaces), the namespaces and the selector.
fn binding(role: &super::RoleRef<'_>) -> String {
    let mut namespaces = role.role.bound_service_account_namespaces.clone();
    crate::order::sort(&mut namespaces);
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
    }
}
