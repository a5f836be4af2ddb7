//! The TLS listener: `Server::serve` with a certificate and key answers over HTTPS;
//! after the files are replaced and the process gets SIGHUP, new connections see the new
//! certificate on the same listener; a pair that does not load is refused with the file named,
//! and a failed reload keeps the old pair.
//!
//! One test in its own binary: it sends SIGHUP to its own process.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum_server::tls_rustls::RustlsConfig;
use podpass_core::configuration::Configuration;
use podpass_server::connection::ConnectionTimeouts;
use podpass_server::server::{ServeOptions, Server};
use podpass_server::tls::TlsFiles;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The header timeout the server here runs with: short, so the silent client is closed quickly.
const SILENCE_LIMIT: Duration = Duration::from_secs(1);

/// Writes a fresh self-signed certificate for `localhost` and its key; returns the certificate.
fn write_pair(files: &TlsFiles) -> CertificateDer<'static> {
    let pair = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    std::fs::write(&files.cert_file, pair.cert.pem()).unwrap();
    std::fs::write(&files.key_file, pair.signing_key.serialize_pem()).unwrap();
    pair.cert.der().clone()
}

/// GET /v1/sys/health over TLS trusting only `trusted`; the status line and the certificate
/// the server presented.
async fn health_over_tls(
    address: SocketAddr,
    trusted: &CertificateDer<'static>,
) -> Result<(String, CertificateDer<'static>), String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(trusted.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .map_err(|e| e.to_string())?;
    let presented = tls.get_ref().1.peer_certificates().unwrap()[0].clone();
    tls.write_all(b"GET /v1/sys/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = Vec::new();
    let _ = tls.read_to_end(&mut response).await;
    let text = String::from_utf8_lossy(&response).to_string();
    let status = text.lines().next().unwrap_or_default().to_string();
    Ok((status, presented.into_owned()))
}

fn files_in(dir: &Path, name: &str) -> TlsFiles {
    TlsFiles {
        cert_file: dir.join(format!("{name}.crt")),
        key_file: dir.join(format!("{name}.key")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_https_and_reloads_the_certificate_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let files = files_in(dir.path(), "tls");
    let first = write_pair(&files);

    // Unusable files are refused at start, naming the file.
    let missing = files_in(dir.path(), "missing");
    let error = missing.load().unwrap_err().to_string();
    assert!(
        error.contains("tls_cert_file") && error.contains("missing.crt"),
        "{error}"
    );
    let mismatched = TlsFiles {
        cert_file: files.cert_file.clone(),
        key_file: dir.path().join("other.key"),
    };
    write_pair(&files_in(dir.path(), "other"));
    let error = mismatched.load().unwrap_err().to_string();
    assert!(error.contains("do not make a usable pair"), "{error}");
    // A failed reload leaves the live configuration as it was.
    let live = RustlsConfig::from_config(files.load().unwrap());
    let before = live.get_inner();
    assert!(mismatched.reload(&live).is_err());
    assert!(Arc::ptr_eq(&before, &live.get_inner()));

    let server = Server::serve(ServeOptions {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.path().join("data"),
        seal_key_file: None,
        storage: None,
        configuration: Configuration::new(),
        ui_dir: None,
        audit_log: None,
        tls: Some(files.clone()),
        timeouts: ConnectionTimeouts {
            read_header: SILENCE_LIMIT,
            ..ConnectionTimeouts::default()
        },
    })
    .await
    .unwrap();
    assert!(server.banner.contains("https://"), "{}", server.banner);
    let address = server.local_addr().unwrap();
    let running = tokio::spawn(server.run());

    let (status, presented) = health_over_tls(address, &first).await.unwrap();
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(presented, first);

    // New files, then SIGHUP: the same listener presents the new certificate.
    let second = write_pair(&files);
    assert_ne!(first, second);
    let pid = std::process::id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let mut reloaded = None;
    for _ in 0..100 {
        if let Ok(answer) = health_over_tls(address, &second).await {
            reloaded = Some(answer);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, presented) = reloaded.expect("the new certificate was never presented");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(presented, second);
    // A client that trusts only the old certificate is now refused.
    assert!(health_over_tls(address, &first).await.is_err());

    // A client that connects and never starts its handshake is closed after the limit.
    let mut silent = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(SILENCE_LIMIT * 5, silent.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "a silent TLS client was never closed");
    running.abort();
}
