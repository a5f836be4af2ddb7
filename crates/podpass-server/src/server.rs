//! Starting a server: `podpass dev` (in-memory-like, throwaway) and `podpass serve` (durable,
//! from podpass.hcl), the router, the background token sweeper and graceful shutdown.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::any;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use podpass_core::configuration::Configuration;
use podpass_core::ttl::MountTune;
use tower_http::timeout::TimeoutLayer;

use crate::app::{App, AuthMountRecord, Clock, system_clock};
use crate::audit::{AuditLog, AuditTarget};
use crate::connection::{ConnectionTimeouts, SilenceLimitAcceptor};
use crate::dispatch::handle_api;
use crate::error::ApiError;
use crate::playground::{EmbeddedFile, Playground};
use crate::storage::{
    Backend, PostgresBackend, PostgresSettings, RedbBackend, SEAL_KEY_ENV, SealKey, StorageError,
    Store, WriteOp,
};
use crate::tls::{TlsFiles, spawn_reloader};
use crate::token::{IssueError, TokenEntry, TokenProfile, random_id};

/// How often expired tokens are swept from memory and storage.
const SWEEP_INTERVAL: Duration = Duration::from_secs(5);
/// The database file inside the data directory.
const DATABASE_FILE: &str = "podpass.redb";
/// The longest a request may take before it is answered 408 (Vault's default
/// `max_request_duration`).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(90);
/// How long requests in flight may take to finish after SIGTERM before connections are closed.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// Marks a data directory whose root token has been issued (printed once, at first start).
const INITIALIZED_KEY: &str = "sys/initialized";
/// A value sealed at the first start, so a server holding another seal key refuses to start
/// rather than fail on every stored value.
const SEAL_CHECK_KEY: &str = "sys/seal-check";
/// Which replica sweeps expired tokens, and until when ([`SweepLease`]).
const SWEEP_LEASE_KEY: &str = "sys/podpass/sweeper";
/// How long a replica may wait for a shared store's change feed at start.
const FEED_START_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Storage could not be opened or read.
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    /// The listen address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address.
        address: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The configuration could not be applied.
    #[error("configuration: {0}")]
    Configuration(String),
    /// Anything else about the environment (directories, TLS settings).
    #[error("{0}")]
    Environment(String),
}

/// The router: Vault's API under `/v1/`, and the playground under `/ui/` when its built files
/// are given (a page saying how to build it otherwise).
pub fn router(app: Arc<App>, ui_dir: Option<&Path>) -> Router {
    let playground = ui_dir.map_or(Playground::Missing, |dir| {
        Playground::Dir(dir.to_path_buf())
    });
    router_with(app, &playground)
}

/// [`router`] with the playground from anywhere ([`Playground`]).
pub fn router_with(app: Arc<App>, playground: &Playground) -> Router {
    Router::new()
        .route("/v1/{*path}", any(handle_api))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .with_state(app)
        .merge(playground.routes())
}

/// `podpass dev`: a throwaway server like `vault server -dev`.
#[derive(Debug, Clone)]
pub struct DevOptions {
    /// Where to listen.
    pub listen: String,
    /// The root token to issue (random when `None`).
    pub root_token: Option<String>,
    /// Load the tutorial scenario ([`podpass_core::demo`]).
    pub demo: bool,
    /// The built playground to serve at `/ui/`.
    pub ui_dir: Option<PathBuf>,
    /// Where to write the audit log (none when `None`).
    pub audit_log: Option<AuditTarget>,
}

/// `podpass serve`: a durable server from a declarative configuration.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where to listen.
    pub listen: String,
    /// The data directory (created if missing).
    pub data_dir: PathBuf,
    /// The seal key file (default `<data_dir>/seal.key`); [`SEAL_KEY_ENV`] takes precedence.
    /// Replicas sharing a store must all hold the same key.
    pub seal_key_file: Option<PathBuf>,
    /// A PostgreSQL store shared by replicas (podpass.hcl's `storage "postgresql"` block);
    /// `None` keeps everything in a redb file in the data directory.
    pub storage: Option<PostgresSettings>,
    /// Auth mounts, roles and policies to apply at start (the file is the source of truth for
    /// what it names, see [`crate::reconcile`]; tokens and secrets persist in the data
    /// directory).
    pub configuration: Configuration,
    /// The built playground to serve at `/ui/`.
    pub ui_dir: Option<PathBuf>,
    /// Where to write the audit log (none when `None`).
    pub audit_log: Option<AuditTarget>,
    /// Serve HTTPS with this certificate and key (plain HTTP when `None`).
    pub tls: Option<TlsFiles>,
    /// How long connections may stay silent (Vault's defaults unless the file sets them).
    pub timeouts: ConnectionTimeouts,
}

/// A started server, before it serves.
pub struct Server {
    /// The state.
    pub app: Arc<App>,
    /// The bound listener.
    listener: tokio::net::TcpListener,
    /// Where `/ui/` comes from.
    playground: Playground,
    /// The TLS files and the live configuration loaded from them.
    tls: Option<(TlsFiles, RustlsConfig)>,
    /// How long connections may stay silent.
    timeouts: ConnectionTimeouts,
    /// Kept so the dev server's data directory lives as long as the server.
    _data_dir: Option<tempfile::TempDir>,
    /// What to tell the operator once listening.
    pub banner: String,
}

/// The demo scenario ([`podpass_core::demo`]) as the dev server loads it: its mount names a
/// cluster that does not exist, so logins are decided by the demo key's signature alone
/// (`disable_token_review`); the scenario's text stays what a reader would paste into Vault.
pub fn demo_configuration() -> Result<podpass_core::configuration::Configuration, String> {
    let mut configuration = podpass_core::demo::configuration().map_err(|e| e.to_string())?;
    let paths: Vec<String> = configuration.mounts().keys().cloned().collect();
    for path in paths {
        if let Some(mount) = configuration.mount_mut(&path)
            && let Some(mut config) = mount.config().cloned()
        {
            config.disable_token_review = true;
            mount.set_config(config).map_err(|e| e.to_string())?;
        }
    }
    Ok(configuration)
}

impl Server {
    /// Sets up a dev server: a temporary data directory and key, KV v2 at `secret/`, a root
    /// token, and with the demo the Kubernetes method at `auth/kubernetes/` with the tutorial's
    /// roles and policies (without it, no auth method is mounted, as in `vault server -dev`).
    pub async fn dev(options: DevOptions) -> Result<Server, StartError> {
        let data_dir = tempfile::Builder::new()
            .prefix("podpass-dev-")
            .tempdir()
            .map_err(|e| StartError::Environment(format!("temporary directory: {e}")))?;
        let backend = RedbBackend::open(&data_dir.path().join(DATABASE_FILE))?;
        let store = Store::new(Arc::new(backend), SealKey::generate()?);
        let app = Arc::new(App::load(store, system_clock())?);
        // A dev server tells the user why a request was denied, in the response itself.
        app.set_explain_denials(true);
        enable_audit(&app, options.audit_log.as_ref())?;
        let root_token = match options.root_token {
            Some(token) => token,
            None => format!("hvs.{}", random_id(24)?),
        };
        issue_root_token(&app, &root_token).await?;
        // Like `vault server -dev`, no Kubernetes method is mounted unless the demo asks for
        // one: the tutorial's first step (and every exported script) enables it, and Vault
        // refuses to enable a path that is already in use.
        if options.demo {
            let configuration =
                demo_configuration().map_err(|e| StartError::Configuration(e.to_string()))?;
            apply_configuration(&app, &configuration).await?;
        }
        let listener = bind(&options.listen).await?;
        let address = listener.local_addr().map_err(|source| StartError::Listen {
            address: options.listen.clone(),
            source,
        })?;
        let banner = dev_banner(
            address,
            &root_token,
            options.demo,
            options.ui_dir.is_some(),
            app.now(),
        );
        Ok(Server {
            app,
            listener,
            playground: options.ui_dir.map_or(Playground::Missing, Playground::Dir),
            tls: None,
            timeouts: ConnectionTimeouts::default(),
            _data_dir: Some(data_dir),
            banner,
        })
    }

    /// Sets up a durable server from `options`; on first start the root token is written to
    /// [`ROOT_TOKEN_FILE`] in the data directory (0600) and the log says where.
    pub async fn serve(options: ServeOptions) -> Result<Server, StartError> {
        create_private_dir(&options.data_dir)?;
        let key = match std::env::var(SEAL_KEY_ENV) {
            Ok(text) => SealKey::from_base64(&text)?,
            Err(_) => {
                let path = options
                    .seal_key_file
                    .clone()
                    .unwrap_or_else(|| options.data_dir.join("seal.key"));
                SealKey::load_or_create(&path)?
            }
        };
        let backend: Arc<dyn Backend> = match &options.storage {
            Some(settings) => Arc::new(PostgresBackend::connect(settings)?),
            None => Arc::new(RedbBackend::open(&options.data_dir.join(DATABASE_FILE))?),
        };
        let store = Store::new(backend, key);
        check_seal_key(&store).await?;
        let app = Arc::new(App::load(store, system_clock())?);
        follow_changes(&app).await?;
        enable_audit(&app, options.audit_log.as_ref())?;
        let tls = match options.tls {
            Some(files) => {
                let config = files
                    .load()
                    .map_err(|e| StartError::Environment(e.to_string()))?;
                Some((files, RustlsConfig::from_config(config)))
            }
            None => None,
        };
        let reconciled =
            crate::reconcile::reconcile_configuration(&app, &options.configuration).await?;
        for item in &reconciled.replaced {
            tracing::warn!(
                item = %item,
                "changed through the API since the last start; replaced by the configuration file's version"
            );
        }
        tracing::info!("{}", reconciled.summary());
        let mut banner = String::new();
        if app.store.get(INITIALIZED_KEY)?.is_none()
            && let Some(root_token) = initialise(&app).await?
        {
            // Like `vault operator init`'s output, the root token is the operator's alone: not
            // on stdout, which audit lines (`--audit-log -`) and pod logs share.
            let file = write_root_token_file(&options.data_dir, &root_token)?;
            tracing::warn!(
                file = %file.display(),
                "initialised a new store; the root token is in this file (mode 0600): \
                 read it, keep it safe, then delete the file"
            );
        }
        let listener = bind(&options.listen).await?;
        let address = listener.local_addr().map_err(|source| StartError::Listen {
            address: options.listen.clone(),
            source,
        })?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        banner.push_str(&format!("podpass listening on {scheme}://{address}\n"));
        Ok(Server {
            app,
            listener,
            playground: options.ui_dir.map_or(Playground::Missing, Playground::Dir),
            tls,
            timeouts: options.timeouts,
            _data_dir: None,
            banner,
        })
    }

    /// Serves `files` (the playground built into the binary) at `/ui/` when no `--ui`
    /// directory was given, and says so in the banner.
    pub fn embed_playground(&mut self, files: &'static [EmbeddedFile]) {
        if self.playground.is_available() {
            return;
        }
        self.playground = Playground::Embedded(files);
        if let Some(address) = self.local_addr() {
            let scheme = if self.tls.is_some() { "https" } else { "http" };
            self.banner.push_str(&format!(
                "Playground: {scheme}://{address}/ui/ (built in)\n"
            ));
        }
    }

    /// The bound address.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves until SIGINT or SIGTERM, then finishes the requests in flight (for up to
    /// [`SHUTDOWN_GRACE`]). With TLS, SIGHUP reloads the certificate and key.
    pub async fn run(self) -> Result<(), StartError> {
        let sweeper = tokio::spawn(sweep_expired_tokens(Arc::clone(&self.app)));
        let service = router_with(Arc::clone(&self.app), &self.playground)
            .into_make_service_with_connect_info::<SocketAddr>();
        let handle = axum_server::Handle::new();
        let stopper = tokio::spawn({
            let handle = handle.clone();
            let signalled = shutdown_signal();
            async move {
                signalled.await;
                handle.graceful_shutdown(Some(SHUTDOWN_GRACE));
            }
        });
        let listener = self
            .listener
            .into_std()
            .map_err(|e| StartError::Environment(format!("listener: {e}")))?;
        let reloader = spawn_reloader(self.tls.clone());
        let served = match self.tls {
            None => {
                let server = axum_server::from_tcp(listener)
                    .map_err(|e| StartError::Environment(format!("listener: {e}")))?;
                let server = server.acceptor(SilenceLimitAcceptor::new(self.timeouts));
                with_limits(server.handle(handle), self.timeouts)
                    .serve(service)
                    .await
            }
            Some((_, config)) => {
                // The silence limit sits under TLS, so a handshake never started is covered.
                let acceptor =
                    RustlsAcceptor::new(config).acceptor(SilenceLimitAcceptor::new(self.timeouts));
                let server = axum_server::from_tcp(listener)
                    .map_err(|e| StartError::Environment(format!("listener: {e}")))?
                    .acceptor(acceptor);
                with_limits(server.handle(handle), self.timeouts)
                    .serve(service)
                    .await
            }
        };
        reloader.abort();
        stopper.abort();
        sweeper.abort();
        if let Some(audit) = self.app.telemetry.audit() {
            audit.flush().await;
        }
        served.map_err(|e| StartError::Environment(format!("server error: {e}")))
    }
}

/// Creates the data directory (and any missing parents) for the owner alone (0700), and
/// narrows an existing one to that: it holds the database and, by default, the seal key.
fn create_private_dir(dir: &Path) -> Result<(), StartError> {
    let problem = |e: std::io::Error| {
        StartError::Environment(format!(
            "cannot create the data directory {}: {e}",
            dir.display()
        ))
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder.create(dir).map_err(problem)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(problem)?;
    }
    #[cfg(not(unix))]
    builder.create(dir).map_err(problem)?;
    Ok(())
}

/// The file in the data directory that receives the root token at first start.
pub const ROOT_TOKEN_FILE: &str = "root-token";

/// Writes the root token to `<data_dir>/root-token`, readable by the owner only.
fn write_root_token_file(data_dir: &Path, token: &str) -> Result<PathBuf, StartError> {
    use std::io::Write;
    let path = data_dir.join(ROOT_TOKEN_FILE);
    let cannot = |e: std::io::Error| {
        StartError::Environment(format!(
            "cannot write the root token to {}: {e}",
            path.display()
        ))
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).map_err(cannot)?;
    // A file left from an earlier data directory keeps its old mode: tighten it.
    #[cfg(unix)]
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .map_err(cannot)?;
    writeln!(file, "{token}")
        .and_then(|()| file.sync_all())
        .map_err(cannot)?;
    Ok(path)
}

/// Starts the audit log when one is asked for.
fn enable_audit(app: &App, target: Option<&AuditTarget>) -> Result<(), StartError> {
    if let Some(target) = target {
        let log = AuditLog::open(target).map_err(|e| StartError::Environment(e.to_string()))?;
        // A fresh App has no audit log yet; a second one would be a programming error, and
        // keeping the first is the safe outcome.
        let _ = app.telemetry.enable_audit(log);
    }
    Ok(())
}

/// The connection limits every listener gets, TLS or not.
fn with_limits<A>(
    mut server: axum_server::Server<SocketAddr, A>,
    timeouts: ConnectionTimeouts,
) -> axum_server::Server<SocketAddr, A> {
    server
        .http_builder()
        .http1()
        .header_read_timeout(timeouts.read_header);
    server
}

async fn bind(listen: &str) -> Result<tokio::net::TcpListener, StartError> {
    tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| StartError::Listen {
            address: listen.to_string(),
            source,
        })
}

/// Issues the root token: the `root` policy, no expiry.
pub async fn issue_root_token(app: &App, token: &str) -> Result<(), StorageError> {
    let now = app.now();
    let entry = TokenEntry::new(TokenProfile::root(), now, 0, 0, None);
    match app.tokens.issue_with_token(token, entry, now).await {
        Ok(_) => Ok(()),
        Err(IssueError::Storage(error)) => Err(error),
        // Orphans have no parent to lose.
        Err(IssueError::ParentGone) => Ok(()),
    }
}

/// Writes a configuration's mounts, configs, roles and policies into the server (replacing
/// items of the same name; items not in the configuration are left alone).
pub async fn apply_configuration(
    app: &App,
    configuration: &Configuration,
) -> Result<(), StartError> {
    let problem = |e: ApiError| StartError::Configuration(e.errors.join("; "));
    for (path, mount) in configuration.mounts() {
        let tune = MountTune::from_ttls(mount.ttls());
        let mut enabled = false;
        if !app.has_auth_mount(path) {
            let mut record = AuthMountRecord {
                kind: "kubernetes".into(),
                accessor: mount.accessor().to_string(),
                description: String::new(),
                default_lease_ttl: 0,
                max_lease_ttl: 0,
            };
            record.set_tune(tune);
            match app.enable_auth(path, record).await {
                Ok(()) => enabled = true,
                // Another replica starting with the same file enabled it first.
                Err(_) if app.has_auth_mount(path) => {}
                Err(error) => return Err(problem(error)),
            }
        }
        if !enabled {
            app.tune_auth(path, |record| {
                record.set_tune(tune);
                Ok(())
            })
            .await
            .map_err(problem)?;
        }
        if let Some(config) = mount.config() {
            app.put_auth_config(path, config.clone())
                .await
                .map_err(problem)?;
        }
        for role in mount.roles().values() {
            app.put_role(path, podpass_core::Role::clone(role))
                .await
                .map_err(problem)?;
        }
    }
    for (name, entry) in configuration.policies() {
        app.put_policy(name, &entry.text).await.map_err(problem)?;
    }
    Ok(())
}

/// Refuses a seal key other than the one the store was first sealed with: every value would
/// fail to open, and on a shared store the replica would answer nothing but errors.
async fn check_seal_key(store: &Store) -> Result<(), StartError> {
    let wrong_key = || {
        StartError::Environment(format!(
            "the store was sealed with a different seal key: this server cannot read it. \
             Every server of a store needs the key it was created with (from {SEAL_KEY_ENV} \
             or seal_key_file)"
        ))
    };
    match store.fetch(SEAL_CHECK_KEY).await {
        Ok(Some(_)) => return Ok(()),
        Ok(None) => {}
        Err(StorageError::Corrupt { .. }) => return Err(wrong_key()),
        Err(error) => return Err(error.into()),
    }
    let sealed = store
        .write(vec![
            WriteOp::Expect {
                key: SEAL_CHECK_KEY.to_owned(),
                value: None,
            },
            WriteOp::Put {
                key: SEAL_CHECK_KEY.to_owned(),
                value: b"podpass".to_vec(),
            },
        ])
        .await;
    match sealed {
        // Another server wrote it first: it must open with this key too.
        Ok(()) | Err(StorageError::Conflict { .. }) => match store.fetch(SEAL_CHECK_KEY).await {
            Ok(_) => Ok(()),
            Err(StorageError::Corrupt { .. }) => Err(wrong_key()),
            Err(error) => Err(error.into()),
        },
        Err(error) => Err(error.into()),
    }
}

/// On a shared store, follows the change feed and waits until memory is in step with it.
async fn follow_changes(app: &Arc<App>) -> Result<(), StartError> {
    app.follow_changes();
    let started = std::time::Instant::now();
    while !app.in_sync() {
        if started.elapsed() > FEED_START_TIMEOUT {
            return Err(StorageError::Unavailable(format!(
                "the change feed did not start within {} s",
                FEED_START_TIMEOUT.as_secs()
            ))
            .into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Issues the root token of a new store and marks the store initialised, once however many
/// replicas start together: the token is issued first and kept only by the replica whose mark
/// lands, so a crash in between leaves no store without a root token.
async fn initialise(app: &App) -> Result<Option<String>, StartError> {
    let root_token = format!("hvs.{}", random_id(24)?);
    issue_root_token(app, &root_token).await?;
    let marked = app
        .store
        .write(vec![
            WriteOp::Expect {
                key: INITIALIZED_KEY.to_owned(),
                value: None,
            },
            WriteOp::Put {
                key: INITIALIZED_KEY.to_owned(),
                value: b"1".to_vec(),
            },
        ])
        .await;
    match marked {
        Ok(()) => Ok(Some(root_token)),
        Err(StorageError::Conflict { .. }) => {
            let hash = app.store.key().token_hash(&root_token);
            app.tokens.revoke(&[hash]).await?;
            Ok(None)
        }
        Err(error) => Err(error.into()),
    }
}

/// Who sweeps expired tokens on a shared store, until when (Unix seconds).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct SweepLease {
    holder: String,
    until: i64,
}

/// Whether this replica (`holder`) sweeps now: always on a store of its own; on a shared one
/// only while it holds the lease, taken or renewed with a read-modify-write that one replica
/// wins, so expired tokens are swept once and not by every replica.
async fn holds_sweep_lease(app: &App, holder: &str) -> bool {
    if !app.store.is_shared() {
        return true;
    }
    let now = app.now();
    let Ok(stored) = app
        .store
        .fetch_versioned::<SweepLease>(SWEEP_LEASE_KEY)
        .await
    else {
        return false;
    };
    if let Some(lease) = &stored.value
        && lease.holder != holder
        && lease.until > now
    {
        return false;
    }
    let lease = SweepLease {
        holder: holder.to_owned(),
        until: now.saturating_add(3 * SWEEP_INTERVAL.as_secs() as i64),
    };
    let Ok(value) = serde_json::to_vec(&lease) else {
        return false;
    };
    let renewed = app
        .store
        .write(vec![
            stored.unchanged(),
            WriteOp::Put {
                key: SWEEP_LEASE_KEY.to_owned(),
                value,
            },
        ])
        .await;
    renewed.is_ok()
}

async fn sweep_expired_tokens(app: Arc<App>) {
    let mut interval = tokio::time::interval(SWEEP_INTERVAL);
    let holder = random_id(12).unwrap_or_default();
    loop {
        interval.tick().await;
        if !holds_sweep_lease(&app, &holder).await {
            continue;
        }
        match app.tokens.sweep(app.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(swept = n, "expired tokens removed"),
            Err(e) => tracing::warn!(error = %e, "sweeping expired tokens failed"),
        }
    }
}

/// Waits for SIGINT or SIGTERM. The handlers are installed when this is called, not when the
/// future is first polled: a signal sent as soon as the server answers (before a busy runtime
/// got round to the task) would otherwise kill the process without a graceful shutdown.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let (interrupt, terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let received = |listener: Option<tokio::signal::unix::Signal>| async move {
                match listener {
                    Some(mut listener) => {
                        listener.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = received(interrupt) => {},
                () = received(terminate) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down: finishing requests in flight");
    }
}

fn dev_banner(address: SocketAddr, root_token: &str, demo: bool, ui: bool, now: i64) -> String {
    let mut banner = format!(
        "==> podpass dev server started! Log data will stream in below:\n\n\
         WARNING! dev mode is enabled! In this mode, podpass runs unsealed, keeps its data in a\n\
         temporary directory deleted at exit, and starts with a root token.\n\n\
         You may need to set the following environment variables:\n\n    \
         $ export VAULT_ADDR='http://{address}'\n\n\
         Root Token: {root_token}\n\n"
    );
    if demo {
        banner.push_str(
            "Mounted: KV v2 at secret/, the Kubernetes auth method at auth/kubernetes/\n",
        );
    } else {
        banner.push_str(
            "Mounted: KV v2 at secret/. Enable the Kubernetes auth method as with Vault:\n\n    \
             $ vault auth enable kubernetes\n\n\
             (or start with --demo for the tutorial's mount, roles and policies)\n",
        );
    }
    if ui {
        banner.push_str(&format!("Playground: http://{address}/ui/\n"));
    }
    if demo {
        match podpass_core::demo::token("grade-api", "grade-api-sa", now) {
            Ok(jwt) => banner.push_str(&format!(
                "\nDemo: the tutorial's roles and policies are loaded. Log in as grade-api:\n\n    \
                 curl -s -X POST http://{address}/v1/auth/kubernetes/login \\\n        \
                 -d '{{\"role\":\"grade-api\",\"jwt\":\"{jwt}\"}}'\n\n\
                 (the token is signed with podpass's published demo key and expires in an hour)\n"
            )),
            Err(e) => banner.push_str(&format!("\nDemo token could not be minted: {e}\n")),
        }
    }
    banner
}

/// A clock for tests: always `now`.
pub fn fixed_clock(now: i64) -> Clock {
    Arc::new(move || now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_data_directory_is_for_its_owner_alone() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &Path| {
            std::fs::metadata(path)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or_default()
        };
        let Ok(parent) = tempfile::tempdir() else {
            return;
        };
        let fresh = parent.path().join("a/data");
        assert!(create_private_dir(&fresh).is_ok());
        assert_eq!(mode(&fresh), 0o700);
        let loose = parent.path().join("loose");
        assert!(std::fs::create_dir(&loose).is_ok());
        assert!(std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o755)).is_ok());
        assert!(create_private_dir(&loose).is_ok());
        assert_eq!(mode(&loose), 0o700);
    }
}
