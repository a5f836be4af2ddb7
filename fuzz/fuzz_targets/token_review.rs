//! TokenReview answers from the cluster, judged as Vault judges them: the input's fields
//! (U+001F apart) are the HTTP status code, the response body, the audiences that were sent
//! (comma-separated) and the JWT's claims as JSON, which the reviewed account is compared with.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use podpass_core::claims::ServiceAccountClaims;
use podpass_core::token_review::{TokenReviewResponse, compare_with_claims, judge_response};

use common::Fields;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut fields = Fields::of(text);
    let status_code = fields.next_field().parse().unwrap_or(201);
    let body = fields.next_field().to_string();
    let audiences: Vec<String> = fields
        .next_field()
        .split(',')
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect();
    let claims = fields.next_field();
    let response = TokenReviewResponse { status_code, body };
    let Ok(reviewed) = judge_response(&response, &audiences) else {
        return;
    };
    if let Ok(claims) = ServiceAccountClaims::from_json(claims.as_bytes()) {
        let _ = compare_with_claims(&reviewed, &claims);
    }
});
