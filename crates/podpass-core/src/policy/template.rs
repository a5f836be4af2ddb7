//! Identity templates in policy paths: `{{identity.entity.aliases.<accessor>.metadata.<key>}}`
//! and friends, filled from the token's [`Identity`] when an ACL is compiled.

use std::fmt;

use serde::Serialize;

use crate::identity::Identity;

/// Why a templated path could not be filled (and so was left out of the ACL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TemplateError {
    /// The ACL was compiled without an identity.
    NoIdentity,
    /// `{{` and `}}` do not pair up.
    Unbalanced,
    /// The identity has no value for this selector (or podpass does not model it).
    NotFound {
        /// The selector, e.g. `identity.entity.aliases.auth_kubernetes_1234.metadata.team`.
        selector: String,
    },
    /// The value contains `/`, `*` or `+`, which would change what the path matches.
    ForbiddenValue {
        /// The selector.
        selector: String,
        /// The value the identity has for it.
        value: String,
        /// The forbidden character.
        character: char,
    },
    /// The filled path contains `+*`, which Vault refuses.
    InvalidWildcards {
        /// The filled path.
        path: String,
    },
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateError::NoIdentity => f.write_str("the token has no identity to fill it from"),
            TemplateError::Unbalanced => f.write_str("unbalanced templating characters"),
            TemplateError::NotFound { selector } => {
                write!(f, "no value could be found for {{{{{selector}}}}}")
            }
            TemplateError::ForbiddenValue {
                selector,
                value,
                character,
            } => write!(
                f,
                "{{{{{selector}}}}} is {value:?}, which contains the forbidden character {character:?}"
            ),
            TemplateError::InvalidWildcards { path } => {
                write!(
                    f,
                    "the filled path {path:?} uses wildcards wrongly ('+*' is forbidden)"
                )
            }
        }
    }
}

/// Whether `path` contains template directives; `Err` when the braces do not pair up.
pub(crate) fn check(path: &str) -> Result<bool, TemplateError> {
    let mut pieces = path.split("{{");
    let first = pieces.next().unwrap_or("");
    if first.contains("}}") {
        return Err(TemplateError::Unbalanced);
    }
    let mut templated = false;
    for piece in pieces {
        if piece.split("}}").count() != 2 {
            return Err(TemplateError::Unbalanced);
        }
        templated = true;
    }
    Ok(templated)
}

/// Fills every `{{…}}` in `path` from `identity`.
pub(crate) fn fill(path: &str, identity: Option<&Identity>) -> Result<String, TemplateError> {
    let mut pieces = path.split("{{");
    let mut out = String::with_capacity(path.len() + 32);
    let first = pieces.next().unwrap_or("");
    if first.contains("}}") {
        return Err(TemplateError::Unbalanced);
    }
    out.push_str(first);
    for piece in pieces {
        let mut parts = piece.split("}}");
        let (Some(selector), Some(rest), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(TemplateError::Unbalanced);
        };
        let selector = selector.trim();
        let identity = identity.ok_or(TemplateError::NoIdentity)?;
        let value = lookup(selector, identity).ok_or_else(|| TemplateError::NotFound {
            selector: selector.to_string(),
        })?;
        if let Some(character) = value.chars().find(|c| matches!(c, '/' | '*' | '+')) {
            return Err(TemplateError::ForbiddenValue {
                selector: selector.to_string(),
                value: value.to_string(),
                character,
            });
        }
        out.push_str(value);
        out.push_str(rest);
    }
    if out.contains("+*") {
        return Err(TemplateError::InvalidWildcards { path: out });
    }
    Ok(out)
}

/// The identity's value for a selector. Empty ids and names count as missing, as in Vault; a
/// metadata key that is present counts even when empty.
fn lookup<'i>(selector: &str, identity: &'i Identity) -> Option<&'i str> {
    let non_empty = |s: &'i str| (!s.is_empty()).then_some(s);
    let entity = selector.strip_prefix("identity.entity.")?;
    match entity {
        "id" => non_empty(&identity.entity_id),
        "name" => non_empty(&identity.entity_name),
        _ => {
            let (accessor, field) = entity.strip_prefix("aliases.")?.split_once('.')?;
            let alias = identity.alias_for(accessor)?;
            match field {
                "name" => non_empty(&alias.name),
                _ => alias
                    .metadata
                    .get(field.strip_prefix("metadata.")?)
                    .map(String::as_str),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::identity::EntityAlias;

    fn identity(namespace: &str) -> Identity {
        Identity {
            entity_id: "e-1".into(),
            entity_name: "entity_e1".into(),
            aliases: vec![EntityAlias {
                mount_accessor: "auth_kubernetes_1234".into(),
                name: "uid-1".into(),
                metadata: BTreeMap::from([(
                    "service_account_namespace".to_string(),
                    namespace.to_string(),
                )]),
            }],
        }
    }

    #[test]
    fn balance() {
        assert_eq!(check("a/{{x}}/b"), Ok(true));
        assert_eq!(check("a/b"), Ok(false));
        for bad in ["a}}", "{{a", "{{a}}}}", "{{a}", "a{{b}}{{"] {
            assert_eq!(check(bad), Err(TemplateError::Unbalanced), "{bad}");
        }
    }

    #[test]
    fn fills_and_refuses() {
        let id = identity("grade-api");
        let path = "secret/data/{{ identity.entity.aliases.auth_kubernetes_1234.metadata.service_account_namespace }}/*";
        assert_eq!(
            fill(path, Some(&id)).as_deref(),
            Ok("secret/data/grade-api/*")
        );
        assert_eq!(
            fill(
                "x/{{identity.entity.id}}/{{identity.entity.name}}",
                Some(&id)
            )
            .as_deref(),
            Ok("x/e-1/entity_e1")
        );
        assert!(matches!(
            fill("x/{{identity.entity.aliases.other.name}}", Some(&id)),
            Err(TemplateError::NotFound { .. })
        ));
        assert!(matches!(
            fill(path, Some(&identity("a/b"))),
            Err(TemplateError::ForbiddenValue { character: '/', .. })
        ));
        assert_eq!(fill(path, None), Err(TemplateError::NoIdentity));
        assert!(matches!(
            fill("x/{{time.now}}", Some(&id)),
            Err(TemplateError::NotFound { .. })
        ));
    }
}
