//! Keys that verify service-account JWT signatures.
//!
//! Two sources: Vault's `pem_keys` (PEM public keys and X.509 certificates, RSA or ECDSA), and a
//! JSON Web Key Set such as a cluster's `/openid/v1/jwks` (selected by `kid`). Keys are decoded
//! once, when the configuration is written, so that a login only verifies.

use jsonwebtoken::DecodingKey;
use pkcs1::der::Decode;
use serde::Serialize;
use thiserror::Error;

mod jwk;
mod pem;

/// What kind of public key a [`VerificationKey`] holds; it decides which `alg` values it can verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum KeyKind {
    /// An RSA key (RS256/384/512, PS256/384/512).
    Rsa {
        /// Modulus size in bits.
        bits: usize,
    },
    /// An ECDSA key on P-256 (ES256).
    EcP256,
    /// An ECDSA key on P-384 (ES384).
    EcP384,
}

impl std::fmt::Display for KeyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyKind::Rsa { bits } => write!(f, "RSA {bits}-bit"),
            KeyKind::EcP256 => f.write_str("ECDSA P-256"),
            KeyKind::EcP384 => f.write_str("ECDSA P-384"),
        }
    }
}

/// Where a key came from, so explanations can point at it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "from")]
pub enum KeySource {
    /// `pem_keys[index]` of the auth config.
    PemKeys {
        /// Position in the `pem_keys` list.
        index: usize,
    },
    /// The key at `keys[index]` of a JWK Set.
    Jwks {
        /// Position in the set's `keys` array.
        index: usize,
    },
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::PemKeys { index } => write!(f, "pem_keys[{index}]"),
            KeySource::Jwks { index } => write!(f, "jwks keys[{index}]"),
        }
    }
}

/// One decoded public key.
#[derive(Clone)]
pub struct VerificationKey {
    kind: KeyKind,
    kid: Option<String>,
    source: KeySource,
    decoding: DecodingKey,
    /// [`VerificationKey::describe`]'s answer, written once: every verified login names its key.
    description: String,
}

impl std::fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerificationKey")
            .field("kind", &self.kind)
            .field("kid", &self.kid)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl VerificationKey {
    fn new(
        kind: KeyKind,
        kid: Option<String>,
        source: KeySource,
        decoding: DecodingKey,
    ) -> VerificationKey {
        let description = match &kid {
            Some(kid) => format!("{kind} key {source} (kid {kid})"),
            None => format!("{kind} key {source}"),
        };
        VerificationKey {
            kind,
            kid,
            source,
            decoding,
            description,
        }
    }

    /// The key's algorithm family and size.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The JWK `kid`, for keys from a JWK Set that carry one.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Where the key came from.
    pub fn source(&self) -> &KeySource {
        &self.source
    }

    /// A one-line description such as `RSA 2048-bit key pem_keys[0]`.
    pub fn describe(&self) -> String {
        self.description.clone()
    }

    pub(crate) fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }
}

/// Why keys could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    /// A `pem_keys` entry is not an RSA or ECDSA public key or certificate. The message is Vault's.
    #[error("data does not contain any valid RSA or ECDSA public keys")]
    InvalidPemKey {
        /// Position in the `pem_keys` list.
        index: usize,
        /// What exactly was wrong, for explanations beyond Vault's message.
        detail: String,
    },
    /// The JWK Set is not JSON of the form `{"keys": [...]}`.
    #[error("invalid JWK Set: {0}")]
    InvalidJwks(String),
    /// The JWK Set has no key podpass can verify with.
    #[error("JWK Set contains no usable RSA or ECDSA (P-256, P-384) signing key")]
    NoUsableJwk {
        /// Why each key was skipped.
        skipped: Vec<String>,
    },
}

impl KeyError {
    /// The detailed reason, where there is more to say than the headline.
    pub fn detail(&self) -> Option<String> {
        match self {
            KeyError::InvalidPemKey { index, detail } => {
                Some(format!("pem_keys[{index}]: {detail}"))
            }
            KeyError::InvalidJwks(_) => None,
            KeyError::NoUsableJwk { skipped } => Some(skipped.join("; ")),
        }
    }
}

/// The keys a login's signature is checked against.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: Vec<VerificationKey>,
    skipped: Vec<String>,
}

impl KeySet {
    /// Reads Vault's `pem_keys`: each entry one PEM block holding a `PUBLIC KEY` (SPKI),
    /// a `CERTIFICATE`, or (beyond Vault) a PKCS#1 `RSA PUBLIC KEY`.
    pub fn from_pem_keys<S: AsRef<str>>(pem_keys: &[S]) -> Result<KeySet, KeyError> {
        let mut keys = Vec::with_capacity(pem_keys.len());
        for (index, pem) in pem_keys.iter().enumerate() {
            let (kind, decoding) = decode_pem(pem.as_ref().trim())
                .map_err(|detail| KeyError::InvalidPemKey { index, detail })?;
            keys.push(VerificationKey::new(
                kind,
                None,
                KeySource::PemKeys { index },
                decoding,
            ));
        }
        Ok(KeySet {
            keys,
            skipped: Vec::new(),
        })
    }

    /// Reads a JWK Set (`{"keys":[...]}`). Keys that cannot sign JWTs podpass accepts
    /// (encryption keys, symmetric keys, Ed25519, P-521) are skipped and listed in [`KeySet::skipped`].
    pub fn from_jwks_json(json: &str) -> Result<KeySet, KeyError> {
        let document: serde_json::Value = serde_json::from_slice(json.as_bytes())
            .map_err(|e| KeyError::InvalidJwks(e.to_string()))?;
        KeySet::from_jwks(&document)
    }

    /// [`KeySet::from_jwks_json`] on a JWK Set already parsed.
    pub fn from_jwks(document: &serde_json::Value) -> Result<KeySet, KeyError> {
        let entries = document
            .get("keys")
            .and_then(|k| k.as_array())
            .ok_or_else(|| {
                KeyError::InvalidJwks("expected an object with a \"keys\" array".into())
            })?;
        let mut keys = Vec::new();
        let mut skipped = Vec::new();
        for (index, entry) in entries.iter().enumerate() {
            match jwk::decode(entry) {
                Ok((kind, kid, decoding)) => keys.push(VerificationKey::new(
                    kind,
                    kid,
                    KeySource::Jwks { index },
                    decoding,
                )),
                Err(why) => skipped.push(format!("keys[{index}]: {why}")),
            }
        }
        if keys.is_empty() {
            return Err(KeyError::NoUsableJwk { skipped });
        }
        Ok(KeySet { keys, skipped })
    }

    /// Every usable key, in configuration order.
    pub fn keys(&self) -> &[VerificationKey] {
        &self.keys
    }

    /// Keys of a JWK Set that were ignored, with the reason.
    pub fn skipped(&self) -> &[String] {
        &self.skipped
    }

    /// True when there is no key: Vault then skips the signature check and relies on TokenReview.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Adds the keys of another set after this one's.
    pub fn extend(&mut self, other: KeySet) {
        self.keys.extend(other.keys);
        self.skipped.extend(other.skipped);
    }
}

/// Why an EC key on P-521 is refused (Vault's Kubernetes auth accepts no ES512 either).
const P521_UNSUPPORTED: &str = "P-521 keys (ES512) are not supported";
/// Why an EC key on a curve other than P-256, P-384 or P-521 is refused.
const OTHER_CURVE: &str = "only P-256 and P-384 curves are accepted";

/// Why an entry is not even a key podpass reads; also what jsonwebtoken's reader ended in.
const NOT_A_PEM_KEY: &str =
    "not a PEM-encoded RSA or ECDSA public key (PUBLIC KEY, RSA PUBLIC KEY) or certificate";

/// Reads the first PEM block of a `pem_keys` entry (see [`pem::first_block`] for the framing).
fn decode_pem(text: &str) -> Result<(KeyKind, DecodingKey), String> {
    let block = pem::first_block(text).ok_or(NOT_A_PEM_KEY)?;
    let key = match block.label {
        "RSA PUBLIC KEY" => pem::PublicKey::Rsa(&block.der),
        "PUBLIC KEY" | "CERTIFICATE" => {
            pem::spki_or_certificate_key(&block.der).ok_or(NOT_A_PEM_KEY)?
        }
        _ => return Err(NOT_A_PEM_KEY.to_string()),
    };
    match key {
        pem::PublicKey::Rsa(der) => {
            let public = pkcs1::RsaPublicKeyRef::from_der(der)
                .map_err(|e| format!("malformed RSA public key: {e}"))?;
            let kind = rsa_kind(public.modulus.as_bytes())?;
            Ok((kind, DecodingKey::from_rsa_der(der)))
        }
        pem::PublicKey::Ec { curve, point } => {
            let kind = ec_kind_from_point(point)?;
            // The point's length already tells P-256 from P-384; the curve named beside it must
            // agree, so that a key on another curve of the same size (secp256k1, brainpool) is
            // refused here rather than failing every login.
            let named = match kind {
                KeyKind::EcP256 => pem::P256,
                _ => pem::P384,
            };
            match curve {
                Some(curve) if curve == named => {}
                Some(pem::P521) => return Err(P521_UNSUPPORTED.to_string()),
                Some(pem::P256 | pem::P384) => {
                    return Err("unsupported or compressed elliptic-curve point".to_string());
                }
                _ => return Err(OTHER_CURVE.to_string()),
            }
            Ok((kind, DecodingKey::from_ec_der(point)))
        }
    }
}

/// A private key read from PEM, in the DER form jsonwebtoken's signer takes.
#[cfg(feature = "mint")]
#[derive(Debug)]
pub(crate) struct PrivateKeyDer {
    /// What the key is, to match it against the signing algorithm.
    pub(crate) kind: KeyKind,
    /// PKCS#1 DER for RSA (`EncodingKey::from_rsa_der`), PKCS#8 DER for ECDSA (`from_ec_der`).
    pub(crate) der: Vec<u8>,
}

/// The decoded body of the first PEM block of `text` when it is labelled `label`: the DER
/// inside, not read any further.
#[cfg(feature = "demo")]
pub(crate) fn pem_body(text: &str, label: &str) -> Option<Vec<u8>> {
    pem::first_block(text)
        .filter(|block| block.label == label)
        .map(|block| block.der)
}

/// Reads the first PEM block of a private key (see [`pem::first_block`] for the framing).
#[cfg(feature = "mint")]
pub(crate) fn decode_private_pem(text: &str) -> Result<PrivateKeyDer, String> {
    let block = pem::first_block(text)
        .ok_or("not a PEM-encoded private key (PRIVATE KEY or RSA PRIVATE KEY)")?;
    match pem::private_key(&block)? {
        pem::PrivateKey::Rsa(der) => {
            let private = pkcs1::RsaPrivateKeyRef::from_der(der)
                .map_err(|e| format!("malformed RSA private key: {e}"))?;
            let bits = modulus_bits(private.modulus.as_bytes());
            Ok(PrivateKeyDer {
                kind: KeyKind::Rsa { bits },
                der: der.to_vec(),
            })
        }
        pem::PrivateKey::Ec { curve, pkcs8 } => {
            let kind = match curve {
                Some(pem::P256) => KeyKind::EcP256,
                Some(pem::P384) => KeyKind::EcP384,
                Some(pem::P521) => return Err(P521_UNSUPPORTED.to_string()),
                _ => return Err(OTHER_CURVE.to_string()),
            };
            Ok(PrivateKeyDer {
                kind,
                der: pkcs8.to_vec(),
            })
        }
    }
}

/// The size of an RSA modulus in bits, leading zero bits not counted.
fn modulus_bits(modulus: &[u8]) -> usize {
    let significant = modulus
        .iter()
        .position(|byte| *byte != 0)
        .map_or(&[][..], |first| &modulus[first..]);
    significant.len() * 8
        - significant
            .first()
            .map_or(0, |b| b.leading_zeros() as usize)
}

/// An RSA key's kind from its modulus, refused under 1024 bits, as Go's crypto/rsa refuses them.
fn rsa_kind(modulus: &[u8]) -> Result<KeyKind, String> {
    let bits = modulus_bits(modulus);
    if bits < 1024 {
        return Err(format!("RSA key of {bits} bits is too small"));
    }
    Ok(KeyKind::Rsa { bits })
}

/// Uncompressed SEC1 points have a known length per curve; that is how the curve is told apart.
fn ec_kind_from_point(point: &[u8]) -> Result<KeyKind, String> {
    match (point.first(), point.len()) {
        (Some(4), 65) => Ok(KeyKind::EcP256),
        (Some(4), 97) => Ok(KeyKind::EcP384),
        (Some(4), 133) => Err(P521_UNSUPPORTED.to_string()),
        _ => Err("unsupported or compressed elliptic-curve point".to_string()),
    }
}

/// DER bytes as one PEM block (`-----BEGIN <label>-----`, base64 in 64-column lines,
/// `-----END <label>-----`), without a newline after the last line. What `pem_keys` and
/// [`crate::mint::SigningKey::from_pem`] read; key files add the final newline.
pub fn der_to_pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    // Base64 output is ASCII, so byte chunks are character chunks.
    for line in encoded.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_wrap_at_64_columns_and_read_back() {
        use base64::Engine;
        let der: Vec<u8> = (0..=99).collect();
        let text = der_to_pem("PUBLIC KEY", &der);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "-----BEGIN PUBLIC KEY-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines.last(), Some(&"-----END PUBLIC KEY-----"));
        assert!(!text.ends_with('\n'));
        let body: String = lines[1..lines.len() - 1].concat();
        let decoded = base64::engine::general_purpose::STANDARD.decode(body);
        assert_eq!(decoded.ok(), Some(der));
    }

    const RSA_PUB: &str = include_str!("../../../tests/fixtures/keys/rsa-2048.pub.pem");
    const RSA_CERT: &str = include_str!("../../../tests/fixtures/keys/rsa-2048.cert.pem");
    const RSA_PKCS1: &str = include_str!("../../../tests/fixtures/keys/rsa-2048.pkcs1.pub.pem");
    const EC256_PUB: &str = include_str!("../../../tests/fixtures/keys/ec-p256.pub.pem");
    const EC384_PUB: &str = include_str!("../../../tests/fixtures/keys/ec-p384.pub.pem");
    const RSA_PRIVATE: &str = include_str!("../../../tests/fixtures/keys/rsa-2048.key.pem");

    #[test]
    fn reads_every_accepted_pem_form() {
        let set = KeySet::from_pem_keys(&[RSA_PUB, RSA_CERT, RSA_PKCS1, EC256_PUB, EC384_PUB])
            .expect("all fixture keys are valid");
        let kinds: Vec<KeyKind> = set.keys().iter().map(|k| k.kind()).collect();
        assert_eq!(
            kinds,
            vec![
                KeyKind::Rsa { bits: 2048 },
                KeyKind::Rsa { bits: 2048 },
                KeyKind::Rsa { bits: 2048 },
                KeyKind::EcP256,
                KeyKind::EcP384
            ]
        );
        assert_eq!(set.keys()[3].describe(), "ECDSA P-256 key pem_keys[3]");
    }

    #[test]
    fn certificate_and_bare_key_decode_to_the_same_key() {
        let set = KeySet::from_pem_keys(&[RSA_PUB, RSA_CERT]).expect("valid");
        assert_eq!(
            set.keys()[0].decoding_key().try_get_as_bytes().ok(),
            set.keys()[1].decoding_key().try_get_as_bytes().ok()
        );
    }

    #[test]
    fn rejects_garbage_with_vaults_message_and_position() {
        for bad in [
            "",
            "hello",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
            RSA_PRIVATE,
        ] {
            let err = KeySet::from_pem_keys(&[RSA_PUB, bad]).expect_err("must reject");
            assert_eq!(
                err.to_string(),
                "data does not contain any valid RSA or ECDSA public keys"
            );
            assert!(
                matches!(err, KeyError::InvalidPemKey { index: 1, .. }),
                "{err:?}"
            );
        }
    }

    const EC384_CERT: &str = include_str!("../../../tests/fixtures/keys/ec-p384.cert.pem");
    const EC256_PRIVATE: &str = include_str!("../../../tests/fixtures/keys/ec-p256.key.pem");

    /// The detail of a refused single `pem_keys` entry.
    fn refusal(text: &str) -> String {
        match KeySet::from_pem_keys(&[text]) {
            Err(KeyError::InvalidPemKey { index: 0, detail }) => detail,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    fn kind(text: &str) -> KeyKind {
        match KeySet::from_pem_keys(&[text]) {
            Ok(set) => set.keys()[0].kind(),
            Err(e) => panic!("expected a key, got {e:?} ({:?})", e.detail()),
        }
    }

    fn der_of(text: &str) -> Vec<u8> {
        pem::first_block(text).expect("fixture").der
    }

    /// A DER element (definite length, short or long form).
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let len = content.len();
        let mut out = vec![tag];
        match len {
            0..=127 => out.push(len as u8),
            128..=255 => out.extend([0x81, len as u8]),
            _ => out.extend([0x82, (len >> 8) as u8, len as u8]),
        }
        out.extend_from_slice(content);
        out
    }

    fn oid(dotted: &str) -> Vec<u8> {
        let oid = pkcs1::der::asn1::ObjectIdentifier::new(dotted).expect("valid OID");
        tlv(0x06, oid.as_bytes())
    }

    /// SubjectPublicKeyInfo from an algorithm OID, optional parameters and the key bits.
    fn spki(algorithm: &str, parameters: Option<&[u8]>, key: &[u8]) -> Vec<u8> {
        let mut algorithm_id = oid(algorithm);
        algorithm_id.extend_from_slice(parameters.unwrap_or_default());
        let bits = [&[0u8][..], key].concat();
        tlv(0x30, &[tlv(0x30, &algorithm_id), tlv(0x03, &bits)].concat())
    }

    fn ec_spki(curve: &str, point: &[u8]) -> Vec<u8> {
        spki("1.2.840.10045.2.1", Some(&oid(curve)), point)
    }

    /// A PKCS#1 RSAPublicKey whose modulus has exactly `bits` bits.
    fn rsa_pkcs1(bits: usize) -> Vec<u8> {
        let mut modulus = vec![0xC5u8; bits.div_ceil(8)];
        modulus[0] = 0xFF >> (modulus.len() * 8 - bits);
        // DER INTEGERs are signed: a leading zero only when the top bit is set.
        if modulus[0] & 0x80 != 0 {
            modulus.insert(0, 0);
        }
        tlv(0x30, &[tlv(0x02, &modulus), tlv(0x02, &[1, 0, 1])].concat())
    }

    /// A minimal X.509 certificate around `spki`, version 1 (no version field) or 3.
    fn certificate(spki: &[u8], v3: bool) -> Vec<u8> {
        let signature_algorithm = tlv(0x30, &oid("1.2.840.10045.4.3.2"));
        let name = tlv(0x30, &[]);
        let mut tbs = Vec::new();
        if v3 {
            tbs.extend(tlv(0xA0, &tlv(0x02, &[2])));
        }
        tbs.extend(tlv(0x02, &[1]));
        tbs.extend(&signature_algorithm);
        tbs.extend(&name);
        tbs.extend(tlv(0x30, &[]));
        tbs.extend(&name);
        tbs.extend_from_slice(spki);
        let signature = tlv(0x03, &[0]);
        tlv(
            0x30,
            &[tlv(0x30, &tbs), signature_algorithm, signature].concat(),
        )
    }

    const NOT_A_KEY: &str =
        "not a PEM-encoded RSA or ECDSA public key (PUBLIC KEY, RSA PUBLIC KEY) or certificate";

    #[test]
    fn reads_an_ec_certificate() {
        assert_eq!(kind(EC384_CERT), KeyKind::EcP384);
        let set = KeySet::from_pem_keys(&[EC384_PUB, EC384_CERT]).expect("valid");
        assert_eq!(
            set.keys()[0].decoding_key().try_get_as_bytes().ok(),
            set.keys()[1].decoding_key().try_get_as_bytes().ok()
        );
    }

    #[test]
    fn decoding_keys_hold_the_pkcs1_key_or_the_point() {
        let set = KeySet::from_pem_keys(&[RSA_PUB, RSA_PKCS1, EC256_PUB]).expect("valid");
        let bytes: Vec<&[u8]> = set
            .keys()
            .iter()
            .map(|k| k.decoding_key().try_get_as_bytes().expect("DER key"))
            .collect();
        assert_eq!(bytes[0], der_of(RSA_PKCS1).as_slice());
        assert_eq!(bytes[1], der_of(RSA_PKCS1).as_slice());
        assert_eq!(bytes[2].len(), 65);
        assert_eq!(bytes[2][0], 4);
        assert!(der_of(EC256_PUB).ends_with(bytes[2]));
    }

    #[test]
    fn certificates_and_public_keys_are_read_under_either_label() {
        // jsonwebtoken read both labels alike, and Vault ignores the label altogether.
        let cert_as_key = der_to_pem("PUBLIC KEY", &der_of(RSA_CERT));
        let key_as_cert = der_to_pem("CERTIFICATE", &der_of(EC256_PUB));
        assert_eq!(kind(&cert_as_key), KeyKind::Rsa { bits: 2048 });
        assert_eq!(kind(&key_as_cert), KeyKind::EcP256);
    }

    #[test]
    fn reads_minimal_version_1_and_3_certificates() {
        let point = der_of(EC256_PUB)[26..].to_vec();
        let key = ec_spki("1.2.840.10045.3.1.7", &point);
        for v3 in [false, true] {
            let text = der_to_pem("CERTIFICATE", &certificate(&key, v3));
            assert_eq!(kind(&text), KeyKind::EcP256, "v3 {v3}");
        }
        // Trailing data after the certificate, or a missing signature, is malformed.
        let mut trailing = certificate(&key, true);
        trailing.push(0);
        assert_eq!(refusal(&der_to_pem("CERTIFICATE", &trailing)), NOT_A_KEY);
    }

    #[test]
    fn pem_framing_is_what_jsonwebtoken_accepted() {
        let surrounded = format!("issuer=CN = x\n{RSA_PUB}\n\nnot read: {EC256_PUB}\n");
        assert_eq!(kind(&surrounded), KeyKind::Rsa { bits: 2048 });
        assert_eq!(kind(&EC256_PUB.replace('\n', "\r\n")), KeyKind::EcP256);
        let headers = EC256_PUB.replacen("-----\n", "-----\nComment: a key\n\n", 1);
        assert_eq!(kind(&headers), KeyKind::EcP256);
        for bad in [
            EC256_PUB.replace('=', ""),
            EC256_PUB.replace("END PUBLIC", "END RSA PUBLIC"),
            EC256_PUB.replace("PUBLIC KEY", "EC PUBLIC KEY"),
            RSA_CERT.replace("CERTIFICATE", "X509 CERTIFICATE"),
        ] {
            assert_eq!(refusal(&bad), NOT_A_KEY, "{bad}");
        }
    }

    #[test]
    fn rsa_keys_under_1024_bits_are_refused() {
        let small = rsa_pkcs1(1023);
        assert_eq!(
            refusal(&der_to_pem("RSA PUBLIC KEY", &small)),
            "RSA key of 1023 bits is too small"
        );
        let small_spki = spki("1.2.840.113549.1.1.1", Some(&[5, 0]), &small);
        assert_eq!(
            refusal(&der_to_pem("PUBLIC KEY", &small_spki)),
            "RSA key of 1023 bits is too small"
        );
        let smallest = rsa_pkcs1(1024);
        assert_eq!(
            kind(&der_to_pem("RSA PUBLIC KEY", &smallest)),
            KeyKind::Rsa { bits: 1024 }
        );
    }

    #[test]
    fn malformed_rsa_keys_say_so() {
        let detail = refusal(&der_to_pem("RSA PUBLIC KEY", &der_of(RSA_PUB)));
        assert!(detail.starts_with("malformed RSA public key: "), "{detail}");
        let not_pkcs1 = spki("1.2.840.113549.1.1.1", Some(&[5, 0]), &[0x30, 0]);
        let detail = refusal(&der_to_pem("PUBLIC KEY", &not_pkcs1));
        assert!(detail.starts_with("malformed RSA public key: "), "{detail}");
    }

    #[test]
    fn ec_keys_other_than_p256_and_p384_are_refused() {
        let mut point = vec![4u8; 133];
        assert_eq!(
            refusal(&der_to_pem("PUBLIC KEY", &ec_spki("1.3.132.0.35", &point))),
            "P-521 keys (ES512) are not supported"
        );
        point.truncate(33);
        point[0] = 2;
        assert_eq!(
            refusal(&der_to_pem(
                "PUBLIC KEY",
                &ec_spki("1.2.840.10045.3.1.7", &point)
            )),
            "unsupported or compressed elliptic-curve point"
        );
        let p256_point = der_of(EC256_PUB)[26..].to_vec();
        assert_eq!(p256_point.len(), 65);
        // The right size for P-256, but on secp256k1, or with no named curve.
        assert_eq!(
            refusal(&der_to_pem(
                "PUBLIC KEY",
                &ec_spki("1.3.132.0.10", &p256_point)
            )),
            "only P-256 and P-384 curves are accepted"
        );
        assert_eq!(
            refusal(&der_to_pem(
                "PUBLIC KEY",
                &spki("1.2.840.10045.2.1", None, &p256_point)
            )),
            "only P-256 and P-384 curves are accepted"
        );
        // A P-256 point under the P-384 name.
        assert_eq!(
            refusal(&der_to_pem(
                "PUBLIC KEY",
                &ec_spki("1.3.132.0.34", &p256_point)
            )),
            "unsupported or compressed elliptic-curve point"
        );
    }

    #[test]
    fn other_keys_and_private_keys_are_not_pem_keys() {
        let ed25519 = spki("1.3.101.112", None, &[7; 32]);
        let rsa_pss = spki("1.2.840.113549.1.1.10", None, &rsa_pkcs1(2048));
        let mut odd_bits = ec_spki("1.2.840.10045.3.1.7", &der_of(EC256_PUB)[26..]);
        // A BIT STRING with unused bits cannot hold a key.
        let unused = odd_bits.len() - 66;
        odd_bits[unused] = 1;
        for text in [
            der_to_pem("PUBLIC KEY", &ed25519),
            der_to_pem("PUBLIC KEY", &rsa_pss),
            der_to_pem("PUBLIC KEY", &odd_bits),
            RSA_PRIVATE.to_string(),
            EC256_PRIVATE.to_string(),
            der_to_pem("RSA PRIVATE KEY", &der_of(RSA_PRIVATE)),
        ] {
            assert_eq!(refusal(&text), NOT_A_KEY, "{text}");
        }
    }

    /// Every refusal is one of the known details.
    fn assert_known_refusal(text: &str) {
        if let Err(KeyError::InvalidPemKey { detail, .. }) = KeySet::from_pem_keys(&[text]) {
            assert!(
                detail == NOT_A_KEY
                    || detail.starts_with("malformed RSA public key: ")
                    || (detail.starts_with("RSA key of ") && detail.ends_with(" is too small"))
                    || detail == "P-521 keys (ES512) are not supported"
                    || detail == "unsupported or compressed elliptic-curve point"
                    || detail == "only P-256 and P-384 curves are accepted",
                "{detail}"
            );
        }
    }

    #[test]
    fn truncated_or_garbled_der_never_panics() {
        for (label, source) in [
            ("PUBLIC KEY", RSA_PUB),
            ("PUBLIC KEY", EC256_PUB),
            ("CERTIFICATE", RSA_CERT),
            ("CERTIFICATE", EC384_CERT),
            ("RSA PUBLIC KEY", RSA_PKCS1),
        ] {
            let der = der_of(source);
            for end in 0..der.len() {
                assert_known_refusal(&der_to_pem(label, &der[..end]));
            }
            for at in 0..der.len() {
                for garble in [0x00, 0x80, 0xFF] {
                    let mut bad = der.clone();
                    bad[at] = garble;
                    assert_known_refusal(&der_to_pem(label, &bad));
                }
            }
        }
    }

    #[cfg(feature = "mint")]
    #[test]
    fn private_keys_truncated_or_garbled_are_refused_without_panicking() {
        const EC256_PRIVATE: &str = include_str!("../../../tests/fixtures/keys/ec-p256.key.pem");
        for source in [RSA_PRIVATE, EC256_PRIVATE] {
            let der = der_of(source);
            let read = |bytes: &[u8]| decode_private_pem(&der_to_pem("PRIVATE KEY", bytes));
            let kind = read(&der).expect("fixture").kind;
            for end in 0..der.len() {
                assert!(read(&der[..end]).is_err(), "truncated at {end}");
            }
            for at in 0..der.len() {
                for garble in [0x00, 0x80, 0xFF] {
                    let mut bad = der.clone();
                    bad[at] = garble;
                    // A garbled byte inside a key's numbers may still read, but never as
                    // another kind of key (an RSA modulus may lose bits).
                    if let Ok(read) = read(&bad) {
                        assert_eq!(
                            std::mem::discriminant(&read.kind),
                            std::mem::discriminant(&kind),
                            "garbled at {at}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn reads_a_jwks_and_skips_what_it_cannot_use() {
        let jwks = r#"{"keys":[
            {"kty":"oct","k":"c2VjcmV0"},
            {"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"},
            {"kty":"EC","crv":"P-256","kid":"ec1","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}
        ]}"#;
        let set = KeySet::from_jwks_json(jwks).expect("one usable key");
        assert_eq!(set.keys().len(), 1);
        assert_eq!(set.keys()[0].kid(), Some("ec1"));
        assert_eq!(set.keys()[0].kind(), KeyKind::EcP256);
        assert_eq!(set.skipped().len(), 2);
        assert!(
            set.skipped()[0].contains("symmetric"),
            "{:?}",
            set.skipped()
        );
    }

    #[test]
    fn rejects_bad_jwks() {
        assert!(matches!(
            KeySet::from_jwks_json("[]"),
            Err(KeyError::InvalidJwks(_))
        ));
        assert!(matches!(
            KeySet::from_jwks_json("{"),
            Err(KeyError::InvalidJwks(_))
        ));
        assert!(matches!(
            KeySet::from_jwks_json(r#"{"keys":[{"kty":"oct","k":"AA"}]}"#),
            Err(KeyError::NoUsableJwk { .. })
        ));
    }

    #[test]
    fn a_jwk_says_why_it_cannot_verify() {
        let p256 = r#""x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0""#;
        let cases = [
            ("[]".to_string(), "not a JWK: expected an object"),
            (
                r#"{"n":"AQAB","e":"AQAB"}"#.to_string(),
                "not a JWK: no `kty`",
            ),
            (
                r#"{"kty":"RSA","e":"AQAB"}"#.to_string(),
                "not a JWK: no `n`",
            ),
            (
                r#"{"kty":"RSA","n":"AQAB","e":"AQAB","kid":7}"#.to_string(),
                "not a JWK: `kid` is not a string",
            ),
            (
                r#"{"kty":"RSA","n":"A*B","e":"AQAB"}"#.to_string(),
                "bad base64url in key",
            ),
            (
                r#"{"kty":"RSA","n":"AMEB","e":"AQAB"}"#.to_string(),
                "RSA key of 16 bits is too small",
            ),
            (
                format!(r#"{{"kty":"EC","crv":"P-521",{p256}}}"#),
                P521_UNSUPPORTED,
            ),
            (
                format!(r#"{{"kty":"EC","crv":"secp256k1",{p256}}}"#),
                OTHER_CURVE,
            ),
            (
                format!(r#"{{"kty":"EC","crv":"P-384",{p256}}}"#),
                "x and y must be 48 bytes each",
            ),
            (
                r#"{"kty":"OKP","crv":"Ed25519","x":"AQAB"}"#.to_string(),
                "Ed25519 and other key types",
            ),
        ];
        for (jwk, why) in cases {
            let error = KeySet::from_jwks_json(&format!(r#"{{"keys":[{jwk}]}}"#))
                .expect_err("no usable key");
            let detail = error.detail().unwrap_or_default();
            assert!(
                detail.starts_with("keys[0]: ") && detail.contains(why),
                "{jwk}: {detail}"
            );
        }
    }

    #[test]
    fn a_jwk_and_its_pem_are_the_same_key() {
        use base64::Engine;
        let pem =
            KeySet::from_pem_keys(&[include_str!("../../../tests/fixtures/keys/ec-p256.pub.pem")])
                .expect("pem");
        let point = match pem.keys()[0].decoding.kind() {
            jsonwebtoken::DecodingKeyKind::SecretOrDer(point) => point.clone(),
            _ => panic!("an EC key is its point"),
        };
        let encode = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let jwks = serde_json::json!({"keys": [{
            "kty": "EC", "crv": "P-256", "kid": "k", "alg": "ES256", "key_ops": ["verify"],
            "x": encode(&point[1..33]), "y": encode(&point[33..]),
        }]});
        let set = KeySet::from_jwks(&jwks).expect("jwk");
        assert_eq!(set.keys()[0].kind(), KeyKind::EcP256);
        assert!(matches!(
            set.keys()[0].decoding.kind(),
            jsonwebtoken::DecodingKeyKind::SecretOrDer(jwk_point) if *jwk_point == point
        ));
    }
}
