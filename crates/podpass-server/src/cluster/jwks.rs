//! The cluster's signing keys from its OIDC discovery, for mounts with `jwks_discovery`:
//! `{host}/.well-known/openid-configuration` names `jwks_uri`; its keys verify logins locally.
//!
//! Keys are cached per mount and fetched again when they grow old or a token names a `kid` the
//! cache does not hold (a rotated signing key), at most once per
//! [`super::ClusterOptions::jwks_min_refresh`].
//!
//! The key set is read from `kubernetes_host` at the path of `jwks_uri`: the API server serves
//! `/openid/v1/jwks` itself whatever its issuer URL says, so the mount's CA and bearer apply
//! and no credential goes to another host.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use hyper::{Method, Uri};
use podpass_core::auth_config::AuthConfig;
use podpass_core::keys::KeySet;
use serde::Deserialize;

use super::{Cluster, ClusterError, base_url};
use crate::locks::lock;

/// The discovery document's path under `kubernetes_host`.
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

/// Keys by mount path.
#[derive(Default)]
pub(crate) struct JwksCache {
    entries: Mutex<HashMap<String, CachedKeys>>,
    /// Held while keys are fetched, so that a burst of logins on a cold cache makes one fetch
    /// and the others wait for its result.
    fetching: tokio::sync::Mutex<()>,
}

struct CachedKeys {
    /// The host the keys came from: a config change to another cluster invalidates them.
    host: String,
    keys: Option<KeySet>,
    fetched_at: Instant,
    attempted_at: Instant,
}

/// What the cache says about a login's keys.
enum Lookup {
    /// Use these.
    Use(KeySet),
    /// Fetch; if that fails, fall back to the stale keys, when there are any.
    Fetch(Option<KeySet>),
    /// The last fetch failed too recently to try again.
    Refuse,
}

#[derive(Deserialize)]
struct Discovery {
    jwks_uri: String,
}

impl Cluster {
    /// The discovered keys for a login on `mount` whose JWT names `kid`. `login_jwt` is the
    /// bearer of last resort (see `Cluster::bearer`).
    pub async fn discovery_keys(
        &self,
        mount: &str,
        config: &AuthConfig,
        kid: Option<&str>,
        login_jwt: &str,
    ) -> Result<KeySet, ClusterError> {
        let host = base_url(config).to_string();
        let refused = || {
            ClusterError::BadRequest(
                "the cluster's keys could not be fetched a moment ago; not retrying yet".into(),
            )
        };
        if let Lookup::Use(keys) = self.lookup_keys(mount, &host, kid) {
            return Ok(keys);
        }
        let _fetching = self.jwks.fetching.lock().await;
        // Decide again under the lock: another login may have fetched (or failed to) while
        // this one waited.
        let stale = match self.lookup_keys(mount, &host, kid) {
            Lookup::Use(keys) => return Ok(keys),
            Lookup::Refuse => return Err(refused()),
            Lookup::Fetch(stale) => stale,
        };
        {
            let now = Instant::now();
            let mut entries = lock(&self.jwks.entries);
            let entry = entries
                .entry(mount.to_string())
                .or_insert_with(|| CachedKeys {
                    host: host.clone(),
                    keys: None,
                    fetched_at: now,
                    attempted_at: now,
                });
            if entry.host != host {
                *entry = CachedKeys {
                    host: host.clone(),
                    keys: None,
                    fetched_at: now,
                    attempted_at: now,
                };
            }
            entry.attempted_at = now;
        }
        match self.fetch_keys(config, &host, login_jwt).await {
            Ok(keys) => {
                let now = Instant::now();
                lock(&self.jwks.entries).insert(
                    mount.to_string(),
                    CachedKeys {
                        host,
                        keys: Some(keys.clone()),
                        fetched_at: now,
                        attempted_at: now,
                    },
                );
                Ok(keys)
            }
            // Keys that worked a moment ago are better than none while the API is away.
            Err(error) => match stale {
                Some(keys) => {
                    tracing::warn!(mount, %error, "refreshing the cluster's keys failed; using the cached ones");
                    Ok(keys)
                }
                None => Err(error),
            },
        }
    }

    fn lookup_keys(&self, mount: &str, host: &str, kid: Option<&str>) -> Lookup {
        let entries = lock(&self.jwks.entries);
        let Some(entry) = entries.get(mount).filter(|c| c.host == host) else {
            return Lookup::Fetch(None);
        };
        let may_refresh = entry.attempted_at.elapsed() >= self.options.jwks_min_refresh;
        match &entry.keys {
            Some(keys) => {
                let fresh = entry.fetched_at.elapsed() < self.options.jwks_ttl;
                let knows_kid =
                    kid.is_none_or(|kid| keys.keys().iter().any(|key| key.kid() == Some(kid)));
                if (fresh && knows_kid) || !may_refresh {
                    Lookup::Use(keys.clone())
                } else {
                    Lookup::Fetch(Some(keys.clone()))
                }
            }
            None if may_refresh => Lookup::Fetch(None),
            None => Lookup::Refuse,
        }
    }

    /// Forgets a mount's keys (its config changed or it was disabled).
    pub fn forget_discovery_keys(&self, mount: &str) {
        lock(&self.jwks.entries).remove(mount);
    }

    async fn fetch_keys(
        &self,
        config: &AuthConfig,
        host: &str,
        login_jwt: &str,
    ) -> Result<KeySet, ClusterError> {
        let bearer = self.bearer(config, login_jwt);
        let discovery_url = format!("{host}{DISCOVERY_PATH}");
        let body = self
            .send(config, Method::GET, &discovery_url, &bearer, None)
            .await?
            .success_body(&discovery_url)?;
        let malformed = |url: &str, reason: String| ClusterError::Malformed {
            url: url.to_string(),
            reason,
        };
        let discovery: Discovery =
            serde_json::from_str(&body).map_err(|e| malformed(&discovery_url, e.to_string()))?;
        let jwks_uri: Uri = discovery
            .jwks_uri
            .parse()
            .map_err(|e| malformed(&discovery_url, format!("jwks_uri: {e}")))?;
        let path = jwks_uri
            .path_and_query()
            .map(|p| p.as_str())
            .filter(|p| p.starts_with('/'))
            .ok_or_else(|| malformed(&discovery_url, "jwks_uri has no path".into()))?;
        let jwks_url = format!("{host}{path}");
        let body = self
            .send(config, Method::GET, &jwks_url, &bearer, None)
            .await?
            .success_body(&jwks_url)?;
        KeySet::from_jwks_json(&body).map_err(|e| malformed(&jwks_url, e.to_string()))
    }
}
