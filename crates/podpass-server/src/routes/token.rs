//! `auth/token/`: look up, renew, revoke and create tokens.

use std::collections::BTreeMap;
use std::sync::Arc;

use podpass_core::acl::Operation;
use podpass_core::fields::{self, FieldError};
use podpass_core::login::sanitize_policies;
use podpass_core::policy::ROOT_POLICY_NAME;
use podpass_core::timestamp::rfc3339;
use podpass_core::ttl::SYSTEM_DEFAULT_LEASE_TTL;
use serde_json::{Value, json};

use crate::app::App;
use crate::error::ApiError;
use crate::request::{ApiRequest, ApiResponse};
use crate::routes::Caller;
use crate::token::{ResolvedToken, TokenEntry, TokenKind, TokenProfile, TtlSettings};

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
        "lookup" if writes => {
            let (token, target) = target_token(app, request)?;
            Ok(lookup_response(&token, &target, app.now()))
        }
        "renew" if writes => {
            let (token, target) = target_token(app, request)?;
            renew(app, request, &token, target).await
        }
        "revoke" if writes => match target_token(app, request) {
            Ok((_, target)) => revoke(app, &target).await,
            // Revoking a token that is already gone succeeds, as in Vault.
            Err(_) => Ok(ApiResponse::NoContent),
        },
        "lookup-accessor" if writes => {
            let accessor = request
                .string("accessor")
                .ok_or_else(|| ApiError::bad_request("missing accessor"))?;
            let target = app
                .tokens
                .resolve_accessor(accessor, app.now())
                .ok_or_else(|| ApiError::bad_request("invalid accessor"))?;
            // Vault does not reveal the token behind an accessor: `id` is empty.
            Ok(lookup_response("", &target, app.now()))
        }
        "revoke-accessor" if writes => {
            let accessor = request
                .string("accessor")
                .ok_or_else(|| ApiError::bad_request("missing accessor"))?;
            if let Some(hash) = app.tokens.hash_for_accessor(accessor) {
                app.tokens.revoke(&[hash]).await?;
            }
            Ok(ApiResponse::NoContent)
        }
        "create" | "create-orphan" if writes => {
            create(app, request, caller, name == "create-orphan").await
        }
        "lookup-self" | "renew-self" | "revoke-self" | "lookup" | "renew" | "revoke"
        | "lookup-accessor" | "revoke-accessor" | "create" | "create-orphan" => {
            Err(ApiError::unsupported_operation())
        }
        _ => Err(ApiError::unsupported_path()),
    }
}

fn target_token(app: &App, request: &ApiRequest) -> Result<(String, ResolvedToken), ApiError> {
    let token = request
        .string("token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::bad_request("missing token"))?;
    let resolved = app
        .tokens
        .resolve(token, app.now())
        .ok_or_else(|| ApiError::new(axum::http::StatusCode::FORBIDDEN, "bad token"))?;
    Ok((token.to_string(), resolved))
}

fn lookup_response(token: &str, resolved: &ResolvedToken, now: i64) -> ApiResponse {
    let entry = &resolved.entry;
    ApiResponse::data(json!({
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
        "orphan": entry.profile.orphan,
        "path": entry.profile.path,
        "period": if entry.profile.ttl.period > 0 { json!(entry.profile.ttl.period) } else { Value::Null },
        "policies": entry.profile.policies,
        "renewable": entry.profile.renewable,
        "ttl": entry.ttl_left(now),
        "type": entry.profile.kind.as_str(),
    }))
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
        "orphan": entry.profile.orphan,
        "mfa_requirement": null,
        "num_uses": entry.num_uses,
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
    if !target.entry.profile.renewable {
        return Err(ApiError::bad_request("lease is not renewable"));
    }
    let increment = match request.body.get("increment") {
        Some(value) => field(fields::duration_seconds("increment", value))?,
        None => 0,
    };
    let now = app.now();
    let mut entry = target.entry;
    let outcome = entry
        .profile
        .ttl
        .calculate(increment, entry.creation_time, now)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    entry.expire_time = Some(now.saturating_add(outcome.ttl));
    app.tokens.update(hash, entry.clone()).await?;
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

/// `auth/token/create`: a child of the caller's token (podpass tokens have no parent tree:
/// every token is an orphan, so revoking a parent does not revoke its children).
async fn create(
    app: &App,
    request: &ApiRequest,
    caller: &Caller,
    orphan_endpoint: bool,
) -> Result<ApiResponse, ApiError> {
    let body = &request.body;
    let parent = &caller.resolved.entry;
    let parent_is_root = parent
        .profile
        .policies
        .iter()
        .any(|p| p == ROOT_POLICY_NAME);
    let requested = match body.get("policies") {
        Some(value) => field(fields::comma_string_slice("policies", value))?,
        None => parent.profile.policies.clone(),
    };
    let no_default = match body.get("no_default_policy") {
        Some(value) => field(fields::boolean("no_default_policy", value))?,
        None => false,
    };
    let policies = if requested.iter().any(|p| p == ROOT_POLICY_NAME) {
        vec![ROOT_POLICY_NAME.to_string()]
    } else {
        sanitize_policies(&requested, !no_default)
    };
    if !parent_is_root
        && let Some(extra) = policies
            .iter()
            .find(|p| !parent.profile.policies.contains(p))
    {
        return Err(ApiError::bad_request(format!(
            "child policies must be subset of parent (\"{extra}\" is not)"
        )));
    }
    let seconds = |name: &str| -> Result<i64, ApiError> {
        body.get(name)
            .map(|v| field(fields::duration_seconds(name, v)))
            .transpose()
            .map(Option::unwrap_or_default)
    };
    let ttl_asked = seconds("ttl")?;
    let settings = TtlSettings {
        backend_ttl: ttl_asked,
        backend_max_ttl: 0,
        period: seconds("period")?,
        explicit_max_ttl: seconds("explicit_max_ttl")?,
        mount_default_ttl: SYSTEM_DEFAULT_LEASE_TTL,
        mount_max_ttl: SYSTEM_DEFAULT_LEASE_TTL,
    };
    let now = app.now();
    let never_expires = policies == [ROOT_POLICY_NAME] && ttl_asked == 0 && settings.period == 0;
    let (lease, warnings) = if never_expires {
        (0, Vec::new())
    } else {
        let outcome = settings
            .calculate(0, now, now)
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        (outcome.ttl, outcome.warnings)
    };
    let kind = match request.string("type") {
        None | Some("" | "service" | "default") => TokenKind::Service,
        Some("batch") => TokenKind::Batch,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "invalid 'type' value \"{other}\""
            )));
        }
    };
    let meta: BTreeMap<String, String> = match body.get("meta") {
        Some(value) => field(fields::kv_pairs("meta", value))?,
        None => BTreeMap::new(),
    };
    let renewable = match body.get("renewable") {
        Some(value) => field(fields::boolean("renewable", value))?,
        None => true,
    };
    let num_uses = match body.get("num_uses") {
        Some(value) => field(fields::integer("num_uses", value))?.max(0),
        None => 0,
    };
    let display = request.string("display_name").unwrap_or("token");
    let profile = TokenProfile {
        kind,
        policies,
        identity: None,
        meta,
        display_name: if display.starts_with("token") {
            display.to_string()
        } else {
            format!("token-{display}")
        },
        path: if orphan_endpoint {
            "auth/token/create-orphan"
        } else {
            "auth/token/create"
        }
        .to_string(),
        mount: "token".to_string(),
        ttl: settings,
        renewable: renewable && kind == TokenKind::Service && !never_expires,
        bound_cidrs: Vec::new(),
        orphan: true,
    };
    let entry = TokenEntry {
        profile: Arc::new(profile),
        accessor: String::new(),
        creation_time: now,
        creation_ttl: lease,
        expire_time: (!never_expires).then(|| now.saturating_add(lease)),
        num_uses,
    };
    let (token, entry) = app.tokens.issue(entry).await?;
    Ok(ApiResponse::auth(
        auth_json(&token, &entry, lease),
        warnings,
    ))
}

fn field<T>(result: Result<T, FieldError>) -> Result<T, ApiError> {
    result.map_err(|e| ApiError::bad_request(e.response_message()))
}
