//! Durable, encrypted storage for the server.
//!
//! Three layers, each in its own file:
//!
//! - a [`Backend`] is a plain, physical key-value store whose writes are atomic and durable
//!   ([`RedbBackend`] on disk, [`MemoryBackend`] for tests, [`PostgresBackend`] shared by
//!   replicas). It never sees a plaintext value. A shared backend adds non-blocking reads and a
//!   change feed ([`SharedBackend`]), which keeps each replica's in-memory state current.
//! - a [`SealKey`] encrypts values at rest (XChaCha20-Poly1305) and hashes tokens (HMAC-SHA256),
//!   each with its own subkey derived from one 32-byte key read from a file or
//!   [`SEAL_KEY_ENV`].
//! - the [`Store`] is what the rest of the server uses: it seals every value with the storage key
//!   as associated data, and funnels writes through one group-commit writer so that many
//!   concurrent writes share one fsync.

mod backend;
mod group_commit;
mod memory;
mod postgres_backend;
mod redb_backend;
mod seal_key;
mod store;

pub use backend::{
    Backend, BoxFuture, ChangeSink, ChangedKey, KeyState, SharedBackend, StorageError, WriteOp,
};
pub use memory::MemoryBackend;
pub use postgres_backend::{PostgresBackend, PostgresSettings};
pub use redb_backend::RedbBackend;
pub use seal_key::{SEAL_KEY_ENV, SealKey};
pub use store::{CommitStats, Store, Versioned};
