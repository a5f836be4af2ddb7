//! The listener's TLS: a PEM certificate chain and private key (rustls with the aws-lc-rs
//! provider, TLS 1.2 and 1.3), re-read on SIGHUP without closing the listener.

use std::path::PathBuf;
use std::sync::Arc;

use axum_server::tls_rustls::RustlsConfig;
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The certificate and key files (`tls_cert_file`, `tls_key_file` in podpass.hcl).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The PEM certificate chain, leaf first.
    pub cert_file: PathBuf,
    /// The PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key_file: PathBuf,
}

/// Why the certificate or key could not be used; names the file and the problem.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TlsError(String);

impl TlsFiles {
    /// Reads both files into a rustls server configuration (HTTP/2 and HTTP/1.1 offered).
    pub fn load(&self) -> Result<Arc<ServerConfig>, TlsError> {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&self.cert_file)
            .and_then(|blocks| blocks.collect::<Result<Vec<_>, _>>())
            .map_err(|e| {
                TlsError(format!(
                    "tls_cert_file {}: cannot read a PEM certificate chain: {e}",
                    self.cert_file.display()
                ))
            })?;
        if certs.is_empty() {
            return Err(TlsError(format!(
                "tls_cert_file {}: no CERTIFICATE block found",
                self.cert_file.display()
            )));
        }
        let key = PrivateKeyDer::from_pem_file(&self.key_file).map_err(|e| {
            TlsError(format!(
                "tls_key_file {}: cannot read a PEM private key: {e}",
                self.key_file.display()
            ))
        })?;
        // An explicit provider: the process may link more than one (the TokenReview client),
        // and rustls refuses to guess.
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError(format!("TLS setup: {e}")))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| {
                TlsError(format!(
                    "tls_cert_file {} and tls_key_file {} do not make a usable pair: {e}",
                    self.cert_file.display(),
                    self.key_file.display()
                ))
            })?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    /// Re-reads the files into the running listener's configuration; new handshakes use the
    /// new pair, connections already open keep theirs. On failure the old pair stays.
    pub fn reload(&self, into: &RustlsConfig) -> Result<(), TlsError> {
        into.reload_from_config(self.load()?);
        Ok(())
    }
}

/// Starts handling SIGHUP: with TLS, each one reloads the certificate and key into the live
/// configuration, logging the outcome; without, it is logged and ignored (rather than ending
/// the process, the signal's default). The handler is installed before this returns, so a
/// SIGHUP sent once the server answers is always handled.
#[cfg(unix)]
pub fn spawn_reloader(tls: Option<(TlsFiles, RustlsConfig)>) -> tokio::task::JoinHandle<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let hangups = signal(SignalKind::hangup());
    tokio::spawn(async move {
        let mut hangups = match hangups {
            Ok(hangups) => hangups,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGHUP: TLS files will not be reloaded");
                return;
            }
        };
        while hangups.recv().await.is_some() {
            let Some((files, config)) = &tls else {
                tracing::info!("SIGHUP: nothing to reload (the listener has no TLS)");
                continue;
            };
            match files.reload(config) {
                Ok(()) => tracing::info!(
                    cert_file = %files.cert_file.display(),
                    "SIGHUP: TLS certificate and key reloaded"
                ),
                Err(e) => tracing::error!(
                    error = %e,
                    "SIGHUP: TLS reload failed; keeping the previous certificate"
                ),
            }
        }
    })
}

/// Reloading on SIGHUP needs Unix signals: elsewhere, nothing is reloaded.
#[cfg(not(unix))]
pub fn spawn_reloader(_tls: Option<(TlsFiles, RustlsConfig)>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async {})
}
