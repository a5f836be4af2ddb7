//! The demo scenario: the Vault tutorial's roles and policies, trusting podpass's throwaway key.
//!
//! One definition shared by every face that offers a ready-made example: `podpass dev --demo`
//! loads it into a server, the playground offers it as its first preset. Tokens for it are signed
//! with [`crate::policy_test::TEST_KEY_PEM`], a key published in podpass's source, so a demo
//! login needs no cluster; never put [`DEMO_PUBLIC_KEY_PEM`] into a real Vault's `pem_keys`.

use crate::configuration::{Configuration, ImportError, NoFiles};
use crate::jwt::SigningAlgorithm;
use crate::mint::{MintError, SigningKey, TokenSpec, UnsignedToken, mint};
use crate::policy_test::{TEST_KEY_ID, TEST_KEY_PEM, TEST_PUBLIC_KEY_PEM};

/// The scenario as the `vault` commands a tutorial reader would paste (self-contained: keys and
/// policies inline).
pub const DEMO_SCENARIO_COMMANDS: &str = include_str!("demo/scenario.sh");

/// The public half of the demo signing key (SPKI PEM), as the scenario's `pem_keys` holds it.
pub const DEMO_PUBLIC_KEY_PEM: &str = TEST_PUBLIC_KEY_PEM;

/// The source name the scenario's origins carry (`demo:12` in explanations and lint findings).
pub const DEMO_SOURCE: &str = "demo";

/// The scenario's configuration: one Kubernetes mount at `kubernetes`, five roles, three policies.
pub fn configuration() -> Result<Configuration, ImportError> {
    Configuration::import(DEMO_SCENARIO_COMMANDS, DEMO_SOURCE, None, &NoFiles)
        .map(|imported| imported.configuration)
}

/// The demo signing key (ES256, `kid` [`TEST_KEY_ID`]).
pub fn signing_key() -> Result<SigningKey, MintError> {
    SigningKey::from_pem(
        TEST_KEY_PEM,
        SigningAlgorithm::ES256,
        Some(TEST_KEY_ID.into()),
    )
}

/// The demo signing key as PKCS#8 DER, for a host that signs with its own crypto (WebCrypto's
/// `importKey("pkcs8", …)` as ECDSA P-256), together with [`crate::mint::UnsignedToken`].
pub fn signing_key_pkcs8() -> Result<Vec<u8>, MintError> {
    // The PEM's body is the PKCS#8 key; the host's importKey reads it, so the engine need not.
    crate::keys::pem_body(TEST_KEY_PEM, "PRIVATE KEY").ok_or_else(|| MintError::BadKey {
        alg: SigningAlgorithm::ES256,
        reason: "the demo key is not a PKCS#8 PEM".to_string(),
    })
}

/// The token `spec` describes with the demo key's header (ES256, `kid` [`TEST_KEY_ID`]), to be
/// signed by the host with [`signing_key_pkcs8`].
pub fn unsigned_token(spec: &TokenSpec) -> UnsignedToken {
    UnsignedToken::new(spec, SigningAlgorithm::ES256, Some(TEST_KEY_ID))
}

/// A projected service-account token for `namespace`/`service_account`, issued at `issued_at`
/// (seconds since the epoch) and valid for an hour, signed with the demo key.
pub fn token(namespace: &str, service_account: &str, issued_at: i64) -> Result<String, MintError> {
    mint(
        &TokenSpec::projected(namespace, service_account, issued_at),
        &signing_key()?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::LoginRequest;

    const NOW: i64 = 1_780_000_000;

    fn login(role: &str, namespace: &str, service_account: &str) -> crate::login::LoginResult {
        let config = configuration().expect("the demo scenario imports");
        let jwt = token(namespace, service_account, NOW).expect("demo token");
        let request = LoginRequest {
            role: role.into(),
            jwt,
            now: NOW,
            ..LoginRequest::default()
        };
        config.login("kubernetes", &request).expect("mount exists")
    }

    #[test]
    fn the_scenario_has_the_tutorials_roles_and_policies() {
        let config = configuration().expect("imports");
        let mount = config.mount("kubernetes").expect("mount");
        let mut roles: Vec<&str> = mount.roles().keys().map(String::as_str).collect();
        crate::order::sort(&mut roles);
        assert_eq!(
            roles,
            [
                "any-ns",
                "grade-api",
                "namespace-wide",
                "payment-api",
                "shared-reader"
            ]
        );
        let policies: Vec<&str> = config.policies().keys().map(String::as_str).collect();
        assert_eq!(policies, ["grade-api", "payment-api", "shared-reader"]);
    }

    #[test]
    fn a_demo_token_logs_in_to_its_role_and_not_to_another_namespaces() {
        let granted = login("grade-api", "grade-api", "grade-api-sa");
        let success = granted.success().expect("grade-api logs in");
        assert_eq!(success.policies, ["default", "grade-api"]);
        assert_eq!(success.lease_duration, 3600);

        let refused = login("grade-api", "payment", "payment-sa");
        let denial = refused.denial().expect("payment's token is refused");
        assert_eq!(denial.status, 403);
    }

    #[test]
    fn a_host_signs_the_same_demo_token_with_the_pkcs8_key() {
        let spec = TokenSpec::projected("grade-api", "grade-api-sa", NOW);
        let minted = mint(&spec, &signing_key().expect("demo key")).expect("signed");
        let (input, _) = minted.rsplit_once('.').expect("three parts");
        assert_eq!(unsigned_token(&spec).signing_input(), input);
        let der = signing_key_pkcs8().expect("demo key");
        let pem = crate::keys::der_to_pem("PRIVATE KEY", &der);
        assert_eq!(pem.trim(), TEST_KEY_PEM.trim());
    }
}
