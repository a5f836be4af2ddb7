//! Vault's error responses: a status and `{"errors": [...]}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::storage::StorageError;
use crate::token::IssueError;

/// Vault's answer to a bad or refused request: `status` with the body `{"errors": [message]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The entries of the `errors` array (empty for a bare 404, as Vault answers a missing item).
    pub errors: Vec<String>,
    /// Why a denial happened, for the operator: the failed login check or the deciding ACL
    /// rule. It goes to the log and the audit entry; the client sees it only where the server
    /// explains denials (`podpass dev`, `serve --explain-denials`), as a warning.
    pub explanation: Option<String>,
}

impl ApiError {
    /// An error with one message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            errors: vec![message.into()],
            explanation: None,
        }
    }

    /// The same error, explained (see [`ApiError::explanation`]).
    #[must_use]
    pub fn explained(mut self, explanation: impl Into<String>) -> ApiError {
        self.explanation = Some(explanation.into());
        self
    }

    /// The response, with the explanation as a Vault-style `warnings` entry when `explain`.
    pub fn into_response_explained(self, explain: bool) -> Response {
        let unavailable = self.is_unavailable();
        let mut body = json!({ "errors": self.errors });
        if let (true, Some(explanation)) = (explain, self.explanation) {
            body["warnings"] = json!([explanation]);
        }
        if unavailable {
            let retry = [(axum::http::header::RETRY_AFTER, "1")];
            return (self.status, retry, axum::Json(body)).into_response();
        }
        (self.status, axum::Json(body)).into_response()
    }

    /// 400 with Vault's message.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// 403 `permission denied`: missing, unknown, expired or revoked tokens, and ACL denials.
    pub fn permission_denied() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "permission denied")
    }

    /// 403 for a valid token whose policies refuse the request. Vault's core gathers this
    /// check's errors in a multierror, so its text is the multierror's listing (a missing or
    /// invalid token is a plain `permission denied`).
    pub fn acl_denied() -> ApiError {
        ApiError::one_of_many(StatusCode::FORBIDDEN, "permission denied")
    }

    /// `message` as Vault's core words an error it gathered in a multierror (a listing of
    /// one): the ACL's denials, the router's errors, the token store's accessor errors.
    pub fn one_of_many(status: StatusCode, message: &str) -> ApiError {
        ApiError::new(status, format!("1 error occurred:\n\t* {message}\n\n"))
    }

    /// A status with an empty `errors` array: how Vault's HTTP layer refuses a request it
    /// cannot read (an unknown method, an unreadable `list` flag).
    pub fn status_only(status: StatusCode) -> ApiError {
        ApiError {
            status,
            errors: Vec::new(),
            explanation: None,
        }
    }

    /// 404 with an empty `errors` array: what Vault answers for an item that does not exist.
    pub fn not_found() -> ApiError {
        ApiError::status_only(StatusCode::NOT_FOUND)
    }

    /// 404 for a path under no mount.
    pub fn no_route(path: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no handler for route \"{path}\". route entry not found."),
        )
    }

    /// 404 for a path a mount does not handle.
    pub fn unsupported_path() -> ApiError {
        ApiError::one_of_many(StatusCode::NOT_FOUND, "unsupported path")
    }

    /// 405 for a method the path does not support.
    pub fn unsupported_operation() -> ApiError {
        ApiError::one_of_many(StatusCode::METHOD_NOT_ALLOWED, "unsupported operation")
    }

    /// 501 for a Vault endpoint or feature podpass does not implement: a client must not take
    /// the silence of a 404 (which the vault CLI shows as "No value found") for an answer.
    pub fn not_implemented(what: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            format!(
                "podpass does not implement {what} (the endpoints it serves are listed in \
                 docs/compatibility.md)"
            ),
        )
    }

    /// 503 while storage cannot be reached or trusted: nothing was changed that was not
    /// acknowledged, and the client may retry.
    pub fn storage_unavailable(detail: &dyn std::fmt::Display) -> ApiError {
        tracing::warn!(%detail, "storage unavailable");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage is unavailable; nothing was changed, try again",
        )
    }

    /// Whether this is [`ApiError::storage_unavailable`]'s answer (which must never turn into a
    /// success, as a "not found" may).
    pub fn is_unavailable(&self) -> bool {
        self.status == StatusCode::SERVICE_UNAVAILABLE
    }

    /// 500 for a storage failure; the detail goes to the log, not to the client.
    pub fn internal(detail: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(%detail, "internal error");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
    }
}

impl From<StorageError> for ApiError {
    fn from(error: StorageError) -> ApiError {
        match error {
            // A race lost more often than redoing could absorb is as transient as an outage.
            StorageError::Unavailable(_) | StorageError::Closed | StorageError::Conflict { .. } => {
                ApiError::storage_unavailable(&error)
            }
            _ => ApiError::internal(&error),
        }
    }
}

impl From<IssueError> for ApiError {
    fn from(error: IssueError) -> ApiError {
        match error {
            // A parent revoked while its child was being created: Vault's 400.
            IssueError::ParentGone => ApiError::bad_request(error.to_string()),
            IssueError::Storage(error) => error.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.into_response_explained(false)
    }
}

/// An error with its sources, since a client library's top-level message (hyper's "client
/// error (Connect)", tokio-postgres's "error connecting to server") hides the cause an operator
/// needs (refused, unknown CA, bad name...).
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
