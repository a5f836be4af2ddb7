//! An API request as the handlers see it, and Vault's response envelope.

use std::collections::HashMap;
use std::net::IpAddr;

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use podpass_core::fields::FieldError;

use crate::error::ApiError;

pub mod json_limits;

/// The largest request body accepted (Vault's default `max_request_size`).
pub const MAX_REQUEST_BYTES: usize = 32 * 1024 * 1024;

/// A parsed `/v1/...` request.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    /// The method (`LIST` included).
    pub method: Method,
    /// The path after `/v1/`, without leading or trailing slashes.
    pub path: String,
    /// Whether this is a list (`LIST`, or `GET` with `?list=true`).
    pub list: bool,
    /// Query parameters.
    pub query: HashMap<String, String>,
    /// The client token from `X-Vault-Token` or `Authorization: Bearer`.
    pub token: Option<String>,
    /// The JSON body (empty when none was sent).
    pub body: Map<String, Value>,
    /// Whether the URL path ended in `/` (KV v2 refuses writes there).
    pub trailing_slash: bool,
    /// The caller's address.
    pub remote_addr: Option<IpAddr>,
}

impl ApiRequest {
    /// Reads a request; a body that is not a JSON object is a 400 naming the problem.
    pub fn parse(
        method: Method,
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
        remote_addr: Option<IpAddr>,
    ) -> Result<ApiRequest, ApiError> {
        let query: HashMap<String, String> = query
            .map(|q| {
                url_decoded_pairs(q)
                    .into_iter()
                    .collect::<HashMap<String, String>>()
            })
            .unwrap_or_default();
        // Vault's HTTP layer reads the flag with Go's ParseBool, and refuses one it cannot
        // read without a message.
        let list_flag = match query.get("list") {
            None => false,
            Some(text) => podpass_core::fields::parse_go_bool(text)
                .map_err(|_| ApiError::status_only(StatusCode::BAD_REQUEST))?,
        };
        let list = method.as_str() == "LIST" || (method == Method::GET && list_flag);
        let token = headers
            .get("x-vault-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .or_else(|| {
                headers
                    .get(axum::http::header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("Bearer "))
                    .map(str::to_string)
            })
            .filter(|t| !t.is_empty());
        if method == Method::PATCH {
            check_patch_content_type(headers)?;
        }
        let body = parse_body(body)?;
        let trailing_slash = path.ends_with('/');
        // Vault's core refuses a write to a folder before it looks at the token or the route.
        if trailing_slash && [Method::POST, Method::PUT, Method::PATCH].contains(&method) {
            return Err(ApiError::bad_request(
                "cannot write to a path ending in '/'",
            ));
        }
        Ok(ApiRequest {
            method,
            trailing_slash,
            path: decode_path(path)?,
            list,
            query,
            token,
            body,
            remote_addr,
        })
    }

    /// A string field of the body.
    pub fn string(&self, name: &str) -> Option<&str> {
        self.body.get(name).and_then(Value::as_str)
    }

    /// A body field read as one of Vault's field types (a reader from
    /// `podpass_core::fields`): `None` when absent, Vault's `Field validation failed` 400 when
    /// the value does not convert.
    pub fn field<T>(
        &self,
        name: &str,
        read: impl Fn(&str, &Value) -> Result<T, FieldError>,
    ) -> Result<Option<T>, ApiError> {
        self.body
            .get(name)
            .map(|value| read(name, value))
            .transpose()
            .map_err(|e| ApiError::bad_request(e.response_message()))
    }
}

/// The path as the ACL and storage see it: percent-decoded, without leading or trailing
/// slashes. A decoded `.` or `..` segment, a control character (NUL included) or bytes that
/// are not UTF-8 are refused, as Vault refuses them, so no path reaches storage in a form the
/// ACL did not check. (Undecoded `//`, `.` and `..` never get here: see [`clean_path`].)
pub fn decode_path(raw: &str) -> Result<String, ApiError> {
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| ApiError::bad_request("invalid path: it is not UTF-8 once decoded"))?;
    if decoded.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "invalid path: it contains a control character",
        ));
    }
    let path = decoded.trim_matches('/');
    if path.split('/').any(|segment| matches!(segment, "." | "..")) {
        return Err(ApiError::bad_request("relative paths not supported"));
    }
    Ok(path.to_string())
}

/// Vault's HTTP server (Go's `ServeMux`) answers a URL path with an empty, `.` or `..`
/// segment with a redirect to the cleaned path, so the ACL only ever sees clean paths.
/// Returns that cleaned path (with the trailing slash kept) when `raw` is not clean.
pub fn clean_path(raw: &str) -> Option<String> {
    let mut segments: Vec<&str> = Vec::new();
    for segment in raw.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut clean = format!("/{}", segments.join("/"));
    if raw.ends_with('/') && clean != "/" {
        clean.push('/');
    }
    (clean != raw).then_some(clean)
}

/// The media type PATCH bodies must declare (RFC 7396 merge patches), as Vault requires.
pub const MERGE_PATCH_CONTENT_TYPE: &str = "application/merge-patch+json";

/// Vault refuses a PATCH whose body is not declared a merge patch, before parsing it and
/// before looking at the token: 415 naming the type sent (its media type, lowercased, as Go's
/// `mime.ParseMediaType` gives it), or 400 when none was sent.
fn check_patch_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let sent = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media = sent
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if media.is_empty() {
        return Err(ApiError::bad_request("mime: no media type"));
    }
    if media != MERGE_PATCH_CONTENT_TYPE {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("PATCH requires Content-Type of {MERGE_PATCH_CONTENT_TYPE}, provided {media}"),
        ));
    }
    Ok(())
}

fn parse_body(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    json_limits::check(body, &json_limits::JsonLimits::default())
        .map_err(|exceeded| ApiError::bad_request(exceeded.message()))?;
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        // Go decodes `null` into a map as no map at all: an empty request.
        Ok(Value::Null) => Ok(Map::new()),
        Ok(other) => Err(ApiError::bad_request(format!(
            "failed to parse JSON input: json: cannot unmarshal {} into Go value of type \
             map[string]interface {{}}",
            go_json_kind(&other)
        ))),
        Err(e) => Err(ApiError::bad_request(format!(
            "failed to parse JSON input: {e}"
        ))),
    }
}

/// The JSON kind as Go's decoder names it in an unmarshal error.
fn go_json_kind(value: &Value) -> &'static str {
    match value {
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        Value::Null | Value::Object(_) => "object",
    }
}

fn url_decoded_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiResponse {
    /// 204 without body (Vault's answer to most writes).
    NoContent,
    /// A status with an empty body (Vault's 404 for a PATCH of a missing item).
    Empty(StatusCode),
    /// A JSON body with a status.
    Json(StatusCode, Value),
    /// 200 with a non-JSON body (the metrics exposition).
    Text {
        /// The `Content-Type`.
        content_type: &'static str,
        /// The body.
        body: String,
    },
}

impl ApiResponse {
    /// 200 with Vault's envelope around `data`.
    pub fn data(data: Value) -> ApiResponse {
        ApiResponse::Json(StatusCode::OK, envelope(Some(data), None, Vec::new()))
    }

    /// 200 with `data` and `warnings` (or 204 when both are empty, as Vault answers writes).
    pub fn data_with_warnings(data: Option<Value>, warnings: Vec<String>) -> ApiResponse {
        if data.is_none() && warnings.is_empty() {
            return ApiResponse::NoContent;
        }
        ApiResponse::Json(StatusCode::OK, envelope(data, None, warnings))
    }

    /// 200 with Vault's envelope around `data`, and each key of the `data` object repeated at
    /// the top level, as Vault's HTTP layer answers the endpoints older than the envelope
    /// (`sys/capabilities*`, the legacy `sys/policy`, `sys/auth`, `sys/mounts`, mount tuning).
    /// The envelope's own keys are kept.
    pub fn data_also_at_top_level(data: Value) -> ApiResponse {
        let mut body = envelope(Some(data.clone()), None, Vec::new());
        if let (Value::Object(top), Value::Object(data)) = (&mut body, data) {
            for (key, value) in data {
                top.entry(key).or_insert(value);
            }
        }
        ApiResponse::Json(StatusCode::OK, body)
    }

    /// 200 with an `auth` object (logins, token creation and renewal).
    pub fn auth(auth: Value, warnings: Vec<String>) -> ApiResponse {
        ApiResponse::Json(StatusCode::OK, envelope(None, Some(auth), warnings))
    }
}

/// Vault's response envelope.
pub fn envelope(data: Option<Value>, auth: Option<Value>, warnings: Vec<String>) -> Value {
    json!({
        "request_id": request_id(),
        "lease_id": "",
        "renewable": false,
        "lease_duration": 0,
        "data": data,
        "wrap_info": null,
        "warnings": if warnings.is_empty() { Value::Null } else { json!(warnings) },
        "auth": auth,
    })
}

/// A fresh request id (a random UUID, as Vault's), shared by a request's audit lines and its
/// response envelope.
pub fn request_id() -> String {
    let mut bytes = [0u8; 16];
    // An all-zero id is still a valid answer; it only makes log correlation harder.
    let _ = getrandom::fill(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

impl IntoResponse for ApiResponse {
    fn into_response(self) -> Response {
        match self {
            ApiResponse::NoContent => StatusCode::NO_CONTENT.into_response(),
            ApiResponse::Empty(status) => status.into_response(),
            ApiResponse::Json(status, body) => (status, axum::Json(body)).into_response(),
            ApiResponse::Text { content_type, body } => (
                StatusCode::OK,
                [(axum::http::header::CONTENT_TYPE, content_type)],
                body,
            )
                .into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_are_decoded() {
        assert_eq!(
            url_decoded_pairs("list=true&path=a%2Fb+c&x"),
            [
                ("list".to_string(), "true".to_string()),
                ("path".to_string(), "a/b c".to_string()),
                ("x".to_string(), String::new())
            ]
        );
        assert_eq!(url_decoded_pairs("a=100%&b=%zz")[1].1, "%zz");
    }

    #[test]
    fn paths_are_decoded_once_and_relative_segments_refused() {
        assert_eq!(
            decode_path("secret/data/my%20secret/").ok().as_deref(),
            Some("secret/data/my secret")
        );
        for refused in [
            "secret/data/a/%2e%2e/b",
            "secret/data/%2E",
            "secret/data/a%00b",
            "secret/data/a%0Ab",
            "secret/data/%ff",
        ] {
            assert_eq!(
                decode_path(refused).map_err(|e| e.status),
                Err(StatusCode::BAD_REQUEST),
                "{refused}"
            );
        }
    }

    #[test]
    fn unclean_paths_get_their_clean_form() {
        assert_eq!(
            clean_path("/v1/secret/metadata//admin").as_deref(),
            Some("/v1/secret/metadata/admin")
        );
        assert_eq!(
            clean_path("/v1/secret/data/a/../b").as_deref(),
            Some("/v1/secret/data/b")
        );
        assert_eq!(
            clean_path("/v1/secret/./metadata/").as_deref(),
            Some("/v1/secret/metadata/")
        );
        assert_eq!(clean_path("/v1/secret/metadata/"), None);
        assert_eq!(clean_path("/v1/secret/data/a%2e%2e"), None);
    }

    #[test]
    fn bodies_must_be_json_objects() {
        assert!(parse_body(b"").is_ok_and(|m| m.is_empty()));
        assert!(parse_body(b"{\"a\":1}").is_ok_and(|m| m.len() == 1));
        let error = parse_body(b"[1]").err().map(|e| e.errors.join(""));
        assert_eq!(
            error.as_deref(),
            Some(
                "failed to parse JSON input: json: cannot unmarshal array into Go value of type \
                 map[string]interface {}"
            )
        );
        assert!(parse_body(b"{oops").is_err());
        assert!(
            parse_body(b" null ").is_ok_and(|m| m.is_empty()),
            "Go decodes null into no map"
        );
    }
}
