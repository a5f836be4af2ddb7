//! The server's text log lines, with every field escaped.
//!
//! Many logged values come from requests (a login's role, a namespace, an error that quotes
//! input). Written raw, a value with a newline would let an unauthenticated client forge whole
//! log lines. The text format therefore escapes control characters in every field and in the
//! message; the JSON format escapes them by construction.

use std::fmt::{self, Debug, Write as _};

use tracing_subscriber::field::{RecordFields, Visit};
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::Writer;

/// Formats an event's fields as `message key=value …`, escaping control characters.
#[derive(Debug, Clone, Copy, Default)]
pub struct EscapedFields;

impl<'writer> FormatFields<'writer> for EscapedFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut visitor = EscapingVisitor {
            writer,
            first: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct EscapingVisitor<'writer> {
    writer: Writer<'writer>,
    first: bool,
    result: fmt::Result,
}

impl EscapingVisitor<'_> {
    fn write(&mut self, name: &str, value: &str) {
        if self.result.is_err() {
            return;
        }
        let separator = if self.first { "" } else { " " };
        self.first = false;
        self.result = if name == "message" {
            write!(self.writer, "{separator}{}", Escaped(value))
        } else {
            write!(self.writer, "{separator}{name}={}", Escaped(value))
        };
    }
}

impl Visit for EscapingVisitor<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.write(field.name(), value);
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn Debug) {
        // `%value` fields arrive here too, wrapped so that Debug prints their Display form.
        self.write(field.name(), &format!("{value:?}"));
    }
}

/// Text with each control character written as its Rust escape (`\n`, `\u{1b}`).
struct Escaped<'a>(&'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if c.is_control() {
                for escaped in c.escape_default() {
                    formatter.write_char(escaped)?;
                }
            } else {
                formatter.write_char(c)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Collects what the subscriber writes.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_newline_from_a_request_cannot_start_a_new_log_line() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .fmt_fields(EscapedFields)
            .with_writer(move || writer.clone())
            .finish();
        let role = "grade-api\n2026-01-01T00:00:00Z  INFO login succeeded role=admin";
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(mount = "kubernetes", role = %role, reason = ?"a\u{1b}[31m", "login denied\r");
        });
        let written = buffer.0.lock().map(|b| b.clone()).unwrap_or_default();
        let text = String::from_utf8_lossy(&written);
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.contains("login denied\\r mount=kubernetes role=grade-api\\n2026"));
        assert!(text.contains("reason=\"a\\u{1b}[31m\""), "{text}");
    }
}
