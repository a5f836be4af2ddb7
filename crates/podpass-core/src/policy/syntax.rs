//! Both policy syntaxes (HCL and JSON) read into one small tree that keeps byte spans, so the
//! policy rules are checked once, with locations, whatever the text was written in.

use super::hcl1;
use crate::diagnostic::Span;
pub(crate) use crate::diagnostic::Spanned;

/// A value in either syntax.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Str(String),
    Number(serde_json::Number),
    Bool(bool),
    Null,
    List(Vec<Spanned<Node>>),
    /// An HCL object or block body, or a JSON object: entries in source order.
    Object(Vec<Entry>),
}

/// `key = value`, `key "label" { … }`, or a JSON `"key": value`.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) key: Spanned<String>,
    pub(crate) labels: Vec<Spanned<String>>,
    pub(crate) value: Spanned<Node>,
    /// Written as an HCL block (`key "label" { … }`) rather than `key = value`.
    pub(crate) block: bool,
}

/// A syntax error: where, and the parser's message.
pub(crate) struct SyntaxError {
    pub(crate) offset: usize,
    pub(crate) detail: String,
}

/// Vault reads a policy as JSON when its first non-blank character is `{`.
pub(crate) fn is_json(text: &str) -> bool {
    text.trim_start().starts_with('{')
}

/// Parses the top level of a policy into entries.
pub(crate) fn parse(text: &str) -> Result<Vec<Entry>, SyntaxError> {
    if is_json(text) {
        parse_json(text)
    } else {
        hcl1::parse(text)
    }
}

fn parse_json(text: &str) -> Result<Vec<Entry>, SyntaxError> {
    use jsonc_parser::{CollectOptions, parse_to_ast};

    let options = strict_json();
    let parsed =
        parse_to_ast(text, &CollectOptions::default(), &options).map_err(|e| SyntaxError {
            offset: e.range().start,
            detail: e.kind().to_string(),
        })?;
    match parsed.value {
        Some(jsonc_parser::ast::Value::Object(object)) => Ok(json_object(&object)),
        Some(other) => Err(SyntaxError {
            offset: json_span(&other).start,
            detail: "does not contain a root object".to_string(),
        }),
        None => Err(SyntaxError {
            offset: 0,
            detail: "does not contain a root object".to_string(),
        }),
    }
}

fn json_object(object: &jsonc_parser::ast::Object<'_>) -> Vec<Entry> {
    use jsonc_parser::ast::ObjectPropName;

    object
        .properties
        .iter()
        .map(|prop| {
            let (key, range) = match &prop.name {
                ObjectPropName::String(s) => (s.value.to_string(), &s.range),
                ObjectPropName::Word(w) => (w.value.to_string(), &w.range),
            };
            Entry {
                key: Spanned {
                    value: key,
                    span: Span::new(range.start, range.end),
                },
                labels: Vec::new(),
                value: json_value(&prop.value),
                block: false,
            }
        })
        .collect()
}

fn json_span(value: &jsonc_parser::ast::Value<'_>) -> Span {
    use jsonc_parser::ast::Value;
    let range = match value {
        Value::StringLit(v) => &v.range,
        Value::NumberLit(v) => &v.range,
        Value::BooleanLit(v) => &v.range,
        Value::Object(v) => &v.range,
        Value::Array(v) => &v.range,
        Value::NullKeyword(v) => &v.range,
    };
    Span::new(range.start, range.end)
}

fn json_value(value: &jsonc_parser::ast::Value<'_>) -> Spanned<Node> {
    use jsonc_parser::ast::Value;
    let node = match value {
        Value::StringLit(s) => Node::Str(s.value.to_string()),
        Value::NumberLit(n) => Node::Number(
            serde_json::from_slice::<serde_json::Number>(n.value.as_bytes())
                .unwrap_or_else(|_| serde_json::Number::from(0)),
        ),
        Value::BooleanLit(b) => Node::Bool(b.value),
        Value::NullKeyword(_) => Node::Null,
        Value::Array(items) => Node::List(items.elements.iter().map(json_value).collect()),
        Value::Object(object) => Node::Object(json_object(object)),
    };
    Spanned {
        value: node,
        span: json_span(value),
    }
}

/// A node as a JSON value (parameter values, control groups). HCL blocks become nested objects
/// keyed by their labels, the way HCL1 decodes them; repeated keys keep the last value.
pub(crate) fn to_json(node: &Node) -> serde_json::Value {
    use serde_json::Value;
    match node {
        Node::Str(s) => Value::String(s.clone()),
        Node::Number(n) => Value::Number(n.clone()),
        Node::Bool(b) => Value::Bool(*b),
        Node::Null => Value::Null,
        Node::List(items) => Value::Array(items.iter().map(|i| to_json(&i.value)).collect()),
        Node::Object(entries) => {
            let mut map = serde_json::Map::new();
            for entry in entries {
                let mut value = to_json(&entry.value.value);
                for label in entry.labels.iter().rev() {
                    let mut wrapped = serde_json::Map::new();
                    wrapped.insert(label.value.clone(), value);
                    value = Value::Object(wrapped);
                }
                map.insert(entry.key.value.clone(), value);
            }
            Value::Object(map)
        }
    }
}

/// Plain JSON, as Vault's parser reads it: none of jsonc-parser's JSONC/JSON5 leniencies.
pub(crate) fn strict_json() -> jsonc_parser::ParseOptions {
    jsonc_parser::ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}
