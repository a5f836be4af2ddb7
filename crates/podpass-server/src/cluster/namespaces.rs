//! Namespace labels, for roles with `bound_service_account_namespace_selector`: `GET
//! {host}/api/v1/namespaces/<name>`, cached briefly so a burst of logins costs one call.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Instant;

use hyper::Method;
use podpass_core::auth_config::AuthConfig;
use serde::Deserialize;

use super::{Cluster, ClusterError, base_url};
use crate::locks::lock;

/// Namespaces remembered at most; the cache is cleared when full.
const NAMESPACE_CACHE_LIMIT: usize = 4096;

/// A namespace's labels and when they were read.
type ReadLabels = (Instant, BTreeMap<String, String>);

/// Labels by (host, namespace).
#[derive(Default)]
pub(crate) struct NamespaceCache {
    entries: Mutex<HashMap<(String, String), ReadLabels>>,
}

#[derive(Deserialize)]
struct Namespace {
    #[serde(default)]
    metadata: Metadata,
}

#[derive(Deserialize, Default)]
struct Metadata {
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

impl Cluster {
    /// The labels of `namespace` in the mount's cluster. `login_jwt` is the bearer of last
    /// resort (see `Cluster::bearer`).
    pub async fn namespace_labels(
        &self,
        config: &AuthConfig,
        namespace: &str,
        login_jwt: &str,
    ) -> Result<BTreeMap<String, String>, ClusterError> {
        // The name comes from a JWT whose signature may not be checked yet: only a DNS label
        // may become part of a URL.
        if !is_dns_label(namespace) {
            return Err(ClusterError::BadRequest(format!(
                "namespace {namespace:?} is not a valid Kubernetes namespace name"
            )));
        }
        let key = (base_url(config).to_string(), namespace.to_string());
        if let Some((read_at, labels)) = lock(&self.namespaces.entries).get(&key)
            && read_at.elapsed() < self.options.namespace_ttl
        {
            return Ok(labels.clone());
        }
        let url = format!("{}/api/v1/namespaces/{namespace}", key.0);
        let bearer = self.bearer(config, login_jwt);
        let body = self
            .send(config, Method::GET, &url, &bearer, None)
            .await?
            .success_body(&url)?;
        let parsed: Namespace =
            serde_json::from_str(&body).map_err(|e| ClusterError::Malformed {
                url: url.clone(),
                reason: e.to_string(),
            })?;
        let labels = parsed.metadata.labels;
        let mut entries = lock(&self.namespaces.entries);
        if entries.len() >= NAMESPACE_CACHE_LIMIT {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), labels.clone()));
        Ok(labels)
    }
}

/// RFC 1123 label, as Kubernetes requires of namespace names.
fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::is_dns_label;

    #[test]
    fn only_dns_labels_reach_a_url() {
        assert!(is_dns_label("grade-api"));
        assert!(is_dns_label("a1"));
        for bad in [
            "",
            "-a",
            "a-",
            "A",
            "../apis",
            "a/b",
            "a.b",
            &"a".repeat(64),
        ] {
            assert!(!is_dns_label(bad), "{bad}");
        }
    }
}
