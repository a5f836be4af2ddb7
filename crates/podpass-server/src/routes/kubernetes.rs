//! `auth/<mount>/`: the Kubernetes auth method's config, roles and login.

use std::sync::Arc;

use axum::http::StatusCode;
use podpass_core::acl::Operation;
use podpass_core::config::AuthConfig;
use podpass_core::login::{LoginRequest, LoginResult, LoginStep, begin_login, evaluate_login};
use podpass_core::mount::KubernetesMount;
use podpass_core::role::{Role, TokenType};
use serde_json::json;

use crate::app::App;
use crate::error::ApiError;
use crate::request::{ApiRequest, ApiResponse};
use crate::token::{TokenEntry, TokenKind, TokenProfile, TtlSettings};

/// Why a login on a mount without `pem_keys` is refused until the server can call TokenReview.
const NO_TOKEN_REVIEW: &str = "this podpass server verifies tokens with the mount's pem_keys only; configure pem_keys (TokenReview calls to the cluster are not available here)";

/// `auth/<mount>/config`: read or write.
pub async fn config(
    app: &App,
    request: &ApiRequest,
    operation: Operation,
    mount: &str,
) -> Result<ApiResponse, ApiError> {
    match operation {
        Operation::Read => {
            let config = app
                .with_configuration(|c| c.mount(mount).and_then(|m| m.config().cloned()))
                .ok_or_else(ApiError::not_found)?;
            Ok(ApiResponse::data(config.to_read_json()))
        }
        Operation::Create | Operation::Update => {
            let written = AuthConfig::write(&request.body)
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
            app.put_auth_config(mount, written.config).await?;
            Ok(ApiResponse::data_with_warnings(None, written.warnings))
        }
        _ => Err(ApiError::unsupported_operation()),
    }
}

/// `auth/<mount>/role`: the role names (404 when there are none, as Vault answers).
pub fn roles(app: &App, operation: Operation, mount: &str) -> Result<ApiResponse, ApiError> {
    if operation != Operation::List {
        return Err(ApiError::unsupported_operation());
    }
    let names: Vec<String> = app.with_configuration(|c| {
        c.mount(mount)
            .map(|m| m.roles().keys().cloned().collect())
            .unwrap_or_default()
    });
    if names.is_empty() {
        return Err(ApiError::not_found());
    }
    Ok(ApiResponse::data(json!({ "keys": names })))
}

/// `auth/<mount>/role/<name>`: read, write, delete.
pub async fn role(
    app: &App,
    request: &ApiRequest,
    operation: Operation,
    mount: &str,
    name: &str,
) -> Result<ApiResponse, ApiError> {
    match operation {
        Operation::Read => {
            let role = app
                .with_configuration(|c| c.mount(mount).and_then(|m| m.role(name)).cloned())
                .ok_or_else(ApiError::not_found)?;
            Ok(ApiResponse::data(role.to_read_json()))
        }
        Operation::Create | Operation::Update => {
            let written = app
                .with_configuration(|c| {
                    let mount = c.mount(mount)?;
                    Some(Role::write(
                        name,
                        &request.body,
                        mount.role(name),
                        mount.ttls(),
                    ))
                })
                .ok_or_else(ApiError::unsupported_path)?
                .map_err(|e| {
                    let status =
                        StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::BAD_REQUEST);
                    ApiError::new(status, e.to_string())
                })?;
            app.put_role(mount, written.role).await?;
            Ok(ApiResponse::data_with_warnings(None, written.warnings))
        }
        Operation::Delete => {
            app.delete_role(mount, name).await?;
            Ok(ApiResponse::NoContent)
        }
        _ => Err(ApiError::unsupported_operation()),
    }
}

/// `auth/<mount>/login`: the core decides; a granted login gets a token.
pub async fn login(
    app: &App,
    request: &ApiRequest,
    operation: Operation,
    mount: &str,
) -> Result<ApiResponse, ApiError> {
    if !matches!(operation, Operation::Create | Operation::Update) {
        return Err(ApiError::unsupported_operation());
    }
    let now = app.now();
    let login = LoginRequest {
        role: request.string("role").unwrap_or_default().to_string(),
        jwt: request.string("jwt").unwrap_or_default().to_string(),
        remote_addr: request.remote_addr.map(|a| a.to_string()),
        namespace_labels: None,
        now,
    };
    let decided = app.with_configuration(|c| {
        c.mount(mount).map(|m| {
            let result = decide(m, &login);
            let token_settings =
                result
                    .success()
                    .and_then(|s| m.role(&s.role))
                    .map(|role| TtlSettings {
                        backend_ttl: role.token.ttl,
                        backend_max_ttl: role.token.max_ttl,
                        period: role.token.period,
                        explicit_max_ttl: role.token.explicit_max_ttl,
                        mount_default_ttl: m.ttls().default_lease_ttl,
                        mount_max_ttl: m.ttls().max_lease_ttl,
                    });
            (result, token_settings)
        })
    });
    let (result, ttl) = decided.ok_or_else(ApiError::unsupported_path)?;
    let success = match result.success() {
        Some(success) => success,
        None => {
            let (status, message) = result.denial().map_or(
                (StatusCode::FORBIDDEN, "permission denied".to_string()),
                |d| {
                    (
                        StatusCode::from_u16(d.status).unwrap_or(StatusCode::FORBIDDEN),
                        d.message.clone(),
                    )
                },
            );
            tracing::info!(mount, role = %login.role, %message, "login denied");
            return Err(ApiError::new(status, message));
        }
    };
    let profile = TokenProfile {
        kind: if success.token_type == TokenType::Batch {
            TokenKind::Batch
        } else {
            TokenKind::Service
        },
        policies: success.policies.clone(),
        identity: Some(success.identity.clone()),
        meta: success.metadata.clone(),
        display_name: success.display_name.clone(),
        path: format!("auth/{mount}/login"),
        mount: mount.to_string(),
        ttl: ttl.unwrap_or_default(),
        renewable: success.renewable,
        bound_cidrs: success.bound_cidrs.clone(),
        orphan: true,
    };
    let entry = TokenEntry {
        profile: Arc::new(profile),
        accessor: String::new(),
        creation_time: now,
        creation_ttl: success.lease_duration,
        expire_time: Some(now.saturating_add(success.lease_duration)),
        num_uses: success.num_uses,
    };
    let (token, entry) = app.tokens.issue(entry).await?;
    Ok(ApiResponse::auth(
        success.to_auth_json(&token, &entry.accessor),
        success.warnings.clone(),
    ))
}

/// With `pem_keys`, the signature proves the token and no API call is made (podpass's
/// pem_keys mode, see docs/compatibility.md); without them, TokenReview would be needed.
fn decide(mount: &KubernetesMount, login: &LoginRequest) -> LoginResult {
    if !mount.keys().is_empty() {
        return evaluate_login(mount, login);
    }
    match begin_login(mount, login) {
        LoginStep::Finished(result) => result,
        LoginStep::NeedsTokenReview(pending) => pending.complete(Err(NO_TOKEN_REVIEW.into())),
    }
}
