//! `sys/policies/acl` and the legacy `sys/policy`: ACL policies by name.

use podpass_core::acl::Operation;
use podpass_core::policy::{
    DEFAULT_POLICY_HCL, DEFAULT_POLICY_NAME, ROOT_POLICY_NAME, is_relative_name, normalize_name,
};
use serde_json::json;

use crate::app::App;
use crate::error::ApiError;
use crate::request::{ApiRequest, ApiResponse};

/// Every policy name, as Vault lists them: the stored ones with the built-in `default`, sorted,
/// then the built-in `root`, which is never stored.
fn names(app: &App) -> Vec<String> {
    let mut names: Vec<String> = app.with_configuration(|c| c.policies().keys().cloned().collect());
    if !names.iter().any(|n| n == DEFAULT_POLICY_NAME) {
        names.push(DEFAULT_POLICY_NAME.to_string());
    }
    names.sort();
    names.push(ROOT_POLICY_NAME.to_string());
    names
}

/// The policy list. The legacy path answers `GET` and `LIST` with `policies` and `keys`, also
/// at the top level; `sys/policies/acl` answers `LIST` with `keys`.
pub fn list(app: &App, operation: Operation, legacy: bool) -> Result<ApiResponse, ApiError> {
    match operation {
        Operation::List | Operation::Read if legacy => {
            let names = json!(names(app));
            Ok(ApiResponse::data_also_at_top_level(
                json!({ "keys": names, "policies": names }),
            ))
        }
        Operation::List => Ok(ApiResponse::data(json!({ "keys": names(app) }))),
        _ => Err(ApiError::unsupported_operation()),
    }
}

/// One policy: read, write (`policy`, or the legacy `rules`), delete.
pub async fn one(
    app: &App,
    request: &ApiRequest,
    operation: Operation,
    name: &str,
    legacy: bool,
) -> Result<ApiResponse, ApiError> {
    let name = normalize_name(name);
    if is_relative_name(&name) {
        return Err(relative_name(operation));
    }
    match operation {
        Operation::Read => {
            let text = app
                .with_configuration(|c| c.policy(&name).map(|e| e.text.clone()))
                .or_else(|| (name == DEFAULT_POLICY_NAME).then(|| DEFAULT_POLICY_HCL.to_string()))
                .or_else(|| (name == ROOT_POLICY_NAME).then(String::new))
                .ok_or_else(ApiError::not_found)?;
            if legacy {
                return Ok(ApiResponse::data_also_at_top_level(
                    json!({ "name": name, "rules": text }),
                ));
            }
            Ok(ApiResponse::data(json!({ "name": name, "policy": text })))
        }
        Operation::Create | Operation::Update => {
            if name == ROOT_POLICY_NAME {
                return Err(ApiError::bad_request("cannot update \"root\" policy"));
            }
            let text = policy_text(request, legacy)?;
            app.put_policy(&name, &text).await?;
            Ok(ApiResponse::NoContent)
        }
        Operation::Delete => {
            // Vault quotes one name and not the other.
            if name == DEFAULT_POLICY_NAME {
                return Err(ApiError::bad_request("cannot delete default policy"));
            }
            if name == ROOT_POLICY_NAME {
                return Err(ApiError::bad_request("cannot delete \"root\" policy"));
            }
            app.delete_policy(&name).await?;
            Ok(ApiResponse::NoContent)
        }
        _ => Err(ApiError::unsupported_operation()),
    }
}

/// The text of a policy write: `policy` (a string field, so a number is its text), and on the
/// legacy path the older `rules` when `policy` is absent. Only an absent or empty text is
/// refused; blank text is a policy without rules.
fn policy_text(request: &ApiRequest, legacy: bool) -> Result<String, ApiError> {
    let mut text = request.field("policy", podpass_core::fields::string)?;
    if legacy && text.is_none() {
        text = request.field("rules", podpass_core::fields::string)?;
    }
    text.filter(|text| !text.is_empty())
        .ok_or_else(|| ApiError::bad_request("'policy' parameter not supplied or empty"))
}

/// Vault's answer to a policy named `..`: its storage refuses the key, and the message says
/// which step asked.
fn relative_name(operation: Operation) -> ApiError {
    let step = match operation {
        Operation::Read => "failed to read policy",
        Operation::Delete => "failed to delete policy",
        Operation::Create | Operation::Update => "unable to get existing policy for check-and-set",
        _ => return ApiError::unsupported_operation(),
    };
    ApiError::bad_request(format!("{step}: relative paths not supported"))
}
