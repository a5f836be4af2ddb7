//! A backend in PostgreSQL that any number of replicas share, every one of them serving every
//! request.
//!
//! The table holds sealed bytes only (the [`Store`](super::Store) seals before a backend sees a
//! value). Each write is one REPEATABLE READ transaction that checks its
//! [`WriteOp::Expect`]s with `SELECT … FOR UPDATE`, applies its ops, and sends the changed keys
//! with `pg_notify` — delivered to listeners only when, and in the order, transactions commit.
//! Each replica listens on a connection of its own; a heartbeat notices a dead one, and after
//! a reconnect the replica listens first and then reloads everything (NOTIFY is not replayed).
//!
//! The client runs on a small runtime of its own, so the synchronous [`Backend`] calls (made at
//! start-up, by the group-commit thread and by the change feed) can wait for it without
//! blocking or nesting the server's runtime, and request handlers await it through
//! [`SharedBackend`].

use std::future::Future;
use std::str::FromStr;
use std::sync::{Arc, OnceLock, mpsc};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use deadpool_postgres::{
    Hook, HookError, Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime,
};
use futures_util::StreamExt as _;
use futures_util::future::{join_all, try_join_all};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use tokio_postgres::config::SslMode;
use tokio_postgres::error::SqlState;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{AsyncMessage, IsolationLevel, NoTls, Socket};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::backend::{
    Backend, BoxFuture, ChangeSink, ChangedKey, KeyState, SharedBackend, StorageError, WriteOp,
    check_expected,
};
use crate::error::error_chain;

/// The table, created on start when missing; the same text is the documented SQL file.
pub const SCHEMA_SQL: &str = include_str!("postgres_schema.sql");
/// The NOTIFY channel that carries changed keys.
const CHANNEL: &str = "podpass_changes";
/// Serialises concurrent schema creation by replicas starting together (an arbitrary
/// constant, taken as a transaction-scoped advisory lock: never a session lock).
const SCHEMA_LOCK: i64 = 0x706f_6470_6173_7301;
/// Run on every pooled connection when it opens. Every statement podpass sends names a key or
/// a key range, so the primary key's index is always the right plan; but a statement prepared
/// while the table is still small (a new deployment) gets a cached generic plan that scans the
/// whole table, and keeps it as the table grows until autovacuum next analyses it (measured: a
/// minute of logins at a third of their rate). Telling the planner to avoid sequential scans
/// fixes the plan from the start.
const SESSION_SETTINGS: &str = "SET enable_seqscan = off";
/// Every statement podpass prepares: each names a key or a key range of its one table.
const GET: &str = "SELECT value FROM podpass_kv WHERE key = $1";
const LIST_RANGE: &str = "SELECT key FROM podpass_kv WHERE key >= $1 AND key < $2 ORDER BY key";
const LIST_FROM: &str = "SELECT key FROM podpass_kv WHERE key >= $1 ORDER BY key";
const LOCK: &str = "SELECT value FROM podpass_kv WHERE key = $1 FOR UPDATE";
const UPSERT: &str = "INSERT INTO podpass_kv (key, value) VALUES ($1, $2) \
                      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value";
const DELETE: &str = "DELETE FROM podpass_kv WHERE key = $1";
const NOTIFY: &str = "SELECT pg_notify($1, $2)";
const STATEMENTS: [&str; 7] = [GET, LIST_RANGE, LIST_FROM, LOCK, UPSERT, DELETE, NOTIFY];
/// The most notifications applied in one hand-over to a blocking thread.
const MAX_BATCH: usize = 256;
/// The longest any one database call may take before it counts as unavailable.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for a connection (new, or from a pool that is exhausted).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the change feed's connection is checked. A closed connection (the database
/// stopped or restarted) fails at once; the heartbeat finds one that went silent.
const HEARTBEAT: Duration = Duration::from_secs(1);
/// How long a heartbeat may take before the connection counts as dead. Generous: a replica
/// that gives up on its feed refuses every request until it has reloaded, so a busy database
/// or a starved machine must not look like a dead one.
const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(10);
/// NOTIFY payloads must stay under 8000 bytes.
const MAX_PAYLOAD: usize = 7800;
/// Sealed values up to this size (base64) travel in the notification; larger ones are read.
const MAX_CARRIED_VALUE: usize = 3000;
/// How often a write without expectations is retried after a serialization failure.
const BLIND_WRITE_RETRIES: usize = 8;
/// The longest pause between reconnection attempts of the change feed.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// podpass.hcl's `storage "postgresql" {}` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresSettings {
    /// `postgres://user:password@host:port/database?sslmode=…&sslrootcert=…`.
    pub connection_url: String,
    /// The most connections this replica opens for requests (the change feed uses one more).
    pub max_connections: usize,
}

/// How the connections are secured, from the URL's `sslmode` and `sslrootcert`.
#[derive(Clone)]
enum Tls {
    Plain,
    Rustls(MakeRustlsConnect),
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            Tls::Plain => "Tls::Plain",
            Tls::Rustls(_) => "Tls::Rustls",
        })
    }
}

/// The PostgreSQL [`Backend`]; see the module documentation.
pub struct PostgresBackend {
    runtime: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
    pool: Pool,
    config: tokio_postgres::Config,
    tls: Tls,
    /// Tells this replica's own notifications from the others'.
    writer_id: String,
    watching: OnceLock<()>,
}

impl std::fmt::Debug for PostgresBackend {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PostgresBackend")
            .field("writer_id", &self.writer_id)
            .finish_non_exhaustive()
    }
}

impl PostgresBackend {
    /// Connects, and creates the table when it is missing.
    pub fn connect(settings: &PostgresSettings) -> Result<PostgresBackend, StorageError> {
        let (mut config, tls) = parse_url(&settings.connection_url)?;
        config
            .connect_timeout(CONNECT_TIMEOUT)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30))
            .application_name("podpass");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("podpass-postgres")
            .enable_all()
            .build()
            .map_err(|e| {
                StorageError::Backend(format!("cannot start the PostgreSQL client: {e}"))
            })?;
        let manager_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match &tls {
            Tls::Plain => Manager::from_config(config.clone(), NoTls, manager_config),
            Tls::Rustls(tls) => Manager::from_config(config.clone(), tls.clone(), manager_config),
        };
        let pool = Pool::builder(manager)
            .max_size(settings.max_connections.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .post_create(Hook::async_fn(|client, _| {
                Box::pin(async move {
                    client
                        .batch_execute(SESSION_SETTINGS)
                        .await
                        .map_err(HookError::Backend)
                })
            }))
            .build()
            .map_err(|e| StorageError::Backend(format!("PostgreSQL pool: {e}")))?;
        let writer_id = writer_id()?;
        let backend = PostgresBackend {
            handle: runtime.handle().clone(),
            runtime: Some(runtime),
            pool,
            config,
            tls,
            writer_id,
            watching: OnceLock::new(),
        };
        let pool = backend.pool.clone();
        backend
            .wait(create_schema(pool.clone()))
            .map_err(|e| StorageError::Backend(format!("cannot prepare the database: {e}")))?;
        backend.wait(warm_up(pool, settings.max_connections.max(1)))?;
        Ok(backend)
    }

    /// Runs `future` on the client's runtime and waits for it on this (non-async) thread.
    fn wait<T: Send + 'static>(
        &self,
        future: impl Future<Output = Result<T, StorageError>> + Send + 'static,
    ) -> Result<T, StorageError> {
        let (answer, reply) = mpsc::sync_channel(1);
        self.handle.spawn(async move {
            let _ = answer.send(timed(future).await);
        });
        reply.recv().unwrap_or_else(|_| Err(stopped()))
    }

    /// Runs `future` on the client's runtime; the caller awaits it from any runtime.
    fn spawn<T: Send + 'static>(
        &self,
        future: impl Future<Output = Result<T, StorageError>> + Send + 'static,
    ) -> BoxFuture<Result<T, StorageError>> {
        let task = self.handle.spawn(timed(future));
        Box::pin(async move { task.await.unwrap_or_else(|_| Err(stopped())) })
    }
}

impl Drop for PostgresBackend {
    fn drop(&mut self) {
        // Dropping a runtime waits for its tasks, which an async caller may not do.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Backend for PostgresBackend {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        self.wait(get(self.pool.clone(), key.to_owned()))
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        self.wait(list(self.pool.clone(), prefix.to_owned()))
    }

    fn write(&self, ops: Vec<WriteOp>) -> Result<(), StorageError> {
        self.wait(write(self.pool.clone(), ops, self.writer_id.clone()))
    }

    fn shared(&self) -> Option<&dyn SharedBackend> {
        Some(self)
    }
}

impl SharedBackend for PostgresBackend {
    fn fetch(&self, key: &str) -> BoxFuture<Result<Option<Vec<u8>>, StorageError>> {
        self.spawn(get(self.pool.clone(), key.to_owned()))
    }

    fn fetch_list(&self, prefix: &str) -> BoxFuture<Result<Vec<String>, StorageError>> {
        self.spawn(list(self.pool.clone(), prefix.to_owned()))
    }

    fn watch(&self, sink: Arc<dyn ChangeSink>) {
        if self.watching.set(()).is_err() {
            return;
        }
        let feed = ChangeFeed {
            config: self.config.clone(),
            tls: self.tls.clone(),
            sink,
            writer_id: self.writer_id.clone(),
        };
        self.handle.spawn(feed.run());
    }

    fn ping(&self) -> BoxFuture<Result<(), StorageError>> {
        let pool = self.pool.clone();
        self.spawn(async move {
            let client = pool.get().await.map_err(pool_error)?;
            client.simple_query("SELECT 1").await.map_err(db_error)?;
            Ok(())
        })
    }
}

/// A random name for this process's writes, so its feed can tell them from the others'.
fn writer_id() -> Result<String, StorageError> {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|error| StorageError::Random(error.to_string()))?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

async fn timed<T>(
    future: impl Future<Output = Result<T, StorageError>>,
) -> Result<T, StorageError> {
    tokio::time::timeout(CALL_TIMEOUT, future)
        .await
        .unwrap_or_else(|_| {
            Err(StorageError::Unavailable(format!(
                "PostgreSQL did not answer within {} s",
                CALL_TIMEOUT.as_secs()
            )))
        })
}

fn stopped() -> StorageError {
    StorageError::Unavailable("the PostgreSQL client has stopped".to_owned())
}

async fn create_schema(pool: Pool) -> Result<(), StorageError> {
    let mut client = pool.get().await.map_err(pool_error)?;
    let transaction = client.transaction().await.map_err(db_error)?;
    transaction
        .execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
        .await
        .map_err(db_error)?;
    // "relation already exists, skipping" on every start but the first is no news.
    transaction
        .batch_execute("SET LOCAL client_min_messages = warning")
        .await
        .map_err(db_error)?;
    transaction
        .batch_execute(SCHEMA_SQL)
        .await
        .map_err(db_error)?;
    transaction.commit().await.map_err(db_error)
}

/// Opens the pool's connections and prepares every statement on each. Opened on demand
/// instead, they open during the first burst of requests, whose requests then wait behind new
/// database sessions (measured on loopback under load: a second and more at the p99). Best
/// effort: a connection that cannot be opened now is opened when it is needed.
async fn warm_up(pool: Pool, connections: usize) -> Result<(), StorageError> {
    let clients = join_all((0..connections).map(|_| pool.get())).await;
    for client in clients.iter().flatten() {
        try_join_all(
            STATEMENTS
                .iter()
                .map(|statement| client.prepare_cached(statement)),
        )
        .await
        .map_err(db_error)?;
    }
    Ok(())
}

async fn get(pool: Pool, key: String) -> Result<Option<Vec<u8>>, StorageError> {
    let client = pool.get().await.map_err(pool_error)?;
    let statement = client.prepare_cached(GET).await.map_err(db_error)?;
    let row = client
        .query_opt(&statement, &[&key])
        .await
        .map_err(db_error)?;
    row.map(|row| row.try_get::<_, Vec<u8>>(0).map_err(db_error))
        .transpose()
}

async fn list(pool: Pool, prefix: String) -> Result<Vec<String>, StorageError> {
    let client = pool.get().await.map_err(pool_error)?;
    // A range on the primary key, not starts_with(): PostgreSQL scans the whole table for that.
    let rows = match prefix_end(&prefix) {
        Some(end) => {
            let statement = client.prepare_cached(LIST_RANGE).await.map_err(db_error)?;
            client.query(&statement, &[&prefix, &end]).await
        }
        None => {
            let statement = client.prepare_cached(LIST_FROM).await.map_err(db_error)?;
            client.query(&statement, &[&prefix]).await
        }
    }
    .map_err(db_error)?;
    let mut keys = Vec::with_capacity(rows.len());
    for row in rows {
        let key: String = row.try_get(0).map_err(db_error)?;
        if key.starts_with(&prefix) {
            keys.push(key);
        }
    }
    Ok(keys)
}

/// The smallest string greater than every string that starts with `prefix`, in byte order:
/// the prefix with its last character incremented. `None` when there is none (an empty
/// prefix, or one that ends in the last code point).
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

async fn write(pool: Pool, ops: Vec<WriteOp>, writer_id: String) -> Result<(), StorageError> {
    let guarded = ops.iter().any(|op| matches!(op, WriteOp::Expect { .. }));
    let mut attempts = 0;
    loop {
        match write_once(&pool, &ops, &writer_id).await {
            // A write with no expectation of its own only lost a race for the same rows:
            // last writer wins, as on a single server.
            Err(StorageError::Conflict { .. }) if !guarded && attempts < BLIND_WRITE_RETRIES => {
                attempts += 1;
            }
            outcome => return outcome,
        }
    }
}

async fn write_once(pool: &Pool, ops: &[WriteOp], writer_id: &str) -> Result<(), StorageError> {
    let mut client = pool.get().await.map_err(pool_error)?;
    let transaction = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .start()
        .await
        .map_err(db_error)?;
    let conflict = |error| conflict_on(error, ops);
    let lock = transaction.prepare_cached(LOCK).await.map_err(conflict)?;
    let upsert = transaction.prepare_cached(UPSERT).await.map_err(conflict)?;
    let delete = transaction.prepare_cached(DELETE).await.map_err(conflict)?;
    // Statements sent together are pipelined on the connection (one round trip, not one per
    // op) and still run in the order sent.
    let expectations: Vec<(&String, &Option<Vec<u8>>)> = ops
        .iter()
        .filter_map(|op| match op {
            WriteOp::Expect { key, value } => Some((key, value)),
            _ => None,
        })
        .collect();
    let current = try_join_all(
        expectations
            .iter()
            .map(|(key, _)| async { transaction.query_opt(&lock, &[*key]).await }),
    )
    .await
    .map_err(conflict)?;
    for ((key, expected), row) in expectations.iter().zip(current) {
        let current = row
            .map(|row| row.try_get::<_, Vec<u8>>(0))
            .transpose()
            .map_err(db_error)?;
        check_expected(key, expected.as_deref(), current.as_deref())?;
    }
    let payloads = notification_payloads(writer_id, ops);
    let (pipelined, upsert, delete) = (&transaction, &upsert, &delete);
    let changes = ops.iter().filter_map(|op| match op {
        WriteOp::Put { .. } | WriteOp::Delete { .. } => Some(async move {
            match op {
                WriteOp::Put { key, value } => pipelined.execute(upsert, &[key, value]).await,
                WriteOp::Delete { key } => pipelined.execute(delete, &[key]).await,
                WriteOp::Expect { .. } => Ok(0),
            }
        }),
        WriteOp::Expect { .. } => None,
    });
    let notify = transaction.prepare_cached(NOTIFY).await.map_err(conflict)?;
    let notify = &notify;
    let notifications = payloads
        .iter()
        .map(|payload| async move { pipelined.execute(notify, &[&CHANNEL, payload]).await });
    // The changes and their notifications go in one round trip; NOTIFY is delivered at COMMIT.
    futures_util::future::try_join(try_join_all(changes), try_join_all(notifications))
        .await
        .map_err(conflict)?;
    transaction.commit().await.map_err(conflict)
}

/// One notification: who wrote, and the changed keys with their sealed values where they fit
/// (`all` when a key is too long to name: the listener reloads everything).
#[derive(Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Notification {
    #[serde(rename = "w")]
    writer: String,
    #[serde(rename = "c", default)]
    changes: Vec<WireChange>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    all: bool,
}

/// One changed key on the wire: `v` the sealed value in base64, `d` deleted, neither: read it.
#[derive(Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct WireChange {
    #[serde(rename = "k")]
    key: String,
    #[serde(rename = "v", default, skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    #[serde(rename = "d", default, skip_serializing_if = "std::ops::Not::not")]
    deleted: bool,
}

impl WireChange {
    fn into_change(self) -> ChangedKey {
        let now = match (self.value, self.deleted) {
            (_, true) => KeyState::Deleted,
            (Some(value), false) => STANDARD
                .decode(value)
                .map_or(KeyState::Unsent, KeyState::Sealed),
            (None, false) => KeyState::Unsent,
        };
        ChangedKey { key: self.key, now }
    }
}

/// The changes of `ops` as JSON payloads under PostgreSQL's size limit. Carrying the sealed
/// values spares every other replica a read of each key it is told about.
fn notification_payloads(writer_id: &str, ops: &[WriteOp]) -> Vec<String> {
    let encode = |changes: Vec<WireChange>, all: bool| {
        serde_json::to_string(&Notification {
            writer: writer_id.to_owned(),
            changes,
            all,
        })
        .unwrap_or_default()
    };
    let mut payloads = Vec::new();
    let mut batch: Vec<WireChange> = Vec::new();
    let mut size = 0;
    for op in ops {
        let change = match op {
            WriteOp::Put { key, value } => {
                let encoded = STANDARD.encode(value);
                WireChange {
                    key: key.clone(),
                    value: (encoded.len() <= MAX_CARRIED_VALUE).then_some(encoded),
                    deleted: false,
                }
            }
            WriteOp::Delete { key } => WireChange {
                key: key.clone(),
                value: None,
                deleted: true,
            },
            WriteOp::Expect { .. } => continue,
        };
        // Escaping can at most sextuple a key's length; base64 needs none.
        let cost = change.key.len() * 6 + change.value.as_ref().map_or(0, String::len) + 24;
        if cost + 64 > MAX_PAYLOAD {
            payloads.push(encode(Vec::new(), true));
            continue;
        }
        if size + cost + 64 > MAX_PAYLOAD {
            payloads.push(encode(std::mem::take(&mut batch), false));
            size = 0;
        }
        size += cost;
        batch.push(change);
    }
    if !batch.is_empty() {
        payloads.push(encode(batch, false));
    }
    payloads
}

/// One replica's subscription to the changes every replica commits.
struct ChangeFeed {
    config: tokio_postgres::Config,
    tls: Tls,
    sink: Arc<dyn ChangeSink>,
    writer_id: String,
}

impl ChangeFeed {
    /// Follows the feed for as long as the process lives, reconnecting with a backoff.
    async fn run(self) {
        let mut backoff = Duration::from_millis(100);
        loop {
            let error = match self.follow(&mut backoff).await {
                Ok(()) => continue,
                Err(error) => error,
            };
            tracing::warn!(%error, "lost the PostgreSQL change feed; reconnecting");
            let sink = Arc::clone(&self.sink);
            let _ = tokio::task::spawn_blocking(move || sink.lost()).await;
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// Listens, resyncs, then hands each notification to the sink until the connection fails.
    async fn follow(&self, backoff: &mut Duration) -> Result<(), StorageError> {
        let (client, mut notifications) = match &self.tls {
            Tls::Plain => open_feed(&self.config, NoTls).await?,
            Tls::Rustls(tls) => open_feed(&self.config, tls.clone()).await?,
        };
        client
            .batch_execute(&format!("LISTEN {CHANNEL}"))
            .await
            .map_err(db_error)?;
        // Listening before reloading: a change committed during the reload is told after it.
        let sink = Arc::clone(&self.sink);
        tokio::task::spawn_blocking(move || sink.resync())
            .await
            .map_err(|e| StorageError::Backend(format!("resync failed: {e}")))?;
        tracing::info!("following the PostgreSQL change feed");
        *backoff = Duration::from_millis(100);
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        loop {
            tokio::select! {
                payload = notifications.recv() => {
                    let Some(payload) = payload else {
                        return Err(StorageError::Unavailable("the connection closed".into()));
                    };
                    // Whatever else has arrived goes with it: one hand-over to a blocking
                    // thread per batch, not per notification, is what keeps up under load.
                    let mut payloads = vec![payload];
                    while payloads.len() < MAX_BATCH
                        && let Ok(payload) = notifications.try_recv()
                    {
                        payloads.push(payload);
                    }
                    self.deliver(payloads).await?;
                }
                _ = heartbeat.tick() => {
                    tokio::time::timeout(HEARTBEAT_TIMEOUT, client.simple_query("SELECT 1"))
                        .await
                        .map_err(|_| StorageError::Unavailable("heartbeat timed out".into()))?
                        .map_err(db_error)?;
                }
            }
        }
    }

    /// Applies notifications in the order they arrived; one that asks for everything to be
    /// reloaded covers the whole batch, since the reload reads at least what they told.
    async fn deliver(&self, payloads: Vec<String>) -> Result<(), StorageError> {
        let mut batch = Vec::with_capacity(payloads.len());
        let mut reload = false;
        for payload in payloads {
            let Ok(notification) = serde_json::from_str::<Notification>(&payload) else {
                tracing::warn!(payload, "ignoring a notification podpass did not send");
                continue;
            };
            reload |= notification.all;
            let own = notification.writer == self.writer_id;
            let changes: Vec<ChangedKey> = notification
                .changes
                .into_iter()
                .map(WireChange::into_change)
                .collect();
            batch.push((changes, own));
        }
        let sink = Arc::clone(&self.sink);
        tokio::task::spawn_blocking(move || {
            if reload {
                sink.resync();
            } else {
                for (changes, own) in &batch {
                    sink.changed(changes, *own);
                }
            }
        })
        .await
        .map_err(|e| StorageError::Backend(format!("applying a change failed: {e}")))
    }
}

/// A dedicated connection whose notifications arrive on the returned channel.
async fn open_feed<T>(
    config: &tokio_postgres::Config,
    tls: T,
) -> Result<
    (
        tokio_postgres::Client,
        tokio::sync::mpsc::UnboundedReceiver<String>,
    ),
    StorageError,
>
where
    T: MakeTlsConnect<Socket>,
    T::Stream: Send + 'static,
{
    let (client, mut connection) = config.connect(tls).await.map_err(db_error)?;
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(message)) = messages.next().await {
            if let AsyncMessage::Notification(notification) = message
                && sender.send(notification.payload().to_owned()).is_err()
            {
                break;
            }
        }
    });
    Ok((client, receiver))
}

fn pool_error(error: PoolError) -> StorageError {
    match error {
        PoolError::Backend(error) => db_error(error),
        other => StorageError::Unavailable(format!("no PostgreSQL connection: {other}")),
    }
}

/// A database error as a conflict when it is a serialization failure or a deadlock, which
/// redoing the write resolves.
fn conflict_on(error: tokio_postgres::Error, ops: &[WriteOp]) -> StorageError {
    let code = error.code();
    if code == Some(&SqlState::T_R_SERIALIZATION_FAILURE)
        || code == Some(&SqlState::T_R_DEADLOCK_DETECTED)
    {
        return StorageError::Conflict {
            key: ops
                .first()
                .map(|op| op.key().to_owned())
                .unwrap_or_default(),
        };
    }
    db_error(error)
}

fn db_error(error: tokio_postgres::Error) -> StorageError {
    let Some(database) = error.as_db_error() else {
        // No SQLSTATE: the connection failed, closed or timed out.
        return StorageError::Unavailable(format!("PostgreSQL: {}", error_chain(&error)));
    };
    let class = &database.code().code()[..2];
    // 08: connection exception; 57: operator intervention (shutdown, cannot connect now);
    // 53: insufficient resources (too many connections, disk full).
    if matches!(class, "08" | "57" | "53") {
        StorageError::Unavailable(format!("PostgreSQL: {}", database.message()))
    } else {
        StorageError::Backend(format!("PostgreSQL: {}", database.message()))
    }
}

/// Splits `sslmode` and `sslrootcert` (which tokio-postgres does not read the way libpq does)
/// off the URL, and reads the rest as tokio-postgres's configuration. Errors never repeat the
/// URL, which may carry a password.
fn parse_url(url: &str) -> Result<(tokio_postgres::Config, Tls), StorageError> {
    let invalid = |reason: String| StorageError::Backend(format!("connection_url: {reason}"));
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut kept = form_urlencoded::Serializer::new(String::new());
    let mut ssl_mode = None;
    let mut root_cert = None;
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "sslmode" => ssl_mode = Some(value.into_owned()),
            "sslrootcert" => root_cert = Some(value.into_owned()),
            _ => {
                kept.append_pair(&name, &value);
            }
        }
    }
    let kept = kept.finish();
    let rest = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{kept}")
    };
    let mut config = tokio_postgres::Config::from_str(&rest).map_err(|e| invalid(e.to_string()))?;
    let mode = match ssl_mode.as_deref() {
        Some("disable") => return Ok((config, Tls::Plain)),
        None | Some("allow" | "prefer") => SslMode::Prefer,
        Some("require" | "verify-ca" | "verify-full") => SslMode::Require,
        Some(other) => {
            return Err(invalid(format!(
                "sslmode {other:?} is not one of disable, allow, prefer, require, verify-ca, \
                 verify-full"
            )));
        }
    };
    config.ssl_mode(mode);
    let tls = client_tls(root_cert.as_deref()).map_err(invalid)?;
    Ok((config, Tls::Rustls(MakeRustlsConnect::new(tls))))
}

/// rustls with the certificates of `root_cert` (a PEM file), or the system's roots. A
/// certificate is always verified, host name included: `require` and `verify-ca` are as strict
/// as `verify-full`.
fn client_tls(root_cert: Option<&str>) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    match root_cert {
        Some(path) => {
            for cert in CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("sslrootcert {path}: {e}"))?
            {
                let cert = cert.map_err(|e| format!("sslrootcert {path}: {e}"))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("sslrootcert {path}: {e}"))?;
            }
            if roots.is_empty() {
                return Err(format!("sslrootcert {path} holds no certificate"));
            }
        }
        None => {
            let native = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(native.certs);
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_listing_ends_before_the_next_prefix() {
        assert_eq!(prefix_end("sys/policy/").as_deref(), Some("sys/policy0"));
        assert_eq!(prefix_end("a").as_deref(), Some("b"));
        assert_eq!(prefix_end(""), None);
        assert_eq!(prefix_end("z\u{10FFFF}").as_deref(), Some("{"));
        // The surrogate gap is skipped.
        assert_eq!(prefix_end("\u{D7FF}").as_deref(), Some("\u{E000}"));
    }

    #[test]
    fn notifications_carry_small_values_and_stay_under_the_payload_limit() {
        let ops: Vec<WriteOp> = (0..2000)
            .map(|i| WriteOp::Put {
                key: format!("token/id/{i:064}"),
                value: vec![7; 300],
            })
            .chain([
                WriteOp::Delete { key: "gone".into() },
                WriteOp::Expect {
                    key: "checked".into(),
                    value: None,
                },
                WriteOp::Put {
                    key: "large".into(),
                    value: vec![1; 5000],
                },
            ])
            .collect();
        let payloads = notification_payloads("w1", &ops);
        assert!(payloads.len() > 1);
        let mut seen = Vec::new();
        for payload in &payloads {
            assert!(payload.len() < 8000, "{}", payload.len());
            let notification: Notification = serde_json::from_str(payload).unwrap();
            assert_eq!(notification.writer, "w1");
            assert!(!notification.all);
            seen.extend(
                notification
                    .changes
                    .into_iter()
                    .map(WireChange::into_change),
            );
        }
        assert_eq!(seen.len(), 2002, "every put and delete, no expectation");
        assert_eq!(seen[0].now, KeyState::Sealed(vec![7; 300]));
        assert_eq!(
            seen[2000],
            ChangedKey {
                key: "gone".into(),
                now: KeyState::Deleted
            }
        );
        assert_eq!(
            seen[2001],
            ChangedKey {
                key: "large".into(),
                now: KeyState::Unsent
            }
        );
        let long = WriteOp::Delete {
            key: "k".repeat(5000),
        };
        let payloads = notification_payloads("w1", &[long]);
        let notification: Notification = serde_json::from_str(&payloads[0]).unwrap();
        assert!(notification.all);
    }

    #[test]
    fn the_url_is_read_with_libpq_ssl_modes_and_never_echoed() {
        let (config, tls) =
            parse_url("postgres://podpass:s3cret@db:5432/podpass?sslmode=disable").unwrap();
        assert!(matches!(tls, Tls::Plain));
        assert_eq!(config.get_dbname(), Some("podpass"));
        let (config, tls) =
            parse_url("postgres://podpass@db/podpass?sslmode=verify-full&application_name=x")
                .unwrap();
        assert!(matches!(tls, Tls::Rustls(_)));
        assert_eq!(config.get_ssl_mode(), SslMode::Require);
        let error = parse_url("postgres://podpass:s3cret@db/podpass?sslmode=sometimes")
            .unwrap_err()
            .to_string();
        assert!(error.contains("sslmode \"sometimes\""), "{error}");
        assert!(!error.contains("s3cret"), "{error}");
        let error = parse_url("postgres://podpass:s3cret@db/podpass?sslrootcert=/nonexistent")
            .unwrap_err()
            .to_string();
        assert!(error.contains("sslrootcert /nonexistent"), "{error}");
        let error = parse_url("mysql://podpass:s3cret@db/x")
            .unwrap_err()
            .to_string();
        assert!(!error.contains("s3cret"), "{error}");
    }
}
