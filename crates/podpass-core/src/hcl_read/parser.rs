//! The HCL2 native syntax, read into [`Body`]: structures with their places, expressions walked
//! into [`HclValue`]s as they are read.
//!
//! It reads what hcl-edit reads where podpass.hcl and test files meet it (the same newline
//! rules, one-line blocks, heredocs and their `<<-` indentation, number forms, escapes and
//! identifiers), and names everything it does not evaluate (calls, variables, operations,
//! traversals, `for`, templates) for the reader to accept or refuse. It refuses an attribute or
//! object key given twice, as hcl-edit does, and nesting that brackets alone do not bound.

use std::collections::BTreeSet;

use super::{Attribute, Block, Body, HclError, HclValue, Heredoc, Name, Structure};
use crate::diagnostic::{Span, Spanned};

/// How deep expressions may nest through operators (`- - - x`, `a ? b ? …`) that brackets do
/// not count; brackets are bounded before parsing by [`crate::nesting::TooDeep`].
const MAX_EXPRESSION_DEPTH: usize = 64;

type Result<T> = std::result::Result<T, HclError>;

/// Reads a whole text as a body.
pub(super) fn parse(text: &str) -> Result<Body> {
    let mut parser = Parser {
        text,
        at: 0,
        depth: 0,
        last_heredoc: None,
    };
    let body = parser.body()?;
    parser.skip_ws()?;
    match parser.peek() {
        None => Ok(body),
        Some(_) => Err(parser.error(
            parser.at,
            "expected an attribute (`name = value`) or a block (`name { … }`)",
        )),
    }
}

/// Whether HCL starts an identifier with `c` (Unicode XID start, or `_`).
fn is_id_start(c: char) -> bool {
    c == '_' || unicode_ident::is_xid_start(c)
}

/// Whether HCL continues an identifier with `c` (Unicode XID continue, or `-`).
fn is_id_continue(c: char) -> bool {
    c == '-' || unicode_ident::is_xid_continue(c)
}

struct Parser<'t> {
    text: &'t str,
    at: usize,
    depth: usize,
    /// The last heredoc read: where it starts, and how it was indented.
    last_heredoc: Option<(usize, Heredoc)>,
}

impl Parser<'_> {
    fn error(&self, at: usize, message: impl Into<String>) -> HclError {
        HclError {
            offset: at,
            message: message.into(),
        }
    }

    fn rest(&self) -> &str {
        self.text.get(self.at..).unwrap_or_default()
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn looking_at(&self, prefix: &str) -> bool {
        self.rest().starts_with(prefix)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, prefix: &str) -> bool {
        let found = self.looking_at(prefix);
        if found {
            self.at += prefix.len();
        }
        found
    }

    fn expect(&mut self, c: char, message: &str) -> Result<()> {
        if self.peek() == Some(c) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(self.at, message))
        }
    }

    // Trivia.

    /// Spaces, tabs and `/* … */` comments: what may sit between tokens on one line.
    fn skip_sp(&mut self) -> Result<()> {
        loop {
            let rest = self.rest();
            let spaces = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            self.at += spaces;
            if !self.inline_comment()? {
                return Ok(());
            }
        }
    }

    /// Whitespace, newlines and comments of every kind.
    fn skip_ws(&mut self) -> Result<()> {
        loop {
            let rest = self.rest();
            let spaces = rest.len() - rest.trim_start_matches([' ', '\t', '\r', '\n']).len();
            self.at += spaces;
            if !self.line_comment() && !self.inline_comment()? {
                return Ok(());
            }
        }
    }

    fn skip(&mut self, multiline: bool) -> Result<()> {
        if multiline {
            self.skip_ws()
        } else {
            self.skip_sp()
        }
    }

    /// A `#` or `//` comment up to (not including) the end of its line.
    fn line_comment(&mut self) -> bool {
        if !(self.looking_at("#") || self.looking_at("//")) {
            return false;
        }
        let rest = self.rest();
        let line = rest.find(['\n', '\r']).unwrap_or(rest.len());
        self.at += line;
        true
    }

    fn inline_comment(&mut self) -> Result<bool> {
        if !self.looking_at("/*") {
            return Ok(false);
        }
        match self.rest().get(2..).and_then(|r| r.find("*/")) {
            Some(end) => {
                self.at += end + 4;
                Ok(true)
            }
            None => Err(self.error(self.at, "unterminated comment: no closing `*/`")),
        }
    }

    fn line_ending(&mut self) -> bool {
        self.eat("\n") || self.eat("\r\n")
    }

    // Structures.

    /// Structures, each ending its line, up to what is not one (the end, or a `}`). The span
    /// runs from here to the end of the last structure's line, as hcl-edit's does.
    fn body(&mut self) -> Result<Body> {
        let start = self.at;
        let mut body = Body {
            structures: Vec::new(),
            span: Span::at(start),
        };
        // Looked up per attribute: a set, so a body of many attributes is not read in
        // quadratic time.
        let mut attribute_names = BTreeSet::new();
        loop {
            let before = self.at;
            self.skip_ws()?;
            if !self.peek().is_some_and(is_id_start) {
                self.at = before;
                return Ok(body);
            }
            let structure = self.structure(&mut attribute_names)?;
            self.skip_sp()?;
            self.line_comment();
            if !self.line_ending() && self.peek().is_some() {
                let what = match structure {
                    Structure::Attribute(_) => "an attribute",
                    Structure::Block(_) => "a block",
                };
                return Err(self.error(self.at, format!("expected a newline after {what}")));
            }
            body.structures.push(structure);
            body.span = Span::new(start, self.at);
        }
    }

    fn structure(&mut self, attribute_names: &mut BTreeSet<String>) -> Result<Structure> {
        let start = self.at;
        let ident = self.name()?;
        self.skip_sp()?;
        match self.peek() {
            Some('=') => {
                if !attribute_names.insert(ident.as_str().to_string()) {
                    return Err(self.error(
                        start,
                        format!("the attribute `{}` is set twice", ident.as_str()),
                    ));
                }
                self.at += 1;
                self.skip_sp()?;
                self.attribute(ident, start)
            }
            Some(c) if c == '{' || c == '"' || is_id_start(c) => {
                let labels = self.labels()?;
                let body = self.block_body(&ident)?;
                Ok(Structure::Block(Block {
                    ident,
                    labels,
                    body,
                    span: Span::new(start, self.at),
                }))
            }
            _ => Err(self.error(
                self.at,
                format!(
                    "expected `=` (an attribute) or `{{` or a label (a block) after `{}`",
                    ident.as_str()
                ),
            )),
        }
    }

    /// The value of an attribute whose `=` has been read.
    fn attribute(&mut self, key: Name, start: usize) -> Result<Structure> {
        self.last_heredoc = None;
        let value = self.expression(false)?;
        let heredoc = match self.last_heredoc.take() {
            Some((at, heredoc))
                if at == value.span.start
                    && matches!(
                        value.value,
                        HclValue::Str(_) | HclValue::Interpolated { .. }
                    ) =>
            {
                Some(heredoc)
            }
            _ => None,
        };
        Ok(Structure::Attribute(Attribute {
            key,
            value,
            heredoc,
            span: Span::new(start, self.at),
        }))
    }

    fn name(&mut self) -> Result<Name> {
        let start = self.at;
        if !self.peek().is_some_and(is_id_start) {
            return Err(self.error(start, "expected an identifier"));
        }
        let rest = self.rest();
        let length = rest
            .char_indices()
            .skip(1)
            .find(|(_, c)| !is_id_continue(*c))
            .map_or(rest.len(), |(i, _)| i);
        self.at += length;
        Ok(Name {
            text: self
                .text
                .get(start..self.at)
                .unwrap_or_default()
                .to_string(),
            span: Span::new(start, self.at),
        })
    }

    fn labels(&mut self) -> Result<Vec<Name>> {
        let mut labels = Vec::new();
        loop {
            match self.peek() {
                Some('"') => {
                    let start = self.at;
                    let text = match self.string()? {
                        HclValue::Str(text) => text,
                        _ => {
                            return Err(self.error(
                                start,
                                "a block label is a plain string: interpolation (`${…}`, \
                                 `%{…}`) is not allowed in it",
                            ));
                        }
                    };
                    labels.push(Name {
                        text,
                        span: Span::new(start, self.at),
                    });
                }
                Some(c) if is_id_start(c) => labels.push(self.name()?),
                _ => return Ok(labels),
            }
            self.skip_sp()?;
        }
    }

    /// `{`, then either structures on their own lines or one attribute on the same line, then
    /// `}`.
    fn block_body(&mut self, ident: &Name) -> Result<Body> {
        let unclosed = format!("expected `}}` to close the `{}` block", ident.as_str());
        self.expect(
            '{',
            &format!("expected `{{` to open the `{}` block", ident.as_str()),
        )?;
        let open = self.at;
        self.skip_sp()?;
        self.line_comment();
        let newline = self.at;
        let body = if self.line_ending() {
            let mut body = self.body()?;
            self.skip_ws()?;
            // From the newline after `{` to the `}`, comments and blank lines included, as
            // hcl-edit spans it: an inline policy's text is this much of the file.
            body.span = Span::new(newline, self.at);
            body
        } else {
            self.at = open;
            self.skip_sp()?;
            let mut body = Body {
                structures: Vec::new(),
                span: Span::at(self.at),
            };
            if self.peek().is_some_and(is_id_start) {
                let start = self.at;
                let key = self.name()?;
                self.skip_sp()?;
                self.expect(
                    '=',
                    "a block on one line holds one attribute: `name = value`",
                )?;
                self.skip_sp()?;
                let attribute = self.attribute(key, start)?;
                body.span = Span::new(start, self.at);
                body.structures.push(attribute);
                self.skip_sp()?;
            }
            body
        };
        self.expect('}', &unclosed)?;
        Ok(body)
    }

    // Expressions.

    /// An expression: a term, then any operators and a conditional, which are named
    /// [`HclValue::Other`]. `multiline` when inside brackets, where newlines are spaces.
    fn expression(&mut self, multiline: bool) -> Result<Spanned<HclValue>> {
        self.enter()?;
        let mut walked = self.term(multiline)?;
        loop {
            let before = self.at;
            self.skip(multiline)?;
            if self.peek() == Some('?') {
                self.at += 1;
                self.skip(multiline)?;
                self.expression(multiline)?;
                self.skip(multiline)?;
                self.expect(':', "expected `:` in the conditional `… ? … : …`")?;
                self.skip(multiline)?;
                let otherwise = self.expression(multiline)?;
                walked = other(walked.span.start, otherwise.span.end);
                break;
            }
            if self.binary_operator() {
                self.skip(multiline)?;
                let operand = self.term(multiline)?;
                walked = other(walked.span.start, operand.span.end);
            } else {
                self.at = before;
                break;
            }
        }
        self.depth -= 1;
        Ok(walked)
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_EXPRESSION_DEPTH {
            return Err(self.error(
                self.at,
                format!(
                    "expressions nest deeper than {MAX_EXPRESSION_DEPTH} levels here; no \
                     configuration needs that many"
                ),
            ));
        }
        Ok(())
    }

    /// Reads a binary operator, if one is next (`/` only where it starts no comment).
    fn binary_operator(&mut self) -> bool {
        const OPERATORS: [&str; 13] = [
            "==", "!=", "<=", ">=", "&&", "||", "<", ">", "+", "-", "*", "%", "/",
        ];
        if self.looking_at("//") || self.looking_at("/*") {
            return false;
        }
        OPERATORS.iter().any(|op| self.eat(op))
    }

    /// A term and any traversal after it (`.name`, `[index]`, splats).
    fn term(&mut self, multiline: bool) -> Result<Spanned<HclValue>> {
        let walked = self.simple_term(multiline)?;
        let before = self.at;
        self.skip(multiline)?;
        let rest = self.rest();
        if !rest.starts_with("..") && (rest.starts_with('.') || rest.starts_with('[')) {
            let start = walked.span.start;
            while self.traversal_step()? {
                let before = self.at;
                self.skip(multiline)?;
                if self.looking_at("..") || !(self.looking_at(".") || self.looking_at("[")) {
                    self.at = before;
                    break;
                }
            }
            return Ok(other(start, self.at));
        }
        self.at = before;
        Ok(walked)
    }

    fn traversal_step(&mut self) -> Result<bool> {
        if self.eat(".") {
            self.skip_ws()?;
            match self.peek() {
                Some('*') => self.at += 1,
                Some(c) if c.is_ascii_digit() => {
                    self.number()?;
                }
                Some(c) if is_id_start(c) => {
                    self.name()?;
                }
                _ => {
                    return Err(self.error(
                        self.at,
                        "expected an attribute name, an index or `*` after `.`",
                    ));
                }
            }
            return Ok(true);
        }
        if self.eat("[") {
            self.skip_ws()?;
            if !self.eat("*") {
                self.expression(true)?;
            }
            self.skip_ws()?;
            self.expect(']', "expected `]` to close the index")?;
            return Ok(true);
        }
        Ok(false)
    }

    fn simple_term(&mut self, multiline: bool) -> Result<Spanned<HclValue>> {
        let start = self.at;
        let value = match self.peek() {
            Some('"') => self.string()?,
            Some('[') => self.tuple()?,
            Some('{') => self.object()?,
            Some(c) if c.is_ascii_digit() => HclValue::Number(self.number()?),
            Some('<') if self.looking_at("<<") => self.heredoc()?,
            Some('-' | '!') => return self.unary(multiline),
            Some('(') => {
                self.at += 1;
                self.skip_ws()?;
                let inner = self.expression(true)?;
                self.skip_ws()?;
                self.expect(')', "expected `)` to close the parenthesis")?;
                return Ok(inner);
            }
            Some(c) if is_id_start(c) => self.identifier_term(multiline)?,
            _ => {
                return Err(self.error(
                    start,
                    "expected a value: a string, a number, `true`, `false`, `null`, a list \
                     `[…]`, an object `{…}` or a heredoc `<<EOF`",
                ));
            }
        };
        Ok(Spanned {
            value,
            span: Span::new(start, self.at),
        })
    }

    /// `-` before a number is part of it; otherwise `-` and `!` apply to the term after them.
    fn unary(&mut self, multiline: bool) -> Result<Spanned<HclValue>> {
        let start = self.at;
        let negation = self.bump() == Some('-');
        self.skip_sp()?;
        if negation && self.peek().is_some_and(|c| c.is_ascii_digit()) {
            let number = negate(self.number()?);
            return Ok(Spanned {
                value: HclValue::Number(number),
                span: Span::new(start, self.at),
            });
        }
        self.enter()?;
        let operand = self.term(multiline)?;
        self.depth -= 1;
        Ok(Spanned {
            value: HclValue::Unary {
                negation,
                operand: Box::new(operand),
            },
            span: Span::new(start, self.at),
        })
    }

    /// A keyword, a variable, or a function call (`name(…)`, `ns::name(…)`).
    fn identifier_term(&mut self, multiline: bool) -> Result<HclValue> {
        let ident = self.name()?;
        let before = self.at;
        self.skip(multiline)?;
        if !(self.looking_at("::") || self.looking_at("(")) {
            self.at = before;
            return Ok(match ident.as_str() {
                "null" => HclValue::Null,
                "true" => HclValue::Bool(true),
                "false" => HclValue::Bool(false),
                _ => HclValue::Variable(ident.text),
            });
        }
        let mut name = ident.text;
        let mut namespaced = false;
        while self.eat("::") {
            namespaced = true;
            self.skip(multiline)?;
            name = self.name()?.text;
            self.skip(multiline)?;
        }
        self.expect('(', "expected `(` to start the function's arguments")?;
        let args = self.arguments()?;
        Ok(HclValue::Call {
            name,
            namespaced,
            args,
        })
    }

    /// A call's arguments after `(`, up to and including `)`; a last `...` expands a list.
    fn arguments(&mut self) -> Result<Vec<Spanned<HclValue>>> {
        let mut args = Vec::new();
        loop {
            self.skip_ws()?;
            if self.eat(")") {
                return Ok(args);
            }
            args.push(self.expression(true)?);
            self.skip_ws()?;
            if self.eat("...") {
                self.skip_ws()?;
            } else if self.eat(",") {
                continue;
            }
            self.expect(')', "expected `,` or `)` after a function argument")?;
            return Ok(args);
        }
    }

    /// `[ item, … ]` or `[for …]`.
    fn tuple(&mut self) -> Result<HclValue> {
        self.at += 1;
        if self.for_expression(']')? {
            return Ok(HclValue::Other);
        }
        let mut items = Vec::new();
        loop {
            self.skip_ws()?;
            if self.eat("]") {
                return Ok(HclValue::List(items));
            }
            items.push(self.expression(true)?);
            self.skip_ws()?;
            if !self.eat(",") {
                self.skip_ws()?;
                self.expect(']', "expected `,` or `]` after a list item")?;
                return Ok(HclValue::List(items));
            }
        }
    }

    /// `{ key = value … }` (items end with a comma or a newline) or `{for …}`.
    fn object(&mut self) -> Result<HclValue> {
        self.at += 1;
        if self.for_expression('}')? {
            return Ok(HclValue::Other);
        }
        let mut entries: Vec<(Spanned<HclValue>, Spanned<HclValue>)> = Vec::new();
        let mut keys = BTreeSet::new();
        loop {
            self.skip_ws()?;
            if self.eat("}") {
                return Ok(HclValue::Object(entries));
            }
            let key = self.object_key()?;
            if let HclValue::Str(text) = &key.value
                && !keys.insert(text.clone())
            {
                return Err(self.error(
                    key.span.start,
                    format!("the key `{text}` is set twice in this object"),
                ));
            }
            self.skip_sp()?;
            if !(self.eat("=") || self.eat(":")) {
                return Err(self.error(self.at, "expected `=` or `:` after an object key"));
            }
            self.skip_sp()?;
            let value = self.expression(false)?;
            entries.push((key, value));
            self.skip_sp()?;
            self.line_comment();
            if self.looking_at("}") {
                continue;
            }
            if !(self.eat(",") || self.line_ending()) {
                return Err(self.error(
                    self.at,
                    "expected `,`, a newline or `}` after an object item",
                ));
            }
        }
    }

    /// An object key: an identifier stands for its name, anything else (a parenthesized name
    /// too) is an expression.
    fn object_key(&mut self) -> Result<Spanned<HclValue>> {
        let parenthesized = self.looking_at("(");
        let key = self.expression(false)?;
        Ok(match key.value {
            HclValue::Variable(name) if !parenthesized => Spanned {
                value: HclValue::Str(name),
                span: key.span,
            },
            _ => key,
        })
    }

    /// What follows `for` in an expression or a template directive: one or two names, `in` and
    /// the collection (`what` names the form in the error).
    fn for_head(&mut self, what: &str) -> Result<()> {
        self.name()?;
        self.skip_ws()?;
        if self.eat(",") {
            self.skip_ws()?;
            self.name()?;
            self.skip_ws()?;
        }
        if !self.eat("in") {
            return Err(self.error(self.at, format!("expected `in` in the `for` {what}")));
        }
        self.skip_ws()?;
        self.expression(true)?;
        Ok(())
    }

    /// `for a, b in collection : value [=> value] [...] [if condition]` up to `close`, if the
    /// bracket just opened holds one.
    fn for_expression(&mut self, close: char) -> Result<bool> {
        let before = self.at;
        self.skip_ws()?;
        let is_for = self.eat("for") && self.peek().is_some_and(|c| " \t#/\n".contains(c));
        if !is_for {
            self.at = before;
            return Ok(false);
        }
        self.skip_ws()?;
        self.for_head("expression")?;
        self.skip_ws()?;
        self.expect(':', "expected `:` in the `for` expression")?;
        self.skip_ws()?;
        self.expression(true)?;
        self.skip_ws()?;
        if close == '}' {
            if !self.eat("=>") {
                return Err(self.error(self.at, "expected `=>` in the object `for` expression"));
            }
            self.skip_ws()?;
            self.expression(true)?;
            self.skip_ws()?;
            self.eat("...");
            self.skip_ws()?;
        }
        if self.eat("if") {
            self.skip_ws()?;
            self.expression(true)?;
            self.skip_ws()?;
        }
        self.expect(close, "expected the `for` expression to end here")?;
        Ok(true)
    }

    /// Digits, an optional fraction and an optional exponent, as a JSON number: integral values
    /// as integers (`1.0`, `1e3`), those past `u64` as floats.
    fn number(&mut self) -> Result<serde_json::Number> {
        let start = self.at;
        self.digits();
        let mut float = false;
        let rest = self.rest();
        if rest.starts_with('.') && rest[1..].starts_with(|c: char| c.is_ascii_digit()) {
            self.at += 1;
            self.digits();
            float = true;
        }
        if self.peek().is_some_and(|c| c == 'e' || c == 'E') {
            self.at += 1;
            if !self.eat("+") {
                self.eat("-");
            }
            if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
                return Err(self.error(self.at, "expected the exponent's digits"));
            }
            self.digits();
            float = true;
        }
        let written = self.text.get(start..self.at).unwrap_or_default();
        if !float && let Ok(integer) = written.parse::<u64>() {
            return Ok(integer.into());
        }
        written
            .parse::<f64>()
            .ok()
            .and_then(number_from_f64)
            .ok_or_else(|| self.error(start, format!("the number {written} is out of range")))
    }

    fn digits(&mut self) {
        let rest = self.rest();
        self.at += rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    }

    // Templates.

    /// A quoted string: escapes read, `$${`/`%%{` as the literal characters; a `${…}` or
    /// `%{…}` makes it [`HclValue::Interpolated`].
    fn string(&mut self) -> Result<HclValue> {
        let start = self.at;
        self.at += 1;
        let mut text = String::new();
        let mut first: Option<usize> = None;
        loop {
            match self.peek() {
                None => {
                    return Err(self.error(start, "unterminated string: no closing `\"`"));
                }
                Some('"') => {
                    self.at += 1;
                    return Ok(match first {
                        Some(first) => HclValue::Interpolated { first },
                        None => HclValue::Str(text),
                    });
                }
                Some('\\') => text.push(self.escape()?),
                Some(_) => self.template_part(&mut text, &mut first)?,
            }
        }
    }

    /// What comes next in a template onto `text`: `$${`/`%%{` as the literal characters, or
    /// one character; a template sequence is skipped, where the first one starts kept.
    fn template_part(&mut self, text: &mut String, first: &mut Option<usize>) -> Result<()> {
        for (escaped, literal) in [("$${", "${"), ("%%{", "%{")] {
            if self.eat(escaped) {
                text.push_str(literal);
                return Ok(());
            }
        }
        if self.looking_at("${") || self.looking_at("%{") {
            first.get_or_insert(self.at);
            self.template_sequence()?;
        } else if let Some(c) = self.bump() {
            text.push(c);
        }
        Ok(())
    }

    /// `${ expression }` or `%{ directive }`, with their `~` strip markers.
    fn template_sequence(&mut self) -> Result<()> {
        let directive = self.looking_at("%{");
        self.at += 2;
        self.eat("~");
        self.skip_ws()?;
        if directive {
            let keyword = self.name()?;
            self.skip_ws()?;
            match keyword.as_str() {
                "if" => {
                    self.expression(true)?;
                }
                "for" => self.for_head("directive")?,
                "else" | "endif" | "endfor" => {}
                other => {
                    return Err(self.error(
                        keyword.span.start,
                        format!("unknown template directive `{other}`"),
                    ));
                }
            }
        } else {
            self.expression(true)?;
        }
        self.skip_ws()?;
        self.eat("~");
        self.expect('}', "expected `}` to close the template sequence")?;
        Ok(())
    }

    /// A backslash escape in a quoted string.
    fn escape(&mut self) -> Result<char> {
        let start = self.at;
        self.at += 1;
        let hex_digits = match self.bump() {
            Some('n') => return Ok('\n'),
            Some('r') => return Ok('\r'),
            Some('t') => return Ok('\t'),
            Some('\\') => return Ok('\\'),
            Some('"') => return Ok('"'),
            Some('u') => 4,
            Some('U') => 8,
            _ => {
                return Err(self.error(
                    start,
                    "invalid escape: HCL strings take \\n, \\r, \\t, \\\", \\\\, \\uNNNN and \
                     \\UNNNNNNNN",
                ));
            }
        };
        let hex = self.rest().get(..hex_digits).unwrap_or_default();
        let c = (hex.len() == hex_digits && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| u32::from_str_radix(hex, 16).ok())
            .flatten()
            .and_then(char::from_u32)
            .ok_or_else(|| {
                self.error(
                    start,
                    format!("invalid escape: {hex_digits} hex digits of a Unicode character"),
                )
            })?;
        self.at += hex_digits;
        Ok(c)
    }

    /// `<<ID` or `<<-ID`, a newline, lines, and a line holding `ID` (after spaces). `<<-`
    /// strips the lines' common leading whitespace.
    fn heredoc(&mut self) -> Result<HclValue> {
        let start = self.at;
        self.at += 2;
        let indented = self.eat("-");
        let delimiter = self.name()?.text;
        if !self.line_ending() {
            return Err(self.error(self.at, "expected a newline after the heredoc's opening"));
        }
        let content_start = self.at;
        let mut text = String::new();
        let mut first: Option<usize> = None;
        // Template sequences are read as they come (one may span lines); the closing line is
        // looked for at the start of each line of literal text.
        let mut line_start = true;
        while !(line_start && self.closes_heredoc(&delimiter)) {
            if self.peek().is_none() {
                return Err(self.error(
                    content_start,
                    format!("unterminated heredoc: no line holding `{delimiter}`"),
                ));
            }
            let length = text.len();
            self.template_part(&mut text, &mut first)?;
            line_start = text.len() > length && text.ends_with('\n');
        }
        let content = self.text.get(content_start..self.at).unwrap_or_default();
        // Past the closing line's spaces and delimiter.
        let closing = self.rest();
        let spaces = closing.len() - closing.trim_start_matches([' ', '\t']).len();
        self.at += spaces + delimiter.len();
        if let Some(first) = first {
            self.last_heredoc = Some((start, Heredoc { indent: None }));
            return Ok(HclValue::Interpolated { first });
        }
        let indent = if indented {
            common_indent(content)
        } else {
            None
        };
        if let Some(indent) = indent {
            text = dedent(&text, indent);
        }
        self.last_heredoc = Some((start, Heredoc { indent }));
        Ok(HclValue::Str(text))
    }

    /// Whether this line closes a heredoc: spaces, `delimiter`, and no identifier character.
    fn closes_heredoc(&self, delimiter: &str) -> bool {
        let line = self.rest().trim_start_matches([' ', '\t']);
        line.strip_prefix(delimiter)
            .is_some_and(|after| !after.chars().next().is_some_and(is_id_continue))
    }
}

/// `-number`, as HCL negates: integers stay integers while they fit `i64`; past that, and for
/// fractions, a float as it is.
fn negate(number: serde_json::Number) -> serde_json::Number {
    let negated = match number.as_u64() {
        Some(0) => return number,
        Some(positive) => match 0i64.checked_sub_unsigned(positive) {
            Some(negative) => return negative.into(),
            #[allow(clippy::cast_precision_loss)]
            None => -(positive as f64),
        },
        None => -number.as_f64().unwrap_or_default(),
    };
    serde_json::Number::from_f64(negated).unwrap_or(number)
}

/// A finite float as HCL keeps it: integral values in range as integers.
fn number_from_f64(f: f64) -> Option<serde_json::Number> {
    const I64_MIN: f64 = -9_223_372_036_854_775_808.0;
    const U64_MAX_EXCLUSIVE: f64 = 18_446_744_073_709_551_616.0;
    if !f.is_finite() {
        return None;
    }
    let integral = f.fract() == 0.0;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some(if integral && (I64_MIN..0.0).contains(&f) {
        (f as i64).into()
    } else if integral && (0.0..U64_MAX_EXCLUSIVE).contains(&f) {
        (f as u64).into()
    } else {
        serde_json::Number::from_f64(f)?
    })
}

/// A span covering an expression podpass does not evaluate.
fn other(start: usize, end: usize) -> Spanned<HclValue> {
    Spanned {
        value: HclValue::Other,
        span: Span::new(start, end),
    }
}

/// The whitespace `<<-` strips: the least leading whitespace (in characters) of the content's
/// non-empty lines, none when a line starts without any.
fn common_indent(content: &str) -> Option<usize> {
    content
        .lines()
        .filter(|line| !line.is_empty())
        .map(|line| line.chars().take_while(|c| c.is_whitespace()).count())
        .try_fold(usize::MAX, |least, leading| {
            (leading > 0).then_some(least.min(leading))
        })
        .filter(|&least| least != usize::MAX)
}

/// `text` with `indent` characters taken from the start of each non-empty line; lines end
/// with `\n`, and the last one only if it did.
fn dedent(text: &str, indent: usize) -> String {
    let mut dedented = String::with_capacity(text.len());
    for line in text.lines() {
        dedented.extend(line.chars().skip(indent));
        dedented.push('\n');
    }
    if !text.ends_with('\n') {
        dedented.pop();
    }
    dedented
}
