//! The default durable backend: one redb database file.

use std::fmt::Display;
use std::path::Path;

use redb::{Database, Durability, ReadableTable as _, TableDefinition};

use super::backend::{Backend, StorageError, WriteOp, check_expected};

/// All of podpass's data lives in this one table, keyed by the full '/'-separated path, so a
/// prefix listing is a single ordered range scan.
const ENTRIES: TableDefinition<&str, &[u8]> = TableDefinition::new("podpass_entries");

/// A [`Backend`] in a single redb file: every write is one ACID transaction, fsynced
/// ([`Durability::Immediate`]) before [`Backend::write`] returns.
pub struct RedbBackend {
    database: Database,
}

impl std::fmt::Debug for RedbBackend {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("RedbBackend")
            .finish_non_exhaustive()
    }
}

/// redb's page cache.
const PAGE_CACHE_BYTES: usize = 16 * 1024 * 1024;

impl RedbBackend {
    /// Opens the database file at `path`, creating it (and its table) when missing.
    ///
    /// redb locks the file, so a second server on the same file fails here with a clear error.
    pub fn open(path: &Path) -> Result<RedbBackend, StorageError> {
        restrict_to_owner(path)?;
        // redb caches up to 1 GiB by default; the server keeps its hot state in memory already,
        // so a small page cache keeps the resident size near the working set.
        let database = redb::Builder::new()
            .set_cache_size(PAGE_CACHE_BYTES)
            .create(path)
            .map_err(|error| {
                StorageError::Backend(format!("cannot open database {}: {error}", path.display()))
            })?;
        // Create the table up front so readers never have to tell "no table" from "no key".
        let transaction = database.begin_write().map_err(backend_error)?;
        transaction.open_table(ENTRIES).map_err(backend_error)?;
        transaction.commit().map_err(backend_error)?;
        Ok(RedbBackend { database })
    }
}

/// Creates the database file readable and writable by its owner only (0600), or narrows an
/// existing one to that: values are sealed, but keys (secret paths, policy and role names)
/// are not, as in Vault's storage.
fn restrict_to_owner(path: &Path) -> Result<(), StorageError> {
    let problem =
        |error: std::io::Error| StorageError::Backend(format!("{}: {error}", path.display()));
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        options.open(path).map_err(problem)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(problem)?;
    }
    #[cfg(not(unix))]
    options.open(path).map_err(problem)?;
    Ok(())
}

fn backend_error(error: impl Display) -> StorageError {
    StorageError::Backend(error.to_string())
}

impl Backend for RedbBackend {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let transaction = self.database.begin_read().map_err(backend_error)?;
        let table = transaction.open_table(ENTRIES).map_err(backend_error)?;
        let value = table.get(key).map_err(backend_error)?;
        Ok(value.map(|guard| guard.value().to_vec()))
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        let transaction = self.database.begin_read().map_err(backend_error)?;
        let table = transaction.open_table(ENTRIES).map_err(backend_error)?;
        let mut keys = Vec::new();
        for entry in table.range(prefix..).map_err(backend_error)? {
            let (key, _) = entry.map_err(backend_error)?;
            let key = key.value();
            if !key.starts_with(prefix) {
                break;
            }
            keys.push(key.to_owned());
        }
        Ok(keys)
    }

    fn write(&self, ops: Vec<WriteOp>) -> Result<(), StorageError> {
        let mut transaction = self.database.begin_write().map_err(backend_error)?;
        transaction.set_durability(Durability::Immediate);
        {
            let mut table = transaction.open_table(ENTRIES).map_err(backend_error)?;
            for op in &ops {
                if let WriteOp::Expect { key, value } = op {
                    let current = table.get(key.as_str()).map_err(backend_error)?;
                    check_expected(
                        key,
                        value.as_deref(),
                        current.as_ref().map(|guard| guard.value()),
                    )?;
                }
            }
            for op in &ops {
                match op {
                    WriteOp::Put { key, value } => {
                        table
                            .insert(key.as_str(), value.as_slice())
                            .map_err(backend_error)?;
                    }
                    WriteOp::Delete { key } => {
                        table.remove(key.as_str()).map_err(backend_error)?;
                    }
                    WriteOp::Expect { .. } => {}
                }
            }
        }
        // Dropping an uncommitted transaction on an error above aborts it, so a failed write
        // leaves nothing behind.
        transaction.commit().map_err(backend_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(key: &str, value: &[u8]) -> WriteOp {
        WriteOp::Put {
            key: key.to_owned(),
            value: value.to_vec(),
        }
    }

    #[cfg(unix)]
    #[test]
    fn the_database_file_is_for_its_owner_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("podpass.redb");
        // An existing file with loose permissions is narrowed too.
        std::fs::write(&path, b"").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        drop(RedbBackend::open(&path).unwrap());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn data_survives_reopening_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("podpass.redb");
        {
            let backend = RedbBackend::open(&path).unwrap();
            backend
                .write(vec![put("kv/data/a", b"alpha"), put("kv/data/b", b"beta")])
                .unwrap();
            backend
                .write(vec![WriteOp::Delete {
                    key: "kv/data/b".to_owned(),
                }])
                .unwrap();
        }
        let reopened = RedbBackend::open(&path).unwrap();
        assert_eq!(reopened.get("kv/data/a").unwrap(), Some(b"alpha".to_vec()));
        assert_eq!(reopened.get("kv/data/b").unwrap(), None);
        assert_eq!(reopened.list("kv/").unwrap(), vec!["kv/data/a"]);
    }

    #[test]
    fn a_second_open_of_the_same_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("podpass.redb");
        let _first = RedbBackend::open(&path).unwrap();
        let error = RedbBackend::open(&path).unwrap_err().to_string();
        assert!(error.contains("cannot open database"), "{error}");
        assert!(error.contains("podpass.redb"), "{error}");
    }
}
