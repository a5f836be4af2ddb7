//! Logins whose signature the host verifies with its own crypto.
//!
//! In a browser, Node or an edge runtime, the platform's WebCrypto verifies RSA and ECDSA
//! signatures natively, many times faster than Rust crypto compiled to wasm. A host that wants
//! that asks [`signature_job`] what to verify (the signing input, the signature, and the
//! configured keys that fit the token's algorithm and `kid`, as public JWKs), verifies it, and
//! hands the verdict to [`evaluate_login_with_host_verdict`]. Every other check (role, CIDRs,
//! algorithm, issuer, audience, times, bindings) still runs in the core, in Vault's order, and
//! the trace reads exactly as for [`crate::login::evaluate_login`].
//!
//! [`evaluate_login_asking_host`] does the same in one pass: the host is asked at the signature
//! step, with the job read from the token the evaluation already parsed, and may answer a
//! verdict it assumes while its crypto runs (deciding again if it finds otherwise).
//!
//! The verdict is trusted: a host that reports a key it did not verify with lets a forged token
//! through. Only the key positions the job offered count; any other position is a mismatch.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKeyKind;
use pkcs1::der::Decode;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::jwt::{self, DecodedJwt, SigningAlgorithm};
use crate::keys::{KeyKind, KeySet, VerificationKey};
use crate::login::{self, LoginRequest, LoginResult};
use crate::mount::KubernetesMount;
use crate::trace::TraceMode;

/// What the host must verify for one login.
#[derive(Debug, Clone)]
pub struct SignatureJob<'k> {
    /// The token's algorithm (one podpass accepts).
    pub algorithm: SigningAlgorithm,
    /// The bytes that were signed: the token's `header.claims` text.
    pub signing_input: String,
    /// The signature, decoded from base64url (for ECDSA: `r || s`, the form WebCrypto expects).
    pub signature: Vec<u8>,
    /// The configured keys that fit the algorithm (and `kid`), in the order the core tries them.
    pub candidates: Vec<CandidateKey<'k>>,
}

/// A configured key the signature may verify against. Its JWK and description are made when
/// asked for: a host that keeps imported keys needs them once, not on every login.
#[derive(Debug, Clone)]
pub struct CandidateKey<'k> {
    /// The key's position in the mount's [`crate::keys::KeySet`]: what a verdict names.
    pub index: usize,
    key: &'k VerificationKey,
}

impl CandidateKey<'_> {
    /// The key as the trace names it, e.g. `RSA 2048-bit key pem_keys[0]`.
    pub fn description(&self) -> String {
        self.key.describe()
    }

    /// The public key as a JWK (`kty`, `n`/`e` or `crv`/`x`/`y`), ready for WebCrypto's
    /// `importKey("jwk", …)`; `None` for key material the core cannot take apart (the host then
    /// skips the key: it verifies nothing).
    pub fn jwk(&self) -> Option<Map<String, Value>> {
        public_jwk(self.key)
    }
}

/// The host's answer to a [`SignatureJob`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct HostVerdict {
    /// The [`CandidateKey::index`] of the first candidate the signature verified against, or
    /// `None` when none did (or there was nothing to verify).
    pub verified_by: Option<usize>,
}

/// What the host has to verify for `request` on `mount`, or `None` when the core decides the
/// login without a signature check: no `pem_keys`, an unknown role, a token that cannot be read,
/// an algorithm podpass does not accept, an empty signature, or no key fitting the algorithm.
/// In those cases pass [`HostVerdict::default`] (or call [`crate::login::evaluate_login`]).
#[inline]
pub fn signature_job<'m>(
    mount: &'m KubernetesMount,
    request: &LoginRequest,
) -> Option<SignatureJob<'m>> {
    if !mount.verifies_signatures() || mount.role(&request.role).is_none() {
        return None;
    }
    let raw = jwt::split(&request.jwt).ok()?;
    let (algorithm_name, key_id) = raw.algorithm_and_key_id().ok()?;
    let algorithm = SigningAlgorithm::from_name(&algorithm_name)?;
    raw.claims_json().ok()?;
    job_for(
        raw.signature_b64,
        raw.signing_input,
        algorithm,
        key_id.as_deref(),
        mount.keys(),
    )
}

/// What the host has to verify for a token read on its own, against `keys`: no role, so none of
/// a login's checks come first (the playground shows a token's signature even when its login
/// stops earlier). `None` as for [`signature_job`], and for an algorithm podpass does not
/// accept.
pub fn token_signature_job<'k>(token: &DecodedJwt, keys: &'k KeySet) -> Option<SignatureJob<'k>> {
    let algorithm = token.signing_algorithm().ok()?;
    job_for(
        &token.signature,
        token.signing_input(),
        algorithm,
        token.key_id.as_deref(),
        keys,
    )
}

/// The signature check of a token read on its own, the crypto's answer taken from `verdict`:
/// what [`DecodedJwt::verify_signature`] answers with the core's own crypto.
pub fn verify_token_with_host_verdict(
    token: &DecodedJwt,
    keys: &KeySet,
    verdict: &HostVerdict,
) -> Result<jwt::VerifiedSignature, jwt::SignatureError> {
    signature_step(
        &token.signature,
        token.signing_algorithm()?,
        token.key_id.as_deref(),
        keys,
        *verdict,
    )
}

impl SignatureJob<'_> {
    /// The verdict this build's own crypto reaches: the first candidate that verifies. What a
    /// host answers when it verifies in the engine after all (natively, or a wasm build with
    /// the `rust-crypto` feature); [`jwt::SignatureError::NotBuiltIn`] in a build without
    /// crypto.
    pub fn verdict_by_engine(&self) -> Result<HostVerdict, jwt::SignatureError> {
        if !jwt::has_crypto() {
            return Err(jwt::SignatureError::NotBuiltIn);
        }
        let signature = URL_SAFE_NO_PAD.encode(&self.signature);
        let verified_by = self
            .candidates
            .iter()
            .find(|candidate| {
                jwt::verifies_with(
                    &signature,
                    &self.signing_input,
                    self.algorithm,
                    candidate.key,
                )
            })
            .map(|candidate| candidate.index);
        Ok(HostVerdict { verified_by })
    }
}

/// How WebCrypto names an algorithm podpass accepts: what a host passes to `importKey` and to
/// `verify` or `sign`. Plain names, so that every host (the wasm package, the playground)
/// builds its parameter objects from one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebCryptoAlgorithm {
    /// `RSASSA-PKCS1-v1_5`, `RSA-PSS` or `ECDSA`.
    pub name: &'static str,
    /// `SHA-256`, `SHA-384` or `SHA-512`: the key's hash for RSA, the signature's for ECDSA.
    pub hash: &'static str,
    /// The curve, for ECDSA keys (`P-256`, `P-384`).
    pub named_curve: Option<&'static str>,
    /// PSS's salt length in bytes, which JWS fixes to the hash's output (RFC 7518 §3.5).
    pub salt_length: Option<u32>,
}

/// WebCrypto's names for `algorithm`.
pub fn web_crypto_algorithm(algorithm: SigningAlgorithm) -> WebCryptoAlgorithm {
    use SigningAlgorithm as A;
    let (hash, hash_bytes) = match algorithm {
        A::RS256 | A::PS256 | A::ES256 => ("SHA-256", 32),
        A::RS384 | A::PS384 | A::ES384 => ("SHA-384", 48),
        A::RS512 | A::PS512 => ("SHA-512", 64),
    };
    let (name, named_curve, salt_length) = match algorithm {
        A::RS256 | A::RS384 | A::RS512 => ("RSASSA-PKCS1-v1_5", None, None),
        A::PS256 | A::PS384 | A::PS512 => ("RSA-PSS", None, Some(hash_bytes)),
        A::ES256 => ("ECDSA", Some("P-256"), None),
        A::ES384 => ("ECDSA", Some("P-384"), None),
    };
    WebCryptoAlgorithm {
        name,
        hash,
        named_curve,
        salt_length,
    }
}

/// The job for a token read as far as its algorithm and `kid`: `None` for an empty or
/// undecodable signature (it verifies against no key) or when no key fits.
#[inline]
fn job_for<'k>(
    signature_b64: &str,
    signing_input: &str,
    algorithm: SigningAlgorithm,
    key_id: Option<&str>,
    keys: &'k KeySet,
) -> Option<SignatureJob<'k>> {
    if signature_b64.is_empty() {
        return None;
    }
    let signature = URL_SAFE_NO_PAD.decode(signature_b64).ok()?;
    let candidates: Vec<CandidateKey> = keys
        .keys()
        .iter()
        .enumerate()
        .filter(|(_, key)| jwt::key_is_candidate(key, algorithm, key_id))
        .map(|(index, key)| CandidateKey { index, key })
        .collect();
    if candidates.is_empty() {
        return None;
    }
    Some(SignatureJob {
        algorithm,
        signing_input: signing_input.to_string(),
        signature,
        candidates,
    })
}

/// Evaluates a login offline (TokenReview skipped, as in [`crate::login::evaluate_login`]),
/// asking `host` for the verdict when the evaluation reaches the signature step — with the
/// job read from the token the evaluation has already parsed, so the token is read once.
/// `host` is not called when the login is decided before that step or has no signature to
/// verify (no `pem_keys`, an empty or undecodable signature, no key that fits).
///
/// The verdict may be one the host reached, or one it assumes while its crypto runs: the
/// result is then the answer for that verdict, and a host that finds otherwise decides again
/// with [`evaluate_login_with_host_verdict`] and the verdict it found.
#[inline]
pub fn evaluate_login_asking_host(
    mount: &KubernetesMount,
    request: &LoginRequest,
    host: &dyn Fn(&SignatureJob<'_>) -> HostVerdict,
    mode: TraceMode,
) -> LoginResult {
    login::evaluate_login_checking_signature_with(
        mount,
        request,
        &|raw, algorithm, key_id, keys| {
            let verdict = job_for(
                raw.signature_b64,
                raw.signing_input,
                algorithm,
                key_id,
                keys,
            )
            .map(|job| host(&job))
            .unwrap_or_default();
            signature_step(raw.signature_b64, algorithm, key_id, keys, verdict)
        },
        mode,
    )
}

/// Evaluates a login offline (TokenReview skipped, as in [`crate::login::evaluate_login`]) with
/// the signature step taken from `verdict` instead of the core's crypto, explained as asked.
#[inline]
pub fn evaluate_login_with_host_verdict(
    mount: &KubernetesMount,
    request: &LoginRequest,
    verdict: &HostVerdict,
    mode: TraceMode,
) -> LoginResult {
    login::evaluate_login_checking_signature_with(
        mount,
        request,
        &|raw, algorithm, key_id, keys| {
            signature_step(raw.signature_b64, algorithm, key_id, keys, *verdict)
        },
        mode,
    )
}

/// The signature step's answer for a host's verdict: the core's rules around the crypto
/// (an empty signature, the keys that fit), the crypto's answer taken from the verdict.
#[inline]
fn signature_step(
    signature_b64: &str,
    algorithm: SigningAlgorithm,
    key_id: Option<&str>,
    keys: &KeySet,
    verdict: HostVerdict,
) -> Result<jwt::VerifiedSignature, jwt::SignatureError> {
    jwt::verify_parts_with(signature_b64, algorithm, key_id, keys, |index, _| {
        verdict.verified_by == Some(index)
    })
}

/// [`crate::login::evaluate_login`] (the core's own crypto), also returning the verdict it
/// reached: the position of the key that verified the signature. Feeding that verdict to
/// [`evaluate_login_with_host_verdict`] later gives the identical result without redoing the
/// signature's crypto (a host that explains a login on demand re-evaluates it that way, after
/// deciding it with [`TraceMode::OutcomeOnly`]).
#[inline]
pub fn evaluate_login_with_verdict(
    mount: &KubernetesMount,
    request: &LoginRequest,
    mode: TraceMode,
) -> (LoginResult, HostVerdict) {
    let verified_by = std::cell::Cell::new(None);
    let result = login::evaluate_login_checking_signature_with(
        mount,
        request,
        &|raw, algorithm, key_id, keys| {
            if !jwt::has_crypto() {
                return Err(jwt::SignatureError::NotBuiltIn);
            }
            jwt::verify_parts_with(raw.signature_b64, algorithm, key_id, keys, |index, key| {
                let verified =
                    jwt::verifies_with(raw.signature_b64, raw.signing_input, algorithm, key);
                if verified {
                    verified_by.set(Some(index));
                }
                verified
            })
        },
        mode,
    );
    let verdict = HostVerdict {
        verified_by: verified_by.get(),
    };
    (result, verdict)
}

/// The public half of a configured key as a JWK (RFC 7517), or `None` for key material the
/// core cannot take apart (it decoded every key when the configuration was written).
fn public_jwk(key: &VerificationKey) -> Option<Map<String, Value>> {
    match (key.kind(), key.decoding_key().kind()) {
        (KeyKind::Rsa { .. }, DecodingKeyKind::SecretOrDer(der)) => {
            let public = pkcs1::RsaPublicKeyRef::from_der(der).ok()?;
            Some(rsa_jwk(
                public.modulus.as_bytes(),
                public.public_exponent.as_bytes(),
            ))
        }
        (KeyKind::Rsa { .. }, DecodingKeyKind::RsaModulusExponent { n, e }) => Some(rsa_jwk(n, e)),
        (KeyKind::EcP256, DecodingKeyKind::SecretOrDer(point)) => ec_jwk("P-256", point, 32),
        (KeyKind::EcP384, DecodingKeyKind::SecretOrDer(point)) => ec_jwk("P-384", point, 48),
        _ => None,
    }
}

fn rsa_jwk(modulus: &[u8], exponent: &[u8]) -> Map<String, Value> {
    let unsigned = |bytes: &[u8]| {
        let start = bytes.iter().take_while(|b| **b == 0).count();
        Value::String(URL_SAFE_NO_PAD.encode(&bytes[start..]))
    };
    let mut jwk = Map::new();
    jwk.insert("kty".into(), "RSA".into());
    jwk.insert("n".into(), unsigned(modulus));
    jwk.insert("e".into(), unsigned(exponent));
    jwk
}

/// An uncompressed SEC1 point (`04 || x || y`) as an EC JWK.
fn ec_jwk(curve: &str, point: &[u8], coordinate_len: usize) -> Option<Map<String, Value>> {
    let coordinates = point.strip_prefix(&[4])?;
    if coordinates.len() != 2 * coordinate_len {
        return None;
    }
    let (x, y) = coordinates.split_at(coordinate_len);
    let mut jwk = Map::new();
    jwk.insert("kty".into(), "EC".into());
    jwk.insert("crv".into(), curve.into());
    jwk.insert("x".into(), URL_SAFE_NO_PAD.encode(x).into());
    jwk.insert("y".into(), URL_SAFE_NO_PAD.encode(y).into());
    Some(jwk)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::configuration::{Configuration, NoFiles};
    use crate::jwt::SignatureError;
    use crate::login::evaluate_login;
    use crate::mint::{SigningKey, TokenSpec, mint};
    use crate::trace::{CheckId, CheckStatus};

    const NOW: i64 = 1_780_000_000;
    const RSA_PUB: &str = include_str!("../../../tests/fixtures/keys/rsa-2048.pub.pem");
    const RSA_KEY: &str = include_str!("../../../tests/fixtures/keys/rsa-2048.key.pem");
    const OTHER_RSA_KEY: &str = include_str!("../../../tests/fixtures/keys/other-rsa-2048.key.pem");
    const EC_PUB: &str = include_str!("../../../tests/fixtures/keys/ec-p256.pub.pem");
    const EC_KEY: &str = include_str!("../../../tests/fixtures/keys/ec-p256.key.pem");

    /// A mount trusting an ECDSA P-256 key then an RSA key, with the tutorial's grade-api role.
    fn mount() -> KubernetesMount {
        let commands = format!(
            "vault auth enable kubernetes\n\
             vault write auth/kubernetes/config kubernetes_host=https://k8s:443 \
             pem_keys=\"{EC_PUB}\",\"{RSA_PUB}\"\n\
             vault write auth/kubernetes/role/grade-api \
             bound_service_account_names=grade-api-sa \
             bound_service_account_namespaces=grade-api token_policies=grade-api\n"
        );
        let imported =
            Configuration::import(&commands, "test", None, &NoFiles).expect("test setup imports");
        imported
            .configuration
            .mount("kubernetes")
            .expect("mount")
            .clone()
    }

    fn token(pem: &str, algorithm: SigningAlgorithm, namespace: &str) -> String {
        let key = SigningKey::from_pem(pem, algorithm, None).expect("fixture key");
        mint(
            &TokenSpec::projected(namespace, "grade-api-sa", NOW - 60),
            &key,
        )
        .expect("mint")
    }

    fn request(jwt: String) -> LoginRequest {
        LoginRequest {
            role: "grade-api".into(),
            jwt,
            now: NOW,
            ..LoginRequest::default()
        }
    }

    /// What a host with real crypto would answer: the first candidate whose JWK verifies.
    fn verify_like_a_host(job: &SignatureJob) -> HostVerdict {
        let alg = job.algorithm.to_jsonwebtoken();
        let signature = URL_SAFE_NO_PAD.encode(&job.signature);
        let verified_by = job.candidates.iter().find_map(|candidate| {
            let jwk: jsonwebtoken::jwk::Jwk =
                serde_json::from_value(Value::Object(candidate.jwk()?)).ok()?;
            let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).ok()?;
            jsonwebtoken::crypto::verify(&signature, job.signing_input.as_bytes(), &key, alg)
                .ok()
                .filter(|ok| *ok)
                .map(|_| candidate.index)
        });
        HostVerdict { verified_by }
    }

    #[test]
    fn a_job_offers_only_the_keys_that_fit_the_algorithm_as_usable_jwks() {
        let mount = mount();
        for (pem, algorithm, kty, index) in [
            (RSA_KEY, SigningAlgorithm::RS256, "RSA", 1),
            (RSA_KEY, SigningAlgorithm::PS384, "RSA", 1),
            (EC_KEY, SigningAlgorithm::ES256, "EC", 0),
        ] {
            let req = request(token(pem, algorithm, "grade-api"));
            let job = signature_job(&mount, &req).expect("a signature to verify");
            assert_eq!(job.algorithm, algorithm);
            assert_eq!(job.candidates.len(), 1, "{algorithm}");
            assert_eq!(job.candidates[0].index, index);
            assert_eq!(job.candidates[0].jwk().expect("a JWK")["kty"], kty);
            assert!(req.jwt.starts_with(&format!("{}.", job.signing_input)));
            assert_eq!(
                verify_like_a_host(&job).verified_by,
                Some(index),
                "the JWK verifies the token ({algorithm})"
            );
        }
    }

    #[test]
    fn a_host_verdict_gives_the_same_result_and_trace_as_the_cores_crypto() {
        let mount = mount();
        for (pem, algorithm, namespace) in [
            (RSA_KEY, SigningAlgorithm::RS256, "grade-api"),
            (EC_KEY, SigningAlgorithm::ES256, "grade-api"),
            (RSA_KEY, SigningAlgorithm::RS512, "payment"),
            (OTHER_RSA_KEY, SigningAlgorithm::RS256, "grade-api"),
        ] {
            let req = request(token(pem, algorithm, namespace));
            let verdict = signature_job(&mount, &req)
                .map(|job| verify_like_a_host(&job))
                .unwrap_or_default();
            let hosted = evaluate_login_with_host_verdict(&mount, &req, &verdict, TraceMode::Full);
            assert_eq!(
                hosted,
                evaluate_login(&mount, &req),
                "{algorithm} {namespace}"
            );
            // The core's own crypto reaches the host's verdict, and replaying it agrees.
            let (own, own_verdict) = evaluate_login_with_verdict(&mount, &req, TraceMode::Full);
            assert_eq!(
                (&own, own_verdict),
                (&hosted, verdict),
                "{algorithm} {namespace}"
            );
            // Decided without an explanation: the same outcome and verdict, an empty trace.
            let (quiet, quiet_verdict) =
                evaluate_login_with_verdict(&mount, &req, TraceMode::OutcomeOnly);
            assert_eq!(
                (&quiet.outcome, quiet_verdict),
                (&hosted.outcome, verdict),
                "{algorithm} {namespace}"
            );
            assert!(quiet.trace.checks().is_empty());
            assert_eq!(
                evaluate_login_with_host_verdict(&mount, &req, &verdict, TraceMode::OutcomeOnly)
                    .outcome,
                hosted.outcome
            );
        }
    }

    #[test]
    fn a_host_asked_at_the_signature_step_gets_the_same_job_and_decides_the_same() {
        let mount = mount();
        let good = token(RSA_KEY, SigningAlgorithm::RS256, "grade-api");
        let requests = [
            request(good.clone()),
            request(token(EC_KEY, SigningAlgorithm::ES256, "grade-api")),
            request(token(RSA_KEY, SigningAlgorithm::PS256, "payment")),
            request(token(OTHER_RSA_KEY, SigningAlgorithm::RS256, "grade-api")),
            LoginRequest {
                role: "nope".into(),
                ..request(good.clone())
            },
            request("not-a-jwt".into()),
        ];
        for req in requests {
            let expected_job = signature_job(&mount, &req);
            let asked = std::cell::Cell::new(0);
            let host = |job: &SignatureJob<'_>| {
                asked.set(asked.get() + 1);
                let expected = expected_job
                    .as_ref()
                    .expect("asked only when there is a job");
                assert_eq!(job.algorithm, expected.algorithm);
                assert_eq!(job.signing_input, expected.signing_input);
                assert_eq!(job.signature, expected.signature);
                let indices = |j: &SignatureJob<'_>| -> Vec<usize> {
                    j.candidates.iter().map(|c| c.index).collect()
                };
                assert_eq!(indices(job), indices(expected));
                verify_like_a_host(job)
            };
            let result = evaluate_login_asking_host(&mount, &req, &host, TraceMode::Full);
            assert_eq!(result, evaluate_login(&mount, &req), "{}", req.jwt);
            assert_eq!(
                asked.get(),
                usize::from(expected_job.is_some()),
                "{}",
                req.jwt
            );
        }
    }

    #[test]
    fn an_assumed_verdict_decides_as_that_verdict_would() {
        let mount = mount();
        let forged = request(token(OTHER_RSA_KEY, SigningAlgorithm::RS256, "grade-api"));
        let assume_first = |job: &SignatureJob<'_>| HostVerdict {
            verified_by: job.candidates.first().map(|c| c.index),
        };
        let assumed = evaluate_login_asking_host(&mount, &forged, &assume_first, TraceMode::Full);
        let verdict = HostVerdict {
            verified_by: Some(1),
        };
        assert_eq!(
            assumed,
            evaluate_login_with_host_verdict(&mount, &forged, &verdict, TraceMode::Full)
        );
        assert!(assumed.success().is_some(), "the verdict is trusted");
    }

    #[test]
    fn a_forged_or_misattributed_verdict_is_a_mismatch() {
        let mount = mount();
        let req = request(token(OTHER_RSA_KEY, SigningAlgorithm::RS256, "grade-api"));
        // Position 0 is the ECDSA key: not a candidate for RS256, so it cannot vouch.
        for verdict in [
            HostVerdict::default(),
            HostVerdict {
                verified_by: Some(0),
            },
        ] {
            let result = evaluate_login_with_host_verdict(&mount, &req, &verdict, TraceMode::Full);
            let check = result.trace.get(CheckId::Signature).expect("signature");
            assert_eq!(check.status, CheckStatus::Failed);
            assert_eq!(
                check.reason.text(),
                SignatureError::Mismatch { tried: 1 }.to_string()
            );
        }
    }

    #[test]
    fn a_token_read_on_its_own_is_checked_as_the_cores_crypto_checks_it() {
        let mount = mount();
        let forged = {
            let genuine = token(RSA_KEY, SigningAlgorithm::RS256, "grade-api");
            let other = token(OTHER_RSA_KEY, SigningAlgorithm::RS256, "grade-api");
            let (input, _) = genuine.rsplit_once('.').expect("three parts");
            let (_, signature) = other.rsplit_once('.').expect("three parts");
            format!("{input}.{signature}")
        };
        for jwt in [
            token(RSA_KEY, SigningAlgorithm::RS256, "grade-api"),
            token(EC_KEY, SigningAlgorithm::ES256, "payment"),
            forged,
        ] {
            let decoded = jwt::decode(&jwt).expect("decodes");
            let job = token_signature_job(&decoded, mount.keys()).expect("a job");
            let verdict = verify_like_a_host(&job);
            assert_eq!(job.verdict_by_engine(), Ok(verdict));
            assert_eq!(
                verify_token_with_host_verdict(&decoded, mount.keys(), &verdict),
                decoded.verify_signature(mount.keys())
            );
        }
        let unsigned = jwt::decode(&format!(
            "{}.",
            token(RSA_KEY, SigningAlgorithm::RS256, "x")
                .rsplit_once('.')
                .expect("three parts")
                .0
        ))
        .expect("decodes");
        assert!(token_signature_job(&unsigned, mount.keys()).is_none());
    }

    #[test]
    fn web_crypto_names_follow_jws() {
        let ps384 = web_crypto_algorithm(SigningAlgorithm::PS384);
        assert_eq!(
            (ps384.name, ps384.hash, ps384.salt_length),
            ("RSA-PSS", "SHA-384", Some(48))
        );
        let es256 = web_crypto_algorithm(SigningAlgorithm::ES256);
        assert_eq!(
            (es256.name, es256.hash, es256.named_curve),
            ("ECDSA", "SHA-256", Some("P-256"))
        );
        let rs512 = web_crypto_algorithm(SigningAlgorithm::RS512);
        assert_eq!(
            (rs512.name, rs512.hash, rs512.named_curve, rs512.salt_length),
            ("RSASSA-PKCS1-v1_5", "SHA-512", None, None)
        );
    }

    #[test]
    fn no_job_when_the_core_decides_without_a_signature() {
        let mount = mount();
        let good = token(RSA_KEY, SigningAlgorithm::RS256, "grade-api");
        let unknown_role = LoginRequest {
            role: "nope".into(),
            ..request(good.clone())
        };
        let unsigned = request(format!(
            "{}.",
            good.rsplit_once('.').map(|(input, _)| input).unwrap_or("")
        ));
        for req in [unknown_role, unsigned, request("not-a-jwt".into())] {
            assert!(signature_job(&mount, &req).is_none(), "{}", req.jwt);
            assert_eq!(
                evaluate_login_with_host_verdict(
                    &mount,
                    &req,
                    &HostVerdict::default(),
                    TraceMode::Full
                ),
                evaluate_login(&mount, &req)
            );
        }
    }
}
