//! A login as the server sees it: the JWT decoded, its claims read, every check of the role run
//! and, when they pass, the TokenReview answer judged. The input's fields (U+001F apart) are
//! the JWT, the role, the TokenReview status code and body, the caller's address and the
//! namespace's labels as `k=v,k=v`. Logins run against the demo mount (signatures checked) and
//! the same mount without keys (claims checks and TokenReview reached).
#![no_main]

mod common;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use podpass_core::claims::ServiceAccountClaims;
use podpass_core::configuration::Configuration;
use podpass_core::jwt;
use podpass_core::login::{LoginRequest, LoginStep, begin_login};
use podpass_core::token_review::TokenReviewResponse;

use common::{Fields, NOW, tutorial};

static SIGNED: LazyLock<Configuration> = LazyLock::new(|| tutorial(true));
static KEYLESS: LazyLock<Configuration> = LazyLock::new(|| tutorial(false));

fn labels(text: &str) -> Option<BTreeMap<String, String>> {
    (!text.is_empty()).then(|| {
        text.split(',')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    })
}

fn login(configuration: &Configuration, request: &LoginRequest, review: &TokenReviewResponse) {
    for mount in configuration.mounts().values() {
        match begin_login(mount, request) {
            LoginStep::Finished(result) => {
                let _ = result.denial().map(|d| d.message.len());
                if let Some(success) = result.success() {
                    let _ = configuration.acl_for_login(success);
                }
            }
            LoginStep::NeedsTokenReview(pending) => {
                let result = pending.complete(Ok(review.clone()));
                if let Some(success) = result.success() {
                    let _ = configuration.acl_for_login(success);
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut fields = Fields::of(text);
    let token = fields.next_field();
    let role = fields.next_field();
    let status_code = fields.next_field().parse().unwrap_or(201);
    let body = fields.next_field().to_string();
    let remote_addr = Some(fields.next_field().to_string()).filter(|a| !a.is_empty());
    let namespace_labels = labels(fields.next_field());

    if let Ok(decoded) = jwt::decode(token) {
        let _ = ServiceAccountClaims::from_claims(&decoded.claims);
    }
    let request = LoginRequest {
        role: role.to_string(),
        jwt: token.to_string(),
        remote_addr,
        namespace_labels,
        now: NOW,
    };
    let review = TokenReviewResponse { status_code, body };
    login(&SIGNED, &request, &review);
    login(&KEYLESS, &request, &review);
});
