//! TLS for both services, through rustls (tonic's `tls-ring`): the server side
//! (`--tls-cert`, `--tls-key`, and `--tls-client-ca` for mutual TLS, where only clients
//! with a certificate from that CA may connect) and the outbound side (bot-service to
//! agent-service and to task back ends: an `https://` URL is real TLS against the CA
//! the operator names, optionally with a client certificate, or start-up is refused;
//! it never goes out in clear). PEM files are read and checked at start-up, so a bad
//! path or key stops the service with the setting's name.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use tonic::transport::{Certificate, ClientTlsConfig, Identity, ServerTlsConfig};

/// Installs the one rustls crypto provider the services use (ring). Call once at
/// start-up before any TLS is set up; later calls change nothing.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Why TLS could not be set up; names the setting.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read.
    #[error("{key}: cannot read {path}: {source}")]
    Read {
        /// The setting.
        key: String,
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The settings do not fit together, or a file is not what it should be.
    #[error("{key}: {message}")]
    Invalid {
        /// The setting.
        key: String,
        /// What is wrong.
        message: String,
    },
}

fn invalid(key: &str, message: impl Into<String>) -> TlsError {
    TlsError::Invalid {
        key: key.to_owned(),
        message: message.into(),
    }
}

/// A PEM file's bytes, checked to hold at least one `-----BEGIN` block.
fn read_pem(key: &str, path: &Path) -> Result<Vec<u8>, TlsError> {
    let pem = std::fs::read(path).map_err(|source| TlsError::Read {
        key: key.to_owned(),
        path: path.display().to_string(),
        source,
    })?;
    if !pem.windows(11).any(|w| w == b"-----BEGIN ") {
        return Err(invalid(
            key,
            format!("{} is not a PEM file", path.display()),
        ));
    }
    Ok(pem)
}

/// A listener's TLS: certificate and key, and for mutual TLS the CA that client
/// certificates must chain to. `None` for plaintext (both files unset).
pub fn server_config(
    cert: Option<&Path>,
    key: Option<&Path>,
    client_ca: Option<&Path>,
) -> Result<Option<ServerTlsConfig>, TlsError> {
    let (cert, key) = match (cert, key) {
        (None, None) => {
            return match client_ca {
                Some(_) => Err(invalid(
                    "server.tls_client_ca",
                    "mutual TLS needs server.tls_cert and server.tls_key too",
                )),
                None => Ok(None),
            };
        }
        (Some(cert), Some(key)) => (cert, key),
        (Some(_), None) => return Err(invalid("server.tls_key", "is required with tls_cert")),
        (None, Some(_)) => return Err(invalid("server.tls_cert", "is required with tls_key")),
    };
    let identity = Identity::from_pem(
        read_pem("server.tls_cert", cert)?,
        read_pem("server.tls_key", key)?,
    );
    let mut config = ServerTlsConfig::new().identity(identity);
    if let Some(ca) = client_ca {
        config =
            config.client_ca_root(Certificate::from_pem(read_pem("server.tls_client_ca", ca)?));
    }
    Ok(Some(config))
}

/// How bot-service's outbound calls to one service use TLS (`[agent.tls]`,
/// `[actions.tls]`); applies when the URL is `https://`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientTlsSettings {
    /// The CA (PEM) the service's certificate must chain to; required for `https://`
    /// (only the CA named here is trusted).
    pub ca_file: Option<PathBuf>,
    /// A client certificate (PEM) for mutual TLS.
    pub cert_file: Option<PathBuf>,
    /// Its private key (PEM).
    pub key_file: Option<PathBuf>,
}

impl ClientTlsSettings {
    /// The TLS a call to `url` needs: `None` for `http://`, real TLS for `https://`.
    /// An `https://` URL without a CA, or a client certificate for an `http://` URL
    /// (it would never be sent), is refused; `key` names the settings in errors.
    pub fn for_url(&self, url: &str, key: &str) -> Result<Option<ClientTlsConfig>, TlsError> {
        let https = url.starts_with("https://");
        if !https {
            if self.ca_file.is_some() || self.cert_file.is_some() {
                return Err(invalid(
                    &format!("{key}.tls"),
                    format!("TLS files are set but {url} is not https://; use an https:// URL"),
                ));
            }
            return Ok(None);
        }
        install_crypto_provider();
        let Some(ca) = &self.ca_file else {
            return Err(invalid(
                &format!("{key}.tls.ca_file"),
                format!(
                    "{url} is https:// but no CA is configured: name the CA that signed its certificate (traffic is never sent in clear to an https:// address)"
                ),
            ));
        };
        let mut config = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(read_pem(
            &format!("{key}.tls.ca_file"),
            ca,
        )?));
        match (&self.cert_file, &self.key_file) {
            (None, None) => {}
            (Some(cert), Some(k)) => {
                config = config.identity(Identity::from_pem(
                    read_pem(&format!("{key}.tls.cert_file"), cert)?,
                    read_pem(&format!("{key}.tls.key_file"), k)?,
                ));
            }
            _ => {
                return Err(invalid(
                    &format!("{key}.tls"),
                    "a client certificate needs both cert_file and key_file",
                ));
            }
        }
        Ok(Some(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_without_a_ca_is_refused_and_http_with_files_too() {
        let none = ClientTlsSettings::default();
        assert!(
            none.for_url("http://127.0.0.1:1", "agent")
                .unwrap()
                .is_none()
        );
        let err = none
            .for_url("https://agent.internal:443", "agent")
            .unwrap_err();
        assert!(err.to_string().contains("agent.tls.ca_file"), "{err}");
        let with_ca = ClientTlsSettings {
            ca_file: Some("ca.pem".into()),
            ..ClientTlsSettings::default()
        };
        let err = with_ca.for_url("http://127.0.0.1:1", "agent").unwrap_err();
        assert!(err.to_string().contains("not https://"), "{err}");
    }

    #[test]
    fn server_tls_needs_cert_and_key_together() {
        assert!(server_config(None, None, None).unwrap().is_none());
        let err = server_config(Some(Path::new("c.pem")), None, None).unwrap_err();
        assert!(err.to_string().contains("server.tls_key"), "{err}");
        let err = server_config(None, None, Some(Path::new("ca.pem"))).unwrap_err();
        assert!(err.to_string().contains("server.tls_client_ca"), "{err}");
        let err = server_config(
            Some(Path::new("/nonexistent/c.pem")),
            Some(Path::new("k")),
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("server.tls_cert"), "{err}");
    }
}
