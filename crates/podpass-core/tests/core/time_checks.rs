//! `login::time_checks`: a token's time status on its own, as a login would judge it.

use podpass_core::claims::ServiceAccountClaims;
use podpass_core::jwt;
use podpass_core::jwt::SigningAlgorithm;
use podpass_core::login::time_checks;
use podpass_core::mint::{SigningKey, TokenSpec, mint};
use podpass_core::policy_test::{TEST_KEY_ID, TEST_KEY_PEM};
use podpass_core::trace::{CheckId, CheckStatus};

const ISSUED: i64 = 1_780_000_000;

fn claims(token: &str) -> ServiceAccountClaims {
    let decoded = jwt::decode(token).expect("decodes");
    ServiceAccountClaims::from_claims(&decoded.claims).expect("service-account claims")
}

/// A projected token for grade-api issued at [`ISSUED`], valid for an hour.
fn projected_token() -> Result<String, podpass_core::mint::MintError> {
    let key = SigningKey::from_pem(
        TEST_KEY_PEM,
        SigningAlgorithm::ES256,
        Some(TEST_KEY_ID.into()),
    )?;
    mint(
        &TokenSpec::projected("grade-api", "grade-api-sa", ISSUED),
        &key,
    )
}

fn statuses(claims: &ServiceAccountClaims, now: i64) -> Vec<(CheckId, CheckStatus)> {
    time_checks(claims, now)
        .checks()
        .iter()
        .map(|c| (c.id, c.status))
        .collect()
}

#[test]
fn a_fresh_token_passes_all_three_checks() {
    let claims = claims(&projected_token().expect("mints"));
    let trace = time_checks(&claims, ISSUED + 60);
    assert_eq!(
        statuses(&claims, ISSUED + 60),
        [
            (CheckId::NotBefore, CheckStatus::Passed),
            (CheckId::Expiry, CheckStatus::Passed),
            (CheckId::IssuedAt, CheckStatus::Passed),
        ]
    );
    let expiry = trace.get(CheckId::Expiry).expect("expiry checked");
    assert!(
        expiry.reason.to_string().contains("(in 59m)"),
        "{}",
        expiry.reason
    );
}

#[test]
fn expiry_and_not_before_fail_beyond_the_leeway_only() {
    let claims = claims(&projected_token().expect("mints"));
    // exp = ISSUED + 3600; 60 s of leeway.
    assert!(
        time_checks(&claims, ISSUED + 3660)
            .first_failure()
            .is_none()
    );
    let expired = time_checks(&claims, ISSUED + 3661);
    let failure = expired.first_failure().expect("expired");
    assert_eq!(failure.id, CheckId::Expiry);
    assert!(failure.reason.to_string().contains("beyond the 60s leeway"));

    assert!(time_checks(&claims, ISSUED - 60).first_failure().is_none());
    let early = time_checks(&claims, ISSUED - 61);
    assert_eq!(
        early.first_failure().map(|c| c.id),
        Some(CheckId::NotBefore)
    );
    // Checks stop at the first failure, as a login does.
    assert_eq!(early.checks().len(), 1);
}

#[test]
fn legacy_tokens_skip_every_time_check() {
    let key = SigningKey::from_pem(
        podpass_core::policy_test::TEST_KEY_PEM,
        jwt::SigningAlgorithm::ES256,
        None,
    )
    .expect("key");
    let token = mint(&TokenSpec::legacy("grade-api", "grade-api-sa"), &key).expect("mints");
    let claims = claims(&token);
    assert!(
        statuses(&claims, ISSUED)
            .iter()
            .all(|(_, status)| *status == CheckStatus::Skipped)
    );
    assert_eq!(time_checks(&claims, ISSUED).checks().len(), 3);
}

#[test]
fn extreme_claims_and_clocks_neither_overflow_nor_wrap() {
    let fresh = claims(&projected_token().expect("mints"));
    let extremes = [
        i64::MIN,
        i64::MIN + 1,
        -1,
        0,
        ISSUED,
        i64::MAX - 1,
        i64::MAX,
    ];
    for exp in [None, Some(i64::MIN), Some(i64::MAX)] {
        for iat in [None, Some(i64::MIN), Some(i64::MAX)] {
            for nbf in [None, Some(i64::MAX)] {
                let mut claims = fresh.clone();
                claims.expires_at = exp;
                claims.issued_at = iat;
                claims.not_before = nbf;
                for now in extremes {
                    // Rendering every reason runs the relative-time arithmetic too.
                    let rendered = time_checks(&claims, now).to_string();
                    assert!(!rendered.is_empty());
                }
            }
        }
    }
    // A clock far in the future sees an expired token, never a wrapped "not yet valid".
    let failure = time_checks(&fresh, i64::MAX).first_failure().map(|c| c.id);
    assert_eq!(failure, Some(CheckId::Expiry));
}
