//! `secret/data/<path>` and `secret/metadata/<path>`: the KV v2 API.

use axum::http::StatusCode;
use podpass_core::acl::Operation;
use podpass_core::fields;
use serde_json::{Map, Value, json};

use crate::app::App;
use crate::error::ApiError;
use crate::request::{ApiRequest, ApiResponse, envelope};

/// `secret/data/<path>`: read (`?version=`), write (`options.cas`), patch, soft delete.
pub async fn data(
    app: &App,
    request: &ApiRequest,
    operation: Operation,
    path: &str,
) -> Result<ApiResponse, ApiError> {
    match operation {
        Operation::Read => {
            let version = match request.query.get("version") {
                Some(text) => Some(text.parse::<u64>().map_err(|_| {
                    ApiError::bad_request(format!("invalid version \"{text}\": not a whole number"))
                })?),
                None => None,
            };
            let read = app
                .kv
                .read(path, version)?
                .ok_or_else(ApiError::not_found)?;
            let body = json!({ "data": read.data, "metadata": read.metadata });
            // A deleted or destroyed version is a 404 that still carries its metadata.
            let status = if read.data.is_some() {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            Ok(ApiResponse::Json(
                status,
                envelope(Some(body), None, Vec::new()),
            ))
        }
        Operation::Create | Operation::Update | Operation::Patch => {
            let data = match request.body.get("data") {
                Some(Value::Object(data)) => data.clone(),
                Some(_) => return Err(ApiError::bad_request("\"data\" must be a JSON object")),
                None => return Err(ApiError::bad_request("no data provided")),
            };
            let cas = cas_option(&request.body)?;
            let now = app.now();
            let written = if operation == Operation::Patch {
                app.kv.patch(path, data, cas, now).await?
            } else {
                app.kv.write(path, data, cas, now).await?
            };
            Ok(ApiResponse::data(written))
        }
        Operation::Delete => {
            app.kv.delete_latest(path, app.now()).await?;
            Ok(ApiResponse::NoContent)
        }
        Operation::List => Err(ApiError::unsupported_operation()),
    }
}

/// `secret/metadata/<path>`: read, list, delete every version.
pub async fn metadata(
    app: &App,
    _request: &ApiRequest,
    operation: Operation,
    path: &str,
) -> Result<ApiResponse, ApiError> {
    match operation {
        Operation::List => {
            let prefix = if path.is_empty() {
                String::new()
            } else {
                format!("{path}/")
            };
            let keys = app.kv.list(&prefix)?;
            if keys.is_empty() {
                return Err(ApiError::not_found());
            }
            Ok(ApiResponse::data(json!({ "keys": keys })))
        }
        Operation::Read => {
            let metadata = app.kv.metadata(path)?.ok_or_else(ApiError::not_found)?;
            Ok(ApiResponse::data(metadata.to_json()))
        }
        Operation::Delete => {
            app.kv.delete_all(path).await?;
            Ok(ApiResponse::NoContent)
        }
        Operation::Create | Operation::Update | Operation::Patch => Err(ApiError::not_implemented(
            "writing KV v2 metadata (max_versions, cas_required, delete_version_after, \
             custom_metadata)",
        )),
    }
}

fn cas_option(body: &Map<String, Value>) -> Result<Option<u64>, ApiError> {
    let Some(options) = body.get("options") else {
        return Ok(None);
    };
    let Some(cas) = options.get("cas") else {
        return Ok(None);
    };
    let cas =
        fields::integer("cas", cas).map_err(|e| ApiError::bad_request(e.response_message()))?;
    u64::try_from(cas)
        .map(Some)
        .map_err(|_| ApiError::bad_request("cas must not be negative"))
}
