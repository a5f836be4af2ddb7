//! The free functions every build has: questions that need no engine.

use podpass_core::acl::Operation;
use podpass_core::jwt;
use wasm_bindgen::prelude::*;

use crate::error::PodpassError;
use crate::inputs::HttpOptions;
use crate::output::{options_from_js, text_from_js, to_js};
use crate::typescript::{DecodedJwtJs, HttpOptionsJs, TextJs};

/// Decodes a JWT for display: header, claims, algorithm, `kid`, signature. Verifies nothing.
#[wasm_bindgen(js_name = decodeJwt)]
pub fn decode_jwt(token: TextJs) -> Result<DecodedJwtJs, JsValue> {
    let token = text_from_js(token.into(), "token")?;
    let decoded = jwt::decode(&token).map_err(PodpassError::from)?;
    Ok(to_js(&decoded)?)
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
