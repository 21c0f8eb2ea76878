//! TLS to the brokers with rustls, configured from librdkafka's `ssl.*` names: the trusted CAs
//! (`ssl.ca.pem`/`ssl.ca.location`, else the system's), a client certificate
//! (`ssl.certificate.*` + `ssl.key.*`, the key optionally encrypted with `ssl.key.password`),
//! `ssl.endpoint.identification.algorithm` (`https` checks the broker's host name, `none` only its
//! chain) and `enable.ssl.certificate.verification`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::conn::split_host_port;
use crate::DistributedError;

/// librdkafka `ssl.*` settings that would change what is trusted or offered and that rustls
/// cannot honour; refused rather than ignored.
const REFUSED: &[&str] = &[
    "ssl.crl.location",
    "ssl.engine.location",
    "ssl.engine.id",
    "ssl.providers",
    "ssl_engine_callback_data",
];

/// A configured TLS client.
#[derive(Clone)]
pub(crate) struct Tls {
    connector: TlsConnector,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").finish_non_exhaustive()
    }
}

impl Tls {
    pub(crate) fn from_client(client: &BTreeMap<String, String>) -> Result<Self, DistributedError> {
        let get = |k: &str| client.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        if let Some(key) = REFUSED.iter().find(|k| get(k).is_some()) {
            return Err(config(format!(
                "{key} is not supported for the worker group membership's TLS"
            )));
        }
        for key in ["ssl.cipher.suites", "ssl.curves.list", "ssl.sigalgs.list"] {
            if get(key).is_some() {
                tracing::warn!(
                    "{key} is ignored by the distributed-mode group member: its TLS uses rustls's safe defaults"
                );
            }
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verify_chain = get("enable.ssl.certificate.verification")
            .is_none_or(|v| !v.eq_ignore_ascii_case("false"));
        let verify_host = match get("ssl.endpoint.identification.algorithm")
            .unwrap_or("https")
            .to_ascii_lowercase()
            .as_str()
        {
            "https" => true,
            "none" => false,
            other => {
                return Err(config(format!(
                    "ssl.endpoint.identification.algorithm {other} is not one of none, https"
                )));
            }
        };
        let verifier: Arc<dyn ServerCertVerifier> = if verify_chain {
            let roots = roots(
                get("ssl.ca.pem").map(|v| ("ssl.ca.pem", v)),
                get("ssl.ca.location").map(|v| ("ssl.ca.location", v)),
            )?;
            let webpki =
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|e| config(format!("the trusted CA certificates: {e}")))?;
            if verify_host {
                webpki
            } else {
                Arc::new(ChainOnly(webpki))
            }
        } else {
            Arc::new(NoVerification(provider.clone()))
        };
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| config(format!("TLS: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let cert = pem_setting(client, "ssl.certificate.pem", "ssl.certificate.location")?;
        let key = pem_setting(client, "ssl.key.pem", "ssl.key.location")?;
        let keystore = get("ssl.keystore.location");
        let config = match (cert, key) {
            (None, None) => match keystore {
                Some(path) => {
                    let (chain, key) = pkcs12(path, get("ssl.keystore.password"))?;
                    builder
                        .with_client_auth_cert(chain, key)
                        .map_err(|e| config(format!("ssl.keystore.location: {e}")))?
                }
                None => builder.with_no_client_auth(),
            },
            (Some(cert), Some(key)) => {
                let chain = CertificateDer::pem_slice_iter(cert.as_bytes())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| config(format!("ssl.certificate: {e}")))?;
                if chain.is_empty() {
                    return Err(config("ssl.certificate holds no PEM certificate".into()));
                }
                let key = private_key(&key, get("ssl.key.password"))?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| config(format!("the client certificate and key: {e}")))?
            }
            (Some(_), None) => {
                return Err(config(
                    "ssl.certificate.* is set without ssl.key.location/ssl.key.pem".into(),
                ));
            }
            (None, Some(_)) => {
                return Err(config(
                    "ssl.key.* is set without ssl.certificate.location/ssl.certificate.pem".into(),
                ));
            }
        };
        Ok(Tls {
            connector: TlsConnector::from(Arc::new(config)),
        })
    }

    /// The TLS handshake with `broker` (`host:port`) over `tcp`.
    pub(crate) async fn connect(
        &self,
        broker: &str,
        tcp: TcpStream,
    ) -> Result<TlsStream<TcpStream>, DistributedError> {
        let tls_error = |message: String| DistributedError::Tls {
            broker: broker.to_owned(),
            message,
        };
        let host = split_host_port(broker)
            .map(|(h, _)| h)
            .ok_or_else(|| tls_error("not a host:port address".into()))?;
        let name = ServerName::try_from(host.to_owned())
            .map_err(|e| tls_error(format!("{host} is not a valid server name: {e}")))?;
        self.connector
            .connect(name, tcp)
            .await
            .map_err(|e| tls_error(e.to_string()))
    }
}

fn config(message: String) -> DistributedError {
    DistributedError::Config(message)
}

/// A PEM setting given inline (`pem_key`) or as a file (`location_key`).
fn pem_setting(
    client: &BTreeMap<String, String>,
    pem_key: &str,
    location_key: &str,
) -> Result<Option<String>, DistributedError> {
    if let Some(pem) = client.get(pem_key).filter(|v| !v.trim().is_empty()) {
        return Ok(Some(pem.clone()));
    }
    match client
        .get(location_key)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
    {
        None => Ok(None),
        Some(path) => std::fs::read_to_string(path)
            .map(Some)
            .map_err(|e| config(format!("{location_key} {path}: {e}"))),
    }
}

/// The rustls configuration for an `https` OAuth token endpoint (OAUTHBEARER/OIDC): the chain
/// and the host name are always checked. Trusted: librdkafka's `https.ca.pem`/`https.ca.location`
/// when set, else the worker's `ssl.ca.pem`/`ssl.ca.location` (Kafka's Java client checks its
/// token endpoint against its own `ssl.truststore.*`, which the translation turns into
/// `ssl.ca.pem`), else the system's.
pub(crate) fn https_client_config(
    client: &BTreeMap<String, String>,
) -> Result<ClientConfig, DistributedError> {
    let get = |k: &'static str| {
        client
            .get(k)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .map(|v| (k, v))
    };
    let (pem, location) = match (get("https.ca.pem"), get("https.ca.location")) {
        (None, None) => (get("ssl.ca.pem"), get("ssl.ca.location")),
        https => https,
    };
    let roots = roots(pem, location)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| config(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The trust anchors: a PEM setting (`ssl.ca.pem`), else a location setting (`ssl.ca.location`:
/// a file or a directory of PEM files; `probe` means the system's), else the system's, as
/// librdkafka on OpenSSL. Each is given with its setting name, for the messages.
fn roots(
    pem: Option<(&str, &str)>,
    location: Option<(&str, &str)>,
) -> Result<RootCertStore, DistributedError> {
    let mut store = RootCertStore::empty();
    let mut add_pem = |text: &[u8], origin: &str| -> Result<(), DistributedError> {
        for cert in CertificateDer::pem_slice_iter(text) {
            let cert = cert.map_err(|e| config(format!("{origin}: {e}")))?;
            store
                .add(cert)
                .map_err(|e| config(format!("{origin}: {e}")))?;
        }
        Ok(())
    };
    match (pem, location) {
        (Some((name, pem)), _) => add_pem(pem.as_bytes(), name)?,
        (None, Some((name, location))) if !location.eq_ignore_ascii_case("probe") => {
            let path = Path::new(location);
            let files = if path.is_dir() {
                let mut files = std::fs::read_dir(path)
                    .map_err(|e| config(format!("{name} {location}: {e}")))?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.is_file())
                    .collect::<Vec<_>>();
                files.sort();
                files
            } else {
                vec![path.to_path_buf()]
            };
            for file in files {
                let text = std::fs::read(&file)
                    .map_err(|e| config(format!("{name} {}: {e}", file.display())))?;
                add_pem(&text, &format!("{name} {}", file.display()))?;
            }
        }
        _ => {
            let native = rustls_native_certs::load_native_certs();
            for cert in native.certs {
                // One unparsable system certificate must not make the rest unusable.
                store.add(cert).ok();
            }
        }
    }
    if store.is_empty() {
        return Err(config("no trusted CA certificate was found".into()));
    }
    Ok(store)
}

/// The client key from PEM (PKCS#8, PKCS#1 or SEC1, encrypted or not) as PKCS#8 for rustls;
/// OpenSSL reads every form librdkafka accepts.
fn private_key(
    pem: &str,
    password: Option<&str>,
) -> Result<PrivateKeyDer<'static>, DistributedError> {
    let key = match password {
        Some(p) => {
            openssl::pkey::PKey::private_key_from_pem_passphrase(pem.as_bytes(), p.as_bytes())
        }
        None => openssl::pkey::PKey::private_key_from_pem(pem.as_bytes()),
    }
    .map_err(|e| config(format!("ssl.key: {e}")))?;
    let der = key
        .private_key_to_pkcs8()
        .map_err(|e| config(format!("ssl.key: {e}")))?;
    Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der)))
}

/// librdkafka's `ssl.keystore.location`: a PKCS#12 file with the client certificate, its chain
/// and key.
fn pkcs12(
    path: &str,
    password: Option<&str>,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), DistributedError> {
    let err = |e: &dyn std::fmt::Display| config(format!("ssl.keystore.location {path}: {e}"));
    let der = std::fs::read(path).map_err(|e| err(&e))?;
    let parsed = openssl::pkcs12::Pkcs12::from_der(&der)
        .and_then(|p| p.parse2(password.unwrap_or_default()))
        .map_err(|e| err(&e))?;
    let (Some(cert), Some(key)) = (parsed.cert, parsed.pkey) else {
        return Err(err(
            &"the keystore holds no certificate with its private key",
        ));
    };
    let mut chain = vec![CertificateDer::from(cert.to_der().map_err(|e| err(&e))?)];
    for ca in parsed.ca.into_iter().flatten() {
        chain.push(CertificateDer::from(ca.to_der().map_err(|e| err(&e))?));
    }
    let key = key.private_key_to_pkcs8().map_err(|e| err(&e))?;
    Ok((chain, PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key))))
}

/// `ssl.endpoint.identification.algorithm=none`: the chain must lead to a trusted CA, the name
/// in the certificate may differ from the address dialled.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // WebPKI checks the chain before the name, so a name error means the chain was good.
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `enable.ssl.certificate.verification=false`: any certificate is accepted (librdkafka's
/// switch for test setups); the handshake signatures are still checked.
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
