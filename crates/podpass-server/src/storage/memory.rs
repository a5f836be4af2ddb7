//! An in-memory backend for tests and throwaway servers.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{PoisonError, RwLock};

use super::backend::{Backend, StorageError, WriteOp, check_expected};

/// A [`Backend`] kept in a sorted map in memory: atomic, but gone when the process exits.
#[derive(Debug, Default)]
pub struct MemoryBackend {
    entries: RwLock<BTreeMap<String, Vec<u8>>>,
}

impl MemoryBackend {
    /// An empty in-memory backend.
    pub fn new() -> MemoryBackend {
        MemoryBackend::default()
    }
}

impl Backend for MemoryBackend {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        // A poisoned lock only means another thread panicked mid-read or after a whole write
        // (writes cannot fail halfway), so the map is still consistent.
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        Ok(entries.get(key).cloned())
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        Ok(entries
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .map(|(key, _)| key)
            .take_while(|key| key.starts_with(prefix))
            .cloned()
            .collect())
    }

    fn write(&self, ops: Vec<WriteOp>) -> Result<(), StorageError> {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        for op in &ops {
            if let WriteOp::Expect { key, value } = op {
                check_expected(key, value.as_deref(), entries.get(key).map(Vec::as_slice))?;
            }
        }
        for op in ops {
            match op {
                WriteOp::Put { key, value } => {
                    entries.insert(key, value);
                }
                WriteOp::Delete { key } => {
                    entries.remove(&key);
                }
                WriteOp::Expect { .. } => {}
            }
        }
        Ok(())
    }
}
