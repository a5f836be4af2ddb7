//! The live tokens: service tokens in memory, written through to storage, and batch-token
//! sealing.
//!
//! Every change to a stored token (a use counted, a renewal, a revocation) runs under that
//! token's lock and starts from the entry as it is now, never from a copy resolved earlier, and
//! writes storage before memory. So a revocation cannot be undone by a renewal or a use that
//! raced it, a use limit holds under any concurrency, and what a restart loads is what memory
//! held. Revocations and the creation of children also take one tree lock, so a child is never
//! added under a parent that is being revoked.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tokio::sync::{Mutex as AsyncMutex, MutexGuard as AsyncGuard};

use super::{
    BATCH_TOKEN_PREFIX, ResolvedToken, SERVICE_TOKEN_PREFIX, TokenEntry, TokenKind, TokenProfile,
    random_id,
};
use crate::locks::{lock, read, write};
use crate::storage::{ChangedKey, StorageError, Store, WriteOp};

/// Storage prefix of service tokens, keyed by the token's keyed hash.
pub(crate) const TOKEN_KEY_PREFIX: &str = "token/id/";
/// How often a read-modify-write of one token is redone after losing a race with another
/// replica before the request fails.
const MAX_REDOS: usize = 64;
/// Distinct profiles kept before unused ones are dropped.
const PROFILE_CACHE_LIMIT: usize = 4096;
/// Authenticated data of sealed batch tokens, so no other sealed value passes for one.
const BATCH_TOKEN_PURPOSE: &[u8] = b"podpass batch token v1";
/// Per-token locks are striped: tokens share one of this many locks, as Vault's token store
/// does, so the lock table does not grow with the tokens.
const LOCK_STRIPES: usize = 256;
/// The deepest parent chain followed; deeper chains are treated as broken.
const MAX_TREE_DEPTH: usize = 1024;

/// Why a token could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// Storage or randomness failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The parent was revoked or expired before the child could be added under it.
    #[error("parent token lookup failed: no parent found")]
    ParentGone,
}

/// What a read-modify-write of one token does with it, and what it tells its caller.
enum Rewrite<T> {
    /// Leaves the token as it is.
    Keep(T),
    /// Stores the changed token.
    Store(T),
    /// Deletes the token.
    Delete(T),
}

/// The in-memory state, under one lock so the three maps always agree.
#[derive(Default)]
struct Live {
    by_hash: HashMap<String, TokenEntry>,
    hash_by_accessor: HashMap<String, String>,
    /// Parent hash → the hashes of its live children.
    children: HashMap<String, HashSet<String>>,
}

impl Live {
    /// Whether the token `hash` and each of its ancestors are live at `now`.
    fn is_alive(&self, hash: &str, now: i64) -> bool {
        self.by_hash
            .get(hash)
            .is_some_and(|entry| !entry.is_expired(now) && self.chain_alive(entry, now))
    }

    /// Whether every ancestor of `entry` is live at `now` (orphans: trivially).
    fn chain_alive(&self, entry: &TokenEntry, now: i64) -> bool {
        let mut parent = entry.parent.as_deref();
        for _ in 0..MAX_TREE_DEPTH {
            let Some(hash) = parent else {
                return true;
            };
            match self.by_hash.get(hash) {
                Some(ancestor) if !ancestor.is_expired(now) => parent = ancestor.parent.as_deref(),
                _ => return false,
            }
        }
        false
    }

    /// `roots` and all their descendants that are still stored.
    fn tree_of(&self, roots: &[String]) -> Vec<String> {
        let mut seen: HashSet<&str> = HashSet::new();
        let mut stack: Vec<&str> = roots.iter().map(String::as_str).collect();
        let mut out = Vec::new();
        while let Some(hash) = stack.pop() {
            if !seen.insert(hash) {
                continue;
            }
            if self.by_hash.contains_key(hash) {
                out.push(hash.to_string());
            }
            if let Some(children) = self.children.get(hash) {
                stack.extend(children.iter().map(String::as_str));
            }
        }
        out
    }

    fn insert(&mut self, hash: String, entry: TokenEntry) {
        if let Some(parent) = &entry.parent {
            self.children
                .entry(parent.clone())
                .or_default()
                .insert(hash.clone());
        }
        self.hash_by_accessor
            .insert(entry.accessor.clone(), hash.clone());
        self.by_hash.insert(hash, entry);
    }

    fn remove(&mut self, hash: &str) {
        self.children.remove(hash);
        let Some(entry) = self.by_hash.remove(hash) else {
            return;
        };
        self.hash_by_accessor.remove(&entry.accessor);
        if let Some(parent) = &entry.parent
            && let Some(siblings) = self.children.get_mut(parent)
        {
            siblings.remove(hash);
            if siblings.is_empty() {
                self.children.remove(parent);
            }
        }
    }
}

/// Live service tokens (in memory, written through to storage) and batch-token sealing.
pub struct TokenStore {
    store: Store,
    live: RwLock<Live>,
    /// One shared copy of each distinct profile among live tokens.
    profiles: Mutex<HashMap<String, Arc<TokenProfile>>>,
    /// Serialise the changes to one token (see the module docs).
    stripes: Box<[AsyncMutex<()>]>,
    /// Taken by revocations and by the creation of children, always before any stripe.
    tree: AsyncMutex<()>,
    /// Per stripe, how many changes from other replicas were applied: a token read from a
    /// shared store is kept only if no change to its stripe landed during the read, so a
    /// revocation racing the read is never undone by it.
    changes: Box<[AtomicU64]>,
}

impl TokenStore {
    /// Loads every stored service token.
    pub fn load(store: Store) -> Result<TokenStore, StorageError> {
        let tokens = TokenStore {
            store,
            live: RwLock::new(Live::default()),
            profiles: Mutex::new(HashMap::new()),
            stripes: (0..LOCK_STRIPES).map(|_| AsyncMutex::new(())).collect(),
            tree: AsyncMutex::new(()),
            changes: (0..LOCK_STRIPES).map(|_| AtomicU64::new(0)).collect(),
        };
        tokens.reload_all()?;
        Ok(tokens)
    }

    /// Replaces what is in memory with every stored service token (blocking: at start, and
    /// from a shared store's change feed).
    pub fn reload_all(&self) -> Result<(), StorageError> {
        let mut loaded = Vec::new();
        for key in self.store.list(TOKEN_KEY_PREFIX)? {
            let Some(hash) = key.strip_prefix(TOKEN_KEY_PREFIX) else {
                continue;
            };
            if let Some(entry) = self.store.get_json::<TokenEntry>(&key)? {
                loaded.push((hash.to_string(), entry));
            }
        }
        for counter in &self.changes {
            counter.fetch_add(1, Ordering::AcqRel);
        }
        *write(&self.live) = Live::default();
        for (hash, entry) in loaded {
            self.remember(hash, entry);
        }
        Ok(())
    }

    /// Applies a change another replica made to the token `hash` (blocking, from the change
    /// feed): keeps the token as it is now, or forgets it.
    pub fn apply_change(&self, hash: &str, change: &ChangedKey) -> Result<(), StorageError> {
        self.changes[stripe_index(hash)].fetch_add(1, Ordering::AcqRel);
        match self.store.open_change_json::<TokenEntry>(change)? {
            Some(entry) => self.remember(hash.to_string(), entry),
            None => write(&self.live).remove(hash),
        }
        Ok(())
    }

    /// On a shared store, reads the token `hash` and its ancestors that memory lacks (issued
    /// on another replica an instant ago), so a token works on every replica at once.
    async fn read_through(&self, hash: &str) -> Result<(), StorageError> {
        if !self.store.is_shared() {
            return Ok(());
        }
        let mut next = Some(hash.to_string());
        for _ in 0..MAX_TREE_DEPTH {
            let Some(hash) = next.take() else {
                return Ok(());
            };
            let cached = read(&self.live)
                .by_hash
                .get(&hash)
                .map(|e| e.parent.clone());
            next = match cached {
                Some(parent) => parent,
                None => self.read_one(&hash).await?.and_then(|entry| entry.parent),
            };
        }
        Ok(())
    }

    /// Reads one token from storage into memory. A change to its stripe applied while the read
    /// was in flight may be newer than what was read (a revocation the read must not undo), so
    /// the read is repeated until no change raced it.
    async fn read_one(&self, hash: &str) -> Result<Option<TokenEntry>, StorageError> {
        let counter = &self.changes[stripe_index(hash)];
        for _ in 0..MAX_REDOS {
            let before = counter.load(Ordering::Acquire);
            let Some(mut entry) = self
                .store
                .fetch_json::<TokenEntry>(&storage_key(hash))
                .await?
            else {
                return Ok(None);
            };
            entry.profile = self.intern(&entry.profile);
            // Checked under the lock that `apply_change` needs to change memory: a change
            // counted after this check lands after this insert, so it is never lost.
            let mut live = write(&self.live);
            if counter.load(Ordering::Acquire) == before {
                live.insert(hash.to_string(), entry.clone());
                return Ok(Some(entry));
            }
        }
        Err(StorageError::Conflict {
            key: storage_key(hash),
        })
    }

    /// Issues a token for `entry` (its `accessor` is filled in for service tokens). A child
    /// (`entry.parent` set) is issued only while its parent is live at `now`. Service tokens
    /// are durable when this returns.
    pub async fn issue(
        &self,
        entry: TokenEntry,
        now: i64,
    ) -> Result<(String, TokenEntry), IssueError> {
        let token = match entry.profile.kind {
            TokenKind::Batch => None,
            TokenKind::Service => Some(format!("{SERVICE_TOKEN_PREFIX}{}", random_id(24)?)),
        };
        self.issue_inner(token, entry, now).await
    }

    /// Stores a service token with a chosen id (the dev server's `--root-token`, or an `id`
    /// given by a sudo caller at `auth/token/create`).
    pub async fn issue_with_token(
        &self,
        token: &str,
        mut entry: TokenEntry,
        now: i64,
    ) -> Result<(String, TokenEntry), IssueError> {
        if entry.profile.kind != TokenKind::Service {
            Arc::make_mut(&mut entry.profile).kind = TokenKind::Service;
        }
        self.issue_inner(Some(token.to_string()), entry, now).await
    }

    async fn issue_inner(
        &self,
        token: Option<String>,
        entry: TokenEntry,
        now: i64,
    ) -> Result<(String, TokenEntry), IssueError> {
        let _tree = match &entry.parent {
            Some(parent) => {
                let guard = self.tree.lock().await;
                self.read_through(parent).await?;
                if !read(&self.live).is_alive(parent, now) {
                    return Err(IssueError::ParentGone);
                }
                Some(guard)
            }
            None => None,
        };
        match token {
            None => Ok(self.seal_batch(entry)?),
            Some(token) => Ok(self.store_service(token, entry).await?),
        }
    }

    fn seal_batch(&self, mut entry: TokenEntry) -> Result<(String, TokenEntry), StorageError> {
        entry.accessor.clear();
        let plain =
            serde_json::to_vec(&entry).map_err(|e| StorageError::Encoding(e.to_string()))?;
        let sealed = self.store.key().seal(BATCH_TOKEN_PURPOSE, &plain);
        let token = format!("{BATCH_TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(sealed));
        Ok((token, entry))
    }

    async fn store_service(
        &self,
        token: String,
        mut entry: TokenEntry,
    ) -> Result<(String, TokenEntry), StorageError> {
        entry.accessor = random_id(24)?;
        let hash = self.store.key().token_hash(&token);
        self.store.put_json(&storage_key(&hash), &entry).await?;
        self.remember(hash, entry.clone());
        Ok((token, entry))
    }

    /// Finds a live token: not expired, and with every ancestor live. On a shared store a
    /// token (or ancestor) memory lacks is read from storage.
    pub async fn resolve(
        &self,
        token: &str,
        now: i64,
    ) -> Result<Option<ResolvedToken>, StorageError> {
        let resolved = if let Some(sealed) = token.strip_prefix(BATCH_TOKEN_PREFIX) {
            let Some(entry) = self.open_batch(sealed) else {
                return Ok(None);
            };
            if let Some(parent) = &entry.parent {
                self.read_through(parent).await?;
            }
            ResolvedToken { hash: None, entry }
        } else {
            let hash = self.store.key().token_hash(token);
            self.read_through(&hash).await?;
            let Some(entry) = read(&self.live).by_hash.get(&hash).cloned() else {
                return Ok(None);
            };
            ResolvedToken {
                hash: Some(hash),
                entry,
            }
        };
        let live = read(&self.live);
        Ok(
            (!resolved.entry.is_expired(now) && live.chain_alive(&resolved.entry, now))
                .then_some(resolved),
        )
    }

    fn open_batch(&self, sealed: &str) -> Option<TokenEntry> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        let plain = self.store.key().open(BATCH_TOKEN_PURPOSE, &bytes)?;
        serde_json::from_slice(&plain).ok()
    }

    /// The live service token with this accessor (its hash and state; the token itself is not
    /// known: only its hash is kept).
    pub fn resolve_accessor(&self, accessor: &str, now: i64) -> Option<ResolvedToken> {
        let hash = self.hash_for_accessor(accessor)?;
        let entry = self.live_entry(&hash, now)?;
        Some(ResolvedToken {
            hash: Some(hash),
            entry,
        })
    }

    /// The hash of the stored service token with this accessor.
    pub fn hash_for_accessor(&self, accessor: &str) -> Option<String> {
        read(&self.live).hash_by_accessor.get(accessor).cloned()
    }

    /// Counts one use of the token `hash` at `now`, as it is now (not as a caller resolved it
    /// earlier). Returns the entry after the use, or `None` when the token is no longer live:
    /// revoked, expired, or its last use already spent. The last use revokes the token before
    /// this returns, so no concurrent request gets a use more than the limit allows, on this
    /// replica or any other.
    pub async fn use_once(&self, hash: &str, now: i64) -> Result<Option<TokenEntry>, StorageError> {
        let changed = self
            .rewrite(hash, now, |entry| {
                if entry.num_uses <= 0 {
                    return Ok::<_, StorageError>(Rewrite::Keep(()));
                }
                entry.num_uses -= 1;
                // A use-limited token cannot have created children, so it goes alone.
                Ok(if entry.num_uses == 0 {
                    Rewrite::Delete(())
                } else {
                    Rewrite::Store(())
                })
            })
            .await?;
        Ok(changed.map(|((), entry)| entry))
    }

    /// Changes the token `hash` with `change`, starting from its state now, and stores the
    /// result durably. `Ok(None)`: the token is no longer live, and nothing was changed.
    /// `change` runs again when another replica changed the token meanwhile.
    pub async fn update<T, E: From<StorageError>>(
        &self,
        hash: &str,
        now: i64,
        mut change: impl FnMut(&mut TokenEntry) -> Result<T, E>,
    ) -> Result<Option<(T, TokenEntry)>, E> {
        self.rewrite(hash, now, |entry| change(entry).map(Rewrite::Store))
            .await
    }

    /// The read-modify-write under both: under the token's lock, from the token as stored,
    /// written only if storage still holds what was read (redone when another replica
    /// changed it first).
    async fn rewrite<T, E: From<StorageError>>(
        &self,
        hash: &str,
        now: i64,
        mut change: impl FnMut(&mut TokenEntry) -> Result<Rewrite<T>, E>,
    ) -> Result<Option<(T, TokenEntry)>, E> {
        let _guard = self.stripe(hash).lock().await;
        let key = storage_key(hash);
        for _ in 0..MAX_REDOS {
            let stored = self.store.fetch_versioned::<TokenEntry>(&key).await?;
            let Some(mut entry) = stored.value.clone() else {
                write(&self.live).remove(hash);
                return Ok(None);
            };
            if entry.is_expired(now) || !read(&self.live).chain_alive(&entry, now) {
                return Ok(None);
            }
            let (outcome, op) = match change(&mut entry)? {
                Rewrite::Keep(outcome) => (outcome, None),
                Rewrite::Store(outcome) => {
                    let value = serde_json::to_vec(&entry)
                        .map_err(|e| StorageError::Encoding(e.to_string()))?;
                    (
                        outcome,
                        Some(WriteOp::Put {
                            key: key.clone(),
                            value,
                        }),
                    )
                }
                Rewrite::Delete(outcome) => (outcome, Some(WriteOp::Delete { key: key.clone() })),
            };
            let Some(op) = op else {
                return Ok(Some((outcome, entry)));
            };
            let deleted = matches!(op, WriteOp::Delete { .. });
            match self.store.write(vec![stored.unchanged(), op]).await {
                Ok(()) => {
                    if deleted {
                        write(&self.live).remove(hash);
                    } else {
                        self.remember(hash.to_string(), entry.clone());
                    }
                    return Ok(Some((outcome, entry)));
                }
                Err(error) if error.is_conflict() => {}
                Err(error) => return Err(error.into()),
            }
        }
        Err(StorageError::Conflict { key }.into())
    }

    /// Revokes service tokens by hash, with all their descendants, durably; unknown hashes
    /// are ignored. Returns how many tokens were revoked.
    pub async fn revoke(&self, hashes: &[String]) -> Result<usize, StorageError> {
        let _tree = self.tree.lock().await;
        let doomed = read(&self.live).tree_of(hashes);
        if doomed.is_empty() {
            return Ok(0);
        }
        let _guards = self.lock_stripes(&doomed).await;
        let ops = doomed
            .iter()
            .map(|hash| WriteOp::Delete {
                key: storage_key(hash),
            })
            .collect();
        self.store.write(ops).await?;
        let mut live = write(&self.live);
        for hash in &doomed {
            live.remove(hash);
        }
        Ok(doomed.len())
    }

    /// Revokes the token `hash` alone: its children become orphans (Vault's `revoke-orphan`).
    /// Returns whether the token was live.
    pub async fn revoke_orphaning_children(&self, hash: &str) -> Result<bool, StorageError> {
        let _tree = self.tree.lock().await;
        let children: Vec<String> = {
            let live = read(&self.live);
            if !live.by_hash.contains_key(hash) {
                return Ok(false);
            }
            live.children
                .get(hash)
                .map(|c| c.iter().cloned().collect())
                .unwrap_or_default()
        };
        let mut affected = children.clone();
        affected.push(hash.to_string());
        let _guards = self.lock_stripes(&affected).await;
        let mut orphaned = Vec::with_capacity(children.len());
        let mut ops = vec![WriteOp::Delete {
            key: storage_key(hash),
        }];
        for child in &children {
            if let Some(mut entry) = read(&self.live).by_hash.get(child).cloned() {
                entry.parent = None;
                let value = serde_json::to_vec(&entry)
                    .map_err(|e| StorageError::Encoding(e.to_string()))?;
                ops.push(WriteOp::Put {
                    key: storage_key(child),
                    value,
                });
                orphaned.push((child.clone(), entry));
            }
        }
        self.store.write(ops).await?;
        let mut live = write(&self.live);
        live.remove(hash);
        for (child, entry) in orphaned {
            // The child keeps its own children; only its parent link goes.
            live.by_hash.insert(child, entry);
        }
        Ok(true)
    }

    /// Hashes of the stored tokens issued through an auth mount (to revoke when it is
    /// disabled).
    pub fn hashes_from_mount(&self, mount: &str) -> Vec<String> {
        read(&self.live)
            .by_hash
            .iter()
            .filter(|(_, e)| e.profile.mount == mount)
            .map(|(h, _)| h.clone())
            .collect()
    }

    /// Deletes the tokens expired at `now`, with their descendants, and any token whose parent
    /// is gone; returns how many.
    pub async fn sweep(&self, now: i64) -> Result<usize, StorageError> {
        let dead: Vec<String> = {
            let live = read(&self.live);
            live.by_hash
                .iter()
                .filter(|(_, e)| e.is_expired(now) || !live.chain_alive(e, now))
                .map(|(h, _)| h.clone())
                .collect()
        };
        self.revoke(&dead).await
    }

    /// How many service tokens are stored.
    pub fn live_count(&self) -> usize {
        read(&self.live).by_hash.len()
    }

    /// The token's state now, when it is live.
    fn live_entry(&self, hash: &str, now: i64) -> Option<TokenEntry> {
        let live = read(&self.live);
        live.is_alive(hash, now)
            .then(|| live.by_hash.get(hash).cloned())
            .flatten()
    }

    fn stripe(&self, hash: &str) -> &AsyncMutex<()> {
        &self.stripes[stripe_index(hash)]
    }

    /// Takes the locks of `hashes` in ascending stripe order, each once, so two callers
    /// locking overlapping sets cannot deadlock.
    async fn lock_stripes(&self, hashes: &[String]) -> Vec<AsyncGuard<'_, ()>> {
        let mut indexes: Vec<usize> = hashes.iter().map(|h| stripe_index(h)).collect();
        indexes.sort_unstable();
        indexes.dedup();
        let mut guards = Vec::with_capacity(indexes.len());
        for index in indexes {
            guards.push(self.stripes[index].lock().await);
        }
        guards
    }

    /// Keeps a live token in memory, sharing its profile with siblings.
    fn remember(&self, hash: String, mut entry: TokenEntry) {
        entry.profile = self.intern(&entry.profile);
        write(&self.live).insert(hash, entry);
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

fn storage_key(hash: &str) -> String {
    format!("{TOKEN_KEY_PREFIX}{hash}")
}

/// FNV-1a over the hash's bytes: the hashes are keyed MACs already, so any spread will do.
fn stripe_index(hash: &str) -> usize {
    let folded = hash.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |acc, b| {
        (acc ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    usize::try_from(folded % LOCK_STRIPES as u64).unwrap_or(0)
}
