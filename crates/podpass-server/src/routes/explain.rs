//! `sys/podpass/explain`: why a token may or may not do something, on the live configuration.
//!
//! Vault answers a denial with `permission denied` and nothing else. This endpoint gives an
//! operator (a token with `sudo` on the path: it is root-protected) what `podpass check --json`
//! prints, for the server's own mounts, roles and policies: either for a live token named by
//! its accessor, or for a login (`role` and `jwt`, run through every check without issuing a
//! token), and for one request (`path`, `operation`). Nothing secret is in the answer: no
//! token, no JWT, no secret value.

use podpass_core::acl::{Acl, Operation, Request as AclRequest};
use podpass_core::claims::ServiceAccountClaims;
use podpass_core::configuration::DEFAULT_MOUNT_PATH;
use podpass_core::identity::Identity;
use podpass_core::login::LoginRequest;
use podpass_core::playground_link::{KeyChoice, PlaygroundState, encode_fragment};
use serde_json::{Value, json};

use crate::app::App;
use crate::error::ApiError;
use crate::request::{ApiRequest, ApiResponse};
use crate::routes::kubernetes;

/// `sys/podpass/explain` (write): see the module docs.
pub async fn explain(
    app: &App,
    request: &ApiRequest,
    operation: Operation,
) -> Result<ApiResponse, ApiError> {
    if !matches!(operation, Operation::Create | Operation::Update) {
        return Err(ApiError::unsupported_operation());
    }
    let asked = asked_request(request)?;
    let mut answer = if let Some(accessor) = request.string("accessor") {
        explain_token(app, accessor, asked.as_ref())?
    } else if let Some(role) = request.string("role") {
        explain_login(app, request, role, asked.as_ref()).await?
    } else {
        return Err(ApiError::bad_request(
            "give either accessor, or role and jwt (and optionally mount)",
        ));
    };
    answer["now"] = json!(app.now());
    Ok(ApiResponse::data(answer))
}

/// The request to explain, when `path` is given (`operation` defaults to `read`).
fn asked_request(request: &ApiRequest) -> Result<Option<AclRequest>, ApiError> {
    let Some(path) = request.string("path").filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let name = request.string("operation").unwrap_or("read");
    let operation = Operation::from_name(name).ok_or_else(|| {
        ApiError::bad_request(format!(
            "unknown operation {name:?}: use one of create, read, update, patch, delete, list"
        ))
    })?;
    Ok(Some(AclRequest::new(operation, path.trim_matches('/'))))
}

fn explain_token(app: &App, accessor: &str, asked: Option<&AclRequest>) -> Result<Value, ApiError> {
    let token = app
        .tokens
        .resolve_accessor(accessor, app.now())
        .ok_or_else(|| ApiError::bad_request("invalid accessor"))?;
    let entry = &token.entry;
    let acl = app.acl_for(entry)?;
    let missing = app.with_configuration(|c| owned(c.missing_policies(&entry.profile.policies)));
    let mut answer = json!({
        "token": {
            "accessor": entry.accessor,
            "policies": entry.profile.policies,
            "display_name": entry.profile.display_name,
            "entity_id": entry.entity_id(),
            "path": entry.profile.path,
            "type": entry.profile.kind.as_str(),
        },
        "missing_policies": missing,
    });
    add_request(&mut answer, &acl, asked);
    let claims = entry.profile.identity.as_ref().map(claims_of_identity);
    let mount = entry.profile.mount.as_str();
    answer["playground"] = json!(playground_link(app, mount, "", claims, asked));
    Ok(answer)
}

async fn explain_login(
    app: &App,
    request: &ApiRequest,
    role: &str,
    asked: Option<&AclRequest>,
) -> Result<Value, ApiError> {
    let mount = request
        .string("mount")
        .map_or(DEFAULT_MOUNT_PATH, |m| m.trim_matches('/'));
    if !app.has_auth_mount(mount) {
        return Err(ApiError::bad_request(format!(
            "no Kubernetes auth method is enabled at auth/{mount}/"
        )));
    }
    let login = LoginRequest {
        role: role.to_string(),
        jwt: request.string("jwt").unwrap_or_default().to_string(),
        remote_addr: request.string("remote_addr").map(str::to_string),
        namespace_labels: None,
        now: app.now(),
    };
    let claims = podpass_core::jwt::decode(&login.jwt)
        .ok()
        .and_then(|d| ServiceAccountClaims::from_claims(&d.claims).ok())
        .map(|c| Claims {
            namespace: c.namespace,
            service_account: c.name,
            audience: c.audiences.join(","),
        });
    let link = playground_link(app, mount, role, claims, asked);
    let decided = kubernetes::decide(app, mount, login).await?;
    let result = &decided;
    let mut answer = json!({
        "mount": mount,
        "role": role,
        "login": result,
        "explanation": result.trace.failure_summary(),
        "playground": link,
    });
    let Some(success) = result.success() else {
        answer["missing_policies"] = json!([]);
        answer["requests"] = json!([]);
        answer["ok"] = json!(false);
        return Ok(answer);
    };
    let (acl, missing) = app.with_configuration(|c| {
        (
            c.acl_for_login(success),
            owned(c.missing_policies(&success.policies)),
        )
    });
    let acl = acl.map_err(|e| ApiError::bad_request(e.to_string()))?;
    answer["missing_policies"] = json!(missing);
    add_request(&mut answer, &acl, asked);
    Ok(answer)
}

/// Adds `requests` (the decision on `asked`, if any), `ok` and a one-line `explanation` of a
/// denial to `answer`.
fn add_request(answer: &mut Value, acl: &Acl, asked: Option<&AclRequest>) {
    let decision = asked.map(|request| acl.authorize(request));
    let allowed = decision.as_ref().is_none_or(|d| d.allowed);
    if let Some(decision) = decision.as_ref().filter(|d| !d.allowed) {
        answer["explanation"] = json!(decision.summary());
    }
    answer["requests"] = json!(decision.into_iter().collect::<Vec<_>>());
    answer["ok"] = json!(allowed);
}

fn owned(names: Vec<&str>) -> Vec<String> {
    names.into_iter().map(str::to_string).collect()
}

/// The token claims a playground link mints a test token from.
struct Claims {
    namespace: String,
    service_account: String,
    audience: String,
}

/// What a login token's identity says about its service account (Vault's alias metadata).
fn claims_of_identity(identity: &Identity) -> Claims {
    let metadata = identity.aliases.first().map(|alias| &alias.metadata);
    let get = |key: &str| {
        metadata
            .and_then(|m| m.get(key))
            .cloned()
            .unwrap_or_default()
    };
    Claims {
        namespace: get("service_account_namespace"),
        service_account: get("service_account_name"),
        audience: String::new(),
    }
}

/// A `/ui/` link that opens this explanation in the playground: the live configuration as
/// podpass.hcl (without the mounts' `token_reviewer_jwt`), and a test token minted in the
/// browser with the same claims (a browser key replaces `pem_keys`, so the signature check
/// passes there and every other check runs as here). No token, JWT or secret value is in it.
fn playground_link(
    app: &App,
    mount: &str,
    role: &str,
    claims: Option<Claims>,
    asked: Option<&AclRequest>,
) -> String {
    let mut configuration = app.with_configuration(Clone::clone);
    let paths: Vec<String> = configuration.mounts().keys().cloned().collect();
    for path in paths {
        if let Some(mount) = configuration.mount_mut(&path)
            && let Some(mut config) = mount.config().cloned()
        {
            config.token_reviewer_jwt.clear();
            // The config was valid with the reviewer JWT; it stays valid without it.
            let _ = mount.set_config(config);
        }
    }
    let mut state = PlaygroundState {
        config: configuration.to_podpass_hcl(),
        mount: mount.to_string(),
        role: role.to_string(),
        path: asked.map(|r| r.path.clone()).unwrap_or_default(),
        operation: asked.map_or("read", |r| r.operation.as_str()).to_string(),
        ..PlaygroundState::default()
    };
    if let Some(claims) = claims {
        state.mint.namespace = claims.namespace;
        state.mint.service_account = claims.service_account;
        state.mint.audience = claims.audience;
    }
    state.mint.key = KeyChoice::Browser;
    format!("/ui/#{}", encode_fragment(&state))
}
