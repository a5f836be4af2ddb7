//! File input: reading inputs, the files they refer to (relative to the input's directory),
//! configurations, and the errors that stop a command with exit code 2.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use podpass_core::configuration::{Configuration, FileSource, Imported, SourceFormat};

use crate::cli::Form;

/// A usage or input error: the command stops with exit code 2. The message names the file
/// (and line and column, when known).
#[derive(Debug)]
pub struct InputError(pub String);

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl InputError {
    /// An error about `path`.
    pub fn at(path: &Path, message: impl fmt::Display) -> InputError {
        InputError(format!("{}: {message}", path.display()))
    }
}

/// Reads a text file, or standard input for `-`.
pub fn read_text(path: &Path) -> Result<String, InputError> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| InputError(format!("<stdin>: {e}")))?;
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

/// Reads and imports a configuration file; errors read `file:line:column: message`.
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
    .map_err(|e| InputError(e.to_string()))
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
            .map_err(|e| InputError(format!("--now: {e}"))),
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
                .map_err(|e| InputError(format!("<stdout>: {e}")))
        }
    }
}
