//! The few styles the output uses. anstream strips them when the output is not a terminal,
//! when NO_COLOR is set, or with `--color never`.

use anstyle::{AnsiColor, Style};

/// Success: `ok`, `allowed`, `✓`.
pub const GOOD: Style = AnsiColor::Green.on_default().bold();
/// Failure: `FAIL`, `denied`, `error`, `✗`.
pub const BAD: Style = AnsiColor::Red.on_default().bold();
/// Warnings.
pub const WARN: Style = AnsiColor::Yellow.on_default().bold();
/// Information.
pub const INFO: Style = AnsiColor::Cyan.on_default().bold();
/// Secondary text: hints, locations.
pub const DIM: Style = Style::new().dimmed();
/// Headings and names.
pub const BOLD: Style = Style::new().bold();

/// `text` in `style`.
pub fn paint(style: Style, text: impl std::fmt::Display) -> String {
    format!("{style}{text}{style:#}")
}
