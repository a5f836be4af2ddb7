//! The free functions every build has: questions that need no engine.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use podpass_core::acl::Operation;
use podpass_core::jwt;
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use wasm_bindgen::prelude::*;

use crate::error::{ErrorCode, PodpassError};
use crate::inputs::HttpOptions;
use crate::output::{options_from_js, text_from_js, to_js};
use crate::typescript::{DecodedJwtJs, HttpOptionsJs, TextJs};

/// Decodes a JWT for display: header, claims, algorithm, `kid`, signature. Verifies nothing.
#[wasm_bindgen(js_name = decodeJwt)]
pub fn decode_jwt(token: TextJs) -> Result<DecodedJwtJs, JsValue> {
    let token_js: JsValue = token.into();
    let token = text_from_js(token_js.clone(), "token")?;
    if let Some(quick) = QuickDecoded::of(&token) {
        let (start, end) = quick.signature_utf16;
        return Ok(decoded_jwt(&quick.json, &token_js, start, end)
            .map(JsCast::unchecked_into)
            .map_err(|_| {
                PodpassError::new(ErrorCode::Internal, "the host could not parse a result")
            })?);
    }
    // Anything the quick way does not accept: the core decodes it, and says what is wrong.
    let decoded = jwt::decode(&token).map_err(PodpassError::from)?;
    Ok(to_js(&decoded)?)
}

#[wasm_bindgen(module = "/js/lazy.js")]
extern "C" {
    /// `JSON.parse` of `json` (UTF-8 bytes) with `signature` set to the UTF-16 units
    /// `start..end` of `token`: the longest part of a token is answered as the host's own
    /// substring, neither copied into the answer's text nor parsed again.
    #[wasm_bindgen(js_name = decodedJwt, catch)]
    fn decoded_jwt(json: &[u8], token: &JsValue, start: u32, end: u32) -> Result<JsValue, JsValue>;
}

/// The answer of `decodeJwt` for a token the core would decode, worked out without building
/// the core's `DecodedJwt`.
struct QuickDecoded {
    /// The core's `DecodedJwt` shape as JSON, all but its `signature`, built from the token's
    /// own header and claims text once each is checked to be a JSON object as the core reads
    /// it. It is UTF-8: the parts' strings are checked as they are read, and everything else
    /// in it is ASCII.
    json: Vec<u8>,
    /// Where the signature is in the token, in UTF-16 units (the host's string indices).
    signature_utf16: (u32, u32),
}

impl QuickDecoded {
    /// `None` for any token the core would refuse (it then gives the error).
    fn of(token: &str) -> Option<QuickDecoded> {
        let trimmed = token.trim();
        if trimmed.is_empty() || trimmed.len() > jwt::MAX_JWT_BYTES {
            return None;
        }
        let mut parts = trimmed.split('.');
        let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        if !is_base64url(signature_b64) {
            return None;
        }
        // One buffer: the header and the claims are decoded straight into the answer.
        let mut json = Vec::with_capacity(header_b64.len() + claims_b64.len() + 64);
        json.extend_from_slice(b"{\"header\":");
        let fields = append_object(&mut json, header_b64)?;
        json.extend_from_slice(b",\"claims\":");
        append_object(&mut json, claims_b64)?;
        json.extend_from_slice(b",\"algorithm\":");
        serde_json::to_writer(&mut json, fields.alg.as_deref().unwrap_or_default()).ok()?;
        json.extend_from_slice(b",\"key_id\":");
        serde_json::to_writer(&mut json, &fields.kid).ok()?;
        json.push(b'}');
        // The parts are ASCII, so only whitespace trimmed from the front can count differently
        // in UTF-16 than in bytes.
        let leading = token.len() - token.trim_start().len();
        let start = utf16_len(token.get(..leading)?) + header_b64.len() + claims_b64.len() + 2;
        let end = start + signature_b64.len();
        Some(QuickDecoded {
            json,
            signature_utf16: (u32::try_from(start).ok()?, u32::try_from(end).ok()?),
        })
    }
}

/// The length of `text` in UTF-16 units.
fn utf16_len(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        text.encode_utf16().count()
    }
}

/// Whether `part` decodes as unpadded base64url, as the core's decoding requires of the
/// signature, without decoding it: every character is in the alphabet, and the last (possibly
/// partial) group of four decodes, which is where a bad length or stray trailing bits show.
fn is_base64url(part: &str) -> bool {
    if !part
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return false;
    }
    let last_group = match part.len() % 4 {
        0 => part.len().saturating_sub(4),
        partial => part.len() - partial,
    };
    // The alphabet is ASCII, so any offset is a character boundary.
    part.get(last_group..)
        .is_some_and(|group| URL_SAFE_NO_PAD.decode(group).is_ok())
}

/// Decodes one base64url part of a token onto the end of `json` and reads it as the core reads
/// a part: a JSON object.
fn append_object(json: &mut Vec<u8>, part_b64: &str) -> Option<JsonObject> {
    let start = json.len();
    URL_SAFE_NO_PAD.decode_vec(part_b64, json).ok()?;
    serde_json::from_slice(json.get(start..)?).ok()
}

/// A JSON object, checked as the core's `serde_json::Map` parse checks it (every value parsed
/// as `serde_json::Value` would be, numbers in range, strings valid) without building it; the
/// last string `alg` and `kid` are kept, as the core reads them from its map.
struct JsonObject {
    alg: Option<String>,
    kid: Option<String>,
}

impl<'de> Deserialize<'de> for JsonObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = JsonObject;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonObject, A::Error> {
                let mut object = JsonObject {
                    alg: None,
                    kid: None,
                };
                while let Some(key) = map.next_key::<Key>()? {
                    match key {
                        Key::Alg => {
                            object.alg = map
                                .next_value::<serde_json::Value>()?
                                .as_str()
                                .map(str::to_string)
                        }
                        Key::Kid => {
                            object.kid = map
                                .next_value::<serde_json::Value>()?
                                .as_str()
                                .map(str::to_string)
                        }
                        Key::Other => {
                            map.next_value::<AnyJson>()?;
                        }
                    }
                }
                Ok(object)
            }
        }
        deserializer.deserialize_map(ObjectVisitor)
    }
}

/// An object's key, read as `serde_json::Value` reads one (a string, its escapes checked) but
/// not kept: only whether it is `alg` or `kid` matters, so no key is allocated.
enum Key {
    Alg,
    Kid,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E>(self, key: &str) -> Result<Key, E> {
                Ok(match key {
                    "alg" => Key::Alg,
                    "kid" => Key::Kid,
                    _ => Key::Other,
                })
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Any JSON value, parsed as `serde_json::Value` parses it, and dropped.
struct AnyJson;

impl<'de> Deserialize<'de> for AnyJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AnyVisitor;
        impl<'de> Visitor<'de> for AnyVisitor {
            type Value = AnyJson;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any valid JSON value")
            }
            fn visit_bool<E>(self, _: bool) -> Result<AnyJson, E> {
                Ok(AnyJson)
            }
            fn visit_i64<E>(self, _: i64) -> Result<AnyJson, E> {
                Ok(AnyJson)
            }
            fn visit_u64<E>(self, _: u64) -> Result<AnyJson, E> {
                Ok(AnyJson)
            }
            fn visit_f64<E>(self, _: f64) -> Result<AnyJson, E> {
                Ok(AnyJson)
            }
            fn visit_str<E>(self, _: &str) -> Result<AnyJson, E> {
                Ok(AnyJson)
            }
            fn visit_unit<E>(self) -> Result<AnyJson, E> {
                Ok(AnyJson)
            }
            fn visit_none<E>(self) -> Result<AnyJson, E> {
                Ok(AnyJson)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<AnyJson, D::Error> {
                AnyJson::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AnyJson, A::Error> {
                while seq.next_element::<AnyJson>()?.is_some() {}
                Ok(AnyJson)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnyJson, A::Error> {
                while map.next_key::<Key>()?.is_some() {
                    map.next_value::<AnyJson>()?;
                }
                Ok(AnyJson)
            }
        }
        deserializer.deserialize_any(AnyVisitor)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn part(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    fn token(header: &str, claims: &str, signature: &str) -> String {
        format!("{}.{}.{signature}", part(header), part(claims))
    }

    /// The quick answer as the host makes it: the JSON parsed, the signature cut from the token.
    fn quick_value(token: &str, quick: &QuickDecoded) -> Option<serde_json::Value> {
        let mut value: serde_json::Value = serde_json::from_slice(&quick.json).ok()?;
        let units: Vec<u16> = token.encode_utf16().collect();
        let (start, end) = quick.signature_utf16;
        let signature = String::from_utf16(units.get(start as usize..end as usize)?).ok()?;
        value
            .as_object_mut()?
            .insert("signature".into(), signature.into());
        Some(value)
    }

    /// The quick answer, where there is one, says what the core's decoding says; where there is
    /// none, the core is asked, so every token the core refuses must be left to it.
    fn agrees_with_core(token: &str) -> bool {
        let core = jwt::decode(token)
            .ok()
            .map(|decoded| serde_json::to_value(decoded).ok());
        match QuickDecoded::of(token) {
            Some(quick) => core == Some(quick_value(token, &quick)),
            None => true,
        }
    }

    #[test]
    fn the_quick_answer_matches_the_core_on_awkward_tokens() {
        let long_signature = URL_SAFE_NO_PAD.encode([7u8; 2048]);
        let tokens = [
            token(r#"{"alg":"RS256","kid":"k1"}"#, r#"{"sub":"a"}"#, "c2ln"),
            token(
                r#"{"\u0061lg":"ES256","k\u0069d":"x"}"#,
                r#"{"a":{"b":[1,2.5,-3e2]}}"#,
                "c2ln",
            ),
            token(
                r#"{"alg":"RS256","alg":"HS256","kid":1}"#,
                r#"{"n":null}"#,
                "c2ln",
            ),
            token(r#"{"alg":"RS256"}"#, r#"{"n":1e400}"#, "c2ln"),
            token(r#"{"alg":7}"#, r#"{"s":"\ud800"}"#, "c2ln"),
            token(
                r#"{"alg":"RS256"}"#,
                r#"{"big":123456789012345678901234567890}"#,
                "c2ln",
            ),
            token(r#"{"alg":"RS256"}"#, r#"[1]"#, "c2ln"),
            token(r#"{"alg":"RS256"}"#, r#"{"a":1} x"#, "c2ln"),
            token(r#"{"alg":"RS256"}"#, r#"{"a":1}"#, "c2lnbg"),
            token(r#"{"alg":"RS256"}"#, r#"{"a":1}"#, "c2lnbh"),
            token(r#"{"alg":"RS256"}"#, r#"{"a":1}"#, &long_signature),
            token(
                r#"{"alg":"RS256"}"#,
                &format!("{}1{}", "[".repeat(200), "]".repeat(200)),
                "c2ln",
            ),
            format!(
                "{}.{}.c2ln",
                part(r#"{"alg":"RS256"}"#),
                URL_SAFE_NO_PAD.encode(b"{\"a\":\"\xff\"}")
            ),
        ];
        for token in &tokens {
            assert!(agrees_with_core(token), "{token}");
        }
        // Whitespace around a token, some of it wider than one byte or one UTF-16 unit apart.
        for padding in [" ", "\u{3000}\t", "\u{2028}\u{85} ", "\u{feff}"] {
            let padded = format!("{padding}{}{padding}", tokens[0]);
            assert!(agrees_with_core(&padded), "{padded:?}");
        }
        let padded = format!("\u{3000} {}\n", tokens[0]);
        assert!(QuickDecoded::of(&padded).is_some());
        // The quick way answers the ordinary tokens itself.
        assert!(QuickDecoded::of(&tokens[0]).is_some());
        assert!(QuickDecoded::of(&tokens[10]).is_some());
        assert!(QuickDecoded::of(&tokens[9]).is_none());
        assert!(QuickDecoded::of(&tokens[1]).is_some());
        assert!(QuickDecoded::of(&tokens[2]).is_some());
    }

    /// Checking the signature's last group of four says what decoding all of it says, for
    /// every string of up to six characters over letters whose low bits differ, the two URL-safe
    /// symbols and the ones base64url does not have.
    #[test]
    fn the_signature_check_agrees_with_decoding_it() {
        let symbols = [b'A', b'B', b'Q', b'g', b'_', b'-', b'=', b'+', b'.'];
        let mut checked = 0;
        for length in 0..=6u32 {
            for mut index in 0..symbols.len().pow(length) {
                let mut text = String::new();
                for _ in 0..length {
                    text.push(char::from(symbols[index % symbols.len()]));
                    index /= symbols.len();
                }
                assert_eq!(
                    is_base64url(&text),
                    URL_SAFE_NO_PAD.decode(&text).is_ok(),
                    "{text:?}"
                );
                checked += 1;
            }
        }
        assert_eq!(checked, (0..=6u32).map(|n| 9usize.pow(n)).sum::<usize>());
    }
}
