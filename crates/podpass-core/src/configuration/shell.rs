//! A small POSIX-ish shell lexer for pasted tutorial commands: quotes, escapes, `\` line
//! continuations, comments, `$ ` prompts, `;`/`&&`/`||`/`|` lists, redirections and
//! here-documents (`<<EOF`, `<<'EOF'`, `<<"EOF"`, `<<-EOF`, `<<<word`).
//!
//! It does not run anything: `$VAR`/`${VAR}` become [`Part::Var`] (expanded later from the
//! variables the script set), and command substitutions, arithmetic and special parameters become
//! [`Part::Opaque`], which the caller reports as "cannot be evaluated offline". Word splitting of
//! expansions, globbing and tilde expansion are not done: tutorial commands quote what matters.
//!
//! The lexer works on characters (not bytes), so arbitrary input never splits a UTF-8 sequence.

use std::collections::BTreeMap;

use crate::diagnostic::{LineIndex, Location};

/// One piece of a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Part {
    /// Literal text (quotes and escapes already removed).
    Lit(String),
    /// `$NAME` or `${NAME}`.
    Var(String),
    /// `$(…)`, `` `…` ``, `$((…))`, `${X:-y}`, `$1`, `$?`, …: text that only a running shell knows.
    Opaque(String),
}

/// A shell word: its parts and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Word {
    pub(super) parts: Vec<Part>,
    /// Character index of the word's first character.
    pub(super) start: usize,
    /// Whether any part was quoted or escaped (a quoted here-document delimiter disables
    /// expansion in the body).
    pub(super) quoted: bool,
}

impl Word {
    /// The word's text when it is all literal.
    pub(super) fn literal(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Lit(text) => out.push_str(text),
                _ => return None,
            }
        }
        Some(out)
    }

    /// The word as written, with expansions shown in their `$` form (for messages).
    pub(super) fn display(&self) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Lit(text) => out.push_str(text),
                Part::Var(name) => {
                    out.push('$');
                    out.push_str(name);
                }
                Part::Opaque(text) => out.push_str(text),
            }
        }
        out
    }
}

/// A redirection of a simple command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Redirect {
    /// `<<DELIM` … `DELIM`: the body, with its first line's 1-based line number.
    Heredoc {
        /// The body, with `<<-`'s leading tabs removed; unexpanded.
        body: String,
        /// Whether `$` and `` ` `` in the body are expanded (the delimiter was not quoted).
        expand: bool,
        /// Line of the body's first line.
        body_line: u32,
        /// Where the `<<` is.
        at: usize,
    },
    /// `<<<word`: the word plus a newline.
    HereString(Word),
    /// `< file`.
    Input(Word),
    /// `>`, `>>`, `>&`, …: output, irrelevant here.
    Output,
}

/// How a simple command is joined to the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Joint {
    /// The first command of its line.
    First,
    /// After `|`: its standard input is the previous command's output.
    Pipe,
    /// After `;`, `&`, `&&`, `||`, `(` or `)`.
    List,
}

/// One simple command: words and redirections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Simple {
    pub(super) words: Vec<Word>,
    pub(super) redirects: Vec<Redirect>,
    pub(super) joint: Joint,
    /// Character index of the command's start.
    pub(super) start: usize,
    /// Character index just after its last word or redirection (here-document bodies are
    /// outside).
    pub(super) end: usize,
}

/// A syntax error: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LexError {
    pub(super) at: usize,
    pub(super) message: String,
}

/// Lexes a script one logical line (a command list up to an unquoted newline, plus its
/// here-document bodies) at a time.
pub(super) struct Lexer {
    chars: Vec<char>,
    pos: usize,
    /// The normalised script, for lines and columns.
    lines: LineIndex<'static>,
    /// The byte offset in it of each character index, and of the end.
    offsets: Vec<usize>,
}

/// A here-document waiting for its body: which command and redirect it belongs to.
struct Pending {
    command: usize,
    redirect: usize,
    delimiter: String,
    strip_tabs: bool,
    at: usize,
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r')
}

fn is_operator(c: char) -> bool {
    matches!(c, ';' | '&' | '|' | '<' | '>' | '(' | ')')
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Whether `text` is a shell variable name.
pub(super) fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(is_name_start) && chars.all(is_name_char)
}

impl Lexer {
    pub(super) fn new(text: &str) -> Lexer {
        // CRLF input (pasted from Windows) behaves like LF; lone CRs are blanks.
        let text = text.replace("\r\n", "\n");
        let chars: Vec<char> = text.chars().collect();
        let mut offsets: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        offsets.push(text.len());
        Lexer {
            chars,
            pos: 0,
            lines: LineIndex::owned(text),
            offsets,
        }
    }

    /// The byte offset of a character index (the end for indexes past it).
    fn offset(&self, index: usize) -> usize {
        self.offsets
            .get(index)
            .or(self.offsets.last())
            .copied()
            .unwrap_or(0)
    }

    /// 1-based line and column of a character index.
    pub(super) fn position(&self, index: usize) -> (u32, u32) {
        let at = self.lines.location(self.offset(index));
        (at.line, at.column)
    }

    /// The text of the physical line holding `index`, trimmed.
    pub(super) fn line_text(&self, index: usize) -> String {
        let line = self.lines.location(self.offset(index)).line;
        self.lines.line(line).unwrap_or("").trim().to_string()
    }

    /// The source text of `start..end` as written, continuations joined, for messages.
    pub(super) fn raw(&self, start: usize, end: usize) -> String {
        let end = end.min(self.chars.len());
        let text: String = self
            .chars
            .get(start..end.max(start))
            .unwrap_or(&[])
            .iter()
            .collect();
        let mut out = String::with_capacity(text.len());
        let mut pieces = text.split("\\\n");
        if let Some(first) = pieces.next() {
            out.push_str(first.trim_end());
        }
        for piece in pieces {
            out.push(' ');
            out.push_str(piece.trim());
        }
        out.trim().to_string()
    }

    /// The character at `index`.
    pub(super) fn char_at(&self, index: usize) -> Option<char> {
        self.chars.get(index).copied()
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn error(&self, at: usize, message: impl Into<String>) -> LexError {
        LexError {
            at,
            message: message.into(),
        }
    }

    /// Moves to the start of the physical line after the one holding `index` (error recovery for
    /// lines that are not shell at all, such as pasted output).
    pub(super) fn skip_line_of(&mut self, index: usize) {
        let line = self.lines.location(self.offset(index)).line;
        let next = self
            .lines
            .offset(Location::new(line.saturating_add(1), 1))
            .unwrap_or(self.lines.text().len());
        self.pos = self.offsets.partition_point(|&o| o < next);
    }

    /// Index where the next logical line starts (after blanks, blank lines and comments), and
    /// whether the input is exhausted.
    fn skip_to_command(&mut self) -> bool {
        loop {
            match self.peek() {
                Some(c) if is_blank(c) || c == '\n' => self.pos += 1,
                Some('#') => self.skip_comment(),
                Some('\\') if self.peek_at(1) == Some('\n') => self.pos += 2,
                Some(_) => return true,
                None => return false,
            }
        }
    }

    fn skip_comment(&mut self) {
        while let Some(c) = self.peek() {
            if c == '\n' {
                break;
            }
            self.pos += 1;
        }
    }

    /// Skips a `$ ` prompt at the start of a logical line.
    fn skip_prompt(&mut self) {
        if self.peek() == Some('$') && matches!(self.peek_at(1), Some(' ' | '\t')) {
            self.pos += 2;
            while self.peek().is_some_and(is_blank) {
                self.pos += 1;
            }
        }
    }

    /// Where the next logical line starts, or `None` at the end of the input.
    pub(super) fn next_start(&mut self) -> Option<usize> {
        self.skip_to_command().then_some(self.pos)
    }

    /// The next logical line: its simple commands, here-document bodies filled in.
    pub(super) fn next_line(&mut self) -> Option<Result<Vec<Simple>, LexError>> {
        if !self.skip_to_command() {
            return None;
        }
        self.skip_prompt();
        Some(self.line())
    }

    fn line(&mut self) -> Result<Vec<Simple>, LexError> {
        let mut commands: Vec<Simple> = Vec::new();
        let mut pending: Vec<Pending> = Vec::new();
        let mut current = Simple {
            words: Vec::new(),
            redirects: Vec::new(),
            joint: Joint::First,
            start: self.pos,
            end: self.pos,
        };
        let finish = |commands: &mut Vec<Simple>, current: &mut Simple, joint: Joint, pos| {
            let done = std::mem::replace(
                current,
                Simple {
                    words: Vec::new(),
                    redirects: Vec::new(),
                    joint,
                    start: pos,
                    end: pos,
                },
            );
            if !done.words.is_empty() || !done.redirects.is_empty() {
                commands.push(done);
            }
        };
        loop {
            while self.peek().is_some_and(is_blank)
                || (self.peek() == Some('\\') && self.peek_at(1) == Some('\n'))
            {
                self.pos += if self.peek() == Some('\\') { 2 } else { 1 };
            }
            if current.words.is_empty() && current.redirects.is_empty() {
                current.start = self.pos;
            }
            let Some(c) = self.peek() else {
                break;
            };
            match c {
                '\n' => {
                    self.pos += 1;
                    break;
                }
                '#' => self.skip_comment(),
                ';' | '(' | ')' => {
                    self.pos += 1;
                    finish(&mut commands, &mut current, Joint::List, self.pos);
                }
                '&' if self.peek_at(1) == Some('>') => {
                    // `&>file`: output redirection of both streams.
                    self.pos += 2;
                    if self.peek() == Some('>') {
                        self.pos += 1;
                    }
                    self.redirect_target()?;
                    current.redirects.push(Redirect::Output);
                    current.end = self.pos;
                }
                '&' | '|' => {
                    self.pos += 1;
                    let doubled = self.peek() == Some(c);
                    if doubled {
                        self.pos += 1;
                    }
                    let joint = if c == '|' && !doubled {
                        Joint::Pipe
                    } else {
                        Joint::List
                    };
                    finish(&mut commands, &mut current, joint, self.pos);
                }
                '<' | '>' => {
                    let index = commands.len();
                    self.redirect(&mut current, &mut pending, index)?;
                    current.end = self.pos;
                }
                _ => {
                    let word = self.word()?;
                    // `2>&1`, `2>/dev/null`: a number glued to a redirection is its descriptor.
                    let is_fd = !word.quoted
                        && matches!(self.peek(), Some('<' | '>'))
                        && word.literal().is_some_and(|w| {
                            !w.is_empty() && w.chars().all(|c| c.is_ascii_digit())
                        });
                    if !is_fd {
                        current.words.push(word);
                    }
                    current.end = self.pos;
                }
            }
        }
        finish(&mut commands, &mut current, Joint::List, self.pos);
        for heredoc in pending {
            self.heredoc_body(&heredoc, &mut commands)?;
        }
        Ok(commands)
    }

    fn redirect(
        &mut self,
        current: &mut Simple,
        pending: &mut Vec<Pending>,
        command: usize,
    ) -> Result<(), LexError> {
        let at = self.pos;
        let first = self.peek();
        self.pos += 1;
        if first == Some('<') && self.peek() == Some('<') {
            self.pos += 1;
            if self.peek() == Some('<') {
                self.pos += 1;
                let word = self.redirect_target()?;
                current.redirects.push(Redirect::HereString(word));
                return Ok(());
            }
            let strip_tabs = self.peek() == Some('-');
            if strip_tabs {
                self.pos += 1;
            }
            let word = self.redirect_target()?;
            // The delimiter is the word with quotes removed; expansions stay as written.
            let delimiter = word.display();
            pending.push(Pending {
                command,
                redirect: current.redirects.len(),
                delimiter,
                strip_tabs,
                at,
            });
            current.redirects.push(Redirect::Heredoc {
                body: String::new(),
                expand: !word.quoted,
                body_line: 0,
                at,
            });
            return Ok(());
        }
        // `>>`, `>|`, `<>`, `>&`, `<&`.
        if matches!(self.peek(), Some('>' | '|' | '&')) {
            self.pos += 1;
        }
        let word = self.redirect_target()?;
        if first == Some('<') {
            current.redirects.push(Redirect::Input(word));
        } else {
            current.redirects.push(Redirect::Output);
        }
        Ok(())
    }

    fn redirect_target(&mut self) -> Result<Word, LexError> {
        while self.peek().is_some_and(is_blank) {
            self.pos += 1;
        }
        match self.peek() {
            Some(c) if c != '\n' && !is_operator(c) => self.word(),
            _ => Err(self.error(self.pos, "a redirection needs a target")),
        }
    }

    fn heredoc_body(&mut self, heredoc: &Pending, commands: &mut [Simple]) -> Result<(), LexError> {
        let body_start = self.pos;
        let mut body = String::new();
        loop {
            if self.pos >= self.chars.len() {
                return Err(self.error(
                    heredoc.at,
                    format!(
                        "here-document is not terminated: no line `{}` before the end of the input",
                        heredoc.delimiter
                    ),
                ));
            }
            let end = self.chars[self.pos..]
                .iter()
                .position(|c| *c == '\n')
                .map_or(self.chars.len(), |i| self.pos + i);
            let line: String = self.chars[self.pos..end].iter().collect();
            self.pos = (end + 1).min(self.chars.len());
            let line = if heredoc.strip_tabs {
                line.trim_start_matches('\t').to_string()
            } else {
                line
            };
            if line == heredoc.delimiter {
                break;
            }
            body.push_str(&line);
            body.push('\n');
        }
        let body_line = self.position(body_start).0;
        if let Some(Redirect::Heredoc {
            body: slot,
            body_line: line_slot,
            ..
        }) = commands
            .get_mut(heredoc.command)
            .and_then(|c| c.redirects.get_mut(heredoc.redirect))
        {
            *slot = body;
            *line_slot = body_line;
        }
        Ok(())
    }

    fn word(&mut self) -> Result<Word, LexError> {
        let start = self.pos;
        let mut parts: Vec<Part> = Vec::new();
        let mut literal = String::new();
        let mut quoted = false;
        let flush = |parts: &mut Vec<Part>, literal: &mut String| {
            if !literal.is_empty() {
                parts.push(Part::Lit(std::mem::take(literal)));
            }
        };
        while let Some(c) = self.peek() {
            match c {
                c if is_blank(c) || c == '\n' || is_operator(c) => break,
                '\\' => {
                    self.pos += 1;
                    match self.peek() {
                        Some('\n') => self.pos += 1,
                        Some(next) => {
                            literal.push(next);
                            quoted = true;
                            self.pos += 1;
                        }
                        None => literal.push('\\'),
                    }
                }
                '\'' => {
                    quoted = true;
                    let open = self.pos;
                    self.pos += 1;
                    loop {
                        match self.peek() {
                            Some('\'') => {
                                self.pos += 1;
                                break;
                            }
                            Some(ch) => {
                                literal.push(ch);
                                self.pos += 1;
                            }
                            None => {
                                return Err(self.error(open, "unterminated single quote"));
                            }
                        }
                    }
                }
                '"' => {
                    quoted = true;
                    let open = self.pos;
                    self.pos += 1;
                    loop {
                        match self.peek() {
                            Some('"') => {
                                self.pos += 1;
                                break;
                            }
                            Some('\\') => {
                                self.pos += 1;
                                match self.peek() {
                                    Some('\n') => self.pos += 1,
                                    Some(next @ ('$' | '`' | '"' | '\\')) => {
                                        literal.push(next);
                                        self.pos += 1;
                                    }
                                    _ => literal.push('\\'),
                                }
                            }
                            Some('$') => {
                                let part = self.dollar()?;
                                push_part(&mut parts, &mut literal, part);
                            }
                            Some('`') => {
                                let part = self.backtick()?;
                                push_part(&mut parts, &mut literal, part);
                            }
                            Some(ch) => {
                                literal.push(ch);
                                self.pos += 1;
                            }
                            None => {
                                return Err(self.error(open, "unterminated double quote"));
                            }
                        }
                    }
                }
                '$' => {
                    let part = self.dollar()?;
                    push_part(&mut parts, &mut literal, part);
                }
                '`' => {
                    let part = self.backtick()?;
                    push_part(&mut parts, &mut literal, part);
                }
                _ => {
                    literal.push(c);
                    self.pos += 1;
                }
            }
        }
        flush(&mut parts, &mut literal);
        Ok(Word {
            parts,
            start,
            quoted,
        })
    }

    /// After a `$`: a variable, an opaque expansion, or a literal `$`.
    fn dollar(&mut self) -> Result<Part, LexError> {
        let start = self.pos;
        self.pos += 1;
        match self.peek() {
            Some('{') => {
                self.pos += 1;
                let inner_start = self.pos;
                let mut depth = 1usize;
                while let Some(c) = self.peek() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    self.pos += 1;
                }
                if self.peek() != Some('}') {
                    return Err(self.error(start, "unterminated `${`"));
                }
                let inner: String = self.chars[inner_start..self.pos].iter().collect();
                self.pos += 1;
                if is_name(&inner) {
                    Ok(Part::Var(inner))
                } else {
                    Ok(Part::Opaque(format!("${{{inner}}}")))
                }
            }
            Some('(') => {
                self.balanced_parens(start)?;
                Ok(Part::Opaque(self.chars[start..self.pos].iter().collect()))
            }
            Some(c) if is_name_start(c) => {
                let name_start = self.pos;
                while self.peek().is_some_and(is_name_char) {
                    self.pos += 1;
                }
                Ok(Part::Var(self.chars[name_start..self.pos].iter().collect()))
            }
            Some(c) if c.is_ascii_digit() || "@*#?$!-".contains(c) => {
                self.pos += 1;
                Ok(Part::Opaque(format!("${c}")))
            }
            _ => Ok(Part::Lit("$".to_string())),
        }
    }

    /// From a `(` after `$`, past its matching `)`, skipping quoted text.
    fn balanced_parens(&mut self, start: usize) -> Result<(), LexError> {
        let mut depth = 0usize;
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                '(' => depth += 1,
                ')' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Ok(());
                    }
                }
                '\\' => self.pos += 1,
                '\'' => {
                    while let Some(q) = self.peek() {
                        self.pos += 1;
                        if q == '\'' {
                            break;
                        }
                    }
                }
                '"' => {
                    while let Some(q) = self.peek() {
                        self.pos += 1;
                        if q == '\\' {
                            self.pos += 1;
                        } else if q == '"' {
                            break;
                        }
                    }
                }
                _ => {}
            }
        }
        self.pos = self.pos.min(self.chars.len());
        Err(self.error(start, "unterminated `$(`"))
    }

    fn backtick(&mut self) -> Result<Part, LexError> {
        let start = self.pos;
        self.pos += 1;
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                '\\' => self.pos += 1,
                '`' => {
                    self.pos = self.pos.min(self.chars.len());
                    return Ok(Part::Opaque(self.chars[start..self.pos].iter().collect()));
                }
                _ => {}
            }
        }
        self.pos = self.pos.min(self.chars.len());
        Err(self.error(start, "unterminated backquote"))
    }
}

fn push_part(parts: &mut Vec<Part>, literal: &mut String, part: Part) {
    match part {
        Part::Lit(text) => literal.push_str(&text),
        other => {
            if !literal.is_empty() {
                parts.push(Part::Lit(std::mem::take(literal)));
            }
            parts.push(other);
        }
    }
}

/// The parts of an unquoted-delimiter here-document body: `$` expansions and `` ` `` are live,
/// and `\` escapes only `$`, `` ` ``, `\` and a newline.
pub(super) fn heredoc_parts(body: &str) -> Result<Vec<Part>, LexError> {
    let mut lexer = Lexer::new(body);
    let mut parts = Vec::new();
    let mut literal = String::new();
    while let Some(c) = lexer.peek() {
        match c {
            '\\' => {
                lexer.pos += 1;
                match lexer.peek() {
                    Some('\n') => lexer.pos += 1,
                    Some(next @ ('$' | '`' | '\\')) => {
                        literal.push(next);
                        lexer.pos += 1;
                    }
                    _ => literal.push('\\'),
                }
            }
            '$' => {
                let part = lexer.dollar()?;
                push_part(&mut parts, &mut literal, part);
            }
            '`' => {
                let part = lexer.backtick()?;
                push_part(&mut parts, &mut literal, part);
            }
            _ => {
                literal.push(c);
                lexer.pos += 1;
            }
        }
    }
    if !literal.is_empty() {
        parts.push(Part::Lit(literal));
    }
    Ok(parts)
}

/// A variable's value as far as an offline reader knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum VarValue {
    /// Known text.
    Known(String),
    /// Set at `line` from something only a running shell knows (`$(kubectl …)`).
    Unknown {
        /// Where it was set.
        line: u32,
        /// What made it unknown, e.g. `` `$(kubectl config view …)` ``.
        what: String,
    },
}

/// Variables set by the script so far.
pub(super) type Env = BTreeMap<String, VarValue>;

/// Why a word cannot be expanded offline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Unevaluable {
    /// The text expanded before the failure (to recover a `key=` prefix).
    pub(super) prefix: String,
    /// What could not be expanded, as a noun phrase: `` `$(kubectl …)` ``,
    /// `` `$HOST` (not set in this input) ``.
    pub(super) what: String,
}

/// Expands parts with the script's variables.
pub(super) fn expand(parts: &[Part], env: &Env) -> Result<String, Unevaluable> {
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Lit(text) => out.push_str(text),
            Part::Var(name) => match env.get(name) {
                Some(VarValue::Known(value)) => out.push_str(value),
                Some(VarValue::Unknown { line, what }) => {
                    return Err(Unevaluable {
                        prefix: out,
                        what: format!("`${name}` (set at line {line} from {what})"),
                    });
                }
                None => {
                    return Err(Unevaluable {
                        prefix: out,
                        what: format!("`${name}` (not set in this input)"),
                    });
                }
            },
            Part::Opaque(text) => {
                return Err(Unevaluable {
                    prefix: out,
                    what: format!("`{}`", shorten(text, 60)),
                });
            }
        }
    }
    Ok(out)
}

/// `text` cut to `max` characters with an ellipsis, on one line.
pub(super) fn shorten(text: &str, max: usize) -> String {
    let one_line = text.lines().next().unwrap_or("");
    let mut out: String = one_line.chars().take(max).collect();
    if one_line.chars().count() > max || text.lines().nth(1).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<Vec<Simple>> {
        let mut lexer = Lexer::new(text);
        let mut out = Vec::new();
        while let Some(line) = lexer.next_line() {
            out.push(line.expect("lexes"));
        }
        out
    }

    fn words(simple: &Simple) -> Vec<String> {
        simple.words.iter().map(Word::display).collect()
    }

    fn only(text: &str) -> Simple {
        let mut all = lines(text);
        assert_eq!(all.len(), 1, "{all:?}");
        let mut line = all.remove(0);
        assert_eq!(line.len(), 1, "{line:?}");
        line.remove(0)
    }

    #[test]
    fn splits_words_and_removes_quotes() {
        let s = only(r#"vault write auth/k/role/x a="b c" d='e "f"' g=h\ i j="\$k\"\\" l='a\b'"#);
        assert_eq!(
            words(&s),
            vec![
                "vault",
                "write",
                "auth/k/role/x",
                "a=b c",
                "d=e \"f\"",
                "g=h i",
                "j=$k\"\\",
                "l=a\\b"
            ]
        );
    }

    #[test]
    fn joins_continuations_and_skips_comments_and_prompts() {
        let text = "# setup\n$ vault write auth/k/config \\\n    a=1 \\\n    b=2 # trailing\n\n  echo done\n";
        let all = lines(text);
        assert_eq!(all.len(), 2);
        assert_eq!(
            words(&all[0][0]),
            vec!["vault", "write", "auth/k/config", "a=1", "b=2"]
        );
        assert_eq!(words(&all[1][0]), vec!["echo", "done"]);
        let lexer = Lexer::new(text);
        assert_eq!(lexer.position(all[0][0].start), (2, 3));
        assert_eq!(lexer.position(all[0][0].words[3].start), (3, 5));
        assert_eq!(lexer.position(all[1][0].start), (6, 3));
    }

    #[test]
    fn continuation_inside_a_word_and_quotes_across_lines() {
        let s = only("vault write x a=ab\\\ncd b=\"one\ntwo\" c='x\ny'");
        assert_eq!(
            words(&s),
            vec!["vault", "write", "x", "a=abcd", "b=one\ntwo", "c=x\ny"]
        );
        // Inside single quotes a backslash-newline is literal.
        let s = only("echo 'a\\\nb'");
        assert_eq!(words(&s), vec!["echo", "a\\\nb"]);
    }

    #[test]
    fn a_hash_inside_a_word_is_not_a_comment() {
        let s = only("vault write x a=b#c d='#e' # comment");
        assert_eq!(words(&s), vec!["vault", "write", "x", "a=b#c", "d=#e"]);
    }

    #[test]
    fn heredocs_of_every_kind() {
        let text = "vault policy write a - <<EOF\npath \"x\" {}\nEOF\nvault policy write b - <<'EOT'\n$HOME\nEOT\nvault policy write c - <<\"END\"\nx\nEND\nvault policy write d - <<-EOF\n\t\tindented\n\tEOF\nafter";
        let all = lines(text);
        assert_eq!(all.len(), 5);
        let heredoc = |s: &Simple| match &s.redirects[0] {
            Redirect::Heredoc {
                body,
                expand,
                body_line,
                ..
            } => (body.clone(), *expand, *body_line),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            heredoc(&all[0][0]),
            ("path \"x\" {}\n".to_string(), true, 2)
        );
        assert_eq!(heredoc(&all[1][0]), ("$HOME\n".to_string(), false, 5));
        assert_eq!(heredoc(&all[2][0]), ("x\n".to_string(), false, 8));
        assert_eq!(heredoc(&all[3][0]), ("indented\n".to_string(), true, 11));
        assert_eq!(words(&all[4][0]), vec!["after"]);
    }

    #[test]
    fn heredoc_after_a_continued_line_and_two_heredocs_on_one_line() {
        let text = "cat <<A \\\n  <<B\none\nA\ntwo\nB\nnext";
        let all = lines(text);
        assert_eq!(all.len(), 2);
        let bodies: Vec<String> = all[0][0]
            .redirects
            .iter()
            .map(|r| match r {
                Redirect::Heredoc { body, .. } => body.clone(),
                _ => String::new(),
            })
            .collect();
        assert_eq!(bodies, vec!["one\n", "two\n"]);
    }

    #[test]
    fn empty_heredoc_and_delimiter_lookalikes() {
        let all = lines("cat <<EOF\nEOF\ncat <<EOF\n EOF\nEOFX\nEOF\n");
        let body = |s: &Simple| match &s.redirects[0] {
            Redirect::Heredoc { body, .. } => body.clone(),
            _ => String::new(),
        };
        assert_eq!(body(&all[0][0]), "");
        assert_eq!(body(&all[1][0]), " EOF\nEOFX\n");
    }

    #[test]
    fn unterminated_things_are_errors_with_positions() {
        for (text, at, message) in [
            ("vault write x a='b", 16, "unterminated single quote"),
            ("vault write x a=\"b", 16, "unterminated double quote"),
            ("x $(echo", 2, "unterminated `$(`"),
            ("x ${A", 2, "unterminated `${`"),
            ("x `a", 2, "unterminated backquote"),
            ("cat <<EOF\nbody\n", 4, "here-document is not terminated"),
            ("cat <", 5, "a redirection needs a target"),
        ] {
            let mut lexer = Lexer::new(text);
            let err = lexer.next_line().expect("a line").expect_err(text);
            assert_eq!(err.at, at, "{text}");
            assert!(err.message.starts_with(message), "{text}: {}", err.message);
        }
    }

    #[test]
    fn expansions_are_parts() {
        let s = only(
            r#"x a=$A b=${B}c "d=$(kubectl get x -o 'jsonpath={.a}')" e=`date` f=$1 g=${H:-i} j=$ k=$((1+2))"#,
        );
        let parts: Vec<Vec<Part>> = s.words.iter().map(|w| w.parts.clone()).collect();
        assert_eq!(
            parts[1],
            vec![Part::Lit("a=".into()), Part::Var("A".into())]
        );
        assert_eq!(
            parts[2],
            vec![
                Part::Lit("b=".into()),
                Part::Var("B".into()),
                Part::Lit("c".into())
            ]
        );
        assert_eq!(
            parts[3],
            vec![
                Part::Lit("d=".into()),
                Part::Opaque("$(kubectl get x -o 'jsonpath={.a}')".into())
            ]
        );
        assert_eq!(
            parts[4],
            vec![Part::Lit("e=".into()), Part::Opaque("`date`".into())]
        );
        assert_eq!(
            parts[5],
            vec![Part::Lit("f=".into()), Part::Opaque("$1".into())]
        );
        assert_eq!(
            parts[6],
            vec![Part::Lit("g=".into()), Part::Opaque("${H:-i}".into())]
        );
        assert_eq!(parts[7], vec![Part::Lit("j=$".into())]);
        assert_eq!(
            parts[8],
            vec![Part::Lit("k=".into()), Part::Opaque("$((1+2))".into())]
        );
    }

    #[test]
    fn nested_substitutions_with_parens_in_quotes() {
        let s = only(
            r#"export T=$(kubectl get secret $(kubectl get sa x -o jsonpath="{.secrets[0].name}") -o ')' )"#,
        );
        assert_eq!(s.words.len(), 2);
        assert!(matches!(s.words[1].parts[1], Part::Opaque(_)));
    }

    #[test]
    fn lists_pipes_and_redirections() {
        let all = lines("a 1 && b 2 || c; d | e 2>&1 > /dev/null < in.txt &\n");
        let line = &all[0];
        let names: Vec<(String, Joint)> = line
            .iter()
            .map(|s| (s.words[0].display(), s.joint))
            .collect();
        assert_eq!(
            names,
            vec![
                ("a".into(), Joint::First),
                ("b".into(), Joint::List),
                ("c".into(), Joint::List),
                ("d".into(), Joint::List),
                ("e".into(), Joint::Pipe),
            ]
        );
        assert_eq!(line[4].redirects.len(), 3);
        assert!(matches!(&line[4].redirects[2], Redirect::Input(w) if w.display() == "in.txt"));
        assert_eq!(words(&line[4]), vec!["e"]);
    }

    #[test]
    fn here_strings() {
        let s = only("vault policy write x - <<< 'path \"a\" {}'");
        assert!(
            matches!(&s.redirects[0], Redirect::HereString(w) if w.display() == "path \"a\" {}")
        );
    }

    #[test]
    fn heredoc_bodies_expand_like_double_quotes_without_quote_removal() {
        let parts = heredoc_parts("a \"$X\" \\$Y \\n ${Z} $(date)\n").expect("parts");
        assert_eq!(
            parts,
            vec![
                Part::Lit("a \"".into()),
                Part::Var("X".into()),
                Part::Lit("\" $Y \\n ".into()),
                Part::Var("Z".into()),
                Part::Lit(" ".into()),
                Part::Opaque("$(date)".into()),
                Part::Lit("\n".into()),
            ]
        );
    }

    #[test]
    fn expansion_uses_the_environment_and_explains_failures() {
        let mut env = Env::new();
        env.insert("A".into(), VarValue::Known("1".into()));
        env.insert(
            "T".into(),
            VarValue::Unknown {
                line: 3,
                what: "`$(kubectl …)`".into(),
            },
        );
        let s = only("x k=$A${A}");
        assert_eq!(expand(&s.words[1].parts, &env), Ok("k=11".into()));
        let s = only("x k=$T");
        let err = expand(&s.words[1].parts, &env).expect_err("unknown");
        assert_eq!(err.prefix, "k=");
        assert_eq!(err.what, "`$T` (set at line 3 from `$(kubectl …)`)");
        let s = only("x k=$NOPE");
        assert_eq!(
            expand(&s.words[1].parts, &env).expect_err("unset").what,
            "`$NOPE` (not set in this input)"
        );
    }

    #[test]
    fn crlf_and_lone_prompts() {
        let all = lines("vault a \\\r\n  b\r\n$\n$ \n");
        assert_eq!(words(&all[0][0]), vec!["vault", "a", "b"]);
        assert_eq!(words(&all[1][0]), vec!["$"]);
    }

    #[test]
    fn recovery_skips_a_physical_line() {
        let mut lexer = Lexer::new("don't panic\nvault ok\n");
        let start = lexer.next_start().expect("start");
        assert!(lexer.next_line().expect("line").is_err());
        lexer.skip_line_of(start);
        let line = lexer.next_line().expect("line").expect("ok");
        assert_eq!(words(&line[0]), vec!["vault", "ok"]);
    }

    #[test]
    fn names_and_shortening() {
        assert!(is_name("K8S_HOST"));
        assert!(!is_name("8X"));
        assert!(!is_name(""));
        assert_eq!(shorten("abcdef", 3), "abc…");
        assert_eq!(shorten("ab\ncd", 10), "ab…");
        assert_eq!(shorten("ab", 10), "ab");
    }
}
