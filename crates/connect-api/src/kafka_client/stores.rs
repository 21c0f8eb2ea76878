//! Java's trust and key stores (`ssl.truststore.*`, `ssl.keystore.*`, `ssl.key.password`) read
//! into the PEM text librdkafka takes in memory (`ssl.ca.pem`, `ssl.certificate.pem`,
//! `ssl.key.pem`), so no secret is ever written to disk. Types as Kafka's
//! `DefaultSslEngineFactory` knows them: JKS (Java's default; a PKCS12 file under that type is
//! read too, as Java's `keystore.type.compat` does), PKCS12 and PEM (a file, or the inline
//! `ssl.truststore.certificates` / `ssl.keystore.certificate.chain` + `ssl.keystore.key`).

use openssl::pkcs12::Pkcs12;
use openssl::pkey::{PKey, Private};
use openssl::x509::X509;

use super::{ClientConfigError, jks};
use crate::Props;

fn err(key: &str, message: impl Into<String>) -> ClientConfigError {
    ClientConfigError::new(key, message)
}

fn store_type(props: &Props, key: &str) -> Result<String, ClientConfigError> {
    let t = props
        .get(key)
        .map_or("JKS", |s| s.trim())
        .to_ascii_uppercase();
    match t.as_str() {
        "JKS" | "PKCS12" | "PEM" => Ok(t),
        other => Err(err(
            key,
            format!("store type {other} is not supported (JKS, PKCS12 and PEM are)"),
        )),
    }
}

fn read_file(location_key: &str, path: &str) -> Result<Vec<u8>, ClientConfigError> {
    std::fs::read(path).map_err(|e| err(location_key, format!("cannot read {path}: {e}")))
}

fn certs_to_pem(key: &str, certs: &[X509]) -> Result<String, ClientConfigError> {
    let mut out = String::new();
    for c in certs {
        let pem = c
            .to_pem()
            .map_err(|e| err(key, format!("cannot encode a certificate: {e}")))?;
        out.push_str(&String::from_utf8_lossy(&pem));
    }
    Ok(out)
}

fn der_certs(key: &str, ders: &[Vec<u8>]) -> Result<Vec<X509>, ClientConfigError> {
    ders.iter()
        .map(|d| {
            X509::from_der(d).map_err(|e| err(key, format!("a certificate is malformed: {e}")))
        })
        .collect()
}

fn pem_certs(key: &str, text: &[u8]) -> Result<Vec<X509>, ClientConfigError> {
    let certs = X509::stack_from_pem(text)
        .map_err(|e| err(key, format!("the PEM certificates cannot be read: {e}")))?;
    if certs.is_empty() {
        return Err(err(key, "no PEM certificate found"));
    }
    Ok(certs)
}

fn key_to_pem(key: &str, pkey: &PKey<Private>) -> Result<String, ClientConfigError> {
    let pem = pkey
        .private_key_to_pem_pkcs8()
        .map_err(|e| err(key, format!("cannot encode the private key: {e}")))?;
    Ok(String::from_utf8_lossy(&pem).into_owned())
}

/// A PKCS12 file opened with `password`. OpenSSL's messages name no password.
fn pkcs12(
    location_key: &str,
    password_key: &str,
    data: &[u8],
    password: &str,
) -> Result<openssl::pkcs12::ParsedPkcs12_2, ClientConfigError> {
    let p12 = Pkcs12::from_der(data).map_err(|_| {
        err(
            location_key,
            "the file is neither a PKCS12 nor a JKS keystore",
        )
    })?;
    p12.parse2(password).map_err(|_| {
        err(
            password_key,
            "the password is wrong for the PKCS12 keystore (integrity check failed)",
        )
    })
}

/// `ssl.ca.pem` from the truststore settings, or `None` when no truststore is configured.
pub(crate) fn truststore(props: &Props) -> Result<Option<String>, ClientConfigError> {
    const LOC: &str = "ssl.truststore.location";
    const PW: &str = "ssl.truststore.password";
    const INLINE: &str = "ssl.truststore.certificates";
    let ty = store_type(props, "ssl.truststore.type")?;
    let location = props.get(LOC).filter(|s| !s.is_empty());
    let password = props.get(PW).filter(|s| !s.is_empty());
    let inline = props.get(INLINE).filter(|s| !s.is_empty());
    if let Some(text) = inline {
        if ty != "PEM" {
            return Err(err(
                INLINE,
                "inline certificates need ssl.truststore.type=PEM",
            ));
        }
        if location.is_some() {
            return Err(err(
                INLINE,
                "set either ssl.truststore.certificates or ssl.truststore.location, not both",
            ));
        }
        return certs_to_pem(INLINE, &pem_certs(INLINE, text.as_bytes())?).map(Some);
    }
    let Some(path) = location else {
        return Ok(None);
    };
    let data = read_file(LOC, path)?;
    let certs = match ty.as_str() {
        "PEM" => {
            if password.is_some() {
                return Err(err(
                    PW,
                    "SSL trust store password cannot be specified for PEM format.",
                ));
            }
            pem_certs(LOC, &data)?
        }
        _ if data.starts_with(&jks::MAGIC.to_be_bytes())
            || data.starts_with(&[0xce, 0xce, 0xce, 0xce]) =>
        {
            let store = jks::read(&data, password.map(String::as_str)).map_err(|m| {
                // Only the integrity check depends on the password.
                let key = if m.contains("password") { PW } else { LOC };
                err(key, format!("{m} ({path})"))
            })?;
            let mut ders = store.trusted;
            // Java's TrustManagerFactory trusts a key entry's own certificate as well.
            ders.extend(
                store
                    .keys
                    .into_iter()
                    .filter_map(|k| k.chain.into_iter().next()),
            );
            der_certs(LOC, &ders)?
        }
        _ => {
            let parsed = pkcs12(LOC, PW, &data, password.map_or("", String::as_str))?;
            let mut certs: Vec<X509> = parsed
                .ca
                .map(|s| s.into_iter().collect())
                .unwrap_or_default();
            certs.extend(parsed.cert);
            certs
        }
    };
    if certs.is_empty() {
        return Err(err(
            LOC,
            format!("the truststore {path} holds no certificate"),
        ));
    }
    certs_to_pem(LOC, &certs).map(Some)
}

/// `(ssl.certificate.pem, ssl.key.pem)` from the keystore settings, or `None` without one.
pub(crate) fn keystore(props: &Props) -> Result<Option<(String, String)>, ClientConfigError> {
    const LOC: &str = "ssl.keystore.location";
    const PW: &str = "ssl.keystore.password";
    const KEY_PW: &str = "ssl.key.password";
    const CHAIN: &str = "ssl.keystore.certificate.chain";
    const KEY: &str = "ssl.keystore.key";
    let ty = store_type(props, "ssl.keystore.type")?;
    let location = props.get(LOC).filter(|s| !s.is_empty());
    let password = props.get(PW).filter(|s| !s.is_empty());
    let key_password = props.get(KEY_PW).filter(|s| !s.is_empty());
    let chain = props.get(CHAIN).filter(|s| !s.is_empty());
    let inline_key = props.get(KEY).filter(|s| !s.is_empty());

    if chain.is_some() || inline_key.is_some() {
        if ty != "PEM" {
            return Err(err(
                KEY,
                "an inline key and certificate chain need ssl.keystore.type=PEM",
            ));
        }
        if location.is_some() {
            return Err(err(
                KEY,
                "set either ssl.keystore.key with ssl.keystore.certificate.chain, or ssl.keystore.location, not both",
            ));
        }
        let (Some(chain), Some(key)) = (chain, inline_key) else {
            return Err(err(
                KEY,
                "ssl.keystore.key and ssl.keystore.certificate.chain must be set together",
            ));
        };
        let certs = pem_certs(CHAIN, chain.as_bytes())?;
        let pkey = pem_key(KEY, key.as_bytes(), key_password)?;
        return Ok(Some((
            certs_to_pem(CHAIN, &certs)?,
            key_to_pem(KEY, &pkey)?,
        )));
    }
    let Some(path) = location else {
        return Ok(None);
    };
    let data = read_file(LOC, path)?;
    if ty == "PEM" {
        if password.is_some() {
            return Err(err(
                PW,
                "SSL key store password cannot be specified with PEM format, only key password may be specified",
            ));
        }
        let certs = pem_certs(LOC, &data)?;
        let pkey = pem_key(LOC, &data, key_password)?;
        return Ok(Some((certs_to_pem(LOC, &certs)?, key_to_pem(LOC, &pkey)?)));
    }
    let Some(password) = password else {
        return Err(err(
            PW,
            "SSL key store is specified, but key store password is not specified.",
        ));
    };
    let key_password = key_password.unwrap_or(password);
    if data.starts_with(&jks::MAGIC.to_be_bytes()) || data.starts_with(&[0xce, 0xce, 0xce, 0xce]) {
        let store = jks::read(&data, Some(password)).map_err(|m| {
            let key = if m.contains("password") { PW } else { LOC };
            err(key, format!("{m} ({path})"))
        })?;
        let mut keys = store.keys.into_iter();
        let (Some(entry), None) = (keys.next(), keys.next()) else {
            return Err(err(
                LOC,
                format!("the keystore {path} must hold exactly one private key entry"),
            ));
        };
        let der = entry.decrypt(key_password).map_err(|m| err(KEY_PW, m))?;
        let pkey = PKey::private_key_from_pkcs8(&der).map_err(|e| {
            err(
                LOC,
                format!("the private key in {path} cannot be read: {e}"),
            )
        })?;
        let certs = der_certs(LOC, &entry.chain)?;
        return Ok(Some((certs_to_pem(LOC, &certs)?, key_to_pem(LOC, &pkey)?)));
    }
    let parsed = pkcs12(LOC, PW, &data, password)?;
    let (Some(pkey), Some(cert)) = (parsed.pkey, parsed.cert) else {
        return Err(err(
            LOC,
            format!("the keystore {path} holds no private key with its certificate"),
        ));
    };
    let mut certs = vec![cert];
    certs.extend(
        parsed
            .ca
            .map(|s| s.into_iter().collect::<Vec<_>>())
            .unwrap_or_default(),
    );
    Ok(Some((certs_to_pem(LOC, &certs)?, key_to_pem(LOC, &pkey)?)))
}

/// A PEM private key, decrypted with `ssl.key.password` when it is encrypted.
fn pem_key(
    key: &str,
    text: &[u8],
    password: Option<&String>,
) -> Result<PKey<Private>, ClientConfigError> {
    let encrypted = String::from_utf8_lossy(text).contains("ENCRYPTED");
    match (encrypted, password) {
        (true, Some(pw)) => {
            PKey::private_key_from_pem_passphrase(text, pw.as_bytes()).map_err(|_| {
                err(
                    "ssl.key.password",
                    "the key password is wrong, or the encrypted PEM key cannot be read",
                )
            })
        }
        (true, None) => Err(err(
            "ssl.key.password",
            "the PEM private key is encrypted but ssl.key.password is not set",
        )),
        (false, _) => PKey::private_key_from_pem(text)
            .map_err(|e| err(key, format!("no readable PEM private key: {e}"))),
    }
}
