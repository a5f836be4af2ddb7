//! The test key tokens described by claims are signed with.
//!
//! Embedded rather than generated, so the core stays pure (no random number generator) and the
//! same test file gives the same tokens natively, in wasm and at the edge. It is ECDSA P-256
//! because an ES256 signature costs about 50 µs against 1.9 ms for RSA-2048 (benches/
//! configuration.rs), which matters for files with hundreds of cases.

/// A **throwaway test key**, published in podpass's source: anyone can sign with it. The
/// runner trusts it only in its own copy of a mount, never in a configuration; never add it
/// (or [`TEST_KEY_JWKS`]) to a real Vault or cluster. PKCS#8 PEM, ECDSA P-256.
pub const TEST_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgXO3A7q64XrMDXwCg
wycfizCYa1UUJzZDMEF/vdQlv4ehRANCAAQm5NIDCWG1nBzyuh5tg8Wxs9LYRPjX
3pU3GxsBD78oJV+I9fWGXsbax55iC35xHNxazm1hCdk+0p0dJ6MEY6lp
-----END PRIVATE KEY-----
";

/// The `kid` of test-signed tokens; keys of a mount's JWK Set with another `kid` are not tried.
pub const TEST_KEY_ID: &str = "podpass-test-key";

/// The public half of [`TEST_KEY_PEM`] as SPKI PEM, for a mount's `pem_keys` (throwaway, see there).
pub const TEST_PUBLIC_KEY_PEM: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEJuTSAwlhtZwc8roebYPFsbPS2ET4
196VNxsbAQ+/KCVfiPX1hl7G2seeYgt+cRzcWs5tYQnZPtKdHSejBGOpaQ==
-----END PUBLIC KEY-----";

/// The public half of [`TEST_KEY_PEM`] as a JWK Set (throwaway, see there).
pub const TEST_KEY_JWKS: &str = r#"{"keys":[{"kty":"EC","crv":"P-256","alg":"ES256","use":"sig","kid":"podpass-test-key","x":"JuTSAwlhtZwc8roebYPFsbPS2ET4196VNxsbAQ-_KCU","y":"X4j19YZextrHnmILfnEc3FrObWEJ2T7SnR0nowRjqWk"}]}"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::SigningAlgorithm;
    use crate::keys::KeySet;
    use crate::mint::{SigningKey, TokenSpec, mint};

    #[test]
    fn the_halves_match() {
        let key = SigningKey::from_pem(
            TEST_KEY_PEM,
            SigningAlgorithm::ES256,
            Some(TEST_KEY_ID.into()),
        )
        .expect("key");
        let token = mint(&TokenSpec::projected("a", "b", 1), &key).expect("signed");
        let keys = KeySet::from_jwks_json(TEST_KEY_JWKS).expect("jwks");
        let verified = crate::jwt::decode(&token)
            .expect("decodes")
            .verify_signature(&keys)
            .expect("verifies");
        assert_eq!(verified.algorithm, SigningAlgorithm::ES256);
        assert!(verified.key.contains(TEST_KEY_ID));
        let pem = KeySet::from_pem_keys(&[TEST_PUBLIC_KEY_PEM]).expect("pem");
        assert!(
            crate::jwt::decode(&token)
                .expect("decodes")
                .verify_signature(&pem)
                .is_ok()
        );
    }
}
