//! JSON Web Tokens: decoding for display, and signature verification against a [`KeySet`].
//!
//! Decoding never verifies; it is what a debugger shows. Verification accepts exactly the
//! algorithms Kubernetes signs service-account tokens with (RS/PS 256–512, ES256/384) and never
//! `none` or HMAC, so a public key can never be used as an HMAC secret.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::{Map, Value};
use thiserror::Error;

use crate::keys::{KeyKind, KeySet, VerificationKey};

/// Tokens longer than this are refused before any parsing (a service-account JWT is about 1 KiB).
pub const MAX_JWT_BYTES: usize = 64 * 1024;

/// A signing algorithm podpass accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SigningAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA P-256 with SHA-256.
    ES256,
    /// ECDSA P-384 with SHA-384.
    ES384,
}

impl SigningAlgorithm {
    /// Every accepted algorithm.
    pub const ALL: [SigningAlgorithm; 8] = [
        SigningAlgorithm::RS256,
        SigningAlgorithm::RS384,
        SigningAlgorithm::RS512,
        SigningAlgorithm::PS256,
        SigningAlgorithm::PS384,
        SigningAlgorithm::PS512,
        SigningAlgorithm::ES256,
        SigningAlgorithm::ES384,
    ];

    /// The algorithm for a JWS `alg` header value, if accepted.
    #[inline]
    pub fn from_name(name: &str) -> Option<SigningAlgorithm> {
        SigningAlgorithm::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The JWS `alg` name.
    #[inline]
    pub fn name(self) -> &'static str {
        match self {
            SigningAlgorithm::RS256 => "RS256",
            SigningAlgorithm::RS384 => "RS384",
            SigningAlgorithm::RS512 => "RS512",
            SigningAlgorithm::PS256 => "PS256",
            SigningAlgorithm::PS384 => "PS384",
            SigningAlgorithm::PS512 => "PS512",
            SigningAlgorithm::ES256 => "ES256",
            SigningAlgorithm::ES384 => "ES384",
        }
    }

    /// Whether a key of this kind can verify this algorithm.
    #[inline]
    pub fn fits(self, kind: KeyKind) -> bool {
        match self {
            SigningAlgorithm::ES256 => kind == KeyKind::EcP256,
            SigningAlgorithm::ES384 => kind == KeyKind::EcP384,
            _ => matches!(kind, KeyKind::Rsa { .. }),
        }
    }

    #[inline]
    pub(crate) fn to_jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        match self {
            SigningAlgorithm::RS256 => jsonwebtoken::Algorithm::RS256,
            SigningAlgorithm::RS384 => jsonwebtoken::Algorithm::RS384,
            SigningAlgorithm::RS512 => jsonwebtoken::Algorithm::RS512,
            SigningAlgorithm::PS256 => jsonwebtoken::Algorithm::PS256,
            SigningAlgorithm::PS384 => jsonwebtoken::Algorithm::PS384,
            SigningAlgorithm::PS512 => jsonwebtoken::Algorithm::PS512,
            SigningAlgorithm::ES256 => jsonwebtoken::Algorithm::ES256,
            SigningAlgorithm::ES384 => jsonwebtoken::Algorithm::ES384,
        }
    }

    /// The accepted names joined for messages: `RS256, RS384, …`.
    #[inline]
    pub fn accepted_list() -> String {
        SigningAlgorithm::ALL
            .iter()
            .map(|a| a.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl std::fmt::Display for SigningAlgorithm {
    #[inline]
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The three parts of a compact JWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JwtPart {
    /// The first part.
    Header,
    /// The second part.
    Claims,
    /// The third part.
    Signature,
}

impl std::fmt::Display for JwtPart {
    #[inline]
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            JwtPart::Header => "header",
            JwtPart::Claims => "claims",
            JwtPart::Signature => "signature",
        })
    }
}

/// Why a token could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JwtError {
    /// Empty input.
    #[error("token is empty")]
    Empty,
    /// Longer than [`MAX_JWT_BYTES`].
    #[error("token is {bytes} bytes, over the {MAX_JWT_BYTES}-byte limit")]
    TooLarge {
        /// The token's length.
        bytes: usize,
    },
    /// Not `header.claims.signature`.
    #[error("token must have three dot-separated parts (header.claims.signature), found {parts}")]
    NotThreeParts {
        /// How many parts were found.
        parts: usize,
    },
    /// A part is not unpadded base64url.
    #[error("token {part} is not valid base64url")]
    BadBase64 {
        /// Which part.
        part: JwtPart,
    },
    /// The header or claims do not decode to a JSON object.
    #[error("token {part} is not a JSON object: {reason}")]
    NotJsonObject {
        /// Which part.
        part: JwtPart,
        /// The JSON parser's complaint.
        reason: String,
    },
}

/// A decoded, not yet verified, JWT.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct DecodedJwt {
    /// The JOSE header.
    #[cfg_attr(feature = "typescript", tsify(type = "Record<string, unknown>"))]
    pub header: Map<String, Value>,
    /// The claims set.
    #[cfg_attr(feature = "typescript", tsify(type = "Record<string, unknown>"))]
    pub claims: Map<String, Value>,
    /// The header's `alg`, or empty when missing or not a string.
    pub algorithm: String,
    /// The header's `kid`, when present.
    pub key_id: Option<String>,
    /// The signature part as sent (base64url).
    pub signature: String,
    #[serde(skip)]
    signing_input: String,
}

/// The three base64url parts of a compact JWS, not yet decoded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawJwt<'a> {
    pub(crate) header_b64: &'a str,
    pub(crate) claims_b64: &'a str,
    pub(crate) signature_b64: &'a str,
    pub(crate) signing_input: &'a str,
}

/// Splits a token into its parts after the size check, decoding nothing.
#[inline]
pub(crate) fn split(token: &str) -> Result<RawJwt<'_>, JwtError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(JwtError::Empty);
    }
    if token.len() > MAX_JWT_BYTES {
        return Err(JwtError::TooLarge { bytes: token.len() });
    }
    let mut parts = token.split('.');
    let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::NotThreeParts {
            parts: token.split('.').count(),
        });
    };
    Ok(RawJwt {
        header_b64,
        claims_b64,
        signature_b64,
        signing_input: &token[..header_b64.len() + 1 + claims_b64.len()],
    })
}

impl RawJwt<'_> {
    /// The header's `alg` and `kid`. A header that is an object but has an odd `alg` yields an
    /// empty algorithm (refused later, with the algorithm named), as [`decode`] does.
    #[inline]
    pub(crate) fn algorithm_and_key_id(&self) -> Result<(String, Option<String>), JwtError> {
        #[derive(serde::Deserialize)]
        struct Fields<'a> {
            #[serde(borrow, default)]
            alg: Option<std::borrow::Cow<'a, str>>,
            #[serde(borrow, default)]
            kid: Option<std::borrow::Cow<'a, str>>,
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(self.header_b64)
            .map_err(|_| JwtError::BadBase64 {
                part: JwtPart::Header,
            })?;
        match serde_json::from_slice::<Fields>(&bytes) {
            Ok(fields) => Ok((
                fields.alg.map(|a| a.into_owned()).unwrap_or_default(),
                fields.kid.map(|k| k.into_owned()),
            )),
            Err(_) => {
                let header = decode_object(self.header_b64, JwtPart::Header)?;
                let alg = header
                    .get("alg")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let kid = header
                    .get("kid")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                Ok((alg.to_string(), kid))
            }
        }
    }

    /// The decoded claims JSON (not parsed).
    #[inline]
    pub(crate) fn claims_json(&self) -> Result<Vec<u8>, JwtError> {
        URL_SAFE_NO_PAD
            .decode(self.claims_b64)
            .map_err(|_| JwtError::BadBase64 {
                part: JwtPart::Claims,
            })
    }
}

/// Decodes a compact JWT for display or checking. Verifies nothing.
#[inline]
pub fn decode(token: &str) -> Result<DecodedJwt, JwtError> {
    let raw = split(token)?;
    let header = decode_object(raw.header_b64, JwtPart::Header)?;
    let claims = decode_object(raw.claims_b64, JwtPart::Claims)?;
    if URL_SAFE_NO_PAD.decode(raw.signature_b64).is_err() {
        return Err(JwtError::BadBase64 {
            part: JwtPart::Signature,
        });
    }
    let algorithm = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let key_id = header
        .get("kid")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(DecodedJwt {
        header,
        claims,
        algorithm,
        key_id,
        signature: raw.signature_b64.to_string(),
        signing_input: raw.signing_input.to_string(),
    })
}

/// Not inlined: the general JSON parser is then compiled once, with the rest of the engine's.
#[inline(never)]
fn decode_object(part_b64: &str, part: JwtPart) -> Result<Map<String, Value>, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part_b64)
        .map_err(|_| JwtError::BadBase64 { part })?;
    serde_json::from_slice::<Map<String, Value>>(&bytes).map_err(|e| JwtError::NotJsonObject {
        part,
        reason: e.to_string(),
    })
}

/// Why a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignatureError {
    /// `alg` is not one podpass accepts (`none`, HMAC, EdDSA, ES512, unknown).
    #[error(
        "algorithm {alg:?} is not accepted (accepted: {})",
        SigningAlgorithm::accepted_list()
    )]
    AlgorithmNotAccepted {
        /// The header's `alg`.
        alg: String,
    },
    /// The signature part is empty.
    #[error("token is not signed")]
    Unsigned,
    /// No configured key can verify this algorithm (and `kid`).
    #[error("no configured key fits {alg}{}", kid.as_ref().map(|k| format!(" with kid {k:?}")).unwrap_or_default())]
    NoFittingKey {
        /// The algorithm.
        alg: SigningAlgorithm,
        /// The header's `kid`.
        kid: Option<String>,
    },
    /// Every fitting key was tried and none verified the signature.
    #[error("signature does not verify against {tried} configured key(s)")]
    Mismatch {
        /// How many keys were tried.
        tried: usize,
    },
    /// This build has no signature crypto of its own (a wasm32 build without the `rust-crypto`
    /// feature, as the wasm package's edge build): the host verifies
    /// ([`crate::host_signature`]).
    #[error(
        "this build of podpass verifies signatures through the host (loginAsync, WebCrypto), \
         not in the engine"
    )]
    NotBuiltIn,
}

/// A successful signature check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedSignature {
    /// The algorithm the token was signed with.
    pub algorithm: SigningAlgorithm,
    /// The key that verified it, described (e.g. `RSA 2048-bit key pem_keys[0]`).
    pub key: String,
}

impl DecodedJwt {
    /// The bytes the signature covers: the token's `header.claims` text.
    #[inline]
    pub(crate) fn signing_input(&self) -> &str {
        &self.signing_input
    }

    /// The accepted algorithm named by the header, or why it is not accepted.
    #[inline]
    pub(crate) fn signing_algorithm(&self) -> Result<SigningAlgorithm, SignatureError> {
        SigningAlgorithm::from_name(&self.algorithm).ok_or_else(|| {
            SignatureError::AlgorithmNotAccepted {
                alg: self.algorithm.clone(),
            }
        })
    }

    /// Verifies the signature against the keys that fit the algorithm. A JWK Set's keys are
    /// narrowed by `kid` when the token names one; `pem_keys` carry no `kid` and are all tried,
    /// as Vault does.
    #[inline]
    pub fn verify_signature(&self, keys: &KeySet) -> Result<VerifiedSignature, SignatureError> {
        let algorithm = self.signing_algorithm()?;
        verify_parts(
            &self.signature,
            &self.signing_input,
            algorithm,
            self.key_id.as_deref(),
            keys,
        )
    }
}

/// Verifies `signature` over `signing_input` with the keys that fit `algorithm` (and `kid`).
#[inline]
pub(crate) fn verify_parts(
    signature: &str,
    signing_input: &str,
    algorithm: SigningAlgorithm,
    kid: Option<&str>,
    keys: &KeySet,
) -> Result<VerifiedSignature, SignatureError> {
    if !has_crypto() {
        return Err(SignatureError::NotBuiltIn);
    }
    verify_parts_with(signature, algorithm, kid, keys, |_, key| {
        verifies_with(signature, signing_input, algorithm, key)
    })
}

/// Whether `signature` over `signing_input` verifies with `key`, by this build's own crypto
/// (callers have asked [`has_crypto`]).
#[inline]
pub(crate) fn verifies_with(
    signature: &str,
    signing_input: &str,
    algorithm: SigningAlgorithm,
    key: &VerificationKey,
) -> bool {
    let verified = jsonwebtoken::crypto::verify(
        signature,
        signing_input.as_bytes(),
        key.decoding_key(),
        algorithm.to_jsonwebtoken(),
    );
    matches!(verified, Ok(true))
}

/// Whether this build links signature crypto of its own: always natively (aws-lc-rs); on wasm32
/// with the `rust-crypto` feature (RustCrypto, `wasm_crypto`). Every use of jsonwebtoken's crypto
/// asks this first.
#[inline]
pub(crate) fn has_crypto() -> bool {
    // A native workspace build may link RustCrypto as well (a wasm face's feature, unified);
    // jsonwebtoken then picks neither by itself, so aws-lc-rs is chosen here, once.
    #[cfg(not(target_arch = "wasm32"))]
    {
        static NATIVE: std::sync::Once = std::sync::Once::new();
        NATIVE.call_once(|| {
            // Already chosen (the only backend, or by the embedding program) is fine too.
            let _ = jsonwebtoken::crypto::CryptoProvider::install_default(
                &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
            );
        });
    }
    // On wasm32, jsonwebtoken has no backend of its own: the `rust-crypto` feature brings ours
    // (installing again once it is installed only reads the cell).
    #[cfg(all(target_arch = "wasm32", feature = "rust-crypto"))]
    {
        let _ =
            jsonwebtoken::crypto::CryptoProvider::install_default(&crate::wasm_crypto::PROVIDER);
    }
    jsonwebtoken::crypto::CryptoProvider::try_get_default().is_some()
}

/// The signature rules around the crypto: an empty signature is refused, the keys that fit
/// `algorithm` (and `kid`) are tried in order with `verifies` (given the key's position in
/// `keys` and the key), the first that verifies wins. Shared by the core's own crypto and by
/// verdicts a host reached with its crypto ([`crate::host_signature`]), so both report the same.
#[inline]
pub(crate) fn verify_parts_with(
    signature: &str,
    algorithm: SigningAlgorithm,
    kid: Option<&str>,
    keys: &KeySet,
    mut verifies: impl FnMut(usize, &VerificationKey) -> bool,
) -> Result<VerifiedSignature, SignatureError> {
    if signature.is_empty() {
        return Err(SignatureError::Unsigned);
    }
    let mut tried = 0;
    for (index, key) in keys
        .keys()
        .iter()
        .enumerate()
        .filter(|(_, k)| key_is_candidate(k, algorithm, kid))
    {
        tried += 1;
        if verifies(index, key) {
            return Ok(VerifiedSignature {
                algorithm,
                key: key.describe(),
            });
        }
    }
    if tried == 0 {
        return Err(SignatureError::NoFittingKey {
            alg: algorithm,
            kid: kid.map(str::to_string),
        });
    }
    Err(SignatureError::Mismatch { tried })
}

#[inline]
pub(crate) fn key_is_candidate(
    key: &VerificationKey,
    algorithm: SigningAlgorithm,
    kid: Option<&str>,
) -> bool {
    if !algorithm.fits(key.kind()) {
        return false;
    }
    match (kid, key.kid()) {
        (Some(wanted), Some(has)) => wanted == has,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(text: &str) -> String {
        URL_SAFE_NO_PAD.encode(text)
    }

    #[test]
    fn decodes_header_and_claims() {
        let token = format!(
            "{}.{}.{}",
            b64(r#"{"alg":"RS256","kid":"k1"}"#),
            b64(r#"{"sub":"system:serviceaccount:a:b"}"#),
            b64("sig")
        );
        let decoded = decode(&token).expect("decodes");
        assert_eq!(decoded.algorithm, "RS256");
        assert_eq!(decoded.key_id.as_deref(), Some("k1"));
        assert_eq!(decoded.claims["sub"], "system:serviceaccount:a:b");
    }

    #[test]
    fn refuses_malformed_tokens_with_a_reason() {
        let h = b64(r#"{"alg":"RS256"}"#);
        let c = b64("{}");
        let cases: Vec<(String, JwtError)> = vec![
            (String::new(), JwtError::Empty),
            ("a.b".into(), JwtError::NotThreeParts { parts: 2 }),
            (format!("{h}.{c}.x.y"), JwtError::NotThreeParts { parts: 4 }),
            (
                format!("{h}!.{c}.x"),
                JwtError::BadBase64 {
                    part: JwtPart::Header,
                },
            ),
            (
                format!("{h}.{c}.*"),
                JwtError::BadBase64 {
                    part: JwtPart::Signature,
                },
            ),
        ];
        for (token, want) in cases {
            assert_eq!(decode(&token).expect_err(&token), want);
        }
        let not_object = format!("{h}.{}.x", b64("[1,2]"));
        assert!(matches!(
            decode(&not_object),
            Err(JwtError::NotJsonObject {
                part: JwtPart::Claims,
                ..
            })
        ));
    }

    #[test]
    fn refuses_oversized_tokens_before_parsing() {
        let token = "a".repeat(MAX_JWT_BYTES + 1);
        assert_eq!(
            decode(&token).expect_err("too big"),
            JwtError::TooLarge {
                bytes: MAX_JWT_BYTES + 1
            }
        );
    }

    #[test]
    fn algorithm_list_is_closed() {
        for bad in ["none", "HS256", "HS512", "EdDSA", "ES512", "rs256", ""] {
            assert!(SigningAlgorithm::from_name(bad).is_none(), "{bad}");
        }
        assert_eq!(
            SigningAlgorithm::from_name("PS384"),
            Some(SigningAlgorithm::PS384)
        );
    }
}
