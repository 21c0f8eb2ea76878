//! Signed internal requests (KIP-507): Kafka's `InternalRequestSignature`, `Crypto` and the
//! `inter.worker.*` settings.
//!
//! The group leader writes a session key to the config topic; a worker that sends another an
//! internal request (`POST /connectors/{c}/tasks`) signs the request body with it
//! (`X-Connect-Authorization`: the base64 MAC, `X-Connect-Request-Signature-Algorithm`: the
//! `javax.crypto.Mac` algorithm name), and the leader checks the MAC before acting. The MACs are
//! OpenSSL's HMACs, named as the JVM names them.

use std::time::Duration;

use base64::Engine as _;
use connect_api::Props;
use connect_storage::SessionKey;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;

use crate::herder::{HerderError, HerderErrorKind, SignatureHeaders};

/// The request header carrying the base64 MAC.
pub const SIGNATURE_HEADER: &str = "X-Connect-Authorization";
/// The request header naming the MAC algorithm.
pub const SIGNATURE_ALGORITHM_HEADER: &str = "X-Connect-Request-Signature-Algorithm";

const KEY_GENERATION_ALGORITHM_CONFIG: &str = "inter.worker.key.generation.algorithm";
const KEY_SIZE_CONFIG: &str = "inter.worker.key.size";
const KEY_TTL_MS_CONFIG: &str = "inter.worker.key.ttl.ms";
const SIGNATURE_ALGORITHM_CONFIG: &str = "inter.worker.signature.algorithm";
const VERIFICATION_ALGORITHMS_CONFIG: &str = "inter.worker.verification.algorithms";
const DEFAULT_ALGORITHM: &str = "HmacSHA256";

/// The HMACs the SunJCE provider offers, with the key size its `KeyGenerator` picks when
/// `inter.worker.key.size` is not set (bytes).
const MACS: &[(&str, usize)] = &[
    ("HmacMD5", 64),
    ("HmacSHA1", 64),
    ("HmacSHA224", 28),
    ("HmacSHA256", 32),
    ("HmacSHA384", 48),
    ("HmacSHA512", 64),
];

/// `Mac.getInstance`: algorithm names are case-insensitive.
fn mac_entry(algorithm: &str) -> Option<(&'static str, usize)> {
    MACS.iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(algorithm))
        .copied()
}

fn digest(algorithm: &str) -> Option<MessageDigest> {
    let (name, _) = mac_entry(algorithm)?;
    Some(match name {
        "HmacMD5" => MessageDigest::md5(),
        "HmacSHA1" => MessageDigest::sha1(),
        "HmacSHA224" => MessageDigest::sha224(),
        "HmacSHA256" => MessageDigest::sha256(),
        "HmacSHA384" => MessageDigest::sha384(),
        _ => MessageDigest::sha512(),
    })
}

/// `DistributedConfig.supportedAlgorithms`, as the JVM lists a `HashSet`'s content.
fn supported() -> String {
    let names: Vec<&str> = MACS.iter().map(|(n, _)| *n).collect();
    format!("[{}]", names.join(", "))
}

/// The `inter.worker.*` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySettings {
    /// `inter.worker.key.generation.algorithm`.
    pub generation_algorithm: String,
    /// The generated keys' length in bytes (`inter.worker.key.size` bits, else the
    /// algorithm's default).
    pub key_bytes: usize,
    /// `inter.worker.key.ttl.ms`: how long the leader uses a key before writing a new one.
    pub ttl: Duration,
    /// `inter.worker.signature.algorithm`.
    pub signature_algorithm: String,
    /// `inter.worker.verification.algorithms`.
    pub verification_algorithms: Vec<String>,
}

impl Default for KeySettings {
    fn default() -> Self {
        Self {
            generation_algorithm: DEFAULT_ALGORITHM.to_owned(),
            key_bytes: 32,
            ttl: Duration::from_secs(3600),
            signature_algorithm: DEFAULT_ALGORITHM.to_owned(),
            verification_algorithms: vec![DEFAULT_ALGORITHM.to_owned()],
        }
    }
}

/// `ConfigException(name, value, message)`'s text.
fn invalid(key: &str, value: &str, reason: &str) -> String {
    format!("Invalid value {value} for configuration {key}: {reason}")
}

impl KeySettings {
    /// Reads and checks the settings as `DistributedConfig` does (each algorithm must be one
    /// this worker has; the signature algorithm must be a verification algorithm).
    ///
    /// # Errors
    /// Kafka's `ConfigException` text for the first offending key.
    pub fn from_worker_props(props: &Props) -> Result<Self, String> {
        let get = |k: &str| props.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        let unsupported = |key: &str, value: &str| {
            invalid(
                key,
                value,
                &format!(
                    "the algorithm is not supported by this JVM; the supported algorithms are: {}",
                    supported()
                ),
            )
        };
        let generation = get(KEY_GENERATION_ALGORITHM_CONFIG).unwrap_or(DEFAULT_ALGORITHM);
        let Some((_, default_bytes)) = mac_entry(generation) else {
            return Err(unsupported(KEY_GENERATION_ALGORITHM_CONFIG, generation));
        };
        let key_bytes = match get(KEY_SIZE_CONFIG) {
            None => default_bytes,
            Some(v) => {
                let bits = v
                    .parse::<i32>()
                    .map_err(|_| invalid(KEY_SIZE_CONFIG, v, "Not a number of type INT"))?;
                // SunJCE's HMAC key generators refuse keys under 40 bits.
                if bits < 40 {
                    return Err(format!(
                        "Unable to create key generator with algorithm {generation} and key size {bits}: Key length must be at least 40 bits"
                    ));
                }
                usize::try_from(bits).unwrap_or(0).div_ceil(8)
            }
        };
        let ttl_ms = match get(KEY_TTL_MS_CONFIG) {
            None => 3_600_000,
            Some(v) => v
                .parse::<u32>()
                .map_err(|_| invalid(KEY_TTL_MS_CONFIG, v, "Value must be at least 0"))?,
        };
        let signature = get(SIGNATURE_ALGORITHM_CONFIG).unwrap_or(DEFAULT_ALGORITHM);
        if mac_entry(signature).is_none() {
            return Err(unsupported(SIGNATURE_ALGORITHM_CONFIG, signature));
        }
        let verification: Vec<String> = match props.get(VERIFICATION_ALGORITHMS_CONFIG) {
            None => vec![DEFAULT_ALGORITHM.to_owned()],
            Some(v) => v
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect(),
        };
        if verification.is_empty() {
            return Err(invalid(
                VERIFICATION_ALGORITHMS_CONFIG,
                "[]",
                "At least one signature verification algorithm must be provided",
            ));
        }
        if let Some(bad) = verification.iter().find(|a| mac_entry(a).is_none()) {
            return Err(unsupported(VERIFICATION_ALGORITHMS_CONFIG, bad));
        }
        if !verification.iter().any(|a| a == signature) {
            return Err(invalid(
                SIGNATURE_ALGORITHM_CONFIG,
                signature,
                &format!(
                    "Signature algorithm must be present in {VERIFICATION_ALGORITHMS_CONFIG} list"
                ),
            ));
        }
        Ok(Self {
            generation_algorithm: generation.to_owned(),
            key_bytes,
            ttl: Duration::from_millis(u64::from(ttl_ms)),
            signature_algorithm: signature.to_owned(),
            verification_algorithms: verification,
        })
    }

    /// A fresh random key (`KeyGenerator.generateKey()`), created `now_ms`.
    ///
    /// # Errors
    /// When the system's random source fails.
    pub fn generate(&self, now_ms: i64) -> Result<SessionKey, String> {
        let mut key = vec![0u8; self.key_bytes];
        openssl::rand::rand_bytes(&mut key).map_err(|e| e.to_string())?;
        Ok(SessionKey {
            key,
            algorithm: self.generation_algorithm.clone(),
            creation_timestamp: now_ms,
        })
    }

    /// `DistributedHerder.checkForKeyRotation`'s test: no key yet, an expired one, or one made
    /// for another algorithm or size than this worker generates.
    pub fn needs_new_key(&self, current: Option<&SessionKey>, now_ms: i64) -> bool {
        let Some(key) = current else { return true };
        let ttl = i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX);
        key.creation_timestamp.saturating_add(ttl) <= now_ms
            || key.algorithm != self.generation_algorithm
            || key.key.len() != self.key_bytes
    }

    /// When `key` expires, in epoch milliseconds.
    pub fn expiry(&self, key: &SessionKey) -> i64 {
        let ttl = i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX);
        key.creation_timestamp.saturating_add(ttl)
    }

    /// The signature headers for `body` (`InternalRequestSignature.addToRequest`).
    ///
    /// # Errors
    /// When the MAC cannot be computed.
    pub fn sign(
        &self,
        key: &SessionKey,
        body: &[u8],
    ) -> Result<Vec<(&'static str, String)>, String> {
        let mac = mac(&self.signature_algorithm, &key.key, body)?;
        Ok(vec![
            (
                SIGNATURE_HEADER,
                base64::engine::general_purpose::STANDARD.encode(mac),
            ),
            (SIGNATURE_ALGORITHM_HEADER, self.signature_algorithm.clone()),
        ])
    }

    /// `DistributedHerder.requestNotSignedProperly` after `InternalRequestSignature.fromHeaders`:
    /// Kafka's status and message for each way a signature can be wrong.
    ///
    /// # Errors
    /// 400 for a missing signature, an unknown or unpermitted algorithm or bad base64; 503
    /// before a session key was read; 403 when the MAC does not match.
    pub fn verify(
        &self,
        key: Option<&SessionKey>,
        body: &[u8],
        signature: Option<&SignatureHeaders>,
    ) -> Result<(), HerderError> {
        let Some(signature) = signature else {
            return Err(HerderError::bad_request(
                "Internal request missing required signature",
            ));
        };
        check_headers(signature)?;
        let claimed = java_base64_decode(&signature.signature).map_err(HerderError::bad_request)?;
        // `Mac.getAlgorithm()` is the name as requested, so the list is matched exactly.
        if !self.verification_algorithms.contains(&signature.algorithm) {
            return Err(HerderError::bad_request(format!(
                "This worker does not support the '{}' key signing algorithm used by other workers. This worker is currently configured to use: [{}]. Check that all workers' configuration files permit the same set of signature algorithms, and correct any misconfigured worker and restart it.",
                signature.algorithm,
                self.verification_algorithms.join(", ")
            )));
        }
        let Some(key) = key else {
            return Err(HerderError::new(
                HerderErrorKind::ServiceUnavailable,
                "This worker is still starting up and has not been able to read a session key from the config topic yet",
            ));
        };
        let expected = mac(&signature.algorithm, &key.key, body).map_err(HerderError::internal)?;
        // `MessageDigest.isEqual`: constant time for equal lengths.
        if expected.len() != claimed.len() || !openssl::memcmp::eq(&expected, &claimed) {
            return Err(HerderError::new(
                HerderErrorKind::Forbidden,
                "Internal request contained invalid signature.",
            ));
        }
        Ok(())
    }
}

/// `InternalRequestSignature.fromHeaders`, which runs whatever the protocol: the algorithm must
/// be one this worker has and the signature base64.
///
/// # Errors
/// 400 with the JVM's message.
pub fn check_headers(signature: &SignatureHeaders) -> Result<(), HerderError> {
    if mac_entry(&signature.algorithm).is_none() {
        // `NoSuchAlgorithmException.getMessage()` from `Mac.getInstance`.
        return Err(HerderError::bad_request(format!(
            "Algorithm {} not available",
            signature.algorithm
        )));
    }
    java_base64_decode(&signature.signature)
        .map(drop)
        .map_err(HerderError::bad_request)
}

fn mac(algorithm: &str, key: &[u8], body: &[u8]) -> Result<Vec<u8>, String> {
    let md = digest(algorithm).ok_or_else(|| format!("Algorithm {algorithm} not available"))?;
    let pkey = PKey::hmac(key).map_err(|e| e.to_string())?;
    let mut signer = Signer::new(md, &pkey).map_err(|e| e.to_string())?;
    signer.update(body).map_err(|e| e.to_string())?;
    signer.sign_to_vec().map_err(|e| e.to_string())
}

/// `Base64.getDecoder().decode`, with the JVM's message for the first illegal character.
fn java_base64_decode(text: &str) -> Result<Vec<u8>, String> {
    let illegal = text
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')));
    if let Some((_, c)) = illegal {
        return Err(format!("Illegal base64 character {:x}", u32::from(c)));
    }
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    engine
        .decode(text.as_bytes())
        .map_err(|_| "Input byte array has wrong 4-byte ending unit".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(bytes: &[u8]) -> SessionKey {
        SessionKey {
            key: bytes.to_vec(),
            algorithm: "HmacSHA256".into(),
            creation_timestamp: 1_000,
        }
    }

    fn headers(pairs: &[(&'static str, String)]) -> SignatureHeaders {
        let get = |n: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        SignatureHeaders {
            algorithm: get(SIGNATURE_ALGORITHM_HEADER),
            signature: get(SIGNATURE_HEADER),
        }
    }

    #[test]
    fn the_signature_is_javas_hmac_sha256_of_the_body_in_base64() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let settings = KeySettings::default();
        let signed = settings
            .sign(&key(b"Jefe"), b"what do ya want for nothing?")
            .unwrap();
        assert_eq!(
            signed,
            vec![
                (
                    SIGNATURE_HEADER,
                    "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=".to_owned()
                ),
                (SIGNATURE_ALGORITHM_HEADER, "HmacSHA256".to_owned()),
            ]
        );
    }

    #[test]
    fn a_signed_body_verifies_and_a_changed_one_is_forbidden() {
        let settings = KeySettings::default();
        let k = key(&[7; 32]);
        let sig = headers(&settings.sign(&k, b"[{\"a\":\"1\"}]").unwrap());
        settings
            .verify(Some(&k), b"[{\"a\":\"1\"}]", Some(&sig))
            .unwrap();
        let err = settings
            .verify(Some(&k), b"[{\"a\":\"2\"}]", Some(&sig))
            .unwrap_err();
        assert_eq!(err.kind, HerderErrorKind::Forbidden);
        assert_eq!(err.message, "Internal request contained invalid signature.");
        let other = key(&[8; 32]);
        assert_eq!(
            settings
                .verify(Some(&other), b"[{\"a\":\"1\"}]", Some(&sig))
                .unwrap_err()
                .kind,
            HerderErrorKind::Forbidden
        );
    }

    #[test]
    fn each_bad_signature_gets_kafkas_status_and_message() {
        let settings = KeySettings::default();
        let k = key(&[1; 32]);
        let cases: Vec<(Option<SignatureHeaders>, Option<&SessionKey>, u16, &str)> = vec![
            (
                None,
                Some(&k),
                400,
                "Internal request missing required signature",
            ),
            (
                Some(SignatureHeaders {
                    algorithm: "HmacFoo".into(),
                    signature: "AAAA".into(),
                }),
                Some(&k),
                400,
                "Algorithm HmacFoo not available",
            ),
            (
                Some(SignatureHeaders {
                    algorithm: "HmacSHA256".into(),
                    signature: "!!".into(),
                }),
                Some(&k),
                400,
                "Illegal base64 character 21",
            ),
            (
                Some(SignatureHeaders {
                    algorithm: "HmacSHA512".into(),
                    signature: "AAAA".into(),
                }),
                Some(&k),
                400,
                "This worker does not support the 'HmacSHA512' key signing algorithm used by other workers. This worker is currently configured to use: [HmacSHA256]. Check that all workers' configuration files permit the same set of signature algorithms, and correct any misconfigured worker and restart it.",
            ),
            (
                Some(SignatureHeaders {
                    algorithm: "HmacSHA256".into(),
                    signature: "AAAA".into(),
                }),
                None,
                503,
                "This worker is still starting up and has not been able to read a session key from the config topic yet",
            ),
        ];
        for (sig, k, status, message) in cases {
            let err = settings.verify(k, b"{}", sig.as_ref()).unwrap_err();
            assert_eq!(
                (err.kind.http_status(), err.message.as_str()),
                (status, message)
            );
        }
    }

    #[test]
    fn inter_worker_settings_are_checked_as_distributed_config_does() {
        let mut p = Props::new();
        let s = KeySettings::from_worker_props(&p).unwrap();
        assert_eq!(s, KeySettings::default());
        p.insert(
            "inter.worker.key.generation.algorithm".into(),
            "HmacSHA512".into(),
        );
        p.insert("inter.worker.key.size".into(), "256".into());
        p.insert("inter.worker.key.ttl.ms".into(), "60000".into());
        p.insert(
            "inter.worker.verification.algorithms".into(),
            "HmacSHA256, HmacSHA512".into(),
        );
        p.insert(
            "inter.worker.signature.algorithm".into(),
            "HmacSHA512".into(),
        );
        let s = KeySettings::from_worker_props(&p).unwrap();
        assert_eq!(s.key_bytes, 32);
        assert_eq!(s.ttl, Duration::from_secs(60));
        assert_eq!(s.verification_algorithms, ["HmacSHA256", "HmacSHA512"]);
        let generated = s.generate(5).unwrap();
        assert_eq!(
            (generated.key.len(), generated.algorithm.as_str()),
            (32, "HmacSHA512")
        );

        p.insert(
            "inter.worker.verification.algorithms".into(),
            "HmacSHA256".into(),
        );
        assert_eq!(
            KeySettings::from_worker_props(&p).unwrap_err(),
            "Invalid value HmacSHA512 for configuration inter.worker.signature.algorithm: Signature algorithm must be present in inter.worker.verification.algorithms list"
        );
        p.insert("inter.worker.signature.algorithm".into(), "HmacNope".into());
        assert!(
            KeySettings::from_worker_props(&p)
                .unwrap_err()
                .starts_with("Invalid value HmacNope for configuration inter.worker.signature.algorithm: the algorithm is not supported by this JVM; the supported algorithms are: [HmacMD5")
        );
    }

    #[test]
    fn a_key_is_renewed_when_missing_expired_or_made_differently() {
        let s = KeySettings::default();
        let fresh = s.generate(10_000).unwrap();
        assert!(s.needs_new_key(None, 0));
        assert!(!s.needs_new_key(Some(&fresh), 10_000 + 3_599_999));
        assert!(s.needs_new_key(Some(&fresh), 10_000 + 3_600_000));
        let mut other = fresh.clone();
        other.algorithm = "HmacSHA512".into();
        assert!(s.needs_new_key(Some(&other), 10_001));
        let mut short = fresh;
        short.key.truncate(16);
        assert!(s.needs_new_key(Some(&short), 10_001));
    }
}
