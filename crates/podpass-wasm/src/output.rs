//! Answers handed to JavaScript: the core's serde shapes as plain objects.
//!
//! A result is serialized to JSON in wasm and parsed once by the host's `JSON.parse`, which
//! builds the object graph natively; creating each property through the wasm boundary costs
//! several times more for a login's trace.

use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{ErrorCode, PodpassError};

/// `value` as a plain JS value, cast to the TypeScript-typed handle `T`.
pub(crate) fn to_js<T: JsCast>(value: &impl Serialize) -> Result<T, PodpassError> {
    let json = serde_json::to_string(value)
        .map_err(|e| PodpassError::new(ErrorCode::Internal, format!("serializing: {e}")))?;
    js_sys::JSON::parse(&json)
        .map(JsCast::unchecked_into)
        .map_err(|_| PodpassError::new(ErrorCode::Internal, "the host could not parse a result"))
}

/// A JS argument read into `T`; `what` names the argument in the error.
///
/// Read through `JSON.stringify`, so that every property is seen: a misspelt field is refused
/// by the input types instead of being silently skipped (reading field by field would only look
/// at the fields it knows).
pub(crate) fn from_js<T: serde::de::DeserializeOwned>(
    value: JsValue,
    what: &str,
) -> Result<T, PodpassError> {
    let text = js_sys::JSON::stringify(&value)
        .ok()
        .and_then(|text| text.as_string())
        .ok_or_else(|| PodpassError::argument(what, "expected a JSON-like object"))?;
    serde_json::from_str(&text).map_err(|e| PodpassError::argument(what, e))
}

/// An optional options object: `undefined` and `null` give the defaults.
pub(crate) fn options_from_js<T: serde::de::DeserializeOwned + Default>(
    value: Option<JsValue>,
    what: &str,
) -> Result<T, PodpassError> {
    match value {
        Some(value) if !value.is_undefined() && !value.is_null() => from_js(value, what),
        _ => Ok(T::default()),
    }
}
