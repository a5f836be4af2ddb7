//! A Kubernetes auth mount (`auth/<path>/`): its config with decoded keys, its roles, its
//! TTL tuning and accessor. This is what a login is evaluated against.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::auth_config::{AuthConfig, ConfigError, ConfigWrite};
use crate::keys::{KeyError, KeySet};
use crate::names;
use crate::role::Role;
use crate::ttl::MountTtls;

/// How a mount proves a login's token genuine (docs/kubernetes-modes.md): which keys check the
/// signature, and whether Kubernetes' TokenReview API decides after the local checks. A
/// property of the mount's config; the server asks it what to fetch and call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// The cluster's OIDC discovery keys (`jwks_discovery`) must be fetched before the checks
    /// run; they are trusted beside any `pem_keys`.
    pub discovery_keys: bool,
    /// TokenReview decides once every local check passed (Vault's way); `false` only with
    /// podpass's `disable_token_review`, when the signature alone proves the token.
    pub token_review: bool,
}

/// One enabled Kubernetes auth method.
#[derive(Debug, Clone)]
pub struct KubernetesMount {
    path: String,
    accessor: String,
    config: Option<AuthConfig>,
    keys: KeySet,
    /// Boxed for the wasm build's size: see [`crate::configuration::Configuration`].
    roles: BTreeMap<String, Box<Role>>,
    ttls: MountTtls,
}

impl KubernetesMount {
    /// An unconfigured mount at `auth/<path>/` (e.g. `kubernetes`) with Vault's default TTLs.
    /// The accessor identifies the mount in templated policies (`auth_kubernetes_1a2b3c4d`).
    #[inline]
    pub fn new(path: &str, accessor: &str) -> KubernetesMount {
        KubernetesMount {
            path: path.trim_matches('/').to_string(),
            accessor: accessor.to_string(),
            config: None,
            keys: KeySet::default(),
            roles: BTreeMap::new(),
            ttls: MountTtls::default(),
        }
    }

    /// The mount path without `auth/` and slashes, e.g. `kubernetes`.
    #[inline]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The mount accessor.
    #[inline]
    pub fn accessor(&self) -> &str {
        &self.accessor
    }

    /// The mount's default and maximum lease TTLs.
    #[inline]
    pub fn ttls(&self) -> &MountTtls {
        &self.ttls
    }

    /// Tunes the mount's TTLs (`sys/mounts/auth/<path>/tune`).
    #[inline]
    pub fn set_ttls(&mut self, ttls: MountTtls) {
        self.ttls = ttls;
    }

    /// The config, once written.
    #[inline]
    pub fn config(&self) -> Option<&AuthConfig> {
        self.config.as_ref()
    }

    /// How logins on this mount are verified. A mount without a config has no keys and would
    /// ask TokenReview (its logins fail before, for want of a config).
    #[inline]
    pub fn verification(&self) -> Verification {
        Verification {
            discovery_keys: self.config.as_ref().is_some_and(|c| c.jwks_discovery),
            token_review: !self.config.as_ref().is_some_and(|c| c.disable_token_review),
        }
    }

    /// The decoded `pem_keys` (plus any JWKS keys added).
    #[inline]
    pub fn keys(&self) -> &KeySet {
        &self.keys
    }

    /// Whether the engine verifies a login's signature on this mount: only with keys (`pem_keys`,
    /// or a JWK Set added). Without them Vault leaves the signature to TokenReview, so an offline
    /// login proves only that the claims fit the role, not that the token is genuine.
    #[inline]
    pub fn verifies_signatures(&self) -> bool {
        !self.keys.is_empty()
    }

    /// Whether an offline login on this mount can be allowed without the token's signature
    /// verified: a configured mount without keys, where Vault leaves the signature to TokenReview.
    /// A mount without a config denies every login, so it cannot.
    #[inline]
    pub fn admits_unverified_tokens(&self) -> bool {
        self.config.is_some() && !self.verifies_signatures()
    }

    /// Writes `auth/<path>/config` from an API body; returns Vault's warnings.
    #[inline]
    pub fn write_config(
        &mut self,
        body: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Vec<String>, ConfigError> {
        let ConfigWrite {
            config,
            keys,
            warnings,
        } = AuthConfig::write(body)?;
        self.config = Some(config);
        self.keys = keys;
        Ok(warnings)
    }

    /// Installs an already-validated config (e.g. loaded from storage).
    #[inline]
    pub fn set_config(&mut self, config: AuthConfig) -> Result<(), KeyError> {
        self.keys = config.keys()?;
        self.config = Some(config);
        Ok(())
    }

    /// Adds keys from a JWK Set beside `pem_keys` (podpass's JWKS mode).
    #[inline]
    pub fn add_jwks(&mut self, jwks: KeySet) {
        self.keys.extend(jwks);
    }

    /// Looks a role up; names are case-insensitive.
    #[inline]
    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.get(&names::lowercase(name)).map(|role| &**role)
    }

    /// Every role, by lowercased name.
    #[inline]
    pub fn roles(&self) -> &BTreeMap<String, Box<Role>> {
        &self.roles
    }

    /// Stores a role under its (lowercased) name, replacing any previous one.
    #[inline]
    pub fn put_role(&mut self, role: Role) {
        self.roles
            .insert(names::lowercase(&role.name), Box::new(role));
    }

    /// Deletes a role; returns it if it existed.
    #[inline]
    pub fn remove_role(&mut self, name: &str) -> Option<Role> {
        self.roles.remove(&names::lowercase(name)).map(|role| *role)
    }
}
