//! The identity a successful Kubernetes login produces: Vault's entity and its alias on the
//! auth mount. ACL templated paths (`{{identity.entity.aliases.<accessor>.metadata.…}}`) are
//! filled from it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A Vault entity with the alias created by a login on one auth mount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Identity {
    /// `identity.entity.id`.
    pub entity_id: String,
    /// `identity.entity.name` (Vault names auto-created entities `entity_<first 8 chars of id>`).
    pub entity_name: String,
    /// The aliases of the entity, one per auth mount it logged in through.
    pub aliases: Vec<EntityAlias>,
}

/// One alias of an entity: the identity as seen by one auth mount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct EntityAlias {
    /// The accessor of the auth mount, e.g. `auth_kubernetes_1a2b3c4d`.
    pub mount_accessor: String,
    /// `identity.entity.aliases.<accessor>.name`: the service account uid or `<ns>/<name>`.
    pub name: String,
    /// `identity.entity.aliases.<accessor>.metadata.<key>`: the four `service_account_*` keys.
    pub metadata: BTreeMap<String, String>,
}

impl Identity {
    /// The alias created through the mount with this accessor, if any.
    #[inline]
    pub(crate) fn alias_for(&self, mount_accessor: &str) -> Option<&EntityAlias> {
        self.aliases
            .iter()
            .find(|a| a.mount_accessor == mount_accessor)
    }
}
