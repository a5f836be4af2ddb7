//! The Kubernetes TokenReview exchange, without the HTTP: the body Vault would `POST` to
//! `{kubernetes_host}/apis/authentication.k8s.io/v1/tokenreviews`, and the judgement of the
//! answer. The server face performs the call; the core decides what it means.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use thiserror::Error;

use crate::claims::ServiceAccountClaims;

/// The path of the TokenReview API under `kubernetes_host`.
pub const TOKEN_REVIEW_PATH: &str = "/apis/authentication.k8s.io/v1/tokenreviews";

/// What to send to the TokenReview API.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenReviewRequest {
    /// `{kubernetes_host}` + [`TOKEN_REVIEW_PATH`], with a trailing `/` of the host trimmed.
    pub url: String,
    /// The JSON body.
    pub body: Value,
    /// The bearer token for `Authorization`: the configured reviewer JWT, else the caller's
    /// (the pod's own token, when running in a cluster), else the login JWT itself.
    pub bearer: String,
}

/// Builds the request Vault makes. `audiences` are the role's audience when set, else the
/// token's own audiences (asking Kubernetes to check them is then a no-op, as in Vault).
pub fn build_request(
    kubernetes_host: &str,
    login_jwt: &str,
    audiences: &[String],
    reviewer_jwt: Option<&str>,
) -> TokenReviewRequest {
    let mut spec = json!({ "token": login_jwt });
    if !audiences.is_empty() {
        spec["audiences"] = json!(audiences);
    }
    TokenReviewRequest {
        url: format!(
            "{}{TOKEN_REVIEW_PATH}",
            kubernetes_host.trim_end_matches('/')
        ),
        body: json!({
            "kind": "TokenReview",
            "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"creationTimestamp": null},
            "spec": spec,
            "status": {"user": {}}
        }),
        bearer: reviewer_jwt
            .filter(|j| !j.is_empty())
            .unwrap_or(login_jwt)
            .to_string(),
    }
}

/// The HTTP answer the server received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenReviewResponse {
    /// The HTTP status code.
    pub status_code: u16,
    /// The response body.
    pub body: String,
}

/// The service account Kubernetes vouched for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewedAccount {
    /// Namespace from `status.user.username`.
    pub namespace: String,
    /// Name from `status.user.username`.
    pub name: String,
    /// `status.user.uid`.
    pub uid: String,
}

/// Why a TokenReview did not vouch for the token. Messages are Vault's (they reach its log,
/// while the client sees `permission denied`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TokenReviewError {
    /// 401 from the API server.
    #[error(
        "lookup failed: service account unauthorized; this could mean it has been deleted or recreated with a new token"
    )]
    Unauthorized,
    /// Any other non-2xx answer.
    #[error("lookup failed: the server responded with HTTP {status_code}: {body}")]
    HttpStatus {
        /// The status code.
        status_code: u16,
        /// The body, trimmed.
        body: String,
    },
    /// A `Status` object that is not a success.
    #[error("lookup failed: {0}")]
    StatusFailure(String),
    /// Not a TokenReview.
    #[error("lookup failed: response is not a TokenReview: {0}")]
    Malformed(String),
    /// `status.error` is set.
    #[error("lookup failed: {0}")]
    ReviewError(String),
    /// `status.authenticated` is not true.
    #[error("lookup failed: service account jwt not valid")]
    NotAuthenticated,
    /// The audiences do not overlap.
    #[error("lookup failed: service account jwt valid for audience(s) [{}], but wanted [{}]", .returned.join(" "), .wanted.join(" "))]
    AudienceMismatch {
        /// `status.audiences`.
        returned: Vec<String>,
        /// The audiences sent.
        wanted: Vec<String>,
    },
    /// `status.user.username` does not have four `:`-separated parts.
    #[error("lookup failed: unexpected username format")]
    UsernameFormat,
    /// The username is not `system:serviceaccount:...`.
    #[error("lookup failed: username returned is not a service account")]
    NotServiceAccount,
    /// The reviewed name differs from the JWT's.
    #[error("JWT names did not match")]
    NameMismatch,
    /// The reviewed uid differs from the JWT's.
    #[error("JWT UIDs did not match")]
    UidMismatch,
    /// The reviewed namespace differs from the JWT's.
    #[error("JWT namespaces did not match")]
    NamespaceMismatch,
}

#[derive(Deserialize)]
struct ReviewBody {
    status: Option<ReviewStatus>,
}

#[derive(Deserialize)]
struct ReviewStatus {
    #[serde(default)]
    authenticated: bool,
    #[serde(default)]
    error: String,
    #[serde(default)]
    audiences: Vec<String>,
    #[serde(default)]
    user: ReviewUser,
}

#[derive(Deserialize, Default)]
struct ReviewUser {
    #[serde(default)]
    username: String,
    #[serde(default)]
    uid: String,
}

/// Judges a TokenReview answer against the audiences that were sent.
pub fn judge_response(
    response: &TokenReviewResponse,
    wanted_audiences: &[String],
) -> Result<ReviewedAccount, TokenReviewError> {
    if response.status_code == 401 {
        return Err(TokenReviewError::Unauthorized);
    }
    if !(200..=206).contains(&response.status_code) {
        return Err(TokenReviewError::HttpStatus {
            status_code: response.status_code,
            body: response.body.trim().chars().take(512).collect(),
        });
    }
    let value: Value = serde_json::from_slice(response.body.as_bytes())
        .map_err(|e| TokenReviewError::Malformed(e.to_string()))?;
    // A metav1.Status in place of a TokenReview is the API server refusing the review.
    if value.get("kind").and_then(Value::as_str) == Some("Status") {
        let message = value
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("unknown failure");
        return Err(TokenReviewError::StatusFailure(message.to_string()));
    }
    let body: ReviewBody =
        serde_json::from_value(value).map_err(|e| TokenReviewError::Malformed(e.to_string()))?;
    let status = body
        .status
        .ok_or_else(|| TokenReviewError::Malformed("no status".into()))?;
    if !status.error.is_empty() {
        return Err(TokenReviewError::ReviewError(status.error));
    }
    if !status.authenticated {
        return Err(TokenReviewError::NotAuthenticated);
    }
    if !wanted_audiences.is_empty()
        && !wanted_audiences
            .iter()
            .any(|w| status.audiences.contains(w))
    {
        return Err(TokenReviewError::AudienceMismatch {
            returned: status.audiences,
            wanted: wanted_audiences.to_vec(),
        });
    }
    let parts: Vec<&str> = status.user.username.split(':').collect();
    let [system, kind, namespace, name] = parts.as_slice() else {
        return Err(TokenReviewError::UsernameFormat);
    };
    if *system != "system" || *kind != "serviceaccount" {
        return Err(TokenReviewError::NotServiceAccount);
    }
    Ok(ReviewedAccount {
        namespace: namespace.to_string(),
        name: name.to_string(),
        uid: status.user.uid,
    })
}

/// Vault's final comparison of the reviewed account with the JWT's claims.
pub fn compare_with_claims(
    reviewed: &ReviewedAccount,
    claims: &ServiceAccountClaims,
) -> Result<(), TokenReviewError> {
    if reviewed.name != claims.name {
        return Err(TokenReviewError::NameMismatch);
    }
    if reviewed.uid != claims.uid {
        return Err(TokenReviewError::UidMismatch);
    }
    if reviewed.namespace != claims.namespace {
        return Err(TokenReviewError::NamespaceMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok_body(username: &str, uid: &str, audiences: &[&str]) -> TokenReviewResponse {
        TokenReviewResponse {
            status_code: 201,
            body: json!({"kind": "TokenReview", "apiVersion": "authentication.k8s.io/v1",
                "status": {"authenticated": true, "audiences": audiences,
                    "user": {"username": username, "uid": uid, "groups": ["system:serviceaccounts"]}}})
            .to_string(),
        }
    }

    #[test]
    fn request_body_and_bearer() {
        let req = build_request("https://k8s:6443/", "jwt-1", &["vault".into()], None);
        assert_eq!(
            req.url,
            "https://k8s:6443/apis/authentication.k8s.io/v1/tokenreviews"
        );
        assert_eq!(req.body["spec"]["token"], "jwt-1");
        assert_eq!(req.body["spec"]["audiences"], json!(["vault"]));
        assert_eq!(req.bearer, "jwt-1");
        let req = build_request("https://k8s", "jwt-1", &[], Some("reviewer"));
        assert_eq!(req.bearer, "reviewer");
        assert!(req.body["spec"].get("audiences").is_none());
    }

    #[test]
    fn accepts_a_matching_review() {
        let reviewed = judge_response(
            &ok_body("system:serviceaccount:ns:sa", "u1", &["vault"]),
            &["vault".into()],
        )
        .expect("authenticated");
        assert_eq!(
            reviewed,
            ReviewedAccount {
                namespace: "ns".into(),
                name: "sa".into(),
                uid: "u1".into()
            }
        );
        let claims = ServiceAccountClaims {
            namespace: "ns".into(),
            name: "sa".into(),
            uid: "u1".into(),
            ..Default::default()
        };
        assert_eq!(compare_with_claims(&reviewed, &claims), Ok(()));
        let other = ServiceAccountClaims {
            uid: "u2".into(),
            ..claims.clone()
        };
        assert_eq!(
            compare_with_claims(&reviewed, &other),
            Err(TokenReviewError::UidMismatch)
        );
    }

    #[test]
    fn failure_paths_carry_vaults_messages() {
        let unauth = TokenReviewResponse {
            status_code: 401,
            body: "Unauthorized".into(),
        };
        assert!(
            judge_response(&unauth, &[])
                .expect_err("401")
                .to_string()
                .contains("deleted or recreated")
        );
        let not_auth = TokenReviewResponse {
            status_code: 201,
            body: r#"{"kind":"TokenReview","status":{"authenticated":false}}"#.into(),
        };
        assert_eq!(
            judge_response(&not_auth, &[]),
            Err(TokenReviewError::NotAuthenticated)
        );
        let with_error = TokenReviewResponse {
            status_code: 201,
            body: r#"{"kind":"TokenReview","status":{"error":"token expired"}}"#.into(),
        };
        assert_eq!(
            judge_response(&with_error, &[])
                .expect_err("error")
                .to_string(),
            "lookup failed: token expired"
        );
        let aud = judge_response(
            &ok_body("system:serviceaccount:ns:sa", "u", &["a", "b"]),
            &["vault".into()],
        );
        assert_eq!(
            aud.expect_err("aud").to_string(),
            "lookup failed: service account jwt valid for audience(s) [a b], but wanted [vault]"
        );
        assert_eq!(
            judge_response(&ok_body("system:serviceaccount:ns", "u", &[]), &[]),
            Err(TokenReviewError::UsernameFormat)
        );
        assert_eq!(
            judge_response(&ok_body("system:node:ns:sa", "u", &[]), &[]),
            Err(TokenReviewError::NotServiceAccount)
        );
        let status = TokenReviewResponse {
            status_code: 200,
            body: r#"{"kind":"Status","status":"Failure","message":"forbidden"}"#.into(),
        };
        assert_eq!(
            judge_response(&status, &[]),
            Err(TokenReviewError::StatusFailure("forbidden".into()))
        );
        let garbage = TokenReviewResponse {
            status_code: 200,
            body: "<html>".into(),
        };
        assert!(matches!(
            judge_response(&garbage, &[]),
            Err(TokenReviewError::Malformed(_))
        ));
        let server = TokenReviewResponse {
            status_code: 503,
            body: " busy ".into(),
        };
        assert_eq!(
            judge_response(&server, &[]),
            Err(TokenReviewError::HttpStatus {
                status_code: 503,
                body: "busy".into()
            })
        );
    }
}
