//! KV version 2 at `secret/`: versioned secrets with soft delete, check-and-set and metadata,
//! shaped as Vault's `kv` v2 engine answers.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use podpass_core::timestamp::rfc3339;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::storage::{Store, WriteOp};

/// Where the engine is mounted.
pub const KV_MOUNT: &str = "secret";
/// Versions kept per secret when neither the secret nor the mount sets `max_versions`.
const DEFAULT_MAX_VERSIONS: u64 = 10;
const METADATA_PREFIX: &str = "kv/secret/meta/";
const VERSION_PREFIX: &str = "kv/secret/version/";
/// Writes to the same secret are serialised by one of these locks (chosen by a hash of the path);
/// writes to different secrets proceed together, so their commits can be grouped.
const WRITE_LOCK_STRIPES: usize = 64;

/// One version's bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionMetadata {
    /// When it was written (Unix seconds).
    pub created: i64,
    /// When it was soft-deleted, if it was.
    pub deleted: Option<i64>,
    /// Whether its data was destroyed.
    pub destroyed: bool,
}

/// A secret's metadata (`secret/metadata/<path>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SecretMetadata {
    /// When version 1 was written.
    pub created: i64,
    /// When the last version was written.
    pub updated: i64,
    /// The newest version.
    pub current_version: u64,
    /// The oldest version still kept.
    pub oldest_version: u64,
    /// Versions kept (0: the default, 10).
    pub max_versions: u64,
    /// Whether writes must carry `options.cas`.
    pub cas_required: bool,
    /// User metadata.
    pub custom_metadata: Option<BTreeMap<String, String>>,
    /// Every kept version.
    pub versions: BTreeMap<u64, VersionMetadata>,
}

impl SecretMetadata {
    /// The `metadata` object of a data read or write.
    fn version_json(&self, version: u64) -> Value {
        let v = self.versions.get(&version);
        json!({
            "created_time": v.map(|v| rfc3339(v.created)).unwrap_or_default(),
            "custom_metadata": self.custom_metadata,
            "deletion_time": v.and_then(|v| v.deleted).map(rfc3339).unwrap_or_default(),
            "destroyed": v.is_some_and(|v| v.destroyed),
            "version": version,
        })
    }

    /// The body of `secret/metadata/<path>`.
    pub fn to_json(&self) -> Value {
        let versions: Map<String, Value> = self
            .versions
            .iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    json!({
                        "created_time": rfc3339(v.created),
                        "deletion_time": v.deleted.map(rfc3339).unwrap_or_default(),
                        "destroyed": v.destroyed,
                    }),
                )
            })
            .collect();
        json!({
            "cas_required": self.cas_required,
            "created_time": rfc3339(self.created),
            "current_version": self.current_version,
            "custom_metadata": self.custom_metadata,
            "delete_version_after": "0s",
            "max_versions": self.max_versions,
            "oldest_version": self.oldest_version,
            "updated_time": rfc3339(self.updated),
            "versions": versions,
        })
    }
}

/// A data read: the secret's data (None when deleted or destroyed) and its version's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretRead {
    /// The data, unless the version was deleted or destroyed.
    pub data: Option<Value>,
    /// The version's `metadata` object.
    pub metadata: Value,
}

/// The KV v2 engine over the encrypted store.
pub struct KvStore {
    store: Store,
    write_locks: Vec<tokio::sync::Mutex<()>>,
}

impl KvStore {
    /// The engine over `store`.
    pub fn new(store: Store) -> KvStore {
        KvStore {
            store,
            write_locks: (0..WRITE_LOCK_STRIPES)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
        }
    }

    /// The metadata of the secret at `path`, if it exists.
    pub fn metadata(&self, path: &str) -> Result<Option<SecretMetadata>, ApiError> {
        Ok(self.store.get_json(&metadata_key(path))?)
    }

    /// Whether a secret exists at `path` (decides create versus update for the ACL).
    pub fn exists(&self, path: &str) -> Result<bool, ApiError> {
        Ok(self.metadata(path)?.is_some())
    }

    /// Reads a version (0 or `None`: the current one). `None` when there is no such version.
    pub fn read(&self, path: &str, version: Option<u64>) -> Result<Option<SecretRead>, ApiError> {
        let Some(metadata) = self.metadata(path)? else {
            return Ok(None);
        };
        let version = version
            .filter(|v| *v > 0)
            .unwrap_or(metadata.current_version);
        let Some(bookkeeping) = metadata.versions.get(&version) else {
            return Ok(None);
        };
        let data = if bookkeeping.deleted.is_some() || bookkeeping.destroyed {
            None
        } else {
            self.store.get_json::<Value>(&version_key(path, version))?
        };
        Ok(Some(SecretRead {
            data,
            metadata: metadata.version_json(version),
        }))
    }

    /// Writes a new version; `cas` is `options.cas`. Returns the new version's metadata object.
    pub async fn write(
        &self,
        path: &str,
        data: Map<String, Value>,
        cas: Option<u64>,
        now: i64,
    ) -> Result<Value, ApiError> {
        let _guard = self.write_lock(path).lock().await;
        let mut metadata = self.metadata(path)?.unwrap_or_default();
        check_cas(&metadata, cas)?;
        self.put_version(path, &mut metadata, Value::Object(data), now)
            .await
    }

    /// Merges `patch` into the current version (JSON merge patch) as a new version.
    pub async fn patch(
        &self,
        path: &str,
        patch: Map<String, Value>,
        cas: Option<u64>,
        now: i64,
    ) -> Result<Value, ApiError> {
        let _guard = self.write_lock(path).lock().await;
        let Some(mut metadata) = self.metadata(path)? else {
            return Err(ApiError::not_found());
        };
        check_cas(&metadata, cas)?;
        let current = metadata.current_version;
        let live = metadata
            .versions
            .get(&current)
            .is_some_and(|v| v.deleted.is_none() && !v.destroyed);
        let Some(Value::Object(mut data)) = live
            .then(|| self.store.get_json::<Value>(&version_key(path, current)))
            .transpose()?
            .flatten()
        else {
            return Err(ApiError::not_found());
        };
        merge_patch(&mut data, patch);
        self.put_version(path, &mut metadata, Value::Object(data), now)
            .await
    }

    /// Soft-deletes the current version.
    pub async fn delete_latest(&self, path: &str, now: i64) -> Result<(), ApiError> {
        let _guard = self.write_lock(path).lock().await;
        let Some(mut metadata) = self.metadata(path)? else {
            return Ok(());
        };
        let current = metadata.current_version;
        if let Some(version) = metadata.versions.get_mut(&current)
            && version.deleted.is_none()
        {
            version.deleted = Some(now);
            self.store.put_json(&metadata_key(path), &metadata).await?;
        }
        Ok(())
    }

    /// Deletes the secret: every version and its metadata.
    pub async fn delete_all(&self, path: &str) -> Result<(), ApiError> {
        let _guard = self.write_lock(path).lock().await;
        let Some(metadata) = self.metadata(path)? else {
            return Ok(());
        };
        let mut ops: Vec<WriteOp> = metadata
            .versions
            .keys()
            .map(|v| WriteOp::Delete {
                key: version_key(path, *v),
            })
            .collect();
        ops.push(WriteOp::Delete {
            key: metadata_key(path),
        });
        self.store.write(ops).await?;
        Ok(())
    }

    /// The keys directly under `prefix` (folders end in `/`), sorted; empty when none.
    pub fn list(&self, prefix: &str) -> Result<Vec<String>, ApiError> {
        let prefix = prefix.trim_start_matches('/');
        let full = format!("{METADATA_PREFIX}{prefix}");
        let mut keys: Vec<String> = Vec::new();
        for key in self.store.list(&full)? {
            let Some(rest) = key.strip_prefix(&full) else {
                continue;
            };
            let child = match rest.find('/') {
                Some(i) => &rest[..=i],
                None => rest,
            };
            if !child.is_empty() && keys.last().map(String::as_str) != Some(child) {
                keys.push(child.to_string());
            }
        }
        keys.dedup();
        Ok(keys)
    }

    async fn put_version(
        &self,
        path: &str,
        metadata: &mut SecretMetadata,
        data: Value,
        now: i64,
    ) -> Result<Value, ApiError> {
        let version = metadata.current_version + 1;
        if metadata.current_version == 0 {
            metadata.created = now;
            metadata.oldest_version = 1;
        }
        metadata.current_version = version;
        metadata.updated = now;
        metadata.versions.insert(
            version,
            VersionMetadata {
                created: now,
                deleted: None,
                destroyed: false,
            },
        );
        let encoded = serde_json::to_vec(&data).map_err(|e| ApiError::internal(&e))?;
        let mut ops = vec![WriteOp::Put {
            key: version_key(path, version),
            value: encoded,
        }];
        let keep = if metadata.max_versions > 0 {
            metadata.max_versions
        } else {
            DEFAULT_MAX_VERSIONS
        };
        while metadata.versions.len() as u64 > keep {
            let Some((&oldest, _)) = metadata.versions.iter().next() else {
                break;
            };
            metadata.versions.remove(&oldest);
            ops.push(WriteOp::Delete {
                key: version_key(path, oldest),
            });
        }
        metadata.oldest_version = metadata.versions.keys().next().copied().unwrap_or(version);
        let encoded_metadata =
            serde_json::to_vec(&*metadata).map_err(|e| ApiError::internal(&e))?;
        ops.push(WriteOp::Put {
            key: metadata_key(path),
            value: encoded_metadata,
        });
        self.store.write(ops).await?;
        Ok(metadata.version_json(version))
    }

    fn write_lock(&self, path: &str) -> &tokio::sync::Mutex<()> {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        path.hash(&mut hasher);
        let stripe = usize::try_from(hasher.finish() % WRITE_LOCK_STRIPES as u64).unwrap_or(0);
        &self.write_locks[stripe]
    }
}

fn check_cas(metadata: &SecretMetadata, cas: Option<u64>) -> Result<(), ApiError> {
    match cas {
        Some(cas) if cas != metadata.current_version => Err(ApiError::bad_request(
            "check-and-set parameter did not match the current version",
        )),
        None if metadata.cas_required => Err(ApiError::bad_request(
            "check-and-set parameter required for this call",
        )),
        _ => Ok(()),
    }
}

/// RFC 7396: `null` removes a key, objects merge recursively, anything else replaces.
fn merge_patch(target: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (key, value) in patch {
        match value {
            Value::Null => {
                target.remove(&key);
            }
            Value::Object(inner) => {
                let slot = target
                    .entry(key)
                    .or_insert_with(|| Value::Object(Map::new()));
                if !slot.is_object() {
                    *slot = Value::Object(Map::new());
                }
                if let Value::Object(existing) = slot {
                    merge_patch(existing, inner);
                }
            }
            other => {
                target.insert(key, other);
            }
        }
    }
}

fn metadata_key(path: &str) -> String {
    format!("{METADATA_PREFIX}{path}")
}

// The version number after the last `#` keeps keys unique whatever the path contains.
fn version_key(path: &str, version: u64) -> String {
    format!("{VERSION_PREFIX}{path}#{version}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut target = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        let patch = json!({"a": "z", "c": {"f": null}, "n": {"x": 1}});
        let (Value::Object(t), Value::Object(p)) = (&mut target, patch) else {
            unreachable!("objects")
        };
        merge_patch(t, p);
        assert_eq!(target, json!({"a": "z", "c": {"d": "e"}, "n": {"x": 1}}));
    }
}
