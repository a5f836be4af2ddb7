//! Turning policies into one rule per distinct path, merged the way Vault merges them.

use std::collections::BTreeMap;
use std::time::Duration;

use rustc_hash::FxHashMap;
use serde_json::Value;

use super::explain::{DroppedPath, MatchKind, RuleSource};
use super::priority::Priority;
use crate::identity::Identity;
use crate::policy::{Capabilities, PathRule, Policy, fill_template};

/// The merged permissions of one path.
#[derive(Debug, Clone, Default)]
pub(crate) struct Permissions {
    pub(crate) capabilities: Capabilities,
    pub(crate) min_wrapping_ttl: Option<Duration>,
    pub(crate) max_wrapping_ttl: Option<Duration>,
    pub(crate) allowed_parameters: BTreeMap<String, Vec<Value>>,
    pub(crate) denied_parameters: BTreeMap<String, Vec<Value>>,
    pub(crate) required_parameters: Vec<String>,
    pub(crate) mfa_methods: Vec<String>,
    pub(crate) control_groups: Vec<Value>,
    pub(crate) subscribe_event_types: Vec<String>,
}

impl Permissions {
    fn from_rule(rule: &PathRule) -> Permissions {
        Permissions {
            capabilities: rule.capabilities,
            min_wrapping_ttl: rule.min_wrapping_ttl,
            max_wrapping_ttl: rule.max_wrapping_ttl,
            allowed_parameters: rule.allowed_parameters.clone(),
            denied_parameters: rule.denied_parameters.clone(),
            required_parameters: rule.required_parameters.clone(),
            mfa_methods: rule.mfa_methods.clone(),
            control_groups: rule.control_group.iter().cloned().collect(),
            subscribe_event_types: rule.subscribe_event_types.clone(),
        }
    }

    /// Whether anything beyond the capabilities needs checking (wrapping TTLs, parameters).
    pub(crate) fn is_constrained(&self) -> bool {
        self.min_wrapping_ttl.is_some()
            || self.max_wrapping_ttl.is_some()
            || !self.allowed_parameters.is_empty()
            || !self.denied_parameters.is_empty()
            || !self.required_parameters.is_empty()
    }

    /// Another block with the same path: Vault's merge.
    fn merge(&mut self, rule: &PathRule) {
        if self.capabilities.is_deny() {
            return;
        }
        if rule.capabilities.is_deny() {
            self.capabilities = Capabilities::DENY;
            self.allowed_parameters.clear();
            self.denied_parameters.clear();
            return;
        }
        self.capabilities = self.capabilities.union(rule.capabilities);
        // Vault keeps the smaller of two set values, for the maximum and the minimum alike.
        self.max_wrapping_ttl = smaller_set(self.max_wrapping_ttl, rule.max_wrapping_ttl);
        self.min_wrapping_ttl = smaller_set(self.min_wrapping_ttl, rule.min_wrapping_ttl);
        merge_parameters(&mut self.allowed_parameters, &rule.allowed_parameters);
        merge_parameters(&mut self.denied_parameters, &rule.denied_parameters);
        union_into(&mut self.required_parameters, &rule.required_parameters);
        union_into(&mut self.mfa_methods, &rule.mfa_methods);
        self.control_groups
            .extend(rule.control_group.iter().cloned());
        union_into(&mut self.subscribe_event_types, &rule.subscribe_event_types);
    }
}

fn smaller_set(current: Option<Duration>, new: Option<Duration>) -> Option<Duration> {
    match (current, new) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// An empty value list (any value) absorbs the other side; otherwise the lists are joined.
fn merge_parameters(into: &mut BTreeMap<String, Vec<Value>>, from: &BTreeMap<String, Vec<Value>>) {
    for (key, values) in from {
        match into.get_mut(key) {
            Some(existing) if existing.is_empty() => {}
            Some(_) if values.is_empty() => {
                into.insert(key.clone(), Vec::new());
            }
            Some(existing) => existing.extend(values.iter().cloned()),
            None => {
                into.insert(key.clone(), values.clone());
            }
        }
    }
}

fn union_into(into: &mut Vec<String>, from: &[String]) {
    for item in from {
        if !into.contains(item) {
            into.push(item.clone());
        }
    }
}

/// One distinct path of the ACL.
#[derive(Debug, Clone)]
pub(crate) struct CompiledRule {
    /// As written, `*` included.
    pub(crate) path: Box<str>,
    pub(crate) kind: MatchKind,
    pub(crate) priority: Priority,
    pub(crate) permissions: Permissions,
    pub(crate) sources: Box<[RuleSource]>,
}

impl CompiledRule {
    /// The path without its trailing `*`: what Vault's tie-breaks compare.
    pub(crate) fn stem(&self) -> &str {
        if self.kind == MatchKind::Exact {
            &self.path
        } else {
            self.path.strip_suffix('*').unwrap_or(&self.path)
        }
    }
}

/// The merged rules, plus what could not be included.
pub(crate) struct Compiled {
    pub(crate) rules: Vec<CompiledRule>,
    pub(crate) dropped: Vec<DroppedPath>,
}

/// Vault's classification: `+` as a segment makes a segment-wildcard rule (which keeps its
/// `*`); otherwise a trailing `*` makes a prefix rule.
fn classify(path: &str) -> MatchKind {
    if path == "+" || path.contains("/+") || path.starts_with("+/") {
        MatchKind::SegmentWildcard
    } else if path.ends_with('*') {
        MatchKind::Prefix
    } else {
        MatchKind::Exact
    }
}

/// The position of a kind's map among the compiler's maps of rules by path.
fn kind_slot(kind: MatchKind) -> usize {
    match kind {
        MatchKind::Exact => 0,
        MatchKind::Prefix => 1,
        MatchKind::SegmentWildcard => 2,
    }
}

/// Merges the path blocks of `policies` (templates filled from `identity`).
pub(crate) fn compile(policies: &[&Policy], identity: Option<&Identity>) -> Compiled {
    struct Building {
        path: Box<str>,
        kind: MatchKind,
        permissions: Permissions,
        sources: Vec<RuleSource>,
    }
    let mut building: Vec<Building> = Vec::new();
    // Rules merge by kind and path: one map per kind, keyed by path alone, so the engine
    // compiles one hash-map instance (path to number) for this and the exact rules' lookup.
    let mut by_path: [FxHashMap<Box<str>, u32>; 3] = Default::default();
    let mut dropped = Vec::new();

    for policy in policies {
        for rule in policy.paths() {
            let path: Box<str> = if rule.templated {
                match fill_template(&rule.path, identity) {
                    Ok(filled) => filled.into(),
                    Err(reason) => {
                        dropped.push(DroppedPath {
                            policy: policy.name().to_string(),
                            line: rule.line,
                            path: rule.path.clone(),
                            reason,
                        });
                        continue;
                    }
                }
            } else {
                rule.path.as_str().into()
            };
            let kind = classify(&path);
            let source = RuleSource {
                policy: policy.name().to_string(),
                line: rule.line,
                capabilities: rule.capabilities,
                template: rule.templated.then(|| rule.path.clone()),
            };
            let same_kind = &mut by_path[kind_slot(kind)];
            match same_kind
                .get(&path)
                .and_then(|&at| building.get_mut(at as usize))
            {
                Some(merged) => {
                    merged.permissions.merge(rule);
                    merged.sources.push(source);
                }
                None => {
                    // A policy set of over 4 billion rules cannot be held in memory first.
                    let at = u32::try_from(building.len()).unwrap_or(u32::MAX);
                    same_kind.insert(path.clone(), at);
                    building.push(Building {
                        path,
                        kind,
                        permissions: Permissions::from_rule(rule),
                        sources: vec![source],
                    });
                }
            }
        }
    }

    let rules = building
        .into_iter()
        .map(|b| {
            let priority = match b.kind {
                MatchKind::SegmentWildcard => Priority::segment(&b.path),
                MatchKind::Prefix => Priority::prefix(b.path.strip_suffix('*').unwrap_or(&b.path)),
                MatchKind::Exact => Priority::prefix(&b.path),
            };
            CompiledRule {
                path: b.path,
                kind: b.kind,
                priority,
                permissions: b.permissions,
                sources: b.sources.into(),
            }
        })
        .collect();
    Compiled { rules, dropped }
}
