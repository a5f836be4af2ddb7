//! Both policy syntaxes (HCL and JSON) read into one small tree that keeps byte spans, so the
//! policy rules are checked once, with locations, whatever the text was written in.

use std::fmt::Write as _;
use std::ops::Range;

use hcl::edit::Span;
use hcl::edit::expr::{Expression, ObjectKey};
use hcl::edit::structure::{Body, Structure};
use hcl::edit::template::{Element, Template};

/// A value and where it starts in the text.
#[derive(Debug, Clone)]
pub(crate) struct Spanned<T> {
    pub(crate) value: T,
    pub(crate) start: usize,
}

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
    /// An HCL expression that is not a literal (a variable, a function call, …), named.
    Unsupported(&'static str),
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
        parse_hcl(text)
    }
}

fn parse_hcl(text: &str) -> Result<Vec<Entry>, SyntaxError> {
    let body = parse_hcl_body(text).map_err(|e| SyntaxError {
        offset: e.offset,
        detail: e.message,
    })?;
    Ok(hcl_body(&body, text))
}

/// The deepest nesting of `{`, `[` and `(` an HCL text may reach, counted over the raw text.
/// hcl-edit backtracks through nested templates, objects and indexes in time that doubles with
/// each level past about 30 (found by fuzzing: 534 bytes nested 47 deep ran for minutes); real
/// policies, podpass.hcl files and test files nest fewer than ten.
pub(crate) const MAX_HCL_NESTING: usize = 32;

/// Why an HCL text could not be read: where (byte offset, 1-based line and column) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HclError {
    pub(crate) offset: usize,
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) message: String,
}

/// Every HCL reader's parser (policies, `fmt`, podpass.hcl, test files): text nested deeper
/// than [`MAX_HCL_NESTING`] is refused before hcl-edit sees it.
pub(crate) fn parse_hcl_body(text: &str) -> Result<Body, HclError> {
    if let Some(offset) = too_deep(text) {
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        return Err(HclError {
            offset,
            line,
            column,
            message: format!(
                "brackets nest deeper than {MAX_HCL_NESTING} levels here; no policy or configuration needs that many"
            ),
        });
    }
    hcl::edit::parser::parse_body(text).map_err(|e| HclError {
        offset: e.location().offset(),
        line: e.location().line(),
        column: e.location().column(),
        message: e.message().to_string(),
    })
}

/// The byte offset of the first bracket that opens one level more than [`MAX_HCL_NESTING`].
fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (offset, byte) in text.bytes().enumerate() {
        match byte {
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_HCL_NESTING {
                    return Some(offset);
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn start_of(span: Option<Range<usize>>) -> usize {
    span.map_or(0, |s| s.start)
}

fn hcl_body(body: &Body, text: &str) -> Vec<Entry> {
    body.iter()
        .map(|structure| match structure {
            Structure::Attribute(attr) => Entry {
                key: Spanned {
                    value: attr.key.as_str().to_string(),
                    start: start_of(attr.key.span()),
                },
                labels: Vec::new(),
                value: hcl_expr(&attr.value, text),
                block: false,
            },
            Structure::Block(block) => Entry {
                key: Spanned {
                    value: block.ident.as_str().to_string(),
                    start: start_of(block.ident.span()),
                },
                labels: block
                    .labels
                    .iter()
                    .map(|label| Spanned {
                        value: label.as_str().to_string(),
                        start: start_of(label.span()),
                    })
                    .collect(),
                value: Spanned {
                    value: Node::Object(hcl_body(&block.body, text)),
                    start: start_of(block.span()),
                },
                block: true,
            },
        })
        .collect()
}

fn hcl_expr(expr: &Expression, text: &str) -> Spanned<Node> {
    let start = start_of(expr.span());
    let value = match expr {
        Expression::Null(_) => Node::Null,
        Expression::Bool(b) => Node::Bool(*b.value()),
        Expression::Number(n) => Node::Number(hcl_number(n.value())),
        Expression::String(s) => Node::Str(s.value().clone()),
        Expression::Array(items) => Node::List(items.iter().map(|e| hcl_expr(e, text)).collect()),
        Expression::Object(object) => Node::Object(
            object
                .iter()
                .map(|(key, value)| Entry {
                    key: hcl_object_key(key, text),
                    labels: Vec::new(),
                    value: hcl_expr(value.expr(), text),
                    block: false,
                })
                .collect(),
        ),
        // HCL1, which Vault uses, has no interpolation: keep `${…}` as the text it is.
        Expression::StringTemplate(t) => Node::Str(template_text(t, text)),
        Expression::HeredocTemplate(h) => Node::Str(template_text(&h.template, text)),
        Expression::Parenthesis(p) => return hcl_expr(p.inner(), text),
        Expression::Variable(_) => Node::Unsupported("a variable"),
        Expression::Conditional(_) => Node::Unsupported("a conditional"),
        Expression::FuncCall(_) => Node::Unsupported("a function call"),
        Expression::Traversal(_) => Node::Unsupported("a traversal"),
        Expression::UnaryOp(_) | Expression::BinaryOp(_) => Node::Unsupported("an operation"),
        Expression::ForExpr(_) => Node::Unsupported("a for expression"),
    };
    Spanned { value, start }
}

/// An HCL quoted string: escapes, and `$${`/`%%{` so nothing is read as a template.
pub(crate) fn hcl_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An HCL number as a JSON number (HCL numbers are always finite).
pub(crate) fn hcl_number(n: &hcl::Number) -> serde_json::Number {
    if let Some(i) = n.as_i64() {
        serde_json::Number::from(i)
    } else if let Some(u) = n.as_u64() {
        serde_json::Number::from(u)
    } else {
        n.as_f64()
            .and_then(serde_json::Number::from_f64)
            .unwrap_or_else(|| serde_json::Number::from(0))
    }
}

fn hcl_object_key(key: &ObjectKey, text: &str) -> Spanned<String> {
    let start = start_of(key.span());
    let value = match key {
        ObjectKey::Ident(ident) => ident.as_str().to_string(),
        ObjectKey::Expression(expr) => match hcl_expr(expr, text).value {
            Node::Str(s) => s,
            _ => source(text, expr.span()).to_string(),
        },
    };
    Spanned { value, start }
}

fn template_text(template: &Template, text: &str) -> String {
    let mut out = String::new();
    for element in template.iter() {
        match element {
            Element::Literal(literal) => out.push_str(literal.value()),
            other => out.push_str(source(text, other.span())),
        }
    }
    out
}

fn source(text: &str, span: Option<Range<usize>>) -> &str {
    span.and_then(|s| text.get(s)).unwrap_or("")
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
            offset: json_start(&other),
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
            let (key, start) = match &prop.name {
                ObjectPropName::String(s) => (s.value.to_string(), s.range.start),
                ObjectPropName::Word(w) => (w.value.to_string(), w.range.start),
            };
            Entry {
                key: Spanned { value: key, start },
                labels: Vec::new(),
                value: json_value(&prop.value),
                block: false,
            }
        })
        .collect()
}

fn json_start(value: &jsonc_parser::ast::Value<'_>) -> usize {
    use jsonc_parser::ast::Value;
    match value {
        Value::StringLit(v) => v.range.start,
        Value::NumberLit(v) => v.range.start,
        Value::BooleanLit(v) => v.range.start,
        Value::Object(v) => v.range.start,
        Value::Array(v) => v.range.start,
        Value::NullKeyword(v) => v.range.start,
    }
}

fn json_value(value: &jsonc_parser::ast::Value<'_>) -> Spanned<Node> {
    use jsonc_parser::ast::Value;
    let node = match value {
        Value::StringLit(s) => Node::Str(s.value.to_string()),
        Value::NumberLit(n) => Node::Number(
            serde_json::from_str::<serde_json::Number>(n.value)
                .unwrap_or_else(|_| serde_json::Number::from(0)),
        ),
        Value::BooleanLit(b) => Node::Bool(b.value),
        Value::NullKeyword(_) => Node::Null,
        Value::Array(items) => Node::List(items.elements.iter().map(json_value).collect()),
        Value::Object(object) => Node::Object(json_object(object)),
    };
    Spanned {
        value: node,
        start: json_start(value),
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
        Node::Null | Node::Unsupported(_) => Value::Null,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_escape_everything_hcl_would_read() {
        assert_eq!(hcl_quote("a\"b\\c\nd\te"), r#""a\"b\\c\nd\te""#);
        assert_eq!(hcl_quote("${x} %{y} $ %"), r#""$${x} %%{y} $ %""#);
        assert_eq!(hcl_quote("\u{1}"), r#""\u0001""#);
    }
}
