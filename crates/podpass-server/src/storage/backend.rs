//! The physical key-value interface every storage backend implements, and its errors.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

/// One change in an atomic write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOp {
    /// Sets `key` to `value`, replacing any previous value.
    Put {
        /// The '/'-separated storage key.
        key: String,
        /// The bytes to store (sealed by the [`Store`](super::Store) before a backend sees them).
        value: Vec<u8>,
    },
    /// Removes `key`; removing a missing key is not an error.
    Delete {
        /// The '/'-separated storage key.
        key: String,
    },
    /// Writes nothing, but fails the whole write with [`StorageError::Conflict`] unless `key`
    /// holds exactly `value` (`None`: is absent) when the write begins, i.e. before any op of
    /// the same write applies. Read-modify-write
    /// changes carry one, so two servers sharing a backend cannot both change what one read.
    Expect {
        /// The '/'-separated storage key.
        key: String,
        /// The stored (sealed) bytes read before the change, or `None` for "did not exist".
        value: Option<Vec<u8>>,
    },
}

impl WriteOp {
    /// The storage key this change touches.
    pub fn key(&self) -> &str {
        match self {
            WriteOp::Put { key, .. } | WriteOp::Delete { key } | WriteOp::Expect { key, .. } => key,
        }
    }
}

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The backend could not read or write (I/O error, full disk, database file in use...).
    #[error("storage backend failed: {0}")]
    Backend(String),
    /// A stored value failed authentication: it was tampered with, moved from another key, or
    /// sealed with a different seal key.
    #[error("stored value at `{key}` is corrupt: {reason}")]
    Corrupt {
        /// The storage key whose value was rejected.
        key: String,
        /// What was wrong with it.
        reason: String,
    },
    /// A value could not be converted to or from JSON.
    #[error("value at `{key}` could not be (de)serialized as JSON: {reason}")]
    Serialization {
        /// The storage key of the value.
        key: String,
        /// The serde error.
        reason: String,
    },
    /// The seal key file could not be read, created or trusted.
    #[error("seal key file {}: {reason}", path.display())]
    KeyFile {
        /// The key file's path.
        path: PathBuf,
        /// What went wrong, and what to do about it.
        reason: String,
    },
    /// A value could not be encoded for storage (for callers that build [`WriteOp`]s
    /// themselves).
    #[error("value could not be encoded for storage: {0}")]
    Encoding(String),
    /// Seal key text (from the file or the environment) is not base64 of 32 bytes.
    #[error("invalid seal key: {0}")]
    InvalidSealKey(String),
    /// The operating system's random number generator failed.
    #[error("could not get random bytes from the operating system: {0}")]
    Random(String),
    /// The group-commit writer has stopped, so no write can be made durable.
    #[error("the storage writer has stopped; writes are no longer accepted")]
    Closed,
    /// A value read for a read-modify-write changed before the write committed (another
    /// server sharing the backend wrote it): read again and redo the change.
    #[error("`{key}` was changed by another writer; the change must be redone")]
    Conflict {
        /// The storage key that changed.
        key: String,
    },
    /// A shared backend cannot be reached (database down, connection lost, pool exhausted):
    /// nothing was changed that was not acknowledged, and the request may be retried.
    #[error("storage is unavailable: {0}")]
    Unavailable(String),
}

impl StorageError {
    /// Whether the failure is a lost race that redoing the read-modify-write resolves.
    pub fn is_conflict(&self) -> bool {
        matches!(self, StorageError::Conflict { .. })
    }
}

/// A boxed future, for the async half of a backend shared over the network.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// One key a committed write changed, as a change feed tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedKey {
    /// The storage key.
    pub key: String,
    /// What it holds now, when the feed could carry it.
    pub now: KeyState,
}

/// What a changed key holds after the write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyState {
    /// These sealed bytes (open them with [`Store::open_change`](super::Store::open_change)).
    Sealed(Vec<u8>),
    /// Nothing: the key was deleted.
    Deleted,
    /// The value was too large to carry: read the key.
    Unsent,
}

/// Told by a shared backend what other servers (and this one) changed.
///
/// Called from a blocking thread, one call at a time, in commit order: an implementation may
/// read the backend synchronously.
pub trait ChangeSink: Send + Sync + 'static {
    /// `changes` were made by one committed write; `own` when this server wrote them.
    fn changed(&self, changes: &[ChangedKey], own: bool);
    /// The change feed is (again) established: every change from now on is told, so reload
    /// everything kept in memory and trust it again.
    fn resync(&self);
    /// The change feed was lost: changes may be missed until the next [`ChangeSink::resync`].
    fn lost(&self);
}

/// What a backend that several servers share adds: reads that do not block an async worker
/// thread, a change feed, and a health check.
pub trait SharedBackend: Send + Sync {
    /// [`Backend::get`], without blocking.
    fn fetch(&self, key: &str) -> BoxFuture<Result<Option<Vec<u8>>, StorageError>>;
    /// [`Backend::list`], without blocking.
    fn fetch_list(&self, prefix: &str) -> BoxFuture<Result<Vec<String>, StorageError>>;
    /// Starts telling `sink` about committed changes (once; later calls are ignored).
    fn watch(&self, sink: Arc<dyn ChangeSink>);
    /// Whether the backend answers now.
    fn ping(&self) -> BoxFuture<Result<(), StorageError>>;
}

/// A physical key-value backend. Keys are '/'-separated strings like "sys/policy/acl/grade-api".
///
/// Backends store opaque bytes; encryption is the [`Store`](super::Store)'s job, so a backend
/// (and whoever operates it) only ever sees sealed values.
pub trait Backend: Send + Sync + 'static {
    /// The value stored under `key`, if any.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError>;
    /// Every key starting with `prefix`, sorted.
    fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError>;
    /// Applies all ops atomically, in order; durable (fsynced) when it returns Ok. A failed
    /// [`WriteOp::Expect`] fails the whole write with [`StorageError::Conflict`].
    fn write(&self, ops: Vec<WriteOp>) -> Result<(), StorageError>;
    /// The shared half, for a backend other servers write to as well; `None` (the default)
    /// for a backend this process owns alone, whose contents change only through it.
    fn shared(&self) -> Option<&dyn SharedBackend> {
        None
    }
}

/// Checks an [`WriteOp::Expect`] against the value a backend holds for its key.
pub(super) fn check_expected(
    key: &str,
    expected: Option<&[u8]>,
    current: Option<&[u8]>,
) -> Result<(), StorageError> {
    if expected == current {
        Ok(())
    } else {
        Err(StorageError::Conflict {
            key: key.to_owned(),
        })
    }
}
