//! A differential target for ACL decisions: random policies and paths go through podpass's
//! compiled `Acl` and through the reference evaluator below, which follows OpenBao's ACL rules
//! (docs/compatibility.md; checked against OpenBao 2.7.2 where they were unclear) as plainly as possible (every rule is tried against the path, no index, no trie). Any
//! disagreement, and any policy the reference accepts that podpass refuses, is a crash.
//!
//! The alphabets are tiny on purpose, so rules collide, nest and tie often.
#![no_main]

use std::collections::{BTreeMap, BTreeSet};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use podpass_core::acl::{Acl, Operation, Request};
use podpass_core::policy::Policy;

/// One segment of a rule's path; `PlusA` and `APlus` contain `+` without being a `+` segment.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum RuleSegment {
    A,
    B,
    Ab,
    Plus,
    PlusA,
    APlus,
    Empty,
}

/// How a rule's path ends.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Ending {
    Plain,
    Star,
    SlashStar,
    Slash,
}

#[derive(Arbitrary, Debug)]
struct RuleInput {
    segments: Vec<RuleSegment>,
    ending: Ending,
    capabilities: u16,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum PathSegment {
    A,
    B,
    Ab,
    Abc,
    Plus,
    Empty,
}

#[derive(Arbitrary, Debug)]
struct PathInput {
    segments: Vec<PathSegment>,
    trailing_slash: bool,
}

#[derive(Arbitrary, Debug)]
struct Case {
    policies: Vec<Vec<RuleInput>>,
    paths: Vec<PathInput>,
}

const CAPABILITIES: [&str; 10] = [
    "create",
    "read",
    "update",
    "patch",
    "delete",
    "list",
    "sudo",
    "deny",
    "subscribe",
    "recover",
];

impl RuleInput {
    fn path(&self) -> String {
        let segments: Vec<&str> = self
            .segments
            .iter()
            .take(4)
            .map(|s| match s {
                RuleSegment::A => "a",
                RuleSegment::B => "b",
                RuleSegment::Ab => "ab",
                RuleSegment::Plus => "+",
                RuleSegment::PlusA => "+a",
                RuleSegment::APlus => "a+",
                RuleSegment::Empty => "",
            })
            .collect();
        let mut path = segments.join("/");
        match self.ending {
            Ending::Plain => {}
            Ending::Star => path.push('*'),
            Ending::SlashStar => path.push_str("/*"),
            Ending::Slash => path.push('/'),
        }
        path
    }

    fn capabilities(&self) -> BTreeSet<&'static str> {
        let mut set: BTreeSet<&str> = CAPABILITIES
            .iter()
            .enumerate()
            .filter(|(i, _)| self.capabilities & (1 << i) != 0)
            .map(|(_, c)| *c)
            .collect();
        if set.is_empty() {
            set.insert("read");
        }
        set
    }
}

impl PathInput {
    fn path(&self) -> String {
        let segments: Vec<&str> = self
            .segments
            .iter()
            .take(5)
            .map(|s| match s {
                PathSegment::A => "a",
                PathSegment::B => "b",
                PathSegment::Ab => "ab",
                PathSegment::Abc => "abc",
                PathSegment::Plus => "+",
                PathSegment::Empty => "",
            })
            .collect();
        let mut path = segments.join("/");
        if self.trailing_slash {
            path.push('/');
        }
        path
    }
}

/// A rule's kind, which with its stem is the key rules are merged under.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// No glob, no `+` segment marker: matches its path only.
    Exact,
    /// Ends in `*`, no `+` marker: matches every path starting with the stem.
    Prefix,
    /// Contains `/+` or starts with `+/` or is `+`: segment by segment, maybe ending in `*`.
    Segments,
}

/// The reference ACL: rules keyed by (kind, stem), capabilities merged per key.
struct Reference {
    rules: BTreeMap<(Kind, String), BTreeSet<&'static str>>,
}

impl Reference {
    /// Whether OpenBao accepts the path, and the key it files the rule under.
    fn key(path: &str) -> Option<(Kind, String)> {
        // One leading `/` is dropped from a rule (OpenBao 2.7.2: `///+` never matches `a`),
        // every one from a request path.
        let path = path.strip_prefix('/').unwrap_or(path).to_string();
        if path.contains("+*") {
            return None;
        }
        let segments = path == "+" || path.contains("/+") || path.starts_with("+/");
        if segments {
            Some((Kind::Segments, path))
        } else if let Some(stem) = path.strip_suffix('*') {
            Some((Kind::Prefix, stem.to_string()))
        } else {
            Some((Kind::Exact, path))
        }
    }

    fn add(&mut self, path: &str, capabilities: &BTreeSet<&'static str>) -> bool {
        let Some(key) = Reference::key(path) else {
            return false;
        };
        let merged = self.rules.entry(key).or_default();
        merged.extend(capabilities.iter().copied());
        if merged.contains("deny") {
            merged.clear();
            merged.insert("deny");
        }
        true
    }

    /// What `sys/capabilities-self` answers (a List check of the path as given): the
    /// capabilities of the winning rule, empty when none matches.
    fn capabilities(&self, path: &str) -> BTreeSet<&'static str> {
        let path = path.trim_start_matches('/');
        let exact = |p: &str| self.rules.get(&(Kind::Exact, p.to_string()));
        if let Some(found) = exact(path) {
            return found.clone();
        }
        let trimmed = path.strip_suffix('/');
        if let Some(found) = trimmed.and_then(exact) {
            return found.clone();
        }
        // OpenBao 2.7.2 answers `a/b/` with `a/b/*` over `a/b*`, and `a/y/c/` with `a/+/c`:
        // the path as given first, then without its trailing slash.
        self.best_non_exact(path)
            .or_else(|| trimmed.and_then(|t| self.best_non_exact(t)))
            .cloned()
            .unwrap_or_default()
    }

    /// Whether a Read of `path` is allowed: the exact rule, else the best other rule.
    fn read(&self, path: &str) -> bool {
        let path = path.trim_start_matches('/');
        let winner = self
            .rules
            .get(&(Kind::Exact, path.to_string()))
            .or_else(|| self.best_non_exact(path));
        winner.is_some_and(|capabilities| capabilities.contains("read"))
    }

    /// Every prefix and segment rule matching `path`, highest priority last after sorting.
    fn best_non_exact(&self, path: &str) -> Option<&BTreeSet<&'static str>> {
        let mut candidates: Vec<(Candidate, &BTreeSet<&'static str>)> = Vec::new();
        for ((kind, stem), capabilities) in &self.rules {
            let candidate = match kind {
                Kind::Exact => None,
                Kind::Prefix => path.starts_with(stem.as_str()).then(|| Candidate {
                    first_wildcard: stem.len(),
                    is_prefix: true,
                    wildcards: 0,
                    stem: stem.clone(),
                }),
                Kind::Segments => segment_match(stem, path),
            };
            if let Some(candidate) = candidate {
                candidates.push((candidate, capabilities));
            }
        }
        candidates
            .into_iter()
            .max_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, c)| c)
    }
}

/// What the priority rules compare. The derived order is not used: `Ord` below is the rules.
#[derive(Debug, PartialEq, Eq)]
struct Candidate {
    first_wildcard: usize,
    is_prefix: bool,
    wildcards: usize,
    stem: String,
}

impl Ord for Candidate {
    /// Greater means higher priority, rule by rule as documented.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.first_wildcard
            .cmp(&other.first_wildcard)
            .then_with(|| other.is_prefix.cmp(&self.is_prefix))
            .then_with(|| other.wildcards.cmp(&self.wildcards))
            .then_with(|| self.stem.len().cmp(&other.stem.len()))
            .then_with(|| self.stem.cmp(&other.stem))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// A segment rule against a path: `+` takes any one segment, the last rule segment of a rule
/// ending in `*` takes any segment starting with it (and everything after), any other segment
/// must be equal.
fn segment_match(rule: &str, path: &str) -> Option<Candidate> {
    let first_wildcard = rule.find('+').unwrap_or(0);
    let (stem, is_prefix) = match rule.strip_suffix('*') {
        Some(stem) => (stem, true),
        None => (rule, false),
    };
    let rule_parts: Vec<&str> = stem.split('/').collect();
    let path_parts: Vec<&str> = path.split('/').collect();
    if path_parts.len() < rule_parts.len() || (!is_prefix && path_parts.len() != rule_parts.len()) {
        return None;
    }
    let mut wildcards = 0;
    for (i, part) in rule_parts.iter().enumerate() {
        let last = i == rule_parts.len() - 1;
        if *part == "+" {
            wildcards += 1;
        } else if *part == path_parts[i] || (is_prefix && last && path_parts[i].starts_with(part)) {
        } else {
            return None;
        }
    }
    Some(Candidate {
        first_wildcard,
        is_prefix,
        wildcards,
        stem: stem.to_string(),
    })
}

fn policy_text(rules: &[RuleInput]) -> String {
    rules
        .iter()
        .map(|rule| {
            let capabilities: Vec<String> = rule
                .capabilities()
                .iter()
                .map(|c| format!("\"{c}\""))
                .collect();
            format!(
                "path \"{}\" {{\n  capabilities = [{}]\n}}\n",
                rule.path(),
                capabilities.join(", ")
            )
        })
        .collect()
}

fuzz_target!(|case: Case| {
    let mut reference = Reference {
        rules: BTreeMap::new(),
    };
    let mut policies = Vec::new();
    for (i, rules) in case.policies.iter().take(4).enumerate() {
        let rules = &rules[..rules.len().min(6)];
        let text = policy_text(rules);
        let accepted = rules
            .iter()
            .map(|rule| reference.add(&rule.path(), &rule.capabilities()))
            .fold(true, |all, ok| all && ok);
        match Policy::parse(&format!("p{i}"), &text) {
            Ok(policy) => policies.push(policy),
            Err(error) if accepted => {
                panic!("podpass refuses a policy OpenBao accepts ({error}):\n{text}")
            }
            Err(_) => return,
        }
    }
    let Ok(acl) = Acl::new(policies.iter(), None) else {
        return;
    };
    for path in case.paths.iter().take(8) {
        let path = path.path();
        let ours: BTreeSet<&str> = acl
            .capability_set(&path)
            .iter()
            .map(|c| c.as_str())
            .collect();
        let expected = reference.capabilities(&path);
        assert_eq!(
            ours, expected,
            "capabilities of {path:?} under\n{:#?}",
            reference.rules
        );
        // A read is decided by the same winner, checked without the List trailing-slash rules.
        let read = acl
            .authorize(&Request::new(Operation::Read, path.as_str()))
            .allowed;
        let expected_read = reference.read(&path);
        assert_eq!(
            read, expected_read,
            "read of {path:?} under\n{:#?}",
            reference.rules
        );
    }
});
