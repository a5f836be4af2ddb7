//! One request through the pipeline Vault uses: parse, route, authenticate the token, check
//! its ACL for the operation, count the use, run the endpoint.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use podpass_core::acl::{Operation, Request as AclRequest};
use serde_json::Value;

use crate::app::App;
use crate::audit::{AuditLog, AuditedRequest, RequestFacts};
use crate::error::ApiError;
use crate::metrics::{LoginOutcome, UNKNOWN_ROLE};
use crate::request::{ApiRequest, ApiResponse, MAX_REQUEST_BYTES, clean_path, request_id};
use crate::routes::{Caller, Route};

/// The axum handler for every `/v1/...` request.
pub async fn handle_api(State(app): State<Arc<App>>, request: Request<Body>) -> Response {
    if let Some(clean) = clean_path(request.uri().path()) {
        return redirect(&clean, request.uri().query());
    }
    let started = Instant::now();
    let audit = app.telemetry.audit().cloned();
    let mut exchange = Exchange::default();
    if audit.is_some() {
        exchange.audit = Some(AuditContext::of(&request));
    }
    let mut result = serve(&app, request, &mut exchange).await;
    let route = exchange.route.unwrap_or(UNROUTED);
    let status = match &result {
        Ok(ApiResponse::Json(status, _)) => *status,
        Ok(ApiResponse::NoContent) => StatusCode::NO_CONTENT,
        Ok(ApiResponse::Text { .. }) => StatusCode::OK,
        Ok(ApiResponse::Empty(status)) => *status,
        Err(error) => error.status,
    };
    let metrics = &app.telemetry.metrics;
    metrics.observe_request(route, started.elapsed());
    if let Some((mount, role)) = &exchange.login {
        metrics.record_login(mount, role, LoginOutcome::from_status(status));
    }
    tracing::debug!(
        route,
        status = status.as_u16(),
        elapsed_us = started.elapsed().as_micros() as u64,
        "request"
    );
    if let Err(ApiError {
        explanation: Some(explanation),
        ..
    }) = &result
    {
        let role = exchange.login.as_ref().map(|(_, role)| role.as_str());
        tracing::info!(route, status = status.as_u16(), role, %explanation, "request denied");
    }
    if let (Some(audit), Some(context)) = (audit, exchange.audit)
        && !UNAUDITED_ROUTES.contains(&route)
    {
        audit_response(&app, &audit, context, &mut result).await;
    }
    match result {
        Ok(response) => response.into_response(),
        Err(error) => error.into_response_explained(app.explains_denials()),
    }
}

/// The body length a request declares in `Content-Length`, when it declares a number.
fn declared_length(headers: &axum::http::HeaderMap) -> Option<u64> {
    headers
        .get(axum::http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// Vault's answer to a path that is not clean: 307 to the clean path, query kept, so the
/// method and body are sent again to the path the ACL will check.
fn redirect(clean: &str, query: Option<&str>) -> Response {
    let location = match query {
        Some(query) => format!("{clean}?{query}"),
        None => clean.to_string(),
    };
    (
        StatusCode::TEMPORARY_REDIRECT,
        [(axum::http::header::LOCATION, location)],
    )
        .into_response()
}

/// Writes a request's response line (and its request line, when the request was refused before
/// one was written), and gives the response envelope the audit lines' request id.
async fn audit_response(
    app: &App,
    audit: &AuditLog,
    context: AuditContext,
    result: &mut Result<ApiResponse, ApiError>,
) {
    if let Ok(ApiResponse::Json(_, body)) = result
        && let Some(id) = body.get_mut("request_id")
    {
        *id = Value::String(context.id.clone());
    }
    let key = app.store.key();
    let audited = match context.audited {
        Some(audited) => audited,
        None => {
            // Refused before authentication: audit what the request said.
            let audited = AuditedRequest::new(key, context.facts(), None);
            audit.record(&audited.request_entry(app.now())).await;
            audited
        }
    };
    let answer = match result {
        Ok(response) => Ok(&*response),
        Err(error) => Err(&*error),
    };
    audit
        .record(&audited.response_entry(key, app.now(), answer))
        .await;
}

/// The route label of requests that matched no endpoint.
const UNROUTED: &str = "unrouted";

/// Routes left out of the audit log: probes and monitoring call them every few seconds, and
/// they carry no secrets or decisions.
const UNAUDITED_ROUTES: [&str; 2] = ["sys/health", "sys/seal-status"];

/// What the pipeline learns about a request, for metrics and the audit log.
#[derive(Debug, Default)]
struct Exchange {
    /// The route kind, once routed.
    route: Option<&'static str>,
    /// A login's mount and role label.
    login: Option<(String, String)>,
    /// Set when auditing.
    audit: Option<AuditContext>,
}

/// A request's audit state.
#[derive(Debug)]
struct AuditContext {
    id: String,
    path: String,
    operation: &'static str,
    remote_address: Option<IpAddr>,
    /// The request line's objects, once written.
    audited: Option<AuditedRequest>,
}

impl AuditContext {
    fn of(request: &Request<Body>) -> AuditContext {
        AuditContext {
            id: request_id(),
            path: request
                .uri()
                .path()
                .strip_prefix("/v1/")
                .unwrap_or_default()
                .trim_matches('/')
                .to_string(),
            operation: Operation::from_http(request.method().as_str(), false, true)
                .map_or("unknown", Operation::as_str),
            remote_address: request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip()),
            audited: None,
        }
    }

    fn facts(&self) -> RequestFacts<'_> {
        RequestFacts {
            id: &self.id,
            operation: self.operation,
            path: &self.path,
            data: None,
            client_token: None,
            remote_address: self.remote_address,
        }
    }
}

async fn serve(
    app: &App,
    request: Request<Body>,
    exchange: &mut Exchange,
) -> Result<ApiResponse, ApiError> {
    let (parts, body) = request.into_parts();
    let remote_addr = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let path = parts.uri.path().strip_prefix("/v1/").unwrap_or_default();
    // Vault serves sys/health in its HTTP layer, which takes GET and HEAD and nothing else.
    if path == "sys/health" && ![Method::GET, Method::HEAD].contains(&parts.method) {
        return Err(ApiError::status_only(StatusCode::METHOD_NOT_ALLOWED));
    }
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body exceeds the limit of {MAX_REQUEST_BYTES} bytes"),
        )
    };
    // A declared length over the limit is refused at once, rather than after waiting for
    // 32 MiB that a hostile client may never send.
    if declared_length(&parts.headers).is_some_and(|length| length > MAX_REQUEST_BYTES as u64) {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(body, MAX_REQUEST_BYTES)
        .await
        .map_err(|_| too_large())?;
    let mut request = ApiRequest::parse(
        parts.method.clone(),
        path,
        parts.uri.query(),
        &parts.headers,
        &bytes,
        remote_addr,
    )?;
    crate::routes::refuse_unsupported_features(&parts.headers, &request)?;
    let route = match Route::parse(&request, app) {
        Ok(route) => route,
        // A path that does not exist is the router's answer, which Vault gives only to a
        // caller the token and the ACL let through.
        Err(error) if error.status == StatusCode::NOT_FOUND => Route::NoEndpoint(error),
        Err(error) => return Err(error),
    };
    request.path = route.acl_path(&request.path);
    exchange.route = Some(route.kind());
    if !app.in_sync() && !matches!(route, Route::Health | Route::SealStatus) {
        return Err(ApiError::storage_unavailable(
            &"the shared store's change feed is not followed (yet); memory is not trusted",
        ));
    }
    let operation = operation_for(app, &route, &request).await?;
    if let Route::KubernetesLogin(mount) = &route {
        exchange.login = Some((mount.clone(), login_role_label(app, mount, &request)));
    }

    let authenticated = if route.is_unauthenticated() {
        Ok(None)
    } else {
        authenticate(app, &request).await.map(Some)
    };
    if let Some(context) = &mut exchange.audit
        && let Some(audit) = app.telemetry.audit()
        && !UNAUDITED_ROUTES.contains(&route.kind())
    {
        let facts = RequestFacts {
            id: &context.id,
            operation: operation.as_str(),
            path: &request.path,
            data: Some(&request.body),
            client_token: request.token.as_deref(),
            remote_address: request.remote_addr,
        };
        let caller = authenticated.as_ref().ok().and_then(Option::as_ref);
        let audited = AuditedRequest::new(app.store.key(), facts, caller);
        audit.record(&audited.request_entry(app.now())).await;
        context.audited = Some(audited);
    }
    let mut caller = authenticated?;
    if let Some(caller) = &mut caller {
        if !route.skips_the_acl() {
            authorize(app, caller, &request, &route, operation)?;
        }
        count_use(app, caller).await?;
    }
    route
        .handle(app, &request, operation, caller.as_ref())
        .await
}

/// The role a login is counted under: the role's name when it exists on the mount, else
/// [`UNKNOWN_ROLE`] (a client must not be able to mint label values).
fn login_role_label(app: &App, mount: &str, request: &ApiRequest) -> String {
    let asked = request.string("role").unwrap_or_default();
    app.with_configuration(|c| {
        c.mount(mount)
            .and_then(|m| m.role(asked))
            .map(|role| role.name.clone())
    })
    .unwrap_or_else(|| UNKNOWN_ROLE.to_string())
}

async fn operation_for(
    app: &App,
    route: &Route,
    request: &ApiRequest,
) -> Result<Operation, ApiError> {
    // Vault's HTTP layer answers HEAD for sys/health only; OPTIONS reaches its core as an
    // internal operation, which it refuses; other unknown methods get a bare 405.
    if request.method == Method::HEAD {
        return match route {
            Route::Health => Ok(Operation::Read),
            _ => Err(ApiError::status_only(StatusCode::METHOD_NOT_ALLOWED)),
        };
    }
    if request.method == Method::OPTIONS {
        return Err(ApiError::bad_request(
            "cannot handle internal-only request operation",
        ));
    }
    let writes = request.method == Method::POST || request.method == Method::PUT;
    let exists = if writes {
        route.item_exists(app).await?
    } else {
        true
    };
    Operation::from_http(request.method.as_str(), request.list, exists)
        .ok_or(ApiError::status_only(StatusCode::METHOD_NOT_ALLOWED))
}

async fn authenticate(app: &App, request: &ApiRequest) -> Result<Caller, ApiError> {
    let denied = |why: &str| ApiError::permission_denied().explained(why);
    let token = request
        .token
        .as_deref()
        .ok_or_else(|| denied("no token: send one in X-Vault-Token or Authorization: Bearer"))?;
    let resolved = app.tokens.resolve(token, app.now()).await?.ok_or_else(|| {
        denied("the token is not valid: unknown, expired, revoked, used up, or its parent is gone")
    })?;
    // Disabling a mount revokes its service tokens; one issued by another replica while the
    // disable was under way would escape that sweep, so the mount must still be there.
    let mount = &resolved.entry.profile.mount;
    if resolved.hash.is_some() && mount != "token" && !app.has_auth_mount(mount) {
        return Err(denied(&format!(
            "the token was issued by auth/{mount}/, which is no longer enabled"
        )));
    }
    let cidrs = &resolved.entry.profile.bound_cidrs;
    if !cidrs.is_empty() {
        let allowed = request
            .remote_addr
            .is_some_and(|addr| cidrs.allows_addr(addr));
        if !allowed {
            let from = request
                .remote_addr
                .map_or_else(|| "an unknown address".to_string(), |a| a.to_string());
            return Err(denied(&format!(
                "the token is bound to [{}] and the request came from {from}",
                cidrs.as_strings().join(", ")
            )));
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
    let decision = acl.authorize(&acl_request);
    if decision.allowed {
        Ok(())
    } else {
        Err(ApiError::acl_denied().explained(decision.summary()))
    }
}

/// Counts one use of a use-limited token, on the token as it is now: a token revoked, expired
/// or used up since it was resolved is refused here. The last use revokes the token at once,
/// as Vault does, so no concurrent request gets a use beyond the limit; the endpoint then sees
/// the count after this use, as `lookup-self` shows it in Vault.
async fn count_use(app: &App, caller: &mut Caller) -> Result<(), ApiError> {
    let Some(hash) = &caller.resolved.hash else {
        return Ok(());
    };
    if caller.resolved.entry.num_uses <= 0 {
        return Ok(());
    }
    match app.tokens.use_once(hash, app.now()).await? {
        Some(mut entry) => {
            // Vault marks a token on its last use with -1 (revoked once this request ends),
            // which is what lookup-self shows then.
            if entry.num_uses == 0 {
                entry.num_uses = -1;
            }
            caller.resolved.entry = entry;
            Ok(())
        }
        None => Err(ApiError::permission_denied()),
    }
}
