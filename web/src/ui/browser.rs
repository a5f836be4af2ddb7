//! The few browser facilities the playground uses: the clock, timing, localStorage, the URL
//! fragment, the clipboard, WebCrypto (key generation, signing and verifying tokens) and moving
//! the editor's caret. None of them talks to the network.

use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, HtmlElement, HtmlTextAreaElement};

use podpass_core::host_signature::{HostVerdict, web_crypto_algorithm};

use crate::minting::{BrowserKey, SIGNING_ALGORITHM, TokenToSign};
use crate::signatures::{Job, Verdict};

/// The browser clock, whole seconds since the epoch.
pub fn now_seconds() -> i64 {
    (js_sys::Date::now() / 1000.0).floor() as i64
}

/// A high-resolution timestamp in milliseconds (`performance.now()`), 0 when unavailable.
pub fn performance_now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Adds a User Timing mark (`performance.mark(name)`), for measurements from outside.
pub fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ignored = performance.mark(name);
    }
}

/// Removes the element with this id, if there is one.
pub fn remove_element(id: &str) {
    if let Some(element) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
    {
        element.remove();
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The value stored under `key`, if storage is available and holds one.
pub fn load(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

/// Stores `value` under `key`; storage that is full or disabled is ignored (the playground
/// still works, it just will not remember).
pub fn save(key: &str, value: &str) {
    if let Some(storage) = storage() {
        let _ignored = storage.set_item(key, value);
    }
}

/// Removes `key` from storage.
pub fn forget(key: &str) {
    if let Some(storage) = storage() {
        let _ignored = storage.remove_item(key);
    }
}

/// The URL fragment, without `#`.
pub fn fragment() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .map(|h| h.trim_start_matches('#').to_string())
        .unwrap_or_default()
}

/// The page's address without its fragment.
fn address_without_fragment() -> Option<String> {
    let href = web_sys::window()?.location().href().ok()?;
    Some(href.split('#').next().unwrap_or_default().to_string())
}

/// Replaces the URL fragment without navigating (an empty fragment removes it), and returns
/// the full address.
pub fn set_fragment(fragment: &str) -> Option<String> {
    let window = web_sys::window()?;
    let base = address_without_fragment()?;
    let address = if fragment.is_empty() {
        base
    } else {
        format!("{base}#{fragment}")
    };
    window
        .history()
        .ok()?
        .replace_state_with_url(&JsValue::NULL, "", Some(&address))
        .ok()?;
    Some(address)
}

/// Copies `text` to the clipboard when the browser allows it (it may not, e.g. without focus);
/// the link is shown on the page either way.
pub fn copy_to_clipboard(text: &str) {
    if let Some(window) = web_sys::window() {
        let _promise = window.navigator().clipboard().write_text(text);
    }
}

/// Whether the visitor's system prefers a dark theme.
pub fn prefers_dark() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches())
}

/// Sets `data-theme` on the document element (`None` removes it: follow the system).
pub fn apply_theme(theme: Option<&str>) {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    else {
        return;
    };
    let _ignored = match theme {
        Some(theme) => root.set_attribute("data-theme", theme),
        None => root.remove_attribute("data-theme"),
    };
}

/// Selects line `line` (1-based) of the editor, scrolls it into view and focuses it.
pub fn go_to_line(editor: &HtmlTextAreaElement, line: u32) {
    let text = editor.value();
    let mut start = 0usize;
    let mut current = 1u32;
    for (index, c) in text.char_indices() {
        if current == line {
            break;
        }
        if c == '\n' {
            current += 1;
            start = index + 1;
        }
    }
    let end = text[start..].find('\n').map_or(text.len(), |n| start + n);
    // Selection offsets count UTF-16 code units.
    let utf16 = |byte: usize| text[..byte].encode_utf16().count() as u32;
    let _ignored = editor.focus();
    let _ignored = editor.set_selection_range(utf16(start), utf16(end));
    let line_height = line_height(editor);
    let top =
        f64::from(line.saturating_sub(1)) * line_height - f64::from(editor.client_height()) / 3.0;
    editor.set_scroll_top(top.max(0.0) as i32);
}

/// The element's computed line height in pixels (20 when it cannot be read).
fn line_height(element: &HtmlElement) -> f64 {
    web_sys::window()
        .and_then(|w| w.get_computed_style(element).ok().flatten())
        .and_then(|style| style.get_property_value("line-height").ok())
        .and_then(|value| value.trim_end_matches("px").parse::<f64>().ok())
        .unwrap_or(20.0)
}

/// The page's WebCrypto, or why there is none.
fn subtle() -> Result<web_sys::SubtleCrypto, String> {
    let subtle = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .map(|c| c.subtle())
        .ok_or("WebCrypto is not available here")?;
    // `crypto.subtle` is undefined outside secure contexts (plain HTTP from another host).
    if JsValue::from(subtle.clone()).is_undefined() {
        return Err(
            "WebCrypto needs a secure context: open the playground over HTTPS or from localhost"
                .to_string(),
        );
    }
    Ok(subtle)
}

/// WebCrypto's parameters for `algorithm`: for `importKey` and for `sign`/`verify`.
fn parameters(algorithm: podpass_core::jwt::SigningAlgorithm) -> Result<(Object, Object), String> {
    let named = web_crypto_algorithm(algorithm);
    let import = Object::new();
    let operation = Object::new();
    set(&import, "name", named.name)?;
    set(&operation, "name", named.name)?;
    match (named.named_curve, named.salt_length) {
        (Some(curve), _) => {
            set(&import, "namedCurve", curve)?;
            set(&operation, "hash", named.hash)?;
        }
        (None, salt) => {
            set(&import, "hash", named.hash)?;
            if let Some(salt) = salt {
                Reflect::set(&operation, &"saltLength".into(), &salt.into()).map_err(js_error)?;
            }
        }
    }
    Ok((import, operation))
}

/// Signs `token` with WebCrypto: the PKCS#8 key imported, the signing input signed.
pub async fn sign(token: TokenToSign) -> Result<String, String> {
    let subtle = subtle()?;
    let (import, operation) = parameters(SIGNING_ALGORITHM)?;
    let usages = Array::of1(&"sign".into());
    let key_data = Uint8Array::from(token.pkcs8.as_slice());
    let key: CryptoKey = JsFuture::from(
        subtle
            .import_key_with_object("pkcs8", &key_data, &import, false, &usages)
            .map_err(js_error)?,
    )
    .await
    .map_err(js_error)?
    .dyn_into()
    .map_err(js_error)?;
    let data = Uint8Array::from(token.unsigned.signing_input().as_bytes());
    let signature: ArrayBuffer = JsFuture::from(
        subtle
            .sign_with_object_and_buffer_source(&operation, &key, &data)
            .map_err(js_error)?,
    )
    .await
    .map_err(js_error)?
    .dyn_into()
    .map_err(js_error)?;
    Ok(token.unsigned.signed(&Uint8Array::new(&signature).to_vec()))
}

/// Verifies `job` with WebCrypto: its candidate keys in order, the first that verifies wins. A
/// key WebCrypto refuses, or a signature it rejects, verifies nothing, as in the core.
pub async fn verify(job: &Job) -> Verdict {
    let subtle = subtle()?;
    let (import, operation) = parameters(job.algorithm)?;
    let usages = Array::of1(&"verify".into());
    let signature = Uint8Array::from(job.signature.as_slice());
    let data = Uint8Array::from(job.signing_input.as_bytes());
    for (index, jwk) in &job.candidates {
        let Some(jwk) = jwk.as_deref().and_then(|jwk| js_sys::JSON::parse(jwk).ok()) else {
            continue;
        };
        let Ok(importing) =
            subtle.import_key_with_object("jwk", &jwk.unchecked_into(), &import, false, &usages)
        else {
            continue;
        };
        let Ok(key) = JsFuture::from(importing).await else {
            continue;
        };
        let Ok(verifying) = subtle.verify_with_object_and_buffer_source_and_buffer_source(
            &operation,
            &key.unchecked_into(),
            &signature,
            &data,
        ) else {
            continue;
        };
        if JsFuture::from(verifying)
            .await
            .ok()
            .and_then(|v| v.as_bool())
            == Some(true)
        {
            return Ok(HostVerdict {
                verified_by: Some(*index),
            });
        }
    }
    Ok(HostVerdict::default())
}

/// Generates an ECDSA P-256 key pair with WebCrypto and exports it (PKCS#8 and SPKI).
pub async fn generate_p256_key() -> Result<BrowserKey, String> {
    let subtle = subtle()?;
    let algorithm = Object::new();
    set(&algorithm, "name", "ECDSA")?;
    set(&algorithm, "namedCurve", "P-256")?;
    let usages = Array::of2(&"sign".into(), &"verify".into());
    let pair = JsFuture::from(
        subtle
            .generate_key_with_object(&algorithm, true, &usages)
            .map_err(js_error)?,
    )
    .await
    .map_err(js_error)?;
    let private: CryptoKey = Reflect::get(&pair, &"privateKey".into())
        .map_err(js_error)?
        .dyn_into()
        .map_err(js_error)?;
    let public: CryptoKey = Reflect::get(&pair, &"publicKey".into())
        .map_err(js_error)?
        .dyn_into()
        .map_err(js_error)?;
    let pkcs8 = export(&subtle, "pkcs8", &private).await?;
    let spki = export(&subtle, "spki", &public).await?;
    Ok(BrowserKey::from_der(&pkcs8, &spki))
}

async fn export(
    subtle: &web_sys::SubtleCrypto,
    format: &str,
    key: &CryptoKey,
) -> Result<Vec<u8>, String> {
    let buffer: ArrayBuffer = JsFuture::from(subtle.export_key(format, key).map_err(js_error)?)
        .await
        .map_err(js_error)?
        .dyn_into()
        .map_err(js_error)?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

fn set(object: &Object, key: &str, value: &str) -> Result<(), String> {
    Reflect::set(object, &key.into(), &value.into())
        .map(|_| ())
        .map_err(js_error)
}

fn js_error(value: JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| "the browser refused".to_string())
}
