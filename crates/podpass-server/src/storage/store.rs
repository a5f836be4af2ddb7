//! The server's handle on storage: sealed values, group-committed writes.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::backend::{Backend, ChangeSink, ChangedKey, KeyState, StorageError, WriteOp};
use super::group_commit::{CommitCounters, GroupCommitWriter, WriteReply};
use super::seal_key::SealKey;

/// Every stored value is sealed with this label plus its storage key as associated data, so a
/// value moved to another key fails to open, and no value sealed for another purpose with the
/// same key (a batch token, say) can pass for a stored value.
const VALUE_PURPOSE_LABEL: &[u8] = b"podpass storage value\0";

/// Group-commit figures since the store started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitStats {
    /// Backend commits that succeeded, i.e. fsyncs.
    pub commits: u64,
    /// Write requests acknowledged as durable; `writes / commits` is the batching factor.
    pub writes: u64,
}

/// A value read for a read-modify-write, with what the write must find unchanged.
#[derive(Debug, Clone)]
pub struct Versioned<T> {
    /// The value, or `None` when the key does not exist.
    pub value: Option<T>,
    key: String,
    sealed: Option<Vec<u8>>,
}

impl<T> Versioned<T> {
    /// The op that makes a write fail with [`StorageError::Conflict`] unless the key still
    /// holds what was read (or is still absent).
    pub fn unchanged(&self) -> WriteOp {
        WriteOp::Expect {
            key: self.key.clone(),
            value: self.sealed.clone(),
        }
    }
}

/// The server's handle: encrypts every value (AAD = the storage key, so values cannot be swapped
/// between keys) and group-commits writes. Cheap to clone (Arc inside).
#[derive(Clone)]
pub struct Store {
    inner: Arc<StoreInner>,
}

struct StoreInner {
    backend: Arc<dyn Backend>,
    key: SealKey,
    counters: Arc<CommitCounters>,
    // Dropped with the last Store clone, which lets the writer finish its queue and exit.
    writer: GroupCommitWriter,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Store")
            .field("commit_stats", &self.commit_stats())
            .finish_non_exhaustive()
    }
}

fn value_purpose(key: &str) -> Vec<u8> {
    [VALUE_PURPOSE_LABEL, key.as_bytes()].concat()
}

fn parse_json<T: serde::de::DeserializeOwned>(
    key: &str,
    bytes: Option<&[u8]>,
) -> Result<Option<T>, StorageError> {
    let Some(bytes) = bytes else {
        return Ok(None);
    };
    serde_json::from_slice(bytes)
        .map(Some)
        .map_err(|error| StorageError::Serialization {
            key: key.to_owned(),
            reason: error.to_string(),
        })
}

impl Store {
    /// Starts the group-commit writer (a dedicated std thread): it takes every write request
    /// queued while the previous commit was running and applies them in ONE backend.write (one
    /// fsync), then acknowledges each. The thread exits when the last clone is dropped.
    pub fn new(backend: Arc<dyn Backend>, key: SealKey) -> Store {
        let counters = Arc::new(CommitCounters::default());
        let writer = GroupCommitWriter::start(Arc::clone(&backend), Arc::clone(&counters));
        Store {
            inner: Arc::new(StoreInner {
                backend,
                key,
                counters,
                writer,
            }),
        }
    }

    /// The decrypted value under `key`; [`StorageError::Corrupt`] when it fails authentication.
    ///
    /// This blocks on a shared backend: request handlers use [`Store::fetch`].
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let sealed = self.inner.backend.get(key)?;
        self.open(key, sealed.as_deref())
    }

    /// The value under `key`, decrypted and parsed from JSON (blocking, as [`Store::get`]).
    pub fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, StorageError> {
        let bytes = self.get(key)?;
        parse_json(key, bytes.as_deref())
    }

    /// Every key starting with `prefix`, sorted (blocking, as [`Store::get`]).
    pub fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        self.inner.backend.list(prefix)
    }

    /// [`Store::get`] without blocking an async worker on a shared backend.
    pub async fn fetch(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let sealed = self.fetch_sealed(key).await?;
        self.open(key, sealed.as_deref())
    }

    /// [`Store::get_json`] without blocking an async worker on a shared backend.
    pub async fn fetch_json<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, StorageError> {
        let bytes = self.fetch(key).await?;
        parse_json(key, bytes.as_deref())
    }

    /// The JSON value under `key` for a read-modify-write: put
    /// [`unchanged`](Versioned::unchanged) in the write, and redo the change when it fails
    /// with [`StorageError::Conflict`].
    pub async fn fetch_versioned<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Versioned<T>, StorageError> {
        let sealed = self.fetch_sealed(key).await?;
        let bytes = self.open(key, sealed.as_deref())?;
        Ok(Versioned {
            value: parse_json(key, bytes.as_deref())?,
            key: key.to_owned(),
            sealed,
        })
    }

    /// [`Store::list`] without blocking an async worker on a shared backend.
    pub async fn fetch_list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        match self.inner.backend.shared() {
            Some(shared) => shared.fetch_list(prefix).await,
            None => self.inner.backend.list(prefix),
        }
    }

    async fn fetch_sealed(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        match self.inner.backend.shared() {
            Some(shared) => shared.fetch(key).await,
            None => self.inner.backend.get(key),
        }
    }

    fn open(&self, key: &str, sealed: Option<&[u8]>) -> Result<Option<Vec<u8>>, StorageError> {
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        self.inner
            .key
            .open(&value_purpose(key), sealed)
            .map(Some)
            .ok_or_else(|| StorageError::Corrupt {
                key: key.to_owned(),
                reason: "it fails authentication: it was modified, copied from another key, \
                         or sealed under a different seal key"
                    .to_owned(),
            })
    }

    /// The plaintext a change feed says `change.key` holds now (reading the key when the feed
    /// could not carry its value); blocking, as [`Store::get`].
    pub fn open_change(&self, change: &ChangedKey) -> Result<Option<Vec<u8>>, StorageError> {
        match &change.now {
            KeyState::Sealed(sealed) => self.open(&change.key, Some(sealed)),
            KeyState::Deleted => Ok(None),
            KeyState::Unsent => self.get(&change.key),
        }
    }

    /// [`Store::open_change`], parsed from JSON.
    pub fn open_change_json<T: serde::de::DeserializeOwned>(
        &self,
        change: &ChangedKey,
    ) -> Result<Option<T>, StorageError> {
        let bytes = self.open_change(change)?;
        parse_json(&change.key, bytes.as_deref())
    }

    /// Whether other servers write to this store too, so what is kept in memory must follow
    /// the change feed ([`Store::watch`]).
    pub fn is_shared(&self) -> bool {
        self.inner.backend.shared().is_some()
    }

    /// Tells `sink` about committed changes, when the store is shared (else nothing to tell:
    /// every change goes through this process).
    pub fn watch(&self, sink: Arc<dyn ChangeSink>) {
        if let Some(shared) = self.inner.backend.shared() {
            shared.watch(sink);
        }
    }

    /// Whether the backend answers now (always, for a backend this process owns).
    pub async fn ping(&self) -> Result<(), StorageError> {
        match self.inner.backend.shared() {
            Some(shared) => shared.ping().await,
            None => Ok(()),
        }
    }

    /// Durable when the future resolves Ok. Ops of one call are atomic together.
    ///
    /// The write is queued as soon as the future is first polled; dropping the future afterwards
    /// does not cancel it.
    pub async fn write(&self, ops: Vec<WriteOp>) -> Result<(), StorageError> {
        if ops.is_empty() {
            return Ok(());
        }
        let reply = self.submit(ops)?;
        // The writer always answers; a dropped reply means the writer thread died.
        reply.await.unwrap_or(Err(StorageError::Closed))
    }

    /// Seals the puts in `ops` and queues them for the next group commit.
    fn submit(&self, ops: Vec<WriteOp>) -> Result<WriteReply, StorageError> {
        let sealed = ops
            .into_iter()
            .map(|op| match op {
                WriteOp::Put { key, value } => {
                    let value = self.inner.key.try_seal(&value_purpose(&key), &value)?;
                    Ok(WriteOp::Put { key, value })
                }
                unsealed @ (WriteOp::Delete { .. } | WriteOp::Expect { .. }) => Ok(unsealed),
            })
            .collect::<Result<Vec<_>, StorageError>>()?;
        self.inner.writer.submit(sealed)
    }

    /// Stores `value` as JSON under `key`; durable when the future resolves Ok.
    pub async fn put_json<T: serde::Serialize>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<(), StorageError> {
        let value = serde_json::to_vec(value).map_err(|error| StorageError::Serialization {
            key: key.to_owned(),
            reason: error.to_string(),
        })?;
        self.write(vec![WriteOp::Put {
            key: key.to_owned(),
            value,
        }])
        .await
    }

    /// Removes `key` (a missing key is not an error); durable when the future resolves Ok.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.write(vec![WriteOp::Delete {
            key: key.to_owned(),
        }])
        .await
    }

    /// The seal key, for sealing data kept outside the store (batch tokens) and hashing tokens.
    pub fn key(&self) -> &SealKey {
        &self.inner.key
    }

    /// Commits and fsyncs so far (for the benchmark's logins-per-fsync figure).
    pub fn commit_stats(&self) -> CommitStats {
        CommitStats {
            commits: self.inner.counters.commits.load(Ordering::Relaxed),
            writes: self.inner.counters.writes.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::sync::{Mutex, mpsc};
    use std::time::Duration;

    use super::*;
    use crate::storage::{MemoryBackend, RedbBackend};

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Secret {
        username: String,
        password: String,
    }

    fn secret() -> Secret {
        Secret {
            username: "grade-api".to_owned(),
            password: "correct horse battery staple".to_owned(),
        }
    }

    fn put(key: &str, value: &[u8]) -> WriteOp {
        WriteOp::Put {
            key: key.to_owned(),
            value: value.to_vec(),
        }
    }

    fn memory_store() -> (Arc<MemoryBackend>, Store) {
        let backend = Arc::new(MemoryBackend::new());
        let store = Store::new(backend.clone(), SealKey::generate().unwrap());
        (backend, store)
    }

    async fn exercise_round_trips(store: &Store) {
        store.put_json("kv/data/app", &secret()).await.unwrap();
        assert_eq!(
            store.get_json::<Secret>("kv/data/app").unwrap(),
            Some(secret())
        );
        assert_eq!(store.get("kv/data/missing").unwrap(), None);
        assert_eq!(store.get_json::<Secret>("kv/data/missing").unwrap(), None);

        store
            .write(vec![
                put("sys/policy/b", b"path \"b\" {}"),
                put("sys/policy/a", b"path \"a\" {}"),
                put("sys/policyx", b"not a policy"),
            ])
            .await
            .unwrap();
        assert_eq!(
            store.list("sys/policy/").unwrap(),
            vec!["sys/policy/a", "sys/policy/b"]
        );
        assert_eq!(
            store.get("sys/policy/a").unwrap(),
            Some(b"path \"a\" {}".to_vec())
        );

        store.delete("sys/policy/a").await.unwrap();
        store.delete("sys/policy/never-existed").await.unwrap();
        assert_eq!(store.get("sys/policy/a").unwrap(), None);
        assert_eq!(store.list("sys/policy/").unwrap(), vec!["sys/policy/b"]);
        store.write(Vec::new()).await.unwrap();
    }

    #[tokio::test]
    async fn round_trips_on_the_memory_backend() {
        let (_, store) = memory_store();
        exercise_round_trips(&store).await;
    }

    #[tokio::test]
    async fn round_trips_on_the_redb_backend() {
        let dir = tempfile::tempdir().unwrap();
        let backend = Arc::new(RedbBackend::open(&dir.path().join("podpass.redb")).unwrap());
        let store = Store::new(backend, SealKey::generate().unwrap());
        exercise_round_trips(&store).await;
    }

    #[tokio::test]
    async fn acknowledged_writes_survive_a_restart_with_the_same_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("podpass.redb");
        let key_file = dir.path().join("seal.key");
        {
            let store = Store::new(
                Arc::new(RedbBackend::open(&database).unwrap()),
                SealKey::load_or_create(&key_file).unwrap(),
            );
            store.put_json("kv/data/app", &secret()).await.unwrap();
            store.put_json("kv/data/gone", &secret()).await.unwrap();
            store.delete("kv/data/gone").await.unwrap();
        }
        let reopened = Store::new(
            Arc::new(RedbBackend::open(&database).unwrap()),
            SealKey::load_or_create(&key_file).unwrap(),
        );
        assert_eq!(
            reopened.get_json::<Secret>("kv/data/app").unwrap(),
            Some(secret())
        );
        assert_eq!(reopened.get("kv/data/gone").unwrap(), None);
        assert_eq!(reopened.list("kv/").unwrap(), vec!["kv/data/app"]);
        drop(reopened);

        // The same file under another key: the data is there but unreadable, and says so.
        let wrong_key = Store::new(
            Arc::new(RedbBackend::open(&database).unwrap()),
            SealKey::generate().unwrap(),
        );
        assert!(matches!(
            wrong_key.get("kv/data/app"),
            Err(StorageError::Corrupt { key, .. }) if key == "kv/data/app"
        ));
    }

    #[tokio::test]
    async fn values_are_not_stored_in_plaintext() {
        let (backend, store) = memory_store();
        let plaintext = serde_json::to_vec(&secret()).unwrap();
        store.put_json("kv/data/app", &secret()).await.unwrap();
        let raw = backend.get("kv/data/app").unwrap().unwrap();
        assert!(raw.len() > plaintext.len());
        for needle in [&b"correct horse"[..], b"grade-api", b"password"] {
            assert!(
                !raw.windows(needle.len()).any(|window| window == needle),
                "raw value contains {:?}",
                String::from_utf8_lossy(needle)
            );
        }
    }

    #[tokio::test]
    async fn tampered_and_swapped_values_are_rejected_as_corrupt() {
        let (backend, store) = memory_store();
        store.write(vec![put("kv/data/a", b"alpha")]).await.unwrap();
        store.write(vec![put("kv/data/b", b"beta")]).await.unwrap();

        let raw_a = backend.get("kv/data/a").unwrap().unwrap();
        let mut tampered = raw_a.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 0x80;
        backend.write(vec![put("kv/data/b", &tampered)]).unwrap();
        let error = store.get("kv/data/b").unwrap_err();
        assert!(
            matches!(&error, StorageError::Corrupt { key, .. } if key == "kv/data/b"),
            "{error:?}"
        );
        assert!(error.to_string().contains("kv/data/b"));

        // A genuine value copied under another key does not open there.
        backend.write(vec![put("kv/data/b", &raw_a)]).unwrap();
        assert!(matches!(
            store.get("kv/data/b"),
            Err(StorageError::Corrupt { .. })
        ));
        assert!(matches!(
            store.get_json::<Secret>("kv/data/b"),
            Err(StorageError::Corrupt { .. })
        ));
        // The original is untouched.
        assert_eq!(store.get("kv/data/a").unwrap(), Some(b"alpha".to_vec()));
    }

    #[tokio::test]
    async fn a_value_of_the_wrong_shape_is_a_serialization_error() {
        let (_, store) = memory_store();
        store
            .write(vec![put("kv/data/a", b"[1, 2]")])
            .await
            .unwrap();
        let error = store.get_json::<Secret>("kv/data/a").unwrap_err();
        assert!(
            matches!(&error, StorageError::Serialization { key, .. } if key == "kv/data/a"),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn concurrent_writes_share_commits() {
        let dir = tempfile::tempdir().unwrap();
        let backend = Arc::new(RedbBackend::open(&dir.path().join("podpass.redb")).unwrap());
        let store = Store::new(backend, SealKey::generate().unwrap());
        let mut tasks = tokio::task::JoinSet::new();
        for index in 0..200 {
            let store = store.clone();
            tasks.spawn(async move {
                store
                    .put_json(&format!("auth/token/{index:03}"), &index)
                    .await
            });
        }
        while let Some(outcome) = tasks.join_next().await {
            outcome.unwrap().unwrap();
        }
        let stats = store.commit_stats();
        assert_eq!(stats.writes, 200);
        assert!(
            stats.commits < stats.writes,
            "no batching happened: {stats:?}"
        );
        assert_eq!(store.list("auth/token/").unwrap().len(), 200);
        for index in 0..200 {
            assert_eq!(
                store
                    .get_json::<i32>(&format!("auth/token/{index:03}"))
                    .unwrap(),
                Some(index)
            );
        }
    }

    /// A memory backend whose first write waits until the test releases it (so the test knows
    /// exactly which requests queue up behind it), and which refuses any write touching a key
    /// under `refused/` (to stand in for a request the backend rejects).
    struct GatedBackend {
        inner: MemoryBackend,
        gate: Mutex<Option<(mpsc::Sender<()>, mpsc::Receiver<()>)>>,
        write_calls: AtomicUsize,
    }

    impl GatedBackend {
        /// The backend, a receiver told when the first write is held, and the release switch.
        fn new() -> (Arc<GatedBackend>, mpsc::Receiver<()>, mpsc::Sender<()>) {
            let (entered_tx, entered_rx) = mpsc::channel();
            let (release_tx, release_rx) = mpsc::channel();
            let backend = Arc::new(GatedBackend {
                inner: MemoryBackend::new(),
                gate: Mutex::new(Some((entered_tx, release_rx))),
                write_calls: AtomicUsize::new(0),
            });
            (backend, entered_rx, release_tx)
        }
    }

    impl Backend for GatedBackend {
        fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
            self.inner.get(key)
        }

        fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
            self.inner.list(prefix)
        }

        fn write(&self, ops: Vec<WriteOp>) -> Result<(), StorageError> {
            self.write_calls.fetch_add(1, Ordering::SeqCst);
            let gate = self.gate.lock().unwrap().take();
            if let Some((entered, release)) = gate {
                entered.send(()).unwrap();
                // Bounded, so a failing test cannot leave the writer (and the join in
                // Store's drop) waiting forever.
                release.recv_timeout(Duration::from_secs(30)).unwrap();
            }
            if let Some(op) = ops.iter().find(|op| op.key().starts_with("refused/")) {
                return Err(StorageError::Backend(format!("refusing {}", op.key())));
            }
            self.inner.write(ops)
        }
    }

    #[tokio::test]
    async fn requests_queued_during_a_commit_form_one_group() {
        let (backend, entered, release) = GatedBackend::new();
        let store = Store::new(backend.clone(), SealKey::generate().unwrap());

        let first = store.submit(vec![put("a/first", b"1")]).unwrap();
        entered.recv().unwrap();
        // The writer is now inside the first commit; these all queue behind it.
        let queued: Vec<_> = (0..50)
            .map(|index| {
                store
                    .submit(vec![
                        put(&format!("b/{index:02}"), b"x"),
                        put(&format!("c/{index:02}"), b"y"),
                    ])
                    .unwrap()
            })
            .collect();
        release.send(()).unwrap();

        first.await.unwrap().unwrap();
        for reply in queued {
            reply.await.unwrap().unwrap();
        }
        assert_eq!(
            store.commit_stats(),
            CommitStats {
                commits: 2,
                writes: 51
            }
        );
        assert_eq!(backend.write_calls.load(Ordering::SeqCst), 2);
        assert_eq!(store.list("b/").unwrap().len(), 50);
        assert_eq!(store.list("c/").unwrap().len(), 50);
        assert_eq!(store.get("c/49").unwrap(), Some(b"y".to_vec()));
    }

    #[tokio::test]
    async fn a_refused_request_does_not_sink_its_group() {
        let (backend, entered, release) = GatedBackend::new();
        let store = Store::new(backend.clone(), SealKey::generate().unwrap());

        let first = store.submit(vec![put("a/first", b"1")]).unwrap();
        entered.recv().unwrap();
        let before = store.submit(vec![put("ok/before", b"2")]).unwrap();
        // Atomic with its refused sibling: must not be applied either.
        let refused = store
            .submit(vec![put("ok/with-refused", b"3"), put("refused/x", b"4")])
            .unwrap();
        let after = store
            .submit(vec![WriteOp::Delete {
                key: "a/first".to_owned(),
            }])
            .unwrap();
        release.send(()).unwrap();

        first.await.unwrap().unwrap();
        before.await.unwrap().unwrap();
        let error = refused.await.unwrap().unwrap_err();
        assert!(error.to_string().contains("refusing refused/x"), "{error}");
        after.await.unwrap().unwrap();

        assert_eq!(store.get("ok/before").unwrap(), Some(b"2".to_vec()));
        assert_eq!(store.get("ok/with-refused").unwrap(), None);
        assert_eq!(store.get("refused/x").unwrap(), None);
        assert_eq!(store.get("a/first").unwrap(), None);
        // first alone, the failed group of three, then each of the three alone.
        assert_eq!(backend.write_calls.load(Ordering::SeqCst), 5);
        assert_eq!(
            store.commit_stats(),
            CommitStats {
                commits: 3,
                writes: 3
            }
        );
    }

    #[tokio::test]
    async fn the_writer_stops_when_the_last_clone_is_dropped() {
        let backend: Arc<dyn Backend> = Arc::new(MemoryBackend::new());
        let store = Store::new(Arc::clone(&backend), SealKey::generate().unwrap());
        let clone = store.clone();
        clone.write(vec![put("k", b"v")]).await.unwrap();
        drop(store);
        // The clone still works after the original is gone.
        clone.delete("k").await.unwrap();
        // The store and its writer thread each hold the backend.
        assert_eq!(Arc::strong_count(&backend), 3);
        drop(clone);
        assert_eq!(Arc::strong_count(&backend), 1);
    }
}
