//! The REST server's security settings, as Kafka 3.9's `RestServerConfig`, `SSLUtils` and the
//! BasicAuth extension read them from the worker properties:
//!
//! - `listeners=https://…` with `listeners.https.ssl.*` (or `admin.listeners.https.ssl.*` for
//!   the admin listeners), falling back to the plain `ssl.*` settings all or nothing, as
//!   `AbstractConfig.valuesWithPrefixAllOrNothing` does ([`tls`]);
//! - `access.control.allow.origin` / `access.control.allow.methods` ([`cors`], Jetty's
//!   `CrossOriginFilter`);
//! - `response.http.headers.config` ([`headers`], Jetty's `HeaderFilter`);
//! - `rest.extension.classes` with `BasicAuthSecurityRestExtension` only ([`basic_auth`]).
//!
//! Every problem is found at start-up and refuses it with a [`RestConfigError`] naming the
//! setting or file; none holds a password.

pub mod basic_auth;
pub mod cors;
pub mod headers;
pub mod tls;

use std::path::PathBuf;
use std::sync::Arc;

use connect_api::Props;

use basic_auth::BasicAuth;
use cors::Cors;
use headers::HeaderRule;

/// `RestServerConfig.REST_EXTENSION_CLASSES_CONFIG`.
pub const REST_EXTENSION_CLASSES_CONFIG: &str = "rest.extension.classes";
/// The one REST extension Sluice implements.
pub const BASIC_AUTH_EXTENSION: &str =
    "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension";
/// Sluice's setting for the JAAS file the BasicAuth extension reads; the JVM's
/// `-Djava.security.auth.login.config=…` in `KAFKA_OPTS` is read when it is not set.
pub const JAAS_CONFIG_FILE_CONFIG: &str = "sluice.rest.jaas.config.file";

/// `BrokerSecurityConfigs.SSL_CLIENT_AUTH_CONFIG`, which the REST server reads.
pub const SSL_CLIENT_AUTH_CONFIG: &str = "ssl.client.auth";

/// A REST security setting that refuses start-up. Messages name the setting or file, never a
/// password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RestConfigError {
    /// A setting with a value Sluice refuses.
    #[error("Invalid value {value} for configuration {key}: {reason}")]
    Invalid {
        key: String,
        value: String,
        reason: String,
    },
    /// A setting that cannot be honoured (its value may be secret, so it is not shown).
    #[error("Invalid configuration {key}: {reason}")]
    Setting { key: String, reason: String },
    /// A trust or key store of an https listener that cannot be read.
    #[error("Invalid https listener setting {key}: {reason}")]
    Store { key: String, reason: String },
    /// The JAAS file of the BasicAuth extension.
    #[error("JAAS configuration {path}: {reason}")]
    Jaas { path: PathBuf, reason: String },
    /// The credentials file named by `PropertyFileLoginModule`'s `file` option.
    #[error("Error loading Property Credentials file {path}: {reason}")]
    Credentials { path: PathBuf, reason: String },
}

/// What the main listeners apply to each request besides the API itself.
#[derive(Debug, Clone, Default)]
pub struct RestSecurity {
    pub cors: Option<Arc<Cors>>,
    pub basic_auth: Option<Arc<BasicAuth>>,
    pub response_headers: Arc<Vec<HeaderRule>>,
}

impl RestSecurity {
    /// Reads CORS, the response header rules and the REST extensions from the (resolved) worker
    /// properties. `kafka_opts` is the `KAFKA_OPTS` environment variable, where the JVM worker
    /// takes `-Djava.security.auth.login.config` from.
    ///
    /// # Errors
    /// A REST extension other than BasicAuth (naming the class), a missing or malformed JAAS or
    /// credentials file (naming it), a malformed header rule.
    pub fn from_worker_props(
        props: &Props,
        kafka_opts: Option<&str>,
    ) -> Result<Self, RestConfigError> {
        // `RestServerConfig` validates the unprefixed key only (`ValidString.in`).
        if let Some(v) = props.get(SSL_CLIENT_AUTH_CONFIG)
            && !["required", "requested", "none"].contains(&v.as_str())
        {
            return Err(RestConfigError::Invalid {
                key: SSL_CLIENT_AUTH_CONFIG.to_owned(),
                value: v.clone(),
                reason: "String must be one of: required, requested, none".to_owned(),
            });
        }
        let cors = Cors::from_worker_props(props).map(Arc::new);
        let response_headers = Arc::new(headers::from_worker_props(props)?);
        let mut basic_auth = None;
        for class in extension_classes(props) {
            if class != BASIC_AUTH_EXTENSION {
                return Err(RestConfigError::Invalid {
                    key: REST_EXTENSION_CLASSES_CONFIG.to_owned(),
                    value: class.to_owned(),
                    reason: format!(
                        "Sluice cannot load the REST extension class {class}; it implements only {BASIC_AUTH_EXTENSION}"
                    ),
                });
            }
            if basic_auth.is_none() {
                let path = basic_auth::jaas_config_path(props, kafka_opts)?;
                basic_auth = Some(Arc::new(BasicAuth::load(&path)?));
            }
        }
        Ok(Self {
            cors,
            basic_auth,
            response_headers,
        })
    }
}

/// `rest.extension.classes` as a `ConfigDef.Type.LIST`: comma-separated, trimmed, empty items
/// dropped.
fn extension_classes(props: &Props) -> Vec<&str> {
    props
        .get(REST_EXTENSION_CLASSES_CONFIG)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_rest_extension_refuses_start_up_naming_the_class() {
        let mut p = Props::new();
        p.insert(
            REST_EXTENSION_CLASSES_CONFIG.to_owned(),
            "com.example.MyAuthExtension".to_owned(),
        );
        let err = RestSecurity::from_worker_props(&p, None)
            .expect_err("unknown extension")
            .to_string();
        assert!(err.contains("com.example.MyAuthExtension"), "{err}");
        assert!(err.contains(REST_EXTENSION_CLASSES_CONFIG), "{err}");
    }

    #[test]
    fn an_ssl_client_auth_kafka_does_not_know_is_refused() {
        let mut p = Props::new();
        p.insert(SSL_CLIENT_AUTH_CONFIG.to_owned(), "REQUIRED".to_owned());
        let err = RestSecurity::from_worker_props(&p, None)
            .expect_err("upper case")
            .to_string();
        assert_eq!(
            err,
            "Invalid value REQUIRED for configuration ssl.client.auth: String must be one of: required, requested, none"
        );
        p.insert(SSL_CLIENT_AUTH_CONFIG.to_owned(), "required".to_owned());
        assert!(RestSecurity::from_worker_props(&p, None).is_ok());
    }

    #[test]
    fn no_extension_means_no_authentication() {
        let mut p = Props::new();
        p.insert(REST_EXTENSION_CLASSES_CONFIG.to_owned(), " ".to_owned());
        let s = RestSecurity::from_worker_props(&p, None).expect("no extension");
        assert!(s.basic_auth.is_none());
        assert!(s.cors.is_none());
    }
}
