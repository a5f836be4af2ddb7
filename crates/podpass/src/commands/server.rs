//! `podpass dev` and `podpass serve`: the server's command-line front.

use std::path::PathBuf;
use std::time::Duration;

use podpass_server::audit::AuditTarget;
use podpass_server::connection::ConnectionTimeouts;
use podpass_server::server::{DevOptions, ServeOptions, Server};
use podpass_server::settings::{STORAGE_URL_ENV, ServerSettings, storage_from_block};
use podpass_server::tls::TlsFiles;

use crate::cli::{DevArgs, LogFormat, OperatingArgs, ServeArgs};
use crate::commands::Outcome;
use crate::files::{InputError, load_config};

/// The playground built into the binary (the `embed-ui` feature; see build.rs).
#[cfg(feature = "embed-ui")]
mod embedded_ui {
    include!(concat!(env!("OUT_DIR"), "/embedded_ui.rs"));
}

/// `podpass dev`.
pub fn dev(args: &DevArgs) -> Result<Outcome, InputError> {
    let options = DevOptions {
        listen: args.listen.clone(),
        root_token: args.root_token.clone(),
        demo: args.demo,
        ui_dir: args.ui.clone(),
        audit_log: audit_target(&args.operating),
    };
    run(&args.operating, async move { Server::dev(options).await })
}

/// The server block's connection timeouts over the defaults.
fn connection_timeouts(settings: &ServerSettings) -> ConnectionTimeouts {
    let defaults = ConnectionTimeouts::default();
    let read_header = settings
        .http_read_header_timeout
        .map_or(defaults.read_header, Duration::from_secs);
    ConnectionTimeouts {
        read_header,
        ..defaults
    }
}

/// `podpass serve`.
pub fn serve(args: &ServeArgs) -> Result<Outcome, InputError> {
    let imported = load_config(&args.config, None)?;
    let settings = match &imported.server {
        None => ServerSettings::default(),
        Some(block) => ServerSettings::from_block(block).map_err(|e| {
            let text = std::fs::read_to_string(&args.config).ok();
            InputError::diagnostic(&e.diagnostic(), text.as_deref())
        })?,
    };
    let beside = |p: String| {
        let path = PathBuf::from(p);
        if path.is_relative() {
            args.config
                .parent()
                .map_or(path.clone(), |dir| dir.join(&path))
        } else {
            path
        }
    };
    let timeouts = connection_timeouts(&settings);
    let storage = match &imported.storage {
        None => None,
        Some(block) => Some(
            storage_from_block(block, std::env::var(STORAGE_URL_ENV).ok()).map_err(|e| {
                let text = std::fs::read_to_string(&args.config).ok();
                InputError::diagnostic(&e.diagnostic(), text.as_deref())
            })?,
        ),
    };
    let options = ServeOptions {
        timeouts,
        listen: args
            .listen
            .clone()
            .or(settings.listen)
            .unwrap_or_else(|| "127.0.0.1:8200".into()),
        data_dir: args
            .data_dir
            .clone()
            .or_else(|| settings.data_dir.map(beside))
            .unwrap_or_else(|| beside("podpass-data".into())),
        seal_key_file: settings.seal_key_file.map(&beside),
        storage,
        configuration: imported.configuration,
        ui_dir: args.ui.clone(),
        audit_log: audit_target(&args.operating),
        tls: match (settings.tls_cert_file, settings.tls_key_file) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert_file: beside(cert),
                key_file: beside(key),
            }),
            (None, None) => None,
            (cert, _) => {
                let (set, missing) = if cert.is_some() {
                    ("tls_cert_file", "tls_key_file")
                } else {
                    ("tls_key_file", "tls_cert_file")
                };
                return Err(InputError::new(format!(
                    "{}: the server block sets {set} but not {missing}: TLS needs both",
                    args.config.display()
                )));
            }
        },
    };
    let explain_denials = args.explain_denials;
    run(&args.operating, async move {
        let server = Server::serve(options).await?;
        server.app.set_explain_denials(explain_denials);
        Ok(server)
    })
}

fn audit_target(args: &OperatingArgs) -> Option<AuditTarget> {
    args.audit_log.as_deref().map(AuditTarget::parse)
}

fn run<F>(operating: &OperatingArgs, start: F) -> Result<Outcome, InputError>
where
    F: std::future::Future<Output = Result<Server, podpass_server::server::StartError>>,
{
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour only for a terminal: escape codes in a log file or collector are noise.
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match operating.log_format {
        LogFormat::Text => logs.fmt_fields(crate::logging::EscapedFields).init(),
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| InputError::new(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        #[cfg_attr(not(feature = "embed-ui"), allow(unused_mut))]
        let mut server = start.await.map_err(|e| InputError::new(e.to_string()))?;
        #[cfg(feature = "embed-ui")]
        server.embed_playground(embedded_ui::FILES);
        // The banner is a courtesy: a closed stdout (a supervisor that drops it) must not stop
        // the server, so a failed write is ignored rather than panicking like println!.
        {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", server.banner).and_then(|()| out.flush());
        }
        server
            .run()
            .await
            .map_err(|e| InputError::new(e.to_string()))?;
        Ok(Outcome::Success)
    })
}
