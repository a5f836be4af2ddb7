//! `auth/token/`: look up, renew, revoke and create tokens.

use axum::http::StatusCode;
use podpass_core::acl::Operation;
use podpass_core::fields;
use podpass_core::policy::{Capability, ROOT_POLICY_NAME};
use podpass_core::timestamp::rfc3339;
use serde_json::{Value, json};

use crate::app::App;
use crate::error::ApiError;
use crate::request::{ApiRequest, ApiResponse};
use crate::routes::Caller;
use crate::token::child::{self, Creation};
use crate::token::{ResolvedToken, TokenEntry, TokenKind};

/// Dispatches `auth/token/<name>`.
pub async fn handle(
    app: &App,
    request: &ApiRequest,
    operation: Operation,
    name: &str,
    caller: Option<&Caller>,
) -> Result<ApiResponse, ApiError> {
    let caller = caller.ok_or_else(ApiError::permission_denied)?;
    let reads = matches!(operation, Operation::Read);
    let writes = matches!(operation, Operation::Create | Operation::Update);
    match name {
        "lookup-self" if reads || writes => {
            Ok(lookup_response(&caller.token, &caller.resolved, app.now()))
        }
        "renew-self" if writes => renew(app, request, &caller.token, caller.resolved.clone()).await,
        "revoke-self" if writes => revoke(app, &caller.resolved).await,
        "lookup" if writes => match given_token(request) {
            // Without a token, Vault looks up the caller's own.
            None => Ok(lookup_response(&caller.token, &caller.resolved, app.now())),
            Some(_) => {
                let (token, target) = target_token(app, request).await?;
                Ok(lookup_response(&token, &target, app.now()))
            }
        },
        "renew" if writes => {
            let token =
                given_token(request).ok_or_else(|| ApiError::bad_request("missing token ID"))?;
            let target = app
                .tokens
                .resolve(&token, app.now())
                .await?
                .ok_or_else(|| ApiError::bad_request("token not found"))?;
            renew(app, request, &token, target).await
        }
        "revoke" if writes => {
            if given_token(request).is_none() {
                return Err(ApiError::bad_request("missing token ID"));
            }
            match target_token(app, request).await {
                Ok((_, target)) => revoke(app, &target).await,
                Err(error) if error.is_unavailable() => Err(error),
                // Revoking a token that is already gone succeeds, as in Vault.
                Err(_) => Ok(ApiResponse::NoContent),
            }
        }
        "lookup-accessor" if writes => {
            let accessor = given_accessor(request)?;
            let target = app
                .tokens
                .resolve_accessor(&accessor, app.now())
                .ok_or_else(|| {
                    ApiError::one_of_many(StatusCode::BAD_REQUEST, "invalid accessor")
                })?;
            // Vault does not reveal the token behind an accessor: `id` is empty.
            Ok(lookup_response("", &target, app.now()))
        }
        "revoke-accessor" if writes => {
            let accessor = given_accessor(request)?;
            let Some(hash) = app.tokens.hash_for_accessor(&accessor) else {
                return Ok(ApiResponse::data_with_warnings(
                    None,
                    vec!["No token found with this accessor".into()],
                ));
            };
            app.tokens.revoke(&[hash]).await?;
            Ok(ApiResponse::NoContent)
        }
        "revoke-orphan" if writes => revoke_orphan(app, request, caller).await,
        "create" | "create-orphan" if writes => {
            create(app, request, caller, name == "create-orphan").await
        }
        "lookup-self" | "renew-self" | "revoke-self" | "lookup" | "renew" | "revoke"
        | "lookup-accessor" | "revoke-accessor" | "revoke-orphan" | "create" | "create-orphan" => {
            Err(ApiError::unsupported_operation())
        }
        _ => Err(ApiError::unsupported_path()),
    }
}

/// The `token` parameter, when one was sent and is not empty. It is Vault's string field, so
/// a number is the token of that text, never "no token" (which would mean the caller's own).
fn given_token(request: &ApiRequest) -> Option<String> {
    request
        .field("token", fields::string)
        .ok()
        .flatten()
        .filter(|t| !t.is_empty())
}

/// The `accessor` parameter: Vault's string field (a number is its text), required.
fn given_accessor(request: &ApiRequest) -> Result<String, ApiError> {
    let accessor = request
        .field("accessor", fields::string)?
        .unwrap_or_default();
    if accessor.is_empty() {
        return Err(ApiError::one_of_many(
            StatusCode::BAD_REQUEST,
            "missing accessor",
        ));
    }
    Ok(accessor)
}

async fn target_token(
    app: &App,
    request: &ApiRequest,
) -> Result<(String, ResolvedToken), ApiError> {
    let token = given_token(request).ok_or_else(|| ApiError::bad_request("missing token"))?;
    let resolved = app
        .tokens
        .resolve(&token, app.now())
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::FORBIDDEN, "bad token"))?;
    Ok((token, resolved))
}

fn lookup_response(token: &str, resolved: &ResolvedToken, now: i64) -> ApiResponse {
    let entry = &resolved.entry;
    let mut data = json!({
        "accessor": entry.accessor,
        "creation_time": entry.creation_time,
        "creation_ttl": entry.creation_ttl,
        "display_name": entry.profile.display_name,
        "entity_id": entry.entity_id(),
        "expire_time": entry.expire_time.map(rfc3339),
        "explicit_max_ttl": entry.profile.ttl.explicit_max_ttl,
        "id": token,
        "issue_time": rfc3339(entry.creation_time),
        "meta": if entry.profile.meta.is_empty() { Value::Null } else { json!(entry.profile.meta) },
        "num_uses": entry.num_uses,
        "orphan": entry.is_orphan(),
        "path": entry.profile.path,
        "policies": entry.profile.policies,
        "renewable": entry.profile.renewable,
        "ttl": entry.ttl_left(now),
        "type": entry.profile.kind.as_str(),
    });
    // Vault sets these keys only when they apply.
    if entry.profile.ttl.period > 0 {
        data["period"] = json!(entry.profile.ttl.period);
    }
    if !entry.profile.bound_cidrs.is_empty() {
        data["bound_cidrs"] = json!(entry.profile.bound_cidrs);
    }
    if let Some(renewed) = entry.last_renewal {
        data["last_renewal"] = json!(rfc3339(renewed));
        data["last_renewal_time"] = json!(renewed);
    }
    ApiResponse::data(data)
}

fn auth_json(token: &str, entry: &TokenEntry, lease_duration: i64) -> Value {
    json!({
        "client_token": token,
        "accessor": entry.accessor,
        "policies": entry.profile.policies,
        "token_policies": entry.profile.policies,
        "metadata": if entry.profile.meta.is_empty() { Value::Null } else { json!(entry.profile.meta) },
        "lease_duration": lease_duration,
        "renewable": entry.profile.renewable,
        "entity_id": entry.entity_id(),
        "token_type": entry.profile.kind.as_str(),
        "orphan": entry.is_orphan(),
        "mfa_requirement": null,
        "num_uses": if entry.creation_num_uses != 0 { entry.creation_num_uses } else { entry.num_uses },
    })
}

async fn renew(
    app: &App,
    request: &ApiRequest,
    token: &str,
    target: ResolvedToken,
) -> Result<ApiResponse, ApiError> {
    let (Some(hash), TokenKind::Service) = (&target.hash, target.entry.profile.kind) else {
        return Err(ApiError::bad_request("batch tokens cannot be renewed"));
    };
    let increment = request
        .field("increment", fields::duration_seconds)?
        .unwrap_or(0);
    let now = app.now();
    // The renewal starts from the token as it is now, under its lock: a revocation that won
    // the race stays final.
    let renewed = app
        .tokens
        .update(hash, now, |entry| {
            if !entry.profile.renewable {
                return Err(ApiError::bad_request("lease is not renewable"));
            }
            let outcome = entry
                .profile
                .ttl
                .calculate(increment, entry.creation_time, now)
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
            entry.expire_time = Some(now.saturating_add(outcome.ttl));
            entry.last_renewal = Some(now);
            Ok(outcome)
        })
        .await?;
    let (outcome, entry) = renewed.ok_or_else(|| ApiError::bad_request("token not found"))?;
    Ok(ApiResponse::auth(
        auth_json(token, &entry, outcome.ttl),
        outcome.warnings,
    ))
}

async fn revoke(app: &App, target: &ResolvedToken) -> Result<ApiResponse, ApiError> {
    let Some(hash) = &target.hash else {
        return Err(ApiError::bad_request("batch tokens cannot be revoked"));
    };
    app.tokens.revoke(std::slice::from_ref(hash)).await?;
    Ok(ApiResponse::NoContent)
}

/// `auth/token/revoke-orphan`: revokes a token and leaves its children as orphans (sudo only).
async fn revoke_orphan(
    app: &App,
    request: &ApiRequest,
    caller: &Caller,
) -> Result<ApiResponse, ApiError> {
    if given_token(request).is_none() {
        return Err(ApiError::bad_request("missing token ID"));
    }
    if !has_sudo(app, caller, &request.path)? {
        return Err(ApiError::bad_request(
            "root or sudo privileges required to revoke and orphan",
        ));
    }
    let (_, target) = target_token(app, request).await.map_err(|error| {
        if error.is_unavailable() {
            error
        } else {
            ApiError::bad_request("token to revoke not found")
        }
    })?;
    let Some(hash) = &target.hash else {
        return Err(ApiError::bad_request("batch tokens cannot be revoked"));
    };
    app.tokens.revoke_orphaning_children(hash).await?;
    Ok(ApiResponse::NoContent)
}

/// Whether the caller's ACL grants `sudo` on `path` (Vault's `SudoPrivilege`).
fn has_sudo(app: &App, caller: &Caller, path: &str) -> Result<bool, ApiError> {
    Ok(app
        .acl_for(&caller.resolved.entry)?
        .capability_set(path)
        .contains(Capability::Sudo))
}

/// `auth/token/create` and `create-orphan`: a child of the caller's token, within what Vault
/// lets a parent hand down ([`child::plan`]).
async fn create(
    app: &App,
    request: &ApiRequest,
    caller: &Caller,
    orphan_endpoint: bool,
) -> Result<ApiResponse, ApiError> {
    let now = app.now();
    let creation = Creation {
        parent: &caller.resolved,
        sudo: has_sudo(app, caller, &request.path)?,
        orphan_endpoint,
        now,
    };
    let child = child::plan(creation, &request.body).map_err(ApiError::bad_request)?;
    let mut warnings = child.warnings;
    app.with_configuration(|configuration| {
        for name in &child.entry.profile.policies {
            // `default` is built in, whether or not a configuration wrote it.
            if name != ROOT_POLICY_NAME
                && name != podpass_core::policy::DEFAULT_POLICY_NAME
                && configuration.policy(name).is_none()
            {
                warnings.push(format!("Policy \"{name}\" does not exist"));
            }
        }
    });
    let issued = match &child.id {
        Some(id) => app.tokens.issue_with_token(id, child.entry, now).await,
        None => app.tokens.issue(child.entry, now).await,
    };
    let (token, entry) = issued?;
    Ok(ApiResponse::auth(
        auth_json(&token, &entry, child.lease),
        warnings,
    ))
}
