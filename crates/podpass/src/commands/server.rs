//! `podpass dev` and `podpass serve`: the server's command-line front.

use std::path::PathBuf;

use podpass_server::server::{DevOptions, ServeOptions, Server};

use crate::cli::{DevArgs, ServeArgs};
use crate::commands::Outcome;
use crate::files::{InputError, load_config};

/// `podpass dev`.
pub fn dev(args: &DevArgs) -> Result<Outcome, InputError> {
    let options = DevOptions {
        listen: args.listen.clone(),
        root_token: args.root_token.clone(),
        demo: args.demo,
        ui_dir: args.ui.clone(),
    };
    run(async move { Server::dev(options).await })
}

/// `podpass serve`.
pub fn serve(args: &ServeArgs) -> Result<Outcome, InputError> {
    let imported = load_config(&args.config, None)?;
    let settings = imported.server.unwrap_or_default();
    if settings.tls_cert_file.is_some() || settings.tls_key_file.is_some() {
        return Err(InputError(format!(
            "{}: tls_cert_file/tls_key_file are not supported yet: run podpass behind a TLS-terminating proxy, or remove them",
            args.config.display()
        )));
    }
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
    let options = ServeOptions {
        listen: args
            .listen
            .clone()
            .or(settings.listen)
            .unwrap_or_else(|| "127.0.0.1:8200".into()),
        data_dir: args
            .data_dir
            .clone()
            .or_else(|| settings.data_dir.map(beside))
            .unwrap_or_else(|| PathBuf::from("podpass-data")),
        seal_key_file: settings.seal_key_file.map(beside),
        configuration: imported.configuration,
        ui_dir: args.ui.clone(),
    };
    run(async move { Server::serve(options).await })
}

fn run<F>(start: F) -> Result<Outcome, InputError>
where
    F: std::future::Future<Output = Result<Server, podpass_server::server::StartError>>,
{
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| InputError(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        let server = start.await.map_err(|e| InputError(e.to_string()))?;
        println!("{}", server.banner);
        server.run().await.map_err(|e| InputError(e.to_string()))?;
        Ok(Outcome::Success)
    })
}
