//! `podpass import` and `podpass export`: one configuration, three forms.

use podpass_core::configuration::{Imported, SourceFormat};

use super::{Outcome, shown};
use crate::cli::{ConvertArgs, Form};
use crate::files::{InputError, load_config, write_output};
use crate::style::{DIM, paint};

/// Converts `args.config` to `args.to`, or to `default` when not given. Import notes (skipped
/// lines, values that cannot be evaluated offline) go to standard error.
pub fn run(args: &ConvertArgs, default: Form) -> Result<Outcome, InputError> {
    let imported = load_config(&args.config.config, args.config.from)?;
    print_notes(&imported, &shown(&args.config.config));
    let config = &imported.configuration;
    let text = config.export(match args.to.unwrap_or(default) {
        Form::Hcl => SourceFormat::PodpassHcl,
        Form::Commands => SourceFormat::VaultCommands,
        Form::Json => SourceFormat::ApiJson,
    });
    write_output(args.output.as_deref(), &text)?;
    Ok(Outcome::Success)
}

/// `file:line: note: message`, one line per note: the compact form of each note's diagnostic,
/// dimmed, since notes are many and informational.
fn print_notes(imported: &Imported, source: &str) {
    for note in &imported.notes {
        let diagnostic = note.diagnostic(source);
        let line = diagnostic.location().map_or(note.line, |at| at.line);
        anstream::eprintln!(
            "{}",
            paint(
                DIM,
                format!("{}:{line}: note: {}", diagnostic.source, diagnostic.message)
            )
        );
    }
}
