//! The one HCL reader behind policies, `fmt`, podpass.hcl and test files: the parser entry
//! (with its nesting limit) and the walk from hcl-edit's expressions to plain values with byte
//! spans.
//!
//! The walk decides nothing: a variable, a function call or an interpolation comes out as what
//! it is, and each reader says what that means for it (a policy keeps `${…}` as text, as HCL1
//! does; podpass.hcl has `file("…")`; test files take literals only).

use std::fmt::Write as _;

use hcl::edit::Span as _;
use hcl::edit::expr::{Expression, ObjectKey, UnaryOperator};
use hcl::edit::structure::Body;
use hcl::edit::template::{Element, Template};

use crate::diagnostic::Span;

/// The deepest nesting of `{`, `[` and `(` an HCL text may reach, counted over the raw text.
/// hcl-edit backtracks through nested templates, objects and indexes in time that doubles with
/// each level past about 30 (found by fuzzing: 534 bytes nested 47 deep ran for minutes); real
/// policies, podpass.hcl files and test files nest fewer than ten.
pub(crate) const MAX_HCL_NESTING: usize = 32;

/// Why an HCL text could not be read: where (a byte offset; a
/// [`LineIndex`](crate::diagnostic::LineIndex) of the text places it) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HclError {
    pub(crate) offset: usize,
    pub(crate) message: String,
}

/// Every HCL reader's parser (policies, `fmt`, podpass.hcl, test files): text nested deeper
/// than [`MAX_HCL_NESTING`] is refused before hcl-edit sees it.
pub(crate) fn parse_hcl_body(text: &str) -> Result<Body, HclError> {
    if let Some(offset) = too_deep(text) {
        return Err(HclError {
            offset,
            message: format!(
                "brackets nest deeper than {MAX_HCL_NESTING} levels here; no policy or configuration needs that many"
            ),
        });
    }
    hcl::edit::parser::parse_body(text).map_err(|e| HclError {
        offset: e.location().offset(),
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

/// A value and the bytes it was written in.
#[derive(Debug, Clone)]
pub(crate) struct Spanned<T> {
    pub(crate) value: T,
    pub(crate) span: Span,
}

impl<T> Spanned<T> {
    /// Where the value starts.
    pub(crate) fn start(&self) -> usize {
        self.span.start
    }
}

/// An HCL expression, walked: literals as values, everything else named for the reader to
/// accept or refuse.
#[derive(Debug, Clone)]
pub(crate) enum HclValue {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    /// A quoted string, or a template or heredoc without interpolation.
    Str(String),
    /// A template holding `${…}` or `%{…}`: its text with the interpolations as written, and
    /// where the first one is.
    Interpolated {
        text: String,
        first: Span,
    },
    List(Vec<Spanned<HclValue>>),
    /// Entries in source order; an identifier key (`a = 1`) comes out as a string.
    Object(Vec<(Spanned<HclValue>, Spanned<HclValue>)>),
    /// `-x` (`negation`) or `!x`. Only policy tests read the parts.
    #[cfg_attr(not(feature = "policy-tests"), allow(dead_code))]
    Unary {
        negation: bool,
        operand: Box<Spanned<HclValue>>,
    },
    /// `name(args…)`; `namespaced` for `ns::name(…)`.
    Call {
        name: String,
        namespaced: bool,
        args: Vec<Spanned<HclValue>>,
    },
    /// A bare name.
    Variable(String),
    /// Any other expression (conditional, traversal, operation, `for`), named as in
    /// `a conditional`.
    Other(&'static str),
}

impl HclValue {
    /// What kind of value, for messages: `a string`, `a list`, `a variable`, …
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            HclValue::Null => "null",
            HclValue::Bool(_) => "a boolean",
            HclValue::Number(_) => "a number",
            HclValue::Str(_) => "a string",
            HclValue::Interpolated { .. } => "a template",
            HclValue::List(_) => "a list",
            HclValue::Object(_) => "an object",
            HclValue::Unary { .. } => "an operation",
            HclValue::Call { .. } => "a function call",
            HclValue::Variable(_) => "a variable",
            HclValue::Other(kind) => kind,
        }
    }
}

/// Walks an expression of `text` (the text it was parsed from, for interpolations kept as
/// written).
pub(crate) fn value(expr: &Expression, text: &str) -> Spanned<HclValue> {
    let span = Span::from_range(expr.span());
    let value = match expr {
        Expression::Null(_) => HclValue::Null,
        Expression::Bool(b) => HclValue::Bool(*b.value()),
        Expression::Number(n) => HclValue::Number(hcl_number(n.value())),
        Expression::String(s) => HclValue::Str(s.value().clone()),
        Expression::Array(items) => {
            HclValue::List(items.iter().map(|item| value(item, text)).collect())
        }
        Expression::Object(object) => HclValue::Object(
            object
                .iter()
                .map(|(key, item)| (object_key(key, text), value(item.expr(), text)))
                .collect(),
        ),
        Expression::StringTemplate(t) => template(t, text),
        Expression::HeredocTemplate(h) => template(&h.template, text),
        Expression::Parenthesis(p) => return value(p.inner(), text),
        Expression::UnaryOp(op) => HclValue::Unary {
            negation: *op.operator.value() == UnaryOperator::Neg,
            operand: Box::new(value(&op.expr, text)),
        },
        Expression::FuncCall(call) => HclValue::Call {
            name: call.name.name.as_str().to_string(),
            namespaced: call.name.is_namespaced(),
            args: call.args.iter().map(|arg| value(arg, text)).collect(),
        },
        Expression::Variable(v) => HclValue::Variable(v.as_str().to_string()),
        Expression::Conditional(_) => HclValue::Other("a conditional"),
        Expression::Traversal(_) => HclValue::Other("a traversal"),
        Expression::BinaryOp(_) => HclValue::Other("an operation"),
        Expression::ForExpr(_) => HclValue::Other("a for expression"),
    };
    Spanned { value, span }
}

fn object_key(key: &ObjectKey, text: &str) -> Spanned<HclValue> {
    match key {
        ObjectKey::Ident(ident) => Spanned {
            value: HclValue::Str(ident.as_str().to_string()),
            span: Span::from_range(ident.span()),
        },
        ObjectKey::Expression(expr) => value(expr, text),
    }
}

fn template(template: &Template, text: &str) -> HclValue {
    let mut out = String::new();
    let mut first = None;
    for element in template.iter() {
        match element {
            Element::Literal(literal) => out.push_str(literal.value()),
            other => {
                let span = Span::from_range(other.span());
                first.get_or_insert(span);
                out.push_str(text.get(span.start..span.end).unwrap_or(""));
            }
        }
    }
    match first {
        Some(first) => HclValue::Interpolated { text: out, first },
        None => HclValue::Str(out),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use hcl::edit::structure::Structure;

    fn attribute(text: &str) -> Spanned<HclValue> {
        let body = parse_hcl_body(text).unwrap_or_else(|e| panic!("{}", e.message));
        match body.iter().next() {
            Some(Structure::Attribute(attr)) => value(&attr.value, text),
            _ => panic!("no attribute in {text:?}"),
        }
    }

    #[test]
    fn quotes_escape_everything_hcl_would_read() {
        assert_eq!(hcl_quote("a\"b\\c\nd\te"), r#""a\"b\\c\nd\te""#);
        assert_eq!(hcl_quote("${x} %{y} $ %"), r#""$${x} %%{y} $ %""#);
        assert_eq!(hcl_quote("\u{1}"), r#""\u0001""#);
    }

    #[test]
    fn interpolations_keep_their_text_and_place() {
        let walked = attribute("a = \"x-${y}-$${z}\"\n");
        let HclValue::Interpolated { text, first } = walked.value else {
            panic!("{walked:?}");
        };
        assert_eq!(text, "x-${y}-${z}");
        assert_eq!((first.start, first.end), (7, 11));
        assert!(matches!(attribute("a = \"$${z}\"").value, HclValue::Str(s) if s == "${z}"));
    }

    #[test]
    fn non_literals_are_named_not_refused() {
        assert!(matches!(attribute("a = b").value, HclValue::Variable(v) if v == "b"));
        assert!(matches!(
            attribute("a = -(5)").value,
            HclValue::Unary { negation: true, operand } if matches!(operand.value, HclValue::Number(_))
        ));
        assert!(matches!(
            attribute("a = file(\"p\")").value,
            HclValue::Call { name, namespaced: false, args } if name == "file" && args.len() == 1
        ));
        assert_eq!(attribute("a = x ? 1 : 2").value.kind(), "a conditional");
        let walked = attribute("a = { k = 1, \"q\" = [true] }");
        let HclValue::Object(entries) = walked.value else {
            panic!("{walked:?}");
        };
        let keys: Vec<_> = entries
            .iter()
            .map(|(k, _)| match &k.value {
                HclValue::Str(s) => s.as_str(),
                _ => "?",
            })
            .collect();
        assert_eq!(keys, ["k", "q"]);
        assert_eq!(entries[0].0.start(), 6);
    }

    #[test]
    fn deep_nesting_is_refused_where_it_starts() {
        let text = format!("a = {}", "[".repeat(MAX_HCL_NESTING + 1));
        let error = parse_hcl_body(&text).err();
        assert_eq!(error.map(|e| e.offset), Some(4 + MAX_HCL_NESTING));
    }
}
