//! Signature crypto inside the engine on wasm32 (the `rust-crypto` feature): RSA and ECDSA with
//! RustCrypto, as jsonwebtoken's crypto provider.
//!
//! jsonwebtoken's own RustCrypto provider links every algorithm it knows, and its key utilities
//! (JWK export, thumbprints) besides; podpass refuses HMAC and EdDSA before any crypto runs and
//! never exports keys, so this provider covers only the algorithms [`SigningAlgorithm`] accepts.
//! That keeps Ed25519 (curve25519-dalek), HMAC and the key utilities out of the wasm builds
//! (docs/benchmarks.md: about 50 KB gzip).
//!
//! [`SigningAlgorithm`]: crate::jwt::SigningAlgorithm

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::{Algorithm, DecodingKey, DecodingKeyKind, EncodingKey};
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::{BoxedUint, pkcs1v15, pss};
use sha2::{Sha256, Sha384, Sha512};
use signature::{SignatureEncoding, Signer, Verifier};

/// The provider [`crate::jwt::has_crypto`] installs on wasm32 builds with `rust-crypto`.
pub(crate) static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: new_signer,
    verifier_factory: new_verifier,
    // Nothing in podpass exports keys or computes thumbprints through jsonwebtoken; should
    // anything ask, it gets an error rather than jsonwebtoken's unimplemented panic.
    key_utils: KeyUtils {
        rsa_pub_components_from_private_key: |_| Err(ErrorKind::InvalidAlgorithm.into()),
        rsa_pub_components_from_public_key: |_| Err(ErrorKind::InvalidAlgorithm.into()),
        ec_pub_components_from_private_key: |_, _| Err(ErrorKind::InvalidAlgorithm.into()),
        ed_pub_components_from_private_key: |_, _| Err(ErrorKind::InvalidAlgorithm.into()),
        compute_digest: |_, _| Err(ErrorKind::InvalidAlgorithm.into()),
    },
};

/// How a token is signed or verified: the scheme and its hash.
#[derive(Clone, Copy)]
enum Scheme {
    /// RSASSA-PKCS1-v1_5 with SHA-256, -384 or -512.
    RsaPkcs1(Hash),
    /// RSASSA-PSS with SHA-256, -384 or -512.
    RsaPss(Hash),
    /// ECDSA on P-256 with SHA-256.
    EcdsaP256,
    /// ECDSA on P-384 with SHA-384.
    EcdsaP384,
}

#[derive(Clone, Copy)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Scheme {
    /// The scheme of a JWS algorithm podpass accepts; HMAC and EdDSA are never among them.
    fn of(algorithm: Algorithm) -> Result<Scheme, Error> {
        Ok(match algorithm {
            Algorithm::RS256 => Scheme::RsaPkcs1(Hash::Sha256),
            Algorithm::RS384 => Scheme::RsaPkcs1(Hash::Sha384),
            Algorithm::RS512 => Scheme::RsaPkcs1(Hash::Sha512),
            Algorithm::PS256 => Scheme::RsaPss(Hash::Sha256),
            Algorithm::PS384 => Scheme::RsaPss(Hash::Sha384),
            Algorithm::PS512 => Scheme::RsaPss(Hash::Sha512),
            Algorithm::ES256 => Scheme::EcdsaP256,
            Algorithm::ES384 => Scheme::EcdsaP384,
            _ => return Err(ErrorKind::InvalidAlgorithm.into()),
        })
    }
}

/// A private key bound to the algorithm it signs with.
struct KeySigner {
    algorithm: Algorithm,
    scheme: Scheme,
    key: PrivateKey,
}

enum PrivateKey {
    Rsa(Box<rsa::PrivateKey>),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
}

fn new_signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>, Error> {
    use p256::pkcs8::DecodePrivateKey;
    let scheme = Scheme::of(*algorithm)?;
    let der = key.as_bytes();
    let key = match scheme {
        Scheme::RsaPkcs1(_) | Scheme::RsaPss(_) => PrivateKey::Rsa(Box::new(
            rsa::PrivateKey::from_pkcs1_der(der)
                .map_err(|e| ErrorKind::InvalidRsaKey(e.to_string()))?,
        )),
        Scheme::EcdsaP256 => PrivateKey::P256(
            p256::ecdsa::SigningKey::from_pkcs8_der(der).map_err(|_| ErrorKind::InvalidEcdsaKey)?,
        ),
        Scheme::EcdsaP384 => PrivateKey::P384(
            p384::ecdsa::SigningKey::from_pkcs8_der(der).map_err(|_| ErrorKind::InvalidEcdsaKey)?,
        ),
    };
    Ok(Box::new(KeySigner {
        algorithm: *algorithm,
        scheme,
        key,
    }))
}

impl Signer<Vec<u8>> for KeySigner {
    fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, signature::Error> {
        match (&self.key, self.scheme) {
            (PrivateKey::Rsa(key), Scheme::RsaPkcs1(hash)) => {
                let key = (**key).clone();
                Ok(match hash {
                    Hash::Sha256 => pkcs1v15::SigningKey::<Sha256>::new(key).try_sign(message)?,
                    Hash::Sha384 => pkcs1v15::SigningKey::<Sha384>::new(key).try_sign(message)?,
                    Hash::Sha512 => pkcs1v15::SigningKey::<Sha512>::new(key).try_sign(message)?,
                }
                .to_vec())
            }
            (PrivateKey::Rsa(key), Scheme::RsaPss(hash)) => {
                let key = (**key).clone();
                Ok(match hash {
                    Hash::Sha256 => pss::SigningKey::<Sha256>::new(key).try_sign(message)?,
                    Hash::Sha384 => pss::SigningKey::<Sha384>::new(key).try_sign(message)?,
                    Hash::Sha512 => pss::SigningKey::<Sha512>::new(key).try_sign(message)?,
                }
                .to_vec())
            }
            (PrivateKey::P256(key), _) => {
                let signature: p256::ecdsa::Signature = key.try_sign(message)?;
                Ok(signature.to_vec())
            }
            (PrivateKey::P384(key), _) => {
                let signature: p384::ecdsa::Signature = key.try_sign(message)?;
                Ok(signature.to_vec())
            }
            // `new_signer` pairs every RSA scheme with an RSA key.
            (PrivateKey::Rsa(_), _) => Err(signature::Error::new()),
        }
    }
}

impl JwtSigner for KeySigner {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

/// A public key bound to the algorithm it verifies.
struct KeyVerifier {
    algorithm: Algorithm,
    scheme: Scheme,
    key: PublicKey,
}

enum PublicKey {
    Rsa(Box<rsa::PublicKey>),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
}

fn new_verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
    let scheme = Scheme::of(*algorithm)?;
    let key = match (scheme, key.kind()) {
        (Scheme::RsaPkcs1(_) | Scheme::RsaPss(_), DecodingKeyKind::SecretOrDer(der)) => {
            PublicKey::Rsa(Box::new(
                rsa::PublicKey::from_pkcs1_der(der)
                    .map_err(|e| ErrorKind::InvalidRsaKey(e.to_string()))?,
            ))
        }
        (Scheme::RsaPkcs1(_) | Scheme::RsaPss(_), DecodingKeyKind::RsaModulusExponent { n, e }) => {
            PublicKey::Rsa(Box::new(
                rsa::PublicKey::new(
                    BoxedUint::from_be_slice_vartime(n),
                    BoxedUint::from_be_slice_vartime(e),
                )
                .map_err(|e| ErrorKind::InvalidRsaKey(e.to_string()))?,
            ))
        }
        (Scheme::EcdsaP256, DecodingKeyKind::SecretOrDer(point)) => PublicKey::P256(
            p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .map_err(|_| ErrorKind::InvalidEcdsaKey)?,
        ),
        (Scheme::EcdsaP384, DecodingKeyKind::SecretOrDer(point)) => PublicKey::P384(
            p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .map_err(|_| ErrorKind::InvalidEcdsaKey)?,
        ),
        _ => return Err(ErrorKind::InvalidKeyFormat.into()),
    };
    Ok(Box::new(KeyVerifier {
        algorithm: *algorithm,
        scheme,
        key,
    }))
}

impl Verifier<Vec<u8>> for KeyVerifier {
    fn verify(&self, message: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
        match (&self.key, self.scheme) {
            (PublicKey::Rsa(key), Scheme::RsaPkcs1(hash)) => {
                let signature = pkcs1v15::Signature::try_from(signature.as_slice())?;
                let key = (**key).clone();
                match hash {
                    Hash::Sha256 => {
                        pkcs1v15::VerifyingKey::<Sha256>::new(key).verify(message, &signature)
                    }
                    Hash::Sha384 => {
                        pkcs1v15::VerifyingKey::<Sha384>::new(key).verify(message, &signature)
                    }
                    Hash::Sha512 => {
                        pkcs1v15::VerifyingKey::<Sha512>::new(key).verify(message, &signature)
                    }
                }
            }
            (PublicKey::Rsa(key), Scheme::RsaPss(hash)) => {
                let signature = pss::Signature::try_from(signature.as_slice())?;
                let key = (**key).clone();
                match hash {
                    Hash::Sha256 => {
                        pss::VerifyingKey::<Sha256>::new(key).verify(message, &signature)
                    }
                    Hash::Sha384 => {
                        pss::VerifyingKey::<Sha384>::new(key).verify(message, &signature)
                    }
                    Hash::Sha512 => {
                        pss::VerifyingKey::<Sha512>::new(key).verify(message, &signature)
                    }
                }
            }
            (PublicKey::P256(key), _) => {
                key.verify(message, &p256::ecdsa::Signature::from_slice(signature)?)
            }
            (PublicKey::P384(key), _) => {
                key.verify(message, &p384::ecdsa::Signature::from_slice(signature)?)
            }
            // `new_verifier` pairs every RSA scheme with an RSA key.
            (PublicKey::Rsa(_), _) => Err(signature::Error::new()),
        }
    }
}

impl JwtVerifier for KeyVerifier {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}
