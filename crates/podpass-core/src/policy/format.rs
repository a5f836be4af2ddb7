//! Canonical policy formatting, like `vault policy fmt` (used by `podpass fmt`).
//!
//! The policy is checked first (a policy Vault would refuse is not rewritten). Then the HCL is
//! rebuilt from hcl-edit's syntax tree, which keeps comments: two-space indentation, one
//! attribute per line with `=` aligned in runs of consecutive attributes, one blank line
//! between top-level blocks, values printed by hcl-rs's formatter. A value holding a comment,
//! or a heredoc, is kept as written. JSON policies are left alone.

use std::fmt::Write as _;

use super::{PathRule, Policy};
use crate::diagnostic::{Diagnostic, LineIndex, Location};
use crate::hcl_read::{HclError, check_nesting, hcl_quote};
use hcl::edit::Decorate;
use hcl::edit::Span;
use hcl::edit::expr::Expression;
use hcl::edit::structure::{Attribute, Block, BlockLabel, Body, Structure};

const INDENT: &str = "  ";

/// Why a policy was not formatted: a location in its text and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    /// Where the problem is.
    pub location: Location,
    /// What is wrong (Vault's message when Vault would refuse the policy too).
    pub message: String,
    /// The refusal's stable id (the [`PolicyError::code`](super::PolicyError::code) of a policy Vault would refuse).
    pub code: &'static str,
}

impl FormatError {
    /// The refusal as a diagnostic about the text named `source`.
    pub fn diagnostic(&self, source: &str) -> Diagnostic {
        Diagnostic::error(self.code, self.message.clone())
            .in_source(source)
            .at(self.location)
    }
}

/// The formatted text, or `None` for a JSON policy (not reformatted).
pub fn format_policy(text: &str) -> Result<Option<String>, FormatError> {
    let original = Policy::parse("fmt", text).map_err(|e| FormatError {
        location: e.location(),
        message: e.message(),
        code: e.code(),
    })?;
    if text.trim_start().starts_with('{') {
        return Ok(None);
    }
    let body = parse_with_hcl_edit(text).map_err(|e| {
        let location = LineIndex::new(text).location(e.offset);
        let mut message = e.message;
        if let Some(hint) = hcl1_hint(text, location.line) {
            message.push_str(&hint);
        }
        FormatError {
            location,
            message,
            code: "policy/syntax",
        }
    })?;
    let mut out = String::new();
    write_body(&body, text, 0, &mut out);
    let trailing = decor_text(body.decor().suffix());
    write_comments(
        &trim_blanks(comment_lines(trailing)),
        0,
        !out.is_empty(),
        &mut out,
    );
    let trimmed = out.trim_end();
    let formatted = if trimmed.is_empty() {
        String::new()
    } else {
        format!("{trimmed}\n")
    };
    keeps_the_rules(&original, &formatted)?;
    Ok(Some(formatted))
}

/// hcl-edit's syntax tree of a policy (it keeps comments and layout for the rewrite), the
/// nesting limit applied first as every HCL reader applies it.
fn parse_with_hcl_edit(text: &str) -> Result<Body, HclError> {
    check_nesting(text)?;
    hcl::edit::parser::parse_body(text).map_err(|e| HclError {
        offset: e.location().offset(),
        message: e.message().to_string(),
    })
}

/// fmt rewrites through HCL2, and Vault reads the result as HCL1. Where the two read the same
/// text differently (`017` is octal in HCL1, decimal in HCL2), the rewrite would change the
/// policy: it is refused instead, naming the first rule it would change.
fn keeps_the_rules(original: &Policy, formatted: &str) -> Result<(), FormatError> {
    let after = Policy::parse("fmt", formatted).ok();
    let after = after.as_ref().map_or(&[][..], Policy::paths);
    let before = original.paths();
    let differs = |i: usize| match (before.get(i), after.get(i)) {
        (Some(a), Some(b)) => {
            PathRule {
                line: 0,
                ..a.clone()
            } != PathRule {
                line: 0,
                ..b.clone()
            }
        }
        (None, None) => false,
        _ => true,
    };
    let Some(first) = (0..before.len().max(after.len())).find(|&i| differs(i)) else {
        return Ok(());
    };
    Err(match before.get(first) {
        Some(rule) => changes_meaning(
            Location::new(rule.line, 1),
            &format!("path {:?}", rule.path),
        ),
        None => changes_meaning(Location::START, "the policy"),
    })
}

fn changes_meaning(location: Location, what: &str) -> FormatError {
    FormatError {
        location,
        message: format!(
            "fmt would change {what}: HCL2, which fmt rewrites through, reads it differently from \
             Vault's HCL1 (a number with a leading zero is octal in HCL1, for instance); left as written"
        ),
        code: "policy/fmt_changes_meaning",
    }
}

fn decor_text(raw: Option<&hcl::edit::RawString>) -> &str {
    raw.map_or("", |r| r)
}

/// A line of a decor: a comment (trimmed) or a blank line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    Comment(String),
    Blank,
}

/// The comments and blank lines of the whitespace before an item. Every segment but the last
/// is a whole line (the previous item's line break is not part of it); the last is the text
/// before the item on its own line, normally just indentation.
fn comment_lines(text: &str) -> Vec<Line> {
    let segments: Vec<&str> = text.split('\n').collect();
    let Some((last, lines)) = segments.split_last() else {
        return Vec::new();
    };
    let mut out: Vec<Line> = lines
        .iter()
        .map(|line| match line.trim() {
            "" => Line::Blank,
            comment => Line::Comment(comment.to_string()),
        })
        .collect();
    if !last.trim().is_empty() {
        out.push(Line::Comment(last.trim().to_string()));
    }
    out
}

/// Without trailing blank lines (nothing follows them but a closing brace or the end).
fn trim_blanks(mut lines: Vec<Line>) -> Vec<Line> {
    while lines.last() == Some(&Line::Blank) {
        lines.pop();
    }
    lines
}

/// Writes comments at `depth`, collapsing blank runs to one and dropping leading and trailing
/// blanks; a blank line separates them from what came before when `after_content` and the
/// source had one.
fn write_comments(lines: &[Line], depth: usize, after_content: bool, out: &mut String) {
    let indent = INDENT.repeat(depth);
    let mut pending_blank = false;
    let mut wrote = false;
    for line in lines {
        match line {
            Line::Blank => pending_blank = true,
            Line::Comment(text) => {
                if pending_blank && (wrote || after_content) {
                    out.push('\n');
                }
                pending_blank = false;
                let _ = writeln!(out, "{indent}{text}");
                wrote = true;
            }
        }
    }
    // A comment set apart from what follows stays apart.
    if pending_blank && wrote {
        out.push('\n');
    }
}

fn write_body(body: &Body, text: &str, depth: usize, out: &mut String) {
    let indent = INDENT.repeat(depth);
    let items: Vec<&Structure> = body.iter().collect();
    // Widths for aligning `=` over runs of consecutive one-line attributes.
    let widths = alignment(&items, text);
    let mut previous_was_block = false;
    for (i, item) in items.iter().enumerate() {
        let lines = comment_lines(decor_text(item.decor().prefix()));
        let blank_before = lines.first() == Some(&Line::Blank);
        let is_block = matches!(item, Structure::Block(_));
        if i > 0 && (blank_before || (depth == 0 && (is_block || previous_was_block))) {
            out.push('\n');
        }
        let lines: Vec<Line> = lines
            .into_iter()
            .skip_while(|l| *l == Line::Blank)
            .collect();
        write_comments(&lines, depth, false, out);
        match item {
            Structure::Attribute(attr) => write_attribute(attr, text, &indent, widths[i], out),
            Structure::Block(block) => write_block(block, text, depth, out),
        }
        previous_was_block = is_block;
    }
}

/// For each item, the key width its `=` aligns to.
fn alignment(items: &[&Structure], text: &str) -> Vec<usize> {
    let mut widths = vec![0; items.len()];
    let mut run: Vec<usize> = Vec::new();
    let flush = |run: &mut Vec<usize>, widths: &mut Vec<usize>| {
        let width = run
            .iter()
            .filter_map(|&i| match items[i] {
                Structure::Attribute(a) => Some(a.key.as_str().len()),
                Structure::Block(_) => None,
            })
            .max()
            .unwrap_or(0);
        for &i in run.iter() {
            widths[i] = width;
        }
        run.clear();
    };
    for (i, item) in items.iter().enumerate() {
        let one_line = match item {
            Structure::Attribute(a) => !value_text(&a.value, text).contains('\n'),
            Structure::Block(_) => false,
        };
        let prefix = decor_text(item.decor().prefix());
        let separated = prefix.contains('\n')
            || prefix.contains('#')
            || prefix.contains("//")
            || prefix.contains("/*");
        if !one_line || (separated && !run.is_empty()) {
            flush(&mut run, &mut widths);
        }
        if one_line {
            run.push(i);
        } else if let Structure::Attribute(a) = item {
            widths[i] = a.key.as_str().len();
        }
    }
    flush(&mut run, &mut widths);
    widths
}

fn write_attribute(attr: &Attribute, text: &str, indent: &str, width: usize, out: &mut String) {
    let key = attr.key.as_str();
    let value = value_text(&attr.value, text);
    let value = if is_verbatim(&attr.value, text) {
        value
    } else {
        reindent(&value, indent)
    };
    let _ = write!(out, "{indent}{key:<width$} = {value}");
    write_trailing(decor_text(attr.decor().suffix()), out);
}

/// A trailing comment on the item's last line, or nothing.
fn write_trailing(suffix: &str, out: &mut String) {
    let comment = suffix.trim();
    if comment.is_empty() {
        out.push('\n');
    } else {
        let _ = writeln!(out, " {comment}");
    }
}

fn write_block(block: &Block, text: &str, depth: usize, out: &mut String) {
    let indent = INDENT.repeat(depth);
    let _ = write!(out, "{indent}{}", block.ident.as_str());
    for label in &block.labels {
        match label {
            BlockLabel::Ident(ident) => {
                let _ = write!(out, " {}", ident.as_str());
            }
            BlockLabel::String(s) => {
                let _ = write!(out, " {}", hcl_quote(s.value()));
            }
        }
    }
    let opening = decor_text(block.body.decor().prefix()).trim();
    let closing = comment_lines(decor_text(block.body.decor().suffix()));
    if block.body.is_empty() && opening.is_empty() && closing.is_empty() {
        out.push_str(" {}");
    } else {
        out.push_str(" {");
        write_trailing(opening, out);
        write_body(&block.body, text, depth + 1, out);
        let closing = trim_blanks(closing);
        write_comments(&closing, depth + 1, !block.body.is_empty(), out);
        let _ = write!(out, "{indent}}}");
    }
    write_trailing(decor_text(block.decor().suffix()), out);
}

/// A value as hcl-rs formats it; as written when it holds a comment or is a heredoc (both would
/// be lost or changed by the formatter).
fn value_text(expr: &Expression, text: &str) -> String {
    let source = expr
        .span()
        .and_then(|span| text.get(span))
        .unwrap_or_default();
    let verbatim = matches!(expr, Expression::HeredocTemplate(_))
        || source.contains('#')
        || source.contains("//")
        || source.contains("/*");
    if verbatim && !source.is_empty() {
        return source.trim().to_string();
    }
    // Lists on one line (`["read", "list"]`, as Vault's documentation writes them); objects
    // one entry a line.
    let mut formatter = hcl::format::Formatter::builder()
        .compact_arrays(true)
        .build_vec();
    hcl::format::Format::format_string(&hcl::Expression::from(expr.clone()), &mut formatter)
        .unwrap_or_else(|_| source.trim().to_string())
}

/// Whether a value is printed as written (see [`value_text`]).
fn is_verbatim(expr: &Expression, text: &str) -> bool {
    let source = expr
        .span()
        .and_then(|span| text.get(span))
        .unwrap_or_default();
    matches!(expr, Expression::HeredocTemplate(_))
        || source.contains('#')
        || source.contains("//")
        || source.contains("/*")
}

/// Indents every line after the first of a multi-line value by the item's indentation.
fn reindent(value: &str, indent: &str) -> String {
    if indent.is_empty() || !value.contains('\n') {
        return value.to_string();
    }
    let mut lines = value.lines();
    let mut out = lines.next().unwrap_or_default().to_string();
    for line in lines {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(indent);
        }
        out.push_str(line);
    }
    out
}

/// When the line an HCL2 syntax error is on has an attribute beside a block's `{` or `}` that
/// is not a complete one-line block, the policy is in HCL1's looser layout, which Vault and the
/// policy reader accept and the formatter's HCL2 parser does not: say so, and show the HCL2 form.
fn hcl1_hint(text: &str, line: u32) -> Option<String> {
    let source = text
        .lines()
        .nth(usize::try_from(line).ok()?.checked_sub(1)?)?;
    let code = source.split('#').next().unwrap_or(source).trim();
    let after_open = code.split_once('{').map(|(_, rest)| rest.trim());
    let before_close = code.rsplit_once('}').map(|(head, _)| head.trim());
    let attribute_after_open =
        after_open.is_some_and(|rest| rest.contains('=') && !rest.ends_with('}'));
    let attribute_before_close =
        !code.contains('{') && before_close.is_some_and(|head| head.contains('='));
    if !attribute_after_open && !attribute_before_close {
        return None;
    }
    // The block's path: on this line, or on the nearest line above that opens a path block.
    let path = text
        .lines()
        .take(usize::try_from(line).ok()?)
        .collect::<Vec<_>>()
        .iter()
        .rev()
        .find_map(|l| {
            l.trim()
                .strip_prefix("path")
                .and_then(|rest| rest.trim_start().strip_prefix('"'))
                .and_then(|rest| rest.split_once('"'))
                .map(|(path, _)| path.to_string())
        })
        .unwrap_or_else(|| "secret/data/app/*".to_string());
    Some(format!(
        ". This looks like HCL1 layout (an attribute on the same line as a block's `{{` or \
         `}}`), which Vault accepts but fmt cannot rewrite: it reads HCL2, where each attribute \
         has its own line:\npath \"{path}\" {{\n  capabilities = [\"read\"]\n}}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(text: &str) -> String {
        format_policy(text)
            .unwrap_or_else(|e| panic!("{}: {}", e.location, e.message))
            .unwrap_or_else(|| panic!("json"))
    }

    #[test]
    fn canonical_text_is_unchanged() {
        let text = "# Read the grade-api team's KV v2 secrets, and list them.\npath \"secret/data/grade-api/*\" {\n  capabilities = [\"read\"]\n}\n\npath \"secret/metadata/grade-api/*\" {\n  capabilities = [\"list\"]\n}\n";
        assert_eq!(fmt(text), text);
    }

    #[test]
    fn messy_text_is_tidied_and_comments_are_kept() {
        let text = "\n\n# Read the secrets.\n# Second line.\n\n\npath \"secret/data/grade-api/*\" {   # opening\n    # inside\n    capabilities = [\"read\",\"list\"]    # why\n  min_wrapping_ttl = \"1m\"\n\n\n  allowed_parameters = {\n     \"data\" = []\n  }\n  # closing\n}\npath \"x\" { capabilities = [\"deny\"] }\n// the end\n";
        let want = "# Read the secrets.\n# Second line.\n\npath \"secret/data/grade-api/*\" { # opening\n  # inside\n  capabilities     = [\"read\", \"list\"] # why\n  min_wrapping_ttl = \"1m\"\n\n  allowed_parameters = {\n    \"data\" = []\n  }\n  # closing\n}\n\npath \"x\" {\n  capabilities = [\"deny\"]\n}\n// the end\n";
        assert_eq!(fmt(text), want);
        // Formatting is idempotent.
        assert_eq!(fmt(want), want);
    }

    #[test]
    fn comments_inside_values_keep_the_value_as_written() {
        let text =
            "path \"a\" {\n  capabilities = [\n    \"read\", # reading\n    \"list\",\n  ]\n}\n";
        assert_eq!(fmt(text), text);
    }

    #[test]
    fn invalid_policies_are_refused_with_a_location() {
        let err = format_policy("path \"a\" {\n  capabilities = [\"reed\"]\n}\n").unwrap_err();
        assert_eq!(err.location, Location::new(2, 19));
        assert_eq!(err.code, "policy/invalid_capability");
        assert!(
            err.message.contains("invalid capability"),
            "{}",
            err.message
        );
        let err = format_policy("path \"a\" {\n").unwrap_err();
        assert!(
            err.message.starts_with("failed to parse policy"),
            "{}",
            err.message
        );
    }

    #[test]
    fn hcl1_layout_is_named_and_the_hcl2_form_shown() {
        for text in [
            "path \"secret/data/a/*\" { capabilities = [\"read\"]\n}\n",
            "path \"secret/data/a/*\" {\n  capabilities = [\"read\"] }\n",
        ] {
            assert!(Policy::parse("p", text).is_ok(), "Vault reads {text:?}");
            let err = format_policy(text).unwrap_err();
            assert_eq!(err.code, "policy/syntax");
            assert!(err.message.contains("HCL1 layout"), "{}", err.message);
            assert!(
                err.message
                    .ends_with("path \"secret/data/a/*\" {\n  capabilities = [\"read\"]\n}"),
                "{}",
                err.message
            );
        }
        // A complete one-line block is HCL2 too.
        assert!(format_policy("path \"a\" { capabilities = [\"read\"] }\n").is_ok());
    }

    #[test]
    fn a_rewrite_that_would_change_a_rule_is_refused() {
        // `017` is octal (15) in Vault's HCL1 and 17 in the HCL2 fmt rewrites through.
        let text = "path \"a\" {\n  capabilities     = [\"read\"]\n  min_wrapping_ttl = 017\n}\n";
        assert_eq!(
            Policy::parse("p", text).map(|p| p.paths()[0].min_wrapping_ttl),
            Ok(Some(std::time::Duration::from_secs(15)))
        );
        let err = format_policy(text).unwrap_err();
        assert_eq!(err.code, "policy/fmt_changes_meaning");
        assert_eq!(err.location, Location::new(1, 1));
        assert!(
            err.message.starts_with("fmt would change path \"a\""),
            "{}",
            err.message
        );
    }

    /// Found by the policy fuzz target: a path holding `$${` came back as `${`, a different path
    /// once parsed again. (HCL1 reads `$${` and `%%{` as written; HCL2, which fmt rewrites
    /// through, reads them as escapes and must write them back the same.)
    #[test]
    fn template_escapes_in_paths_survive() {
        let text = "path \"secret/$$${x}/%%{y}/$$\" {\n  capabilities = [\"read\"]\n}\n";
        let formatted = fmt(text);
        let rules = |text: &str| Policy::parse("p", text).map(|p| p.paths()[0].path.clone());
        assert_eq!(
            rules(&formatted).ok(),
            Some("secret/$$${x}/%%{y}/$$".to_string())
        );
        assert_eq!(rules(&formatted).ok(), rules(text).ok(), "{formatted}");
    }

    #[test]
    fn json_policies_are_left_alone() {
        assert_eq!(
            format_policy(r#"{"path": {"a": {"capabilities": ["read"]}}}"#),
            Ok(None)
        );
        assert_eq!(fmt(""), "");
    }
}
