//! `connector.client.config.override.policy`: which Kafka client settings a connector may set
//! for its own clients with `producer.override.*`, `consumer.override.*` and `admin.override.*`,
//! decided as Kafka's `ConnectorClientConfigOverridePolicy` implementations decide it: `All`
//! (Kafka 3.9's default), `None`, `Principal` (the SASL principal only) and Kafka 4.x's
//! `Allowlist` (the keys in `connector.client.config.override.allowlist`).
//!
//! The policy is applied where Kafka applies it: to a submitted config in the herder's
//! validation (`AbstractHerder.validateClientOverrides`), and again when a task starts
//! (`Worker.connectorClientConfigOverrides`), so that a config read back from the config topic
//! (written under a laxer policy, or by another worker) cannot bypass it.

use connect_api::{ConnectError, FieldErrors, Props};

/// Kafka's interface name, as its plugin loader names it in "not found" messages.
const POLICY_INTERFACE: &str =
    "interface org.apache.kafka.connect.connector.policy.ConnectorClientConfigOverridePolicy";
const POLICY_PACKAGE: &str = "org.apache.kafka.connect.connector.policy.";
const POLICY_SUFFIX: &str = "ConnectorClientConfigOverridePolicy";

/// `PrincipalConnectorClientConfigOverridePolicy.ALLOWED_CONFIG`.
const PRINCIPAL_KEYS: &[&str] = &["sasl.jaas.config", "sasl.mechanism", "security.protocol"];

/// One of Kafka's override policies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum OverridePolicy {
    /// Every client setting may be overridden.
    #[default]
    All,
    /// No client setting may be overridden.
    None,
    /// Only `sasl.jaas.config`, `sasl.mechanism` and `security.protocol`.
    Principal,
    /// Only the listed settings (none when the list is empty).
    Allowlist(Vec<String>),
}

/// The Kafka clients a connector's overrides configure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Producer,
    Consumer,
    Admin,
}

impl ClientType {
    fn prefix(self) -> &'static str {
        match self {
            Self::Producer => "producer.override.",
            Self::Consumer => "consumer.override.",
            Self::Admin => "admin.override.",
        }
    }
}

impl OverridePolicy {
    /// Resolves `connector.client.config.override.policy` as Kafka's plugin loader does: the
    /// alias (`All`), the simple class name (`AllConnectorClientConfigOverridePolicy`) or the
    /// full class name, case-sensitively. `allowlist` is what `Allowlist` allows.
    ///
    /// # Errors
    /// Kafka's message when no policy has that name.
    pub fn from_name(name: &str, allowlist: &[String]) -> Result<Self, String> {
        let simple = name.strip_prefix(POLICY_PACKAGE).unwrap_or(name);
        let alias = simple.strip_suffix(POLICY_SUFFIX).unwrap_or(simple);
        // A full class name must be the whole name: `org.….All` is no class.
        let qualified_ok = name == simple || simple.ends_with(POLICY_SUFFIX);
        match alias {
            "All" if qualified_ok => Ok(Self::All),
            "None" if qualified_ok => Ok(Self::None),
            "Principal" if qualified_ok => Ok(Self::Principal),
            "Allowlist" if qualified_ok => Ok(Self::Allowlist(allowlist.to_vec())),
            _ => Err(format!(
                "Failed to find any class that implements {POLICY_INTERFACE} and which name matches {name}"
            )),
        }
    }

    /// `policyName()`, as Kafka's messages name the policy.
    pub fn name(&self) -> &'static str {
        match self {
            Self::All => "All",
            Self::None => "None",
            Self::Principal => "Principal",
            Self::Allowlist(_) => "Allowlist",
        }
    }

    /// Whether the client setting `key` (without its `*.override.` prefix) may be overridden.
    pub fn is_allowed(&self, key: &str) -> bool {
        match self {
            Self::All => true,
            Self::None => false,
            Self::Principal => PRINCIPAL_KEYS.contains(&key),
            Self::Allowlist(keys) => keys.iter().any(|k| k == key),
        }
    }

    /// Kafka's message for a refused override of `key`.
    fn refusal(&self, key: &str) -> String {
        format!(
            "The '{}' policy does not allow '{key}' to be overridden in the connector configuration.",
            self.name()
        )
    }

    /// The refused overrides of the clients `client` configures, by unprefixed key.
    fn refused(&self, config: &Props, client: ClientType) -> Vec<(String, String)> {
        config
            .keys()
            .filter_map(|k| k.strip_prefix(client.prefix()))
            .filter(|key| !self.is_allowed(key))
            .map(|key| (key.to_owned(), self.refusal(key)))
            .collect()
    }

    /// The refused overrides of a submitted connector config, each on its prefixed key
    /// (`producer.override.acks`) with Kafka's message, for the clients the connector uses.
    pub fn validate(&self, config: &Props, is_source: bool) -> FieldErrors {
        let mut errors = FieldErrors::new();
        for client in clients_used(config, is_source) {
            for (key, message) in self.refused(config, client) {
                errors.push(format!("{}{key}", client.prefix()), message);
            }
        }
        errors
    }

    /// The check a task's start makes (`Worker.connectorClientConfigOverrides`): the first
    /// client with a refused override fails the task with Kafka's message. Values are shown as
    /// `[hidden]` where Kafka prints them: an override may hold a secret.
    ///
    /// # Errors
    /// A fatal error listing the refused settings.
    pub fn check_task(&self, config: &Props, is_source: bool) -> Result<(), ConnectError> {
        for client in clients_used(config, is_source) {
            let refused = self.refused(config, client);
            if !refused.is_empty() {
                let values: Vec<String> = refused
                    .iter()
                    .map(|(key, message)| format!("[{key},[hidden],[],[{message}],true]"))
                    .collect();
                return Err(ConnectError::fatal(format!(
                    "Client Config Overrides not allowed [{}]",
                    values.join(", ")
                )));
            }
        }
        Ok(())
    }
}

/// `AbstractHerder.connectorUsesProducer/Consumer/Admin`: a source always produces and uses an
/// admin client when it has `topic.creation.*` settings; a sink always consumes, and produces
/// and administers only for its dead letter queue.
fn clients_used(config: &Props, is_source: bool) -> Vec<ClientType> {
    if is_source {
        let mut clients = vec![ClientType::Producer];
        if config.keys().any(|k| k.starts_with("topic.creation.")) {
            clients.push(ClientType::Admin);
        }
        clients
    } else {
        let mut clients = vec![ClientType::Consumer];
        let dlq = config
            .get("errors.deadletterqueue.topic.name")
            .is_some_and(|t| !t.trim().is_empty());
        if dlq {
            clients.extend([ClientType::Producer, ClientType::Admin]);
        }
        clients
    }
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

    fn overrides() -> Props {
        props(&[
            ("name", "c"),
            ("producer.override.acks", "all"),
            ("producer.override.sasl.jaas.config", "secret"),
            ("consumer.override.max.poll.records", "10"),
            ("admin.override.request.timeout.ms", "1000"),
        ])
    }

    #[test]
    fn aliases_simple_and_full_class_names_resolve_case_sensitively() {
        for name in [
            "None",
            "NoneConnectorClientConfigOverridePolicy",
            "org.apache.kafka.connect.connector.policy.NoneConnectorClientConfigOverridePolicy",
        ] {
            assert_eq!(
                OverridePolicy::from_name(name, &[]),
                Ok(OverridePolicy::None),
                "{name}"
            );
        }
        assert_eq!(
            OverridePolicy::from_name("Allowlist", &["acks".to_owned()]),
            Ok(OverridePolicy::Allowlist(vec!["acks".to_owned()]))
        );
        for bad in [
            "all",
            "org.apache.kafka.connect.connector.policy.All",
            "Custom",
        ] {
            assert_eq!(
                OverridePolicy::from_name(bad, &[]).unwrap_err(),
                format!(
                    "Failed to find any class that implements interface org.apache.kafka.connect.connector.policy.ConnectorClientConfigOverridePolicy and which name matches {bad}"
                )
            );
        }
    }

    #[test]
    fn the_all_policy_allows_every_override() {
        assert!(OverridePolicy::All.validate(&overrides(), true).is_empty());
        assert!(OverridePolicy::All.check_task(&overrides(), false).is_ok());
    }

    #[test]
    fn the_none_policy_refuses_every_override_of_the_clients_the_connector_uses() {
        let errors = OverridePolicy::None.validate(&overrides(), true);
        assert_eq!(
            errors.0,
            [
                (
                    "producer.override.acks".to_owned(),
                    "The 'None' policy does not allow 'acks' to be overridden in the connector configuration.".to_owned()
                ),
                (
                    "producer.override.sasl.jaas.config".to_owned(),
                    "The 'None' policy does not allow 'sasl.jaas.config' to be overridden in the connector configuration.".to_owned()
                ),
            ],
            "a source without topic.creation.* uses neither a consumer nor an admin client"
        );
        let sink: Vec<String> = OverridePolicy::None
            .validate(&overrides(), false)
            .0
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(sink, ["consumer.override.max.poll.records"]);
    }

    #[test]
    fn topic_creation_and_a_dead_letter_queue_bring_in_the_admin_and_producer_overrides() {
        let mut source = overrides();
        source.insert("topic.creation.default.partitions".into(), "1".into());
        let keys: Vec<String> = OverridePolicy::None
            .validate(&source, true)
            .0
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            keys,
            [
                "producer.override.acks",
                "producer.override.sasl.jaas.config",
                "admin.override.request.timeout.ms"
            ]
        );
        let mut sink = overrides();
        sink.insert("errors.deadletterqueue.topic.name".into(), "dlq".into());
        assert_eq!(OverridePolicy::None.validate(&sink, false).0.len(), 4);
    }

    #[test]
    fn the_principal_policy_allows_only_the_sasl_principal_settings() {
        let mut config = overrides();
        config.insert("producer.override.sasl.mechanism".into(), "PLAIN".into());
        config.insert(
            "producer.override.security.protocol".into(),
            "SASL_SSL".into(),
        );
        let errors = OverridePolicy::Principal.validate(&config, true);
        assert_eq!(
            errors.0,
            [(
                "producer.override.acks".to_owned(),
                "The 'Principal' policy does not allow 'acks' to be overridden in the connector configuration.".to_owned()
            )]
        );
    }

    #[test]
    fn the_allowlist_policy_allows_only_the_listed_settings_and_nothing_when_empty() {
        let policy = OverridePolicy::Allowlist(vec!["acks".into(), "max.poll.records".into()]);
        let errors = policy.validate(&overrides(), true);
        assert_eq!(
            errors.0,
            [(
                "producer.override.sasl.jaas.config".to_owned(),
                "The 'Allowlist' policy does not allow 'sasl.jaas.config' to be overridden in the connector configuration.".to_owned()
            )]
        );
        assert!(policy.validate(&overrides(), false).is_empty());
        let empty = OverridePolicy::Allowlist(Vec::new());
        assert_eq!(empty.validate(&overrides(), true).0.len(), 2);
    }

    #[test]
    fn a_task_start_fails_with_kafkas_message_and_never_shows_the_value() {
        let err = OverridePolicy::None
            .check_task(&overrides(), true)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Client Config Overrides not allowed [[acks,[hidden],[],[The 'None' policy does not allow 'acks' to be overridden in the connector configuration.],true], [sasl.jaas.config,[hidden],"),
            "{err}"
        );
        assert!(!err.contains("secret"), "{err}");
        assert!(
            OverridePolicy::None
                .check_task(&props(&[("name", "c")]), true)
                .is_ok()
        );
    }
}
