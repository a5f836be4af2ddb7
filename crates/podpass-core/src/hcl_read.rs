//! The HCL2 reader behind podpass.hcl and test files: a body of attributes and blocks with
//! their places, each expression walked to a plain value as it is read. Policies are HCL1, read
//! by [`crate::policy`]'s own reader; `fmt` rewrites policies with hcl-edit
//! ([`crate::policy::format_policy`]).
//!
//! The walk decides nothing: a variable, a function call or an interpolation comes out as what
//! it is, and each reader says what that means for it (podpass.hcl has `file("…")`; test files
//! take literals only).

#[cfg(all(test, not(target_arch = "wasm32")))]
mod differential;
mod parser;

use std::fmt::Write as _;

use crate::diagnostic::{Span, Spanned};
use crate::nesting::TooDeep;

/// Why an HCL text could not be read: where (a byte offset; a
/// [`LineIndex`](crate::diagnostic::LineIndex) of the text places it) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HclError {
    pub(crate) offset: usize,
    pub(crate) message: String,
}

/// Reads an HCL2 text: text nested deeper than
/// [`MAX_HCL_NESTING`](crate::nesting::MAX_HCL_NESTING) is refused before the parser sees it.
pub(crate) fn parse_hcl_body(text: &str) -> Result<Body, HclError> {
    check_nesting(text)?;
    parser::parse(text)
}

/// Refuses text nested deeper than [`MAX_HCL_NESTING`](crate::nesting::MAX_HCL_NESTING), which
/// every HCL2 reader checks before parsing.
pub(crate) fn check_nesting(text: &str) -> Result<(), HclError> {
    match TooDeep::find(text) {
        Some(too_deep) => Err(HclError {
            offset: too_deep.offset,
            message: too_deep.message(),
        }),
        None => Ok(()),
    }
}

/// The attributes and blocks of a file or a block, in source order.
#[derive(Debug, Clone)]
pub(crate) struct Body {
    pub(crate) structures: Vec<Structure>,
    /// A block's body runs from the newline after its `{` to its `}` (for a one-line block,
    /// its attribute); a file's from its start to the end of its last structure's line.
    pub(crate) span: Span,
}

impl Body {
    /// The structures in source order.
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, Structure> {
        self.structures.iter()
    }
}

/// One item of a body.
#[derive(Debug, Clone)]
pub(crate) enum Structure {
    Attribute(Attribute),
    Block(Block),
}

impl Structure {
    /// From its name to the end of its value or closing brace.
    pub(crate) fn span(&self) -> Span {
        match self {
            Structure::Attribute(attr) => attr.span,
            Structure::Block(block) => block.span,
        }
    }
}

/// An identifier or a block label, and where it is written.
#[derive(Debug, Clone)]
pub(crate) struct Name {
    pub(crate) text: String,
    pub(crate) span: Span,
}

impl Name {
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }
}

/// `key = value`.
#[derive(Debug, Clone)]
pub(crate) struct Attribute {
    pub(crate) key: Name,
    pub(crate) value: Spanned<HclValue>,
    /// When the value is a heredoc, how it was written.
    pub(crate) heredoc: Option<Heredoc>,
    pub(crate) span: Span,
}

/// How a heredoc value was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Heredoc {
    /// For `<<-`, the whitespace (in characters) taken from the start of each line.
    pub(crate) indent: Option<usize>,
}

/// `ident label… { body }`.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub(crate) ident: Name,
    pub(crate) labels: Vec<Name>,
    pub(crate) body: Body,
    pub(crate) span: Span,
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
    /// A template holding `${…}` or `%{…}`: the byte offset of the first one.
    Interpolated {
        first: usize,
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

    fn attribute(text: &str) -> Spanned<HclValue> {
        let body = parse_hcl_body(text).unwrap_or_else(|e| panic!("{}", e.message));
        match body.iter().next() {
            Some(Structure::Attribute(attr)) => attr.value.clone(),
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
        assert_eq!(first, 7);
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
    fn a_for_without_in_is_refused_where_in_belongs() {
        let error = |text: &str| parse_hcl_body(text).err().map(|e| (e.offset, e.message));
        assert_eq!(
            error("a = [for x y : x]"),
            Some((11, "expected `in` in the `for` expression".to_string()))
        );
        assert_eq!(
            error("a = \"%{ for k, v m }x%{ endfor }\""),
            Some((17, "expected `in` in the `for` directive".to_string()))
        );
        assert!(parse_hcl_body("a = \"%{ for k, v in m }x%{ endfor }\"").is_ok());
    }

    #[test]
    fn many_attributes_and_object_keys_are_checked_for_repeats() {
        // Checked through sets: a scan per item made 100,000 attributes take 8 s.
        let attributes: String = (0..50_000).map(|i| format!("a{i} = {i}\n")).collect();
        assert_eq!(
            parse_hcl_body(&attributes).map(|b| b.iter().count()).ok(),
            Some(50_000)
        );
        let repeated = format!("{attributes}a7 = 1\n");
        let error = parse_hcl_body(&repeated).err().map(|e| e.message);
        assert_eq!(error.as_deref(), Some("the attribute `a7` is set twice"));
        let keys: String = (0..50_000).map(|i| format!("k{i} = 1, ")).collect();
        let walked = attribute(&format!("o = {{{keys}}}\n"));
        assert!(matches!(walked.value, HclValue::Object(entries) if entries.len() == 50_000));
        let error = parse_hcl_body(&format!("o = {{{keys}k3 = 2}}\n"))
            .err()
            .map(|e| e.message);
        assert_eq!(
            error.as_deref(),
            Some("the key `k3` is set twice in this object")
        );
    }

    #[test]
    fn deep_nesting_is_refused_where_it_starts() {
        let text = format!("a = {}", "[".repeat(MAX_HCL_NESTING + 1));
        let error = parse_hcl_body(&text).err();
        assert_eq!(error.map(|e| e.offset), Some(4 + MAX_HCL_NESTING));
    }
}
