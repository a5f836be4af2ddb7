//! What an ACL decided and why: the winning rule, where it came from, what it beat.
//!
//! A [`Decision`] borrows the ACL, so deciding does little more than the lookup; the details
//! (the rules beaten, hints, the reason line) are worked out when asked for, or when serialized.

use std::fmt;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use super::priority::PriorityRule;
use super::request::Operation;
use super::{Acl, Winner};
use crate::policy::{Capabilities, Capability, TemplateError};

/// The answer to [`Acl::authorize`]. Serializes as `{allowed, explanation}` with every detail.
#[derive(Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Decision<'a> {
    /// Whether Vault would let the request through.
    pub allowed: bool,
    /// Why.
    pub explanation: Explanation<'a>,
}

impl Decision<'_> {
    /// The one-line reason.
    pub fn reason(&self) -> String {
        self.explanation.reason()
    }

    /// The whole decision on one line, for logs and warnings: `operation path: reason`, then
    /// each hint after `; `.
    pub fn summary(&self) -> String {
        let explanation = &self.explanation;
        let mut line = format!(
            "{} {}: {}",
            explanation.operation.as_str(),
            explanation.path,
            self.reason()
        );
        for hint in explanation.hints() {
            line.push_str("; ");
            line.push_str(&hint);
        }
        line
    }
}

impl fmt::Debug for Decision<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decision")
            .field("allowed", &self.allowed)
            .field("explanation", &self.explanation)
            .finish()
    }
}

/// Why a request was allowed or denied.
///
/// Serializes as `{operation, path, outcome, reason, rule, beaten, hints}`.
#[derive(Clone)]
pub struct Explanation<'a> {
    /// The operation checked.
    pub operation: Operation,
    /// The path checked (leading `/`s removed; a `/` added to a `List` path that lacked one).
    pub path: String,
    /// The deciding fact.
    pub outcome: Outcome,
    pub(crate) acl: &'a Acl,
    pub(crate) winner: Option<Winner>,
}

impl PartialEq for Explanation<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.acl, other.acl)
            && self.operation == other.operation
            && self.path == other.path
            && self.outcome == other.outcome
            && self.winner == other.winner
    }
}

/// The deciding fact of a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum Outcome {
    /// The ACL holds the root policy.
    Root,
    /// The winning rule grants the operation and every other check passed.
    Granted,
    /// No rule matches the path.
    NoMatch,
    /// The winning rule is a deny.
    ExplicitDeny,
    /// The winning rule lacks the operation's capability.
    MissingCapability {
        /// The capability the operation needs.
        needed: Capability,
    },
    /// The endpoint is root-protected and the winning rule lacks `sudo`.
    SudoRequired,
    /// The rule sets wrapping TTL bounds and the request is not wrapped.
    WrappingRequired,
    /// The requested wrapping TTL is above `max_wrapping_ttl`.
    WrapTtlAboveMax {
        /// Requested, seconds.
        requested: u64,
        /// `max_wrapping_ttl`, seconds.
        max: u64,
    },
    /// The requested wrapping TTL is below `min_wrapping_ttl`.
    WrapTtlBelowMin {
        /// Requested, seconds.
        requested: u64,
        /// `min_wrapping_ttl`, seconds.
        min: u64,
    },
    /// A `required_parameters` entry is missing from the body.
    RequiredParameterMissing {
        /// The parameter.
        parameter: String,
    },
    /// `denied_parameters` holds `*`: any body is refused.
    AllParametersDenied,
    /// A parameter's value is in `denied_parameters`.
    ParameterDenied {
        /// The parameter.
        parameter: String,
    },
    /// A parameter is not in `allowed_parameters`.
    ParameterNotAllowed {
        /// The parameter.
        parameter: String,
    },
    /// A parameter's value is not among its `allowed_parameters` values.
    ParameterValueNotAllowed {
        /// The parameter.
        parameter: String,
    },
}

/// How a rule matches paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum MatchKind {
    /// A wildcard-free rule equal to the path.
    Exact,
    /// A rule ending in `*` (and no `+` segment) whose stem starts the path.
    Prefix,
    /// A rule with `+` segments.
    SegmentWildcard,
}

/// One path block that contributed to a (merged) rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct RuleSource {
    /// The policy's name.
    pub policy: String,
    /// The line of the path in the policy text.
    pub line: u32,
    /// What this block alone grants.
    pub capabilities: Capabilities,
    /// The path as written, when it was a template filled from the identity.
    pub template: Option<String>,
}

/// The rule that decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct MatchedRule<'a> {
    /// The rule's path as written (templates filled), e.g. `secret/data/grade-api/*`.
    pub path: &'a str,
    /// How it matched.
    pub kind: MatchKind,
    /// For `List`, whether it matched the path without its trailing `/`.
    pub without_trailing_slash: bool,
    /// The capabilities of the merged rule.
    pub capabilities: Capabilities,
    /// Every path block, in every policy, that wrote this same path.
    pub sources: &'a [RuleSource],
}

/// A matching rule that lost to the winner. Serializes with Vault's rule number (`null` for an
/// exact match) and a `why` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeatenRule<'a> {
    /// Its path as written.
    pub path: &'a str,
    /// Its sources.
    pub sources: &'a [RuleSource],
    /// Its capabilities (which do not apply).
    pub capabilities: Capabilities,
    /// Which priority rule the winner won on.
    pub lost_on: PriorityRule,
}

/// The TypeScript shape of [`BeatenRule`]'s serialized form.
#[cfg(feature = "typescript")]
#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const BEATEN_RULE_TS: &str = r#"/** A matching rule that lost to the winner. */
export interface BeatenRule {
  path: string;
  sources: RuleSource[];
  /** What it grants (which does not apply). */
  capabilities: Capabilities;
  /** The priority rule the winner won on. */
  lost_on: PriorityRule;
  /** Vault's rule number, 1-5 (`null` for an exact match). */
  priority_rule: number | null;
  why: string;
}"#;

impl Serialize for BeatenRule<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("BeatenRule", 6)?;
        s.serialize_field("path", self.path)?;
        s.serialize_field("sources", self.sources)?;
        s.serialize_field("capabilities", &self.capabilities)?;
        s.serialize_field("lost_on", &self.lost_on)?;
        s.serialize_field("priority_rule", &self.lost_on.number())?;
        s.serialize_field("why", self.lost_on.description())?;
        s.end()
    }
}

/// A templated path left out of an ACL because its template could not be filled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DroppedPath {
    /// The policy.
    pub policy: String,
    /// The line of the path.
    pub line: u32,
    /// The path as written.
    pub path: String,
    /// Why it was dropped.
    pub reason: TemplateError,
}

/// `policy grade-api (line 1)`, `policies a (line 1), b (line 4)`.
pub(crate) struct Sources<'a>(pub(crate) &'a [RuleSource]);

impl fmt::Display for Sources<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.len() == 1 {
            "policy "
        } else {
            "policies "
        })?;
        for (i, source) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{} (line {})", source.policy, source.line)?;
        }
        Ok(())
    }
}

impl<'a> Explanation<'a> {
    /// The rule that applied, if any rule matched.
    pub fn rule(&self) -> Option<MatchedRule<'a>> {
        let winner = self.winner?;
        let rule = self.acl.rule(winner.rule);
        Some(MatchedRule {
            path: &rule.path,
            kind: rule.kind,
            without_trailing_slash: winner.without_trailing_slash,
            capabilities: rule.permissions.capabilities,
            sources: &rule.sources,
        })
    }

    /// The other matching rules, closest competitor first, each with what it lost on. Besides
    /// Vault's own candidates this lists the shorter matching prefixes, which always lose.
    pub fn beaten(&self) -> Vec<BeatenRule<'a>> {
        if self.winner.is_none() {
            return Vec::new();
        }
        self.acl
            .beaten(&self.path, self.operation == Operation::List)
    }

    /// Advice for likely mistakes: a KV version 1 style rule for a KV version 2 path, or else,
    /// when no rule matched, the rules that came nearest.
    pub fn hints(&self) -> Vec<String> {
        match self.outcome {
            Outcome::NoMatch => {
                let list = self.operation == Operation::List;
                self.acl
                    .kv2_hint(&self.path, list)
                    .or_else(|| self.acl.nearest_hint(&self.path))
                    .into_iter()
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    /// The one-line reason, e.g. `rule "secret/data/grade-api/*" from policy grade-api (line 1)
    /// grants [read list], not update`.
    pub fn reason(&self) -> String {
        let Some(rule) = self.rule() else {
            return match &self.outcome {
                Outcome::Root => "the root policy allows everything".to_string(),
                _ => format!("no rule matches {:?}", self.path),
            };
        };
        let head = format!("rule {:?} from {}", rule.path, Sources(rule.sources));
        let caps = rule.capabilities;
        match &self.outcome {
            Outcome::Root => "the root policy allows everything".to_string(),
            Outcome::NoMatch => format!("no rule matches {:?}", self.path),
            Outcome::Granted => format!("{head} grants {caps}"),
            Outcome::ExplicitDeny => format!("{head} denies it"),
            Outcome::MissingCapability { needed } => format!("{head} grants {caps}, not {needed}"),
            Outcome::SudoRequired => format!(
                "{head} grants {caps}, but the endpoint is root-protected and also needs sudo"
            ),
            Outcome::WrappingRequired => {
                format!("{head} only allows response-wrapped requests, and this one is not wrapped")
            }
            Outcome::WrapTtlAboveMax { requested, max } => format!(
                "{head} allows a wrapping TTL of at most {max}s, the request asks for {requested}s"
            ),
            Outcome::WrapTtlBelowMin { requested, min } => format!(
                "{head} needs a wrapping TTL of at least {min}s, the request asks for {requested}s"
            ),
            Outcome::RequiredParameterMissing { parameter } => {
                format!("{head} requires the parameter {parameter:?}")
            }
            Outcome::AllParametersDenied => {
                format!("{head} denies every parameter (\"*\" in denied_parameters)")
            }
            Outcome::ParameterDenied { parameter } => {
                format!("{head} denies this value of the parameter {parameter:?}")
            }
            Outcome::ParameterNotAllowed { parameter } => {
                format!("{head} does not allow the parameter {parameter:?}")
            }
            Outcome::ParameterValueNotAllowed { parameter } => {
                format!("{head} does not allow this value of the parameter {parameter:?}")
            }
        }
    }
}

impl fmt::Display for Explanation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason())
    }
}

impl fmt::Debug for Explanation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Explanation")
            .field("operation", &self.operation)
            .field("path", &self.path)
            .field("outcome", &self.outcome)
            .field("rule", &self.rule())
            .finish_non_exhaustive()
    }
}

/// The TypeScript shape of [`Explanation`]'s serialized form.
#[cfg(feature = "typescript")]
#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const EXPLANATION_TS: &str = r#"/** Why a request was allowed or denied. */
export interface Explanation {
  operation: Operation;
  path: string;
  /** The deciding fact. */
  outcome: Outcome;
  /** One line, e.g. `rule "secret/data/grade-api/*" from policy grade-api (line 2) grants [read]`. */
  reason: string;
  rule: MatchedRule | null;
  beaten: BeatenRule[];
  hints: string[];
}"#;

impl Serialize for Explanation<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Explanation", 7)?;
        s.serialize_field("operation", &self.operation)?;
        s.serialize_field("path", &self.path)?;
        s.serialize_field("outcome", &self.outcome)?;
        s.serialize_field("reason", &self.reason())?;
        s.serialize_field("rule", &self.rule())?;
        s.serialize_field("beaten", &self.beaten())?;
        s.serialize_field("hints", &self.hints())?;
        s.end()
    }
}
