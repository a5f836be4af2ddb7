//! `auth/<mount>/`: the Kubernetes auth method's config, roles and login.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use podpass_core::acl::Operation;
use podpass_core::auth_config::AuthConfig;
use podpass_core::claims::ServiceAccountClaims;
use podpass_core::fields;
use podpass_core::login::{LoginRequest, LoginResult, LoginStep, begin_login_with_discovered_keys};
use podpass_core::mount::KubernetesMount;
use podpass_core::role::Role;
use serde_json::json;

use crate::app::App;
use crate::error::ApiError;
use crate::request::{ApiRequest, ApiResponse};
use crate::token::{TokenEntry, TokenProfile};

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
            app.cluster.forget_discovery_keys(mount);
            Ok(ApiResponse::data_with_warnings(
                None,
                as_vault_answers(written.warnings),
            ))
        }
        _ => Err(ApiError::unsupported_operation()),
    }
}

/// Vault's framework adds `Endpoint ignored these unrecognized parameters` only to a response
/// that carries something else; alone, the write answers 204. The core always reports ignored
/// parameters (lint and imports show them as notes); the server answers as Vault.
fn as_vault_answers(warnings: Vec<String>) -> Vec<String> {
    let ignored = |w: &String| w.starts_with(fields::IGNORED_PARAMETERS);
    if warnings.iter().all(ignored) {
        Vec::new()
    } else {
        warnings
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
            Ok(ApiResponse::data_with_warnings(
                None,
                as_vault_answers(written.warnings),
            ))
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
        role: login_field(request, "role")?,
        jwt: login_field(request, "jwt")?,
        remote_addr: request.remote_addr.map(|a| a.to_string()),
        namespace_labels: None,
        now,
    };
    let result = decide(app, mount, login).await?;
    let Some(success) = result.success() else {
        return Err(denial(&result));
    };
    let entry = TokenEntry::new(
        TokenProfile::from_login(mount, success),
        now,
        success.lease_duration,
        success.num_uses,
        None,
    );
    let (token, entry) = app.tokens.issue(entry, now).await?;
    let mut warnings = success.warnings.clone();
    let ignored = request
        .body
        .keys()
        .map(String::as_str)
        .filter(|name| !LOGIN_FIELDS.contains(name));
    warnings.extend(fields::ignored_parameters_warning(ignored));
    Ok(ApiResponse::auth(
        success.to_auth_json(&token, &entry.accessor),
        warnings,
    ))
}

/// The parameters of Vault's Kubernetes login path.
const LOGIN_FIELDS: [&str; 2] = ["role", "jwt"];

/// A login parameter as the path's string field reads it: a number is its text, a list or an
/// object is refused with the framework's words, absent is empty. The refusal does not echo
/// the input, which may be a service-account token.
fn login_field(request: &ApiRequest, name: &str) -> Result<String, ApiError> {
    Ok(request
        .field(name, fields::secret_string)?
        .unwrap_or_default())
}

/// Runs a login's checks on `mount` as configured now, calling the cluster where the mount's
/// verification ([`KubernetesMount::verification`]) needs it: namespace labels, discovery
/// keys, TokenReview. Issues nothing.
pub async fn decide(
    app: &App,
    mount: &str,
    mut login: LoginRequest,
) -> Result<LoginResult, ApiError> {
    let plan = app
        .with_configuration(|c| c.mount(mount).map(|m| plan(m, &login)))
        .ok_or_else(ApiError::unsupported_path)?;
    // The header's `kid` and the namespace claim, read before any check, only to know what to
    // fetch; the core verifies everything afterwards.
    let unverified = (plan.needs_labels || plan.discovery_keys)
        .then(|| podpass_core::jwt::decode(&login.jwt).ok())
        .flatten();
    if let (Some(config), true) = (&plan.config, plan.needs_labels) {
        login.namespace_labels = namespace_labels(app, config, unverified.as_ref(), &login).await;
    }
    let discovered = match (&plan.config, plan.discovery_keys) {
        (Some(config), true) => {
            let kid = unverified.as_ref().and_then(|d| d.key_id.as_deref());
            match app
                .cluster
                .discovery_keys(mount, config, kid, &login.jwt)
                .await
            {
                Ok(keys) => Some(keys),
                Err(error) => {
                    // An unreachable cluster is the operator's problem, not just a denial.
                    tracing::warn!(mount, role = %login.role, %error, "login denied: no keys from the cluster's OIDC discovery");
                    return Err(ApiError::permission_denied().explained(format!(
                        "signature: no keys from the cluster's OIDC discovery: {error}"
                    )));
                }
            }
        }
        _ => None,
    };
    let step = app
        .with_configuration(|c| {
            c.mount(mount)
                .map(|m| begin_login_with_discovered_keys(m, &login, discovered.as_ref()))
        })
        .ok_or_else(ApiError::unsupported_path)?;
    Ok(match step {
        LoginStep::Finished(result) => result,
        LoginStep::NeedsTokenReview(pending) => match &plan.config {
            Some(config) => app.cluster.review(config, *pending).await,
            None => pending.complete(Err("the mount has no config".into())),
        },
    })
}

/// Vault's answer to a refused login, explained by the first failed check.
fn denial(result: &LoginResult) -> ApiError {
    let (status, message) = result.denial().map_or(
        (StatusCode::FORBIDDEN, "permission denied".to_string()),
        |d| {
            (
                StatusCode::from_u16(d.status).unwrap_or(StatusCode::FORBIDDEN),
                d.message.clone(),
            )
        },
    );
    let explanation = result
        .trace
        .failure_summary()
        .unwrap_or_else(|| message.clone());
    ApiError::new(status, message).explained(explanation)
}

/// What a login on a mount needs fetched before the core can decide, read under the
/// configuration lock so that the API calls run without it.
struct Plan {
    config: Option<AuthConfig>,
    /// The mount verifies with the cluster's discovery keys, and the role exists (without it
    /// the login fails before the signature, so nothing is fetched).
    discovery_keys: bool,
    needs_labels: bool,
}

fn plan(mount: &KubernetesMount, login: &LoginRequest) -> Plan {
    let role = mount.role(&login.role);
    Plan {
        needs_labels: role.is_some_and(|r| !r.bound_service_account_namespace_selector.is_empty()),
        discovery_keys: role.is_some() && mount.verification().discovery_keys,
        config: mount.config().cloned(),
    }
}

/// The labels of the token's namespace, when the cluster tells them. Failures are logged and
/// leave the labels unknown: the core then refuses a login that only the selector would allow.
async fn namespace_labels(
    app: &App,
    config: &AuthConfig,
    unverified: Option<&podpass_core::jwt::DecodedJwt>,
    login: &LoginRequest,
) -> Option<BTreeMap<String, String>> {
    let claims = ServiceAccountClaims::from_claims(&unverified?.claims).ok()?;
    let namespace = claims.namespace.as_str();
    match app
        .cluster
        .namespace_labels(config, namespace, &login.jwt)
        .await
    {
        Ok(labels) => Some(labels),
        Err(error) => {
            tracing::warn!(role = %login.role, namespace, %error, "namespace labels unavailable");
            None
        }
    }
}
