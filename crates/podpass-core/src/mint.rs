//! Signing test service-account tokens, for demos, the playground and policy tests.
//!
//! These are the tokens a cluster would mount in a pod, signed with a key the caller owns
//! (a throwaway key, never a cluster's). Time is passed in, like everywhere in the core.

use jsonwebtoken::EncodingKey;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use thiserror::Error;

use crate::claims::ClaimShape;
use crate::jwt::SigningAlgorithm;
use crate::keys::KeyKind;

/// The default issuer of projected tokens in most clusters.
pub const DEFAULT_PROJECTED_ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
/// The issuer of legacy secret-based tokens.
pub const LEGACY_ISSUER: &str = "kubernetes/serviceaccount";

/// What the token says about its pod and service account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSpec {
    /// Service-account namespace.
    pub namespace: String,
    /// Service-account name.
    pub service_account: String,
    /// Service-account uid; [`service_account_uid`] makes a stable one.
    pub uid: String,
    /// Audiences (`aud`); an empty list leaves `aud` out.
    pub audiences: Vec<String>,
    /// `iss`.
    pub issuer: String,
    /// `iat` (and `nbf`), seconds since the epoch.
    pub issued_at: i64,
    /// Lifetime in seconds: `exp = iat + ttl`. Ignored for legacy tokens, which never expire.
    pub ttl_seconds: i64,
    /// Projected (bound) or legacy (secret) claim layout.
    pub shape: ClaimShape,
    /// Pod name for projected tokens.
    pub pod_name: Option<String>,
}

impl TokenSpec {
    /// A projected token for `namespace/service_account`, one hour long, no audience.
    pub fn projected(namespace: &str, service_account: &str, issued_at: i64) -> TokenSpec {
        TokenSpec {
            namespace: namespace.to_string(),
            service_account: service_account.to_string(),
            uid: service_account_uid(namespace, service_account),
            audiences: Vec::new(),
            issuer: DEFAULT_PROJECTED_ISSUER.to_string(),
            issued_at,
            ttl_seconds: 3600,
            shape: ClaimShape::Projected,
            pod_name: Some(format!("{service_account}-0")),
        }
    }

    /// A legacy, secret-based token for `namespace/service_account` (no time claims).
    pub fn legacy(namespace: &str, service_account: &str) -> TokenSpec {
        TokenSpec {
            issuer: LEGACY_ISSUER.to_string(),
            shape: ClaimShape::Legacy,
            pod_name: None,
            ..TokenSpec::projected(namespace, service_account, 0)
        }
    }

    /// The claims set this spec describes, in Kubernetes' layout.
    pub fn claims(&self) -> Value {
        let subject = format!(
            "system:serviceaccount:{}:{}",
            self.namespace, self.service_account
        );
        let mut claims = match self.shape {
            ClaimShape::Projected => {
                let mut nested = json!({
                    "namespace": self.namespace,
                    "serviceaccount": {"name": self.service_account, "uid": self.uid},
                });
                if let Some(pod) = &self.pod_name {
                    nested["pod"] =
                        json!({"name": pod, "uid": service_account_uid(&self.namespace, pod)});
                }
                json!({
                    "iss": self.issuer,
                    "sub": subject,
                    "iat": self.issued_at,
                    "nbf": self.issued_at,
                    "exp": self.issued_at.saturating_add(self.ttl_seconds),
                    "kubernetes.io": nested,
                })
            }
            ClaimShape::Legacy => json!({
                "iss": self.issuer,
                "sub": subject,
                "kubernetes.io/serviceaccount/namespace": self.namespace,
                "kubernetes.io/serviceaccount/secret.name": format!("{}-token-podpass", self.service_account),
                "kubernetes.io/serviceaccount/service-account.name": self.service_account,
                "kubernetes.io/serviceaccount/service-account.uid": self.uid,
            }),
        };
        match self.audiences.as_slice() {
            [] => {}
            [one] => claims["aud"] = json!(one),
            many => claims["aud"] = json!(many),
        }
        claims
    }
}

/// A stable, uuid-shaped uid for a namespace/name pair, so minted tokens are reproducible.
pub fn service_account_uid(namespace: &str, name: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_OID,
        format!("{namespace}/{name}").as_bytes(),
    )
    .to_string()
}

/// Why a token could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MintError {
    /// The PEM is not a private key of the algorithm's family.
    #[error("not a PEM private key usable with {alg}: {reason}")]
    BadKey {
        /// The algorithm asked for.
        alg: SigningAlgorithm,
        /// The parser's complaint.
        reason: String,
    },
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(String),
}

/// A private key ready to sign tokens.
#[derive(Clone)]
pub struct SigningKey {
    key: EncodingKey,
    algorithm: SigningAlgorithm,
    key_id: Option<String>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Reads a PKCS#8 (or PKCS#1 RSA) PEM private key for `algorithm`: an RSA key for RS* and
    /// PS*, a P-256 key for ES256, a P-384 key for ES384.
    pub fn from_pem(
        pem: &str,
        algorithm: SigningAlgorithm,
        key_id: Option<String>,
    ) -> Result<SigningKey, MintError> {
        let bad_key = |reason: String| MintError::BadKey {
            alg: algorithm,
            reason,
        };
        let private = crate::keys::decode_private_pem(pem).map_err(bad_key)?;
        if !algorithm.fits(private.kind) {
            return Err(bad_key(format!("it is an {} key", private.kind)));
        }
        let key = match private.kind {
            KeyKind::Rsa { .. } => EncodingKey::from_rsa_der(&private.der),
            KeyKind::EcP256 | KeyKind::EcP384 => EncodingKey::from_ec_der(&private.der),
        };
        Ok(SigningKey {
            key,
            algorithm,
            key_id,
        })
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> SigningAlgorithm {
        self.algorithm
    }
}

/// Signs any claims set (tests use this for deliberately odd claims).
pub fn sign_claims(claims: &Value, key: &SigningKey) -> Result<String, MintError> {
    key.sign(UnsignedToken::from_claims(
        claims,
        key.algorithm,
        key.key_id.as_deref(),
    ))
}

/// Signs the token a spec describes.
pub fn mint(spec: &TokenSpec, key: &SigningKey) -> Result<String, MintError> {
    sign_claims(&spec.claims(), key)
}

impl SigningKey {
    /// Signs `token` with this build's own crypto. The token's header should name this key's
    /// algorithm ([`UnsignedToken::new`] with [`SigningKey::algorithm`]).
    pub fn sign(&self, token: UnsignedToken) -> Result<String, MintError> {
        if !crate::jwt::has_crypto() {
            return Err(MintError::Signing(
                "this build of podpass has no signature crypto (on wasm32 it needs the \
                 `rust-crypto` feature); sign the token's signing input with the host's crypto"
                    .to_string(),
            ));
        }
        let signature = jsonwebtoken::crypto::sign(
            token.signing_input.as_bytes(),
            &self.key,
            self.algorithm.to_jsonwebtoken(),
        )
        .map_err(|e| MintError::Signing(e.to_string()))?;
        let mut token = token.signing_input;
        token.push('.');
        token.push_str(&signature);
        Ok(token)
    }
}

/// A token whose header and claims are written, waiting for its signature: [`SigningKey::sign`]
/// signs it in the engine, a host without crypto in the engine (the playground in a browser)
/// signs [`UnsignedToken::signing_input`] with its own and calls [`UnsignedToken::signed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsignedToken {
    signing_input: String,
}

impl UnsignedToken {
    /// The token `spec` describes, for a key of `algorithm` named `key_id` (the header's `kid`).
    pub fn new(spec: &TokenSpec, algorithm: SigningAlgorithm, key_id: Option<&str>) -> Self {
        UnsignedToken::from_claims(&spec.claims(), algorithm, key_id)
    }

    /// A token of any claims set, its header `{"alg":…,"kid":…}` (no `typ`, as Kubernetes
    /// writes service-account tokens).
    pub fn from_claims(claims: &Value, algorithm: SigningAlgorithm, key_id: Option<&str>) -> Self {
        use base64::Engine;
        let encode = |json: &Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json.to_string())
        };
        let mut header = serde_json::Map::new();
        header.insert("alg".into(), algorithm.name().into());
        if let Some(key_id) = key_id {
            header.insert("kid".into(), key_id.into());
        }
        UnsignedToken {
            signing_input: format!("{}.{}", encode(&Value::Object(header)), encode(claims)),
        }
    }

    /// The bytes to sign: `header.claims`, base64url-encoded.
    pub fn signing_input(&self) -> &str {
        &self.signing_input
    }

    /// The compact token with `signature`: for ECDSA, `r || s` (what WebCrypto's `sign`
    /// returns), not DER.
    pub fn signed(self, signature: &[u8]) -> String {
        use base64::Engine;
        let mut token = self.signing_input;
        token.push('.');
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        token
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::ServiceAccountClaims;
    use crate::keys::KeySet;
    use jsonwebtoken::Header;

    const RSA_KEY: &str = include_str!("../../../tests/fixtures/keys/rsa-2048.key.pem");
    const RSA_PUB: &str = include_str!("../../../tests/fixtures/keys/rsa-2048.pub.pem");
    const EC_KEY: &str = include_str!("../../../tests/fixtures/keys/ec-p384.key.pem");
    const EC_PUB: &str = include_str!("../../../tests/fixtures/keys/ec-p384.pub.pem");

    #[test]
    fn unsigned_tokens_carry_what_mint_signs() {
        let spec = TokenSpec::projected("grade-api", "grade-api-sa", 1_700_000_000);
        for (pem, algorithm, key_id) in [
            (RSA_KEY, SigningAlgorithm::RS256, None),
            (EC_KEY, SigningAlgorithm::ES384, Some("k")),
        ] {
            let key = SigningKey::from_pem(pem, algorithm, key_id.map(str::to_string))
                .expect("fixture key");
            let mut header = Header::new(algorithm.to_jsonwebtoken());
            header.kid = key_id.map(str::to_string);
            header.typ = None;
            let encoding_key = match algorithm {
                SigningAlgorithm::RS256 => EncodingKey::from_rsa_pem(pem.as_bytes()),
                _ => EncodingKey::from_ec_pem(pem.as_bytes()),
            }
            .expect("fixture key");
            let encoded =
                jsonwebtoken::encode(&header, &spec.claims(), &encoding_key).expect("encodes");
            let minted = mint(&spec, &key).expect("signed");
            let (input, _) = encoded.rsplit_once('.').expect("three parts");
            let (_, signature) = minted.rsplit_once('.').expect("three parts");
            let unsigned = UnsignedToken::new(&spec, algorithm, key_id);
            assert_eq!(unsigned.signing_input(), input, "{algorithm}");
            let signature = base64::Engine::decode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                signature,
            )
            .expect("base64url");
            assert_eq!(unsigned.signed(&signature), minted, "{algorithm}");
        }
    }

    #[test]
    fn minted_projected_token_verifies_and_reads_back() {
        let key = SigningKey::from_pem(RSA_KEY, SigningAlgorithm::RS256, None).expect("key");
        let mut spec = TokenSpec::projected("grade-api", "grade-api-sa", 1_700_000_000);
        spec.audiences = vec!["vault".into()];
        let token = mint(&spec, &key).expect("signed");
        let decoded = crate::jwt::decode(&token).expect("decodes");
        let keys = KeySet::from_pem_keys(&[RSA_PUB]).expect("keys");
        assert_eq!(
            decoded.verify_signature(&keys).expect("verifies").algorithm,
            SigningAlgorithm::RS256
        );
        let sa = ServiceAccountClaims::from_claims(&decoded.claims).expect("claims");
        assert_eq!(sa.namespace, "grade-api");
        assert_eq!(sa.uid, service_account_uid("grade-api", "grade-api-sa"));
        assert_eq!(sa.expires_at, Some(1_700_003_600));
        assert_eq!(sa.audiences, vec!["vault"]);
    }

    #[test]
    fn minted_legacy_token_has_flat_claims_and_no_times() {
        let key =
            SigningKey::from_pem(EC_KEY, SigningAlgorithm::ES384, Some("k".into())).expect("key");
        let token = mint(&TokenSpec::legacy("payment", "payment-sa"), &key).expect("signed");
        let decoded = crate::jwt::decode(&token).expect("decodes");
        assert_eq!(decoded.key_id.as_deref(), Some("k"));
        let keys = KeySet::from_pem_keys(&[EC_PUB]).expect("keys");
        assert!(decoded.verify_signature(&keys).is_ok());
        let sa = ServiceAccountClaims::from_claims(&decoded.claims).expect("claims");
        assert_eq!(sa.shape, Some(ClaimShape::Legacy));
        assert_eq!(
            (sa.issued_at, sa.expires_at, sa.not_before),
            (None, None, None)
        );
    }

    #[test]
    fn wrong_key_family_is_refused() {
        assert!(matches!(
            SigningKey::from_pem(RSA_KEY, SigningAlgorithm::ES256, None),
            Err(MintError::BadKey { .. })
        ));
        assert!(SigningKey::from_pem("nope", SigningAlgorithm::RS256, None).is_err());
    }

    fn refusal(pem: &str, algorithm: SigningAlgorithm) -> String {
        match SigningKey::from_pem(pem, algorithm, None) {
            Err(MintError::BadKey { reason, .. }) => reason,
            other => panic!("expected a bad key, got {other:?}"),
        }
    }

    #[test]
    fn pkcs1_and_pkcs8_rsa_keys_sign_the_same_token() {
        use base64::Engine;
        use pkcs1::der::Decode;
        let body: String = RSA_KEY
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .expect("fixture");
        let info = pkcs8::PrivateKeyInfoRef::from_der(&der).expect("pkcs8");
        let pkcs1 = crate::keys::der_to_pem("RSA PRIVATE KEY", info.private_key.as_bytes());
        let spec = TokenSpec::projected("grade-api", "grade-api-sa", 1_700_000_000);
        let sign = |pem: &str| {
            let key = SigningKey::from_pem(pem, SigningAlgorithm::RS256, None).expect("key");
            mint(&spec, &key).expect("signed")
        };
        // RSASSA-PKCS1-v1_5 is deterministic: the same key signs the same bytes.
        assert_eq!(sign(&pkcs1), sign(RSA_KEY));
    }

    #[test]
    fn keys_that_cannot_sign_are_refused_naming_why() {
        let cases = [
            (EC_KEY, SigningAlgorithm::ES256, "ECDSA P-384"),
            (RSA_KEY, SigningAlgorithm::ES384, "RSA 2048-bit"),
            (EC_KEY, SigningAlgorithm::RS256, "ECDSA P-384"),
            (
                RSA_PUB,
                SigningAlgorithm::RS256,
                "`PUBLIC KEY` block, not a private key",
            ),
            (
                "text",
                SigningAlgorithm::RS256,
                "not a PEM-encoded private key",
            ),
        ];
        for (pem, algorithm, expected) in cases {
            let reason = refusal(pem, algorithm);
            assert!(reason.contains(expected), "{algorithm}: {reason}");
        }
        let sec1 = EC_KEY.replace("PRIVATE KEY", "EC PRIVATE KEY");
        assert!(refusal(&sec1, SigningAlgorithm::ES384).contains("convert it to PKCS#8"));
        let truncated = crate::keys::der_to_pem("PRIVATE KEY", &[0x30, 0x03, 0x02, 0x01]);
        assert!(refusal(&truncated, SigningAlgorithm::RS256).contains("malformed PKCS#8"));
        let not_rsa = crate::keys::der_to_pem("RSA PRIVATE KEY", &[0x30, 0x00]);
        assert!(refusal(&not_rsa, SigningAlgorithm::RS256).contains("malformed RSA private key"));
    }
}
