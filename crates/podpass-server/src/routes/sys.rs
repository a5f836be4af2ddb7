//! `sys/`: health, seal status, auth methods, mounts and capabilities.

use axum::http::StatusCode;
use podpass_core::acl::Operation;
use podpass_core::ttl::MountTune;
use serde_json::{Map, Value, json};

use crate::app::{App, AuthMountRecord};
use crate::error::ApiError;
use crate::request::{ApiRequest, ApiResponse};
use crate::routes::Caller;
use crate::token::random_id;

/// The version podpass reports where Vault reports its own.
pub const REPORTED_VERSION: &str = concat!("1.21.0+podpass.", env!("CARGO_PKG_VERSION"));
/// The most paths one capabilities request may ask about: Vault sets no limit but the body
/// size, which lets one request with a token that has only `default` keep a core busy for
/// seconds. Clients with more paths send several requests.
pub const MAX_CAPABILITY_PATHS: usize = 1000;
/// The cluster name in health and seal status.
const CLUSTER_NAME: &str = "podpass";

/// `sys/health`: always initialised, unsealed and active. `?standbyok`-style overrides of the
/// status codes are accepted and have nothing to override. A replica on a shared store that is
/// not following its change feed (the database is unreachable) answers 503, Vault's code for a
/// node that cannot serve, so a readiness probe takes it out of its Service.
pub fn health(app: &App, _request: &ApiRequest) -> ApiResponse {
    let status = if app.in_sync() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    ApiResponse::Json(
        status,
        json!({
            "initialized": true,
            "sealed": false,
            "standby": false,
            "performance_standby": false,
            "replication_performance_mode": "disabled",
            "replication_dr_mode": "disabled",
            "server_time_utc": app.now(),
            "version": REPORTED_VERSION,
            "enterprise": false,
            "cluster_name": CLUSTER_NAME,
            "cluster_id": cluster_id(),
            "echo_duration_ms": 0,
            "clock_skew_ms": 0,
        }),
    )
}

/// `sys/seal-status`.
pub fn seal_status() -> ApiResponse {
    ApiResponse::Json(
        StatusCode::OK,
        json!({
            "type": "shamir",
            "initialized": true,
            "sealed": false,
            "t": 1,
            "n": 1,
            "progress": 0,
            "nonce": "",
            "version": REPORTED_VERSION,
            "build_date": "",
            "migration": false,
            "cluster_name": CLUSTER_NAME,
            "cluster_id": cluster_id(),
            "recovery_seal": false,
            "storage_type": "redb",
        }),
    )
}

/// `sys/init`: podpass starts initialised; initialising again is refused as Vault does.
pub fn init(request: &ApiRequest) -> ApiResponse {
    if request.method == axum::http::Method::GET {
        ApiResponse::Json(StatusCode::OK, json!({ "initialized": true }))
    } else {
        ApiResponse::Json(
            StatusCode::BAD_REQUEST,
            json!({ "errors": ["Vault is already initialized"] }),
        )
    }
}

/// `sys/leader`: a single node, never part of an HA cluster.
pub fn leader() -> ApiResponse {
    ApiResponse::Json(
        StatusCode::OK,
        json!({
            "ha_enabled": false,
            "is_self": false,
            "active_time": "0001-01-01T00:00:00Z",
            "leader_address": "",
            "leader_cluster_address": "",
            "performance_standby": false,
            "performance_standby_last_remote_wal": 0,
        }),
    )
}

/// `sys/internal/ui/mounts/<path>`: the `vault kv` commands ask which engine (and KV version)
/// serves a path before they read or write it.
pub fn ui_mount(path: &str) -> Result<ApiResponse, ApiError> {
    let mount = path.split('/').next().unwrap_or_default();
    if mount != crate::kv::KV_MOUNT {
        return Err(ApiError::bad_request(format!(
            "no mount found for path \"{path}\" (podpass serves KV v2 at secret/ only)"
        )));
    }
    let mut data = mount_json(
        "kv",
        "kv_00000000",
        "key/value secret storage",
        MountTune::default(),
    );
    data["options"] = json!({ "version": "2" });
    data["path"] = json!(format!("{mount}/"));
    Ok(ApiResponse::data(data))
}

fn cluster_id() -> &'static str {
    "00000000-0000-4000-8000-706f64706173"
}

/// The token auth method's path and description, as Vault lists it.
const TOKEN_MOUNT: &str = "token";
const TOKEN_MOUNT_DESCRIPTION: &str = "token based credentials";

/// `sys/auth`: the token method and every enabled Kubernetes method.
pub fn auth_mounts(app: &App, operation: Operation) -> Result<ApiResponse, ApiError> {
    if operation != Operation::Read {
        return Err(ApiError::unsupported_operation());
    }
    let mut data = Map::new();
    data.insert(
        format!("{TOKEN_MOUNT}/"),
        mount_json(
            TOKEN_MOUNT,
            "auth_token_00000000",
            TOKEN_MOUNT_DESCRIPTION,
            MountTune::default(),
        ),
    );
    for (path, record) in app.auth_mounts() {
        data.insert(format!("{path}/"), record_json(&record));
    }
    Ok(ApiResponse::data_also_at_top_level(Value::Object(data)))
}

fn record_json(record: &AuthMountRecord) -> Value {
    mount_json(
        &record.kind,
        &record.accessor,
        &record.description,
        record.tune(),
    )
}

/// A mount as `sys/auth` and `sys/mounts` list it; `config` shows the lease TTLs as the mount
/// table holds them (0 for the system default), as Vault does.
fn mount_json(kind: &str, accessor: &str, description: &str, tune: MountTune) -> Value {
    json!({
        "type": kind,
        "accessor": accessor,
        "description": description,
        "config": {
            "default_lease_ttl": tune.default_lease_ttl,
            "max_lease_ttl": tune.max_lease_ttl,
            "force_no_cache": false,
            "token_type": "default-service",
        },
        "local": false,
        "seal_wrap": false,
        "external_entropy_access": false,
        "options": null,
        "uuid": "",
        "plugin_version": "",
        "running_plugin_version": "",
    })
}

/// `sys/auth/<path>`: enable (`POST {"type": "kubernetes", "config": {...}}`), read, or
/// disable (`DELETE`).
pub async fn auth_mount(
    app: &App,
    request: &ApiRequest,
    operation: Operation,
    path: &str,
) -> Result<ApiResponse, ApiError> {
    match operation {
        Operation::Create | Operation::Update => {
            let kind = request
                .string("type")
                .filter(|kind| !kind.is_empty())
                .ok_or_else(|| {
                    ApiError::bad_request("backend type must be specified as a string")
                })?;
            if kind != "kubernetes" {
                return Err(ApiError::bad_request(format!(
                    "plugin not found in the catalog: {kind} (podpass serves the kubernetes auth method only)"
                )));
            }
            let tune = match request.body.get("config") {
                None | Some(Value::Null) => MountTune::default(),
                Some(Value::Object(config)) => {
                    MountTune::enable(config).map_err(|e| ApiError::bad_request(e.to_string()))?
                }
                Some(other) => {
                    return Err(ApiError::bad_request(format!(
                        "Field validation failed: error converting input for field \"config\": \
                         expected an object, got {}",
                        podpass_core::fields::json_type(other)
                    )));
                }
            };
            let mut record = AuthMountRecord {
                kind: kind.to_string(),
                accessor: format!("auth_kubernetes_{}", random_id(8)?.to_lowercase()),
                description: request
                    .string("description")
                    .unwrap_or_default()
                    .to_string(),
                default_lease_ttl: 0,
                max_lease_ttl: 0,
            };
            record.set_tune(tune);
            app.enable_auth(path, record).await?;
            Ok(ApiResponse::NoContent)
        }
        Operation::Read => {
            let record = app
                .auth_mounts()
                .remove(path)
                .ok_or_else(|| ApiError::bad_request(format!("No auth engine at {path}/")))?;
            Ok(ApiResponse::data_also_at_top_level(record_json(&record)))
        }
        Operation::Delete => {
            app.disable_auth(path).await?;
            Ok(ApiResponse::NoContent)
        }
        _ => Err(ApiError::unsupported_operation()),
    }
}

/// `sys/auth/<path>/tune`: the method's lease TTLs (effective values, the system default
/// filled in) and description; a write changes them with Vault's checks.
pub async fn auth_tune(
    app: &App,
    request: &ApiRequest,
    operation: Operation,
    path: &str,
) -> Result<ApiResponse, ApiError> {
    match operation {
        Operation::Read => {
            let (tune, description) = match app.auth_mounts().remove(path) {
                Some(record) => (record.tune(), record.description),
                // The token method is always there, with the system's TTLs.
                None if path == TOKEN_MOUNT => {
                    (MountTune::default(), TOKEN_MOUNT_DESCRIPTION.to_string())
                }
                None => {
                    return Err(ApiError::bad_request(format!(
                        "cannot fetch sysview for path \"auth/{path}/\""
                    )));
                }
            };
            let ttls = tune.effective();
            Ok(ApiResponse::data_also_at_top_level(json!({
                "default_lease_ttl": ttls.default_lease_ttl,
                "max_lease_ttl": ttls.max_lease_ttl,
                "description": description,
                "force_no_cache": false,
                "token_type": "default-service",
            })))
        }
        Operation::Create | Operation::Update => {
            app.tune_auth(path, |record| {
                let tune = record
                    .tune()
                    .tune(&request.body)
                    .map_err(|e| ApiError::bad_request(e.to_string()))?;
                record.set_tune(tune);
                if let Some(description) =
                    request.field("description", podpass_core::fields::string)?
                {
                    record.description = description;
                }
                Ok(())
            })
            .await?;
            Ok(ApiResponse::NoContent)
        }
        _ => Err(ApiError::unsupported_operation()),
    }
}

/// `sys/mounts`: KV v2 at `secret/` (fixed) and the system backends.
pub fn mounts(operation: Operation) -> Result<ApiResponse, ApiError> {
    if operation != Operation::Read {
        return Err(ApiError::unsupported_operation());
    }
    let mut kv = mount_json(
        "kv",
        "kv_00000000",
        "key/value secret storage",
        MountTune::default(),
    );
    kv["options"] = json!({ "version": "2" });
    let data = json!({
        "secret/": kv,
        "sys/": mount_json(
            "system",
            "system_00000000",
            "system endpoints used for control, policy and debugging",
            MountTune::default(),
        ),
    });
    Ok(ApiResponse::data_also_at_top_level(data))
}

/// `sys/capabilities-self`: the caller's capabilities on `path` or `paths`.
pub fn capabilities_self(
    app: &App,
    request: &ApiRequest,
    operation: Operation,
    caller: Option<&Caller>,
) -> Result<ApiResponse, ApiError> {
    let caller = caller.ok_or_else(ApiError::permission_denied)?;
    capabilities_of(app, request, operation, &caller.resolved.entry)
}

/// `sys/capabilities`: another token's capabilities (`token` in the body).
pub async fn capabilities(
    app: &App,
    request: &ApiRequest,
    operation: Operation,
) -> Result<ApiResponse, ApiError> {
    let token = request
        .string("token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::bad_request("missing token"))?;
    let target = app
        .tokens
        .resolve(token, app.now())
        .await?
        .ok_or_else(|| ApiError::one_of_many(StatusCode::BAD_REQUEST, "invalid token"))?;
    capabilities_of(app, request, operation, &target.entry)
}

fn capabilities_of(
    app: &App,
    request: &ApiRequest,
    operation: Operation,
    token: &crate::token::TokenEntry,
) -> Result<ApiResponse, ApiError> {
    if !matches!(operation, Operation::Update | Operation::Create) {
        return Err(ApiError::unsupported_operation());
    }
    // Both fields are Vault's comma-separated string lists; `path`, the older name, is read
    // only when `paths` gives none.
    let listed = |field: &str| {
        request
            .field(field, podpass_core::fields::comma_string_slice)
            .map(Option::unwrap_or_default)
    };
    let mut paths = listed("paths")?;
    if paths.is_empty() {
        paths = listed("path")?;
    }
    if paths.is_empty() {
        return Err(ApiError::bad_request("paths must be supplied"));
    }
    if paths.len() > MAX_CAPABILITY_PATHS {
        return Err(ApiError::bad_request(format!(
            "too many paths: {} (podpass answers at most {MAX_CAPABILITY_PATHS} per request)",
            paths.len()
        )));
    }
    let acl = app.acl_for(token)?;
    let mut data = Map::new();
    let mut all = Vec::new();
    for path in &paths {
        let capabilities = acl.capabilities(path);
        all.clone_from(&capabilities);
        data.insert(path.clone(), json!(capabilities));
    }
    // Vault repeats a single path's answer under `capabilities`.
    if paths.len() == 1 {
        data.insert("capabilities".into(), json!(all));
    }
    Ok(ApiResponse::data_also_at_top_level(Value::Object(data)))
}
