//! The framework's connector keys (`ConnectorConfig`, `SourceConnectorConfig`,
//! `SinkConnectorConfig`): every connector accepts them, and `/config/validate` lists them first.

use std::sync::LazyLock;

use connect_api::config::{
    ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance, ParsedConfig, Validator, Width,
};

fn name_validator() -> Validator {
    // `NonEmptyStringWithoutControlChars`.
    Validator::custom(|v| match v {
        ConfigValue::String(s) if s.is_empty() => Err("String may not be empty".to_owned()),
        ConfigValue::String(s) => {
            let ctl: Vec<String> = s
                .chars()
                .filter(|c| c.is_control())
                .map(|c| (c as u32).to_string())
                .collect();
            if ctl.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "String may not contain control sequences but had the following ASCII chars: {}",
                    ctl.join(", ")
                ))
            }
        }
        _ => Ok(()),
    })
}

fn common(b: connect_api::config::ConfigDefBuilder) -> connect_api::config::ConfigDefBuilder {
    b
        .define(
            ConfigKey::new("name", ConfigType::String, Importance::High, "Globally unique name to use for this connector.")
                .in_group("Common", 1)
                .width(Width::Medium)
                .required()
                .validator(name_validator())
                .display_name("Connector name"),
        )
        .define(
            ConfigKey::new("connector.class", ConfigType::String, Importance::High, "Name or alias of the class for this connector. Must be a subclass of org.apache.kafka.connect.connector.Connector. If the connector is org.apache.kafka.connect.file.FileStreamSinkConnector, you can either specify this full name,  or use \"FileStreamSink\" or \"FileStreamSinkConnector\" to make the configuration a bit shorter")
                .in_group("Common", 2)
                .required()
                .width(Width::Long)
                .display_name("Connector class"),
        )
        .define(
            ConfigKey::new("tasks.max", ConfigType::Int, Importance::High, "Maximum number of tasks to use for this connector.")
                .in_group("Common", 3)
                .default("1")
                .validator(Validator::at_least(1.0))
                .width(Width::Short)
                .display_name("Tasks max"),
        )
        .define(
            ConfigKey::new("tasks.max.enforce", ConfigType::Boolean, Importance::Low, "(Deprecated) Whether to enforce that the tasks.max property is respected by the connector. By default, connectors that generate too many tasks will fail, and existing sets of tasks that exceed the tasks.max property will also be failed. If this property is set to false, then connectors will be allowed to generate more than the maximum number of tasks, and existing sets of tasks that exceed the tasks.max property will be allowed to run. This property is deprecated and will be removed in an upcoming major release.")
                .in_group("Common", 4)
                .default("true")
                .width(Width::Short)
                .display_name("Enforce tasks max"),
        )
        .define(
            ConfigKey::new("key.converter", ConfigType::Class, Importance::Low, "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the keys in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format. Examples of common formats include JSON and Avro.")
                .in_group("Common", 5)
                .width(Width::Short)
                .display_name("Key converter class"),
        )
        .define(
            ConfigKey::new("value.converter", ConfigType::Class, Importance::Low, "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the values in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format. Examples of common formats include JSON and Avro.")
                .in_group("Common", 6)
                .width(Width::Short)
                .display_name("Value converter class"),
        )
        .define(
            ConfigKey::new("header.converter", ConfigType::Class, Importance::Low, "HeaderConverter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the header values in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format. Examples of common formats include JSON and Avro. By default, the SimpleHeaderConverter is used to serialize header values to strings and deserialize them by inferring the schemas.")
                .in_group("Common", 7)
                .width(Width::Short)
                .display_name("Header converter class"),
        )
}

fn transforms(b: connect_api::config::ConfigDefBuilder) -> connect_api::config::ConfigDefBuilder {
    b.define(
        ConfigKey::new(
            "transforms",
            ConfigType::List,
            Importance::Low,
            "Aliases for the transformations to be applied to records.",
        )
        .in_group("Transforms", 8)
        .default("")
        .width(Width::Long)
        .display_name("Transforms"),
    )
    .define(
        ConfigKey::new(
            "predicates",
            ConfigType::List,
            Importance::Low,
            "Aliases for the predicates used by transformations.",
        )
        .in_group("Predicates", 9)
        .default("")
        .width(Width::Long)
        .display_name("Predicates"),
    )
}

/// After the transforms and predicates keys, as in Kafka 3.9's `ConnectorConfig.configDef()`.
fn reload(b: connect_api::config::ConfigDefBuilder) -> connect_api::config::ConfigDefBuilder {
    b
        .define(
            ConfigKey::new("config.action.reload", ConfigType::String, Importance::Low, "The action that Connect should take on the connector when changes in external configuration providers result in a change in the connector's configuration properties. A value of 'none' indicates that Connect will do nothing. A value of 'restart' indicates that Connect should restart/reload the connector with the updated configuration properties.The restart may actually be scheduled in the future if the external configuration provider indicates that a configuration value will expire in the future.")
                .in_group("Common", 10)
                .default("restart")
                .validator(Validator::OneOf(&["none", "restart"]))
                .width(Width::Medium)
                .display_name("Reload Action"),
        )
}

fn error_handling(
    b: connect_api::config::ConfigDefBuilder,
) -> connect_api::config::ConfigDefBuilder {
    b
        .define(
            ConfigKey::new("errors.retry.timeout", ConfigType::Long, Importance::Medium, "The maximum duration in milliseconds that a failed operation will be reattempted. The default is 0, which means no retries will be attempted. Use -1 for infinite retries.")
                .in_group("Error Handling", 1)
                .width(Width::Medium)
                .default("0")
                .display_name("Retry Timeout for Errors"),
        )
        .define(
            ConfigKey::new("errors.retry.delay.max.ms", ConfigType::Long, Importance::Medium, "The maximum duration in milliseconds between consecutive retry attempts. Jitter will be added to the delay once this limit is reached to prevent thundering herd issues.")
                .in_group("Error Handling", 2)
                .width(Width::Medium)
                .default("60000")
                .display_name("Maximum Delay Between Retries for Errors"),
        )
        .define(
            ConfigKey::new("errors.tolerance", ConfigType::String, Importance::Medium, "Behavior for tolerating errors during connector operation. 'none' is the default value and signals that any error will result in an immediate connector task failure; 'all' changes the behavior to skip over problematic records.")
                .in_group("Error Handling", 3)
                .default("none")
                .validator(Validator::OneOf(&["none", "all"]))
                .width(Width::Short)
                .display_name("Error Tolerance"),
        )
        .define(
            ConfigKey::new("errors.log.enable", ConfigType::Boolean, Importance::Medium, "If true, write each error and the details of the failed operation and problematic record to the Connect application log. This is 'false' by default, so that only errors that are not tolerated are reported.")
                .in_group("Error Handling", 4)
                .default("false")
                .width(Width::Short)
                .display_name("Log Errors"),
        )
        .define(
            ConfigKey::new("errors.log.include.messages", ConfigType::Boolean, Importance::Medium, "Whether to include in the log the Connect record that resulted in a failure. For sink records, the topic, partition, offset, and timestamp will be logged. For source records, the key and value (and their schemas), all headers, and the timestamp, Kafka topic, Kafka partition, source partition, and source offset will be logged. This is 'false' by default, which will prevent record keys, values, and headers from being written to log files.")
                .in_group("Error Handling", 5)
                .default("false")
                .width(Width::Short)
                .display_name("Log Error Details"),
        )
}

/// The keys every source connector accepts.
pub static SOURCE_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    let b = error_handling(reload(transforms(common(ConfigDef::builder()))));
    b
        .define(
            ConfigKey::new("topic.creation.groups", ConfigType::List, Importance::Low, "Groups of configurations for topics created by source connectors")
                .in_group("Topic Creation", 1)
                .default("")
                .width(Width::Long)
                .display_name("Topic Creation Groups"),
        )
        .define(
            ConfigKey::new("exactly.once.support", ConfigType::String, Importance::Medium, "Permitted values are requested, required. If set to \"required\", forces a preflight check for the connector to ensure that it can provide exactly-once semantics with the given configuration. Some connectors may be capable of providing exactly-once semantics but not signal to Connect that they support this; in that case, documentation for the connector should be consulted carefully before creating it, and the value for this property should be set to \"requested\". Additionally, if the value is set to \"required\" but the worker that performs preflight validation does not have exactly-once support enabled for source connectors, requests to create or validate the connector will fail.")
                .in_group("Exactly Once Support", 2)
                .default("requested")
                .validator(Validator::OneOfIgnoreCase(&["requested", "required"]))
                .width(Width::Short)
                .display_name("Exactly once support"),
        )
        .define(
            ConfigKey::new("transaction.boundary", ConfigType::String, Importance::Medium, "Permitted values are: poll, interval, connector. If set to 'poll', a new producer transaction will be started and committed for every batch of records that each task from this connector provides to Connect. If set to 'connector', relies on connector-defined transaction boundaries; note that not all connectors are capable of defining their own transaction boundaries, and in that case, attempts to instantiate a connector with this value will fail. Finally, if set to 'interval', commits transactions only after a user-defined time interval has passed.")
                .in_group("Exactly Once Support", 3)
                .default("poll")
                .validator(Validator::OneOfIgnoreCase(&["poll", "interval", "connector"]))
                .width(Width::Short)
                .display_name("Transaction Boundary"),
        )
        .define(
            ConfigKey::new("transaction.boundary.interval.ms", ConfigType::Long, Importance::Low, "If 'transaction.boundary' is set to 'interval', determines the interval for producer transaction commits by connector tasks. If unset, defaults to the value of the worker-level 'offset.flush.interval.ms' property. It has no effect if a different transaction.boundary is specified.")
                .in_group("Exactly Once Support", 4)
                .width(Width::Short)
                .display_name("Transaction boundary interval"),
        )
        .define(
            ConfigKey::new("offsets.storage.topic", ConfigType::String, Importance::Low, "The name of a separate offsets topic to use for this connector. If empty or not specified, the worker’s global offsets topic name will be used. If specified, the offsets topic will be created if it does not already exist on the Kafka cluster targeted by this connector (which may be different from the one used for the worker's global offsets topic if the bootstrap.servers property of the connector's producer has been overridden from the worker's). Only applicable in distributed mode; in standalone mode, setting this property will have no effect.")
                .in_group("offsets.topic", 1)
                .width(Width::Long)
                .display_name("Offsets topic"),
        )
        .build()
});

/// The keys every sink connector accepts.
pub static SINK_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    // Kafka 3.9's `SinkConnectorConfig`: every `ConnectorConfig` key, then the topics and the
    // dead letter queue keys.
    error_handling(reload(transforms(common(ConfigDef::builder()))))
        .define(
            ConfigKey::new("topics", ConfigType::List, Importance::High, "List of topics to consume, separated by commas")
                .in_group("Common", 4)
                .default("")
                .width(Width::Long)
                .display_name("Topics"),
        )
        .define(
            ConfigKey::new("topics.regex", ConfigType::String, Importance::High, "Regular expression giving topics to consume. Under the hood, the regex is compiled to a <code>java.util.regex.Pattern</code>. Only one of topics or topics.regex should be specified.")
                .in_group("Common", 4)
                .default("")
                .width(Width::Long)
                .display_name("Topics regex"),
        )
        .define(
            ConfigKey::new("errors.deadletterqueue.topic.name", ConfigType::String, Importance::Medium, "The name of the topic to be used as the dead letter queue (DLQ) for messages that result in an error when processed by this sink connector, or its transformations or converters. The topic name is blank by default, which means that no messages are to be recorded in the DLQ.")
                .in_group("Error Handling", 6)
                .width(Width::Medium)
                .default("")
                .display_name("Dead Letter Queue Topic Name"),
        )
        .define(
            ConfigKey::new("errors.deadletterqueue.topic.replication.factor", ConfigType::Short, Importance::Medium, "Replication factor used to create the dead letter queue topic when it doesn't already exist.")
                .in_group("Error Handling", 7)
                .width(Width::Medium)
                .default("3")
                .display_name("Dead Letter Queue Topic Replication Factor"),
        )
        .define(
            ConfigKey::new("errors.deadletterqueue.context.headers.enable", ConfigType::Boolean, Importance::Medium, "If true, add headers containing error context to the messages written to the dead letter queue. To avoid clashing with headers from the original record, all error context header keys, all error context header keys will start with <code>__connect.errors.</code>")
                .in_group("Error Handling", 8)
                .width(Width::Medium)
                .default("false")
                .display_name("Enable Error Context Headers"),
        )
        .build()
});

/// The framework keys a connector of `is_source` kind is parsed with.
pub fn framework_def(is_source: bool) -> &'static ConfigDef {
    if is_source { &SOURCE_DEF } else { &SINK_DEF }
}

/// Typed framework settings of one connector.
#[derive(Debug, Clone)]
pub struct FrameworkConfig {
    pub tasks_max: u32,
    pub tasks_max_enforce: bool,
    pub key_converter: Option<String>,
    pub value_converter: Option<String>,
    pub header_converter: Option<String>,
    pub tolerate_all: bool,
    pub log_errors: bool,
    pub log_include_messages: bool,
    pub dlq_topic: Option<String>,
    pub dlq_replication_factor: i16,
    pub dlq_context_headers: bool,
    pub topics: Vec<String>,
    pub topics_regex: Option<String>,
}

impl FrameworkConfig {
    pub fn from_parsed(p: &ParsedConfig, is_source: bool) -> Self {
        let opt = |k: &str| p.opt_string(k).filter(|s| !s.is_empty()).map(str::to_owned);
        Self {
            tasks_max: u32::try_from(p.int("tasks.max")).unwrap_or(1).max(1),
            tasks_max_enforce: p.boolean("tasks.max.enforce"),
            key_converter: opt("key.converter"),
            value_converter: opt("value.converter"),
            header_converter: opt("header.converter"),
            tolerate_all: p.string("errors.tolerance").eq_ignore_ascii_case("all"),
            log_errors: p.boolean("errors.log.enable"),
            log_include_messages: p.boolean("errors.log.include.messages"),
            dlq_topic: if is_source {
                None
            } else {
                opt("errors.deadletterqueue.topic.name")
            },
            dlq_replication_factor: if is_source {
                3
            } else {
                match p.value("errors.deadletterqueue.topic.replication.factor") {
                    ConfigValue::Short(v) => *v,
                    _ => 3,
                }
            },
            dlq_context_headers: !is_source
                && p.boolean("errors.deadletterqueue.context.headers.enable"),
            topics: if is_source {
                Vec::new()
            } else {
                p.list("topics").to_vec()
            },
            topics_regex: if is_source { None } else { opt("topics.regex") },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(def: &ConfigDef) -> Vec<(&str, &str, i32)> {
        def.keys()
            .iter()
            .map(|k| {
                (
                    k.name.as_str(),
                    k.group.as_deref().unwrap_or(""),
                    k.order_in_group,
                )
            })
            .collect()
    }

    /// Kafka 3.9's `ConnectorConfig.configDef()` numbers Common, Transforms and Predicates with
    /// one counter (so `transforms` is 8 and `config.action.reload` 10) and defines the reload
    /// key after the predicates; the 4.x oracle renumbers them (KIP-891), so 3.9 is pinned here.
    #[test]
    fn framework_keys_follow_kafka_3_9_order_and_numbering() {
        let common = [
            ("name", "Common", 1),
            ("connector.class", "Common", 2),
            ("tasks.max", "Common", 3),
            ("tasks.max.enforce", "Common", 4),
            ("key.converter", "Common", 5),
            ("value.converter", "Common", 6),
            ("header.converter", "Common", 7),
            ("transforms", "Transforms", 8),
            ("predicates", "Predicates", 9),
            ("config.action.reload", "Common", 10),
            ("errors.retry.timeout", "Error Handling", 1),
            ("errors.retry.delay.max.ms", "Error Handling", 2),
            ("errors.tolerance", "Error Handling", 3),
            ("errors.log.enable", "Error Handling", 4),
            ("errors.log.include.messages", "Error Handling", 5),
        ];
        let mut source = common.to_vec();
        source.extend([
            ("topic.creation.groups", "Topic Creation", 1),
            ("exactly.once.support", "Exactly Once Support", 2),
            ("transaction.boundary", "Exactly Once Support", 3),
            (
                "transaction.boundary.interval.ms",
                "Exactly Once Support",
                4,
            ),
            ("offsets.storage.topic", "offsets.topic", 1),
        ]);
        assert_eq!(layout(&SOURCE_DEF), source);
        let mut sink = common.to_vec();
        sink.extend([
            ("topics", "Common", 4),
            ("topics.regex", "Common", 4),
            ("errors.deadletterqueue.topic.name", "Error Handling", 6),
            (
                "errors.deadletterqueue.topic.replication.factor",
                "Error Handling",
                7,
            ),
            (
                "errors.deadletterqueue.context.headers.enable",
                "Error Handling",
                8,
            ),
        ]);
        assert_eq!(layout(&SINK_DEF), sink);
        assert_eq!(
            SOURCE_DEF.groups(),
            [
                "Common",
                "Transforms",
                "Predicates",
                "Error Handling",
                "Topic Creation",
                "Exactly Once Support",
                "offsets.topic"
            ]
        );
    }

    #[test]
    fn reload_action_and_tolerance_are_case_sensitive_as_in_kafka() {
        let props: connect_api::Props = [
            ("name", "c"),
            ("connector.class", "X"),
            ("config.action.reload", "None"),
            ("errors.tolerance", "ALL"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let errors = SOURCE_DEF.parse(&props).report.field_errors();
        let keys: Vec<&str> = errors.0.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["config.action.reload", "errors.tolerance"]);
    }
}
