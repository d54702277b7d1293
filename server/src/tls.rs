//! HTTPS: the certificate and key the server presents (`MCP_SSL_CERT_FILE`, `MCP_SSL_KEY_FILE`),
//! or a self-signed certificate made at start when HTTPS is on without them.

use std::path::Path;

use mcp_oauth_core::Error;
use poem::listener::{RustlsCertificate, RustlsConfig};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::app::setting;

/// How long a certificate made at start is valid: a year (one is made at every start).
pub const SELF_SIGNED_DAYS: i64 = 365;

/// A certificate chain and its private key, both PEM, checked to belong together.
pub struct TlsIdentity {
    cert_pem: Vec<u8>,
    key_pem: Vec<u8>,
}

impl TlsIdentity {
    /// The identity in `cert_file` and `key_file`; a one-line configuration error naming the
    /// setting at fault otherwise.
    pub fn from_files(cert_file: &Path, key_file: &Path) -> Result<Self, Error> {
        let cert_pem = read("MCP_SSL_CERT_FILE", cert_file)?;
        let key_pem = read("MCP_SSL_KEY_FILE", key_file)?;
        let identity = Self { cert_pem, key_pem };
        identity.check(
            &cert_file.display().to_string(),
            &key_file.display().to_string(),
        )?;
        Ok(identity)
    }

    /// A fresh self-signed certificate for `hosts` (names or IP addresses), valid from a day
    /// ago (clocks differ) for [`SELF_SIGNED_DAYS`], named after the server and its first host
    /// so that a browser's certificate viewer says what it is.
    pub fn self_signed(hosts: Vec<String>) -> Result<Self, Error> {
        let unmade = |e: rcgen::Error| {
            setting(
                "MCP_SSL_CERT_FILE",
                "unset",
                &format!("a certificate file: no self-signed one could be made ({e})"),
            )
        };
        let name = format!(
            "memory server (self-signed) {}",
            hosts.first().map_or("", String::as_str)
        );
        let mut params = rcgen::CertificateParams::new(hosts).map_err(unmade)?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name.trim_end());
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(SELF_SIGNED_DAYS);
        let key = rcgen::KeyPair::generate().map_err(unmade)?;
        let cert = params.self_signed(&key).map_err(unmade)?;
        Ok(Self {
            cert_pem: cert.pem().into_bytes(),
            key_pem: key.serialize_pem().into_bytes(),
        })
    }

    /// The listener configuration presenting this identity.
    pub fn rustls_config(&self) -> RustlsConfig {
        RustlsConfig::new().fallback(
            RustlsCertificate::new()
                .cert(self.cert_pem.clone())
                .key(self.key_pem.clone()),
        )
    }

    /// Fails unless the files hold at least one certificate and a private key that signs for it.
    fn check(&self, cert_file: &str, key_file: &str) -> Result<(), Error> {
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&self.cert_pem)
            .collect::<Result<_, _>>()
            .ok()
            .filter(|chain: &Vec<_>| !chain.is_empty())
            .ok_or_else(|| {
                setting(
                    "MCP_SSL_CERT_FILE",
                    cert_file,
                    "a PEM file with the certificate chain (BEGIN CERTIFICATE)",
                )
            })?;
        let key = PrivateKeyDer::from_pem_slice(&self.key_pem).map_err(|_| {
            setting(
                "MCP_SSL_KEY_FILE",
                key_file,
                "a PEM file with the private key (PKCS#8, PKCS#1 or SEC1)",
            )
        })?;
        rustls::ServerConfig::builder_with_provider(
            rustls::crypto::ring::default_provider().into(),
        )
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_no_client_auth().with_single_cert(chain, key))
        .map_err(|e| {
            setting(
                "MCP_SSL_KEY_FILE",
                key_file,
                &format!("the private key of the certificate in MCP_SSL_CERT_FILE ({e})"),
            )
        })?;
        Ok(())
    }
}

fn read(variable: &str, path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| {
        setting(
            variable,
            &path.display().to_string(),
            &format!("a readable PEM file ({e})"),
        )
    })
}
