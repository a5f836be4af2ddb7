//! The physical key-value interface every storage backend implements, and its errors.

use std::path::PathBuf;

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
}

impl WriteOp {
    /// The storage key this change touches.
    pub fn key(&self) -> &str {
        match self {
            WriteOp::Put { key, .. } | WriteOp::Delete { key } => key,
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
    /// Applies all ops atomically, in order; durable (fsynced) when it returns Ok.
    fn write(&self, ops: Vec<WriteOp>) -> Result<(), StorageError>;
}

/// The behaviour every [`Backend`] must have, run against each implementation by its tests.
#[cfg(test)]
pub(crate) mod contract {
    use super::{Backend, WriteOp};

    /// A `Put` op.
    pub fn put(key: &str, value: &[u8]) -> WriteOp {
        WriteOp::Put {
            key: key.to_owned(),
            value: value.to_vec(),
        }
    }

    fn delete(key: &str) -> WriteOp {
        WriteOp::Delete {
            key: key.to_owned(),
        }
    }

    /// Values round-trip; listing is by prefix, sorted; deletes remove.
    pub fn round_trips_and_lists_by_prefix_in_order(backend: &dyn Backend) {
        backend
            .write(vec![
                put("sys/policy/b", b"2"),
                put("sys/policy/a", b"1"),
                put("sys/policyz", b"3"),
                put("auth/token/x", b"4"),
            ])
            .unwrap();
        assert_eq!(backend.get("sys/policy/b").unwrap(), Some(b"2".to_vec()));
        assert_eq!(backend.get("missing").unwrap(), None);
        assert_eq!(
            backend.list("sys/policy/").unwrap(),
            vec!["sys/policy/a".to_owned(), "sys/policy/b".to_owned()]
        );
        assert_eq!(
            backend.list("").unwrap(),
            vec![
                "auth/token/x",
                "sys/policy/a",
                "sys/policy/b",
                "sys/policyz"
            ]
        );
        assert!(backend.list("zzz").unwrap().is_empty());
        backend.write(vec![delete("sys/policy/a")]).unwrap();
        assert_eq!(backend.get("sys/policy/a").unwrap(), None);
        assert_eq!(backend.list("sys/policy/").unwrap(), vec!["sys/policy/b"]);
    }

    /// The ops of one write apply in their order.
    pub fn applies_ops_in_order(backend: &dyn Backend) {
        backend
            .write(vec![
                put("k", b"first"),
                delete("k"),
                put("k", b"second"),
                put("gone", b"x"),
                delete("gone"),
            ])
            .unwrap();
        assert_eq!(backend.get("k").unwrap(), Some(b"second".to_vec()));
        assert_eq!(backend.get("gone").unwrap(), None);
    }
}
