//! Compiled ACLs shared between requests: the server compiles one per token policy set, the
//! wasm engine one per subject it is asked about. One cache, so both key it the same way.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::{Acl, AclError};
use crate::configuration::Configuration;
use crate::identity::Identity;

/// ACLs compiled from a [`Configuration`], keyed by the policy names and, when one of those
/// policies is templated, by the identity that fills it in (other policies compile the same for
/// every caller, so identities would only multiply the entries).
///
/// The cache does not watch the configuration: whoever changes a policy calls
/// [`AclCache::clear`]. Beyond its limit it starts over; that bounds memory, it is no policy.
#[derive(Debug)]
pub struct AclCache {
    limit: usize,
    entries: Mutex<HashMap<String, Arc<Acl>>>,
}

impl AclCache {
    /// An empty cache that keeps at most `limit` ACLs.
    pub fn new(limit: usize) -> AclCache {
        AclCache {
            limit: limit.max(1),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The ACL for `names` (and `identity`, for templated paths) on `configuration`, compiled
    /// at most once until the next [`AclCache::clear`]. Callers that may change policies
    /// concurrently must hold `configuration` unchanged for the whole call (the server holds
    /// its read lock), so that no ACL of a replaced policy is stored after the clear.
    pub fn get_or_compile(
        &self,
        configuration: &Configuration,
        names: &[String],
        identity: Option<&Identity>,
    ) -> Result<Arc<Acl>, AclError> {
        let key = cache_key(configuration, names, identity);
        if let Some(acl) = self.lock().get(&key) {
            return Ok(Arc::clone(acl));
        }
        let acl = Arc::new(configuration.acl_for_policies(names, identity)?);
        let mut entries = self.lock();
        if entries.len() >= self.limit {
            entries.clear();
        }
        entries.insert(key, Arc::clone(&acl));
        Ok(acl)
    }

    /// Forgets every ACL (after a policy was written or deleted).
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// How many ACLs are kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no ACL is kept.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Acl>>> {
        // The map is consistent after every statement, so a panic elsewhere leaves it usable.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The policy names in the order given (the ACL is compiled from that list) and, for templated
/// policies only, the identity as JSON; `\0` cannot occur in a policy name.
fn cache_key(
    configuration: &Configuration,
    names: &[String],
    identity: Option<&Identity>,
) -> String {
    let mut key = names.join("\n");
    let templated = names.iter().any(|name| {
        configuration
            .policy(name)
            .is_some_and(|entry| entry.policy.is_templated())
    });
    if templated && let Some(identity) = identity {
        key.push('\0');
        key.push_str(&serde_json::to_string(identity).unwrap_or_default());
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::configuration::Origin;

    fn configuration() -> Configuration {
        let mut configuration = Configuration::default();
        let plain = r#"path "secret/data/app" { capabilities = ["read"] }"#;
        let templated =
            r#"path "secret/data/{{identity.entity.name}}/*" { capabilities = ["read"] }"#;
        assert!(
            configuration
                .put_policy("plain", plain, Origin::default())
                .is_ok()
        );
        assert!(
            configuration
                .put_policy("mine", templated, Origin::default())
                .is_ok()
        );
        configuration
    }

    fn identity(name: &str) -> Identity {
        Identity {
            entity_id: format!("id-{name}"),
            entity_name: name.to_string(),
            aliases: Vec::new(),
        }
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn one_acl_per_policy_set_and_per_identity_only_when_templated() {
        let configuration = configuration();
        let cache = AclCache::new(16);
        let plain = names(&["default", "plain"]);
        let a = cache.get_or_compile(&configuration, &plain, Some(&identity("a")));
        let b = cache.get_or_compile(&configuration, &plain, Some(&identity("b")));
        assert!(matches!((&a, &b), (Ok(a), Ok(b)) if Arc::ptr_eq(a, b)));
        assert_eq!(cache.len(), 1);

        let mine = names(&["default", "mine"]);
        let a = cache.get_or_compile(&configuration, &mine, Some(&identity("a")));
        let b = cache.get_or_compile(&configuration, &mine, Some(&identity("b")));
        assert!(matches!((&a, &b), (Ok(a), Ok(b)) if !Arc::ptr_eq(a, b)));
        assert_eq!(cache.len(), 3);

        cache.clear();
        assert!(cache.is_empty());
    }

    #[test]
    fn the_limit_starts_the_cache_over() {
        let configuration = configuration();
        let cache = AclCache::new(2);
        for set in [&["plain"][..], &["default"], &["plain", "default"]] {
            assert!(
                cache
                    .get_or_compile(&configuration, &names(set), None)
                    .is_ok()
            );
        }
        assert_eq!(cache.len(), 1);
    }
}
