//! One request through the pipeline Vault uses: parse, route, authenticate the token, check
//! its ACL for the operation, count the use, run the endpoint.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use podpass_core::acl::{Operation, Request as AclRequest};
use podpass_core::cidr::BoundCidrs;

use crate::app::App;
use crate::error::ApiError;
use crate::request::{ApiRequest, ApiResponse, MAX_REQUEST_BYTES};
use crate::routes::{Caller, Route};

/// The axum handler for every `/v1/...` request.
pub async fn handle_api(State(app): State<Arc<App>>, request: Request<Body>) -> Response {
    match serve(&app, request).await {
        Ok(response) => response.into_response(),
        Err(error) => error.into_response(),
    }
}

async fn serve(app: &App, request: Request<Body>) -> Result<ApiResponse, ApiError> {
    let (parts, body) = request.into_parts();
    let remote_addr = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let path = parts.uri.path().strip_prefix("/v1/").unwrap_or_default();
    let bytes = axum::body::to_bytes(body, MAX_REQUEST_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body exceeds the limit of {MAX_REQUEST_BYTES} bytes"),
            )
        })?;
    let request = ApiRequest::parse(
        parts.method.clone(),
        path,
        parts.uri.query(),
        &parts.headers,
        &bytes,
        remote_addr,
    )?;
    let route = Route::parse(&request.path, app)?;
    let operation = operation_for(app, &route, &request)?;

    let mut caller = if route.is_unauthenticated() {
        None
    } else {
        Some(authenticate(app, &request)?)
    };
    let mut exhausted = None;
    if let Some(caller) = &mut caller {
        authorize(app, caller, &request, &route, operation)?;
        exhausted = count_use(app, caller).await?;
    }
    let response = route
        .handle(app, &request, operation, caller.as_ref())
        .await;
    if let Some(hash) = exhausted {
        app.tokens.revoke(&[hash]).await?;
    }
    response
}

fn operation_for(app: &App, route: &Route, request: &ApiRequest) -> Result<Operation, ApiError> {
    if request.method == Method::HEAD {
        return Ok(Operation::Read);
    }
    let writes = request.method == Method::POST || request.method == Method::PUT;
    let exists = if writes {
        route.item_exists(app)?
    } else {
        true
    };
    Operation::from_http(request.method.as_str(), request.list, exists)
        .ok_or_else(ApiError::unsupported_operation)
}

fn authenticate(app: &App, request: &ApiRequest) -> Result<Caller, ApiError> {
    let token = request
        .token
        .as_deref()
        .ok_or_else(ApiError::permission_denied)?;
    let resolved = app
        .tokens
        .resolve(token, app.now())
        .ok_or_else(ApiError::permission_denied)?;
    if !resolved.entry.profile.bound_cidrs.is_empty() {
        let allowed = BoundCidrs::parse(&resolved.entry.profile.bound_cidrs)
            .ok()
            .zip(request.remote_addr)
            .is_some_and(|(cidrs, addr)| cidrs.allows(&addr.to_string()).unwrap_or(false));
        if !allowed {
            return Err(ApiError::permission_denied());
        }
    }
    Ok(Caller {
        token: token.to_string(),
        resolved,
    })
}

fn authorize(
    app: &App,
    caller: &Caller,
    request: &ApiRequest,
    route: &Route,
    operation: Operation,
) -> Result<(), ApiError> {
    let acl = app.acl_for(&caller.resolved.entry)?;
    let mut acl_request =
        AclRequest::new(operation, request.path.clone()).with_parameters(request.body.clone());
    if route.is_root_protected() {
        acl_request = acl_request.root_protected();
    }
    if acl.authorize(&acl_request).allowed {
        Ok(())
    } else {
        Err(ApiError::permission_denied())
    }
}

/// Counts one use of a use-limited token; returns its hash when this was the last use, so the
/// token is revoked once the request is answered (as Vault does).
/// The endpoint then sees the count after this use, as `lookup-self` shows it in Vault.
async fn count_use(app: &App, caller: &mut Caller) -> Result<Option<String>, ApiError> {
    let Some(hash) = caller.resolved.hash.clone() else {
        return Ok(None);
    };
    let entry = &mut caller.resolved.entry;
    if entry.num_uses <= 0 {
        return Ok(None);
    }
    entry.num_uses -= 1;
    if entry.num_uses == 0 {
        return Ok(Some(hash));
    }
    app.tokens.update(&hash, entry.clone()).await?;
    Ok(None)
}
