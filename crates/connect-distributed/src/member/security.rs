//! The coordinator connection's security, read from the worker's Kafka client settings in
//! librdkafka's names (`security.protocol`, `ssl.*`, `sasl.*`), so the member connects exactly as
//! the worker's producers and consumers do.

use std::collections::BTreeMap;

use super::sasl::{Mechanism, OAuthBearer, Sasl};
use super::tls::Tls;
use crate::DistributedError;

/// How to secure and authenticate a broker connection.
#[derive(Debug, Clone, Default)]
pub(crate) struct Security {
    pub(crate) tls: Option<Tls>,
    pub(crate) sasl: Option<Sasl>,
}

impl Security {
    /// Reads `security.protocol` and its settings. Mechanisms and options this client cannot
    /// honour are errors, never silently weaker connections.
    pub(crate) fn from_client(client: &BTreeMap<String, String>) -> Result<Self, DistributedError> {
        let get = |k: &str| client.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        let protocol = get("security.protocol")
            .unwrap_or("plaintext")
            .to_ascii_lowercase();
        let (tls, sasl) = match protocol.as_str() {
            "plaintext" => (false, false),
            "ssl" => (true, false),
            "sasl_plaintext" => (false, true),
            "sasl_ssl" => (true, true),
            other => {
                return Err(DistributedError::Config(format!(
                    "security.protocol {other} is not one of plaintext, ssl, sasl_plaintext, sasl_ssl"
                )));
            }
        };
        let tls = if tls {
            Some(Tls::from_client(client)?)
        } else {
            None
        };
        let sasl = if sasl {
            // librdkafka's default mechanism is GSSAPI.
            let name = get("sasl.mechanisms")
                .or_else(|| get("sasl.mechanism"))
                .unwrap_or("GSSAPI")
                .to_ascii_uppercase();
            let mechanism = Mechanism::from_name(&name).ok_or_else(|| {
                let why = if name == "GSSAPI" {
                    " (Kerberos is not available to it)"
                } else {
                    ""
                };
                DistributedError::Config(format!(
                    "sasl.mechanism {name} is not supported for the worker group membership{why}; \
                     PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER are"
                ))
            })?;
            if mechanism == Mechanism::OAuthBearer {
                return Ok(Security {
                    tls,
                    sasl: Some(Sasl::oauthbearer(OAuthBearer::from_client(client)?)),
                });
            }
            let (Some(username), Some(password)) =
                (client.get("sasl.username"), client.get("sasl.password"))
            else {
                return Err(DistributedError::Config(format!(
                    "sasl.mechanism {name} needs sasl.username and sasl.password \
                     (or sasl.jaas.config with username and password)"
                )));
            };
            Some(Sasl::new(mechanism, username.clone(), password.clone()))
        } else {
            None
        };
        Ok(Security { tls, sasl })
    }
}
