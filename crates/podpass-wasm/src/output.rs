//! Answers handed to JavaScript: the core's serde shapes as plain objects.
//!
//! A result is serialized to JSON in wasm and parsed once by the host's `JSON.parse`, which
//! builds the object graph natively; creating each property through the wasm boundary costs
//! several times more for a login's trace.

use serde::Serialize;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{ErrorCode, PodpassError};

#[wasm_bindgen(module = "/js/lazy.js")]
extern "C" {
    /// Writes `text` as UTF-8 into `into` with the host's `TextEncoder`: the number of bytes
    /// written, or `None` when `into` was too small for all of it.
    #[wasm_bindgen(js_name = utf8Into)]
    fn utf8_into(text: &js_sys::JsString, into: &mut [u8]) -> Option<u32>;
}

/// Length (UTF-16 units) from which text is copied by [`long_text_from_js`]; below it the
/// encoder's own allocation costs more than the glue's copy.
const LONG_TEXT: u32 = 64;

/// A JS string as Rust text, copied by the host's native encoder (a lone surrogate becomes
/// U+FFFD). Worth it for long text such as a JWT; short text is as quick the usual way.
pub(crate) fn long_text_from_js(text: &js_sys::JsString) -> String {
    // Encoded straight into wasm memory. Room for one byte per UTF-16 unit fits ASCII (a JWT);
    // other text is encoded again with room for three, the most one unit can take.
    let units = text.length() as usize;
    let mut bytes = vec![0; units];
    let written = match utf8_into(text, &mut bytes) {
        Some(written) => written,
        None => {
            bytes = vec![0; units.saturating_mul(3)];
            utf8_into(text, &mut bytes).unwrap_or_default()
        }
    };
    bytes.truncate(written as usize);
    String::from_utf8(bytes)
        .unwrap_or_else(|invalid| String::from_utf8_lossy(invalid.as_bytes()).into_owned())
}

/// `value` as a plain JS value, cast to the TypeScript-typed handle `T`.
pub(crate) fn to_js<T: JsCast>(value: &impl Serialize) -> Result<T, PodpassError> {
    let json = serde_json::to_string(value).map_err(PodpassError::serializing)?;
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
        .ok_or_else(|| {
            PodpassError::argument(
                what,
                format!("expected a JSON-like object, got {}", type_name(&value)),
            )
        })?;
    serde_json::from_slice(text.as_bytes()).map_err(|e| PodpassError::argument(what, e))
}

/// A string argument as Rust text. Anything but a string, and a string that is not valid
/// Unicode (a lone UTF-16 surrogate, which would otherwise silently become U+FFFD and name a
/// different path), is refused.
pub(crate) fn text_from_js(value: JsValue, what: &str) -> Result<String, PodpassError> {
    let Some(text) = value.dyn_ref::<js_sys::JsString>() else {
        return Err(PodpassError::argument(
            what,
            format!("expected a string, got {}", type_name(&value)),
        ));
    };
    // The conversion turns a lone surrogate into U+FFFD; only text that has one can have been
    // invalid, and only then is the string checked unit by unit (a boundary call each).
    let converted = if text.length() > LONG_TEXT {
        long_text_from_js(text)
    } else {
        String::from(text)
    };
    if has_replacement_character(&converted) && !text.is_valid_utf16() {
        return Err(PodpassError::argument(
            what,
            "contains a lone UTF-16 surrogate, which is not valid Unicode",
        ));
    }
    Ok(converted)
}

/// Whether `text` has a U+FFFD (what the conversion makes of a lone surrogate); ASCII text,
/// such as a JWT, is told apart at once.
pub(crate) fn has_replacement_character(text: &str) -> bool {
    !text.is_ascii() && text.contains('\u{FFFD}')
}

/// An optional string argument: `undefined` and `null` are `None`.
pub(crate) fn optional_text_from_js(
    value: Option<JsValue>,
    what: &str,
) -> Result<Option<String>, PodpassError> {
    match value {
        Some(value) if !value.is_undefined() && !value.is_null() => {
            text_from_js(value, what).map(Some)
        }
        _ => Ok(None),
    }
}

/// JavaScript's name for a value's type, as an error message says it.
pub(crate) fn type_name(value: &JsValue) -> String {
    if value.is_null() {
        return "null".to_string();
    }
    if js_sys::Array::is_array(value) {
        return "an array".to_string();
    }
    value
        .js_typeof()
        .as_string()
        .unwrap_or_else(|| "an unknown value".to_string())
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
