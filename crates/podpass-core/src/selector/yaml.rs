//! The YAML a namespace selector is written in, read without a YAML library: block and flow
//! mappings and sequences, plain and quoted one-line scalars, comments. Plain scalars resolve as
//! Vault's YAML step resolves them (YAML 1.1's types, `scalar.rs`), and a mapping's repeated key
//! keeps its last value, as there. A differential test holds the reader's structure to
//! serde_yaml_ng's reading.
//!
//! YAML has much more (anchors and aliases, merge keys, tags, block scalars, scalars folded over
//! several lines, complex keys, tabs for separation). A selector needs none of it, so the reader
//! refuses those by name, with JSON as the way to write the selector instead.

use std::collections::BTreeMap;

use super::Node;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod differential;
mod scalar;

/// Why a YAML document was not read.
#[derive(Debug)]
pub(super) enum YamlError {
    /// A YAML form this reader leaves out, whether or not the text is valid YAML.
    Unsupported(&'static str),
    /// Text that is not YAML.
    Syntax(String),
}

impl YamlError {
    pub(super) fn message(&self) -> String {
        match self {
            YamlError::Unsupported(what) => format!(
                "podpass reads YAML selectors without {what}; write the selector as JSON \
                 (or as plain YAML mappings and lists)"
            ),
            YamlError::Syntax(message) => message.clone(),
        }
    }
}

type Result<T> = std::result::Result<T, YamlError>;

/// How deep mappings and sequences may nest (serde_yaml_ng's recursion limit).
const MAX_DEPTH: usize = 128;

/// libyaml's longest simple key.
const MAX_KEY_LENGTH: usize = 1024;

/// How a plain scalar gets its type. Selectors are read with YAML 1.1's types, as Vault reads
/// them; the differential test reads with serde_yaml_ng's YAML 1.2 types to compare the rest.
type Resolve = fn(String) -> Result<Node>;

/// A plain scalar written as one string that a label reads as another (`yes` as `true`).
pub(super) type Retyped = (String, String);

/// Reads one YAML document (the text between `---` lines).
pub(super) fn read(document: &str) -> Result<Node> {
    read_with(document, |text| Ok(scalar::resolve(text))).map(|(node, _)| node)
}

/// Reads one YAML document, with its plain scalars that Vault reads as other strings than the
/// ones written, in the order they are written.
pub(super) fn read_retyped(document: &str) -> Result<(Node, Vec<Retyped>)> {
    read_with(document, |text| Ok(scalar::resolve(text)))
}

fn read_with(document: &str, resolve: Resolve) -> Result<(Node, Vec<Retyped>)> {
    check_characters(document)?;
    let mut reader = Reader {
        text: document,
        at: 0,
        depth: 0,
        resolve,
        retyped: Vec::new(),
    };
    reader.skip_blank_lines();
    if reader.at_end() {
        return Ok((Node::Null, Vec::new()));
    }
    if reader.peek() == Some('%') {
        return Err(YamlError::Unsupported("directives"));
    }
    let node = reader.block_node(None)?;
    reader.skip_blank_lines();
    if !reader.at_end() {
        return Err(reader.misplaced("did not find expected <document end>"));
    }
    Ok((node, reader.retyped))
}

/// Characters the reader leaves to JSON: tabs (YAML allows them as separation in some places
/// and not others), lone carriage returns, and control characters YAML refuses; and document
/// markers.
fn check_characters(document: &str) -> Result<()> {
    let mut previous = '\n';
    for c in document.chars() {
        match c {
            '\t' => return Err(YamlError::Unsupported("tabs")),
            '\u{feff}' => return Err(YamlError::Unsupported("a byte order mark")),
            '\n' => {}
            '\r' if previous == '\r' => {
                return Err(YamlError::Unsupported("lone carriage returns"));
            }
            '\r' => {}
            c if c.is_control() || c == '\u{fffe}' || c == '\u{ffff}' => {
                return Err(YamlError::Unsupported("control characters"));
            }
            _ if previous == '\r' => return Err(YamlError::Unsupported("lone carriage returns")),
            _ => {}
        }
        previous = c;
    }
    if previous == '\r' {
        return Err(YamlError::Unsupported("lone carriage returns"));
    }
    // The selector's caller splits documents at `---` lines; any marker left is not read here.
    let marker = |line: &str| {
        ["---", "..."].iter().any(|m| {
            line.strip_prefix(m)
                .is_some_and(|after| after.is_empty() || after.starts_with([' ', '\r']))
        })
    };
    if document.split('\n').any(marker) {
        return Err(YamlError::Unsupported("document markers"));
    }
    Ok(())
}

/// A mapping being read: its entries, keys converted as Vault's YAML step converts them. A key
/// written again replaces the earlier value, as go-yaml's map does (Vault keeps one of two keys
/// that only become equal as strings, at random; podpass keeps the later).
/// The index finds a repeated key in logarithmic time: a selector may be as large as a request
/// body (32 MB), and a scan per key would take hours over one that size.
#[derive(Default)]
struct MappingBuilder {
    entries: Vec<(String, Node)>,
    index: BTreeMap<String, usize>,
}

impl MappingBuilder {
    fn insert(&mut self, key: Node, value: Node) -> Result<()> {
        let key = super::yaml_key(key).map_err(|e| YamlError::Syntax(e.to_string()))?;
        match self.index.get(&key) {
            Some(&at) => self.entries[at].1 = value,
            None => {
                self.index.insert(key.clone(), self.entries.len());
                self.entries.push((key, value));
            }
        }
        Ok(())
    }
}

/// A plain `<<` key merges another mapping into this one in YAML 1.1.
fn refuse_merge_key(key: Node) -> Result<Node> {
    match key {
        Node::Str(text) if text == "<<" => Err(YamlError::Unsupported("merge keys (`<<`)")),
        key => Ok(key),
    }
}

struct Reader<'t> {
    text: &'t str,
    at: usize,
    depth: usize,
    resolve: Resolve,
    retyped: Vec<Retyped>,
}

impl<'t> Reader<'t> {
    fn syntax(&self, message: &str) -> YamlError {
        let before = self.text.get(..self.at).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let column = before
            .rsplit('\n')
            .next()
            .unwrap_or_default()
            .chars()
            .count()
            + 1;
        YamlError::Syntax(format!("{message} at line {line} column {column}"))
    }

    /// A structural error here, unless what is here is a form the reader leaves out (then it
    /// may be valid YAML, and is refused by name).
    fn misplaced(&self, message: &str) -> YamlError {
        match self.peek() {
            Some('&' | '*' | '!') => YamlError::Unsupported("anchors, aliases and tags"),
            Some('|' | '>') => YamlError::Unsupported("block scalars (`|`, `>`)"),
            Some('?' | ':') => YamlError::Unsupported("complex keys"),
            Some('%') => YamlError::Unsupported("directives"),
            _ => self.syntax(message),
        }
    }

    fn rest(&self) -> &'t str {
        self.text.get(self.at..).unwrap_or_default()
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek_second(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }

    fn at_end(&self) -> bool {
        self.rest().is_empty()
    }

    /// The column (in characters) of the reader's place.
    fn column(&self) -> usize {
        let before = self.text.get(..self.at).unwrap_or_default();
        before
            .rsplit('\n')
            .next()
            .unwrap_or_default()
            .chars()
            .count()
    }

    fn skip_spaces(&mut self) {
        let rest = self.rest();
        self.at += rest.len() - rest.trim_start_matches(' ').len();
    }

    /// Whether the place is a line's end: nothing, a newline, or a comment.
    fn at_line_end(&self) -> bool {
        matches!(self.peek(), None | Some('\n' | '\r' | '#'))
    }

    /// Past the spaces and comment to the end of this line and its newline; anything else
    /// there is refused.
    fn end_line(&mut self) -> Result<()> {
        self.skip_spaces();
        if !self.at_line_end() {
            return Err(self.syntax("did not find expected <block end>"));
        }
        let rest = self.rest();
        self.at += rest.find('\n').map_or(rest.len(), |i| i + 1);
        Ok(())
    }

    /// Past blank and comment-only lines, to the first content character of the next line
    /// that has one (or the end).
    fn skip_blank_lines(&mut self) {
        loop {
            let line_start = self.at;
            self.skip_spaces();
            if !self.at_line_end() {
                return;
            }
            let rest = self.rest();
            match rest.find('\n') {
                Some(i) => self.at += i + 1,
                None => {
                    self.at = self.text.len();
                    return;
                }
            }
            if self.at == line_start {
                return;
            }
        }
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(YamlError::Syntax("recursion limit exceeded".to_string()));
        }
        Ok(())
    }

    /// Whether a `-`, `?` or `:` here is an indicator (followed by a space or a line's end).
    fn indicator(&self, c: char) -> bool {
        self.peek() == Some(c) && matches!(self.peek_second(), None | Some(' ' | '\n' | '\r'))
    }

    /// A node in block context starting here (the first content character of its line, or
    /// after `- `); its column is its indentation. `parent` is the indentation of the block
    /// holding it (none at the top): a line indented more would continue a scalar.
    fn block_node(&mut self, parent: Option<usize>) -> Result<Node> {
        self.enter()?;
        let column = self.column();
        let node = if self.indicator('-') {
            self.block_sequence(column)
        } else if self.starts_key()? {
            self.block_mapping(column)
        } else {
            self.inline_value()
                .and_then(|node| self.end_value(node, parent))
        };
        self.depth -= 1;
        node
    }

    /// The end of a value written on one line: nothing but a comment after it, and no line
    /// below that would continue it.
    fn end_value(&mut self, node: Node, parent: Option<usize>) -> Result<Node> {
        self.end_line()?;
        self.skip_blank_lines();
        if !self.at_end() && parent.is_none_or(|parent| self.column() > parent) {
            return Err(YamlError::Unsupported("scalars over several lines"));
        }
        Ok(node)
    }

    /// Whether a mapping key (a scalar, then `:` and a space or the line's end) starts here.
    fn starts_key(&mut self) -> Result<bool> {
        let start = self.at;
        let found = match self.peek() {
            Some('"' | '\'') => {
                self.quoted()?;
                self.skip_spaces();
                self.indicator(':')
            }
            Some(c) if starts_plain(c, self.peek_second(), false) => {
                self.plain(false)?;
                self.skip_spaces();
                self.indicator(':')
            }
            _ => false,
        };
        self.at = start;
        Ok(found)
    }

    /// Entries at `column`, one per line, up to a line indented less (or a `-` at `column`
    /// that ends a mapping's value).
    fn block_mapping(&mut self, column: usize) -> Result<Node> {
        let mut mapping = MappingBuilder::default();
        loop {
            let key = self.key()?;
            let value = self.block_value(column)?;
            mapping.insert(key, value)?;
            self.skip_blank_lines();
            if self.at_end() || self.column() < column {
                break;
            }
            if self.column() > column {
                return Err(self.misplaced("mapping values are not allowed in this context"));
            }
            if self.indicator('-') {
                return Err(self.misplaced("did not find expected key"));
            }
            if !self.starts_key()? {
                return Err(self.misplaced("could not find expected ':'"));
            }
        }
        Ok(Node::Map(mapping.entries))
    }

    /// A key and its `:`.
    fn key(&mut self) -> Result<Node> {
        let start = self.at;
        let key = match self.peek() {
            Some('"' | '\'') => Node::Str(self.quoted()?),
            _ => {
                let text = self.plain(false)?;
                refuse_merge_key(self.typed(text, true)?)?
            }
        };
        if self.at - start > MAX_KEY_LENGTH {
            return Err(YamlError::Unsupported("keys longer than 1024 bytes"));
        }
        self.skip_spaces();
        if !self.indicator(':') {
            return Err(self.misplaced("could not find expected ':'"));
        }
        self.at += 1;
        Ok(key)
    }

    /// A mapping value after its `:`: on the same line, or on the lines below (indented more,
    /// or a sequence at the key's own indentation), or null.
    fn block_value(&mut self, column: usize) -> Result<Node> {
        self.skip_spaces();
        if self.at_line_end() {
            self.end_line()?;
            self.skip_blank_lines();
            if self.at_end() {
                return Ok(Node::Null);
            }
            let below = self.column();
            if below > column || (below == column && self.indicator('-')) {
                return self.block_node(Some(column));
            }
            return Ok(Node::Null);
        }
        if self.indicator('-') {
            return Err(self.syntax("block sequence entries are not allowed in this context"));
        }
        let node = self.inline_value()?;
        self.end_value(node, Some(column))
    }

    /// Items at `column`, each after `- `.
    fn block_sequence(&mut self, column: usize) -> Result<Node> {
        let mut items = Vec::new();
        loop {
            self.at += 1;
            self.skip_spaces();
            let item = if self.at_line_end() {
                self.end_line()?;
                self.skip_blank_lines();
                if !self.at_end() && self.column() > column {
                    self.block_node(Some(column))?
                } else {
                    Node::Null
                }
            } else if self.indicator('-') {
                return Err(YamlError::Unsupported(
                    "a sequence on the line of its parent's `-`",
                ));
            } else {
                self.block_node(Some(column))?
            };
            items.push(item);
            self.skip_blank_lines();
            if self.at_end() || self.column() < column {
                break;
            }
            if self.column() > column {
                return Err(self.misplaced("did not find expected '-' indicator"));
            }
            if !self.indicator('-') {
                break;
            }
        }
        Ok(Node::Seq(items))
    }

    /// A value written on one line: a flow collection, a quoted scalar or a plain scalar.
    fn inline_value(&mut self) -> Result<Node> {
        match self.peek() {
            Some('[' | '{') => self.flow_collection(),
            Some('"' | '\'') => Ok(Node::Str(self.quoted()?)),
            Some('&' | '*' | '!') => Err(YamlError::Unsupported("anchors, aliases and tags")),
            Some('|' | '>') => Err(YamlError::Unsupported("block scalars (`|`, `>`)")),
            Some(c) if starts_plain(c, self.peek_second(), false) => {
                let text = self.plain(false)?;
                let end = self.at;
                self.skip_spaces();
                if self.indicator(':') {
                    return Err(self.misplaced("mapping values are not allowed in this context"));
                }
                self.at = end;
                self.typed(text, false)
            }
            Some('?' | ':' | '-') => Err(YamlError::Unsupported("complex keys")),
            _ => Err(self.syntax("found character that cannot start any token")),
        }
    }

    /// A plain scalar's text, up to a line's end, a comment, a `: ` (and in flow context, a
    /// flow indicator); trailing spaces are not part of it.
    fn plain(&mut self, flow: bool) -> Result<String> {
        let rest = self.rest();
        let mut end = 0;
        let mut previous = ' ';
        for (i, c) in rest.char_indices() {
            let next = rest.get(i + c.len_utf8()..).and_then(|r| r.chars().next());
            let ends = match c {
                '\n' | '\r' => true,
                '#' => previous == ' ',
                ':' if flow && matches!(next, Some(',' | '?' | '[' | ']' | '{' | '}')) => {
                    self.at += i;
                    return Err(self.syntax("found unexpected ':'"));
                }
                ':' => matches!(next, None | Some(' ' | '\n' | '\r')),
                ',' | '[' | ']' | '{' | '}' => flow,
                _ => false,
            };
            if ends {
                break;
            }
            end = i + c.len_utf8();
            previous = c;
        }
        let text = rest.get(..end).unwrap_or_default().trim_end_matches(' ');
        self.at += text.len();
        Ok(text.to_string())
    }

    /// A single- or double-quoted scalar on one line.
    fn quoted(&mut self) -> Result<String> {
        let quote = self.peek().unwrap_or('"');
        self.at += 1;
        let mut text = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.syntax("found unexpected end of stream"));
            };
            self.at += c.len_utf8();
            match c {
                '\n' | '\r' => {
                    return Err(YamlError::Unsupported("quoted scalars over several lines"));
                }
                '\'' if quote == '\'' => {
                    if self.peek() == Some('\'') {
                        self.at += 1;
                        text.push('\'');
                    } else {
                        return Ok(text);
                    }
                }
                '"' if quote == '"' => return Ok(text),
                '\\' if quote == '"' => text.push(self.escape()?),
                c => text.push(c),
            }
        }
    }

    /// The character a double-quoted scalar's escape stands for (the `\` read).
    fn escape(&mut self) -> Result<char> {
        let Some(c) = self.peek() else {
            return Err(self.syntax("found unexpected end of stream"));
        };
        self.at += c.len_utf8();
        let digits = match c {
            '0' => return Ok('\0'),
            'a' => return Ok('\u{7}'),
            'b' => return Ok('\u{8}'),
            't' => return Ok('\t'),
            'n' => return Ok('\n'),
            'v' => return Ok('\u{b}'),
            'f' => return Ok('\u{c}'),
            'r' => return Ok('\r'),
            'e' => return Ok('\u{1b}'),
            ' ' => return Ok(' '),
            '"' => return Ok('"'),
            '/' => return Ok('/'),
            '\\' => return Ok('\\'),
            'N' => return Ok('\u{85}'),
            '_' => return Ok('\u{a0}'),
            'L' => return Ok('\u{2028}'),
            'P' => return Ok('\u{2029}'),
            'x' => 2,
            'u' => 4,
            'U' => 8,
            '\n' | '\r' => return Err(YamlError::Unsupported("quoted scalars over several lines")),
            _ => return Err(self.syntax("found unknown escape character")),
        };
        let hex = self.rest().get(..digits).unwrap_or_default();
        if hex.len() != digits || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.syntax("did not find expected hexdecimal number"));
        }
        self.at += digits;
        u32::from_str_radix(hex, 16)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| self.syntax("found invalid Unicode character escape code"))
    }

    // Flow collections, which may span lines.

    /// Past spaces, newlines and comments inside a flow collection.
    fn skip_flow_space(&mut self) {
        loop {
            let rest = self.rest();
            let trimmed = rest.trim_start_matches([' ', '\n', '\r']);
            self.at += rest.len() - trimmed.len();
            if trimmed.starts_with('#') {
                self.at += trimmed.find('\n').unwrap_or(trimmed.len());
            } else {
                return;
            }
        }
    }

    /// A plain scalar's typed node (a mapping key's when `key`), noting it when Vault would
    /// read it as another string.
    fn typed(&mut self, text: String, key: bool) -> Result<Node> {
        let node = (self.resolve)(text.clone())?;
        let label = if key {
            node.yaml_key_text()
        } else {
            node.yaml_label()
        };
        if !matches!(node, Node::Str(_))
            && let Some(label) = label
            && label != text
        {
            self.retyped.push((text, label));
        }
        Ok(node)
    }

    fn flow_collection(&mut self) -> Result<Node> {
        self.enter()?;
        let node = if self.peek() == Some('[') {
            self.flow_sequence()
        } else {
            self.flow_mapping()
        };
        self.depth -= 1;
        node
    }

    fn flow_sequence(&mut self) -> Result<Node> {
        self.at += 1;
        let mut items = Vec::new();
        loop {
            self.skip_flow_space();
            if self.peek() == Some(']') {
                self.at += 1;
                return Ok(Node::Seq(items));
            }
            items.push(self.flow_value()?);
            self.skip_flow_space();
            if self.peek() == Some(':') {
                return Err(YamlError::Unsupported("mappings inside flow sequences"));
            }
            match self.peek() {
                Some(',') => self.at += 1,
                Some(']') => {}
                _ => return Err(self.syntax("did not find expected ',' or ']'")),
            }
        }
    }

    fn flow_mapping(&mut self) -> Result<Node> {
        self.at += 1;
        let mut mapping = MappingBuilder::default();
        loop {
            self.skip_flow_space();
            if self.peek() == Some('}') {
                self.at += 1;
                return Ok(Node::Map(mapping.entries));
            }
            let start = self.at;
            let key = match self.peek() {
                Some('"' | '\'') => Node::Str(self.quoted()?),
                Some(c) if starts_plain(c, self.peek_second(), true) => {
                    refuse_merge_key(self.flow_plain(true)?)?
                }
                _ => return Err(YamlError::Unsupported("this flow mapping key")),
            };
            if self.at - start > MAX_KEY_LENGTH {
                return Err(YamlError::Unsupported("keys longer than 1024 bytes"));
            }
            // A key and its `:` are on one line (YAML's simple keys).
            self.skip_spaces();
            if self.peek() != Some(':') {
                return Err(YamlError::Unsupported("flow mapping entries without `: `"));
            }
            self.at += 1;
            self.skip_flow_space();
            let value = match self.peek() {
                Some(',' | '}') => Node::Null,
                _ => self.flow_value()?,
            };
            mapping.insert(key, value)?;
            self.skip_flow_space();
            match self.peek() {
                Some(',') => self.at += 1,
                Some('}') => {}
                _ => return Err(self.syntax("did not find expected ',' or '}'")),
            }
        }
    }

    fn flow_value(&mut self) -> Result<Node> {
        match self.peek() {
            Some('[' | '{') => self.flow_collection(),
            Some('"' | '\'') => Ok(Node::Str(self.quoted()?)),
            Some('&' | '*' | '!') => Err(YamlError::Unsupported("anchors, aliases and tags")),
            Some(c) if starts_plain(c, self.peek_second(), true) => self.flow_plain(false),
            Some(',') => Err(self.syntax("did not find expected node content")),
            _ => Err(YamlError::Unsupported("this flow collection entry")),
        }
    }

    /// A plain scalar inside a flow collection, on one line.
    fn flow_plain(&mut self, key: bool) -> Result<Node> {
        let text = self.plain(true)?;
        let rest = self.rest().trim_start_matches(' ');
        if rest.starts_with(['\n', '\r']) {
            let after = rest.trim_start_matches([' ', '\n', '\r']);
            if !after.starts_with([',', ']', '}', ':', '#']) && !after.is_empty() {
                return Err(YamlError::Unsupported("scalars over several lines"));
            }
        }
        self.typed(text, key)
    }
}

/// Whether a plain scalar may start with `c` (then `next`): not with an indicator, except `-`
/// (and, outside flow collections, `?` and `:`) before a character that is not a space.
fn starts_plain(c: char, next: Option<char>, flow: bool) -> bool {
    match c {
        ',' | '[' | ']' | '{' | '}' | '#' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%'
        | '@' | '`' | ' ' | '\n' | '\r' => false,
        '-' | '?' | ':' => !matches!(next, None | Some(' ' | '\n' | '\r')) && (c == '-' || !flow),
        _ => true,
    }
}
