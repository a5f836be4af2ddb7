//! KV v2 at `secret/`: `data/`, `metadata/`, `delete/`, `undelete/`, `destroy/` and `config`,
//! with Vault's messages for bad input.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use podpass_core::acl::Operation;
use podpass_core::duration::parse_duration;
use podpass_core::fields::{go_type_name, parse_go_int};
use serde_json::{Map, Value, json};

use crate::app::App;
use crate::error::ApiError;
use crate::kv::{MetadataUpdate, PatchOutcome, VersionAction};
use crate::request::{ApiRequest, ApiResponse, envelope};

/// Custom metadata bounds, as Vault validates them.
const MAX_CUSTOM_METADATA_KEYS: usize = 64;
const MAX_CUSTOM_METADATA_KEY_LENGTH: usize = 128;
const MAX_CUSTOM_METADATA_VALUE_LENGTH: usize = 512;

/// `secret/data/<path>`: read (`?version=`), write (`options.cas`), patch, soft delete.
pub async fn data(
    app: &App,
    request: &ApiRequest,
    operation: Operation,
    path: &str,
) -> Result<ApiResponse, ApiError> {
    match operation {
        Operation::Read => {
            let version = query_int(request, "version")?;
            let read = app
                .kv
                .read(path, version, app.now())
                .await?
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
                None => return Err(ApiError::bad_request("no data provided")),
                Some(Value::Null) if operation == Operation::Patch => {
                    return Err(ApiError::bad_request("no data provided"));
                }
                Some(value @ (Value::Object(_) | Value::Null)) => value.clone(),
                Some(other) => return Err(unconvertible_map("data", other)),
            };
            let cas = cas_option(&request.body)?;
            let now = app.now();
            if operation != Operation::Patch {
                return Ok(ApiResponse::data(app.kv.write(path, data, cas, now).await?));
            }
            let Value::Object(patch) = data else {
                return Err(ApiError::bad_request("no data provided"));
            };
            match app.kv.patch(path, patch, cas, now).await? {
                PatchOutcome::Written(metadata) => Ok(ApiResponse::data(metadata)),
                PatchOutcome::Missing => Ok(ApiResponse::Empty(StatusCode::NOT_FOUND)),
                PatchOutcome::Gone(metadata) => Ok(ApiResponse::Json(
                    StatusCode::NOT_FOUND,
                    envelope(Some(metadata), None, Vec::new()),
                )),
            }
        }
        Operation::Delete => {
            app.kv.delete_latest(path, app.now()).await?;
            Ok(ApiResponse::NoContent)
        }
        Operation::List => Err(ApiError::unsupported_operation()),
    }
}

/// `secret/metadata/<path>`: read, list, write, patch, delete every version.
pub async fn metadata(
    app: &App,
    request: &ApiRequest,
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
            let keys = app.kv.list(&prefix).await?;
            if keys.is_empty() {
                return Err(ApiError::not_found());
            }
            Ok(ApiResponse::data(json!({ "keys": keys })))
        }
        Operation::Read => {
            let metadata = app
                .kv
                .metadata(path)
                .await?
                .ok_or_else(ApiError::not_found)?;
            Ok(ApiResponse::data(metadata.to_json()))
        }
        Operation::Delete => {
            app.kv.delete_all(path).await?;
            Ok(ApiResponse::NoContent)
        }
        Operation::Create | Operation::Update | Operation::Patch => {
            let patch = operation == Operation::Patch;
            let update = metadata_update(&request.body, patch)?;
            if app
                .kv
                .write_metadata(path, update, patch, app.now())
                .await?
            {
                Ok(ApiResponse::NoContent)
            } else {
                Ok(ApiResponse::Empty(StatusCode::NOT_FOUND))
            }
        }
    }
}

/// `secret/delete/<path>`, `secret/undelete/<path>`, `secret/destroy/<path>` with `versions`.
pub async fn versions(
    app: &App,
    request: &ApiRequest,
    operation: Operation,
    action: VersionAction,
    path: &str,
) -> Result<ApiResponse, ApiError> {
    if !matches!(operation, Operation::Create | Operation::Update) {
        return Err(ApiError::unsupported_operation());
    }
    let versions = match request.body.get("versions") {
        Some(value) => comma_int_slice(value).map_err(|reason| {
            ApiError::bad_request(format!(
                "Field validation failed: error converting input for field \"versions\": decoding failed due to the following error(s):\n\n{reason}"
            ))
        })?,
        None => Vec::new(),
    };
    if versions.is_empty() {
        // Vault's destroy handler words it in lower case, the other two capitalised.
        let message = if action == VersionAction::Destroy {
            "no version number provided"
        } else {
            "No version number provided"
        };
        return Err(ApiError::bad_request(message));
    }
    app.kv
        .change_versions(path, action, &versions, app.now())
        .await?;
    Ok(ApiResponse::NoContent)
}

/// An integer query parameter of KV's read paths; absent or empty (`?version=`, which Go's
/// decoder reads as 0): none.
fn query_int(request: &ApiRequest, name: &str) -> Result<Option<i64>, ApiError> {
    let Some(text) = request.query.get(name).filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    go_int(text).map(Some).map_err(|reason| {
        ApiError::bad_request(format!(
            "Field validation failed: error converting input for field \"{name}\": {reason}"
        ))
    })
}

/// `secret/subkeys/<path>`: a version's keys with every value replaced by `null`, nested
/// objects kept down to `depth` levels (0 or less: all).
pub async fn subkeys(
    app: &App,
    request: &ApiRequest,
    operation: Operation,
    path: &str,
) -> Result<ApiResponse, ApiError> {
    if operation != Operation::Read {
        return Err(ApiError::unsupported_operation());
    }
    let version = query_int(request, "version")?;
    let depth = query_int(request, "depth")?.unwrap_or(0);
    let read = app
        .kv
        .read(path, version, app.now())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let status = if read.data.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let keys = read.data.as_ref().map(|data| keys_only(data, depth, 1));
    let body = json!({ "metadata": read.metadata, "subkeys": keys });
    Ok(ApiResponse::Json(
        status,
        envelope(Some(body), None, Vec::new()),
    ))
}

/// The structure of `value` without its values: objects are kept (down to `depth` levels when
/// it is positive), everything else becomes `null`.
fn keys_only(value: &Value, depth: i64, level: i64) -> Value {
    match value {
        Value::Object(entries) => Value::Object(
            entries
                .iter()
                .map(|(key, inner)| {
                    let kept = if inner.is_object() && (depth <= 0 || level < depth) {
                        keys_only(inner, depth, level + 1)
                    } else {
                        Value::Null
                    };
                    (key.clone(), kept)
                })
                .collect(),
        ),
        _ => Value::Null,
    }
}

/// `secret/config`: the engine's defaults.
pub async fn config(
    app: &App,
    request: &ApiRequest,
    operation: Operation,
) -> Result<ApiResponse, ApiError> {
    match operation {
        Operation::Read => Ok(ApiResponse::data(app.kv.config().await?.to_json())),
        Operation::Create | Operation::Update => {
            let validation = |e: ApiError| {
                ApiError::new(
                    e.status,
                    format!("Field validation failed: {}", e.errors.join("")),
                )
            };
            let body = &request.body;
            let max_versions = body
                .get("max_versions")
                .map(max_versions)
                .transpose()
                .map_err(validation)?;
            let cas_required = body
                .get("cas_required")
                .map(|v| go_bool_field("cas_required", v))
                .transpose()
                .map_err(validation)?;
            let after = body
                .get("delete_version_after")
                .map(delete_version_after)
                .transpose()
                .map_err(validation)?;
            app.kv.put_config(max_versions, cas_required, after).await?;
            Ok(ApiResponse::NoContent)
        }
        _ => Err(ApiError::unsupported_operation()),
    }
}

fn metadata_update(body: &Map<String, Value>, patch: bool) -> Result<MetadataUpdate, ApiError> {
    Ok(MetadataUpdate {
        max_versions: body.get("max_versions").map(max_versions).transpose()?,
        cas_required: body
            .get("cas_required")
            .map(|v| go_bool_field("cas_required", v))
            .transpose()?,
        delete_version_after: body
            .get("delete_version_after")
            .map(delete_version_after)
            .transpose()?,
        custom_metadata: body
            .get("custom_metadata")
            .map(|v| custom_metadata(v, patch))
            .transpose()?,
    })
}

/// Vault keeps `max_versions` as a uint32: a negative number wraps rather than being refused.
fn max_versions(value: &Value) -> Result<u64, ApiError> {
    let number = go_int_field("max_versions", value)?;
    // Go's uint32(int) conversion keeps the low 32 bits.
    Ok(u64::from(number as u32))
}

fn delete_version_after(value: &Value) -> Result<i64, ApiError> {
    let field = |reason: String| {
        ApiError::bad_request(format!(
            "error converting input for field \"delete_version_after\": {reason}"
        ))
    };
    let seconds = parse_duration(value).map_err(|e| field(e.to_string()))?;
    if seconds < 0 {
        return Err(field(format!("cannot provide negative value '{seconds}'")));
    }
    Ok(seconds)
}

/// `custom_metadata`: string values (numbers and booleans as Go's weak decoding writes them),
/// checked against Vault's bounds. In a patch, `null` removes a key.
fn custom_metadata(
    value: &Value,
    patch: bool,
) -> Result<BTreeMap<String, Option<String>>, ApiError> {
    let Value::Object(entries) = value else {
        if value.is_null() {
            return Ok(BTreeMap::new());
        }
        return Err(unconvertible_map("custom_metadata", value));
    };
    let mut out = BTreeMap::new();
    for (key, value) in entries {
        let text = match value {
            Value::Null if patch => None,
            Value::Null => Some(String::new()),
            Value::String(text) => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            Value::Bool(flag) => Some(if *flag { "1" } else { "0" }.to_string()),
            other => {
                return Err(ApiError::bad_request(format!(
                    "custom_metadata validation failed: '' expected type 'string', got unconvertible type '{}'",
                    go_type_name(other)
                )));
            }
        };
        out.insert(key.clone(), text);
    }
    let mut problems = Vec::new();
    if out.len() > MAX_CUSTOM_METADATA_KEYS {
        problems.push(format!(
            "payload must contain at most {MAX_CUSTOM_METADATA_KEYS} keys, provided {}",
            out.len()
        ));
    }
    for (key, value) in &out {
        let key_length = key.chars().count();
        if key_length == 0 || key_length > MAX_CUSTOM_METADATA_KEY_LENGTH {
            problems.push(format!(
                "length of key {key:?} is {key_length} but must be 0 < len(key) <= {MAX_CUSTOM_METADATA_KEY_LENGTH}"
            ));
        }
        if let Some(value) = value {
            let value_length = value.chars().count();
            if value_length == 0 || value_length > MAX_CUSTOM_METADATA_VALUE_LENGTH {
                problems.push(format!(
                    "length of value for key {key:?} is {value_length} but must be 0 < len(value) <= {MAX_CUSTOM_METADATA_VALUE_LENGTH}"
                ));
            }
        }
    }
    if problems.is_empty() {
        return Ok(out);
    }
    // Vault gathers these in a multierror, whose text is this list.
    let count = if problems.len() == 1 {
        "1 error occurred".to_string()
    } else {
        format!("{} errors occurred", problems.len())
    };
    let listed: String = problems
        .iter()
        .map(|p| format!("\n\t* custom_metadata validation failed: {p}"))
        .collect();
    Err(ApiError::bad_request(format!("{count}:{listed}\n\n")))
}

fn cas_option(body: &Map<String, Value>) -> Result<Option<u64>, ApiError> {
    let Some(options) = body.get("options") else {
        return Ok(None);
    };
    let options = match options {
        Value::Object(options) => options,
        Value::Null => return Ok(None),
        other => return Err(unconvertible_map("options", other)),
    };
    let Some(cas) = options.get("cas") else {
        return Ok(None);
    };
    let parsed = match cas {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.parse::<u64>().ok(),
        _ => None,
    };
    parsed
        .map(Some)
        .ok_or_else(|| ApiError::bad_request("error parsing check-and-set parameter"))
}

/// Vault's `TypeCommaIntSlice`: a list of integers (or numeric strings), or a comma-separated
/// string. The error names the first element that is not an integer, as Go's decoder does.
fn comma_int_slice(value: &Value) -> Result<Vec<i64>, String> {
    let items: Vec<Value> = match value {
        Value::Array(items) => items.clone(),
        Value::String(text) if text.is_empty() => Vec::new(),
        Value::String(text) => text
            .split(',')
            .map(|item| Value::String(item.trim().to_string()))
            .collect(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let parsed = match item {
                Value::Number(number) => number.as_i64().ok_or(()),
                Value::String(text) => parse_go_int(text, false).map_err(|_| ()),
                _ => Err(()),
            };
            parsed.map_err(|()| {
                format!("'[{i}]' cannot parse value as 'int': strconv.ParseInt: invalid syntax")
            })
        })
        .collect()
}

fn go_int(text: &str) -> Result<i64, String> {
    parse_go_int(text, true)
        .map_err(|_| "'' cannot parse value as 'int': strconv.ParseInt: invalid syntax".to_string())
}

fn go_int_field(field: &str, value: &Value) -> Result<i64, ApiError> {
    let converted = match value {
        Value::Number(number) => number.as_i64().ok_or_else(String::new),
        Value::String(text) => go_int(text),
        Value::Bool(flag) => Ok(i64::from(*flag)),
        Value::Null => Ok(0),
        other => Err(format!(
            "'' expected type 'int', got unconvertible type '{}'",
            go_type_name(other)
        )),
    };
    converted.map_err(|reason| {
        ApiError::bad_request(format!(
            "error converting input for field \"{field}\": {reason}"
        ))
    })
}

fn go_bool_field(field: &str, value: &Value) -> Result<bool, ApiError> {
    let fail = |reason: &str| {
        ApiError::bad_request(format!(
            "error converting input for field \"{field}\": {reason}"
        ))
    };
    let text = match value {
        Value::Bool(flag) => return Ok(*flag),
        Value::Null => return Ok(false),
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        other => {
            return Err(fail(&format!(
                "'' expected type 'bool', got unconvertible type '{}'",
                go_type_name(other)
            )));
        }
    };
    match text.as_str() {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(fail(
            "'' cannot parse value as 'bool': strconv.ParseBool: invalid syntax",
        )),
    }
}

/// Vault's message for a field that must be an object and is not.
fn unconvertible_map(field: &str, value: &Value) -> ApiError {
    // Go's decoder descends into a list and names its first element.
    let (at, found) = match value {
        Value::Array(items) => match items.first() {
            Some(first) => ("[0]", go_type_name(first)),
            None => ("", go_type_name(value)),
        },
        other => ("", go_type_name(other)),
    };
    ApiError::bad_request(format!(
        "error converting input for field \"{field}\": '{at}' expected type 'map[string]interface {{}}', got unconvertible type '{found}'"
    ))
}

/// `secret/data`, `secret/metadata`, `secret/delete`, `secret/undelete`, `secret/destroy`
/// or `secret/subkeys` with nothing after them. Without a trailing `/` (which a list implies,
/// as in Vault) no endpoint matches: KV's 404 with a warning. With one, the section's endpoint
/// for a secret without a name answers: nothing there to read or delete, the metadata root
/// lists the mount's secrets.
pub async fn section(
    app: &App,
    request: &ApiRequest,
    operation: Operation,
    section: &str,
) -> Result<ApiResponse, ApiError> {
    if !request.trailing_slash && operation != Operation::List {
        return Ok(match section {
            "subkeys" => invalid_path(operation),
            _ => not_found_with_warning(
                "Non-listing operations on the root of a K/V v2 mount are not supported.".into(),
            ),
        });
    }
    match (section, operation) {
        ("metadata", Operation::List) => metadata(app, request, operation, "").await,
        ("data" | "metadata" | "subkeys", Operation::Read) => Err(ApiError::not_found()),
        ("data" | "metadata", Operation::Delete) => Ok(ApiResponse::NoContent),
        _ => Err(ApiError::unsupported_operation()),
    }
}

/// A path in the mount outside KV v2's sections (`secret/foo`): a 404 whose warning names
/// the `vault kv` command for the operation, as KV answers a client that took it for KV v1.
pub fn invalid_path(operation: Operation) -> ApiResponse {
    let command = match operation {
        Operation::Create | Operation::Update => "put",
        Operation::Read => "get",
        Operation::List => "list",
        Operation::Delete => "delete",
        Operation::Patch => "patch",
    };
    not_found_with_warning(format!(
        "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate \
         API endpoints to use. If using the Vault CLI, use 'vault kv {command}' for this \
         operation."
    ))
}

fn not_found_with_warning(warning: String) -> ApiResponse {
    ApiResponse::Json(StatusCode::NOT_FOUND, envelope(None, None, vec![warning]))
}
