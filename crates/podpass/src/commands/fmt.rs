//! `podpass fmt`: rewrites policy files in the core's canonical format
//! ([`podpass_core::policy::format_policy`]), or lists the ones that differ with `--check`.

use std::path::Path;

use podpass_core::policy::format_policy;

use super::{Outcome, shown};
use crate::cli::FmtArgs;
use crate::files::{InputError, read_text, write_output};
use crate::style::{DIM, paint};

/// `podpass fmt`.
pub fn run(args: &FmtArgs) -> Result<Outcome, InputError> {
    let mut unformatted = Vec::new();
    for path in &args.files {
        let text = read_text(path)?;
        let formatted = format_policy(&text)
            .map_err(|e| InputError::diagnostic(&e.diagnostic(&shown(path)), Some(&text)))?;
        let Some(formatted) = formatted else {
            anstream::eprintln!(
                "{}",
                paint(
                    DIM,
                    format!("{}: a JSON policy; left as it is", shown(path))
                )
            );
            if path == Path::new("-") && !args.check {
                write_output(None, &text)?;
            }
            continue;
        };
        if path == Path::new("-") {
            if args.check {
                if formatted != text {
                    unformatted.push(shown(path));
                }
            } else {
                write_output(None, &formatted)?;
            }
            continue;
        }
        if formatted == text {
            continue;
        }
        unformatted.push(shown(path));
        if !args.check {
            write_output(Some(path), &formatted)?;
        }
    }
    if args.check {
        for name in &unformatted {
            anstream::println!("{name}");
        }
        return Ok(Outcome::from_ok(unformatted.is_empty()));
    }
    for name in &unformatted {
        anstream::eprintln!("{}", paint(DIM, format!("formatted {name}")));
    }
    Ok(Outcome::Success)
}
