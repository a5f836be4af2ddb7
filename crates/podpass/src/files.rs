//! File input: reading inputs, the files they refer to (relative to the input's directory),
//! configurations, and the errors that stop a command with exit code 2.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use podpass_core::configuration::{Configuration, FileSource, Imported, SourceFormat};
use podpass_core::diagnostic::Diagnostic;

use crate::cli::Form;

/// A usage or input error: the command stops with exit code 2. The message names the file;
/// a text that does not parse is reported as a diagnostic with the lines at fault.
#[derive(Debug)]
pub struct InputError {
    message: String,
    /// Whether `message` is a rendered diagnostic, which names its own severity.
    report: bool,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl InputError {
    /// An error told in words.
    pub fn new(message: impl Into<String>) -> InputError {
        InputError {
            message: message.into(),
            report: false,
        }
    }

    /// A diagnostic about a text, rendered with its lines (`text`, or the file the diagnostic
    /// names when that is another one and can be read).
    pub fn diagnostic(diagnostic: &Diagnostic, text: Option<&str>) -> InputError {
        InputError {
            message: crate::report::render(diagnostic, text),
            report: true,
        }
    }

    /// Whether the message is a rendered diagnostic (it carries its own `error` heading).
    pub fn is_report(&self) -> bool {
        self.report
    }

    /// An error about `path`.
    pub fn at(path: &Path, message: impl fmt::Display) -> InputError {
        InputError::new(format!("{}: {message}", path.display()))
    }
}

/// Reads a text file, or standard input for `-`.
pub fn read_text(path: &Path) -> Result<String, InputError> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| InputError::new(format!("<stdin>: {e}")))?;
        return Ok(text);
    }
    std::fs::read_to_string(path).map_err(|e| InputError::at(path, format!("cannot read: {e}")))
}

/// Files referred to by an input, read relative to the input's directory (absolute paths as
/// they are), as `vault write key=@file` does from the directory the script runs in.
#[derive(Debug, Clone)]
pub struct DirFiles {
    base: PathBuf,
}

impl DirFiles {
    /// Files relative to the directory of `input`.
    pub fn beside(input: &Path) -> DirFiles {
        DirFiles {
            base: input
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from(".")),
        }
    }

    /// The path a reference resolves to.
    pub fn resolve(&self, path: &str) -> PathBuf {
        let path = Path::new(path);
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.base.join(path)
        }
    }
}

impl FileSource for DirFiles {
    fn read_file(&self, path: &str) -> Result<String, String> {
        let resolved = self.resolve(path);
        std::fs::read_to_string(&resolved)
            .map_err(|e| format!("cannot read {}: {e}", resolved.display()))
    }
}

/// The core's name for a form.
pub fn source_format(form: Form) -> SourceFormat {
    match form {
        Form::Hcl => SourceFormat::PodpassHcl,
        Form::Commands => SourceFormat::VaultCommands,
        Form::Json => SourceFormat::ApiJson,
    }
}

/// Reads and imports a configuration file; a refusal is a diagnostic showing the lines at fault
/// (in the file, or in the policy file it refers to).
pub fn load_config(path: &Path, from: Option<Form>) -> Result<Imported, InputError> {
    let text = read_text(path)?;
    let source = if path == Path::new("-") {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    };
    Configuration::import(
        &text,
        &source,
        from.map(source_format),
        &DirFiles::beside(path),
    )
    .map_err(|e| {
        let diagnostic = e.diagnostic();
        // A refusal inside a referenced file names that file (relative to the working
        // directory), not the input.
        let referenced = (e.source != source)
            .then(|| std::fs::read_to_string(&e.source).ok())
            .flatten();
        let text = if e.source == source {
            Some(text.as_str())
        } else {
            referenced.as_deref()
        };
        InputError::diagnostic(&diagnostic, text)
    })
}

/// Seconds since the epoch, from `--now` (read by the core's
/// [`podpass_core::timestamp::parse_now`]: RFC 3339, an integer, or an offset like `+2h` from
/// the system clock) or the system clock.
pub fn now(arg: Option<&str>) -> Result<i64, InputError> {
    let clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default();
    match arg {
        Some(text) => podpass_core::timestamp::parse_now(text, clock)
            .map_err(|e| InputError::new(format!("--now: {e}"))),
        None => Ok(clock),
    }
}

/// Writes `text` to `path` (or standard output when `None`).
pub fn write_output(path: Option<&Path>, text: &str) -> Result<(), InputError> {
    match path {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| InputError::at(path, format!("cannot write: {e}"))),
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| InputError::new(format!("<stdout>: {e}")))
        }
    }
}
