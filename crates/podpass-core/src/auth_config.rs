//! `auth/<mount>/config`: where the Kubernetes API is and which keys sign service-account tokens.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use thiserror::Error;

use crate::fields::{self, FieldError};
use crate::keys::{KeyError, KeySet};

/// The configuration of one Kubernetes auth mount, as Vault stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthConfig {
    /// Base URL of the Kubernetes API server. Required.
    pub kubernetes_host: String,
    /// PEM CA bundle for TLS to the API server.
    pub kubernetes_ca_cert: String,
    /// Bearer token for TokenReview calls (write-only through the API).
    pub token_reviewer_jwt: String,
    /// PEM public keys or certificates that verify JWT signatures; empty means the signature is
    /// left to TokenReview.
    pub pem_keys: Vec<String>,
    /// Expected `iss`, checked only when `disable_iss_validation` is false.
    pub issuer: String,
    /// Skip the issuer check (Vault's default: true).
    pub disable_iss_validation: bool,
    /// Do not fall back to the pod's own CA and token.
    pub disable_local_ca_jwt: bool,
    /// Use the service account's annotations as alias metadata (needs the Kubernetes API).
    pub use_annotations_as_alias_metadata: bool,
    /// podpass only (Vault ignores it): verify signatures with the keys of the cluster's OIDC
    /// discovery (`/.well-known/openid-configuration` → `jwks_uri`), fetched by a server, instead
    /// of calling TokenReview at each login.
    #[serde(default)]
    pub jwks_discovery: bool,
    /// podpass only (Vault always calls TokenReview): decide logins from the signature alone
    /// (`pem_keys` or `jwks_discovery`) without asking the cluster. Faster and independent of
    /// the API server, but a deleted pod's token keeps working until it expires.
    #[serde(default)]
    pub disable_token_review: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            kubernetes_host: String::new(),
            kubernetes_ca_cert: String::new(),
            token_reviewer_jwt: String::new(),
            pem_keys: Vec::new(),
            issuer: String::new(),
            disable_iss_validation: true,
            disable_local_ca_jwt: false,
            use_annotations_as_alias_metadata: false,
            jwks_discovery: false,
            disable_token_review: false,
        }
    }
}

/// Why a config write was refused (HTTP 400 in Vault). Messages are Vault's.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// `kubernetes_host` missing or empty.
    #[error("no host provided")]
    NoHost,
    /// `kubernetes_ca_cert` holds no PEM certificate.
    #[error("The provided CA PEM data contains no valid certificates")]
    NoCaCertificates,
    /// A `pem_keys` entry is not a key.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A field has the wrong type (Vault's framework prefixes `Field validation failed`).
    #[error("Field validation failed: {0}")]
    Field(#[from] FieldError),
    /// `disable_token_review` without any key that could verify a signature.
    #[error(
        "disable_token_review requires pem_keys or jwks_discovery: without TokenReview nothing would verify the token's signature"
    )]
    TokenReviewNeeded,
}

/// A successful write: the config, its decoded keys, and Vault's warnings.
#[derive(Debug, Clone)]
pub struct ConfigWrite {
    /// The stored configuration.
    pub config: AuthConfig,
    /// `pem_keys`, decoded.
    pub keys: KeySet,
    /// Warnings for the response.
    pub warnings: Vec<String>,
}

/// Every field `auth/<mount>/config` accepts.
pub const CONFIG_FIELDS: [&str; 10] = [
    "kubernetes_host",
    "kubernetes_ca_cert",
    "token_reviewer_jwt",
    "pem_keys",
    "issuer",
    "disable_iss_validation",
    "disable_local_ca_jwt",
    "use_annotations_as_alias_metadata",
    "jwks_discovery",
    "disable_token_review",
];

impl AuthConfig {
    /// Vault's `pathConfigWrite`: every field not sent takes its default (a write replaces).
    pub fn write(body: &Map<String, Value>) -> Result<ConfigWrite, ConfigError> {
        let get_string = |name: &str| -> Result<String, FieldError> {
            body.get(name)
                .map(|v| fields::string(name, v))
                .transpose()
                .map(Option::unwrap_or_default)
        };
        let get_bool = |name: &str, default: bool| -> Result<bool, FieldError> {
            body.get(name)
                .map(|v| fields::boolean(name, v))
                .transpose()
                .map(|v| v.unwrap_or(default))
        };
        let config = AuthConfig {
            kubernetes_host: get_string("kubernetes_host")?,
            kubernetes_ca_cert: get_string("kubernetes_ca_cert")?,
            token_reviewer_jwt: get_string("token_reviewer_jwt")?,
            pem_keys: body
                .get("pem_keys")
                .map(|v| fields::comma_string_slice("pem_keys", v))
                .transpose()?
                .unwrap_or_default(),
            issuer: get_string("issuer")?,
            disable_iss_validation: get_bool("disable_iss_validation", true)?,
            disable_local_ca_jwt: get_bool("disable_local_ca_jwt", false)?,
            use_annotations_as_alias_metadata: get_bool(
                "use_annotations_as_alias_metadata",
                false,
            )?,
            jwks_discovery: get_bool("jwks_discovery", false)?,
            disable_token_review: get_bool("disable_token_review", false)?,
        };
        if config.kubernetes_host.is_empty() {
            return Err(ConfigError::NoHost);
        }
        if !config.kubernetes_ca_cert.is_empty() && !has_pem_block(&config.kubernetes_ca_cert) {
            return Err(ConfigError::NoCaCertificates);
        }
        let keys = KeySet::from_pem_keys(&config.pem_keys)?;
        if config.disable_token_review && keys.is_empty() && !config.jwks_discovery {
            return Err(ConfigError::TokenReviewNeeded);
        }
        let unknown = body
            .keys()
            .map(String::as_str)
            .filter(|k| !CONFIG_FIELDS.contains(k));
        let warnings: Vec<String> = fields::ignored_parameters_warning(unknown)
            .into_iter()
            .collect();
        Ok(ConfigWrite {
            config,
            keys,
            warnings,
        })
    }

    /// Decodes `pem_keys` (already validated by [`AuthConfig::write`]).
    pub fn keys(&self) -> Result<KeySet, KeyError> {
        KeySet::from_pem_keys(&self.pem_keys)
    }

    /// Vault's read representation: the reviewer JWT is never returned, only whether it is set.
    /// podpass's own fields appear only when set, so a mount configured as in Vault reads back
    /// exactly as Vault's does.
    pub fn to_read_json(&self) -> Value {
        let mut read = json!({
            "kubernetes_host": self.kubernetes_host,
            "kubernetes_ca_cert": self.kubernetes_ca_cert,
            "pem_keys": self.pem_keys,
            "issuer": self.issuer,
            "disable_iss_validation": self.disable_iss_validation,
            "disable_local_ca_jwt": self.disable_local_ca_jwt,
            "token_reviewer_jwt_set": !self.token_reviewer_jwt.is_empty(),
            "use_annotations_as_alias_metadata": self.use_annotations_as_alias_metadata,
        });
        for (name, set) in [
            ("jwks_discovery", self.jwks_discovery),
            ("disable_token_review", self.disable_token_review),
        ] {
            if set {
                read[name] = Value::Bool(true);
            }
        }
        read
    }

    /// The issuer to check `iss` against, or `None` when Vault would not check it.
    /// (Vault checks only when validation is on and an issuer is configured.)
    pub(crate) fn expected_issuer(&self) -> Option<&str> {
        (!self.disable_iss_validation && !self.issuer.is_empty()).then_some(self.issuer.as_str())
    }
}

/// Vault accepts a CA bundle when at least one PEM block decodes.
fn has_pem_block(text: &str) -> bool {
    use base64::Engine;
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start..];
        let Some(header_end) = after[11..].find("-----").map(|i| i + 16) else {
            return false;
        };
        let label = &after[11..header_end - 5];
        let end_marker = format!("-----END {label}-----");
        let Some(end) = after.find(&end_marker) else {
            return false;
        };
        let body: String = after[header_end..end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if !body.is_empty()
            && base64::engine::general_purpose::STANDARD
                .decode(&body)
                .is_ok()
        {
            return true;
        }
        rest = &after[end + end_marker.len()..];
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA_PUB: &str = include_str!("../../../tests/fixtures/keys/rsa-2048.pub.pem");
    const CERT: &str = include_str!("../../../tests/fixtures/keys/rsa-2048.cert.pem");

    fn body(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn writes_and_reads_back_like_vault() {
        let written = AuthConfig::write(&body(json!({
            "kubernetes_host": "https://10.0.0.1:6443",
            "kubernetes_ca_cert": CERT,
            "token_reviewer_jwt": "secret-reviewer",
            "pem_keys": [RSA_PUB],
            "issuer": "https://kubernetes.default.svc",
            "disable_iss_validation": "false",
            "extra": 1
        })))
        .expect("valid config");
        assert_eq!(written.keys.keys().len(), 1);
        assert_eq!(
            written.warnings,
            vec!["Endpoint ignored these unrecognized parameters: [extra]"]
        );
        let read = written.config.to_read_json();
        assert_eq!(read["token_reviewer_jwt_set"], true);
        assert!(read.get("token_reviewer_jwt").is_none());
        assert_eq!(read["disable_iss_validation"], false);
        assert_eq!(
            written.config.expected_issuer(),
            Some("https://kubernetes.default.svc")
        );
    }

    #[test]
    fn defaults_match_vault() {
        let written =
            AuthConfig::write(&body(json!({"kubernetes_host": "https://k"}))).expect("valid");
        assert!(written.config.disable_iss_validation);
        assert!(!written.config.disable_local_ca_jwt);
        assert_eq!(written.config.expected_issuer(), None);
        assert!(written.keys.is_empty());
        assert!(!written.config.jwks_discovery);
    }

    #[test]
    fn jwks_discovery_is_a_podpass_field_stored_and_read_back() {
        let written = AuthConfig::write(&body(
            json!({"kubernetes_host": "https://k", "jwks_discovery": "true"}),
        ))
        .expect("valid");
        assert!(written.config.jwks_discovery);
        assert!(written.warnings.is_empty());
        assert_eq!(written.config.to_read_json()["jwks_discovery"], true);
        // Configs stored before the field existed still load, with discovery off.
        let stored: AuthConfig = serde_json::from_value(json!({
            "kubernetes_host": "https://k", "kubernetes_ca_cert": "", "token_reviewer_jwt": "",
            "pem_keys": [], "issuer": "", "disable_iss_validation": true,
            "disable_local_ca_jwt": false, "use_annotations_as_alias_metadata": false
        }))
        .expect("old record");
        assert!(!stored.jwks_discovery);
        assert!(!stored.disable_token_review);
    }

    #[test]
    fn disable_token_review_needs_keys_that_verify_signatures() {
        let refused = AuthConfig::write(&body(
            json!({"kubernetes_host": "https://k", "disable_token_review": true}),
        ))
        .expect_err("nothing would verify the signature");
        assert!(matches!(refused, ConfigError::TokenReviewNeeded));
        assert!(
            refused
                .to_string()
                .starts_with("disable_token_review requires pem_keys or jwks_discovery")
        );
        for keys in [
            json!({"pem_keys": [RSA_PUB]}),
            json!({"jwks_discovery": true}),
        ] {
            let mut config =
                json!({"kubernetes_host": "https://k", "disable_token_review": "true"});
            for (k, v) in keys.as_object().expect("object") {
                config[k] = v.clone();
            }
            let written = AuthConfig::write(&body(config)).expect("keys verify the signature");
            assert!(written.config.disable_token_review);
            assert_eq!(written.config.to_read_json()["disable_token_review"], true);
        }
        // Unset, podpass's own fields stay out of the read, as in Vault's answer.
        let plain =
            AuthConfig::write(&body(json!({"kubernetes_host": "https://k"}))).expect("valid");
        let read = plain.config.to_read_json();
        assert!(read.get("disable_token_review").is_none());
        assert!(read.get("jwks_discovery").is_none());
    }

    #[test]
    fn refuses_bad_input_with_vaults_messages() {
        let cases = [
            (json!({}), "no host provided"),
            (json!({"kubernetes_host": ""}), "no host provided"),
            (
                json!({"kubernetes_host": "h", "kubernetes_ca_cert": "not a pem"}),
                "The provided CA PEM data contains no valid certificates",
            ),
            (
                json!({"kubernetes_host": "h", "pem_keys": ["garbage"]}),
                "data does not contain any valid RSA or ECDSA public keys",
            ),
        ];
        for (input, message) in cases {
            let err = AuthConfig::write(&body(input.clone())).expect_err(&input.to_string());
            assert_eq!(err.to_string(), message);
        }
        let err = AuthConfig::write(&body(
            json!({"kubernetes_host": "h", "disable_iss_validation": "maybe"}),
        ))
        .expect_err("bad bool");
        assert!(matches!(err, ConfigError::Field(_)), "{err:?}");
    }
}
