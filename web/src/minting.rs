//! "Mint a test token": a service-account token for a chosen namespace, service account,
//! audience and lifetime, signed with the demo key or with a key made in the browser, whose
//! public half then becomes the mount's `pem_keys`.
//!
//! Key generation and signing are the browser's (WebCrypto, in the user interface): the
//! playground's wasm has no signature crypto. Writing the token to sign, turning the exported
//! public key into PEM and trusting it in the configuration are here, in plain Rust.

use podpass_core::auth_config::AuthConfig;
use podpass_core::configuration::{Configuration, DEFAULT_MOUNT_PATH, NoFiles};
use podpass_core::duration::parse_duration_str;
use podpass_core::jwt::SigningAlgorithm;
use podpass_core::keys::der_to_pem;
use podpass_core::mint::{SigningKey, TokenSpec, UnsignedToken};

use crate::state::MintForm;

/// The source name pasted configurations carry in origins and errors.
pub const INPUT_SOURCE: &str = "config";

/// The API server address written into a configuration that had no `auth/<mount>/config`.
const DEFAULT_KUBERNETES_HOST: &str = "https://kubernetes.default.svc:443";

/// How far before "now" minted tokens are issued, so they look like a pod's token in use.
pub const ISSUED_BEFORE_NOW_SECONDS: i64 = 60;

/// The algorithm of both keys the playground signs with (the demo key and a browser key):
/// ECDSA P-256.
pub const SIGNING_ALGORITHM: SigningAlgorithm = SigningAlgorithm::ES256;

/// An ECDSA P-256 key made in the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserKey {
    /// The private key, PKCS#8 DER (as WebCrypto exports and imports it).
    pub pkcs8: Vec<u8>,
    /// SubjectPublicKeyInfo public key, as `pem_keys` takes it.
    pub public_pem: String,
}

impl BrowserKey {
    /// The key from WebCrypto's `pkcs8` and `spki` exports.
    pub fn from_der(pkcs8: &[u8], spki: &[u8]) -> BrowserKey {
        BrowserKey {
            pkcs8: pkcs8.to_vec(),
            public_pem: der_to_pem("PUBLIC KEY", spki),
        }
    }
}

/// A token waiting for its signature: what to sign, and the [`SIGNING_ALGORITHM`] key to sign
/// it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenToSign {
    /// The token without its signature.
    pub unsigned: UnsignedToken,
    /// The private key, PKCS#8 DER.
    pub pkcs8: Vec<u8>,
}

impl TokenToSign {
    /// Signs with the core's own crypto: native builds (the tests); the page signs with
    /// WebCrypto.
    pub fn sign_in_engine(self) -> Result<String, String> {
        let pem = der_to_pem("PRIVATE KEY", &self.pkcs8);
        let key = SigningKey::from_pem(&pem, SIGNING_ALGORITHM, None).map_err(|e| e.to_string())?;
        key.sign(self.unsigned).map_err(|e| e.to_string())
    }
}

/// The token the form describes, issued [`ISSUED_BEFORE_NOW_SECONDS`] before `now`.
pub fn token_spec(form: &MintForm, now: i64) -> Result<TokenSpec, String> {
    let namespace = form.namespace.trim();
    let service_account = form.service_account.trim();
    if namespace.is_empty() {
        return Err("enter the service account's namespace".to_string());
    }
    if service_account.is_empty() {
        return Err("enter the service account's name".to_string());
    }
    let ttl = parse_duration_str(form.ttl.trim()).map_err(|e| format!("lifetime: {e}"))?;
    if ttl <= 0 {
        return Err("lifetime must be positive, e.g. 1h".to_string());
    }
    let mut spec =
        TokenSpec::projected(namespace, service_account, now - ISSUED_BEFORE_NOW_SECONDS);
    spec.ttl_seconds = ttl;
    spec.audiences = form
        .audience
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect();
    Ok(spec)
}

/// `spec` to be signed with podpass's published demo key (which the presets trust).
pub fn with_demo_key(spec: &TokenSpec) -> Result<TokenToSign, String> {
    Ok(TokenToSign {
        unsigned: podpass_core::demo::unsigned_token(spec),
        pkcs8: podpass_core::demo::signing_key_pkcs8().map_err(|e| e.to_string())?,
    })
}

/// `spec` to be signed with a browser key.
pub fn with_browser_key(spec: &TokenSpec, key: &BrowserKey) -> TokenToSign {
    TokenToSign {
        unsigned: UnsignedToken::new(spec, SIGNING_ALGORITHM, None),
        pkcs8: key.pkcs8.clone(),
    }
}

/// The configuration `text` with `public_pem` as the only `pem_keys` of `mount` (the default
/// mount when empty; a `kubernetes` mount is created when there is none), written back in the
/// text's own form. The text is rewritten by the core's exporter, so comments outside policies
/// are dropped.
pub fn trust_key(text: &str, mount: &str, public_pem: &str) -> Result<String, String> {
    let imported = Configuration::import(text, INPUT_SOURCE, None, &NoFiles).map_err(|e| {
        let diagnostic = e.diagnostic();
        let line = diagnostic.location().map_or(1, |at| at.line);
        format!(
            "fix the configuration first (line {line}: {})",
            diagnostic.message
        )
    })?;
    let mut configuration = imported.configuration;
    let path = if !mount.trim().is_empty() {
        mount.trim().to_string()
    } else if let Some(path) = configuration.default_mount() {
        path.to_string()
    } else if configuration.mounts().is_empty() {
        DEFAULT_MOUNT_PATH.to_string()
    } else {
        return Err(format!(
            "the configuration has several auth mounts and none at kubernetes/: choose the one to trust the key ({})",
            configuration
                .mounts()
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    };
    let target = configuration.enable_kubernetes(&path);
    let mut auth = target.config().cloned().unwrap_or_else(|| AuthConfig {
        kubernetes_host: DEFAULT_KUBERNETES_HOST.to_string(),
        ..AuthConfig::default()
    });
    auth.pem_keys = vec![public_pem.to_string()];
    target
        .set_config(auth)
        .map_err(|e| format!("the new key is not usable: {e}"))?;
    Ok(configuration.export(imported.format))
}

/// Tokens signed natively, for the tests of the modules that take one.
#[cfg(test)]
pub mod test_support {
    use super::*;

    /// A projected token for `namespace`/`service_account` issued at `issued_at`, signed with
    /// the demo key.
    pub fn demo_token(namespace: &str, service_account: &str, issued_at: i64) -> String {
        let spec = TokenSpec::projected(namespace, service_account, issued_at);
        with_demo_key(&spec)
            .and_then(TokenToSign::sign_in_engine)
            .expect("the demo key signs")
    }

    /// A key in the form a browser's export gives: the PKCS#8 DER inside a PEM fixture.
    pub fn pkcs8_of(pem: &str) -> Vec<u8> {
        use base64::Engine;
        let body: String = pem
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect();
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .expect("a PEM fixture")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use podpass_core::demo::{DEMO_PUBLIC_KEY_PEM, DEMO_SCENARIO_COMMANDS};
    use podpass_core::login::LoginRequest;

    const NOW: i64 = 1_780_000_000;

    fn form(namespace: &str, service_account: &str) -> MintForm {
        MintForm {
            namespace: namespace.to_string(),
            service_account: service_account.to_string(),
            audience: "vault, https://kubernetes.default.svc".to_string(),
            ttl: "30m".to_string(),
            ..MintForm::default()
        }
    }

    /// A P-256 key pair other than the demo's, in the shape a browser export produces.
    fn browser_key() -> BrowserKey {
        BrowserKey {
            pkcs8: test_support::pkcs8_of(include_str!(
                "../../tests/fixtures/keys/ec-p256.key.pem"
            )),
            public_pem: include_str!("../../tests/fixtures/keys/ec-p256.pub.pem").to_string(),
        }
    }

    #[test]
    fn the_form_becomes_a_token_spec() {
        let spec = token_spec(&form(" payment ", "payment-sa"), NOW).unwrap();
        assert_eq!(spec.namespace, "payment");
        assert_eq!(spec.issued_at, NOW - ISSUED_BEFORE_NOW_SECONDS);
        assert_eq!(spec.ttl_seconds, 1800);
        assert_eq!(spec.audiences, ["vault", "https://kubernetes.default.svc"]);
    }

    #[test]
    fn incomplete_forms_say_what_is_missing() {
        assert!(
            token_spec(&form("", "sa"), NOW)
                .unwrap_err()
                .contains("namespace")
        );
        assert!(
            token_spec(&form("ns", " "), NOW)
                .unwrap_err()
                .contains("name")
        );
        let mut bad_ttl = form("ns", "sa");
        bad_ttl.ttl = "soon".to_string();
        assert!(
            token_spec(&bad_ttl, NOW)
                .unwrap_err()
                .starts_with("lifetime")
        );
        bad_ttl.ttl = "0".to_string();
        assert!(token_spec(&bad_ttl, NOW).unwrap_err().contains("positive"));
    }

    #[test]
    fn a_trusted_browser_key_signs_tokens_that_log_in() {
        // The scenario trusts the demo key: the browser key must replace it.
        let key = browser_key();
        let trusted = trust_key(DEMO_SCENARIO_COMMANDS, "", &key.public_pem).unwrap();
        assert!(!trusted.contains(DEMO_PUBLIC_KEY_PEM.lines().nth(1).unwrap()));
        let configuration = Configuration::import(&trusted, "t", None, &NoFiles)
            .unwrap()
            .configuration;
        let mut no_aud = form("grade-api", "grade-api-sa");
        no_aud.audience.clear();
        let token = with_browser_key(&token_spec(&no_aud, NOW).unwrap(), &key)
            .sign_in_engine()
            .unwrap();
        let request = LoginRequest {
            role: "grade-api".to_string(),
            jwt: token,
            now: NOW,
            ..LoginRequest::default()
        };
        let result = configuration.login("kubernetes", &request).unwrap();
        let success = result.success().expect("the minted token logs in");
        assert_eq!(success.policies, ["default", "grade-api"]);
        // The rest of the scenario is still there.
        assert_eq!(configuration.policies().len(), 3);
    }

    #[test]
    fn trusting_a_key_keeps_the_texts_form() {
        let hcl = "auth \"kubernetes\" {\n  role \"r\" {\n    bound_service_account_names = [\"a\"]\n    bound_service_account_namespaces = [\"b\"]\n  }\n}\n";
        let out = trust_key(hcl, "", DEMO_PUBLIC_KEY_PEM).unwrap();
        assert!(out.contains("auth \"kubernetes\""), "{out}");
        assert!(out.contains("kubernetes_host"), "{out}");
        let json = trust_key("{}", "", DEMO_PUBLIC_KEY_PEM).unwrap();
        assert!(json.trim_start().starts_with('{'), "{json}");
        assert!(json.contains("pem_keys"), "{json}");
    }

    #[test]
    fn a_broken_configuration_is_not_rewritten() {
        let err = trust_key("auth \"kubernetes\" {", "", DEMO_PUBLIC_KEY_PEM).unwrap_err();
        assert!(
            err.starts_with("fix the configuration first (line 1"),
            "{err}"
        );
    }

    #[test]
    fn the_demo_key_signs_what_the_demo_trusts() {
        let spec = token_spec(&form("grade-api", "grade-api-sa"), NOW).unwrap();
        let token = with_demo_key(&spec).unwrap().sign_in_engine().unwrap();
        let decoded = podpass_core::jwt::decode(&token).unwrap();
        assert_eq!(decoded.algorithm, "ES256");
        assert_eq!(
            decoded.key_id.as_deref(),
            Some(podpass_core::policy_test::TEST_KEY_ID)
        );
        assert_eq!(
            decoded.claims["exp"],
            NOW - ISSUED_BEFORE_NOW_SECONDS + 1800
        );
    }
}
