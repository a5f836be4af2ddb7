//! One JSON Web Key (RFC 7517) of a key set, read for verifying JWT signatures: RSA keys (`n`,
//! `e`) and EC keys on P-256 or P-384 (`crv`, `x`, `y`). Only the members that decide the key are
//! read, from the JSON as given, so members podpass never uses (an `alg` name, a certificate
//! chain, key operations) cannot make an otherwise good key unreadable.

use base64::Engine;
use jsonwebtoken::DecodingKey;
use serde_json::{Map, Value};

use super::{KeyKind, OTHER_CURVE, P521_UNSUPPORTED, rsa_kind};

/// The key's kind, `kid` and verifying form, or why it cannot verify JWT signatures.
pub(super) fn decode(entry: &Value) -> Result<(KeyKind, Option<String>, DecodingKey), String> {
    let jwk = entry
        .as_object()
        .ok_or_else(|| "not a JWK: expected an object".to_string())?;
    if member(jwk, "use")? == Some("enc") {
        return Err("encryption key (use=enc)".to_string());
    }
    let kid = member(jwk, "kid")?.map(str::to_string);
    let (kind, decoding) = match required(jwk, "kty")? {
        "RSA" => {
            let modulus = base64url(required(jwk, "n")?)?;
            let exponent = base64url(required(jwk, "e")?)?;
            (
                rsa_kind(&modulus)?,
                DecodingKey::from_rsa_raw_components(&modulus, &exponent),
            )
        }
        "EC" => ec_key(jwk)?,
        "oct" => return Err("symmetric keys are never accepted".to_string()),
        _ => return Err("Ed25519 and other key types are not accepted".to_string()),
    };
    Ok((kind, kid, decoding))
}

/// An EC key as the uncompressed point the PEM reader also produces (`0x04 || x || y`).
fn ec_key(jwk: &Map<String, Value>) -> Result<(KeyKind, DecodingKey), String> {
    let (kind, coordinate_len) = match required(jwk, "crv")? {
        "P-256" => (KeyKind::EcP256, 32),
        "P-384" => (KeyKind::EcP384, 48),
        "P-521" => return Err(P521_UNSUPPORTED.to_string()),
        _ => return Err(OTHER_CURVE.to_string()),
    };
    let x = base64url(required(jwk, "x")?)?;
    let y = base64url(required(jwk, "y")?)?;
    if x.len() != coordinate_len || y.len() != coordinate_len {
        return Err(format!(
            "unusable key: x and y must be {coordinate_len} bytes each on this curve"
        ));
    }
    let mut point = Vec::with_capacity(1 + 2 * coordinate_len);
    point.push(0x04);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    Ok((kind, DecodingKey::from_ec_der(&point)))
}

/// A string member, if present.
fn member<'j>(jwk: &'j Map<String, Value>, name: &str) -> Result<Option<&'j str>, String> {
    match jwk.get(name) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(format!("not a JWK: `{name}` is not a string")),
    }
}

fn required<'j>(jwk: &'j Map<String, Value>, name: &str) -> Result<&'j str, String> {
    member(jwk, name)?.ok_or_else(|| format!("not a JWK: no `{name}`"))
}

/// base64url without padding, as JWKs write their numbers (a trailing `=` is tolerated).
fn base64url(text: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|e| format!("bad base64url in key: {e}"))
}
