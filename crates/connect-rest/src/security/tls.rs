//! The https listeners' rustls configuration, from the settings Kafka's
//! `SSLUtils.createServerSideSslContextFactory` reads.
//!
//! The settings come from `listeners.https.` (`admin.listeners.https.` for the admin
//! listeners) when any key has that prefix, and then only from there; otherwise from the plain
//! `ssl.*` keys (`valuesWithPrefixAllOrNothing`). The key and trust stores (PEM, PKCS12, JKS,
//! inline PEM) are read by the Kafka client reader in `connect_api::kafka_client`, the one
//! reader of Java's store formats, so the listener accepts exactly the stores the clients do.
//!
//! - `ssl.client.auth`: `required` (a client without a certificate the truststore signs is
//!   refused in the handshake), `requested` (one is asked for and checked if sent), anything
//!   else none, as `configureSslContextFactoryAuthentication`'s `switch`.
//! - `ssl.enabled.protocols`: `TLSv1.2` and `TLSv1.3` (rustls has no older ones).
//! - `ssl.cipher.suites`: Java's (IANA) suite names that rustls implements.
//! - `ssl.protocol`, `ssl.provider`, `ssl.keymanager.algorithm`, `ssl.trustmanager.algorithm`,
//!   `ssl.secure.random.implementation` choose JVM implementations: ignored with a warning.

use std::sync::Arc;

use connect_api::Props;
use connect_api::kafka_client::{ClientKind, translate};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, SupportedProtocolVersion};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

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

/// The rustls configuration of the https listeners under `prefix`.
///
/// # Errors
/// No keystore, a store that cannot be read (wrong password, truncated file, wrong type),
/// client authentication without a truststore, or a protocol or cipher suite rustls lacks;
/// each names the setting (with its prefix) and never a password.
pub fn server_config(props: &Props, prefix: &str) -> Result<Arc<ServerConfig>, RestConfigError> {
    let (values, used) = ssl_values(props, prefix);
    let key_name = |k: &str| format!("{used}{k}");
    for k in JVM_ONLY_KEYS {
        if values.get(*k).is_some_and(|v| !v.trim().is_empty()) {
            tracing::warn!(
                "{} chooses a JVM security implementation; Sluice's https listener uses rustls and ignores it.",
                key_name(k)
            );
        }
    }
    let stores: Props = values
        .iter()
        .filter(|(k, _)| STORE_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let translated =
        translate(&[&stores], ClientKind::Admin).map_err(|e| RestConfigError::Store {
            key: key_name(&e.key),
            reason: e.message,
        })?;
    let pem = |k: &str| translated.props.get(k).map(String::as_bytes);
    let (Some(chain), Some(key)) = (pem("ssl.certificate.pem"), pem("ssl.key.pem")) else {
        return Err(RestConfigError::Setting {
            key: key_name("ssl.keystore.location"),
            reason: "an https listener needs a keystore with the server's key and certificate (ssl.keystore.location, or ssl.keystore.key with ssl.keystore.certificate.chain)".to_owned(),
        });
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(chain)
        .collect::<Result<_, _>>()
        .map_err(|e| store_error(&key_name("ssl.keystore.location"), &e))?;
    let key = PrivateKeyDer::from_pem_slice(key)
        .map_err(|e| store_error(&key_name("ssl.keystore.location"), &e))?;

    let provider = Arc::new(cipher_suites(
        rustls::crypto::aws_lc_rs::default_provider(),
        &values,
        &key_name("ssl.cipher.suites"),
    )?);
    let versions = protocol_versions(&values, &key_name("ssl.enabled.protocols"))?;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| RestConfigError::Setting {
            key: key_name("ssl.cipher.suites"),
            reason: format!("no cipher suite left for the enabled protocols: {e}"),
        })?;
    let client_auth = values.get("ssl.client.auth").map_or("none", |s| s.as_str());
    let builder = match client_auth {
        "required" | "requested" => {
            let Some(ca) = pem("ssl.ca.pem") else {
                return Err(RestConfigError::Setting {
                    key: key_name("ssl.client.auth"),
                    reason: format!(
                        "ssl.client.auth={client_auth} needs a truststore to check client certificates against ({used}ssl.truststore.location or {used}ssl.truststore.certificates)"
                    ),
                });
            };
            let mut roots = RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(ca) {
                let cert =
                    cert.map_err(|e| store_error(&key_name("ssl.truststore.location"), &e))?;
                roots
                    .add(cert)
                    .map_err(|e| store_error(&key_name("ssl.truststore.location"), &e))?;
            }
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
