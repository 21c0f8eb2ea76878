//! SASL authentication of a broker connection: SaslHandshake, then the mechanism's exchange in
//! SaslAuthenticate requests (KIP-152), as Kafka's `SaslClientAuthenticator` does. PLAIN and
//! SCRAM-SHA-256/512 (RFC 5802, RFC 7677), the crypto OpenSSL's, which librdkafka links too;
//! OAUTHBEARER (RFC 7628) with the tokens of [`oauthbearer`].

pub(crate) mod oauthbearer;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use kafka_protocol::messages::{SaslAuthenticateRequest, SaslHandshakeRequest};
use kafka_protocol::protocol::StrBytes;
use openssl::hash::MessageDigest;

pub(crate) use self::oauthbearer::OAuthBearer;
use super::conn::{Connection, kafka_error};
use crate::DistributedError;

/// Kafka's `ScramMechanism` minimum iteration count; fewer is a downgrade attack.
const SCRAM_MIN_ITERATIONS: u32 = 4096;

/// A supported SASL mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mechanism {
    Plain,
    ScramSha256,
    ScramSha512,
    OAuthBearer,
}

impl Mechanism {
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name {
            "PLAIN" => Some(Self::Plain),
            "SCRAM-SHA-256" => Some(Self::ScramSha256),
            "SCRAM-SHA-512" => Some(Self::ScramSha512),
            "OAUTHBEARER" => Some(Self::OAuthBearer),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Plain => "PLAIN",
            Self::ScramSha256 => "SCRAM-SHA-256",
            Self::ScramSha512 => "SCRAM-SHA-512",
            Self::OAuthBearer => "OAUTHBEARER",
        }
    }
}

/// Credentials for one mechanism.
#[derive(Clone)]
pub(crate) struct Sasl {
    mechanism: Mechanism,
    credentials: Credentials,
}

#[derive(Clone)]
enum Credentials {
    Password { username: String, password: String },
    OAuthBearer(OAuthBearer),
}

impl std::fmt::Debug for Sasl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Sasl");
        d.field("mechanism", &self.mechanism);
        match &self.credentials {
            Credentials::Password { username, .. } => d.field("username", username),
            Credentials::OAuthBearer(o) => d.field("oauthbearer", o),
        };
        d.finish_non_exhaustive()
    }
}

impl Sasl {
    /// PLAIN or SCRAM with a user name and password.
    pub(crate) fn new(mechanism: Mechanism, username: String, password: String) -> Self {
        Sasl {
            mechanism,
            credentials: Credentials::Password { username, password },
        }
    }

    pub(crate) fn oauthbearer(oauth: OAuthBearer) -> Self {
        Sasl {
            mechanism: Mechanism::OAuthBearer,
            credentials: Credentials::OAuthBearer(oauth),
        }
    }

    /// Authenticates `conn`, which has negotiated API versions and sent nothing else.
    pub(crate) async fn authenticate(
        &self,
        conn: &mut Connection,
        timeout: Duration,
    ) -> Result<(), DistributedError> {
        let mechanism = self.mechanism.name();
        let failed = |message: String, conn: &Connection| DistributedError::Authentication {
            mechanism: mechanism.to_owned(),
            broker: conn.broker().to_owned(),
            message,
        };
        // Version 0 would carry the exchange in raw frames, not SaslAuthenticate.
        let version = conn.version::<SaslHandshakeRequest>("SaslHandshake", 1)?;
        let handshake = conn
            .send(
                "SaslHandshake",
                &SaslHandshakeRequest::default()
                    .with_mechanism(StrBytes::from_static_str(mechanism)),
                version,
                timeout,
            )
            .await?;
        if handshake.error_code != 0 {
            let enabled = handshake
                .mechanisms
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(failed(
                format!(
                    "{} (the broker enables: {enabled})",
                    kafka_error("SaslHandshake", handshake.error_code, None)
                ),
                conn,
            ));
        }
        let version = conn.version::<SaslAuthenticateRequest>("SaslAuthenticate", 0)?;
        let round = async |conn: &mut Connection, bytes: Vec<u8>| {
            let response = conn
                .send(
                    "SaslAuthenticate",
                    &SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(bytes)),
                    version,
                    timeout,
                )
                .await?;
            if response.error_code != 0 {
                let message = response
                    .error_message
                    .as_ref()
                    .map(|m| m.to_string())
                    .unwrap_or_else(|| {
                        kafka_error("SaslAuthenticate", response.error_code, None).to_string()
                    });
                return Err(failed(message, conn));
            }
            Ok(response.auth_bytes)
        };
        let (username, password) = match &self.credentials {
            Credentials::Password { username, password } => (username, password),
            Credentials::OAuthBearer(oauth) => {
                let token = oauth
                    .token(timeout)
                    .await
                    .map_err(|m| failed(format!("no token: {m}"), conn))?;
                let rejected = |message: String, conn: &Connection| {
                    failed(
                        format!(
                            "the broker rejected the token of principal {}: {message}",
                            token.principal
                        ),
                        conn,
                    )
                };
                let answer = match round(conn, oauth.client_first(&token)).await {
                    Ok(answer) => answer,
                    Err(DistributedError::Authentication { message, .. }) => {
                        oauth.forget().await;
                        return Err(rejected(message, conn));
                    }
                    Err(e) => return Err(e),
                };
                if answer.is_empty() {
                    return Ok(());
                }
                // RFC 7628 §3.2.2: a JSON error; the client answers a lone ^A and the broker
                // then fails the exchange (Kafka's OAuthBearerSaslClient, librdkafka).
                oauth.forget().await;
                let server_error = String::from_utf8_lossy(&answer).into_owned();
                let message = match round(conn, vec![0x01]).await {
                    Err(DistributedError::Authentication { message, .. }) => {
                        format!("{server_error} ({message})")
                    }
                    Ok(_) => server_error,
                    Err(e) => return Err(e),
                };
                return Err(rejected(message, conn));
            }
        };
        match self.mechanism {
            Mechanism::Plain => {
                // RFC 4616: authzid NUL authcid NUL passwd, with an empty authzid.
                let mut msg = Vec::with_capacity(username.len() + password.len() + 2);
                msg.push(0);
                msg.extend_from_slice(username.as_bytes());
                msg.push(0);
                msg.extend_from_slice(password.as_bytes());
                round(conn, msg).await?;
            }
            Mechanism::OAuthBearer => {
                return Err(failed(
                    "OAUTHBEARER needs a token source, not a password".into(),
                    conn,
                ));
            }
            Mechanism::ScramSha256 | Mechanism::ScramSha512 => {
                let mut scram = Scram::new(self.mechanism, username, password, nonce()?);
                let first = round(conn, scram.client_first().into_bytes()).await?;
                let server_first = String::from_utf8_lossy(&first).into_owned();
                let client_final = scram
                    .client_final(&server_first)
                    .map_err(|m| failed(m, conn))?;
                let last = round(conn, client_final.into_bytes()).await?;
                scram
                    .verify_server_final(&String::from_utf8_lossy(&last))
                    .map_err(|m| failed(m, conn))?;
            }
        }
        Ok(())
    }
}

/// A fresh client nonce: 24 random bytes, base64 (printable, no commas).
fn nonce() -> Result<String, DistributedError> {
    let mut bytes = [0u8; 24];
    openssl::rand::rand_bytes(&mut bytes).map_err(|e| {
        DistributedError::Config(format!("no random bytes for the SCRAM nonce: {e}"))
    })?;
    Ok(BASE64.encode(bytes))
}

/// The client side of one SCRAM exchange (RFC 5802), without channel binding (`n,,`).
pub(crate) struct Scram {
    digest: MessageDigest,
    password: String,
    client_nonce: String,
    client_first_bare: String,
    /// The server signature the server-final message must carry.
    expected_server_signature: Option<Vec<u8>>,
}

impl Scram {
    pub(crate) fn new(mechanism: Mechanism, username: &str, password: &str, nonce: String) -> Self {
        let digest = match mechanism {
            Mechanism::ScramSha512 => MessageDigest::sha512(),
            _ => MessageDigest::sha256(),
        };
        // RFC 5802 saslname: '=' and ',' are escaped.
        let name = username.replace('=', "=3D").replace(',', "=2C");
        Scram {
            digest,
            password: password.to_owned(),
            client_first_bare: format!("n={name},r={nonce}"),
            client_nonce: nonce,
            expected_server_signature: None,
        }
    }

    pub(crate) fn client_first(&self) -> String {
        format!("n,,{}", self.client_first_bare)
    }

    /// The client-final message answering `server_first` (`r=…,s=…,i=…`).
    pub(crate) fn client_final(&mut self, server_first: &str) -> Result<String, String> {
        let attr = |name: &str| {
            server_first
                .split(',')
                .find_map(|a| a.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
        };
        if let Some(e) = attr("e") {
            return Err(format!("the server refused: {e}"));
        }
        let nonce = attr("r").ok_or("the server-first message has no nonce")?;
        if !nonce.starts_with(&self.client_nonce) || nonce.len() == self.client_nonce.len() {
            return Err("the server nonce does not extend the client nonce".into());
        }
        let salt = attr("s")
            .and_then(|s| BASE64.decode(s).ok())
            .ok_or("the server-first message has no valid salt")?;
        let iterations: u32 = attr("i")
            .and_then(|i| i.parse().ok())
            .ok_or("the server-first message has no valid iteration count")?;
        if iterations < SCRAM_MIN_ITERATIONS {
            return Err(format!(
                "the server asks for {iterations} iterations, fewer than the minimum {SCRAM_MIN_ITERATIONS}"
            ));
        }
        let crypto = |e: openssl::error::ErrorStack| format!("SCRAM crypto: {e}");
        let mut salted = vec![0u8; self.digest.size()];
        openssl::pkcs5::pbkdf2_hmac(
            self.password.as_bytes(),
            &salt,
            usize::try_from(iterations).map_err(|_| "iteration count too large")?,
            self.digest,
            &mut salted,
        )
        .map_err(crypto)?;
        let client_key = hmac(self.digest, &salted, b"Client Key").map_err(crypto)?;
        let stored_key = openssl::hash::hash(self.digest, &client_key).map_err(crypto)?;
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{},{server_first},{without_proof}", self.client_first_bare);
        let client_signature =
            hmac(self.digest, &stored_key, auth_message.as_bytes()).map_err(crypto)?;
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&client_signature)
            .map(|(k, s)| k ^ s)
            .collect();
        let server_key = hmac(self.digest, &salted, b"Server Key").map_err(crypto)?;
        self.expected_server_signature =
            Some(hmac(self.digest, &server_key, auth_message.as_bytes()).map_err(crypto)?);
        Ok(format!("{without_proof},p={}", BASE64.encode(proof)))
    }

    /// Checks the server-final message (`v=…`): the server proves it knows the password too.
    pub(crate) fn verify_server_final(&self, server_final: &str) -> Result<(), String> {
        if let Some(e) = server_final.strip_prefix("e=") {
            return Err(format!("the server refused: {e}"));
        }
        let signature = server_final
            .split(',')
            .find_map(|a| a.strip_prefix("v="))
            .and_then(|v| BASE64.decode(v).ok())
            .ok_or("the server-final message has no verifier")?;
        match &self.expected_server_signature {
            // memcmp::eq panics on different lengths.
            Some(expected)
                if expected.len() == signature.len()
                    && openssl::memcmp::eq(expected, &signature) =>
            {
                Ok(())
            }
            Some(_) => Err(
                "the server signature does not match: the server does not know the credentials"
                    .into(),
            ),
            None => Err("the server-final message came before the client-final one".into()),
        }
    }
}

fn hmac(
    digest: MessageDigest,
    key: &[u8],
    data: &[u8],
) -> Result<Vec<u8>, openssl::error::ErrorStack> {
    let key = openssl::pkey::PKey::hmac(key)?;
    let mut signer = openssl::sign::Signer::new(digest, &key)?;
    signer.update(data)?;
    signer.sign_to_vec()
}
