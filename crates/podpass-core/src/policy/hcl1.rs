//! HCL1, the dialect Vault and OpenBao read policies in (hashicorp/hcl v1), read into the policy
//! syntax tree.
//!
//! The dialect is Vault's, so the reader is ours: HCL2 (what the Rust HCL crates read) differs
//! from it where policies meet it. In HCL1 newlines mean nothing (`path "a" { capabilities =
//! ["read"]` may close on the next line), `${…}` and `$${…}` are plain text, strings take Go's
//! escapes (`\x41`, `\101`, `\a`), items may be separated by commas, and a value must be a
//! literal: a bare word is a syntax error, not a variable. The error messages are HCL1's.

use super::syntax::{Entry, Node, SyntaxError};
use crate::diagnostic::{Span, Spanned};
use crate::nesting::TooDeep;

/// Reads the top level of an HCL1 policy.
pub(crate) fn parse(text: &str) -> Result<Vec<Entry>, SyntaxError> {
    if let Some(too_deep) = TooDeep::find(text) {
        return Err(SyntaxError {
            offset: too_deep.offset,
            detail: too_deep.message(),
        });
    }
    let mut reader = Reader {
        scanner: Scanner { text, at: 0 },
        peeked: None,
    };
    reader.items(false)
}

/// A token, with HCL1's names for messages.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Ident(String),
    /// A quoted string or a heredoc, unquoted.
    Str {
        value: String,
        heredoc: bool,
    },
    Number {
        value: serde_json::Number,
        float: bool,
    },
    Bool(bool),
    Assign,
    LBrace,
    RBrace,
    LBrack,
    RBrack,
    Comma,
    /// `.`, `+` or `-` on their own: tokens HCL1 knows but no policy position takes.
    Operator(char),
    Eof,
}

impl Kind {
    fn name(&self) -> &'static str {
        match self {
            Kind::Ident(_) => "IDENT",
            Kind::Str { heredoc: false, .. } => "STRING",
            Kind::Str { heredoc: true, .. } => "HEREDOC",
            Kind::Number { float: false, .. } => "NUMBER",
            Kind::Number { float: true, .. } => "FLOAT",
            Kind::Bool(_) => "BOOL",
            Kind::Assign => "ASSIGN",
            Kind::LBrace => "LBRACE",
            Kind::RBrace => "RBRACE",
            Kind::LBrack => "LBRACK",
            Kind::RBrack => "RBRACK",
            Kind::Comma => "COMMA",
            Kind::Operator('.') => "PERIOD",
            Kind::Operator('+') => "ADD",
            Kind::Operator(_) => "SUB",
            Kind::Eof => "EOF",
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    span: Span,
}

fn error(offset: usize, detail: impl Into<String>) -> SyntaxError {
    SyntaxError {
        offset,
        detail: detail.into(),
    }
}

/// Text to tokens, skipping blanks and comments (`#`, `//`, `/* */`).
struct Scanner<'t> {
    text: &'t str,
    at: usize,
}

impl Scanner<'_> {
    fn peek_char(&self) -> Option<char> {
        self.text[self.at..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek_char()?;
        self.at += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, expected: char) -> bool {
        let found = self.peek_char() == Some(expected);
        if found {
            self.at += expected.len_utf8();
        }
        found
    }

    fn next(&mut self) -> Result<Token, SyntaxError> {
        self.skip_blanks_and_comments()?;
        let start = self.at;
        let Some(c) = self.bump() else {
            return Ok(Token {
                kind: Kind::Eof,
                span: Span::at(start),
            });
        };
        let kind = match c {
            '=' => Kind::Assign,
            '{' => Kind::LBrace,
            '}' => Kind::RBrace,
            '[' => Kind::LBrack,
            ']' => Kind::RBrack,
            ',' => Kind::Comma,
            '"' => Kind::Str {
                value: self.string(start)?,
                heredoc: false,
            },
            '<' if self.eat('<') => Kind::Str {
                value: self.heredoc(start)?,
                heredoc: true,
            },
            '-' if self.peek_char().is_some_and(|c| c.is_ascii_digit()) => self.number(start)?,
            '.' | '+' | '-' => Kind::Operator(c),
            c if c.is_ascii_digit() => self.number(start)?,
            c if is_ident_start(c) => {
                while self.peek_char().is_some_and(is_ident_char) {
                    self.bump();
                }
                match &self.text[start..self.at] {
                    "true" => Kind::Bool(true),
                    "false" => Kind::Bool(false),
                    word => Kind::Ident(word.to_string()),
                }
            }
            _ => return Err(error(start, "illegal char")),
        };
        Ok(Token {
            kind,
            span: Span::new(start, self.at),
        })
    }

    fn skip_blanks_and_comments(&mut self) -> Result<(), SyntaxError> {
        loop {
            match self.peek_char() {
                Some(' ' | '\t' | '\n' | '\r') => {
                    self.bump();
                }
                Some('#') => self.skip_line(),
                Some('/') => {
                    let start = self.at;
                    self.bump();
                    if self.eat('/') {
                        self.skip_line();
                    } else if self.eat('*') {
                        let Some(end) = self.text[self.at..].find("*/") else {
                            return Err(error(start, "comment not terminated"));
                        };
                        self.at += end + 2;
                    } else {
                        return Err(error(start, "expected '/' for comment"));
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn skip_line(&mut self) {
        self.at = self.text[self.at..]
            .find('\n')
            .map_or(self.text.len(), |end| self.at + end);
    }

    /// A quoted string after its opening `"`, unquoted. Inside `${…}` (braces counted) quotes do
    /// not end it and escapes are kept as written, as HCL1 hands interpolations on unread.
    fn string(&mut self, start: usize) -> Result<String, SyntaxError> {
        let mut bytes = Vec::new();
        let mut braces = 0usize;
        loop {
            let at = self.at;
            let c = match self.bump() {
                Some('\n') if braces == 0 => return Err(error(at, "literal not terminated")),
                None => return Err(error(start, "literal not terminated")),
                Some(c) => c,
            };
            match c {
                '"' if braces == 0 => break,
                '$' if braces == 0 && self.peek_char() == Some('{') => {
                    self.bump();
                    braces = 1;
                    bytes.extend_from_slice(b"${");
                }
                '\\' if braces == 0 => self.escape(at, &mut bytes)?,
                '\\' => {
                    // Checked like any escape, kept as written.
                    let from = self.at;
                    self.escape(at, &mut Vec::new())?;
                    bytes.push(b'\\');
                    bytes.extend_from_slice(&self.text.as_bytes()[from..self.at]);
                }
                c => {
                    if braces > 0 {
                        match c {
                            '{' => braces += 1,
                            '}' => braces -= 1,
                            _ => {}
                        }
                    }
                    let mut buffer = [0u8; 4];
                    bytes.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
                }
            }
        }
        // `\x` and octal escapes write bytes, which need not form UTF-8 (Go's strings do not
        // have to); a policy path or capability holding such bytes matches nothing real anyway.
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// One escape after its `\`, written into `out`: Go's (and HCL1's) set, `'` excluded.
    fn escape(&mut self, at: usize, out: &mut Vec<u8>) -> Result<(), SyntaxError> {
        let illegal = || error(at, "illegal char escape");
        let simple = match self.bump().ok_or_else(illegal)? {
            'a' => 0x07,
            'b' => 0x08,
            'f' => 0x0c,
            'n' => b'\n',
            'r' => b'\r',
            't' => b'\t',
            'v' => 0x0b,
            '\\' => b'\\',
            '"' => b'"',
            c @ '0'..='7' => {
                let value = self.digits(u32::from(c) - u32::from('0'), 8, 2, at)?;
                out.push(u8::try_from(value).map_err(|_| error(at, "octal escape value > 255"))?);
                return Ok(());
            }
            'x' => {
                let value = self.digits(0, 16, 2, at)?;
                out.push(u8::try_from(value).map_err(|_| illegal())?);
                return Ok(());
            }
            c @ ('u' | 'U') => {
                let count = if c == 'u' { 4 } else { 8 };
                let value = self.digits(0, 16, count, at)?;
                let c = char::from_u32(value)
                    .ok_or_else(|| error(at, "escape sequence is invalid Unicode code point"))?;
                let mut buffer = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
                return Ok(());
            }
            _ => return Err(illegal()),
        };
        out.push(simple);
        Ok(())
    }

    /// `count` more digits in `radix`, after `value`.
    fn digits(
        &mut self,
        value: u32,
        radix: u32,
        count: usize,
        at: usize,
    ) -> Result<u32, SyntaxError> {
        let mut value = value;
        for _ in 0..count {
            let digit = self
                .peek_char()
                .and_then(|c| c.to_digit(radix))
                .ok_or_else(|| error(at, "illegal char escape"))?;
            self.bump();
            value = value.saturating_mul(radix).saturating_add(digit);
        }
        Ok(value)
    }

    /// `<<ANCHOR` or `<<-ANCHOR` after its `<<`: the lines up to the line holding only the
    /// anchor (which may be indented), each ending in a newline. `<<-` takes the closing line's
    /// indentation off every line when every line has it.
    fn heredoc(&mut self, start: usize) -> Result<String, SyntaxError> {
        let indented = self.eat('-');
        let anchor_start = self.at;
        while self
            .peek_char()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            self.bump();
        }
        let anchor = &self.text[anchor_start..self.at];
        if anchor.is_empty() {
            return Err(error(start, "zero-length heredoc anchor"));
        }
        self.eat('\r');
        if !self.eat('\n') {
            return Err(error(start, "invalid characters in heredoc anchor"));
        }
        let mut lines = Vec::new();
        loop {
            let rest = &self.text[self.at..];
            if rest.is_empty() {
                return Err(error(
                    start,
                    format!("heredoc not terminated: no line holds {anchor}"),
                ));
            }
            let line_end = rest.find('\n').unwrap_or(rest.len());
            let line = &rest[..line_end];
            if line.trim_start().trim_end_matches('\r') == anchor {
                let indentation = &line[..line.len() - line.trim_start().len()];
                self.at += line.trim_end_matches('\r').len();
                return Ok(heredoc_value(&lines, indented.then_some(indentation)));
            }
            lines.push(line);
            self.at += (line_end + 1).min(rest.len());
        }
    }

    /// A number: decimal, `0x` hex or `0` octal integers, or a float with a fraction or an
    /// exponent; its first character (a digit or `-`) is already read.
    fn number(&mut self, start: usize) -> Result<Kind, SyntaxError> {
        let digits = |scanner: &mut Self, hex: bool| {
            while scanner.peek_char().is_some_and(|c| {
                if hex {
                    c.is_ascii_hexdigit()
                } else {
                    c.is_ascii_digit()
                }
            }) {
                scanner.bump();
            }
        };
        let hex = self.text[start..].trim_start_matches('-').starts_with("0x")
            || self.text[start..].trim_start_matches('-').starts_with("0X");
        let mut float = false;
        if hex {
            self.at = start + self.text[start..].find(['x', 'X']).map_or(0, |x| x + 1);
            digits(self, true);
        } else {
            digits(self, false);
            if self.eat('.') {
                float = true;
                digits(self, false);
            }
            if self.eat('e') || self.eat('E') {
                float = true;
                let _ = self.eat('+') || self.eat('-');
                digits(self, false);
            }
        }
        let text = &self.text[start..self.at];
        let bad = || error(start, format!("invalid number {text}"));
        let value = if float {
            float_number(text).ok_or_else(bad)?
        } else {
            serde_json::Number::from(integer(text).ok_or_else(bad)?)
        };
        Ok(Kind::Number { value, float })
    }
}

/// An integer as Go's `strconv.ParseInt(text, 0, 64)` reads it: `0x` hex, a leading `0` octal.
fn integer(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (radix, digits) = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        (16, hex)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    let magnitude = i128::from(u64::from_str_radix(digits, radix).ok()?);
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

/// A float as Go's `strconv.ParseFloat` reads HCL1's float syntax (`01.5`, `1.`, `2.e3`),
/// through serde_json's number reader, which the engine has anyway, in JSON's stricter syntax.
fn float_number(text: &str) -> Option<serde_json::Number> {
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(e) => (&unsigned[..e], &unsigned[e..]),
        None => (unsigned, ""),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let whole = whole.trim_start_matches('0');
    let json = format!(
        "{sign}{}.{}{exponent}",
        if whole.is_empty() { "0" } else { whole },
        if fraction.is_empty() { "0" } else { fraction },
    );
    serde_json::from_slice(json.as_bytes()).ok()
}

fn heredoc_value(lines: &[&str], strip: Option<&str>) -> String {
    let strip = strip.filter(|prefix| lines.iter().all(|line| line.starts_with(prefix)));
    let mut value = String::new();
    for line in lines {
        value.push_str(strip.map_or(line, |prefix| &line[prefix.len()..]));
        value.push('\n');
    }
    value
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// Tokens to the syntax tree, with HCL1's grammar: items are keys then `=` and a value, or keys
/// then `{ … }`; a comma after an item is allowed; lists need commas between their values.
struct Reader<'t> {
    scanner: Scanner<'t>,
    peeked: Option<Token>,
}

impl Reader<'_> {
    fn next(&mut self) -> Result<Token, SyntaxError> {
        match self.peeked.take() {
            Some(token) => Ok(token),
            None => self.scanner.next(),
        }
    }

    fn peek(&mut self) -> Result<&Token, SyntaxError> {
        let token = self.next()?;
        Ok(self.peeked.insert(token))
    }

    /// Items up to the end of the text, or (`in_braces`) up to a `}` left for the caller.
    fn items(&mut self, in_braces: bool) -> Result<Vec<Entry>, SyntaxError> {
        let mut items = Vec::new();
        loop {
            let token = self.peek()?;
            match token.kind {
                Kind::Eof if in_braces => {
                    return Err(error(
                        token.span.start,
                        "object expected closing RBRACE got: EOF",
                    ));
                }
                Kind::Eof => return Ok(items),
                Kind::RBrace if in_braces => return Ok(items),
                _ => {}
            }
            items.push(self.item()?);
            if self.peek()?.kind == Kind::Comma {
                self.next()?;
            }
        }
    }

    fn item(&mut self) -> Result<Entry, SyntaxError> {
        let mut keys: Vec<Spanned<String>> = Vec::new();
        loop {
            let token = self.next()?;
            match token.kind {
                Kind::Ident(key)
                | Kind::Str {
                    value: key,
                    heredoc: false,
                } => keys.push(Spanned {
                    value: key,
                    span: token.span,
                }),
                Kind::Assign if keys.len() > 1 => {
                    return Err(error(
                        token.span.start,
                        "nested object expected: LBRACE got: ASSIGN",
                    ));
                }
                Kind::Assign => {
                    let key = keys
                        .pop()
                        .ok_or_else(|| error(token.span.start, "no object keys found!"))?;
                    return Ok(Entry {
                        key,
                        labels: Vec::new(),
                        value: self.value()?,
                        block: false,
                    });
                }
                Kind::LBrace => {
                    let mut keys = keys.into_iter();
                    let Some(key) = keys.next() else {
                        return Err(error(
                            token.span.start,
                            "expected: IDENT | STRING got: LBRACE",
                        ));
                    };
                    let body = self.object(token.span.start)?;
                    // The block's span runs from its first key, like an HCL2 block's.
                    let value = Spanned {
                        value: body.value,
                        span: Span::new(key.span.start, body.span.end),
                    };
                    return Ok(Entry {
                        key,
                        labels: keys.collect(),
                        value,
                        block: true,
                    });
                }
                other if keys.is_empty() => {
                    return Err(error(
                        token.span.start,
                        format!(
                            "expected: IDENT | STRING | ASSIGN | LBRACE got: {}",
                            other.name()
                        ),
                    ));
                }
                _ => {
                    let written: Vec<&str> = keys
                        .iter()
                        .map(|key| &self.scanner.text[key.span.start..key.span.end])
                        .collect();
                    return Err(error(
                        token.span.start,
                        format!(
                            "key '{}' expected start of object ('{{') or assignment ('=')",
                            written.join(" ")
                        ),
                    ));
                }
            }
        }
    }

    /// A value after `=`.
    fn value(&mut self) -> Result<Spanned<Node>, SyntaxError> {
        let token = self.next()?;
        let node = match token.kind {
            Kind::LBrace => return self.object(token.span.start),
            Kind::LBrack => return self.list(token.span.start),
            Kind::Ident(word) => return Err(bare_word("Unknown token: IDENT", &word, token.span)),
            other => literal(other).map_err(|kind| {
                let written = &self.scanner.text[token.span.start..token.span.end];
                error(
                    token.span.start,
                    format!("Unknown token: {} {written}", kind.name()),
                )
            })?,
        };
        Ok(Spanned {
            value: node,
            span: token.span,
        })
    }

    /// An object after its `{`, through its `}`.
    fn object(&mut self, start: usize) -> Result<Spanned<Node>, SyntaxError> {
        let items = self.items(true)?;
        let close = self.next()?;
        Ok(Spanned {
            value: Node::Object(items),
            span: Span::new(start, close.span.end),
        })
    }

    /// A list after its `[`, through its `]`.
    fn list(&mut self, start: usize) -> Result<Spanned<Node>, SyntaxError> {
        let mut items = Vec::new();
        let mut need_comma = false;
        loop {
            let token = self.next()?;
            let item = match token.kind {
                Kind::RBrack => {
                    return Ok(Spanned {
                        value: Node::List(items),
                        span: Span::new(start, token.span.end),
                    });
                }
                Kind::Comma => {
                    need_comma = false;
                    continue;
                }
                ref kind if need_comma && is_list_item(kind) => {
                    return Err(error(
                        token.span.start,
                        format!(
                            "error parsing list, expected comma or list end, got: {}",
                            kind.name()
                        ),
                    ));
                }
                Kind::LBrace => self.object(token.span.start)?,
                Kind::LBrack => self.list(token.span.start)?,
                Kind::Ident(word) => {
                    return Err(bare_word(
                        "unexpected token while parsing list: IDENT",
                        &word,
                        token.span,
                    ));
                }
                other => Spanned {
                    value: literal(other).map_err(|kind| {
                        error(
                            token.span.start,
                            format!("unexpected token while parsing list: {}", kind.name()),
                        )
                    })?,
                    span: token.span,
                },
            };
            items.push(item);
            need_comma = true;
        }
    }
}

/// A bare word where a value belongs: HCL1's message, and how to write it as a string.
fn bare_word(message: &str, word: &str, span: Span) -> SyntaxError {
    error(
        span.start,
        format!("{message} {word} (a string is written in double quotes: \"{word}\")"),
    )
}

fn is_list_item(kind: &Kind) -> bool {
    matches!(
        kind,
        Kind::Str { .. } | Kind::Number { .. } | Kind::Bool(_) | Kind::LBrace | Kind::LBrack
    )
}

/// A literal token as a value; any other token back, for the caller's message.
fn literal(kind: Kind) -> Result<Node, Kind> {
    match kind {
        Kind::Str { value, .. } => Ok(Node::Str(value)),
        Kind::Number { value, .. } => Ok(Node::Number(value)),
        Kind::Bool(b) => Ok(Node::Bool(b)),
        other => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<Entry> {
        parse(text).unwrap_or_else(|e| panic!("{text:?}: {} at {}", e.detail, e.offset))
    }

    fn refused(text: &str) -> (usize, String) {
        match parse(text) {
            Ok(entries) => panic!("{text:?} read as {entries:?}"),
            Err(e) => (e.offset, e.detail),
        }
    }

    /// The value of `a = …`.
    fn value(text: &str) -> Node {
        let mut entries = read(&format!("a = {text}"));
        assert_eq!(entries.len(), 1, "{text}");
        entries.remove(0).value.value
    }

    fn string(text: &str) -> String {
        match value(text) {
            Node::Str(s) => s,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn newlines_mean_nothing_and_commas_may_separate_items() {
        for text in [
            "path \"a\" { capabilities = [\"read\"]\n}",
            "path \"a\" {\n capabilities = [\"read\"] }",
            "path \"a\" { capabilities = [\"read\"] policy = \"write\" }",
            "path \"a\" { capabilities = [\"read\"], policy = \"write\" }, path \"b\" {}",
        ] {
            let entries = read(text);
            assert_eq!(entries[0].key.value, "path");
            assert_eq!(entries[0].labels[0].value, "a");
            assert!(entries[0].block);
        }
    }

    #[test]
    fn strings_take_go_escapes_and_keep_interpolations_as_written() {
        assert_eq!(string(r#""re\u0061d""#), "read");
        assert_eq!(
            string(r#""r\145ad \x6cist \"q\" \\ \t""#),
            "read list \"q\" \\ \t"
        );
        assert_eq!(string(r#""a${x}""#), "a${x}");
        assert_eq!(string(r#""a$${x}""#), "a$${x}");
        assert_eq!(
            string(r#""${"x"} \n ${y("\n")}""#),
            "${\"x\"} \n ${y(\"\\n\")}"
        );
        assert_eq!(string(r#""\U0001F600""#), "\u{1F600}");
    }

    #[test]
    fn heredocs_end_at_their_anchor() {
        assert_eq!(string("<<EOF\nread\nEOF\n"), "read\n");
        assert_eq!(string("<<EOF\nEOF"), "");
        assert_eq!(string("<<-EOT\n    hi\n  there\n  EOT\n"), "  hi\nthere\n");
        assert_eq!(string("<<-EOT\n  hi\nthere\n  EOT\n"), "  hi\nthere\n");
        assert_eq!(
            refused("a = <<EOF\nread\n").1,
            "heredoc not terminated: no line holds EOF"
        );
        assert_eq!(refused("a = <<\nx").1, "zero-length heredoc anchor");
    }

    #[test]
    fn numbers_are_read_as_go_reads_them() {
        let number = |text: &str| match value(text) {
            Node::Number(n) => n.to_string(),
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(number("300"), "300");
        assert_eq!(number("-5"), "-5");
        assert_eq!(number("0x10"), "16");
        assert_eq!(number("010"), "8");
        assert_eq!(number("1.5"), "1.5");
        assert_eq!(number("-1.5e1"), "-15.0");
        assert_eq!(number("1e3"), "1000.0");
        assert_eq!(number("2E-1"), "0.2");
        assert_eq!(number("01.50"), "1.5");
        assert_eq!(number("1."), "1.0");
        assert_eq!(number("2.e2"), "200.0");
        assert_eq!(number("-0.0"), "-0.0");
        assert_eq!(refused("a = 09").1, "invalid number 09");
        assert_eq!(
            refused("a = 99999999999999999999").1,
            "invalid number 99999999999999999999"
        );
        assert!(matches!(value("true"), Node::Bool(true)));
    }

    #[test]
    fn lists_need_commas_and_may_hold_objects_and_lists() {
        let Node::List(items) = value("[\"a\", 1, true, { b = 2 }, [\"c\"],]") else {
            panic!("not a list");
        };
        assert_eq!(items.len(), 5);
        assert!(matches!(items[3].value, Node::Object(_)));
        assert!(matches!(items[4].value, Node::List(_)));
        assert_eq!(
            refused("a = [\"read\" \"list\"]"),
            (
                12,
                "error parsing list, expected comma or list end, got: STRING".to_string()
            )
        );
        assert_eq!(
            refused("a = [=]").1,
            "unexpected token while parsing list: ASSIGN"
        );
        assert_eq!(
            refused("a = [").1,
            "unexpected token while parsing list: EOF"
        );
    }

    #[test]
    fn several_keys_open_a_block() {
        let entries = read("path \"a\" \"b\" { x = 1 }\nname = \"n\"\npath a {}");
        assert_eq!(entries.len(), 3);
        let labels: Vec<&str> = entries[0].labels.iter().map(|l| l.value.as_str()).collect();
        assert_eq!(labels, ["a", "b"]);
        assert_eq!(entries[0].value.span.start, 0);
        assert!(!entries[1].block);
        assert_eq!(entries[2].labels[0].value, "a");
    }

    #[test]
    fn syntax_errors_are_hcl1s_and_placed() {
        for (text, offset, detail) in [
            (
                "path \"a\" { capabilities = read }",
                26,
                "Unknown token: IDENT read (a string is written in double quotes: \"read\")",
            ),
            (
                "path \"a\" = { }",
                9,
                "nested object expected: LBRACE got: ASSIGN",
            ),
            (
                "path \"a\" { capabilities = [\"read\"] ",
                35,
                "object expected closing RBRACE got: EOF",
            ),
            (
                "path \"a\"",
                8,
                "key 'path \"a\"' expected start of object ('{') or assignment ('=')",
            ),
            (
                "path \"a\" { } }",
                13,
                "expected: IDENT | STRING | ASSIGN | LBRACE got: RBRACE",
            ),
            (
                "path \"a\" { x = [\"re\nad\"] }",
                19,
                "literal not terminated",
            ),
            ("path \"a\" { x = 1 = }", 17, "no object keys found!"),
            ("path \"a\" { x = 1 ; }", 17, "illegal char"),
            ("path \"a\" { x = [\"a\\qb\"] }", 18, "illegal char escape"),
            ("path \"a\" {} /* e ", 12, "comment not terminated"),
            ("path \"a\" {} / x", 12, "expected '/' for comment"),
            ("path \"a\" { x = - 5 }", 15, "Unknown token: SUB -"),
            ("{ }", 0, "expected: IDENT | STRING got: LBRACE"),
        ] {
            assert_eq!(refused(text), (offset, detail.to_string()), "{text}");
        }
    }

    #[test]
    fn comments_of_every_kind_are_skipped() {
        let entries = read("# a\n// b\n/* c\n d */ path \"a\" { # e\n x = 1 // f\n }");
        assert_eq!(entries.len(), 1);
        assert!(read("# only a comment").is_empty());
        assert!(read("").is_empty());
    }

    #[test]
    fn unicode_words_are_identifiers() {
        assert_eq!(
            refused("path \"a\" {} é").1,
            "key 'é' expected start of object ('{') or assignment ('=')"
        );
        assert_eq!(read("x.y-z_1 = 1")[0].key.value, "x.y-z_1");
    }

    #[test]
    fn nesting_past_the_limit_is_refused_before_reading() {
        let text = format!("a = {}", "[".repeat(40));
        assert_eq!(refused(&text).0, 4 + crate::nesting::MAX_HCL_NESTING);
    }
}
