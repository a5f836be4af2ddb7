//! podpass.hcl's `server {}` block read as the server's settings. The engine only hands the
//! block over ([`ServerBlock`]); which names exist and what their values mean is the server's.

use podpass_core::ImportError;
use podpass_core::configuration::ServerBlock;
use podpass_core::duration::parse_duration_str;

use crate::storage::PostgresSettings;

/// The names the `storage "postgresql" {}` block may set.
pub const STORAGE_SETTINGS: [&str; 2] = ["connection_url", "max_connections"];
/// Supplies (or overrides) `connection_url`, so the password can come from a Kubernetes
/// Secret rather than the file.
pub const STORAGE_URL_ENV: &str = "PODPASS_STORAGE_URL";
/// Connections per replica when the block does not say (OpenBao's advice is 5–20 per node).
const DEFAULT_MAX_CONNECTIONS: usize = 10;

/// The names the `server {}` block may set.
pub const SERVER_SETTINGS: [&str; 6] = [
    "listen",
    "tls_cert_file",
    "tls_key_file",
    "data_dir",
    "seal_key_file",
    "http_read_header_timeout",
];

/// The `server {}` block's settings, as written (paths are resolved by the caller, relative to
/// the file).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerSettings {
    /// Address to listen on, e.g. `127.0.0.1:8200`.
    pub listen: Option<String>,
    /// PEM certificate chain for TLS.
    pub tls_cert_file: Option<String>,
    /// PEM private key for TLS.
    pub tls_key_file: Option<String>,
    /// Directory for the server's state.
    pub data_dir: Option<String>,
    /// File holding the key that seals the server's state.
    pub seal_key_file: Option<String>,
    /// How long a client may take to send a request's headers, counted from the connection's
    /// start or the previous answer (Vault's listener setting of the same name), in seconds.
    pub http_read_header_timeout: Option<u64>,
}

impl ServerSettings {
    /// Reads the block: an unknown name, or a timeout that is not a positive duration, is refused
    /// with its place in the file.
    pub fn from_block(block: &ServerBlock) -> Result<ServerSettings, ImportError> {
        block.check_names(&SERVER_SETTINGS)?;
        let text = |name: &str| block.get(name).map(|a| a.value.clone());
        let http_read_header_timeout = match block.get("http_read_header_timeout") {
            None => None,
            Some(timeout) => Some(
                parse_duration_str(&timeout.value)
                    .ok()
                    .and_then(|seconds| u64::try_from(seconds).ok())
                    .filter(|seconds| *seconds > 0)
                    .ok_or_else(|| {
                        block.error(
                            timeout.value_at,
                            format!(
                                "server: `http_read_header_timeout` takes a positive duration \
                                 such as \"10s\" or \"5m\", not {:?}",
                                timeout.value
                            ),
                        )
                    })?,
            ),
        };
        Ok(ServerSettings {
            listen: text("listen"),
            tls_cert_file: text("tls_cert_file"),
            tls_key_file: text("tls_key_file"),
            data_dir: text("data_dir"),
            seal_key_file: text("seal_key_file"),
            http_read_header_timeout,
        })
    }
}

/// Reads podpass.hcl's `storage "postgresql" {}` block; `url_from_env` is
/// [`STORAGE_URL_ENV`]'s value, which wins over the file's `connection_url`.
pub fn storage_from_block(
    block: &ServerBlock,
    url_from_env: Option<String>,
) -> Result<PostgresSettings, ImportError> {
    let label = block.label.as_deref().unwrap_or_default();
    if label != "postgresql" {
        return Err(block.error(
            block.at,
            format!(
                "storage \"{label}\": podpass stores in PostgreSQL (storage \"postgresql\" {{ … }}), \
                 or, with no storage block, in a redb file in its data directory"
            ),
        ));
    }
    block.check_names(&STORAGE_SETTINGS)?;
    let connection_url = url_from_env
        .filter(|url| !url.trim().is_empty())
        .or_else(|| block.get("connection_url").map(|a| a.value.clone()))
        .ok_or_else(|| {
            block.error(
                block.at,
                format!(
                    "storage \"postgresql\" needs connection_url (or the {STORAGE_URL_ENV} \
                     environment variable)"
                ),
            )
        })?;
    let max_connections = match block.get("max_connections") {
        None => DEFAULT_MAX_CONNECTIONS,
        Some(attribute) => attribute
            .value
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| {
                block.error(
                    attribute.value_at,
                    format!(
                        "storage: `max_connections` takes a whole number from 1 to 1000, not {:?}",
                        attribute.value
                    ),
                )
            })?,
    };
    Ok(PostgresSettings {
        connection_url,
        max_connections,
    })
}

#[cfg(test)]
mod tests {
    use podpass_core::Configuration;
    use podpass_core::configuration::NoFiles;

    use super::*;

    fn read(text: &str) -> Result<ServerSettings, String> {
        let imported =
            Configuration::import(text, "s.hcl", None, &NoFiles).map_err(|e| e.to_string())?;
        let block = imported.server.ok_or("no server block")?;
        ServerSettings::from_block(&block).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_every_setting() {
        let settings = read(
            "server {\n  listen = \"127.0.0.1:8200\"\n  data_dir = \"/var/lib/podpass\"\n  \
             http_read_header_timeout = \"10s\"\n}\n",
        );
        assert_eq!(
            settings,
            Ok(ServerSettings {
                listen: Some("127.0.0.1:8200".into()),
                data_dir: Some("/var/lib/podpass".into()),
                http_read_header_timeout: Some(10),
                ..ServerSettings::default()
            })
        );
    }

    #[test]
    fn an_unknown_name_is_refused_where_it_is_written() {
        assert_eq!(
            read("server {\n  listen = \"a:1\"\n  lisen = \"b:2\"\n}\n"),
            Err("s.hcl:3:3: unknown attribute `lisen` in server; did you mean `listen`?".into())
        );
    }

    #[test]
    fn the_header_timeout_must_be_a_positive_duration() {
        for bad in ["0s", "-5s", "soon"] {
            let error = read(&format!(
                "server {{\n  http_read_header_timeout = \"{bad}\"\n}}\n"
            ))
            .expect_err(bad);
            assert!(
                error.starts_with(
                    "s.hcl:2:30: server: `http_read_header_timeout` takes a positive duration"
                ),
                "{bad}: {error}"
            );
        }
    }

    fn storage(text: &str, env: Option<&str>) -> Result<PostgresSettings, String> {
        let imported =
            Configuration::import(text, "s.hcl", None, &NoFiles).map_err(|e| e.to_string())?;
        let block = imported.storage.ok_or("no storage block")?;
        storage_from_block(&block, env.map(str::to_owned)).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_the_storage_block_as_vault_writes_it() {
        let text = "storage \"postgresql\" {\n  connection_url = \"postgres://p@db/p\"\n  \
                    max_connections = 4\n}\n";
        assert_eq!(
            storage(text, None),
            Ok(PostgresSettings {
                connection_url: "postgres://p@db/p".into(),
                max_connections: 4,
            })
        );
        // The environment supplies or overrides the URL; the default pool size is 10.
        assert_eq!(
            storage("storage \"postgresql\" {}\n", Some("postgres://env@db/p")),
            Ok(PostgresSettings {
                connection_url: "postgres://env@db/p".into(),
                max_connections: 10,
            })
        );
    }

    #[test]
    fn a_storage_block_that_cannot_work_is_refused_where_it_is_written() {
        let cases = [
            (
                "storage \"raft\" {\n}\n",
                "s.hcl:1:1: storage \"raft\": podpass stores in PostgreSQL",
            ),
            (
                "storage \"postgresql\" {\n  max_connections = 4\n}\n",
                "s.hcl:1:1: storage \"postgresql\" needs connection_url",
            ),
            (
                "storage \"postgresql\" {\n  connection_url = \"x\"\n  max_connections = 0\n}\n",
                "s.hcl:3:21: storage: `max_connections` takes a whole number",
            ),
            (
                "storage \"postgresql\" {\n  connection_uri = \"x\"\n}\n",
                "s.hcl:2:3: unknown attribute `connection_uri` in storage; did you mean `connection_url`?",
            ),
            (
                "storage {\n}\n",
                "s.hcl:1:1: a `storage` block needs one label",
            ),
        ];
        for (text, expected) in cases {
            let error = storage(text, None).expect_err(text);
            assert!(error.starts_with(expected), "{text}: {error}");
        }
    }
}
