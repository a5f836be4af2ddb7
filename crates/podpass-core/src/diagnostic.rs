//! One model for everything podpass says about a text it read: parse errors of policies,
//! podpass.hcl, setup scripts and test files, `fmt` refusals and lint findings.
//!
//! Parsers work in byte [`Span`]s; a [`LineIndex`] (one per text) turns them into the 1-based
//! line and character column people read ([`Location`]). A [`Diagnostic`] carries the resolved
//! locations, so it stays meaningful after it leaves the text (JSON for the browser, HTTP,
//! a later render with the text at hand).
//!
//! ```
//! use podpass_core::diagnostic::{Diagnostic, Location, Source, Span};
//!
//! let source = Source::new("grade-api.hcl", "path \"a\" {\n  capabilities = [\"reed\"]\n}\n");
//! let at = source.location(29);
//! assert_eq!(at, Location { line: 2, column: 19 });
//! let diagnostic = Diagnostic::error("policy/invalid_capability", "path \"a\": invalid capability \"reed\"")
//!     .in_source(source.name())
//!     .with_primary(source.location_of(Span::new(29, 35)), None);
//! assert_eq!(diagnostic.location(), Some(at));
//! ```

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;
use serde::ser::SerializeStruct;

/// How much a diagnostic matters. `podpass lint` fails on errors (and on warnings with
/// `--strict`); parse errors are always errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum Severity {
    /// The text is refused, or the configuration does not do what it says: a policy that
    /// matches nothing, a role that names a missing policy, a role open to every pod.
    Error,
    /// Works, but is risky: wide bindings, long-lived tokens, shared secrets.
    Warning,
    /// Worth knowing, often intended: an unused policy, a partial glob.
    Info,
}

impl Severity {
    /// `error`, `warning` or `info`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A place in a text, both 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Location {
    /// Line, counting from 1.
    pub line: u32,
    /// Column in characters (not bytes), counting from 1.
    pub column: u32,
}

impl Location {
    /// The start of the text: used for problems that are not in the text (a policy's name).
    pub const START: Location = Location { line: 1, column: 1 };

    /// A location from a line and column, each at least 1 (0 means "unknown" to some callers
    /// and is shown as the start of the line or text).
    pub fn new(line: u32, column: u32) -> Location {
        Location {
            line: line.max(1),
            column: column.max(1),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// A byte range of a text: `start..end`, `end` not included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Span {
    /// The first byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// `start..end` (swapped when given backwards).
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start.min(end),
            end: start.max(end),
        }
    }

    /// The empty span at `offset`: a point, for problems known only by where they start.
    pub fn at(offset: usize) -> Span {
        Span {
            start: offset,
            end: offset,
        }
    }

    /// A parser's optional range (hcl-edit has none for synthesised nodes: the text's start).
    pub fn from_range(range: Option<std::ops::Range<usize>>) -> Span {
        range.map_or_else(Span::default, |r| Span::new(r.start, r.end))
    }
}

/// A value and the bytes of the text it was read from.
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

/// Byte offsets to lines and character columns, for one text, without rescanning it for each.
#[derive(Debug, Clone)]
pub struct LineIndex<'t> {
    text: Cow<'t, str>,
    line_starts: Vec<usize>,
    /// The characters before every [`CHECKPOINT_BYTES`]th byte. A column is counted from the
    /// checkpoints, so a location on a long line (minified JSON) costs no more than one on a
    /// short line, and a reader that places every key of a one-line document stays linear.
    chars_before: Vec<usize>,
}

/// Bytes between two checkpoints of [`LineIndex`]'s character count.
const CHECKPOINT_BYTES: usize = 256;

/// The characters that start in `bytes` (UTF-8: every byte but the continuation bytes).
fn char_starts(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

impl<'t> LineIndex<'t> {
    /// Indexes the line starts of `text`. Lines end at `\n` (a `\r` before it is part of the
    /// line, counted as a column like any other character).
    pub fn new(text: &'t str) -> LineIndex<'t> {
        LineIndex::index(Cow::Borrowed(text))
    }

    /// Indexes a text the index keeps (a lexer's normalised copy of its input).
    pub fn owned(text: String) -> LineIndex<'static> {
        LineIndex::index(Cow::Owned(text))
    }

    fn index(text: Cow<'_, str>) -> LineIndex<'_> {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        let mut chars_before = vec![0];
        for chunk in text.as_bytes().chunks(CHECKPOINT_BYTES) {
            let before = chars_before.last().copied().unwrap_or(0);
            chars_before.push(before + char_starts(chunk));
        }
        LineIndex {
            text,
            line_starts,
            chars_before,
        }
    }

    /// The characters of the text before byte `offset` (an offset inside a character counts
    /// that character).
    fn chars_before(&self, offset: usize) -> usize {
        let checkpoint = offset / CHECKPOINT_BYTES;
        let counted = self.chars_before.get(checkpoint).copied().unwrap_or(0);
        let rest = self
            .text
            .as_bytes()
            .get(checkpoint * CHECKPOINT_BYTES..offset)
            .unwrap_or_default();
        counted + char_starts(rest)
    }

    /// The text indexed.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The line and column of a byte offset; offsets past the end are the end.
    pub fn location(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts.get(line - 1).copied().unwrap_or(0);
        let column = self.chars_before(offset) - self.chars_before(start) + 1;
        Location::new(to_u32(line), to_u32(column))
    }

    /// The byte offset of a location, for drawing it: `None` when the line is not in the text;
    /// a column past the line's end is its end.
    pub fn offset(&self, location: Location) -> Option<usize> {
        let index = usize::try_from(location.line).ok()?.checked_sub(1)?;
        let start = *self.line_starts.get(index)?;
        let line = self.line(location.line)?;
        let column = usize::try_from(location.column).ok()?.saturating_sub(1);
        let within = line
            .char_indices()
            .nth(column)
            .map_or(line.len(), |(i, _)| i);
        Some(start + within)
    }

    /// The text of a 1-based line, without its line break.
    pub fn line(&self, line: u32) -> Option<&str> {
        let index = usize::try_from(line).ok()?.checked_sub(1)?;
        let start = *self.line_starts.get(index)?;
        let end = self
            .line_starts
            .get(index + 1)
            .map_or(self.text.len(), |next| next - 1);
        self.text.get(start..end)
    }

    /// How many lines the text has (an empty text has one, empty).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A named text: a policy file, podpass.hcl, a setup script, a test file.
#[derive(Debug, Clone)]
pub struct Source<'t> {
    name: &'t str,
    lines: LineIndex<'t>,
}

impl<'t> Source<'t> {
    /// `text`, known as `name` in diagnostics (a path, or a name such as `input`).
    pub fn new(name: &'t str, text: &'t str) -> Source<'t> {
        Source {
            name,
            lines: LineIndex::new(text),
        }
    }

    /// The name diagnostics give.
    pub fn name(&self) -> &'t str {
        self.name
    }

    /// The text.
    pub fn text(&self) -> &str {
        self.lines.text()
    }

    /// The text's line index.
    pub fn lines(&self) -> &LineIndex<'t> {
        &self.lines
    }

    /// Where a byte offset is.
    pub fn location(&self, offset: usize) -> Location {
        self.lines.location(offset)
    }

    /// Where a span starts and ends.
    pub fn location_of(&self, span: Span) -> (Location, Location) {
        (self.location(span.start), self.location(span.end))
    }
}

/// A part of the text a diagnostic points at. The primary label is where the problem is;
/// secondary ones give context (where a repeated key was first set, the block a key is in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Label {
    /// Whether this is where the problem is (one per diagnostic) rather than context.
    pub primary: bool,
    /// Where the labelled text starts.
    pub start: Location,
    /// Where it ends (not included), when more than its start is known.
    pub end: Option<Location>,
    /// What this part of the text has to do with the problem.
    pub message: Option<String>,
}

/// Something podpass says about a text: a refusal, a risk or a remark, with where it is.
///
/// JSON (for JavaScript and HTTP clients): `{"severity", "code", "message", "source",
/// "location": {"line", "column"} | null, "labels": [{"primary", "start", "end", "message"}],
/// "help"}`, where `location` is the primary label's start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// How much it matters.
    pub severity: Severity,
    /// A stable id tools can filter on: a lint rule's id, or e.g. `policy/invalid_capability`.
    pub code: String,
    /// What is wrong (Vault's own text where Vault refuses the same input).
    pub message: String,
    /// The name of the text it is about (empty when the caller did not name it).
    pub source: String,
    /// The parts of the text it points at; the primary one first.
    pub labels: Vec<Label>,
    /// How to fix it, when podpass knows.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic without a place yet.
    pub fn new(severity: Severity, code: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            code: code.into(),
            message: message.into(),
            source: String::new(),
            labels: Vec::new(),
            help: None,
        }
    }

    /// An error (the text is refused).
    pub fn error(code: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Error, code, message)
    }

    /// Names the text it is about.
    pub fn in_source(mut self, source: impl Into<String>) -> Self {
        self.source = source.into();
        self
    }

    /// Points at where the problem is (`start`, or `start` to `end`), replacing any earlier
    /// primary label.
    pub fn with_primary(
        mut self,
        (start, end): (Location, Location),
        message: Option<String>,
    ) -> Self {
        self.labels.retain(|l| !l.primary);
        self.labels.insert(
            0,
            Label {
                primary: true,
                start,
                end: (end > start).then_some(end),
                message,
            },
        );
        self
    }

    /// Points at where the problem is, known only by its start.
    pub fn at(self, start: Location) -> Self {
        self.with_primary((start, start), None)
    }

    /// Adds context: another part of the text and what it has to do with the problem.
    pub fn with_secondary(mut self, start: Location, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            primary: false,
            start,
            end: None,
            message: Some(message.into()),
        });
        self
    }

    /// Says how to fix it.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Where the problem is: the primary label's start.
    pub fn location(&self) -> Option<Location> {
        self.labels.iter().find(|l| l.primary).map(|l| l.start)
    }
}

impl fmt::Display for Diagnostic {
    /// `source:line:column: message` (the parts that are known), the way compilers and editors
    /// link to a place; help, when there is some, on the next line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.source.is_empty() {
            write!(f, "{}:", self.source)?;
        }
        if let Some(at) = self.location() {
            write!(f, "{}:{}:", at.line, at.column)?;
        }
        if !self.source.is_empty() || self.location().is_some() {
            f.write_str(" ")?;
        }
        f.write_str(&self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// The TypeScript shape of [`Diagnostic`]'s serialized form.
#[cfg(feature = "typescript")]
#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const DIAGNOSTIC_TS: &str = r#"/** What podpass says about a text: the same shape everywhere (wasm, HTTP, the playground). */
export interface Diagnostic {
    severity: Severity;
    /** Stable id, e.g. `configuration/import`, `policy/invalid_capability` or a lint rule id. */
    code: string;
    /** Vault's own text where Vault refuses the same input. */
    message: string;
    /** The input's name (the `source` option) or the referenced file's. */
    source: string;
    /** The primary label's start. */
    location: Location | null;
    labels: Label[];
    help: string | null;
}"#;

impl Serialize for Diagnostic {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("Diagnostic", 7)?;
        out.serialize_field("severity", &self.severity)?;
        out.serialize_field("code", &self.code)?;
        out.serialize_field("message", &self.message)?;
        out.serialize_field("source", &self.source)?;
        out.serialize_field("location", &self.location())?;
        out.serialize_field("labels", &self.labels)?;
        out.serialize_field("help", &self.help)?;
        out.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_counts_chars() {
        let idx = LineIndex::new("ab\nçd\n\nx");
        assert_eq!(idx.location(0), Location { line: 1, column: 1 });
        assert_eq!(idx.location(3), Location { line: 2, column: 1 });
        assert_eq!(idx.location(5), Location { line: 2, column: 2 });
        assert_eq!(idx.location(8), Location { line: 4, column: 1 });
        assert_eq!(idx.location(999), Location { line: 4, column: 2 });
    }

    #[test]
    fn columns_on_long_lines_count_characters_across_checkpoints() {
        // Characters of one to four bytes, straddling the checkpoints, on long lines.
        let line: String = "aé€😀".repeat(300);
        let text = format!("{line}\n{line}x\n");
        let idx = LineIndex::new(&text);
        for (offset, _) in text.char_indices() {
            let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
            let line = 1 + text[..offset].matches('\n').count();
            let column = text[start..offset].chars().count() + 1;
            assert_eq!(
                idx.location(offset),
                Location::new(line as u32, column as u32),
                "{offset}"
            );
        }
    }

    #[test]
    fn offsets_and_locations_round_trip() {
        let text = "ab\nçd\n\nx";
        let idx = LineIndex::new(text);
        for offset in text.char_indices().map(|(i, _)| i) {
            assert_eq!(idx.offset(idx.location(offset)), Some(offset), "{offset}");
        }
        assert_eq!(idx.line(2), Some("çd"));
        assert_eq!(idx.line(3), Some(""));
        assert_eq!(idx.line(5), None);
        assert_eq!(idx.offset(Location::new(9, 1)), None);
        // A column past the end of a line is the line's end.
        assert_eq!(idx.offset(Location::new(1, 40)), Some(2));
    }

    #[test]
    fn json_resolves_the_primary_location() {
        let source = Source::new("p.hcl", "path \"a\" {\n  x = 1\n}\n");
        let diagnostic = Diagnostic::error("policy/invalid_key", "invalid key \"x\" on line 2")
            .in_source(source.name())
            .with_primary(source.location_of(Span::new(13, 14)), None)
            .with_secondary(source.location(0), "in this block")
            .with_help("remove it");
        let json = serde_json::to_value(&diagnostic).ok();
        let expected = serde_json::json!({
            "severity": "error",
            "code": "policy/invalid_key",
            "message": "invalid key \"x\" on line 2",
            "source": "p.hcl",
            "location": {"line": 2, "column": 3},
            "labels": [
                {"primary": true, "start": {"line": 2, "column": 3}, "end": {"line": 2, "column": 4}, "message": null},
                {"primary": false, "start": {"line": 1, "column": 1}, "end": null, "message": "in this block"},
            ],
            "help": "remove it",
        });
        assert_eq!(json, Some(expected));
        assert_eq!(
            diagnostic.to_string(),
            "p.hcl:2:3: invalid key \"x\" on line 2\n  help: remove it"
        );
    }
}
