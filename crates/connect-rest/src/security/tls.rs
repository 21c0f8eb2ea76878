//! The REST TLS configuration, from the settings Kafka's `SSLUtils` reads: the https listeners'
//! (`createServerSideSslContextFactory`) and the client a worker forwards requests to other
//! workers with (`createClientSideSslContextFactory`, Kafka's `RestClient`).
//!
//! The settings come from `listeners.https.` (`admin.listeners.https.` for the admin
//! listeners; always `listeners.https.` for the client) when any key has that prefix, and then
//! only from there; otherwise from the plain `ssl.*` keys (`valuesWithPrefixAllOrNothing`). The
//! key and trust stores (PEM, PKCS12, JKS, inline PEM) are read by the Kafka client reader in
//! `connect_api::kafka_client`, the one reader of Java's store formats, so the listener and the
//! client accept exactly the stores the Kafka clients do.
//!
//! - `ssl.client.auth` (listener): `required` (a client without a certificate the truststore
//!   signs is refused in the handshake), `requested` (one is asked for and checked if sent),
//!   anything else none, as `configureSslContextFactoryAuthentication`'s `switch`.
//! - Client: the peer's certificate must chain to the truststore; without one, Jetty trusts the
//!   certificate of the keystore (`loadTrustStore` falls back to the keystore), and without
//!   either the system's CAs (the JVM's `cacerts`). The keystore is presented when the peer
//!   asks for a client certificate. `ssl.endpoint.identification.algorithm`: `https` (Jetty's
//!   default) checks the peer's host name, empty does not; other values are refused.
//! - `ssl.enabled.protocols`: `TLSv1.2` and `TLSv1.3` (rustls has no older ones).
//! - `ssl.cipher.suites`: Java's (IANA) suite names that rustls implements.
//! - `ssl.protocol`, `ssl.provider`, `ssl.keymanager.algorithm`, `ssl.trustmanager.algorithm`,
//!   `ssl.secure.random.implementation` choose JVM implementations: ignored with a warning.

use std::sync::Arc;

use connect_api::Props;
use connect_api::kafka_client::{ClientKind, translate};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::crypto::CryptoProvider;
use rustls::server::{ParsedCertificate, WebPkiClientVerifier};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig,
    SignatureScheme, SupportedProtocolVersion,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

use super::RestConfigError;

/// `RestServerConfig`'s prefix for the main listeners' TLS settings.
pub const LISTENERS_HTTPS_PREFIX: &str = "listeners.https.";
/// `RestServerConfig.ADMIN_LISTENERS_HTTPS_CONFIGS_PREFIX`.
pub const ADMIN_LISTENERS_HTTPS_PREFIX: &str = "admin.listeners.https.";

/// The store settings handed to the Kafka client store reader.
const STORE_KEYS: &[&str] = &[
    "ssl.truststore.type",
    "ssl.truststore.location",
    "ssl.truststore.password",
    "ssl.truststore.certificates",
    "ssl.keystore.type",
    "ssl.keystore.location",
    "ssl.keystore.password",
    "ssl.keystore.key",
    "ssl.keystore.certificate.chain",
    "ssl.key.password",
];

/// Settings that pick JVM implementations (`SSLContext` protocol, JCA provider, key and trust
/// manager factories, `SecureRandom`): nothing to choose with rustls, so they are ignored with
/// a warning.
const JVM_ONLY_KEYS: &[&str] = &[
    "ssl.protocol",
    "ssl.provider",
    "ssl.keymanager.algorithm",
    "ssl.trustmanager.algorithm",
    "ssl.secure.random.implementation",
];

/// The TLS settings for listeners under `prefix` (`listeners.https.` or
/// `admin.listeners.https.`), with the key each came from for messages.
fn ssl_values(props: &Props, prefix: &str) -> (Props, String) {
    let prefixed: Props = props
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|s| (s.to_owned(), v.clone())))
        .collect();
    if prefixed.is_empty() {
        let plain = props
            .iter()
            .filter(|(k, _)| k.starts_with("ssl."))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        (plain, String::new())
    } else {
        (prefixed, prefix.to_owned())
    }
}

/// One side's TLS settings: the values (with the prefix they came from, for messages) and the
/// stores as PEM.
struct Material {
    values: Props,
    used: String,
    pems: Props,
}

impl Material {
    /// Reads the settings under `prefix` and their stores; `side` names the user of the
    /// settings in the warnings.
    fn read(props: &Props, prefix: &str, side: &str) -> Result<Self, RestConfigError> {
        let (values, used) = ssl_values(props, prefix);
        for k in JVM_ONLY_KEYS {
            if values.get(*k).is_some_and(|v| !v.trim().is_empty()) {
                tracing::warn!(
                    "{used}{k} chooses a JVM security implementation; Sluice's {side} uses rustls and ignores it."
                );
            }
        }
        let stores: Props = values
            .iter()
            .filter(|(k, _)| STORE_KEYS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let pems = translate(&[&stores], ClientKind::Admin)
            .map_err(|e| RestConfigError::Store {
                key: format!("{used}{}", e.key),
                reason: e.message,
            })?
            .props;
        Ok(Self { values, used, pems })
    }

    fn key_name(&self, k: &str) -> String {
        format!("{}{k}", self.used)
    }

    fn pem(&self, k: &str) -> Option<&[u8]> {
        self.pems.get(k).map(String::as_bytes)
    }

    /// The keystore's certificate chain and key, when there is a keystore.
    fn keystore(
        &self,
    ) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>, RestConfigError>
    {
        let (Some(chain), Some(key)) = (self.pem("ssl.certificate.pem"), self.pem("ssl.key.pem"))
        else {
            return Ok(None);
        };
        let key_name = self.key_name("ssl.keystore.location");
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(chain)
            .collect::<Result<_, _>>()
            .map_err(|e| store_error(&key_name, &e))?;
        let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| store_error(&key_name, &e))?;
        Ok(Some((chain, key)))
    }

    /// The truststore's certificates, when there is a truststore.
    fn truststore(&self) -> Result<Option<RootCertStore>, RestConfigError> {
        let Some(ca) = self.pem("ssl.ca.pem") else {
            return Ok(None);
        };
        let key_name = self.key_name("ssl.truststore.location");
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca) {
            let cert = cert.map_err(|e| store_error(&key_name, &e))?;
            roots.add(cert).map_err(|e| store_error(&key_name, &e))?;
        }
        Ok(Some(roots))
    }

    /// The crypto provider with the `ssl.cipher.suites` and the `ssl.enabled.protocols`.
    fn algorithms(
        &self,
    ) -> Result<(Arc<CryptoProvider>, Vec<&'static SupportedProtocolVersion>), RestConfigError>
    {
        let provider = Arc::new(cipher_suites(
            rustls::crypto::aws_lc_rs::default_provider(),
            &self.values,
            &self.key_name("ssl.cipher.suites"),
        )?);
        let versions = protocol_versions(&self.values, &self.key_name("ssl.enabled.protocols"))?;
        Ok((provider, versions))
    }

    fn no_suite_left(&self, e: &rustls::Error) -> RestConfigError {
        RestConfigError::Setting {
            key: self.key_name("ssl.cipher.suites"),
            reason: format!("no cipher suite left for the enabled protocols: {e}"),
        }
    }
}

/// The rustls configuration of the https listeners under `prefix`.
///
/// # Errors
/// No keystore, a store that cannot be read (wrong password, truncated file, wrong type),
/// client authentication without a truststore, or a protocol or cipher suite rustls lacks;
/// each names the setting (with its prefix) and never a password.
pub fn server_config(props: &Props, prefix: &str) -> Result<Arc<ServerConfig>, RestConfigError> {
    let m = Material::read(props, prefix, "https listener")?;
    let used = m.used.as_str();
    let key_name = |k: &str| m.key_name(k);
    let Some((chain, key)) = m.keystore()? else {
        return Err(RestConfigError::Setting {
            key: key_name("ssl.keystore.location"),
            reason: "an https listener needs a keystore with the server's key and certificate (ssl.keystore.location, or ssl.keystore.key with ssl.keystore.certificate.chain)".to_owned(),
        });
    };
    let (provider, versions) = m.algorithms()?;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| m.no_suite_left(&e))?;
    let values = &m.values;
    let client_auth = values.get("ssl.client.auth").map_or("none", |s| s.as_str());
    let builder = match client_auth {
        "required" | "requested" => {
            let Some(roots) = m.truststore()? else {
                return Err(RestConfigError::Setting {
                    key: key_name("ssl.client.auth"),
                    reason: format!(
                        "ssl.client.auth={client_auth} needs a truststore to check client certificates against ({used}ssl.truststore.location or {used}ssl.truststore.certificates)"
                    ),
                });
            };
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let verifier = if client_auth == "requested" {
                verifier.allow_unauthenticated()
            } else {
                verifier
            };
            let verifier = verifier.build().map_err(|e| RestConfigError::Setting {
                key: key_name("ssl.truststore.location"),
                reason: format!("the truststore cannot check client certificates: {e}"),
            })?;
            builder.with_client_cert_verifier(verifier)
        }
        "none" => builder.with_no_client_auth(),
        // The prefixed keys are not checked by the unprefixed key's validator: refuse here
        // rather than serve without the client authentication the setting asked for.
        other => {
            return Err(RestConfigError::Setting {
                key: key_name("ssl.client.auth"),
                reason: format!("'{other}' is not one of: required, requested, none"),
            });
        }
    };
    let mut config =
        builder
            .with_single_cert(chain, key)
            .map_err(|e| RestConfigError::Setting {
                key: key_name("ssl.keystore.location"),
                reason: format!("the keystore's key and certificate cannot serve TLS: {e}"),
            })?;
    // Jetty's connector in Kafka Connect speaks HTTP/1.1 only.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// `SSLUtils.createClientSideSslContextFactory`: the rustls configuration of the client a
/// worker forwards REST requests and sends internal requests to other workers with, from the
/// `listeners.https.` settings or else the plain `ssl.*` ones.
///
/// # Errors
/// A store that cannot be read, a protocol or cipher suite rustls lacks, an
/// `ssl.endpoint.identification.algorithm` other than `https` or empty, or nothing to trust
/// (no truststore, no keystore and no system CA); each names the setting and never a password.
pub fn client_config(props: &Props) -> Result<ClientConfig, RestConfigError> {
    let m = Material::read(
        props,
        LISTENERS_HTTPS_PREFIX,
        "REST client for other workers",
    )?;
    let key = "ssl.endpoint.identification.algorithm";
    // Kafka trims the value (`ConfigDef.Type.STRING`); Java compares the algorithm name
    // ignoring case, and Jetty's client checks `HTTPS` when it is not set.
    let check_host = match m.values.get(key).map(|v| v.trim()) {
        None => true,
        Some("") => false,
        Some(v) if v.eq_ignore_ascii_case("https") => true,
        Some(other) => {
            return Err(RestConfigError::Invalid {
                key: m.key_name(key),
                value: other.to_owned(),
                reason: "the REST client checks host names as https, or not at all when the value is empty".to_owned(),
            });
        }
    };
    let keystore = m.keystore()?;
    let trust = match (m.truststore()?, &keystore) {
        (Some(roots), _) => Trust::Roots(Arc::new(roots)),
        // Java's trust manager trusts a key entry's own certificate (its chain's first).
        (None, Some((chain, _))) => {
            Trust::Own(
                chain
                    .first()
                    .cloned()
                    .ok_or_else(|| RestConfigError::Setting {
                        key: m.key_name("ssl.keystore.location"),
                        reason: "the keystore holds no certificate".to_owned(),
                    })?,
            )
        }
        (None, None) => {
            let mut roots = RootCertStore::empty();
            for cert in rustls_native_certs::load_native_certs().certs {
                // One unparsable system certificate must not make the others unusable.
                roots.add(cert).ok();
            }
            if roots.is_empty() {
                return Err(RestConfigError::Setting {
                    key: m.key_name("ssl.truststore.location"),
                    reason: "no truststore is set and the system has no CA certificates to trust other workers with".to_owned(),
                });
            }
            Trust::Roots(Arc::new(roots))
        }
    };
    let (provider, versions) = m.algorithms()?;
    let verifier = PeerVerifier {
        trust,
        check_host,
        provider: provider.clone(),
    };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&versions)
        .map_err(|e| m.no_suite_left(&e))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    let mut config = match keystore {
        Some((chain, key)) => {
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| RestConfigError::Setting {
                    key: m.key_name("ssl.keystore.location"),
                    reason: format!("the keystore's key and certificate cannot be presented: {e}"),
                })?
        }
        None => builder.with_no_client_auth(),
    };
    // Jetty's client in Kafka Connect speaks HTTP/1.1 only.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// What the REST client trusts another worker's certificate by.
#[derive(Debug)]
enum Trust {
    /// It chains to one of these CAs (the truststore, or the system's).
    Roots(Arc<RootCertStore>),
    /// It is the keystore's own certificate (Jetty without a truststore).
    Own(CertificateDer<'static>),
}

/// The REST client's check of another worker's certificate: the trust, then the host name
/// unless `ssl.endpoint.identification.algorithm` is empty.
#[derive(Debug)]
struct PeerVerifier {
    trust: Trust,
    check_host: bool,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PeerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let cert = ParsedCertificate::try_from(end_entity)?;
        match &self.trust {
            Trust::Roots(roots) => verify_server_cert_signed_by_trust_anchor(
                &cert,
                roots,
                intermediates,
                now,
                self.provider.signature_verification_algorithms.all,
            )?,
            Trust::Own(own) if own.as_ref() == end_entity.as_ref() => {}
            Trust::Own(_) => {
                return Err(rustls::Error::InvalidCertificate(
                    CertificateError::UnknownIssuer,
                ));
            }
        }
        if self.check_host {
            verify_server_name(&cert, server_name)?;
        }
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
            &self.provider.signature_verification_algorithms,
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
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn store_error(key: &str, e: &dyn std::fmt::Display) -> RestConfigError {
    RestConfigError::Store {
        key: key.to_owned(),
        reason: e.to_string(),
    }
}

/// `ssl.enabled.protocols` (default `TLSv1.2,TLSv1.3`).
fn protocol_versions(
    values: &Props,
    key: &str,
) -> Result<Vec<&'static SupportedProtocolVersion>, RestConfigError> {
    let Some(list) = values.get("ssl.enabled.protocols") else {
        return Ok(rustls::ALL_VERSIONS.to_vec());
    };
    let mut out = Vec::new();
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let v = match name {
            "TLSv1.3" => &rustls::version::TLS13,
            "TLSv1.2" => &rustls::version::TLS12,
            other => {
                return Err(RestConfigError::Invalid {
                    key: key.to_owned(),
                    value: list.clone(),
                    reason: format!("the REST listener supports TLSv1.2 and TLSv1.3, not {other}"),
                });
            }
        };
        out.push(v);
    }
    if out.is_empty() {
        return Err(RestConfigError::Invalid {
            key: key.to_owned(),
            value: list.clone(),
            reason: "no protocol enabled".to_owned(),
        });
    }
    Ok(out)
}

/// `ssl.cipher.suites`: Java's names, which are the IANA ones (`TLS_AES_128_GCM_SHA256`,
/// `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`); rustls spells the TLS 1.3 ones `TLS13_…`.
fn cipher_suites(
    mut provider: rustls::crypto::CryptoProvider,
    values: &Props,
    key: &str,
) -> Result<rustls::crypto::CryptoProvider, RestConfigError> {
    let Some(list) = values.get("ssl.cipher.suites") else {
        return Ok(provider);
    };
    let names: Vec<&str> = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if names.is_empty() {
        return Ok(provider);
    }
    let java_name = |s: &rustls::SupportedCipherSuite| {
        let n = format!("{:?}", s.suite());
        match n.strip_prefix("TLS13_") {
            Some(rest) => format!("TLS_{rest}"),
            None => n,
        }
    };
    for name in &names {
        if !provider.cipher_suites.iter().any(|s| java_name(s) == *name) {
            return Err(RestConfigError::Invalid {
                key: key.to_owned(),
                value: list.clone(),
                reason: format!("the REST listener does not implement the cipher suite {name}"),
            });
        }
    }
    provider
        .cipher_suites
        .retain(|s| names.contains(&java_name(s).as_str()));
    Ok(provider)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn prefixed_settings_replace_the_plain_ones_all_or_nothing() {
        let p = props(&[
            ("ssl.keystore.location", "/plain.jks"),
            ("ssl.truststore.location", "/plain-trust.jks"),
            ("listeners.https.ssl.keystore.location", "/https.jks"),
        ]);
        let (values, used) = ssl_values(&p, LISTENERS_HTTPS_PREFIX);
        assert_eq!(used, LISTENERS_HTTPS_PREFIX);
        assert_eq!(
            values.get("ssl.keystore.location").map(String::as_str),
            Some("/https.jks")
        );
        // Not taken from the plain settings once any prefixed key is set.
        assert_eq!(values.get("ssl.truststore.location"), None);
        let (values, used) = ssl_values(&p, ADMIN_LISTENERS_HTTPS_PREFIX);
        assert_eq!(used, "");
        assert_eq!(
            values.get("ssl.keystore.location").map(String::as_str),
            Some("/plain.jks")
        );
    }

    #[test]
    fn an_https_listener_without_a_keystore_is_refused_naming_the_setting() {
        let err = server_config(&Props::new(), LISTENERS_HTTPS_PREFIX)
            .expect_err("no keystore")
            .to_string();
        assert!(err.contains("ssl.keystore.location"), "{err}");
    }

    #[test]
    fn protocols_and_cipher_suites_rustls_lacks_are_refused_naming_them() {
        let p = props(&[("ssl.enabled.protocols", "TLSv1.1,TLSv1.2")]);
        let err = protocol_versions(&p, "ssl.enabled.protocols")
            .expect_err("TLSv1.1")
            .to_string();
        assert!(err.contains("TLSv1.1"), "{err}");
        let p = props(&[(
            "ssl.cipher.suites",
            "TLS_AES_128_GCM_SHA256, TLS_RSA_WITH_RC4_128_MD5",
        )]);
        let err = cipher_suites(
            rustls::crypto::aws_lc_rs::default_provider(),
            &p,
            "ssl.cipher.suites",
        )
        .expect_err("RC4")
        .to_string();
        assert!(err.contains("TLS_RSA_WITH_RC4_128_MD5"), "{err}");
        let p = props(&[(
            "ssl.cipher.suites",
            "TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        )]);
        let provider = cipher_suites(
            rustls::crypto::aws_lc_rs::default_provider(),
            &p,
            "ssl.cipher.suites",
        )
        .expect("known suites");
        assert_eq!(provider.cipher_suites.len(), 2);
    }
}
