//! KV version 2 at `secret/`: versioned secrets with soft delete, check-and-set and metadata,
//! shaped as Vault's `kv` v2 engine answers.

use std::collections::BTreeMap;
use std::future::Future;
use std::hash::{Hash, Hasher};

use podpass_core::duration::go_duration_string;
use podpass_core::timestamp::rfc3339;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::storage::{StorageError, Store, Versioned, WriteOp};

/// Where the engine is mounted.
pub const KV_MOUNT: &str = "secret";
/// Versions kept per secret when neither the secret nor the engine's config sets `max_versions`.
const DEFAULT_MAX_VERSIONS: u64 = 10;
const METADATA_PREFIX: &str = "kv/secret/meta/";
const VERSION_PREFIX: &str = "kv/secret/version/";
const CONFIG_KEY: &str = "kv/secret/config";
/// Writes to the same secret are serialised by one of these locks (chosen by a hash of the path);
/// writes to different secrets proceed together, so their commits can be grouped.
const WRITE_LOCK_STRIPES: usize = 64;
/// How often a change is redone after another replica changed the same secret first, before
/// the request fails with 503.
const MAX_REDOS: usize = 64;

/// One version's bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionMetadata {
    /// When it was written (Unix seconds).
    pub created: i64,
    /// When it was, or will be (`delete_version_after`), soft-deleted.
    pub deleted: Option<i64>,
    /// Whether its data was destroyed.
    pub destroyed: bool,
}

impl VersionMetadata {
    /// Whether the version reads as deleted at `now` (a scheduled deletion counts once due).
    pub fn is_deleted(&self, now: i64) -> bool {
        self.deleted.is_some_and(|at| at <= now)
    }
}

/// A secret's metadata (`secret/metadata/<path>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SecretMetadata {
    /// When the metadata or version 1 was first written.
    pub created: i64,
    /// When the last version or metadata write happened.
    pub updated: i64,
    /// The newest version (0 when only metadata was written).
    pub current_version: u64,
    /// The oldest version kept once versions were trimmed (0 until then, as in Vault).
    pub oldest_version: u64,
    /// Versions kept (0: the engine's config, else 10). Vault stores it as a uint32, so a
    /// negative value written wraps.
    pub max_versions: u64,
    /// Whether writes must carry `options.cas`.
    pub cas_required: bool,
    /// User metadata.
    pub custom_metadata: Option<BTreeMap<String, String>>,
    /// Seconds after which a new version is soft-deleted (0: never).
    #[serde(default)]
    pub delete_version_after: i64,
    /// How many times the metadata itself was written.
    #[serde(default)]
    pub current_metadata_version: u64,
    /// Every kept version.
    pub versions: BTreeMap<u64, VersionMetadata>,
}

/// The engine's `config`: defaults for every secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct KvConfig {
    /// Versions kept by default (0: 10).
    pub max_versions: u64,
    /// Whether every write must carry `options.cas`.
    pub cas_required: bool,
    /// Seconds after which a new version is soft-deleted (0: never).
    pub delete_version_after: i64,
}

impl KvConfig {
    /// The body of a `secret/config` read.
    pub fn to_json(&self) -> Value {
        json!({
            "cas_required": self.cas_required,
            "delete_version_after": go_duration_string(self.delete_version_after),
            "max_versions": self.max_versions,
        })
    }
}

/// The fields of a metadata write (`None`: not sent, left as it is).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetadataUpdate {
    /// `max_versions`.
    pub max_versions: Option<u64>,
    /// `cas_required`.
    pub cas_required: Option<bool>,
    /// `delete_version_after`, in seconds.
    pub delete_version_after: Option<i64>,
    /// `custom_metadata`: replaced on a write; merged (a `None` value removes the key) on a
    /// patch.
    pub custom_metadata: Option<BTreeMap<String, Option<String>>>,
}

impl MetadataUpdate {
    /// Sets what the update sends on `metadata`; `patch` merges custom metadata instead of
    /// replacing it.
    fn apply(&self, metadata: &mut SecretMetadata, patch: bool) {
        if let Some(max) = self.max_versions {
            metadata.max_versions = max;
        }
        if let Some(cas) = self.cas_required {
            metadata.cas_required = cas;
        }
        if let Some(after) = self.delete_version_after {
            metadata.delete_version_after = after;
        }
        if let Some(custom) = &self.custom_metadata {
            let mut merged = if patch {
                metadata.custom_metadata.take().unwrap_or_default()
            } else {
                BTreeMap::new()
            };
            for (key, value) in custom {
                match value {
                    Some(value) => {
                        merged.insert(key.clone(), value.clone());
                    }
                    None => {
                        merged.remove(key);
                    }
                }
            }
            metadata.custom_metadata = (!merged.is_empty()).then_some(merged);
        }
    }
}

impl SecretMetadata {
    /// The `metadata` object of a data read or write.
    pub fn version_json(&self, version: u64) -> Value {
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
            "current_metadata_version": self.current_metadata_version,
            "current_version": self.current_version,
            "custom_metadata": self.custom_metadata,
            "delete_version_after": go_duration_string(self.delete_version_after),
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

/// What a patch of a secret's data found.
#[derive(Debug, Clone, PartialEq)]
pub enum PatchOutcome {
    /// A new version was written; its metadata object.
    Written(Value),
    /// No secret at the path.
    Missing,
    /// The current version is deleted or destroyed; its metadata object.
    Gone(Value),
}

/// What to do to the listed versions (`secret/{delete,undelete,destroy}/<path>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionAction {
    /// Soft-delete.
    Delete,
    /// Undo a soft delete.
    Undelete,
    /// Remove the data for good.
    Destroy,
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

    /// The engine's config (defaults when never written).
    pub async fn config(&self) -> Result<KvConfig, ApiError> {
        Ok(self.store.fetch_json(CONFIG_KEY).await?.unwrap_or_default())
    }

    /// Writes the fields of the engine's config that were sent.
    pub async fn put_config(
        &self,
        max_versions: Option<u64>,
        cas_required: Option<bool>,
        delete_version_after: Option<i64>,
    ) -> Result<(), ApiError> {
        let _guard = self.write_lock(CONFIG_KEY).lock().await;
        redo(|| async {
            let stored = self.store.fetch_versioned::<KvConfig>(CONFIG_KEY).await?;
            let mut config = stored.value.clone().unwrap_or_default();
            if let Some(max) = max_versions {
                config.max_versions = max;
            }
            if let Some(cas) = cas_required {
                config.cas_required = cas;
            }
            if let Some(after) = delete_version_after {
                config.delete_version_after = after;
            }
            let ops = vec![stored.unchanged(), put_json(CONFIG_KEY, &config)?];
            Ok(self.store.write(ops).await?)
        })
        .await
    }

    /// The metadata of the secret at `path`, if it exists.
    pub async fn metadata(&self, path: &str) -> Result<Option<SecretMetadata>, ApiError> {
        Ok(self.store.fetch_json(&metadata_key(path)).await?)
    }

    /// Whether a secret exists at `path` (decides create versus update for the ACL).
    pub async fn exists(&self, path: &str) -> Result<bool, ApiError> {
        Ok(self.metadata(path).await?.is_some())
    }

    /// Reads a version (0, negative or `None`: the current one). `None` when there is no such
    /// version.
    pub async fn read(
        &self,
        path: &str,
        version: Option<i64>,
        now: i64,
    ) -> Result<Option<SecretRead>, ApiError> {
        let Some(metadata) = self.metadata(path).await? else {
            return Ok(None);
        };
        let version = version
            .and_then(|v| u64::try_from(v).ok())
            .filter(|v| *v > 0)
            .unwrap_or(metadata.current_version);
        let Some(bookkeeping) = metadata.versions.get(&version) else {
            return Ok(None);
        };
        let data = if bookkeeping.is_deleted(now) || bookkeeping.destroyed {
            None
        } else {
            self.store
                .fetch_json::<Value>(&version_key(path, version))
                .await?
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
        data: Value,
        cas: Option<u64>,
        now: i64,
    ) -> Result<Value, ApiError> {
        let _guard = self.write_lock(path).lock().await;
        redo(|| async {
            let config = self.config().await?;
            let stored = self.versioned_metadata(path).await?;
            let mut metadata = stored.value.clone().unwrap_or_default();
            check_cas(&metadata, &config, cas)?;
            self.put_version(path, &stored, &mut metadata, &config, data.clone(), now)
                .await
        })
        .await
    }

    /// Merges `patch` into the current version (JSON merge patch) as a new version.
    pub async fn patch(
        &self,
        path: &str,
        patch: Map<String, Value>,
        cas: Option<u64>,
        now: i64,
    ) -> Result<PatchOutcome, ApiError> {
        let _guard = self.write_lock(path).lock().await;
        redo(|| async {
            let config = self.config().await?;
            let stored = self.versioned_metadata(path).await?;
            let Some(mut metadata) = stored.value.clone() else {
                return Ok(PatchOutcome::Missing);
            };
            let current = metadata.current_version;
            let Some(bookkeeping) = metadata.versions.get(&current) else {
                return Ok(PatchOutcome::Missing);
            };
            if bookkeeping.is_deleted(now) || bookkeeping.destroyed {
                return Ok(PatchOutcome::Gone(metadata.version_json(current)));
            }
            check_cas(&metadata, &config, cas)?;
            let mut data = match self
                .store
                .fetch_json::<Value>(&version_key(path, current))
                .await?
            {
                Some(Value::Object(data)) => data,
                _ => Map::new(),
            };
            merge_patch(&mut data, patch.clone());
            self.put_version(
                path,
                &stored,
                &mut metadata,
                &config,
                Value::Object(data),
                now,
            )
            .await
            .map(PatchOutcome::Written)
        })
        .await
    }

    /// Soft-deletes the current version (nothing when it is already deleted or destroyed).
    pub async fn delete_latest(&self, path: &str, now: i64) -> Result<(), ApiError> {
        let _guard = self.write_lock(path).lock().await;
        redo(|| async {
            let stored = self.versioned_metadata(path).await?;
            let Some(mut metadata) = stored.value.clone() else {
                return Ok(());
            };
            let current = metadata.current_version;
            if let Some(version) = metadata.versions.get_mut(&current)
                && !version.destroyed
                && !version.is_deleted(now)
            {
                version.deleted = Some(now);
                let ops = vec![
                    stored.unchanged(),
                    put_json(&metadata_key(path), &metadata)?,
                ];
                self.store.write(ops).await?;
            }
            Ok(())
        })
        .await
    }

    /// Deletes, undeletes or destroys the listed versions; versions the secret does not have
    /// are ignored, as is a secret that does not exist.
    pub async fn change_versions(
        &self,
        path: &str,
        action: VersionAction,
        versions: &[i64],
        now: i64,
    ) -> Result<(), ApiError> {
        let _guard = self.write_lock(path).lock().await;
        redo(|| async {
            let config = self.config().await?;
            let stored = self.versioned_metadata(path).await?;
            let Some(mut metadata) = stored.value.clone() else {
                return Ok(());
            };
            let undelete_until = deletion_time(&metadata, &config, now);
            let mut ops = vec![stored.unchanged()];
            for number in versions.iter().filter_map(|v| u64::try_from(*v).ok()) {
                let Some(version) = metadata.versions.get_mut(&number) else {
                    continue;
                };
                if version.destroyed {
                    continue;
                }
                match action {
                    VersionAction::Delete => {
                        if !version.is_deleted(now) {
                            version.deleted = Some(now);
                        }
                    }
                    VersionAction::Undelete => version.deleted = undelete_until,
                    VersionAction::Destroy => {
                        version.destroyed = true;
                        ops.push(WriteOp::Delete {
                            key: version_key(path, number),
                        });
                    }
                }
            }
            ops.push(put_json(&metadata_key(path), &metadata)?);
            Ok(self.store.write(ops).await?)
        })
        .await
    }

    /// Writes a secret's metadata (creating it when `patch` is false and it does not exist).
    /// Returns false when a patch finds no secret.
    pub async fn write_metadata(
        &self,
        path: &str,
        update: MetadataUpdate,
        patch: bool,
        now: i64,
    ) -> Result<bool, ApiError> {
        let _guard = self.write_lock(path).lock().await;
        redo(|| async {
            let stored = self.versioned_metadata(path).await?;
            let mut metadata = match stored.value.clone() {
                Some(metadata) => metadata,
                None if patch => return Ok(false),
                None => SecretMetadata {
                    created: now,
                    ..SecretMetadata::default()
                },
            };
            update.apply(&mut metadata, patch);
            metadata.current_metadata_version += 1;
            metadata.updated = now;
            let ops = vec![
                stored.unchanged(),
                put_json(&metadata_key(path), &metadata)?,
            ];
            self.store.write(ops).await?;
            Ok(true)
        })
        .await
    }

    /// Deletes the secret: every version and its metadata.
    pub async fn delete_all(&self, path: &str) -> Result<(), ApiError> {
        let _guard = self.write_lock(path).lock().await;
        redo(|| async {
            let stored = self.versioned_metadata(path).await?;
            let Some(metadata) = &stored.value else {
                return Ok(());
            };
            let mut ops = vec![stored.unchanged()];
            ops.extend(metadata.versions.keys().map(|v| WriteOp::Delete {
                key: version_key(path, *v),
            }));
            ops.push(WriteOp::Delete {
                key: metadata_key(path),
            });
            Ok(self.store.write(ops).await?)
        })
        .await
    }

    /// The keys directly under `prefix` (folders end in `/`), sorted; empty when none.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, ApiError> {
        let prefix = prefix.trim_start_matches('/');
        let full = format!("{METADATA_PREFIX}{prefix}");
        let mut keys: Vec<String> = Vec::new();
        for key in self.store.fetch_list(&full).await? {
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

    /// The secret's metadata as stored, for a change that must not overwrite a concurrent one.
    async fn versioned_metadata(
        &self,
        path: &str,
    ) -> Result<Versioned<SecretMetadata>, StorageError> {
        self.store.fetch_versioned(&metadata_key(path)).await
    }

    /// Writes `data` as the next version, if the metadata is still as `stored` read it.
    async fn put_version(
        &self,
        path: &str,
        stored: &Versioned<SecretMetadata>,
        metadata: &mut SecretMetadata,
        config: &KvConfig,
        data: Value,
        now: i64,
    ) -> Result<Value, Redo> {
        let version = metadata.current_version + 1;
        if metadata.current_version == 0 && metadata.created == 0 {
            metadata.created = now;
        }
        metadata.current_version = version;
        metadata.updated = now;
        metadata.versions.insert(
            version,
            VersionMetadata {
                created: now,
                deleted: deletion_time(metadata, config, now),
                destroyed: false,
            },
        );
        let mut ops = vec![
            stored.unchanged(),
            put_json(&version_key(path, version), &data)?,
        ];
        // Vault's bookkeeping: once the span from the oldest kept version reaches the limit,
        // everything older than the last `keep` versions goes and `oldest_version` moves up
        // (it stays 0 until the first trim).
        let keep = match metadata.max_versions.max(config.max_versions) {
            0 => DEFAULT_MAX_VERSIONS,
            n => n,
        };
        if version - metadata.oldest_version >= keep {
            let oldest = version - keep + 1;
            let dropped: Vec<u64> = metadata.versions.range(..oldest).map(|(n, _)| *n).collect();
            for number in dropped {
                metadata.versions.remove(&number);
                ops.push(WriteOp::Delete {
                    key: version_key(path, number),
                });
            }
            metadata.oldest_version = oldest;
        }
        ops.push(put_json(&metadata_key(path), &*metadata)?);
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

/// Why one attempt at a change did not finish: another replica changed what it read (redo it),
/// or the change failed.
#[derive(Debug)]
enum Redo {
    Conflict(StorageError),
    Fail(ApiError),
}

impl From<StorageError> for Redo {
    fn from(error: StorageError) -> Redo {
        if error.is_conflict() {
            Redo::Conflict(error)
        } else {
            Redo::Fail(error.into())
        }
    }
}

impl From<ApiError> for Redo {
    fn from(error: ApiError) -> Redo {
        Redo::Fail(error)
    }
}

/// Runs `attempt` until it finishes without losing a race: each attempt reads what it changes
/// afresh, and its write fails if another replica changed that in between.
async fn redo<T, F: Future<Output = Result<T, Redo>>>(
    mut attempt: impl FnMut() -> F,
) -> Result<T, ApiError> {
    let mut last = None;
    for _ in 0..MAX_REDOS {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(Redo::Fail(error)) => return Err(error),
            Err(Redo::Conflict(error)) => last = Some(error),
        }
    }
    Err(last.map_or_else(
        || ApiError::storage_unavailable(&"too many concurrent changes"),
        ApiError::from,
    ))
}

/// A `Put` of `value` as JSON.
fn put_json<T: Serialize + ?Sized>(key: &str, value: &T) -> Result<WriteOp, ApiError> {
    let value = serde_json::to_vec(value).map_err(|e| ApiError::internal(&e))?;
    Ok(WriteOp::Put {
        key: key.to_owned(),
        value,
    })
}

/// When a version written (or undeleted) now is due to be deleted: the shorter of the
/// secret's and the engine's `delete_version_after`, where set.
fn deletion_time(metadata: &SecretMetadata, config: &KvConfig, now: i64) -> Option<i64> {
    [metadata.delete_version_after, config.delete_version_after]
        .into_iter()
        .filter(|after| *after > 0)
        .min()
        .map(|after| now.saturating_add(after))
}

fn check_cas(
    metadata: &SecretMetadata,
    config: &KvConfig,
    cas: Option<u64>,
) -> Result<(), ApiError> {
    match cas {
        Some(cas) if cas != metadata.current_version => Err(ApiError::bad_request(
            "check-and-set parameter did not match the current version",
        )),
        None if metadata.cas_required || config.cas_required => Err(ApiError::bad_request(
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
