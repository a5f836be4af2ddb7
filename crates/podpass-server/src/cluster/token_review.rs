//! TokenReview: the server sends the request the core built and hands the answer (or the
//! transport failure) back to the core, which judges it.

use hyper::Method;
use podpass_core::auth_config::AuthConfig;
use podpass_core::login::{LoginResult, PendingTokenReview};
use podpass_core::token_review::TokenReviewResponse;
use podpass_core::trace::CheckId;

use super::Cluster;

impl Cluster {
    /// Asks the mount's API server whether the login JWT is still valid and finishes the
    /// login with the core's verdict. A timeout or connection failure denies the login; the
    /// detail (and any refusal by the API) is logged, while the client sees only
    /// `permission denied`.
    pub async fn review(
        &self,
        config: &AuthConfig,
        mut pending: PendingTokenReview,
    ) -> LoginResult {
        pending.request.bearer = self.bearer(config, &pending.request.bearer);
        let answer = self
            .send(
                config,
                Method::POST,
                &pending.request.url,
                &pending.request.bearer,
                Some(pending.request.body.to_string()),
            )
            .await
            .map(|answer| TokenReviewResponse {
                status_code: answer.status,
                body: answer.body,
            })
            .map_err(|e| e.to_string());
        let result = pending.complete(answer);
        if result.denial().is_some() {
            let why = result
                .trace
                .get(CheckId::TokenReview)
                .map(|check| check.reason.to_string())
                .unwrap_or_default();
            tracing::warn!(host = %config.kubernetes_host, reason = %why, "login denied at the TokenReview step");
        }
        result
    }
}
