//! Policy parse errors: Vault's words, plus where in the text the problem is.

use serde::Serialize;

use crate::diagnostic::Diagnostic;
pub use crate::diagnostic::Location;

/// Why a policy was refused. `message()` is Vault's text; `Display` prefixes the location:
/// `line 3, column 5: path "secret/*": invalid capability "reed"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PolicyError {
    /// The text is not valid HCL (or JSON): `failed to parse policy: <parser message>`.
    #[error("{location}: {}", self.message())]
    Syntax {
        /// Where the parser stopped.
        location: Location,
        /// The parser's own message.
        detail: String,
    },
    /// A key Vault does not know, at the top level (`path` is None) or in a path block.
    #[error("{location}: {}", self.message())]
    InvalidKey {
        /// The key.
        location: Location,
        /// The offending key.
        key: String,
        /// The path of the enclosing block, if any.
        path: Option<String>,
    },
    /// A `capabilities` entry that is not a capability.
    #[error("{location}: {}", self.message())]
    InvalidCapability {
        /// The entry.
        location: Location,
        /// The path block.
        path: String,
        /// The offending entry.
        capability: String,
    },
    /// A legacy `policy = "…"` shorthand other than deny, read, write, sudo.
    #[error("{location}: {}", self.message())]
    InvalidPolicyShorthand {
        /// The value.
        location: Location,
        /// The path block.
        path: String,
        /// The offending value.
        policy: String,
    },
    /// `+*` in a path.
    #[error("{location}: {}", self.message())]
    InvalidWildcards {
        /// The path.
        location: Location,
        /// The path (leading `/` stripped).
        path: String,
    },
    /// `max_wrapping_ttl` below `min_wrapping_ttl` in one block.
    #[error("{location}: {}", self.message())]
    WrappingTtlBounds {
        /// The `max_wrapping_ttl` value.
        location: Location,
        /// The path block.
        path: String,
    },
    /// A wrapping TTL that is not a duration.
    #[error("{location}: {}", self.message())]
    InvalidDuration {
        /// The value.
        location: Location,
        /// The path block.
        path: String,
        /// `min_wrapping_ttl` or `max_wrapping_ttl`.
        key: String,
        /// The offending text.
        value: String,
    },
    /// A value of the wrong shape, e.g. `capabilities = "read"`.
    #[error("{location}: {}", self.message())]
    InvalidValue {
        /// The value.
        location: Location,
        /// The path block, if the value is inside one.
        path: Option<String>,
        /// The key whose value is wrong.
        key: String,
        /// What was expected, e.g. `a list of strings`.
        expected: String,
    },
    /// `{{` and `}}` that do not pair up in a path.
    #[error("{location}: {}", self.message())]
    UnbalancedTemplate {
        /// The path.
        location: Location,
        /// The path.
        path: String,
    },
    /// A `path` block without exactly one label.
    #[error("{location}: {}", self.message())]
    PathLabel {
        /// The block.
        location: Location,
        /// How many labels it has.
        labels: usize,
    },
    /// The name `root`, which is built in and cannot be written.
    #[error("{location}: {}", self.message())]
    ReservedName {
        /// Always the start of the text.
        location: Location,
        /// The normalised name.
        name: String,
    },
    /// An empty (or blank) name.
    #[error("{location}: {}", self.message())]
    MissingName {
        /// Always the start of the text.
        location: Location,
    },
    /// The name `.` or `..`, which Vault's storage refuses as a relative path.
    #[error("{location}: {}", self.message())]
    RelativeName {
        /// Always the start of the text.
        location: Location,
        /// The normalised name.
        name: String,
    },
}

impl PolicyError {
    /// Vault's message, without the location.
    pub fn message(&self) -> String {
        let in_path = |path: &Option<String>| match path {
            Some(p) => format!("path {p:?}: "),
            None => String::new(),
        };
        match self {
            PolicyError::Syntax { detail, .. } => format!("failed to parse policy: {detail}"),
            PolicyError::InvalidKey {
                key,
                path,
                location,
            } => format!(
                "{}invalid key {key:?} on line {}",
                in_path(path),
                location.line
            ),
            PolicyError::InvalidCapability {
                path, capability, ..
            } => format!("path {path:?}: invalid capability {capability:?}"),
            PolicyError::InvalidPolicyShorthand { path, policy, .. } => {
                format!("path {path:?}: invalid policy {policy:?}")
            }
            PolicyError::InvalidWildcards { path, .. } => {
                format!("path {path:?}: invalid use of wildcards ('+*' is forbidden)")
            }
            PolicyError::WrappingTtlBounds { .. } => {
                "max_wrapping_ttl cannot be less than min_wrapping_ttl".to_string()
            }
            PolicyError::InvalidDuration { key, value, .. } => {
                format!("error parsing {key}: invalid duration {value:?}")
            }
            PolicyError::InvalidValue {
                path,
                key,
                expected,
                ..
            } => format!("{}{key:?} must be {expected}", in_path(path)),
            PolicyError::UnbalancedTemplate { .. } => {
                "failed to validate policy templating: unbalanced templating characters".to_string()
            }
            PolicyError::PathLabel { labels, .. } => format!(
                "a path block takes exactly one path, as in path \"secret/*\" {{ … }} (found {labels})"
            ),
            PolicyError::ReservedName { name, .. } => format!("cannot update {name:?} policy"),
            PolicyError::MissingName { .. } => "policy name missing".to_string(),
            PolicyError::RelativeName { .. } => "relative paths not supported".to_string(),
        }
    }

    /// A stable id for the kind of refusal, e.g. `policy/invalid_capability`.
    pub fn code(&self) -> &'static str {
        match self {
            PolicyError::Syntax { .. } => "policy/syntax",
            PolicyError::InvalidKey { .. } => "policy/invalid_key",
            PolicyError::InvalidCapability { .. } => "policy/invalid_capability",
            PolicyError::InvalidPolicyShorthand { .. } => "policy/invalid_policy_shorthand",
            PolicyError::InvalidWildcards { .. } => "policy/invalid_wildcards",
            PolicyError::WrappingTtlBounds { .. } => "policy/wrapping_ttl_bounds",
            PolicyError::InvalidDuration { .. } => "policy/invalid_duration",
            PolicyError::InvalidValue { .. } => "policy/invalid_value",
            PolicyError::UnbalancedTemplate { .. } => "policy/unbalanced_template",
            PolicyError::PathLabel { .. } => "policy/path_label",
            PolicyError::ReservedName { .. } => "policy/reserved_name",
            PolicyError::MissingName { .. } => "policy/missing_name",
            PolicyError::RelativeName { .. } => "policy/relative_name",
        }
    }

    /// The refusal as a diagnostic about the text named `source`, with Vault's message.
    pub fn diagnostic(&self, source: &str) -> Diagnostic {
        Diagnostic::error(self.code(), self.message())
            .in_source(source)
            .at(self.location())
    }

    /// Where the problem is.
    pub fn location(&self) -> Location {
        match self {
            PolicyError::Syntax { location, .. }
            | PolicyError::InvalidKey { location, .. }
            | PolicyError::InvalidCapability { location, .. }
            | PolicyError::InvalidPolicyShorthand { location, .. }
            | PolicyError::InvalidWildcards { location, .. }
            | PolicyError::WrappingTtlBounds { location, .. }
            | PolicyError::InvalidDuration { location, .. }
            | PolicyError::InvalidValue { location, .. }
            | PolicyError::UnbalancedTemplate { location, .. }
            | PolicyError::PathLabel { location, .. }
            | PolicyError::ReservedName { location, .. }
            | PolicyError::RelativeName { location, .. }
            | PolicyError::MissingName { location } => *location,
        }
    }
}
