//! The one error shape JavaScript sees: a JS `Error` named `PodpassError` carrying a stable
//! `code`, the message, where in the input the problem is when that is known, and the core's
//! diagnostics (the JSON shape of [`podpass_core::diagnostic::Diagnostic`]) for the input.

use podpass_core::acl::AclError;
use podpass_core::configuration::ImportError;
use podpass_core::diagnostic::Diagnostic;
use podpass_core::jwt::JwtError;
use serde::Serialize;
use wasm_bindgen::JsValue;

/// What kind of failure, as a stable string callers can switch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, tsify::Tsify)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The configuration text was refused (Vault's message where Vault would refuse it).
    InvalidConfiguration,
    /// An argument does not have the documented shape (a missing field, a wrong type, a typo).
    InvalidArgument,
    /// The named (or default) auth mount is not in the configuration.
    UnknownMount,
    /// A JWT could not be decoded.
    InvalidJwt,
    /// A denied login was given where a token's identity was expected.
    LoginDenied,
    /// The policies cannot be combined (`root` with others).
    InvalidPolicies,
    /// The host has no WebCrypto (`crypto.subtle`) or refused a key.
    HostCryptoUnavailable,
    /// This build of the package leaves the feature out (the edge build: only Vault API JSON,
    /// signatures through the host); the full build has it.
    NotInThisBuild,
    /// A login result's trace was read after its engine was freed (`engine.free()`).
    EngineFreed,
    /// A value could not be converted for JavaScript; a bug in podpass.
    Internal,
}

impl ErrorCode {
    /// The code as JavaScript sees it, e.g. `invalid_configuration`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidConfiguration => "invalid_configuration",
            ErrorCode::InvalidArgument => "invalid_argument",
            ErrorCode::UnknownMount => "unknown_mount",
            ErrorCode::InvalidJwt => "invalid_jwt",
            ErrorCode::LoginDenied => "login_denied",
            ErrorCode::InvalidPolicies => "invalid_policies",
            ErrorCode::HostCryptoUnavailable => "host_crypto_unavailable",
            ErrorCode::NotInThisBuild => "not_in_this_build",
            ErrorCode::EngineFreed => "engine_freed",
            ErrorCode::Internal => "internal",
        }
    }
}

/// Where in an input a problem is: 1-based line and column, and the input's name (the primary
/// place of the error's diagnostic, in the shape JavaScript callers already read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, tsify::Tsify)]
pub struct ErrorLocation {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// The input's name (the `source` option) or the referenced file's.
    pub source: String,
}

/// A failure of any podpass function, before it becomes a JS `Error`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PodpassError {
    /// What kind of failure.
    pub code: ErrorCode,
    /// What is wrong, in words.
    pub message: String,
    /// Where, when the failure is about a place in an input.
    pub location: Option<ErrorLocation>,
    /// What the core said about the input, with places and codes (empty when the failure is
    /// not about an input's text).
    pub diagnostics: Vec<Diagnostic>,
}

impl PodpassError {
    /// An error without a location.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> PodpassError {
        PodpassError {
            code,
            message: message.into(),
            location: None,
            diagnostics: Vec::new(),
        }
    }

    /// An answer that could not be written as JSON (a bug, never the caller's input).
    pub(crate) fn serializing(error: impl std::fmt::Display) -> PodpassError {
        PodpassError::new(ErrorCode::Internal, format!("serializing: {error}"))
    }

    /// An argument that does not have the documented shape; `what` names the argument.
    pub fn argument(what: &str, problem: impl std::fmt::Display) -> PodpassError {
        PodpassError::new(ErrorCode::InvalidArgument, format!("{what}: {problem}"))
    }

    /// The JS `Error` thrown for this failure: `name` is `PodpassError`, with `code`,
    /// `location` (`undefined` when unknown) and `diagnostics` (an array) as own properties.
    pub fn to_js(&self) -> JsValue {
        let error = js_sys::Error::new(&self.message);
        error.set_name("PodpassError");
        let location = match &self.location {
            Some(at) => {
                let object = js_sys::Object::new();
                set(&object, "line", &at.line.into());
                set(&object, "column", &at.column.into());
                set(&object, "source", &at.source.as_str().into());
                object.into()
            }
            None => JsValue::UNDEFINED,
        };
        set(&error, "code", &self.code.as_str().into());
        set(&error, "location", &location);
        // Parsed by the host, as results are (see `output`); an empty array if that fails.
        let diagnostics = serde_json::to_string(&self.diagnostics)
            .ok()
            .and_then(|json| js_sys::JSON::parse(&json).ok())
            .unwrap_or_else(|| js_sys::Array::new().into());
        set(&error, "diagnostics", &diagnostics);
        error.into()
    }
}

/// Sets a property on an object podpass just created (extensible by construction, so the set
/// cannot fail).
fn set(target: &js_sys::Object, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(target, &key.into(), value);
}

impl From<PodpassError> for JsValue {
    fn from(error: PodpassError) -> JsValue {
        error.to_js()
    }
}

impl From<ImportError> for PodpassError {
    fn from(error: ImportError) -> PodpassError {
        let diagnostic = error.diagnostic();
        // `location` is the diagnostic's primary place, kept in the shape it always had.
        let location = diagnostic.location().map(|at| ErrorLocation {
            line: at.line,
            column: at.column,
            source: diagnostic.source.clone(),
        });
        PodpassError {
            code: ErrorCode::InvalidConfiguration,
            message: error.message,
            location,
            diagnostics: vec![diagnostic],
        }
    }
}

impl From<JwtError> for PodpassError {
    fn from(error: JwtError) -> PodpassError {
        PodpassError::new(ErrorCode::InvalidJwt, error.to_string())
    }
}

impl From<AclError> for PodpassError {
    fn from(error: AclError) -> PodpassError {
        PodpassError::new(ErrorCode::InvalidPolicies, error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use podpass_core::configuration::{Configuration, NoFiles};

    #[test]
    fn a_refused_configuration_keeps_vaults_message_and_its_place() {
        let text =
            "vault auth enable kubernetes\nvault write auth/kubernetes/role/r token_ttl=forever\n";
        let error = Configuration::import(text, "setup.sh", None, &NoFiles)
            .err()
            .map(PodpassError::from);
        let Some(error) = error else {
            panic!("a role with an unreadable TTL must be refused");
        };
        assert_eq!(error.code, ErrorCode::InvalidConfiguration);
        let location = error.location.as_ref().map(|l| (l.line, l.source.as_str()));
        assert_eq!(location, Some((2, "setup.sh")));
        assert!(!error.message.is_empty());
        // The diagnostic says the same, in the core's shape.
        let [diagnostic] = error.diagnostics.as_slice() else {
            panic!("one diagnostic expected: {:?}", error.diagnostics);
        };
        assert_eq!(diagnostic.message, error.message);
        assert_eq!(diagnostic.source, "setup.sh");
        assert_eq!(diagnostic.location().map(|at| at.line), Some(2));
        assert_eq!(diagnostic.code, "configuration/import");
    }

    #[test]
    fn codes_serialize_as_their_javascript_names() {
        for code in [
            ErrorCode::InvalidConfiguration,
            ErrorCode::InvalidArgument,
            ErrorCode::UnknownMount,
            ErrorCode::InvalidJwt,
            ErrorCode::LoginDenied,
            ErrorCode::InvalidPolicies,
            ErrorCode::HostCryptoUnavailable,
            ErrorCode::NotInThisBuild,
            ErrorCode::EngineFreed,
            ErrorCode::Internal,
        ] {
            assert_eq!(
                serde_json::to_value(code).ok(),
                Some(serde_json::Value::from(code.as_str()))
            );
        }
    }
}
