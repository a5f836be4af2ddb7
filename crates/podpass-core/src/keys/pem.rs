//! Reading `pem_keys` entries without jsonwebtoken's `use_pem` feature.
//!
//! jsonwebtoken's PEM reader pulls in `pem`, `simple_asn1`, `num-bigint` and `time`, which cost the
//! wasm edge build tens of kilobytes for a few hundred bytes of input. This module reads the same
//! inputs with crates the engine already links (`base64`, and `der`/`spki` through `pkcs1`), and
//! hands back the bytes `DecodingKey::from_rsa_der` / `from_ec_der` take.
//!
//! The PEM framing deliberately copies the `pem` 4 crate that jsonwebtoken 12 used, quirks
//! included, so that every entry accepted before is still accepted; see [`first_block`].

use base64::Engine;
use pkcs1::der::asn1::{AnyRef, BitStringRef, ObjectIdentifier};
use pkcs1::der::{Decode, Reader, SliceReader, Tag, TagNumber, Tagged};
use spki::SubjectPublicKeyInfoRef;

/// `rsaEncryption` (RFC 8017).
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// `id-ecPublicKey` (RFC 5480).
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `secp256r1` (P-256).
pub(super) const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// `secp384r1` (P-384).
pub(super) const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
/// `secp521r1` (P-521).
pub(super) const P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");

/// The first PEM block of a text: its label and its decoded contents.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Block<'a> {
    /// What stands between `-----BEGIN ` and `-----`, e.g. `PUBLIC KEY`.
    pub(super) label: &'a str,
    /// The base64 body, decoded.
    pub(super) der: Vec<u8>,
}

/// The first PEM block of `text`, or `None` when there is none or it is malformed.
///
/// The rules are those of `pem::parse` (pem 4.0, what jsonwebtoken 12 called), so that no entry
/// accepted before is refused now, nor the other way round:
/// - anything before the first `-----BEGIN ` and after the block's `-----END ...-----` is
///   ignored, so later blocks are never read;
/// - the BEGIN and END labels must be non-empty and identical;
/// - RFC 1421 headers (`Proc-Type: ...`) ending in a blank line are skipped, but then every line
///   before the first blank line must contain a `:`; a blank line inside the base64 body therefore
///   makes the block malformed, as it did before;
/// - all whitespace in the body is ignored and the rest must be padded standard base64.
pub(super) fn first_block(text: &str) -> Option<Block<'_>> {
    let input = text.as_bytes();
    let (after_begin, _) = read_until(input, b"-----BEGIN ")?;
    let (after_label, label) = read_until(after_begin, b"-----")?;
    let body_start = skip_whitespace(after_label);
    let (after_end, payload) = read_until(body_start, b"-----END ")?;
    let (_, end_label) = read_until(after_end, b"-----")?;

    let label = std::str::from_utf8(label).ok()?;
    if label.is_empty() || end_label.is_empty() || label.as_bytes() != end_label {
        return None;
    }
    let (headers, data) = match read_until(payload, b"\n\n") {
        Some((data, headers)) => (headers, data),
        None => match read_until(payload, b"\r\n\r\n") {
            Some((data, headers)) => (headers, data),
            None => (&[][..], payload),
        },
    };
    let headers = std::str::from_utf8(headers).ok()?;
    if !headers.lines().all(|line| line.contains(':')) {
        return None;
    }
    let data: String = std::str::from_utf8(data)
        .ok()?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(data)
        .ok()?;
    Some(Block { label, der })
}

/// Skips `[ \t\r\n]*`.
fn skip_whitespace(input: &[u8]) -> &[u8] {
    let start = input
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .unwrap_or(input.len());
    input.get(start..).unwrap_or_default()
}

/// Finds `marker` and returns (what follows it, what precedes it).
///
/// This is pem 4.0's scanner, kept as it is: after a partial match fails it does not look at the
/// failing byte again, so for example `------BEGIN ` (six dashes) is not found. Go's `pem.Decode`,
/// which Vault uses, does not find it either.
fn read_until<'a>(input: &'a [u8], marker: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    let mut found = 0;
    for (index, byte) in input.iter().enumerate() {
        if Some(byte) == marker.get(found) {
            found += 1;
        } else {
            found = 0;
        }
        if found == marker.len() {
            let end = index + 1;
            return Some((input.get(end..)?, input.get(..end - found)?));
        }
    }
    None
}

/// A public key found in a PEM block, before the engine's own checks (size, curve).
#[derive(Debug, PartialEq, Eq)]
pub(super) enum PublicKey<'a> {
    /// PKCS#1 `RSAPublicKey` DER, not yet checked.
    Rsa(&'a [u8]),
    /// An EC key: the named curve if the parameters are one (absent for implicit or explicit
    /// curve parameters), and the SEC1 point as stored.
    Ec {
        /// `namedCurve` of the `ECParameters`.
        curve: Option<ObjectIdentifier>,
        /// The public point, `04 || x || y` when uncompressed.
        point: &'a [u8],
    },
}

/// The RSA or EC key of a `PUBLIC KEY` or `CERTIFICATE` block.
///
/// Like Vault's `certutil.ParsePublicKeyPEM`, the contents are tried as a SubjectPublicKeyInfo and
/// then as an X.509 certificate whichever the label; jsonwebtoken also read both labels alike, so a
/// certificate labelled `PUBLIC KEY` keeps working. `None` for anything else (other algorithms such
/// as Ed25519 or RSA-PSS, private keys, malformed DER).
pub(super) fn spki_or_certificate_key(der: &[u8]) -> Option<PublicKey<'_>> {
    let spki = match SubjectPublicKeyInfoRef::from_der(der) {
        Ok(spki) => spki,
        Err(_) => certificate_spki(der).ok()?,
    };
    let key = spki.subject_public_key.as_bytes()?;
    match spki.algorithm.oid {
        RSA_ENCRYPTION => Some(PublicKey::Rsa(key)),
        EC_PUBLIC_KEY => Some(PublicKey::Ec {
            curve: named_curve(spki.algorithm.parameters),
            point: key,
        }),
        _ => None,
    }
}

/// The `namedCurve` of an EC key's algorithm parameters; `None` for implicit or explicit curve
/// parameters.
fn named_curve(parameters: Option<AnyRef<'_>>) -> Option<ObjectIdentifier> {
    parameters.and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
}

/// A private key found in a PEM block, before the signer's own checks (size, curve).
#[cfg(feature = "mint")]
#[derive(Debug, PartialEq, Eq)]
pub(super) enum PrivateKey<'a> {
    /// PKCS#1 `RSAPrivateKey` DER (from an `RSA PRIVATE KEY` block, or unwrapped from PKCS#8).
    Rsa(&'a [u8]),
    /// A PKCS#8 EC key: its named curve, and the whole `PrivateKeyInfo`, which is what ECDSA
    /// signers take.
    Ec {
        /// `namedCurve` of the `ECParameters`.
        curve: Option<ObjectIdentifier>,
        /// The PKCS#8 DER as read.
        pkcs8: &'a [u8],
    },
}

/// The RSA or EC key of a private-key block: PKCS#1 (`RSA PRIVATE KEY`) or PKCS#8
/// (`PRIVATE KEY`), the two forms jsonwebtoken's PEM reader took.
#[cfg(feature = "mint")]
pub(super) fn private_key<'a>(block: &'a Block<'_>) -> Result<PrivateKey<'a>, String> {
    match block.label {
        "RSA PRIVATE KEY" => Ok(PrivateKey::Rsa(&block.der)),
        "PRIVATE KEY" => {
            let info = pkcs8::PrivateKeyInfoRef::from_der(&block.der)
                .map_err(|e| format!("malformed PKCS#8 private key: {e}"))?;
            match info.algorithm.oid {
                RSA_ENCRYPTION => Ok(PrivateKey::Rsa(info.private_key.as_bytes())),
                EC_PUBLIC_KEY => Ok(PrivateKey::Ec {
                    curve: named_curve(info.algorithm.parameters),
                    pkcs8: &block.der,
                }),
                other => Err(format!(
                    "a PKCS#8 private key of algorithm {other}; only RSA and ECDSA keys sign"
                )),
            }
        }
        "EC PRIVATE KEY" => Err("an SEC1 `EC PRIVATE KEY`; convert it to PKCS#8 first \
             (openssl pkcs8 -topk8 -nocrypt)"
            .to_string()),
        "ENCRYPTED PRIVATE KEY" => {
            Err("an encrypted private key; decrypt it to plain PKCS#8 first".to_string())
        }
        label => Err(format!(
            "a `{label}` block, not a private key (PRIVATE KEY or RSA PRIVATE KEY)"
        )),
    }
}

/// The SubjectPublicKeyInfo of a DER X.509 certificate (RFC 5280 §4.1).
///
/// Only the structure up to the key is checked: the key is all `pem_keys` uses, and Vault does not
/// check the certificate's validity or signature for `pem_keys` either.
fn certificate_spki(der: &[u8]) -> pkcs1::der::Result<SubjectPublicKeyInfoRef<'_>> {
    // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
    let certificate = AnyRef::from_der(der)?;
    certificate.tag().assert_eq(Tag::Sequence)?;
    let mut fields = SliceReader::new(certificate.value())?;
    let tbs: AnyRef<'_> = fields.decode()?;
    tbs.tag().assert_eq(Tag::Sequence)?;
    let signature_algorithm: AnyRef<'_> = fields.decode()?;
    signature_algorithm.tag().assert_eq(Tag::Sequence)?;
    let _signature: BitStringRef<'_> = fields.decode()?;
    fields.finish()?;

    // TBSCertificate ::= SEQUENCE { version [0] EXPLICIT OPTIONAL, serialNumber, signature,
    //     issuer, validity, subject, subjectPublicKeyInfo, ... }
    let mut tbs_fields = SliceReader::new(tbs.value())?;
    let version = Tag::ContextSpecific {
        constructed: true,
        number: TagNumber(0),
    };
    if Tag::peek(&tbs_fields)? == version {
        let _version: AnyRef<'_> = tbs_fields.decode()?;
    }
    for expected in [
        Tag::Integer,  // serialNumber
        Tag::Sequence, // signature
        Tag::Sequence, // issuer
        Tag::Sequence, // validity
        Tag::Sequence, // subject
    ] {
        let field: AnyRef<'_> = tbs_fields.decode()?;
        field.tag().assert_eq(expected)?;
    }
    // What follows the key (unique identifiers, extensions) is not needed.
    tbs_fields.decode()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA_PUB: &str = include_str!("../../../../tests/fixtures/keys/rsa-2048.pub.pem");
    const EC256_PUB: &str = include_str!("../../../../tests/fixtures/keys/ec-p256.pub.pem");

    fn label(text: &str) -> Option<&str> {
        first_block(text).map(|block| block.label)
    }

    #[test]
    fn reads_the_fixture_block() {
        let block = first_block(RSA_PUB).expect("fixture");
        assert_eq!(block.label, "PUBLIC KEY");
        assert_eq!(block.der.len(), 294);
    }

    #[test]
    fn text_around_the_block_is_ignored_and_only_the_first_block_is_read() {
        let wrapped = format!("subject=CN = signer\n{RSA_PUB}\ntrailing words");
        assert_eq!(first_block(&wrapped), first_block(RSA_PUB));
        let two = format!("{EC256_PUB}\n{RSA_PUB}");
        assert_eq!(first_block(&two), first_block(EC256_PUB));
        let garbage_first =
            format!("-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----\n{RSA_PUB}");
        assert_eq!(first_block(&garbage_first), None);
    }

    #[test]
    fn whitespace_in_the_body_and_crlf_are_accepted() {
        assert_eq!(
            first_block(&RSA_PUB.replace('\n', "\r\n")),
            first_block(RSA_PUB)
        );
        let body: String = RSA_PUB
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let one_line = format!("-----BEGIN PUBLIC KEY-----{body}-----END PUBLIC KEY-----");
        assert_eq!(first_block(&one_line), first_block(RSA_PUB));
        let spaced = format!(
            "-----BEGIN PUBLIC KEY-----\n {}\t\u{a0}{}\n-----END PUBLIC KEY-----",
            &body[..10],
            &body[10..]
        );
        assert_eq!(first_block(&spaced), first_block(RSA_PUB));
    }

    #[test]
    fn rfc_1421_headers_are_skipped_but_a_blank_line_in_the_body_is_malformed() {
        let with_headers = RSA_PUB.replacen(
            "-----\n",
            "-----\nProc-Type: 4,ENCRYPTED\nComment: test\n\n",
            1,
        );
        assert_eq!(first_block(&with_headers), first_block(RSA_PUB));
        let blank_line = RSA_PUB.replacen("\n", "\n\n", 2);
        assert_eq!(label(&blank_line), None);
    }

    #[test]
    fn malformed_framing_is_refused() {
        let no_end = RSA_PUB.replace("-----END PUBLIC KEY-----", "");
        let mismatched = RSA_PUB.replace("END PUBLIC KEY", "END CERTIFICATE");
        let empty_label = RSA_PUB.replace("PUBLIC KEY", "");
        let six_dashes = RSA_PUB.replace("-----BEGIN", "------BEGIN");
        let unpadded = EC256_PUB.replace('=', "");
        let bad_base64 = RSA_PUB.replacen('M', "*", 1);
        for text in [
            "",
            "-----BEGIN ",
            "-----BEGIN PUBLIC KEY-----",
            no_end.as_str(),
            mismatched.as_str(),
            empty_label.as_str(),
            six_dashes.as_str(),
            unpadded.as_str(),
            bad_base64.as_str(),
        ] {
            assert_eq!(first_block(text), None, "{text:?}");
        }
        assert_eq!(
            label(&RSA_PUB.replace("PUBLIC KEY", "public key")),
            Some("public key")
        );
    }

    #[test]
    fn scanner_matches_pem_4() {
        assert_eq!(
            read_until(b"ab-----cd", b"-----"),
            Some((&b"cd"[..], &b"ab"[..]))
        );
        assert_eq!(read_until(b"------BEGIN x", b"-----BEGIN "), None);
        assert_eq!(
            read_until(b"x------BEGIN -----BEGIN y", b"-----BEGIN "),
            Some((&b"y"[..], &b"x------BEGIN "[..]))
        );
        assert_eq!(read_until(b"", b"--"), None);
        assert_eq!(read_until(b"-", b"--"), None);
    }

    #[test]
    fn truncated_text_never_panics() {
        let text = format!("junk\n{RSA_PUB}\n{EC256_PUB}\n");
        for end in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            let _ = first_block(&text[..end]);
            let _ = first_block(&text[end..]);
        }
    }
}
