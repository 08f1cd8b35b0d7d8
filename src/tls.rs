//! TLS client configuration shared by the IMAP client: rustls with the ring provider (no
//! process-wide default provider is relied on), the Mozilla roots, and optionally one extra
//! private CA from `tls_ca_file`.

use std::sync::Arc;

use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

pub fn client_config(extra_ca_file: &str) -> anyhow::Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if !extra_ca_file.trim().is_empty() {
        let certs = CertificateDer::pem_file_iter(extra_ca_file.trim())
            .map_err(|e| anyhow::anyhow!("tls_ca_file {extra_ca_file}: {e}"))?;
        for c in certs {
            let c = c.map_err(|e| anyhow::anyhow!("tls_ca_file {extra_ca_file}: {e}"))?;
            roots.add(c).map_err(|e| anyhow::anyhow!("tls_ca_file {extra_ca_file}: {e}"))?;
        }
    }
    let config = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| anyhow::anyhow!("TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
