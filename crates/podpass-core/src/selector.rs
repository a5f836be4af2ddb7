//! `bound_service_account_namespace_selector`: a Kubernetes `LabelSelector` written as JSON or
//! YAML text, matched against the labels of the service account's namespace.
//!
//! Decoding follows what Vault does with Kubernetes' YAML-or-JSON decoder:
//! - text whose first non-space character is `{` is read as JSON first (only the first JSON
//!   value counts, trailing text is ignored); if that fails it is re-read as YAML;
//! - anything else is YAML, first document only (`---` lines separate documents);
//! - keys match case-insensitively (`MatchLabels` works), unknown keys are ignored;
//! - `null`, `{}`, an empty or comment-only YAML document, and whitespace-only text all decode
//!   to the empty selector, which matches every namespace (only `""` means "no selector");
//! - in YAML, numbers and booleans given where a string is expected become strings
//!   (`env: 1` is the label value `"1"`); JSON must use real strings.
//!
//! Vault refuses `matchExpressions` at role-write time (even an empty list) — use
//! [`NamespaceSelector::parse_vault`] for that behaviour. [`NamespaceSelector::parse`] also
//! accepts `matchExpressions` with the `In`, `NotIn`, `Exists` and `DoesNotExist` operators,
//! as a podpass extension.
//!
//! Brackets and braces may nest at most [`MAX_NESTING`] deep, counted over the raw text before
//! any parser sees it: YAML readers take quadratic time on deeply nested flow collections, and
//! no valid selector nests deeper than four (`matchExpressions: [{values: [...]}]`).
//!
//! YAML is read by podpass's own reader (`selector/yaml.rs`), which leaves out what a selector
//! has no use for (anchors, merge keys, tags, block scalars, multi-line scalars) and refuses it
//! by name. Its plain scalars have YAML 1.1's types, as Vault's: `team: yes` selects the label
//! value `"true"`, `tier: 017` the value `"15"`.

#[cfg(feature = "yaml-selectors")]
mod yaml;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// How deep brackets and braces may nest in a selector's text.
pub const MAX_NESTING: usize = 32;

/// Why a selector text was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SelectorError {
    /// The text is empty (Vault: `namespace selector is empty`).
    #[error("namespace selector is empty")]
    Empty,
    /// Brackets or braces nest deeper than [`MAX_NESTING`], which no valid selector needs.
    #[error(
        "brackets and braces nest deeper than {MAX_NESTING} levels; a label selector needs at most four"
    )]
    TooDeep,
    /// Neither JSON nor YAML could be read.
    #[error("not valid JSON or YAML: {0}")]
    Syntax(String),
    /// The document is not an object, e.g. `team=payments` or a list.
    #[error("a label selector must be an object with matchLabels, got {0}")]
    NotAnObject(&'static str),
    /// `matchLabels` is not a map of strings.
    #[error("matchLabels: {0}")]
    MatchLabels(String),
    /// `matchExpressions` is not a list of `{key, operator, values}` objects.
    #[error("matchExpressions: {0}")]
    MatchExpressions(String),
    /// The text is not JSON, and this build has no YAML reader (the `yaml-selectors` feature).
    #[error(
        "this build of podpass reads JSON selectors only; YAML needs the `yaml-selectors` feature"
    )]
    YamlNotBuilt,
    /// Vault does not support `matchExpressions` (its own error text).
    #[error("label selector match expressions are not supported")]
    MatchExpressionsUnsupported,
    /// An operator other than `In`, `NotIn`, `Exists`, `DoesNotExist`.
    #[error("{0:?} is not a valid label selector operator")]
    UnknownOperator(String),
    /// `In`/`NotIn` without values, or `Exists`/`DoesNotExist` with values.
    #[error("operator {operator} on key {key:?} {problem}")]
    BadValues {
        /// The requirement's key.
        key: String,
        /// The requirement's operator.
        operator: String,
        /// What is wrong with its values.
        problem: &'static str,
    },
    /// A label key that is not a Kubernetes qualified name (checked by
    /// [`NamespaceSelector::validate_for_login`], as Vault only notices at login).
    #[error("invalid label key {key:?}: {reason}")]
    InvalidKey {
        /// The key.
        key: String,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// A label value Kubernetes would refuse.
    #[error("invalid label value {value:?} for key {key:?}: {reason}")]
    InvalidValue {
        /// The key the value belongs to.
        key: String,
        /// The value.
        value: String,
        /// Why it is invalid.
        reason: &'static str,
    },
}

/// A `matchExpressions` operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SelectorOperator {
    /// The label is present and its value is one of `values`.
    In,
    /// The label is absent, or present with a value not in `values`.
    NotIn,
    /// The label is present (any value).
    Exists,
    /// The label is absent.
    DoesNotExist,
}

impl SelectorOperator {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "In" => Self::In,
            "NotIn" => Self::NotIn,
            "Exists" => Self::Exists,
            "DoesNotExist" => Self::DoesNotExist,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::In => "In",
            Self::NotIn => "NotIn",
            Self::Exists => "Exists",
            Self::DoesNotExist => "DoesNotExist",
        }
    }
}

/// One `matchExpressions` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelRequirement {
    /// The label key.
    pub key: String,
    /// How the label is tested.
    pub operator: SelectorOperator,
    /// The values for `In`/`NotIn` (empty for the others).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

impl LabelRequirement {
    /// Whether a namespace with `labels` satisfies this requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let value = labels.get(&self.key);
        match self.operator {
            SelectorOperator::In => value.is_some_and(|v| self.values.contains(v)),
            SelectorOperator::NotIn => value.is_none_or(|v| !self.values.contains(v)),
            SelectorOperator::Exists => value.is_some(),
            SelectorOperator::DoesNotExist => value.is_none(),
        }
    }

    fn describe(&self) -> String {
        let mut values = self.values.clone();
        crate::order::sort(&mut values);
        match self.operator {
            SelectorOperator::In => format!("{} in ({})", self.key, values.join(", ")),
            SelectorOperator::NotIn => format!("{} notin ({})", self.key, values.join(", ")),
            SelectorOperator::Exists => self.key.clone(),
            SelectorOperator::DoesNotExist => format!("!{}", self.key),
        }
    }
}

/// A parsed namespace label selector.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceSelector {
    /// Labels the namespace must carry with exactly these values.
    #[serde(default)]
    pub match_labels: BTreeMap<String, String>,
    /// Extra requirements. `None` when the key was absent or `null`; `Some` (even empty) when
    /// the text had a `matchExpressions` list, which Vault refuses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_expressions: Option<Vec<LabelRequirement>>,
}

/// A plain scalar of a YAML selector that Vault reads as another string than the one written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetypedScalar {
    /// The scalar as written, e.g. `yes` or `017`.
    pub written: String,
    /// The string Vault reads it as, e.g. `true` or `15`.
    pub read_as: String,
}

impl NamespaceSelector {
    /// The plain scalars of a YAML selector that Vault reads as other strings than the ones
    /// written (YAML 1.1's types: `team: yes` selects the label value `true`), in the order
    /// written. Empty for a JSON selector and for text that is not a selector.
    pub fn retyped_scalars(text: &str) -> Vec<RetypedScalar> {
        let json = text.trim_start().starts_with('{') && read_as_json(text).is_ok();
        if json || decode(text).is_err() {
            return Vec::new();
        }
        yaml_retyped(text)
    }

    /// Parses JSON or YAML text, accepting `matchExpressions` (a podpass extension).
    pub fn parse(text: &str) -> Result<NamespaceSelector, SelectorError> {
        decode(text)?.into_selector()
    }

    /// Parses exactly what Vault accepts at role-write time: like [`Self::parse`], but any
    /// `matchExpressions` list (even empty) is refused.
    pub fn parse_vault(text: &str) -> Result<NamespaceSelector, SelectorError> {
        let raw = decode(text)?;
        if raw.match_expressions.is_some() {
            return Err(SelectorError::MatchExpressionsUnsupported);
        }
        raw.into_selector()
    }

    /// True when the selector has no condition at all and so matches every namespace.
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.as_ref().is_none_or(Vec::is_empty)
    }

    /// Whether a namespace carrying `labels` is selected. The empty selector selects all.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(key, value)| labels.get(key) == Some(value))
            && self
                .match_expressions
                .iter()
                .flatten()
                .all(|requirement| requirement.matches(labels))
    }

    /// A one-line human description, e.g. `team=payments, env in (prod)`, or
    /// `{} (every namespace)` for the empty selector.
    pub fn describe(&self) -> String {
        if self.is_empty() {
            return "{} (every namespace)".to_string();
        }
        let mut parts: Vec<String> = self
            .match_labels
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        parts.extend(
            self.match_expressions
                .iter()
                .flatten()
                .map(LabelRequirement::describe),
        );
        parts.join(", ")
    }

    /// The checks Kubernetes applies when Vault turns the selector into a matcher at login
    /// time: label keys must be qualified names and values valid label values. Vault accepts a
    /// role whose selector fails these, and then every selector-based login on it fails with
    /// `namespace not authorized err=...`.
    pub fn validate_for_login(&self) -> Result<(), SelectorError> {
        for (key, value) in &self.match_labels {
            check_key(key)?;
            check_value(key, value)?;
        }
        for requirement in self.match_expressions.iter().flatten() {
            check_key(&requirement.key)?;
            for value in &requirement.values {
                check_value(&requirement.key, value)?;
            }
        }
        Ok(())
    }
}

/// A decoded selector whose operators have not been checked yet: Vault reports an unsupported
/// `matchExpressions` before looking inside it.
struct RawSelector {
    match_labels: BTreeMap<String, String>,
    match_expressions: Option<Vec<RawRequirement>>,
}

#[derive(Default)]
struct RawRequirement {
    key: String,
    operator: String,
    values: Vec<String>,
}

impl RawSelector {
    fn into_selector(self) -> Result<NamespaceSelector, SelectorError> {
        let match_expressions = match self.match_expressions {
            None => None,
            Some(raw) => Some(
                raw.into_iter()
                    .map(|requirement| {
                        let operator = SelectorOperator::from_name(&requirement.operator)
                            .ok_or_else(|| {
                                SelectorError::UnknownOperator(requirement.operator.clone())
                            })?;
                        let needs_values =
                            matches!(operator, SelectorOperator::In | SelectorOperator::NotIn);
                        if needs_values == requirement.values.is_empty() {
                            return Err(SelectorError::BadValues {
                                key: requirement.key,
                                operator: operator.name().to_string(),
                                problem: if needs_values {
                                    "needs at least one value"
                                } else {
                                    "takes no values"
                                },
                            });
                        }
                        Ok(LabelRequirement {
                            key: requirement.key,
                            operator,
                            values: requirement.values,
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        Ok(NamespaceSelector {
            match_labels: self.match_labels,
            match_expressions,
        })
    }
}

/// A JSON or YAML value reduced to what the selector decoder needs.
#[derive(Debug)]
enum Node {
    Null,
    Bool(bool),
    /// An integer, as its decimal text.
    Int(String),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl Node {
    fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Int(_) | Node::Float(_) => "a number",
            Node::Str(_) => "a string",
            Node::Seq(_) => "a list",
            Node::Map(_) => "an object",
        }
    }

    fn from_json(value: serde_json::Value) -> Node {
        match value {
            serde_json::Value::Null => Node::Null,
            serde_json::Value::Bool(flag) => Node::Bool(flag),
            serde_json::Value::Number(number) => match number.as_f64() {
                Some(float) if number.is_f64() => Node::Float(float),
                _ => Node::Int(number.to_string()),
            },
            serde_json::Value::String(text) => Node::Str(text),
            serde_json::Value::Array(items) => {
                Node::Seq(items.into_iter().map(Node::from_json).collect())
            }
            serde_json::Value::Object(map) => Node::Map(
                map.into_iter()
                    .map(|(key, item)| (key, Node::from_json(item)))
                    .collect(),
            ),
        }
    }

    /// The node as a string, for a target declared as a string. YAML scalars are converted the
    /// way Vault's YAML-to-JSON step does; JSON accepts only strings (and `null`, meaning `""`).
    fn into_string(self, yaml: bool) -> Result<String, &'static str> {
        // A build without the YAML reader never has a YAML node; saying so at compile time
        // leaves Go's float formatting (and Rust's f32 formatting under it) out of that build.
        let yaml = yaml && cfg!(feature = "yaml-selectors");
        match self {
            Node::Null => Ok(String::new()),
            Node::Str(text) => Ok(text),
            scalar if yaml => scalar.yaml_label().ok_or(scalar.kind()),
            other => Err(other.kind()),
        }
    }

    /// A YAML mapping key as the string Vault's YAML step makes of it: as a value, but with
    /// YAML's spellings of the non-finite floats; `None` for a key it refuses.
    #[cfg(feature = "yaml-selectors")]
    fn yaml_key_text(&self) -> Option<String> {
        match self {
            Node::Float(float) => Some(match go_float32_g(*float).as_str() {
                "+Inf" => ".inf".to_string(),
                "-Inf" => "-.inf".to_string(),
                "NaN" => ".nan".to_string(),
                other => other.to_string(),
            }),
            Node::Null => None,
            scalar => scalar.yaml_label(),
        }
    }

    /// A YAML scalar as the string Vault's YAML step makes of it where a string is wanted.
    fn yaml_label(&self) -> Option<String> {
        match self {
            Node::Null => Some(String::new()),
            Node::Str(text) | Node::Int(text) => Some(text.clone()),
            Node::Bool(flag) => Some(flag.to_string()),
            Node::Float(float) => Some(go_float32_g(*float)),
            Node::Seq(_) | Node::Map(_) => None,
        }
    }
}

/// YAML mapping keys become JSON object keys the way Vault's YAML library converts them.
#[cfg(feature = "yaml-selectors")]
fn yaml_key(key: Node) -> Result<String, SelectorError> {
    key.yaml_key_text()
        .ok_or_else(|| SelectorError::Syntax("unsupported mapping key type".to_string()))
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)`, which Vault's YAML step uses for floats.
fn go_float32_g(value: f64) -> String {
    let single = value as f32;
    if single.is_nan() {
        return "NaN".to_string();
    }
    if single.is_infinite() {
        return if single > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if single == 0.0 {
        return if single.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // Rust's exponent form gives the shortest round-trip digits, like Go's shortest mode.
    let exp_form = format!("{single:e}");
    let Some((mantissa, exponent)) = exp_form.split_once('e') else {
        return exp_form;
    };
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if negative { "-" } else { "" };
    if !(-4..6).contains(&exponent) {
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        return format!(
            "{sign}{first}{fraction}e{exp_sign}{:02}",
            exponent.unsigned_abs()
        );
    }
    let point = exponent + 1;
    if point <= 0 {
        let zeros = "0".repeat(point.unsigned_abs() as usize);
        return format!("{sign}0.{zeros}{digits}");
    }
    let point = point as usize;
    if digits.len() <= point {
        format!("{sign}{digits}{}", "0".repeat(point - digits.len()))
    } else {
        format!("{sign}{}.{}", &digits[..point], &digits[point..])
    }
}

fn decode(text: &str) -> Result<RawSelector, SelectorError> {
    if text.is_empty() {
        return Err(SelectorError::Empty);
    }
    check_nesting(text)?;
    if text.trim_start().starts_with('{') {
        let json_error = match read_as_json(text) {
            Ok(raw) => return Ok(raw),
            Err(err) => err,
        };
        // Kubernetes' decoder retries a failed JSON read as YAML and, when both fail, reports
        // the JSON error.
        return first_yaml_document(text)
            .and_then(|node| from_node(node, true))
            .map_err(|_| json_error);
    }
    from_node(first_yaml_document(text)?, true)
}

/// Refuses text whose brackets and braces nest too deep, quoted or not: a bracket inside a
/// quoted string is never valid in a label key or value either, so counting them all loses
/// nothing and cannot be fooled by quoting.
fn check_nesting(text: &str) -> Result<(), SelectorError> {
    let mut depth = 0usize;
    for byte in text.bytes() {
        match byte {
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(SelectorError::TooDeep);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn read_as_json(text: &str) -> Result<RawSelector, SelectorError> {
    first_json_value(text).and_then(|node| from_node(node, false))
}

fn first_json_value(text: &str) -> Result<Node, SelectorError> {
    let mut stream =
        serde_json::Deserializer::from_slice(text.as_bytes()).into_iter::<serde_json::Value>();
    match stream.next() {
        Some(Ok(value)) => Ok(Node::from_json(value)),
        Some(Err(err)) => Err(SelectorError::Syntax(err.to_string())),
        None => Err(SelectorError::Syntax("no JSON value".to_string())),
    }
}

fn first_yaml_document(text: &str) -> Result<Node, SelectorError> {
    yaml_node(&first_yaml_text(text)?)
}

/// The first YAML document, split on `---` lines the way Kubernetes' YAML reader does.
fn first_yaml_text(text: &str) -> Result<String, SelectorError> {
    let mut document = String::new();
    for line in text.split_inclusive('\n') {
        if let Some(after) = line.strip_prefix("---") {
            let after = after.trim();
            if !after.is_empty() && !after.starts_with('#') {
                return Err(SelectorError::Syntax(format!(
                    "invalid Yaml document separator: {after}"
                )));
            }
            if document.is_empty() {
                continue;
            }
            break;
        }
        document.push_str(line);
    }
    if document.is_empty() {
        return Err(SelectorError::Syntax("no YAML document".to_string()));
    }
    Ok(document)
}

#[cfg(feature = "yaml-selectors")]
fn yaml_node(document: &str) -> Result<Node, SelectorError> {
    yaml::read(document).map_err(|err| SelectorError::Syntax(err.message()))
}

#[cfg(feature = "yaml-selectors")]
fn yaml_retyped(text: &str) -> Vec<RetypedScalar> {
    let retyped = first_yaml_text(text)
        .ok()
        .and_then(|document| yaml::read_retyped(&document).ok());
    retyped
        .map(|(_, retyped)| retyped)
        .unwrap_or_default()
        .into_iter()
        .map(|(written, read_as)| RetypedScalar { written, read_as })
        .collect()
}

#[cfg(not(feature = "yaml-selectors"))]
fn yaml_retyped(_text: &str) -> Vec<RetypedScalar> {
    Vec::new()
}

/// Without a YAML reader, a selector that is not JSON is refused by name.
#[cfg(not(feature = "yaml-selectors"))]
fn yaml_node(_document: &str) -> Result<Node, SelectorError> {
    Err(SelectorError::YamlNotBuilt)
}

fn from_node(node: Node, yaml: bool) -> Result<RawSelector, SelectorError> {
    let entries = match node {
        Node::Null => Vec::new(),
        Node::Map(entries) => entries,
        other => return Err(SelectorError::NotAnObject(other.kind())),
    };
    let mut raw = RawSelector {
        match_labels: BTreeMap::new(),
        match_expressions: None,
    };
    for (key, value) in entries {
        if key.eq_ignore_ascii_case("matchLabels") {
            // A repeated key adds to the map already decoded, as Go's JSON decoder does.
            match value {
                Node::Null => {}
                Node::Map(labels) => {
                    for (label, label_value) in labels {
                        let label_value = label_value.into_string(yaml).map_err(|kind| {
                            SelectorError::MatchLabels(format!(
                                "value of {label:?} must be a string, got {kind}"
                            ))
                        })?;
                        raw.match_labels.insert(label, label_value);
                    }
                }
                other => {
                    return Err(SelectorError::MatchLabels(format!(
                        "must be an object of label names to values, got {}",
                        other.kind()
                    )));
                }
            }
        } else if key.eq_ignore_ascii_case("matchExpressions") {
            raw.match_expressions = match value {
                Node::Null => None,
                Node::Seq(items) => Some(
                    items
                        .into_iter()
                        .map(|item| requirement_from_node(item, yaml))
                        .collect::<Result<_, _>>()?,
                ),
                other => {
                    return Err(SelectorError::MatchExpressions(format!(
                        "must be a list, got {}",
                        other.kind()
                    )));
                }
            };
        }
    }
    Ok(raw)
}

fn requirement_from_node(node: Node, yaml: bool) -> Result<RawRequirement, SelectorError> {
    let bad = SelectorError::MatchExpressions;
    let entries = match node {
        Node::Null => return Ok(RawRequirement::default()),
        Node::Map(entries) => entries,
        other => {
            return Err(bad(format!(
                "each entry must be an object, got {}",
                other.kind()
            )));
        }
    };
    let mut requirement = RawRequirement::default();
    for (key, value) in entries {
        if key.eq_ignore_ascii_case("key") {
            requirement.key = value
                .into_string(yaml)
                .map_err(|kind| bad(format!("key must be a string, got {kind}")))?;
        } else if key.eq_ignore_ascii_case("operator") {
            requirement.operator = value
                .into_string(yaml)
                .map_err(|kind| bad(format!("operator must be a string, got {kind}")))?;
        } else if key.eq_ignore_ascii_case("values") {
            requirement.values = match value {
                Node::Null => Vec::new(),
                Node::Seq(items) => items
                    .into_iter()
                    .map(|item| {
                        item.into_string(yaml)
                            .map_err(|kind| bad(format!("values must be strings, got {kind}")))
                    })
                    .collect::<Result<_, _>>()?,
                other => return Err(bad(format!("values must be a list, got {}", other.kind()))),
            };
        }
    }
    Ok(requirement)
}

fn is_alnum(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
}

/// Kubernetes' label "name" syntax: `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, at most 63.
fn is_label_name(text: &str) -> bool {
    let bytes = text.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && is_alnum(bytes[0])
        && is_alnum(bytes[bytes.len() - 1])
        && bytes
            .iter()
            .all(|b| is_alnum(*b) || matches!(b, b'-' | b'_' | b'.'))
}

/// A DNS-1123 subdomain: lowercase alphanumerics, `-` and `.`, alphanumeric at both ends of
/// every dot-separated part, at most 253 characters.
fn is_dns_subdomain(text: &str) -> bool {
    text.len() <= 253
        && text.split('.').all(|part| {
            let bytes = part.as_bytes();
            !bytes.is_empty()
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
                && bytes[0] != b'-'
                && bytes[bytes.len() - 1] != b'-'
        })
}

fn check_key(key: &str) -> Result<(), SelectorError> {
    let invalid = |reason| SelectorError::InvalidKey {
        key: key.to_string(),
        reason,
    };
    let name = match key.split_once('/') {
        None => key,
        Some((prefix, name)) => {
            if prefix.is_empty() || !is_dns_subdomain(prefix) {
                return Err(invalid(
                    "the prefix before '/' must be a lowercase DNS subdomain",
                ));
            }
            name
        }
    };
    if name.contains('/') {
        return Err(invalid("at most one '/' is allowed"));
    }
    if !is_label_name(name) {
        return Err(invalid(
            "the name must be 1-63 characters of letters, digits, '-', '_' or '.', starting and \
             ending with a letter or digit",
        ));
    }
    Ok(())
}

fn check_value(key: &str, value: &str) -> Result<(), SelectorError> {
    if value.is_empty() || is_label_name(value) {
        return Ok(());
    }
    Err(SelectorError::InvalidValue {
        key: key.to_string(),
        value: value.to_string(),
        reason: "must be empty or 1-63 characters of letters, digits, '-', '_' or '.', starting and \
                 ending with a letter or digit",
    })
}

/// Reads namespace labels as a user types them: `key=value` pairs separated by commas or new
/// lines, spaces around keys and values ignored. Empty text means no labels were supplied
/// (`None`), which is not the same as an empty label set to a login. The CLI reads each
/// `--label` through here, the playground its labels field.
pub fn parse_labels(text: &str) -> Result<Option<BTreeMap<String, String>>, String> {
    let mut labels = BTreeMap::new();
    for item in text.split([',', '\n']).map(str::trim) {
        if item.is_empty() {
            continue;
        }
        let Some((key, value)) = item.split_once('=') else {
            return Err(format!("namespace label `{item}` is not in key=value form"));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(format!("namespace label `{item}` has an empty key"));
        }
        labels.insert(key.to_string(), value.trim().to_string());
    }
    Ok((!labels.is_empty()).then_some(labels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_pairs_separated_by_commas_or_lines() {
        let labels = parse_labels("team = grade, env=prod\nowner=ops")
            .ok()
            .flatten()
            .unwrap_or_default();
        assert_eq!(labels.len(), 3);
        assert_eq!(labels["team"], "grade");
        assert_eq!(labels["env"], "prod");
        assert_eq!(labels["owner"], "ops");
        assert_eq!(
            parse_labels("a=b=c").ok().flatten().unwrap_or_default()["a"],
            "b=c"
        );
        assert_eq!(
            parse_labels("empty=").ok().flatten().unwrap_or_default()["empty"],
            ""
        );
        assert_eq!(parse_labels("  \n ,"), Ok(None));
        assert!(parse_labels("team").is_err_and(|e| e.contains("`team`")));
        assert!(parse_labels("=x").is_err_and(|e| e.contains("empty key")));
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const VALID_JSON: &str =
        "{\n\t\"matchLabels\": {\n\t\t\"stage\": \"prod\",\n\t\t\"app\": \"vault\"\n\t}\n}";
    const VALID_YAML: &str = "matchLabels:\n  stage: prod\n  app: vault\n";

    #[test]
    fn json_and_yaml_match_labels() {
        for text in [VALID_JSON, VALID_YAML] {
            let selector = NamespaceSelector::parse_vault(text).unwrap();
            assert_eq!(
                selector.match_labels,
                labels(&[("app", "vault"), ("stage", "prod")])
            );
            assert!(selector.match_expressions.is_none());
            assert!(selector.matches(&labels(&[("stage", "prod"), ("app", "vault"), ("x", "y")])));
            assert!(!selector.matches(&labels(&[("stage", "prod")])));
            assert!(!selector.matches(&labels(&[("stage", "dev"), ("app", "vault")])));
            assert_eq!(selector.describe(), "app=vault, stage=prod");
        }
    }

    #[test]
    fn vault_test_suite_invalid_selectors() {
        let invalid_json = "{\n\t\"matchLabels\":\n\t\t\"stage\"\n}";
        let invalid_yaml = "matchLabels:\n- stage: prod\n- app: vault\n";
        assert!(matches!(
            NamespaceSelector::parse_vault(invalid_json),
            Err(SelectorError::MatchLabels(_))
        ));
        assert!(matches!(
            NamespaceSelector::parse_vault(invalid_yaml),
            Err(SelectorError::MatchLabels(_))
        ));
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let at_limit = format!("{}{}", "[".repeat(MAX_NESTING), "]".repeat(MAX_NESTING));
        assert!(!matches!(
            NamespaceSelector::parse(&format!("a: {at_limit}")),
            Err(SelectorError::TooDeep)
        ));
        for text in [
            format!("a: {}", "{".repeat(90_000)),
            format!("matchLabels: {}", "[".repeat(MAX_NESTING + 1)),
            format!("{{\"matchLabels\": {}", "[".repeat(200)),
            format!("a: '{}'", "[".repeat(MAX_NESTING + 1)),
        ] {
            assert_eq!(NamespaceSelector::parse(&text), Err(SelectorError::TooDeep));
            assert_eq!(
                NamespaceSelector::parse_vault(&text),
                Err(SelectorError::TooDeep)
            );
        }
        // Closing brackets bring the depth back: many shallow collections are fine.
        let wide = "matchLabels: {a: b}\n".to_string() + &"# [x]\n".repeat(10_000);
        assert!(NamespaceSelector::parse(&wide).is_ok());
    }

    #[test]
    fn empty_forms_match_everything() {
        for text in [
            "{}",
            "null",
            "~",
            "matchLabels: {}",
            "{\"matchLabels\": null}",
            "   ",
            "# only a comment\n",
            "---\n{}\n",
        ] {
            let selector = NamespaceSelector::parse_vault(text).unwrap();
            assert!(selector.is_empty(), "{text:?}");
            assert!(selector.matches(&BTreeMap::new()));
            assert!(selector.matches(&labels(&[("a", "b")])));
            assert_eq!(selector.describe(), "{} (every namespace)");
        }
    }

    #[test]
    fn empty_text_is_refused() {
        assert_eq!(NamespaceSelector::parse(""), Err(SelectorError::Empty));
        assert_eq!(
            SelectorError::Empty.to_string(),
            "namespace selector is empty"
        );
        assert!(NamespaceSelector::parse("---\n").is_err());
    }

    #[test]
    fn non_objects_are_refused() {
        for text in [
            "kubernetes.io/metadata.name=test",
            "[1, 2]",
            "- a\n- b\n",
            "42",
            "\"x\"",
        ] {
            assert!(NamespaceSelector::parse(text).is_err(), "{text:?}");
        }
        assert!(NamespaceSelector::parse("{not: [valid").is_err());
        assert!(NamespaceSelector::parse("matchLabels: [unclosed").is_err());
        assert!(NamespaceSelector::parse("--- x\nmatchLabels: {}\n").is_err());
    }

    #[test]
    fn json_is_strict_about_types_but_yaml_converts_scalars() {
        assert!(NamespaceSelector::parse("{\"matchLabels\": {\"a\": [\"b\"]}}").is_err());
        let yaml = NamespaceSelector::parse(
            "matchLabels:\n  replicas: 3\n  enabled: true\n  ratio: 1.5\n  none: null\n",
        )
        .unwrap();
        assert_eq!(
            yaml.match_labels,
            labels(&[
                ("enabled", "true"),
                ("none", ""),
                ("ratio", "1.5"),
                ("replicas", "3")
            ])
        );
        // JSON with a number fails as JSON, then succeeds as YAML flow syntax, as in Vault.
        let retried = NamespaceSelector::parse("{\"matchLabels\": {\"tier\": 1}}").unwrap();
        assert_eq!(retried.match_labels, labels(&[("tier", "1")]));
        let flow = NamespaceSelector::parse("{matchLabels: {team: payments}}").unwrap();
        assert_eq!(flow.match_labels, labels(&[("team", "payments")]));
    }

    #[test]
    fn json_reads_only_the_first_value_and_keys_fold_case() {
        let selector =
            NamespaceSelector::parse("{\"MatchLabels\": {\"a\": \"b\"}, \"other\": 1} trailing")
                .unwrap();
        assert_eq!(selector.match_labels, labels(&[("a", "b")]));
        let yaml =
            NamespaceSelector::parse("matchlabels:\n  a: b\n---\nmatchLabels:\n  c: d\n").unwrap();
        assert_eq!(yaml.match_labels, labels(&[("a", "b")]));
    }

    #[test]
    fn match_expressions_are_refused_by_vault_mode() {
        for text in [
            "{\"matchExpressions\": []}",
            "matchExpressions:\n- key: env\n  operator: In\n  values: [prod]\n",
            "{\"matchExpressions\": [{\"key\": \"env\", \"operator\": \"Bogus\"}]}",
        ] {
            assert_eq!(
                NamespaceSelector::parse_vault(text),
                Err(SelectorError::MatchExpressionsUnsupported),
                "{text}"
            );
        }
        assert_eq!(
            SelectorError::MatchExpressionsUnsupported.to_string(),
            "label selector match expressions are not supported"
        );
        assert!(NamespaceSelector::parse_vault("{\"matchExpressions\": null}").is_ok());
    }

    #[test]
    fn match_expressions_extension() {
        let text = "matchLabels:\n  team: payments\nmatchExpressions:\n- {key: env, operator: In, values: [prod, staging]}\n- {key: legacy, operator: DoesNotExist}\n- {key: tier, operator: NotIn, values: [\"3\"]}\n- {key: owner, operator: Exists}\n";
        let selector = NamespaceSelector::parse(text).unwrap();
        assert_eq!(
            selector.describe(),
            "team=payments, env in (prod, staging), !legacy, tier notin (3), owner"
        );
        let good = labels(&[("team", "payments"), ("env", "prod"), ("owner", "x")]);
        assert!(selector.matches(&good));
        let mut with_legacy = good.clone();
        with_legacy.insert("legacy".into(), "1".into());
        assert!(!selector.matches(&with_legacy));
        let mut wrong_env = good.clone();
        wrong_env.insert("env".into(), "dev".into());
        assert!(!selector.matches(&wrong_env));
        let mut tier3 = good.clone();
        tier3.insert("tier".into(), "3".into());
        assert!(!selector.matches(&tier3));
        let mut no_owner = good.clone();
        no_owner.remove("owner");
        assert!(!selector.matches(&no_owner));
        assert!(selector.validate_for_login().is_ok());
    }

    #[test]
    fn bad_expressions_are_refused() {
        assert_eq!(
            NamespaceSelector::parse(
                "{\"matchExpressions\": [{\"key\": \"a\", \"operator\": \"Equals\", \"values\": [\"b\"]}]}"
            ),
            Err(SelectorError::UnknownOperator("Equals".into()))
        );
        assert!(matches!(
            NamespaceSelector::parse(
                "{\"matchExpressions\": [{\"key\": \"a\", \"operator\": \"In\"}]}"
            ),
            Err(SelectorError::BadValues { .. })
        ));
        assert!(matches!(
            NamespaceSelector::parse(
                "{\"matchExpressions\": [{\"key\": \"a\", \"operator\": \"Exists\", \"values\": [\"b\"]}]}"
            ),
            Err(SelectorError::BadValues { .. })
        ));
        assert!(matches!(
            NamespaceSelector::parse("{\"matchExpressions\": {\"key\": \"a\"}}"),
            Err(SelectorError::MatchExpressions(_))
        ));
    }

    #[test]
    fn login_time_validation() {
        let ok = NamespaceSelector::parse(
            "{\"matchLabels\": {\"kubernetes.io/metadata.name\": \"team-a\", \"x\": \"\"}}",
        )
        .unwrap();
        assert!(ok.validate_for_login().is_ok());
        let bad_key = NamespaceSelector::parse("{\"matchLabels\": {\"bad key\": \"v\"}}").unwrap();
        assert!(matches!(
            bad_key.validate_for_login(),
            Err(SelectorError::InvalidKey { .. })
        ));
        let bad_prefix =
            NamespaceSelector::parse("{\"matchLabels\": {\"Example.com/a\": \"v\"}}").unwrap();
        assert!(matches!(
            bad_prefix.validate_for_login(),
            Err(SelectorError::InvalidKey { .. })
        ));
        let two_slashes =
            NamespaceSelector::parse("{\"matchLabels\": {\"a/b/c\": \"v\"}}").unwrap();
        assert!(two_slashes.validate_for_login().is_err());
        let bad_value = NamespaceSelector::parse("{\"matchLabels\": {\"a\": \"-x\"}}").unwrap();
        assert!(matches!(
            bad_value.validate_for_login(),
            Err(SelectorError::InvalidValue { .. })
        ));
        let long_value = format!("{{\"matchLabels\": {{\"a\": \"{}\"}}}}", "x".repeat(64));
        assert!(
            NamespaceSelector::parse(&long_value)
                .unwrap()
                .validate_for_login()
                .is_err()
        );
    }

    #[test]
    fn yaml_scalars_have_yaml_1_1_types_as_in_vault() {
        let selector = NamespaceSelector::parse_vault(
            "matchLabels:\n  flag: yes\n  mode: off\n  tier: 017\n  eight: 08\n  size: 1_000\n  \
             bits: 0b101\n  y: n\n  quoted: 'yes'\n",
        )
        .unwrap();
        assert_eq!(
            selector.match_labels,
            labels(&[
                ("bits", "5"),
                ("eight", "8"),
                ("flag", "true"),
                ("mode", "false"),
                ("quoted", "yes"),
                ("size", "1000"),
                ("tier", "15"),
                ("true", "false"),
            ])
        );
    }

    #[test]
    fn retyped_scalars_say_what_vault_reads_keys_and_values_as() {
        let retyped: Vec<(String, String)> = NamespaceSelector::retyped_scalars(
            "matchLabels:\n  .Inf: a\n  b: .inf\n  y: 017\n  d: \"yes\"\n",
        )
        .into_iter()
        .map(|r| (r.written, r.read_as))
        .collect();
        let expected = [
            (".Inf", ".inf"),
            (".inf", "+Inf"),
            ("y", "true"),
            ("017", "15"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(w, r)| (w.to_string(), r.to_string()))
            .collect();
        assert_eq!(retyped, expected);
        assert!(
            NamespaceSelector::retyped_scalars("{\"matchLabels\": {\"a\": \"yes\"}}").is_empty()
        );
    }

    #[test]
    fn a_repeated_yaml_key_keeps_its_last_value_and_merge_keys_are_refused() {
        let selector =
            NamespaceSelector::parse_vault("matchLabels:\n  team: x\n  team: grades\n").unwrap();
        assert_eq!(selector.match_labels, labels(&[("team", "grades")]));
        let folded = NamespaceSelector::parse_vault("matchLabels: {1: a, \"1\": b}\n").unwrap();
        assert_eq!(folded.match_labels, labels(&[("1", "b")]));
        for text in [
            "matchLabels:\n  <<: {team: x}\n",
            "matchLabels: {<<: {team: x}}\n",
        ] {
            let error = NamespaceSelector::parse_vault(text)
                .unwrap_err()
                .to_string();
            assert!(error.contains("merge keys"), "{text:?}: {error}");
        }
        let quoted = NamespaceSelector::parse_vault("matchLabels:\n  '<<': x\n").unwrap();
        assert_eq!(quoted.match_labels, labels(&[("<<", "x")]));
    }

    #[test]
    fn a_selector_of_many_keys_is_read_whole() {
        // A repeated key is found through an index: a scan per key made this quadratic
        // (40,000 keys took 1.3 s).
        let mut text = String::from("matchLabels:\n");
        for i in 0..50_000 {
            text.push_str(&format!("  k{i}: v{i}\n"));
        }
        text.push_str("  k7: again\n");
        let selector = NamespaceSelector::parse(&text).unwrap();
        assert_eq!(selector.match_labels.len(), 50_000);
        assert_eq!(selector.match_labels["k7"], "again");
        assert_eq!(selector.match_labels["k49999"], "v49999");
    }

    #[test]
    fn yaml_keys_and_floats_convert_like_go() {
        let selector = NamespaceSelector::parse(
            "matchLabels:\n  1: one\n  true: yes-value\n  v: 1e6\n  w: 0.0001\n  x: 123456.0\n",
        )
        .unwrap();
        assert_eq!(
            selector.match_labels.get("1").map(String::as_str),
            Some("one")
        );
        assert_eq!(
            selector.match_labels.get("true").map(String::as_str),
            Some("yes-value")
        );
        assert_eq!(
            selector.match_labels.get("v").map(String::as_str),
            Some("1e+06")
        );
        assert_eq!(
            selector.match_labels.get("w").map(String::as_str),
            Some("0.0001")
        );
        assert_eq!(
            selector.match_labels.get("x").map(String::as_str),
            Some("123456")
        );
        assert_eq!(go_float32_g(0.1), "0.1");
        assert_eq!(go_float32_g(1234567.0), "1.234567e+06");
        assert_eq!(go_float32_g(0.00001), "1e-05");
        assert_eq!(go_float32_g(-2.5), "-2.5");
    }

    #[test]
    fn serializes_as_label_selector() {
        let selector = NamespaceSelector::parse(VALID_YAML).unwrap();
        assert_eq!(
            serde_json::to_value(&selector).unwrap(),
            serde_json::json!({"matchLabels": {"app": "vault", "stage": "prod"}})
        );
        let back: NamespaceSelector =
            serde_json::from_value(serde_json::to_value(&selector).unwrap()).unwrap();
        assert_eq!(back, selector);
    }
}
