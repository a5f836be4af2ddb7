//! From the syntax tree to path rules, with Vault's checks in Vault's order: keys, value types,
//! wildcards, the legacy shorthand, capabilities, then wrapping TTLs.

use std::collections::BTreeMap;
use std::time::Duration;

use super::PathRule;
use super::capability::{Capabilities, Capability};
use super::error::PolicyError;
use super::syntax::{self, Entry, Node, Spanned};
use super::template;
use crate::diagnostic::LineIndex;
use crate::names;

/// Keys a path block may contain.
const PATH_KEYS: [&str; 11] = [
    "comment",
    "policy",
    "capabilities",
    "allowed_parameters",
    "denied_parameters",
    "required_parameters",
    "min_wrapping_ttl",
    "max_wrapping_ttl",
    "mfa_methods",
    "control_group",
    "subscribe_event_types",
];

struct Parser<'t> {
    lines: LineIndex<'t>,
    /// Read from JSON, where `"path": {"p": {…}}` names its paths; in HCL a path is a label.
    json: bool,
}

/// Parses policy text into its path rules, in source order.
pub(crate) fn parse_rules(text: &str) -> Result<Vec<PathRule>, PolicyError> {
    let parser = Parser {
        lines: LineIndex::new(text),
        json: syntax::is_json(text),
    };
    let entries = syntax::parse(text).map_err(|e| PolicyError::Syntax {
        location: parser.lines.location(e.offset),
        detail: e.detail,
    })?;
    // Like Vault, every top-level key is checked before any path block is read.
    if let Some(bad) = entries
        .iter()
        .find(|e| e.key.value != "name" && e.key.value != "path")
    {
        return Err(PolicyError::InvalidKey {
            location: parser.lines.location(bad.key.start()),
            key: bad.key.value.clone(),
            path: None,
        });
    }
    let mut rules = Vec::new();
    for entry in entries.iter().filter(|e| e.key.value == "path") {
        parser.path_entry(entry, &mut rules)?;
    }
    Ok(rules)
}

impl Parser<'_> {
    fn path_entry(&self, entry: &Entry, rules: &mut Vec<PathRule>) -> Result<(), PolicyError> {
        // In HCL the path is the block's label. An attribute `path = { … }` has none (HCL1 makes
        // it a rule for the literal path `path`), refused like a block without a label.
        if entry.block || !self.json {
            let [label] = entry.labels.as_slice() else {
                return Err(PolicyError::PathLabel {
                    location: self.lines.location(entry.key.start()),
                    labels: entry.labels.len(),
                });
            };
            rules.push(self.rule(label, &entry.value)?);
            return Ok(());
        }
        // `"path": { "p": { … } }` (or a list of such objects).
        let objects: Vec<&Vec<Entry>> = match &entry.value.value {
            Node::Object(paths) => vec![paths],
            Node::List(items) => items
                .iter()
                .map(|item| match &item.value {
                    Node::Object(paths) => Ok(paths),
                    _ => Err(self.invalid(item, None, "path", "an object of paths")),
                })
                .collect::<Result<_, _>>()?,
            _ => {
                return Err(self.invalid(&entry.value, None, "path", "an object of paths"));
            }
        };
        for paths in objects {
            for path in paths {
                match &path.value.value {
                    Node::List(bodies) => {
                        for body in bodies {
                            rules.push(self.rule(&path.key, body)?);
                        }
                    }
                    _ => rules.push(self.rule(&path.key, &path.value)?),
                }
            }
        }
        Ok(())
    }

    fn invalid(
        &self,
        found: &Spanned<Node>,
        path: Option<&str>,
        key: &str,
        expected: &str,
    ) -> PolicyError {
        PolicyError::InvalidValue {
            location: self.lines.location(found.start()),
            path: path.map(str::to_string),
            key: key.to_string(),
            expected: format!("{expected}, not {}", describe(&found.value)),
        }
    }

    /// One path block. `label` is the path as written.
    fn rule(&self, label: &Spanned<String>, body: &Spanned<Node>) -> Result<PathRule, PolicyError> {
        let key = label.value.as_str();
        let templated = template::check(key).map_err(|_| PolicyError::UnbalancedTemplate {
            location: self.lines.location(label.start()),
            path: key.to_string(),
        })?;
        let Node::Object(items) = &body.value else {
            return Err(self.invalid(body, Some(key), key, "a block of settings"));
        };
        let raw = self.settings(items, key)?;

        let path = key.strip_prefix('/').unwrap_or(key);
        if path.contains("+*") {
            return Err(PolicyError::InvalidWildcards {
                location: self.lines.location(label.start()),
                path: path.to_string(),
            });
        }
        let requested = self.requested(&raw, key)?;

        let mut rule = PathRule {
            path: path.to_string(),
            line: self.lines.location(label.start()).line,
            templated,
            capabilities: Capabilities::NONE,
            allowed_parameters: BTreeMap::new(),
            denied_parameters: BTreeMap::new(),
            required_parameters: Vec::new(),
            min_wrapping_ttl: None,
            max_wrapping_ttl: None,
            mfa_methods: Vec::new(),
            control_group: None,
            subscribe_event_types: Vec::new(),
            comment: raw.comment.clone(),
        };
        for (name, at) in &requested {
            match name.parse::<Capability>() {
                // A deny makes the block deny-only; Vault reads nothing more of it.
                Ok(Capability::Deny) => {
                    rule.capabilities = Capabilities::DENY;
                    return Ok(rule);
                }
                Ok(capability) => rule.capabilities.insert(capability),
                Err(()) => {
                    return Err(PolicyError::InvalidCapability {
                        location: self.lines.location(*at),
                        path: key.to_string(),
                        capability: name.clone(),
                    });
                }
            }
        }
        self.finish(rule, raw, key)
    }

    /// Decodes every setting of a path block first, as Vault's decoder does before any semantic
    /// check; a key Vault does not know is refused before anything. A repeated key is decoded as
    /// HCL1 decodes it: lists are joined, parameter maps merged, and any other value is the last.
    fn settings<'n>(&self, items: &'n [Entry], key: &str) -> Result<Raw<'n>, PolicyError> {
        if let Some(bad) = items
            .iter()
            .find(|i| !PATH_KEYS.contains(&i.key.value.as_str()))
        {
            return Err(PolicyError::InvalidKey {
                location: self.lines.location(bad.key.start()),
                key: bad.key.value.clone(),
                path: Some(key.to_string()),
            });
        }
        let mut raw = Raw::default();
        for item in items {
            let name = item.key.value.as_str();
            let value = &item.value;
            match name {
                "capabilities" => raw.capabilities.extend(self.strings(value, key, name)?),
                "policy" => match &value.value {
                    Node::Str(s) => raw.policy = Some((s.clone(), value.start())),
                    _ => return Err(self.invalid(value, Some(key), name, "a string")),
                },
                "allowed_parameters" => raw.allowed.extend(self.parameters(value, key, name)?),
                "denied_parameters" => raw.denied.extend(self.parameters(value, key, name)?),
                "required_parameters" => raw.required.extend(self.strings(value, key, name)?),
                "mfa_methods" => raw.mfa_methods.extend(self.strings(value, key, name)?),
                "subscribe_event_types" => raw.subscribe.extend(self.strings(value, key, name)?),
                "min_wrapping_ttl" => raw.min_ttl = Some(value),
                "max_wrapping_ttl" => raw.max_ttl = Some(value),
                "control_group" => raw.control_group = Some(item),
                "comment" => {
                    if let Node::Str(s) = &value.value {
                        raw.comment = Some(s.clone());
                    }
                }
                _ => {}
            }
        }
        Ok(raw)
    }

    /// The capabilities asked for, each with where it was written: the list, with the legacy
    /// `policy` shorthand expanded into it (`deny` replaces the list).
    fn requested(&self, raw: &Raw<'_>, key: &str) -> Result<Vec<(String, usize)>, PolicyError> {
        let mut requested = raw.capabilities.clone();
        if let Some((shorthand, at)) = &raw.policy {
            let expand: &[&str] = match shorthand.as_str() {
                "" => &[],
                "deny" => {
                    requested.clear();
                    &["deny"]
                }
                "read" => &["read", "list"],
                "write" => &["create", "read", "update", "delete", "list"],
                "sudo" => &["create", "read", "update", "delete", "list", "sudo"],
                _ => {
                    return Err(PolicyError::InvalidPolicyShorthand {
                        location: self.lines.location(*at),
                        path: key.to_string(),
                        policy: shorthand.clone(),
                    });
                }
            };
            requested.extend(expand.iter().map(|c| ((*c).to_string(), *at)));
        }
        Ok(requested)
    }

    /// The settings read after the capabilities of a block that does not deny: parameters,
    /// wrapping TTLs (checked against each other), MFA, control group, event types.
    fn finish(&self, mut rule: PathRule, raw: Raw<'_>, key: &str) -> Result<PathRule, PolicyError> {
        rule.allowed_parameters = raw.allowed;
        rule.denied_parameters = raw.denied;
        rule.min_wrapping_ttl = self.ttl(raw.min_ttl, key, "min_wrapping_ttl")?;
        rule.max_wrapping_ttl = self.ttl(raw.max_ttl, key, "max_wrapping_ttl")?;
        rule.mfa_methods = raw.mfa_methods.into_iter().map(|(s, _)| s).collect();
        rule.control_group = raw
            .control_group
            .map(|item| syntax::to_json(&item.value.value));
        if let (Some(min), Some(max), Some(max_node)) =
            (rule.min_wrapping_ttl, rule.max_wrapping_ttl, raw.max_ttl)
            && max < min
        {
            return Err(PolicyError::WrappingTtlBounds {
                location: self.lines.location(max_node.start()),
                path: key.to_string(),
            });
        }
        rule.required_parameters = raw.required.into_iter().map(|(s, _)| s).collect();
        rule.subscribe_event_types = raw.subscribe.into_iter().map(|(s, _)| s).collect();
        Ok(rule)
    }

    fn strings(
        &self,
        node: &Spanned<Node>,
        path: &str,
        key: &str,
    ) -> Result<Vec<(String, usize)>, PolicyError> {
        let Node::List(items) = &node.value else {
            return Err(self.invalid(node, Some(path), key, "a list of strings"));
        };
        items
            .iter()
            .map(|item| match &item.value {
                Node::Str(s) => Ok((s.clone(), item.start())),
                _ => Err(self.invalid(item, Some(path), key, "a list of strings")),
            })
            .collect()
    }

    /// `{ "key" = [values…] }`; keys are case-insensitive, so they are stored lowercased.
    fn parameters(
        &self,
        node: &Spanned<Node>,
        path: &str,
        key: &str,
    ) -> Result<BTreeMap<String, Vec<serde_json::Value>>, PolicyError> {
        let Node::Object(entries) = &node.value else {
            return Err(self.invalid(
                node,
                Some(path),
                key,
                "an object of parameter names to lists of values",
            ));
        };
        let mut map = BTreeMap::new();
        for entry in entries {
            let Node::List(values) = &entry.value.value else {
                return Err(self.invalid(
                    &entry.value,
                    Some(path),
                    key,
                    "an object of parameter names to lists of values",
                ));
            };
            map.insert(
                names::lowercase(&entry.key.value),
                values.iter().map(|v| syntax::to_json(&v.value)).collect(),
            );
        }
        Ok(map)
    }

    fn ttl(
        &self,
        node: Option<&Spanned<Node>>,
        path: &str,
        key: &str,
    ) -> Result<Option<Duration>, PolicyError> {
        let Some(node) = node else { return Ok(None) };
        let (parsed, shown) = match &node.value {
            Node::Null => (Some(Duration::ZERO), String::new()),
            Node::Str(s) => (wrapping_ttl(s), s.clone()),
            Node::Number(n) => (number_ttl(n), n.to_string()),
            Node::Bool(b) => (None, b.to_string()),
            Node::List(_) | Node::Object(_) => (None, String::new()),
        };
        match parsed {
            Some(d) if d.is_zero() => Ok(None),
            Some(d) => Ok(Some(d)),
            None => Err(PolicyError::InvalidDuration {
                location: self.lines.location(node.start()),
                path: path.to_string(),
                key: key.to_string(),
                value: shown,
            }),
        }
    }
}

/// A wrapping TTL in whole seconds (Vault's `ParseDurationSecond`); negative counts as unset,
/// since Vault only acts on TTLs above zero.
fn wrapping_ttl(text: &str) -> Option<Duration> {
    crate::duration::parse_duration_str(text)
        .ok()
        .map(at_least_zero)
}

/// Seconds as a duration; negative counts as unset (zero).
fn at_least_zero(seconds: i64) -> Duration {
    Duration::from_secs(u64::try_from(seconds).unwrap_or(0))
}

/// A wrapping TTL written as a number of seconds. Vault converts a float to a duration the way
/// Go does, dropping the fraction (`1.5` is one second, `-1.5e1` minus fifteen, so unset).
fn number_ttl(n: &serde_json::Number) -> Option<Duration> {
    let seconds = match n.as_i64() {
        Some(seconds) => seconds,
        // `as` saturates, as Go's conversion of an out-of-range float does not; either way such
        // a TTL is past any bound a mount would allow.
        None => n.as_f64()?.trunc() as i64,
    };
    Some(at_least_zero(seconds))
}

fn describe(node: &Node) -> &'static str {
    match node {
        Node::Str(_) => "a string",
        Node::Number(_) => "a number",
        Node::Bool(_) => "a boolean",
        Node::Null => "null",
        Node::List(_) => "a list",
        Node::Object(_) => "an object",
    }
}

#[derive(Default)]
struct Raw<'n> {
    capabilities: Vec<(String, usize)>,
    policy: Option<(String, usize)>,
    allowed: BTreeMap<String, Vec<serde_json::Value>>,
    denied: BTreeMap<String, Vec<serde_json::Value>>,
    required: Vec<(String, usize)>,
    mfa_methods: Vec<(String, usize)>,
    subscribe: Vec<(String, usize)>,
    min_ttl: Option<&'n Spanned<Node>>,
    max_ttl: Option<&'n Spanned<Node>>,
    control_group: Option<&'n Entry>,
    comment: Option<String>,
}
