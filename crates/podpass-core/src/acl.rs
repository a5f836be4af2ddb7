//! Vault's ACL decisions over a set of policies, compiled once and queried many times.
//!
//! The rules, as Vault applies them:
//! - An exact (wildcard-free) rule equal to the path wins outright.
//! - Otherwise the candidates are the longest matching prefix (`…*`) rule and every matching
//!   segment-wildcard (`+`) rule; the highest by Vault's five priority rules wins
//!   ([`PriorityRule`]), and only its capabilities apply.
//! - Blocks for the same path in several policies are merged first; a `deny` in any of them makes
//!   the path deny-only.
//! - `List` requests end in `/`; exact rules with or without the slash apply, and wildcard rules
//!   are tried on the path with the slash before the path without it (so a more specific deny is
//!   not bypassed by a broader list grant, as fixed in Vault 2.0.3 / OpenBao 2.6.0).
//!
//! ```
//! use podpass_core::acl::{Acl, Operation, Request};
//! use podpass_core::policy::Policy;
//!
//! let grade = Policy::parse("grade-api", r#"path "secret/data/grade-api/*" { capabilities = ["read"] }"#)?;
//! let acl = Acl::new([&Policy::default_policy(), &grade], None)?;
//!
//! let ok = acl.authorize(&Request::new(Operation::Read, "secret/data/grade-api/db"));
//! assert!(ok.allowed);
//! let no = acl.authorize(&Request::new(Operation::Read, "secret/data/payment/db"));
//! assert!(!no.allowed);
//! assert_eq!(no.reason(), r#"no rule matches "secret/data/payment/db""#);
//! assert_eq!(acl.capabilities("secret/data/grade-api/db"), ["read"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod cache;
mod compile;
mod explain;
mod index;
mod params;
mod priority;
mod request;

use std::cmp::Ordering;
use std::time::Duration;

use rustc_hash::FxHashMap;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use smallvec::SmallVec;

pub use cache::AclCache;
pub use explain::{
    BeatenRule, Decision, DroppedPath, Explanation, MatchKind, MatchedRule, Outcome, RuleSource,
};
pub use priority::PriorityRule;
pub use request::{Operation, Request};

use crate::identity::Identity;
use crate::policy::{Capabilities, Capability, Policy, ROOT_POLICY_NAME, serialize_seconds};
use compile::CompiledRule;
use explain::Sources;
use index::{PrefixIndex, SegmentTrie};
use params::{Constraints, ParamFailure};
use priority::Priority;

/// Why an ACL could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AclError {
    /// The root policy can only stand alone, as on Vault's root tokens.
    #[error("other policies present along with root")]
    RootWithOthers,
}

/// A compiled set of policies: Vault's answer to "may this token do that?".
#[derive(Debug)]
pub struct Acl {
    root: bool,
    policy_names: Vec<String>,
    /// Everything about each distinct path.
    rules: Vec<CompiledRule>,
    /// What every lookup reads, packed apart from the rest so a decision touches little memory.
    hot: Vec<HotRule>,
    exact: FxHashMap<Box<str>, u32>,
    prefixes: PrefixIndex,
    segments: SegmentTrie,
    dropped: Vec<DroppedPath>,
}

#[derive(Debug, Clone, Copy)]
struct HotRule {
    priority: Priority,
    capabilities: Capabilities,
    /// Wrapping TTLs or parameter constraints to check.
    constrained: bool,
}

/// Where a path's rule was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Winner {
    pub(crate) rule: u32,
    pub(crate) without_trailing_slash: bool,
}

/// Candidate rules collected for an explanation, without a heap allocation in the usual case.
type Candidates = SmallVec<[u32; 8]>;

impl Acl {
    /// Compiles `policies`, filling templated paths from `identity` (a path whose template cannot
    /// be filled is left out; see [`Acl::dropped_paths`]). An ACL holding the `root` policy
    /// allows everything; `root` cannot be combined with other policies.
    pub fn new<'a, I>(policies: I, identity: Option<&Identity>) -> Result<Acl, AclError>
    where
        I: IntoIterator<Item = &'a Policy>,
    {
        let policies: Vec<&Policy> = policies.into_iter().collect();
        let policy_names = policies.iter().map(|p| p.name().to_string()).collect();
        let root = policies.iter().any(|p| p.name() == ROOT_POLICY_NAME);
        if root && policies.len() != 1 {
            return Err(AclError::RootWithOthers);
        }
        let compiled = if root {
            compile::compile(&[], None)
        } else {
            compile::compile(&policies, identity)
        };
        let mut exact = FxHashMap::default();
        let mut prefixes = Vec::new();
        let mut segments = SegmentTrie::default();
        for (i, rule) in compiled.rules.iter().enumerate() {
            let id = u32::try_from(i).unwrap_or(u32::MAX);
            match rule.kind {
                MatchKind::Exact => {
                    exact.insert(rule.path.clone(), id);
                }
                MatchKind::Prefix => prefixes.push((Box::from(rule.stem()), id)),
                MatchKind::SegmentWildcard => {
                    segments.insert(rule.stem(), rule.path.ends_with('*'), id);
                }
            }
        }
        let hot = compiled
            .rules
            .iter()
            .map(|r| HotRule {
                priority: r.priority,
                capabilities: r.permissions.capabilities,
                constrained: r.permissions.is_constrained(),
            })
            .collect();
        Ok(Acl {
            root,
            policy_names,
            rules: compiled.rules,
            hot,
            exact,
            prefixes: PrefixIndex::build(prefixes),
            segments,
            dropped: compiled.dropped,
        })
    }

    /// Whether the ACL holds the root policy.
    pub fn is_root(&self) -> bool {
        self.root
    }

    /// The names of the compiled policies, in the order given.
    pub fn policy_names(&self) -> &[String] {
        &self.policy_names
    }

    /// Templated paths left out because their template could not be filled.
    pub fn dropped_paths(&self) -> &[DroppedPath] {
        &self.dropped
    }

    /// What Vault's `sys/capabilities-self` answers for `path`: the sorted capability names,
    /// `["deny"]` when nothing is granted, `["root"]` for a root ACL.
    pub fn capabilities(&self, path: &str) -> Vec<String> {
        if self.root {
            return vec![ROOT_POLICY_NAME.to_string()];
        }
        self.capability_set(path)
            .to_vault_list()
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// The capabilities of the rule that applies to `path` (empty when none does; everything
    /// but `deny` for a root ACL). Vault answers capability questions as for a `List`, so exact
    /// rules with or without a trailing `/` apply.
    pub fn capability_set(&self, path: &str) -> Capabilities {
        if self.root {
            return Capability::ALL
                .into_iter()
                .filter(|c| *c != Capability::Deny)
                .collect();
        }
        let path = path.trim_start_matches('/');
        self.resolve(path, true)
            .map_or(Capabilities::NONE, |w| self.hot(w.rule).capabilities)
    }

    /// Vault's decision on `request`. The decision borrows the ACL; its explanation's details
    /// are worked out only when asked for.
    pub fn authorize(&self, request: &Request) -> Decision<'_> {
        let operation = request.operation;
        let mut path = request.path.trim_start_matches('/').to_string();
        if self.root {
            return Decision {
                allowed: true,
                explanation: Explanation {
                    operation,
                    path,
                    outcome: Outcome::Root,
                    acl: self,
                    winner: None,
                },
            };
        }
        // Vault's router gives every LIST path a trailing slash.
        if operation == Operation::List && !path.ends_with('/') {
            path.push('/');
        }
        let winner = self.resolve(&path, operation == Operation::List);
        let outcome = match winner {
            Some(w) => self.evaluate(w.rule, request),
            None => Outcome::NoMatch,
        };
        Decision {
            allowed: outcome == Outcome::Granted,
            explanation: Explanation {
                operation,
                path,
                outcome,
                acl: self,
                winner,
            },
        }
    }

    pub(crate) fn rule(&self, id: u32) -> &CompiledRule {
        &self.rules[id as usize]
    }

    fn hot(&self, id: u32) -> &HotRule {
        &self.hot[id as usize]
    }

    /// Whether rule `a` beats (or ties with) rule `b`, by Vault's priority rules.
    fn at_least(&self, a: u32, b: u32) -> bool {
        match self.hot(a).priority.key().cmp(&self.hot(b).priority.key()) {
            Ordering::Equal => self.rule(a).stem() >= self.rule(b).stem(),
            ordering => ordering.is_gt(),
        }
    }

    /// The winner's order against a loser, with the deciding rule (for explanations).
    fn compare(&self, a: u32, b: u32) -> (Ordering, PriorityRule) {
        let (ra, rb) = (self.rule(a), self.rule(b));
        priority::compare((&ra.priority, ra.stem()), (&rb.priority, rb.stem()))
    }

    fn exact(&self, path: &str, list: bool) -> Option<Winner> {
        if let Some(&rule) = self.exact.get(path) {
            return Some(Winner {
                rule,
                without_trailing_slash: false,
            });
        }
        let trimmed = path.strip_suffix('/').filter(|_| list)?;
        self.exact.get(trimmed).map(|&rule| Winner {
            rule,
            without_trailing_slash: true,
        })
    }

    /// Vault's lookup order: exact (for `List`, also without the trailing `/`), then the
    /// wildcard rules on the path, then, for `List`, on the path without its `/`.
    fn resolve(&self, path: &str, list: bool) -> Option<Winner> {
        if let Some(winner) = self.exact(path, list) {
            return Some(winner);
        }
        if let Some(rule) = self.best_non_exact(path) {
            return Some(Winner {
                rule,
                without_trailing_slash: false,
            });
        }
        let trimmed = path.strip_suffix('/').filter(|_| list)?;
        self.best_non_exact(trimmed).map(|rule| Winner {
            rule,
            without_trailing_slash: true,
        })
    }

    fn best_non_exact(&self, path: &str) -> Option<u32> {
        let mut best = self.prefixes.longest(path);
        if !self.segments.is_empty() {
            self.segments.for_each_match(path, |rule| {
                best = Some(match best {
                    Some(current) if self.at_least(current, rule) => current,
                    _ => rule,
                });
            });
        }
        best
    }

    /// Every non-exact rule matching `path`: Vault's candidates (the longest prefix and the
    /// segment rules) plus the shorter prefixes, which always lose but are worth showing.
    fn non_exact_candidates(&self, path: &str, out: &mut Candidates) {
        self.prefixes.for_each_match(path, |rule| {
            out.push(rule);
            true
        });
        self.segments.for_each_match(path, |rule| out.push(rule));
    }

    /// The rules the winner for `path` beat, closest competitor first.
    pub(crate) fn beaten(&self, path: &str, list: bool) -> Vec<BeatenRule<'_>> {
        let mut candidates = Candidates::new();
        let winner = match self.exact(path, list) {
            Some(_) => {
                self.non_exact_candidates(path, &mut candidates);
                None
            }
            None => {
                self.non_exact_candidates(path, &mut candidates);
                if candidates.is_empty()
                    && let Some(trimmed) = path.strip_suffix('/').filter(|_| list)
                {
                    self.non_exact_candidates(trimmed, &mut candidates);
                }
                self.best_of(&candidates)
            }
        };
        let mut losers: Vec<u32> = candidates
            .iter()
            .copied()
            .filter(|&c| Some(c) != winner)
            .collect();
        crate::order::sort_by(&mut losers, |&a, &b| self.compare(b, a).0);
        losers.dedup();
        losers
            .into_iter()
            .map(|loser| {
                let rule = self.rule(loser);
                BeatenRule {
                    path: &rule.path,
                    sources: &rule.sources,
                    capabilities: rule.permissions.capabilities,
                    lost_on: winner
                        .map_or(PriorityRule::ExactMatchWins, |w| self.compare(w, loser).1),
                }
            })
            .collect()
    }

    fn best_of(&self, candidates: &[u32]) -> Option<u32> {
        candidates.iter().copied().reduce(|best, rule| {
            if self.at_least(best, rule) {
                best
            } else {
                rule
            }
        })
    }

    /// The most common mistake: a KV version 1 style rule (`secret/app/*`) for a KV version 2
    /// request (`secret/data/app/x`).
    pub(crate) fn kv2_hint(&self, path: &str, list: bool) -> Option<String> {
        let mut parts = path.splitn(3, '/');
        let (mount, kind, rest) = (parts.next()?, parts.next()?, parts.next()?);
        if kind != "data" && kind != "metadata" {
            return None;
        }
        let v1_path = format!("{mount}/{rest}");
        let rule = self.rule(self.resolve(&v1_path, list)?.rule);
        if rule.permissions.capabilities.is_deny() {
            return None;
        }
        let suggested = match rule
            .path
            .strip_prefix(mount)
            .and_then(|r| r.strip_prefix('/'))
        {
            Some(tail) => format!("{mount}/{kind}/{tail}"),
            None => format!("{mount}/{kind}/…"),
        };
        Some(format!(
            "rule {:?} from {} matches {v1_path:?}, but a KV version 2 mount checks {path:?}: the rule should be {suggested:?}",
            &*rule.path,
            Sources(&rule.sources),
        ))
    }

    /// The rules that share the most leading path segments with `path` (at least one), at most
    /// three: where to look when no rule matched.
    pub(crate) fn nearest_hint(&self, path: &str) -> Option<String> {
        const SHOWN: usize = 3;
        let shared = |rule: &CompiledRule| {
            rule.stem()
                .split('/')
                .zip(path.split('/'))
                .take_while(|(a, b)| a == b && !a.is_empty())
                .count()
        };
        let best = self.rules.iter().map(shared).max().filter(|n| *n > 0)?;
        let nearest: Vec<String> = self
            .rules
            .iter()
            .filter(|rule| shared(rule) == best)
            .take(SHOWN)
            .map(|rule| format!("{:?} from {}", &*rule.path, Sources(&rule.sources)))
            .collect();
        Some(format!(
            "the nearest rules share {best} leading segment{} with {path:?}: {}",
            if best == 1 { "" } else { "s" },
            nearest.join(", ")
        ))
    }

    /// The checks after the rule is found, in Vault's order.
    fn evaluate(&self, id: u32, request: &Request) -> Outcome {
        let hot = self.hot(id);
        let caps = hot.capabilities;
        let op = request.operation;
        if !caps.contains(op.capability()) {
            return if caps.is_deny() {
                Outcome::ExplicitDeny
            } else {
                Outcome::MissingCapability {
                    needed: op.capability(),
                }
            };
        }
        if hot.constrained
            && let Some(outcome) = self.check_constraints(id, request)
        {
            return outcome;
        }
        if request.root_protected && !caps.contains(Capability::Sudo) {
            return Outcome::SudoRequired;
        }
        Outcome::Granted
    }

    /// Wrapping TTLs, then parameters; the failure, if any.
    fn check_constraints(&self, id: u32, request: &Request) -> Option<Outcome> {
        let perms = &self.rule(id).permissions;
        let wrap = request.wrap_ttl.map(Duration::from_secs);
        if let Some(max) = perms.max_wrapping_ttl {
            match wrap {
                None => return Some(Outcome::WrappingRequired),
                Some(ttl) if ttl > max => {
                    return Some(Outcome::WrapTtlAboveMax {
                        requested: ttl.as_secs(),
                        max: max.as_secs(),
                    });
                }
                Some(_) => {}
            }
        }
        if let Some(min) = perms.min_wrapping_ttl {
            match wrap {
                None => return Some(Outcome::WrappingRequired),
                Some(ttl) if ttl < min => {
                    return Some(Outcome::WrapTtlBelowMin {
                        requested: ttl.as_secs(),
                        min: min.as_secs(),
                    });
                }
                Some(_) => {}
            }
        }
        // Vault also refuses merged bounds where max < min, but with both set no TTL passes the
        // two checks above, so that check can never decide.
        if !request.operation.checks_parameters() {
            return None;
        }
        let constraints = Constraints {
            required: &perms.required_parameters,
            allowed: &perms.allowed_parameters,
            denied: &perms.denied_parameters,
        };
        let failure = params::check(&constraints, request.parameters.as_ref()).err()?;
        Some(match failure {
            ParamFailure::RequiredMissing(parameter) => {
                Outcome::RequiredParameterMissing { parameter }
            }
            ParamFailure::AllDenied => Outcome::AllParametersDenied,
            ParamFailure::Denied(parameter) => Outcome::ParameterDenied { parameter },
            ParamFailure::NotAllowed(parameter) => Outcome::ParameterNotAllowed { parameter },
            ParamFailure::ValueNotAllowed(parameter) => {
                Outcome::ParameterValueNotAllowed { parameter }
            }
        })
    }
}

/// The compiled rules, for display: `{root, policies, rules: [...], dropped: [...]}`.
impl Serialize for Acl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct RuleView<'a> {
            path: &'a str,
            kind: MatchKind,
            capabilities: Capabilities,
            #[serde(serialize_with = "serialize_seconds")]
            min_wrapping_ttl: &'a Option<Duration>,
            #[serde(serialize_with = "serialize_seconds")]
            max_wrapping_ttl: &'a Option<Duration>,
            allowed_parameters: &'a std::collections::BTreeMap<String, Vec<serde_json::Value>>,
            denied_parameters: &'a std::collections::BTreeMap<String, Vec<serde_json::Value>>,
            required_parameters: &'a [String],
            mfa_methods: &'a [String],
            control_groups: &'a [serde_json::Value],
            subscribe_event_types: &'a [String],
            sources: &'a [RuleSource],
        }
        let rules: Vec<RuleView<'_>> = self
            .rules
            .iter()
            .map(|r| RuleView {
                path: &r.path,
                kind: r.kind,
                capabilities: r.permissions.capabilities,
                min_wrapping_ttl: &r.permissions.min_wrapping_ttl,
                max_wrapping_ttl: &r.permissions.max_wrapping_ttl,
                allowed_parameters: &r.permissions.allowed_parameters,
                denied_parameters: &r.permissions.denied_parameters,
                required_parameters: &r.permissions.required_parameters,
                mfa_methods: &r.permissions.mfa_methods,
                control_groups: &r.permissions.control_groups,
                subscribe_event_types: &r.permissions.subscribe_event_types,
                sources: &r.sources,
            })
            .collect();
        let mut s = serializer.serialize_struct("Acl", 4)?;
        s.serialize_field("root", &self.root)?;
        s.serialize_field("policies", &self.policy_names)?;
        s.serialize_field("rules", &rules)?;
        s.serialize_field("dropped", &self.dropped)?;
        s.end()
    }
}
