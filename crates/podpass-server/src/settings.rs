//! podpass.hcl's `server {}` block read as the server's settings. The engine only hands the
//! block over ([`ServerBlock`]); which names exist and what their values mean is the server's.

use podpass_core::ImportError;
use podpass_core::configuration::ServerBlock;
use podpass_core::duration::parse_duration_str;

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
}
