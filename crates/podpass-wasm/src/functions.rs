//! The free functions: questions that need no engine.

use podpass_core::acl::Operation;
use podpass_core::configuration::{Configuration, NoFiles, SourceFormat};
use podpass_core::jwt;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::engine::DEFAULT_SOURCE;
use crate::error::PodpassError;
use crate::inputs::{HttpOptions, ImportOptions, LintInput, source_format};
use crate::output::{options_from_js, text_from_js, to_js};
use crate::typescript::{
    DecodedJwtJs, FindingsJs, HttpOptionsJs, ImportOptionsJs, ImportResultJs, LintOptionsJs, TextJs,
};

/// Decodes a JWT for display: header, claims, algorithm, `kid`, signature. Verifies nothing.
#[wasm_bindgen(js_name = decodeJwt)]
pub fn decode_jwt(token: TextJs) -> Result<DecodedJwtJs, JsValue> {
    let token = text_from_js(token.into(), "token")?;
    let decoded = jwt::decode(&token).map_err(PodpassError::from)?;
    Ok(to_js(&decoded)?)
}

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

/// The operation Vault checks for an HTTP request: `GET` reads (lists with `options.list`),
/// `LIST` lists, `POST`/`PUT` update when `options.itemExists` and create otherwise, `PATCH`
/// patches, `DELETE` deletes; `undefined` for other methods.
#[wasm_bindgen(js_name = operationForHttp, unchecked_return_type = "Operation | undefined")]
pub fn operation_for_http(
    method: TextJs,
    options: Option<HttpOptionsJs>,
) -> Result<JsValue, JsValue> {
    let method = text_from_js(method.into(), "method")?;
    let options: HttpOptions = options_from_js(options.map(Into::into), "http options")?;
    Ok(
        Operation::from_http(&method, options.list, options.item_exists)
            .map_or(JsValue::UNDEFINED, |op| JsValue::from_str(op.as_str())),
    )
}
