//! Token signatures in the page. The browser's WebCrypto verifies and signs them, so the
//! playground's wasm carries no signature crypto of its own. WebCrypto answers later and an
//! evaluation cannot wait, so an evaluation asks a [`SignatureCheck`] for each verdict: in the
//! browser, [`Verdicts`] answers the signatures the page has verified already and lists the
//! others, which the page then verifies before evaluating again. Natively (the tests),
//! [`EngineCrypto`] answers at once with the core's own crypto.

use std::cell::RefCell;

use podpass_core::host_signature::{HostVerdict, SignatureJob};
use podpass_core::jwt::SigningAlgorithm;

/// The most verdicts kept: a token edited by hand is a new signature at every pause in typing.
const MOST_VERDICTS: usize = 64;

/// A signature's verdict, or why it could not be reached (the browser refused).
pub type Verdict = Result<HostVerdict, String>;

/// Where an evaluation gets its signature verdicts from.
pub trait SignatureCheck {
    /// The verdict for `job`, or `None` when it is not known yet.
    fn verdict(&self, job: &SignatureJob<'_>) -> Option<Verdict>;
}

/// The core's own crypto (native builds), which always answers.
#[derive(Debug, Clone, Copy, Default)]
pub struct EngineCrypto;

impl SignatureCheck for EngineCrypto {
    fn verdict(&self, job: &SignatureJob<'_>) -> Option<Verdict> {
        Some(job.verdict_by_engine().map_err(|e| e.to_string()))
    }
}

/// One signature to verify, kept after the evaluation that found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The token's algorithm.
    pub algorithm: SigningAlgorithm,
    /// The bytes that were signed.
    pub signing_input: String,
    /// The signature (`r || s` for ECDSA).
    pub signature: Vec<u8>,
    /// The keys to try, in order: each key's position and its public JWK as JSON, `None` for
    /// a key WebCrypto cannot take (it verifies nothing).
    pub candidates: Vec<(usize, Option<String>)>,
}

impl Job {
    /// The owned form of the core's job.
    pub fn from_core(job: &SignatureJob<'_>) -> Job {
        Job {
            algorithm: job.algorithm,
            signing_input: job.signing_input.clone(),
            signature: job.signature.clone(),
            candidates: job
                .candidates
                .iter()
                .map(|candidate| {
                    let jwk = candidate
                        .jwk()
                        .and_then(|jwk| serde_json::to_string(&jwk).ok());
                    (candidate.index, jwk)
                })
                .collect(),
        }
    }
}

/// The verdicts the page has reached, the signatures an evaluation found unknown, and those
/// being verified (asked for once, however often the page evaluates meanwhile).
#[derive(Debug, Default)]
pub struct Verdicts {
    known: Vec<(Job, Verdict)>,
    wanted: RefCell<Vec<Job>>,
    verifying: Vec<Job>,
}

impl Verdicts {
    /// The signatures evaluations asked for since the last call, each once; from now on they
    /// count as being verified until [`Verdicts::insert`] brings their verdict.
    pub fn take_wanted(&mut self) -> Vec<Job> {
        let wanted = std::mem::take(&mut *self.wanted.borrow_mut());
        self.verifying.extend(wanted.iter().cloned());
        wanted
    }

    /// Keeps the verdict the page reached for `job`.
    pub fn insert(&mut self, job: Job, verdict: Verdict) {
        self.verifying.retain(|verifying| *verifying != job);
        if self.known.len() >= MOST_VERDICTS {
            self.known.clear();
        }
        self.known.retain(|(known, _)| *known != job);
        self.known.push((job, verdict));
    }
}

impl SignatureCheck for Verdicts {
    fn verdict(&self, job: &SignatureJob<'_>) -> Option<Verdict> {
        let job = Job::from_core(job);
        if let Some((_, verdict)) = self.known.iter().find(|(known, _)| *known == job) {
            return Some(verdict.clone());
        }
        let mut wanted = self.wanted.borrow_mut();
        if !wanted.contains(&job) && !self.verifying.contains(&job) {
            wanted.push(job);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use podpass_core::host_signature::token_signature_job;
    use podpass_core::jwt;
    use podpass_core::keys::KeySet;

    use crate::minting::test_support::demo_token;

    fn decoded() -> jwt::DecodedJwt {
        jwt::decode(&demo_token("grade-api", "grade-api-sa", 1_780_000_000)).expect("decodes")
    }

    #[test]
    fn an_unknown_signature_is_asked_for_once_then_answered_from_what_the_page_found() {
        let keys = KeySet::from_pem_keys(&[podpass_core::demo::DEMO_PUBLIC_KEY_PEM]).expect("key");
        let token = decoded();
        let job = token_signature_job(&token, &keys).expect("a signature to verify");
        let mut verdicts = Verdicts::default();
        assert_eq!(verdicts.verdict(&job), None);
        assert_eq!(verdicts.verdict(&job), None);
        let wanted = verdicts.take_wanted();
        assert_eq!(wanted.len(), 1, "asked for once");
        assert!(verdicts.take_wanted().is_empty());
        // Evaluated again while the page verifies it: not asked for twice.
        assert_eq!(verdicts.verdict(&job), None);
        assert!(verdicts.take_wanted().is_empty());

        let found = EngineCrypto.verdict(&job).expect("the engine answers");
        assert_eq!(
            found,
            Ok(HostVerdict {
                verified_by: Some(0)
            })
        );
        verdicts.insert(wanted[0].clone(), found.clone());
        assert_eq!(verdicts.verdict(&job), Some(found));
        assert!(verdicts.take_wanted().is_empty());
    }

    #[test]
    fn a_key_change_is_a_new_signature_to_verify() {
        let token = decoded();
        let demo = KeySet::from_pem_keys(&[podpass_core::demo::DEMO_PUBLIC_KEY_PEM]).expect("key");
        let other =
            KeySet::from_pem_keys(&[include_str!("../../tests/fixtures/keys/ec-p256.pub.pem")])
                .expect("key");
        let mut verdicts = Verdicts::default();
        let first = token_signature_job(&token, &demo).expect("job");
        verdicts.insert(Job::from_core(&first), Ok(HostVerdict::default()));
        let second = token_signature_job(&token, &other).expect("job");
        assert_eq!(verdicts.verdict(&second), None);
        assert_eq!(verdicts.take_wanted(), [Job::from_core(&second)]);
    }
}
