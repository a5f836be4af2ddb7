//! The HCL2 reader behind `fmt`, podpass.hcl and test files: the parser entry (with the
//! nesting limit every HCL reader applies) and the walk from hcl-edit's expressions to plain
//! values with byte spans. Policies are HCL1, read by [`crate::policy`]'s own reader.
//!
//! The walk decides nothing: a variable, a function call or an interpolation comes out as what
//! it is, and each reader says what that means for it (a policy keeps `${…}` as text, as HCL1
//! does; podpass.hcl has `file("…")`; test files take literals only).

use std::fmt::Write as _;

use hcl::edit::Span as _;
use hcl::edit::expr::{Expression, ObjectKey, UnaryOperator};
use hcl::edit::structure::Body;
use hcl::edit::template::{Element, Template};

use crate::diagnostic::{Span, Spanned};
use crate::nesting::TooDeep;

/// Why an HCL text could not be read: where (a byte offset; a
/// [`LineIndex`](crate::diagnostic::LineIndex) of the text places it) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HclError {
    pub(crate) offset: usize,
    pub(crate) message: String,
}

/// Every HCL2 reader's parser (`fmt`, podpass.hcl, test files): text nested deeper than
/// [`MAX_HCL_NESTING`](crate::nesting::MAX_HCL_NESTING) is refused before hcl-edit sees it.
pub(crate) fn parse_hcl_body(text: &str) -> Result<Body, HclError> {
    if let Some(too_deep) = TooDeep::find(text) {
        return Err(HclError {
            offset: too_deep.offset,
            message: too_deep.message(),
        });
    }
    hcl::edit::parser::parse_body(text).map_err(|e| HclError {
        offset: e.location().offset(),
        message: e.message().to_string(),
    })
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
    /// A template holding `${…}` or `%{…}`: where the first one is.
    Interpolated {
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
    /// Any other expression: a conditional, traversal, operation or `for`.
    Other,
}

/// Walks an expression.
pub(crate) fn value(expr: &Expression) -> Spanned<HclValue> {
    let span = Span::from_range(expr.span());
    let value = match expr {
        Expression::Null(_) => HclValue::Null,
        Expression::Bool(b) => HclValue::Bool(*b.value()),
        Expression::Number(n) => HclValue::Number(hcl_number(n.value())),
        Expression::String(s) => HclValue::Str(s.value().clone()),
        Expression::Array(items) => HclValue::List(items.iter().map(value).collect()),
        Expression::Object(object) => HclValue::Object(
            object
                .iter()
                .map(|(key, item)| (object_key(key), value(item.expr())))
                .collect(),
        ),
        Expression::StringTemplate(t) => template(t),
        Expression::HeredocTemplate(h) => template(&h.template),
        Expression::Parenthesis(p) => return value(p.inner()),
        Expression::UnaryOp(op) => HclValue::Unary {
            negation: *op.operator.value() == UnaryOperator::Neg,
            operand: Box::new(value(&op.expr)),
        },
        Expression::FuncCall(call) => HclValue::Call {
            name: call.name.name.as_str().to_string(),
            namespaced: call.name.is_namespaced(),
            args: call.args.iter().map(value).collect(),
        },
        Expression::Variable(v) => HclValue::Variable(v.as_str().to_string()),
        Expression::Conditional(_) => HclValue::Other,
        Expression::Traversal(_) => HclValue::Other,
        Expression::BinaryOp(_) => HclValue::Other,
        Expression::ForExpr(_) => HclValue::Other,
    };
    Spanned { value, span }
}

fn object_key(key: &ObjectKey) -> Spanned<HclValue> {
    match key {
        ObjectKey::Ident(ident) => Spanned {
            value: HclValue::Str(ident.as_str().to_string()),
            span: Span::from_range(ident.span()),
        },
        ObjectKey::Expression(expr) => value(expr),
    }
}

fn template(template: &Template) -> HclValue {
    let mut out = String::new();
    for element in template.iter() {
        match element {
            Element::Literal(literal) => out.push_str(literal.value()),
            other => {
                return HclValue::Interpolated {
                    first: Span::from_range(other.span()),
                };
            }
        }
    }
    HclValue::Str(out)
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
    use crate::nesting::MAX_HCL_NESTING;
    use hcl::edit::structure::Structure;

    fn attribute(text: &str) -> Spanned<HclValue> {
        let body = parse_hcl_body(text).unwrap_or_else(|e| panic!("{}", e.message));
        match body.iter().next() {
            Some(Structure::Attribute(attr)) => value(&attr.value),
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
    fn interpolations_are_placed() {
        let walked = attribute("a = \"x-${y}-$${z}\"\n");
        let HclValue::Interpolated { first } = walked.value else {
            panic!("{walked:?}");
        };
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
        assert!(matches!(attribute("a = x ? 1 : 2").value, HclValue::Other));
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
