//! Diagnostics for the terminal, the way compilers show them: `error[code]: message`, the file
//! and place, the lines at fault with the problem underlined, and help. Styled; anstream strips
//! the styles when the output is not a terminal, when NO_COLOR is set, or with `--color never`.

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use podpass_core::diagnostic::{Diagnostic, LineIndex, Severity};

/// `diagnostic` with the lines of `text` it points at; without `text` (or when its places are
/// not in it), just the file and place.
pub fn render(diagnostic: &Diagnostic, text: Option<&str>) -> String {
    let level = match diagnostic.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    };
    let title = level
        .primary_title(diagnostic.message.as_str())
        .id(diagnostic.code.as_str());
    let mut group = Group::with_title(title);
    let path = (!diagnostic.source.is_empty()).then_some(diagnostic.source.as_str());
    match (
        text.and_then(|t| snippet(diagnostic, t, path)),
        diagnostic.location(),
    ) {
        (Some(snippet), _) => group = group.element(snippet),
        (None, Some(at)) => {
            let origin = Origin::path(path.unwrap_or("<input>"))
                .line(usize::try_from(at.line).unwrap_or(usize::MAX))
                .char_column(usize::try_from(at.column).unwrap_or(usize::MAX));
            group = group.element(origin);
        }
        (None, None) => {}
    }
    if let Some(help) = &diagnostic.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    Renderer::styled().render(&[group])
}

/// The text's lines around the labels, or `None` when the primary label is not in the text.
fn snippet<'a>(
    diagnostic: &'a Diagnostic,
    text: &'a str,
    path: Option<&'a str>,
) -> Option<Snippet<'a, annotate_snippets::Annotation<'a>>> {
    let lines = LineIndex::new(text);
    let primary = diagnostic.labels.iter().find(|l| l.primary)?;
    lines.offset(primary.start)?;
    let annotations = diagnostic.labels.iter().filter_map(|label| {
        let start = lines.offset(label.start)?;
        let end = label
            .end
            .and_then(|end| lines.offset(end))
            .unwrap_or(start)
            .max(start);
        let kind = if label.primary {
            AnnotationKind::Primary
        } else {
            AnnotationKind::Context
        };
        Some(
            kind.span(start..end)
                .label(label.message.as_deref().unwrap_or_default()),
        )
    });
    let mut snippet = Snippet::source(text)
        .line_start(1)
        .fold(true)
        .annotations(annotations);
    if let Some(path) = path {
        snippet = snippet.path(path);
    }
    Some(snippet)
}

#[cfg(test)]
mod tests {
    use super::*;
    use podpass_core::diagnostic::Location;

    fn plain(rendered: &str) -> String {
        let mut out = Vec::new();
        let mut stream = anstream::StripStream::new(&mut out);
        let _ = std::io::Write::write_all(&mut stream, rendered.as_bytes());
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn errors_show_the_line_at_fault() {
        let text = "path \"a\" {\n  capabilities = [\"reed\"]\n}\n";
        let diagnostic = Diagnostic::error(
            "policy/invalid_capability",
            "path \"a\": invalid capability \"reed\"",
        )
        .in_source("p.hcl")
        .at(Location::new(2, 19));
        let shown = plain(&render(&diagnostic, Some(text)));
        assert!(
            shown.starts_with(
                "error[policy/invalid_capability]: path \"a\": invalid capability \"reed\"\n"
            ),
            "{shown}"
        );
        assert!(shown.contains("--> p.hcl:2:19"), "{shown}");
        assert!(shown.contains("2 |   capabilities = [\"reed\"]"), "{shown}");
        assert!(!shown.contains("path \"a\" {"), "{shown}");
    }

    #[test]
    fn without_the_text_the_place_is_still_named() {
        let diagnostic = Diagnostic::error("configuration/import", "boom")
            .in_source("setup.sh")
            .at(Location::new(12, 5))
            .with_help("do less");
        let shown = plain(&render(&diagnostic, None));
        assert!(
            shown.starts_with("error[configuration/import]: boom\n"),
            "{shown}"
        );
        assert!(shown.contains("--> setup.sh:12:5"), "{shown}");
        assert!(shown.contains("help: do less"), "{shown}");
    }
}
