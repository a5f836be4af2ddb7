//! Configuration authoring, in the full build only: lint without an engine, and `importScript`
//! (the tutorial's `vault` commands, pasted, written out as podpass.hcl or Vault API JSON).

use podpass_core::configuration::{Configuration, NoFiles, SourceFormat};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::engine::DEFAULT_SOURCE;
use crate::error::PodpassError;
use crate::inputs::{ImportOptions, LintInput, source_format};
use crate::output::{options_from_js, text_from_js, to_js};
use crate::typescript::{FindingsJs, ImportOptionsJs, ImportResultJs, LintOptionsJs, TextJs};

/// Imports configuration text and lists what lint finds in it, sorted by place.
#[wasm_bindgen]
pub fn lint(configuration: TextJs, options: Option<LintOptionsJs>) -> Result<FindingsJs, JsValue> {
    let configuration = text_from_js(configuration.into(), "configuration")?;
    let options: LintInput = options_from_js(options.map(Into::into), "lint options")?;
    let format = source_format(options.format.as_deref(), "lint options: format")?;
    let source = options.source.as_deref().unwrap_or(DEFAULT_SOURCE);
    let imported = Configuration::import(&configuration, source, format, &NoFiles)
        .map_err(PodpassError::from)?;
    let findings = podpass_core::lint::lint_with(&imported.configuration, &options.lint_options());
    Ok(to_js(&findings)?)
}

/// What `importScript` returns.
#[derive(Serialize, tsify::Tsify)]
struct ImportResult {
    /// The form the input was read as.
    format: SourceFormat,
    /// The form written.
    to: SourceFormat,
    /// The configuration in that form.
    output: String,
    /// What the import skipped or noted.
    notes: Vec<podpass_core::configuration::ImportNote>,
}

/// Converts configuration text (typically the tutorial's `vault` commands, pasted) to another
/// form: `podpass_hcl` (default), `vault_commands` or `api_json`, with the import's notes.
#[wasm_bindgen(js_name = importScript)]
pub fn import_script(
    text: TextJs,
    options: Option<ImportOptionsJs>,
) -> Result<ImportResultJs, JsValue> {
    let text = text_from_js(text.into(), "text")?;
    let options: ImportOptions = options_from_js(options.map(Into::into), "import options")?;
    let format = source_format(options.format.as_deref(), "import options: format")?;
    let to = source_format(options.to.as_deref(), "import options: to")?
        .unwrap_or(SourceFormat::PodpassHcl);
    let source = options.source.as_deref().unwrap_or(DEFAULT_SOURCE);
    let imported =
        Configuration::import(&text, source, format, &NoFiles).map_err(PodpassError::from)?;
    let configuration = &imported.configuration;
    let output = configuration.export(to);
    Ok(to_js(&ImportResult {
        format: imported.format,
        to,
        output,
        notes: imported.notes,
    })?)
}
