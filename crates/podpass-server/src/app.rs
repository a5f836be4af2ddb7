//! The server's state: auth mounts, roles and policies (a core [`Configuration`] kept in memory
//! and written through to storage), tokens, KV v2, and compiled ACLs.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, Weak};

use podpass_core::acl::{Acl, AclCache};
use podpass_core::auth_config::AuthConfig;
use podpass_core::configuration::{Configuration, Origin};
use podpass_core::mount::KubernetesMount;
use podpass_core::role::Role;
use podpass_core::ttl::MountTune;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::kv::KvStore;
use crate::locks::{read, write};
use crate::storage::{ChangeSink, ChangedKey, KeyState, StorageError, Store, WriteOp};
use crate::token::{TokenEntry, TokenStore};

/// Where policies are stored: `sys/policy/<name>` holds the policy text.
const POLICY_PREFIX: &str = "sys/policy/";
/// Where auth mounts are stored: `sys/auth/<path>` holds an [`AuthMountRecord`].
const AUTH_MOUNT_PREFIX: &str = "sys/auth/";
/// Compiled ACLs kept at most; the cache is cleared when full (and on every policy change).
const ACL_CACHE_LIMIT: usize = 4096;
/// How often a tune is redone after another replica changed the same mount first.
const MAX_REDOS: usize = 16;

/// What `sys/auth/<path>` stores about an enabled auth method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthMountRecord {
    /// The method type (`kubernetes`).
    #[serde(rename = "type")]
    pub kind: String,
    /// The accessor (`auth_kubernetes_1a2b3c4d`).
    pub accessor: String,
    /// The description given at enable time.
    pub description: String,
    /// The mount's default lease TTL in seconds (0: the system default), from the enable-time
    /// `config`, a tune or podpass.hcl. Records written before tuning existed read as 0.
    #[serde(default)]
    pub default_lease_ttl: i64,
    /// The mount's maximum lease TTL in seconds (0: the system default).
    #[serde(default)]
    pub max_lease_ttl: i64,
}

impl AuthMountRecord {
    /// The record's lease TTL settings.
    pub fn tune(&self) -> MountTune {
        MountTune {
            default_lease_ttl: self.default_lease_ttl,
            max_lease_ttl: self.max_lease_ttl,
        }
    }

    /// Replaces the record's lease TTL settings.
    pub fn set_tune(&mut self, tune: MountTune) {
        self.default_lease_ttl = tune.default_lease_ttl;
        self.max_lease_ttl = tune.max_lease_ttl;
    }
}

/// Where the time comes from (tests pin it).
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock in Unix seconds.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    })
}

/// Everything a request handler can reach.
pub struct App {
    /// The encrypted, group-committed store.
    pub store: Store,
    /// Live tokens.
    pub tokens: TokenStore,
    /// KV v2 at `secret/`.
    pub kv: KvStore,
    /// The Kubernetes API client for logins (TokenReview, namespace labels, discovery keys).
    pub cluster: crate::cluster::Cluster,
    /// Metrics and the audit log.
    pub telemetry: crate::telemetry::Telemetry,
    configuration: RwLock<Configuration>,
    auth_mounts: RwLock<BTreeMap<String, AuthMountRecord>>,
    acl_cache: AclCache,
    clock: Clock,
    explain_denials: AtomicBool,
    /// Whether what is kept in memory can be trusted: always for a store this process owns;
    /// for a shared one, only while its change feed is followed.
    in_sync: AtomicBool,
}

impl App {
    /// Loads the state kept in `store`.
    pub fn load(store: Store, clock: Clock) -> Result<App, StorageError> {
        let (configuration, auth_mounts) = read_configuration(&store)?;
        Ok(App {
            tokens: TokenStore::load(store.clone())?,
            kv: KvStore::new(store.clone()),
            cluster: crate::cluster::Cluster::default(),
            telemetry: crate::telemetry::Telemetry::default(),
            in_sync: AtomicBool::new(!store.is_shared()),
            store,
            configuration: RwLock::new(configuration),
            auth_mounts: RwLock::new(auth_mounts),
            acl_cache: AclCache::new(ACL_CACHE_LIMIT),
            clock,
            explain_denials: AtomicBool::new(false),
        })
    }

    /// Follows a shared store's change feed, so changes other replicas commit reach this
    /// one's memory. Nothing to do for a store this process owns.
    pub fn follow_changes(self: &Arc<App>) {
        self.store
            .watch(Arc::new(ChangeFollower(Arc::downgrade(self))));
    }

    /// Whether the state in memory can be trusted (see [`App::follow_changes`]): requests are
    /// refused with 503 while it cannot.
    pub fn in_sync(&self) -> bool {
        self.in_sync.load(Ordering::Acquire)
    }

    /// Reloads everything from storage, as after a lost change feed.
    fn reload_all(&self) -> Result<(), StorageError> {
        let (configuration, auth_mounts) = read_configuration(&self.store)?;
        {
            let mut current = write(&self.configuration);
            *current = configuration;
            *write(&self.auth_mounts) = auth_mounts;
            self.acl_cache.clear();
        }
        self.tokens.reload_all()
    }

    /// Brings memory up to date with one stored key another writer changed.
    fn apply_change(&self, change: &ChangedKey) -> Result<(), StorageError> {
        let key = change.key.as_str();
        if let Some(name) = key.strip_prefix(POLICY_PREFIX) {
            let text = self.store.open_change(change)?;
            let mut configuration = write(&self.configuration);
            match text {
                Some(text) => {
                    let text = String::from_utf8_lossy(&text);
                    configuration
                        .put_policy(name, &text, Origin::new(key, 1))
                        .map_err(|e| corrupt(key, &e))?;
                }
                None => {
                    configuration.remove_policy(name);
                }
            }
            self.acl_cache.clear();
        } else if let Some(path) = key.strip_prefix(AUTH_MOUNT_PREFIX) {
            match self.store.open_change_json::<AuthMountRecord>(change)? {
                Some(record) => {
                    let mount = read_mount(&self.store, path, &record)?;
                    write(&self.configuration).insert_mount(mount);
                    write(&self.auth_mounts).insert(path.to_string(), record);
                }
                None => {
                    write(&self.configuration).remove_mount(path);
                    write(&self.auth_mounts).remove(path);
                }
            }
        } else if let Some(rest) = key.strip_prefix("auth/") {
            // Role names hold no '/', so the last "/role/" separates the mount path.
            if let Some((path, role)) = rest.rsplit_once("/role/") {
                let stored = self.store.open_change_json::<Role>(change)?;
                if let Some(mount) = write(&self.configuration).mount_mut(path) {
                    match stored {
                        Some(stored) => mount.put_role(stored),
                        None => {
                            mount.remove_role(role);
                        }
                    }
                }
            } else if let Some(path) = rest.strip_suffix("/config") {
                let config = self.store.open_change_json::<AuthConfig>(change)?;
                if let (Some(config), Some(mount)) =
                    (config, write(&self.configuration).mount_mut(path))
                {
                    mount.set_config(config).map_err(|e| corrupt(key, &e))?;
                }
            }
        }
        Ok(())
    }

    /// Whether a denied request's explanation is added to its response as a warning (dev
    /// servers, and `serve --explain-denials`); otherwise only the log and the audit log get it,
    /// and the client gets Vault's terse answer.
    pub fn explains_denials(&self) -> bool {
        self.explain_denials.load(Ordering::Relaxed)
    }

    /// Turns explanations in denied responses on or off.
    pub fn set_explain_denials(&self, explain: bool) {
        self.explain_denials.store(explain, Ordering::Relaxed);
    }

    /// Now, in Unix seconds.
    pub fn now(&self) -> i64 {
        (self.clock)()
    }

    /// Reads the configuration (mounts, roles, policies).
    pub fn with_configuration<R>(&self, f: impl FnOnce(&Configuration) -> R) -> R {
        f(&read(&self.configuration))
    }

    /// The enabled auth methods.
    pub fn auth_mounts(&self) -> BTreeMap<String, AuthMountRecord> {
        read(&self.auth_mounts).clone()
    }

    /// Whether a Kubernetes auth method is enabled at `path`.
    pub fn has_auth_mount(&self, path: &str) -> bool {
        read(&self.auth_mounts).contains_key(path)
    }

    /// Enables a Kubernetes auth method at `path`.
    pub async fn enable_auth(&self, path: &str, record: AuthMountRecord) -> Result<(), ApiError> {
        if self.has_auth_mount(path) || path == "token" {
            return Err(ApiError::bad_request(format!(
                "path is already in use at {path}/"
            )));
        }
        let key = format!("{AUTH_MOUNT_PREFIX}{path}");
        let value = serde_json::to_vec(&record).map_err(|e| ApiError::internal(&e))?;
        // Absent when written: another replica enabling the same path at once loses.
        let created = self
            .store
            .write(vec![
                WriteOp::Expect {
                    key: key.clone(),
                    value: None,
                },
                WriteOp::Put { key, value },
            ])
            .await;
        match created {
            Err(error) if error.is_conflict() => {
                // Another replica enabled it an instant ago: take its mount now rather than
                // when the change feed tells.
                self.apply_change(&ChangedKey {
                    key: format!("{AUTH_MOUNT_PREFIX}{path}"),
                    now: KeyState::Unsent,
                })?;
                return Err(ApiError::bad_request(format!(
                    "path is already in use at {path}/"
                )));
            }
            other => other?,
        }
        let mut mount = KubernetesMount::new(path, &record.accessor);
        mount.set_ttls(record.tune().effective());
        write(&self.configuration).insert_mount(mount);
        write(&self.auth_mounts).insert(path.to_string(), record);
        Ok(())
    }

    /// Tunes the auth method at `path`: `change` gets its record (lease TTLs, description) and
    /// may refuse; tokens issued from then on use the new TTLs.
    pub async fn tune_auth(
        &self,
        path: &str,
        mut change: impl FnMut(&mut AuthMountRecord) -> Result<(), ApiError>,
    ) -> Result<(), ApiError> {
        let key = format!("{AUTH_MOUNT_PREFIX}{path}");
        let missing = || {
            ApiError::bad_request(format!(
                "tune of path \"auth/{path}/\" failed: no mount entry found"
            ))
        };
        if !self.has_auth_mount(path) {
            return Err(missing());
        }
        // From the record as stored, written only if no other replica changed it meanwhile.
        for _ in 0..MAX_REDOS {
            let stored = self.store.fetch_versioned::<AuthMountRecord>(&key).await?;
            let Some(before) = stored.value.clone() else {
                return Err(missing());
            };
            let mut record = before.clone();
            change(&mut record)?;
            if record == before {
                return Ok(());
            }
            let value = serde_json::to_vec(&record).map_err(|e| ApiError::internal(&e))?;
            let written = self
                .store
                .write(vec![
                    stored.unchanged(),
                    WriteOp::Put {
                        key: key.clone(),
                        value,
                    },
                ])
                .await;
            match written {
                Err(error) if error.is_conflict() => continue,
                other => other?,
            }
            if let Some(mount) = write(&self.configuration).mount_mut(path) {
                mount.set_ttls(record.tune().effective());
            }
            write(&self.auth_mounts).insert(path.to_string(), record);
            return Ok(());
        }
        Err(StorageError::Conflict { key }.into())
    }

    /// Disables the auth method at `path`: its config, roles and tokens go with it.
    pub async fn disable_auth(&self, path: &str) -> Result<(), ApiError> {
        if !self.has_auth_mount(path) {
            return Ok(());
        }
        let mut ops = vec![
            WriteOp::Delete {
                key: format!("{AUTH_MOUNT_PREFIX}{path}"),
            },
            WriteOp::Delete {
                key: config_key(path),
            },
        ];
        for key in self.store.fetch_list(&role_key(path, "")).await? {
            ops.push(WriteOp::Delete { key });
        }
        self.store.write(ops).await?;
        self.tokens
            .revoke(&self.tokens.hashes_from_mount(path))
            .await?;
        write(&self.configuration).remove_mount(path);
        write(&self.auth_mounts).remove(path);
        Ok(())
    }

    /// Stores a mount's config (already validated by the core).
    pub async fn put_auth_config(&self, path: &str, config: AuthConfig) -> Result<(), ApiError> {
        self.store.put_json(&config_key(path), &config).await?;
        if let Some(mount) = write(&self.configuration).mount_mut(path) {
            mount
                .set_config(config)
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
        }
        Ok(())
    }

    /// Stores a role (already validated by the core).
    pub async fn put_role(&self, path: &str, role: Role) -> Result<(), ApiError> {
        self.store
            .put_json(&role_key(path, &role.name), &role)
            .await?;
        if let Some(mount) = write(&self.configuration).mount_mut(path) {
            mount.put_role(role);
        }
        Ok(())
    }

    /// Deletes a role.
    pub async fn delete_role(&self, path: &str, name: &str) -> Result<(), ApiError> {
        let name = podpass_core::names::lowercase(name);
        self.store.delete(&role_key(path, &name)).await?;
        if let Some(mount) = write(&self.configuration).mount_mut(path) {
            mount.remove_role(&name);
        }
        Ok(())
    }

    /// Parses and stores a policy; parse errors are 400s with the policy's line and column.
    pub async fn put_policy(&self, name: &str, text: &str) -> Result<(), ApiError> {
        let name = podpass_core::policy::normalize_name(name);
        // Parse before storing, so a broken policy never reaches storage.
        podpass_core::policy::Policy::parse(&name, text).map_err(|e| policy_error(&e))?;
        let key = format!("{POLICY_PREFIX}{name}");
        self.store
            .write(vec![WriteOp::Put {
                key: key.clone(),
                value: text.as_bytes().to_vec(),
            }])
            .await?;
        write(&self.configuration)
            .put_policy(&name, text, Origin::new(&key, 1))
            .map_err(|e| policy_error(&e))?;
        self.acl_cache.clear();
        Ok(())
    }

    /// Deletes a policy.
    pub async fn delete_policy(&self, name: &str) -> Result<(), ApiError> {
        let name = podpass_core::policy::normalize_name(name);
        self.store.delete(&format!("{POLICY_PREFIX}{name}")).await?;
        write(&self.configuration).remove_policy(&name);
        self.acl_cache.clear();
        Ok(())
    }

    /// The ACL of a token, compiled once per distinct policy set (and identity, when a policy
    /// is templated) and shared.
    pub fn acl_for(&self, token: &TokenEntry) -> Result<Arc<Acl>, ApiError> {
        // The read lock is held while the ACL is compiled and cached, so a policy write (which
        // clears the cache after taking the write lock) never leaves a stale ACL behind.
        let configuration = read(&self.configuration);
        self.acl_cache
            .get_or_compile(
                &configuration,
                &token.profile.policies,
                token.profile.identity.as_ref(),
            )
            .map_err(|e| ApiError::bad_request(e.to_string()))
    }
}

/// The configuration and auth mount records kept in `store`.
fn read_configuration(
    store: &Store,
) -> Result<(Configuration, BTreeMap<String, AuthMountRecord>), StorageError> {
    let mut configuration = Configuration::new();
    let mut auth_mounts = BTreeMap::new();
    for key in store.list(AUTH_MOUNT_PREFIX)? {
        let Some(path) = key.strip_prefix(AUTH_MOUNT_PREFIX) else {
            continue;
        };
        let Some(record) = store.get_json::<AuthMountRecord>(&key)? else {
            continue;
        };
        configuration.insert_mount(read_mount(store, path, &record)?);
        auth_mounts.insert(path.to_string(), record);
    }
    for key in store.list(POLICY_PREFIX)? {
        let Some(name) = key.strip_prefix(POLICY_PREFIX) else {
            continue;
        };
        if let Some(text) = store.get(&key)? {
            let text = String::from_utf8_lossy(&text);
            configuration
                .put_policy(name, &text, Origin::new(&key, 1))
                .map_err(|e| corrupt(&key, &e))?;
        }
    }
    Ok((configuration, auth_mounts))
}

/// The mount at `path` with its config and roles, as stored.
fn read_mount(
    store: &Store,
    path: &str,
    record: &AuthMountRecord,
) -> Result<KubernetesMount, StorageError> {
    let mut mount = KubernetesMount::new(path, &record.accessor);
    mount.set_ttls(record.tune().effective());
    if let Some(config) = store.get_json::<AuthConfig>(&config_key(path))? {
        mount
            .set_config(config)
            .map_err(|e| corrupt(&config_key(path), &e))?;
    }
    for role_key in store.list(&role_key(path, ""))? {
        if let Some(role) = store.get_json::<Role>(&role_key)? {
            mount.put_role(role);
        }
    }
    Ok(mount)
}

/// Applies a shared store's change feed to an [`App`] (held weakly: the feed outlives no
/// server).
struct ChangeFollower(Weak<App>);

impl ChangeSink for ChangeFollower {
    fn changed(&self, changes: &[ChangedKey], own: bool) {
        let Some(app) = self.0.upgrade() else {
            return;
        };
        for change in changes {
            let applied = match change.key.strip_prefix(crate::token::TOKEN_KEY_PREFIX) {
                // This replica's own token writes are in its memory already.
                Some(_) if own => Ok(()),
                Some(hash) => app.tokens.apply_change(hash, change),
                None => app.apply_change(change),
            };
            if let Err(error) = applied {
                // Memory may now differ from storage: reload everything rather than serve it.
                let key = &change.key;
                tracing::warn!(%error, key, "cannot apply a change; reloading everything");
                self.resync();
                return;
            }
        }
    }

    fn resync(&self) {
        let Some(app) = self.0.upgrade() else {
            return;
        };
        app.in_sync.store(false, Ordering::Release);
        match app.reload_all() {
            Ok(()) => app.in_sync.store(true, Ordering::Release),
            Err(error) => tracing::error!(%error, "cannot reload the shared store"),
        }
    }

    fn lost(&self) {
        if let Some(app) = self.0.upgrade() {
            app.in_sync.store(false, Ordering::Release);
        }
    }
}

/// Vault's `failed to parse policy: …` answer, once (syntax errors carry the prefix already),
/// with podpass's line and column.
fn policy_error(error: &podpass_core::policy::PolicyError) -> ApiError {
    let text = error
        .to_string()
        .replacen("failed to parse policy: ", "", 1);
    ApiError::bad_request(format!("failed to parse policy: {text}"))
}

fn config_key(path: &str) -> String {
    format!("auth/{path}/config")
}

fn role_key(path: &str, name: &str) -> String {
    format!("auth/{path}/role/{name}")
}

fn corrupt(key: &str, error: &dyn std::fmt::Display) -> StorageError {
    StorageError::Corrupt {
        key: key.to_string(),
        reason: error.to_string(),
    }
}
