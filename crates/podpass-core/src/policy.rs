//! Vault ACL policies: parsed from HCL (or JSON, when the text starts with `{`) into path rules,
//! with Vault's validation and error messages, each error located in the text.
//!
//! ```
//! use podpass_core::policy::Policy;
//!
//! let policy = Policy::parse("grade-api", r#"path "secret/data/grade-api/*" { capabilities = ["read"] }"#)?;
//! assert_eq!(policy.name(), "grade-api");
//! assert_eq!(policy.paths()[0].path, "secret/data/grade-api/*");
//!
//! let err = Policy::parse("x", "path \"secret/*\" {\n  capabilities = [\"reed\"]\n}").unwrap_err();
//! assert_eq!(err.to_string(), r#"line 2, column 19: path "secret/*": invalid capability "reed""#);
//! # Ok::<(), podpass_core::policy::PolicyError>(())
//! ```
//!
//! Policies are compiled into an [`Acl`](crate::acl::Acl) to answer questions.

mod capability;
mod default;
mod error;
mod format;
mod hcl1;
mod parse;
mod syntax;
mod template;

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

use serde::{Serialize, Serializer};

pub use capability::{Capabilities, Capability};
pub use default::DEFAULT_POLICY_HCL;
pub use error::{Location, PolicyError};
pub use format::{FormatError, format_policy};
pub use template::TemplateError;

pub(crate) use syntax::strict_json;
pub(crate) use template::fill as fill_template;

/// The name of the built-in policy that grants everything.
pub const ROOT_POLICY_NAME: &str = "root";
/// The name of the built-in policy attached to every token.
pub const DEFAULT_POLICY_NAME: &str = "default";

/// A named, parsed ACL policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    name: String,
    templated: bool,
    paths: Vec<PathRule>,
}

/// One `path "…" { … }` block, as written (after Vault's normalisation).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathRule {
    /// The path with one leading `/` removed, still holding `*`, `+` and `{{…}}` templates.
    pub path: String,
    /// The line of the block's path in the policy text.
    pub line: u32,
    /// Whether the path holds identity templates (filled when the ACL is compiled).
    pub templated: bool,
    /// Granted capabilities (the legacy `policy` shorthand folded in); just `deny` when the block
    /// denies.
    pub capabilities: Capabilities,
    /// `allowed_parameters`, keys lowercased. Empty when unset.
    pub allowed_parameters: BTreeMap<String, Vec<serde_json::Value>>,
    /// `denied_parameters`, keys lowercased. Empty when unset.
    pub denied_parameters: BTreeMap<String, Vec<serde_json::Value>>,
    /// `required_parameters`.
    pub required_parameters: Vec<String>,
    /// `min_wrapping_ttl` (None when unset or zero). Serialized in whole seconds.
    #[serde(serialize_with = "serialize_seconds")]
    pub min_wrapping_ttl: Option<Duration>,
    /// `max_wrapping_ttl` (None when unset or zero). Serialized in whole seconds.
    #[serde(serialize_with = "serialize_seconds")]
    pub max_wrapping_ttl: Option<Duration>,
    /// `mfa_methods` (carried for display; podpass does not run MFA).
    pub mfa_methods: Vec<String>,
    /// `control_group`, as JSON (carried for display; an Enterprise feature).
    pub control_group: Option<serde_json::Value>,
    /// `subscribe_event_types`.
    pub subscribe_event_types: Vec<String>,
    /// `comment`, if it is a string.
    pub comment: Option<String>,
}

pub(crate) fn serialize_seconds<S: Serializer>(
    value: &Option<Duration>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(d) => serializer.serialize_some(&d.as_secs()),
        None => serializer.serialize_none(),
    }
}

/// Vault's policy names are trimmed and lowercased.
#[inline]
pub fn normalize_name(name: &str) -> String {
    crate::names::lowercase(name.trim())
}

/// Whether a normalised policy name is `.` or `..`: a name Vault cannot store, because its
/// storage refuses relative paths.
pub fn is_relative_name(name: &str) -> bool {
    matches!(name, "." | "..")
}

impl Policy {
    /// Parses a policy named `name` (trimmed and lowercased). `root`, `.` and `..` cannot be
    /// defined.
    pub fn parse(name: &str, text: &str) -> Result<Policy, PolicyError> {
        let paths = parse::parse_rules(text)?;
        let name = normalize_name(name);
        if name.is_empty() {
            return Err(PolicyError::MissingName {
                location: Location::START,
            });
        }
        if name == ROOT_POLICY_NAME {
            return Err(PolicyError::ReservedName {
                location: Location::START,
                name,
            });
        }
        if is_relative_name(&name) {
            return Err(PolicyError::RelativeName {
                location: Location::START,
                name,
            });
        }
        Ok(Policy {
            name,
            templated: paths.iter().any(|p| p.templated),
            paths,
        })
    }

    /// The built-in `default` policy ([`DEFAULT_POLICY_HCL`]).
    pub fn default_policy() -> Policy {
        static DEFAULT: OnceLock<Policy> = OnceLock::new();
        DEFAULT
            .get_or_init(|| {
                let paths = parse::parse_rules(DEFAULT_POLICY_HCL).unwrap_or_default();
                Policy {
                    name: DEFAULT_POLICY_NAME.to_string(),
                    templated: paths.iter().any(|p| p.templated),
                    paths,
                }
            })
            .clone()
    }

    /// The built-in `root` policy: an ACL holding it allows everything.
    pub fn root() -> Policy {
        Policy {
            name: ROOT_POLICY_NAME.to_string(),
            templated: false,
            paths: Vec::new(),
        }
    }

    /// The normalised name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The path blocks, in source order.
    pub fn paths(&self) -> &[PathRule] {
        &self.paths
    }

    /// Whether any path holds an identity template.
    pub fn is_templated(&self) -> bool {
        self.templated
    }

    /// Whether this is the built-in `root` policy.
    pub fn is_root(&self) -> bool {
        self.name == ROOT_POLICY_NAME
    }
}
