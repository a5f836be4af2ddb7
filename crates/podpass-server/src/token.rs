//! Tokens: Vault's service tokens (`hvs.`), stored only under a keyed hash, and batch tokens
//! (`hvb.`), which are not stored at all but sealed with the server's key.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use podpass_core::identity::Identity;
use podpass_core::ttl::{MountTtls, TtlOutcome, TtlRequest, calculate_ttl};
use serde::{Deserialize, Serialize};

use crate::locks::{lock, read, write};
use crate::storage::{StorageError, Store, WriteOp};

/// Prefix of service tokens, as Vault 1.10+ issues them.
pub const SERVICE_TOKEN_PREFIX: &str = "hvs.";
/// Prefix of batch tokens.
pub const BATCH_TOKEN_PREFIX: &str = "hvb.";
/// Storage prefix of service tokens, keyed by the token's keyed hash.
const TOKEN_KEY_PREFIX: &str = "token/id/";
/// Distinct profiles kept before unused ones are dropped.
const PROFILE_CACHE_LIMIT: usize = 4096;
/// Authenticated data of sealed batch tokens, so no other sealed value passes for one.
const BATCH_TOKEN_PURPOSE: &[u8] = b"podpass batch token v1";

/// Service or batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// Persisted, renewable, revocable.
    Service,
    /// Stateless: sealed into the token itself; not renewable, not revocable.
    Batch,
}

impl TokenKind {
    /// Vault's `type` field.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Service => "service",
            TokenKind::Batch => "batch",
        }
    }
}

/// What renewal needs to redo Vault's TTL arithmetic for a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TtlSettings {
    /// The backend's TTL (a role's `token_ttl`, or the TTL asked for at `auth/token/create`).
    pub backend_ttl: i64,
    /// The backend's max TTL (a role's `token_max_ttl`).
    pub backend_max_ttl: i64,
    /// `token_period`.
    pub period: i64,
    /// `explicit_max_ttl`.
    pub explicit_max_ttl: i64,
    /// The auth mount's default lease TTL.
    pub mount_default_ttl: i64,
    /// The auth mount's max lease TTL.
    pub mount_max_ttl: i64,
}

impl TtlSettings {
    /// Vault's TTL for this token at `now`, asking for `increment` seconds (0: the default).
    pub fn calculate(
        &self,
        increment: i64,
        start_time: i64,
        now: i64,
    ) -> Result<TtlOutcome, podpass_core::ttl::TtlError> {
        calculate_ttl(
            &TtlRequest {
                increment,
                backend_ttl: self.backend_ttl,
                period: self.period,
                backend_max_ttl: self.backend_max_ttl,
                explicit_max_ttl: self.explicit_max_ttl,
                start_time,
                now,
            },
            &MountTtls {
                default_lease_ttl: self.mount_default_ttl,
                max_lease_ttl: self.mount_max_ttl,
            },
        )
    }
}

/// What every token issued to the same identity through the same role has in common. Live
/// tokens share one copy (see [`TokenStore`]), so a hundred thousand tokens from a handful of
/// service accounts cost a handful of profiles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenProfile {
    /// Service or batch.
    pub kind: TokenKind,
    /// Sanitised policy names.
    pub policies: Vec<String>,
    /// The login's identity (fills templated policy paths).
    pub identity: Option<Identity>,
    /// `meta`.
    pub meta: BTreeMap<String, String>,
    /// `display_name`.
    pub display_name: String,
    /// The path that created the token, e.g. `auth/kubernetes/login`.
    pub path: String,
    /// The auth mount that issued the token (`kubernetes`), or `token`.
    pub mount: String,
    /// How to renew.
    pub ttl: TtlSettings,
    /// Whether renewal is allowed.
    pub renewable: bool,
    /// CIDRs the token may be used from.
    pub bound_cidrs: Vec<String>,
    /// Whether the token has no parent.
    pub orphan: bool,
}

/// A token's state, as `auth/token/lookup` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenEntry {
    /// What the token shares with its siblings.
    #[serde(flatten)]
    pub profile: Arc<TokenProfile>,
    /// The accessor (empty for batch tokens, which have none).
    pub accessor: String,
    /// Unix seconds.
    pub creation_time: i64,
    /// The TTL at creation (0: never expires).
    pub creation_ttl: i64,
    /// Unix seconds after which the token is invalid; `None` for tokens that never expire (root).
    pub expire_time: Option<i64>,
    /// Uses left (0 = unlimited).
    pub num_uses: i64,
}

impl TokenEntry {
    /// Seconds left at `now` (0 for tokens that never expire, as Vault shows them).
    pub fn ttl_left(&self, now: i64) -> i64 {
        self.expire_time.map_or(0, |t| (t - now).max(0))
    }

    /// Whether the token has expired at `now`.
    pub fn is_expired(&self, now: i64) -> bool {
        self.expire_time.is_some_and(|t| now >= t)
    }

    /// The entity id (empty for tokens without identity).
    pub fn entity_id(&self) -> &str {
        self.profile
            .identity
            .as_ref()
            .map_or("", |i| i.entity_id.as_str())
    }
}

/// A token found by [`TokenStore::resolve`].
#[derive(Debug, Clone)]
pub struct ResolvedToken {
    /// The stored hash (service tokens) — `None` for batch tokens.
    pub hash: Option<String>,
    /// Its state.
    pub entry: TokenEntry,
}

/// Live service tokens (in memory, written through to storage) and batch-token sealing.
pub struct TokenStore {
    store: Store,
    by_hash: RwLock<HashMap<String, TokenEntry>>,
    hash_by_accessor: RwLock<HashMap<String, String>>,
    /// One shared copy of each distinct profile among live tokens.
    profiles: Mutex<HashMap<String, Arc<TokenProfile>>>,
}

impl TokenStore {
    /// Loads every stored service token.
    pub fn load(store: Store) -> Result<TokenStore, StorageError> {
        let tokens = TokenStore {
            store,
            by_hash: RwLock::new(HashMap::new()),
            hash_by_accessor: RwLock::new(HashMap::new()),
            profiles: Mutex::new(HashMap::new()),
        };
        for key in tokens.store.list(TOKEN_KEY_PREFIX)? {
            let Some(hash) = key.strip_prefix(TOKEN_KEY_PREFIX) else {
                continue;
            };
            if let Some(entry) = tokens.store.get_json::<TokenEntry>(&key)? {
                tokens.remember(hash.to_string(), entry);
            }
        }
        Ok(tokens)
    }

    /// Issues a token for `entry` (its `accessor` is filled in for service tokens). Service tokens
    /// are durable when this returns.
    pub async fn issue(&self, mut entry: TokenEntry) -> Result<(String, TokenEntry), StorageError> {
        match entry.profile.kind {
            TokenKind::Batch => {
                entry.accessor.clear();
                let sealed = self.store.key().seal(
                    BATCH_TOKEN_PURPOSE,
                    &serde_json::to_vec(&entry)
                        .map_err(|e| StorageError::Encoding(e.to_string()))?,
                );
                let token = format!("{BATCH_TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(sealed));
                Ok((token, entry))
            }
            TokenKind::Service => {
                let token = format!("{SERVICE_TOKEN_PREFIX}{}", random_id(24)?);
                self.issue_with_token(&token, entry).await
            }
        }
    }

    /// Stores a service token with a chosen id (the dev server's `--root-token`).
    pub async fn issue_with_token(
        &self,
        token: &str,
        mut entry: TokenEntry,
    ) -> Result<(String, TokenEntry), StorageError> {
        if entry.profile.kind != TokenKind::Service {
            Arc::make_mut(&mut entry.profile).kind = TokenKind::Service;
        }
        entry.accessor = random_id(24)?;
        let hash = self.store.key().token_hash(token);
        self.store
            .put_json(&format!("{TOKEN_KEY_PREFIX}{hash}"), &entry)
            .await?;
        self.remember(hash, entry.clone());
        Ok((token.to_string(), entry))
    }

    /// Finds a live token; expired ones are treated as absent (the sweeper deletes them).
    pub fn resolve(&self, token: &str, now: i64) -> Option<ResolvedToken> {
        let resolved = if let Some(sealed) = token.strip_prefix(BATCH_TOKEN_PREFIX) {
            let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
            let plain = self.store.key().open(BATCH_TOKEN_PURPOSE, &bytes)?;
            let entry: TokenEntry = serde_json::from_slice(&plain).ok()?;
            ResolvedToken { hash: None, entry }
        } else {
            let hash = self.store.key().token_hash(token);
            let entry = read(&self.by_hash).get(&hash)?.clone();
            ResolvedToken {
                hash: Some(hash),
                entry,
            }
        };
        (!resolved.entry.is_expired(now)).then_some(resolved)
    }

    /// The live service token with this accessor (its hash and state; the token itself is not
    /// known: only its hash is kept).
    pub fn resolve_accessor(&self, accessor: &str, now: i64) -> Option<ResolvedToken> {
        let hash = self.hash_for_accessor(accessor)?;
        let entry = read(&self.by_hash).get(&hash)?.clone();
        (!entry.is_expired(now)).then_some(ResolvedToken {
            hash: Some(hash),
            entry,
        })
    }

    /// The hash of the service token with this accessor.
    pub fn hash_for_accessor(&self, accessor: &str) -> Option<String> {
        read(&self.hash_by_accessor).get(accessor).cloned()
    }

    /// Replaces a stored token's state (renewal, a use counted), durably.
    pub async fn update(&self, hash: &str, entry: TokenEntry) -> Result<(), StorageError> {
        self.store
            .put_json(&format!("{TOKEN_KEY_PREFIX}{hash}"), &entry)
            .await?;
        write(&self.by_hash).insert(hash.to_string(), entry);
        Ok(())
    }

    /// Revokes service tokens by hash, durably; unknown hashes are ignored.
    pub async fn revoke(&self, hashes: &[String]) -> Result<(), StorageError> {
        if hashes.is_empty() {
            return Ok(());
        }
        let ops = hashes
            .iter()
            .map(|h| WriteOp::Delete {
                key: format!("{TOKEN_KEY_PREFIX}{h}"),
            })
            .collect();
        self.store.write(ops).await?;
        let mut by_hash = write(&self.by_hash);
        let mut accessors = write(&self.hash_by_accessor);
        for hash in hashes {
            if let Some(entry) = by_hash.remove(hash) {
                accessors.remove(&entry.accessor);
            }
        }
        Ok(())
    }

    /// Hashes of the live tokens issued through an auth mount (to revoke when it is disabled).
    pub fn hashes_from_mount(&self, mount: &str) -> Vec<String> {
        read(&self.by_hash)
            .iter()
            .filter(|(_, e)| e.profile.mount == mount)
            .map(|(h, _)| h.clone())
            .collect()
    }

    /// Deletes the tokens expired at `now`; returns how many.
    pub async fn sweep(&self, now: i64) -> Result<usize, StorageError> {
        let expired: Vec<String> = read(&self.by_hash)
            .iter()
            .filter(|(_, e)| e.is_expired(now))
            .map(|(h, _)| h.clone())
            .collect();
        self.revoke(&expired).await?;
        Ok(expired.len())
    }

    /// How many service tokens are live.
    pub fn live_count(&self) -> usize {
        read(&self.by_hash).len()
    }

    /// Keeps a live token in memory, sharing its profile with siblings.
    fn remember(&self, hash: String, mut entry: TokenEntry) {
        entry.profile = self.intern(&entry.profile);
        write(&self.hash_by_accessor).insert(entry.accessor.clone(), hash.clone());
        write(&self.by_hash).insert(hash, entry);
    }

    fn intern(&self, profile: &Arc<TokenProfile>) -> Arc<TokenProfile> {
        // The JSON form is a complete, stable key (profiles hold maps, which do not hash).
        let Ok(key) = serde_json::to_string(profile.as_ref()) else {
            return Arc::clone(profile);
        };
        let mut profiles = lock(&self.profiles);
        if profiles.len() > PROFILE_CACHE_LIMIT {
            // Forget profiles no live token uses any more.
            profiles.retain(|_, p| Arc::strong_count(p) > 1);
        }
        Arc::clone(profiles.entry(key).or_insert_with(|| Arc::clone(profile)))
    }
}

/// A random identifier of `len` base62 characters (about 5.95 bits each).
pub fn random_id(len: usize) -> Result<String, StorageError> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut buf).map_err(|e| StorageError::Random(e.to_string()))?;
        // Rejection sampling keeps every character equally likely.
        for b in buf {
            if usize::from(b) < ALPHABET.len() * 4 && out.len() < len {
                out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            }
        }
    }
    Ok(out)
}
