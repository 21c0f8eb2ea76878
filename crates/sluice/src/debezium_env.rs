//! The `debezium/connect` container image's configuration: run with no command, Sluice reads
//! its worker properties from the environment, as the image's `docker-entrypoint.sh` writes
//! them before starting `connect-distributed.sh`.

use std::collections::BTreeMap;

use connect_api::Props;
use connect_runtime::worker_config::JSON_CONVERTER;

use crate::error::InputError;

/// What the `debezium/connect` entrypoint starts from: Kafka's shipped
/// `config/connect-distributed.properties`.
const SHIPPED_DISTRIBUTED_PROPERTIES: &[(&str, &str)] = &[
    ("bootstrap.servers", "localhost:9092"),
    ("group.id", "connect-cluster"),
    ("key.converter", JSON_CONVERTER),
    ("value.converter", JSON_CONVERTER),
    ("key.converter.schemas.enable", "true"),
    ("value.converter.schemas.enable", "true"),
    ("offset.storage.topic", "connect-offsets"),
    ("offset.storage.replication.factor", "1"),
    ("config.storage.topic", "connect-configs"),
    ("config.storage.replication.factor", "1"),
    ("status.storage.topic", "connect-status"),
    ("status.storage.replication.factor", "1"),
    ("offset.flush.interval.ms", "10000"),
];

/// Maps the `debezium/connect` image environment to worker properties, as its
/// `docker-entrypoint.sh start` does before running `connect-distributed.sh`:
///
/// - the shipped `connect-distributed.properties` is the base;
/// - `BOOTSTRAP_SERVERS` (else Docker-link `*PORT_9092_TCP` variables, else `0.0.0.0:9092`),
///   `GROUP_ID` (`1`), `CONFIG_STORAGE_TOPIC`, `OFFSET_STORAGE_TOPIC`, `STATUS_STORAGE_TOPIC`,
///   `KEY_CONVERTER`/`VALUE_CONVERTER` (JsonConverter), `OFFSET_FLUSH_INTERVAL_MS` (60000),
///   `OFFSET_FLUSH_TIMEOUT_MS` (5000), `SHUTDOWN_TIMEOUT` (10000), `ADVERTISED_HOST_NAME` /
///   `REST_HOST_NAME` (default `HOST_NAME`), `ADVERTISED_PORT` / `REST_PORT` (8083) become the
///   matching `CONNECT_*` variables, replacing any set directly, as the script's exports do;
/// - every `CONNECT_*` variable (but `CONNECT_LOG4J*`) becomes a property: prefix stripped,
///   lower-cased, `_` → `.` (`CONNECT_HEARTBEAT_INTERVAL_MS` → `heartbeat.interval.ms`).
///
/// `rest.port` and `rest.host.name` are written as the image writes them, and are as inert as
/// on Kafka 3.x: the REST server listens on `listeners` (default `http://:8083`). Where the image
/// would fill `HOST_NAME` from the container's IP address, nothing is advertised unless a variable
/// says so, and the worker falls back to its listener.
///
/// # Errors
/// [`InputError::MissingEnv`] with the image's message when `CONFIG_STORAGE_TOPIC` or
/// `OFFSET_STORAGE_TOPIC` is missing or empty.
pub(crate) fn props_from_debezium_env(env: &BTreeMap<String, String>) -> Result<Props, InputError> {
    let get = |name: &str| env.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let or = |name: &str, default: &str| get(name).unwrap_or(default).to_owned();

    let bootstrap = match get("BOOTSTRAP_SERVERS") {
        Some(b) => b.to_owned(),
        None => {
            let mut linked: Vec<&str> = env
                .iter()
                .filter(|(k, _)| k.ends_with("PORT_9092_TCP"))
                .map(|(_, v)| v.rsplit_once("tcp://").map_or(v.as_str(), |(_, addr)| addr))
                .collect();
            linked.dedup();
            if linked.is_empty() {
                "0.0.0.0:9092".to_owned()
            } else {
                linked.join(",")
            }
        }
    };
    let Some(config_topic) = get("CONFIG_STORAGE_TOPIC") else {
        return Err(InputError::MissingEnv {
            var: "CONFIG_STORAGE_TOPIC",
            message: "The CONFIG_STORAGE_TOPIC variable must be set to the name of the topic where connector configurations will be stored.",
        });
    };
    let Some(offset_topic) = get("OFFSET_STORAGE_TOPIC") else {
        return Err(InputError::MissingEnv {
            var: "OFFSET_STORAGE_TOPIC",
            message: "The OFFSET_STORAGE_TOPIC variable must be set to the name of the topic where connector offsets will be stored.",
        });
    };

    let mut connect: BTreeMap<String, String> = env
        .iter()
        .filter(|(k, _)| k.starts_with("CONNECT_") && !k.starts_with("CONNECT_LOG4J"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let host_name = get("HOST_NAME");
    let mut export = |var: &str, value: Option<String>| {
        if let Some(v) = value {
            connect.insert(format!("CONNECT_{var}"), v);
        }
    };
    export("REST_ADVERTISED_PORT", Some(or("ADVERTISED_PORT", "8083")));
    export(
        "REST_ADVERTISED_HOST_NAME",
        get("ADVERTISED_HOST_NAME").or(host_name).map(str::to_owned),
    );
    export("REST_PORT", Some(or("REST_PORT", "8083")));
    export(
        "REST_HOST_NAME",
        get("REST_HOST_NAME").or(host_name).map(str::to_owned),
    );
    export("BOOTSTRAP_SERVERS", Some(bootstrap));
    export("GROUP_ID", Some(or("GROUP_ID", "1")));
    export("CONFIG_STORAGE_TOPIC", Some(config_topic.to_owned()));
    export("OFFSET_STORAGE_TOPIC", Some(offset_topic.to_owned()));
    export(
        "STATUS_STORAGE_TOPIC",
        get("STATUS_STORAGE_TOPIC").map(str::to_owned),
    );
    export("KEY_CONVERTER", Some(or("KEY_CONVERTER", JSON_CONVERTER)));
    export(
        "VALUE_CONVERTER",
        Some(or("VALUE_CONVERTER", JSON_CONVERTER)),
    );
    export(
        "TASK_SHUTDOWN_GRACEFUL_TIMEOUT_MS",
        Some(or("SHUTDOWN_TIMEOUT", "10000")),
    );
    export(
        "OFFSET_FLUSH_INTERVAL_MS",
        Some(or("OFFSET_FLUSH_INTERVAL_MS", "60000")),
    );
    export(
        "OFFSET_FLUSH_TIMEOUT_MS",
        Some(or("OFFSET_FLUSH_TIMEOUT_MS", "5000")),
    );

    if !connect.contains_key("CONNECT_STATUS_STORAGE_TOPIC") {
        tracing::warn!(
            "It is recommended to specify the STATUS_STORAGE_TOPIC variable for defining the name of the topic where connector statuses will be stored. As no value is given, the default of 'connect-status' will be used."
        );
    }

    let mut props: Props = SHIPPED_DISTRIBUTED_PROPERTIES
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    for (var, value) in connect {
        let name = var["CONNECT_".len()..]
            .to_ascii_lowercase()
            .replace('_', ".");
        props.insert(name, value);
    }
    Ok(props)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use connect_runtime::worker_config::{Mode, WorkerConfig};

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn shipped_distributed_properties_file_loads() {
        let dir = std::env::temp_dir().join(format!("sluice-wc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("connect-distributed.properties");
        let mut text = String::from("# Kafka's shipped file\n");
        for (k, v) in SHIPPED_DISTRIBUTED_PROPERTIES {
            text.push_str(&format!("{k}={v}\n"));
        }
        std::fs::write(&path, text).unwrap();
        let props = connect_runtime::worker_config::load_properties(&path).unwrap();
        let config = WorkerConfig::from_props(Mode::Distributed, props).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(config.group_id.as_deref(), Some("connect-cluster"));
        let topics = config.storage_topics.unwrap();
        assert_eq!(topics.config_topic, "connect-configs");
        assert_eq!(topics.offset_replication_factor, 1);
        assert_eq!(config.offset_flush_interval, Duration::from_secs(10));
        assert_eq!(config.originals["key.converter.schemas.enable"], "true");
    }

    #[test]
    fn debezium_env_maps_to_worker_properties() {
        let e = env(&[
            ("BOOTSTRAP_SERVERS", "kafka:9092"),
            ("GROUP_ID", "7"),
            ("CONFIG_STORAGE_TOPIC", "my_connect_configs"),
            ("OFFSET_STORAGE_TOPIC", "my_connect_offsets"),
            ("STATUS_STORAGE_TOPIC", "my_connect_statuses"),
            ("ADVERTISED_HOST_NAME", "connect"),
            ("OFFSET_FLUSH_INTERVAL_MS", "1000"),
            ("SHUTDOWN_TIMEOUT", "20000"),
            ("CONNECT_HEARTBEAT_INTERVAL_MS", "1500"),
            ("CONNECT_PRODUCER_MAX_REQUEST_SIZE", "2097152"),
            ("CONNECT_LOG4J_LOGGERS", "org.reflections=ERROR"),
            ("PATH", "/usr/bin"),
        ]);
        let p = props_from_debezium_env(&e).unwrap();
        assert_eq!(p["bootstrap.servers"], "kafka:9092");
        assert_eq!(p["group.id"], "7");
        assert_eq!(p["config.storage.topic"], "my_connect_configs");
        assert_eq!(p["status.storage.topic"], "my_connect_statuses");
        assert_eq!(p["heartbeat.interval.ms"], "1500");
        assert_eq!(p["producer.max.request.size"], "2097152");
        assert_eq!(p["task.shutdown.graceful.timeout.ms"], "20000");
        assert_eq!(p["rest.advertised.host.name"], "connect");
        assert_eq!(p["rest.advertised.port"], "8083");
        assert_eq!(p["rest.port"], "8083");
        assert_eq!(
            p["key.converter.schemas.enable"], "true",
            "kept from the shipped file"
        );
        assert!(!p.contains_key("log4j.loggers"));
        assert!(!p.keys().any(|k| k == "path"));

        let c = WorkerConfig::from_props(Mode::Distributed, p).unwrap();
        assert_eq!(c.offset_flush_interval, Duration::from_secs(1));
        assert_eq!(c.task_shutdown_graceful_timeout, Duration::from_secs(20));
        assert_eq!(c.key_converter, JSON_CONVERTER);
        assert_eq!(c.worker_id("ignored"), "connect:8083");
        let topics = c.storage_topics.unwrap();
        assert_eq!(
            topics.offset_replication_factor, 1,
            "the shipped file sets 1"
        );
    }

    #[test]
    fn debezium_env_defaults_match_the_entrypoint() {
        let e = env(&[("CONFIG_STORAGE_TOPIC", "c"), ("OFFSET_STORAGE_TOPIC", "o")]);
        let c = WorkerConfig::from_props(Mode::Distributed, props_from_debezium_env(&e).unwrap())
            .unwrap();
        assert_eq!(c.bootstrap_servers, ["0.0.0.0:9092"]);
        assert_eq!(c.group_id.as_deref(), Some("1"));
        assert_eq!(
            c.storage_topics.as_ref().unwrap().status_topic,
            "connect-status"
        );
        assert_eq!(c.offset_flush_interval, Duration::from_secs(60));
        assert_eq!(c.offset_flush_timeout, Duration::from_secs(5));
        assert_eq!(c.task_shutdown_graceful_timeout, Duration::from_secs(10));
        assert_eq!(c.value_converter, JSON_CONVERTER);
        assert_eq!(c.advertised_port, Some(8083));
        assert_eq!(c.advertised_host_name, None);
    }

    #[test]
    fn debezium_env_named_variables_override_connect_passthrough() {
        // The entrypoint exports CONNECT_GROUP_ID=$GROUP_ID (default 1) after the user's
        // variables, so a CONNECT_GROUP_ID alone is overwritten, as in the image.
        let e = env(&[
            ("CONFIG_STORAGE_TOPIC", "c"),
            ("OFFSET_STORAGE_TOPIC", "o"),
            ("CONNECT_GROUP_ID", "mine"),
            ("CONNECT_CONFIG_STORAGE_TOPIC", "ignored"),
        ]);
        let p = props_from_debezium_env(&e).unwrap();
        assert_eq!(p["group.id"], "1");
        assert_eq!(p["config.storage.topic"], "c");
    }

    #[test]
    fn debezium_env_host_name_feeds_the_advertised_and_rest_host() {
        let e = env(&[
            ("CONFIG_STORAGE_TOPIC", "c"),
            ("OFFSET_STORAGE_TOPIC", "o"),
            ("HOST_NAME", "172.20.0.4"),
            ("ADVERTISED_PORT", "18083"),
        ]);
        let p = props_from_debezium_env(&e).unwrap();
        assert_eq!(p["rest.host.name"], "172.20.0.4");
        let c = WorkerConfig::from_props(Mode::Distributed, p).unwrap();
        assert_eq!(c.worker_id("ignored"), "172.20.0.4:18083");
    }

    #[test]
    fn debezium_env_uses_docker_link_variables_for_bootstrap() {
        let e = env(&[
            ("CONFIG_STORAGE_TOPIC", "c"),
            ("OFFSET_STORAGE_TOPIC", "o"),
            ("KAFKA_PORT_9092_TCP", "tcp://172.17.0.2:9092"),
        ]);
        assert_eq!(
            props_from_debezium_env(&e).unwrap()["bootstrap.servers"],
            "172.17.0.2:9092"
        );
    }

    #[test]
    fn debezium_env_missing_topics_name_the_variable() {
        let err = props_from_debezium_env(&env(&[("OFFSET_STORAGE_TOPIC", "o")])).unwrap_err();
        assert!(matches!(
            err,
            InputError::MissingEnv {
                var: "CONFIG_STORAGE_TOPIC",
                ..
            }
        ));
        assert_eq!(
            err.to_string(),
            "The CONFIG_STORAGE_TOPIC variable must be set to the name of the topic where connector configurations will be stored."
        );
        let err = props_from_debezium_env(&env(&[("CONFIG_STORAGE_TOPIC", "c")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "The OFFSET_STORAGE_TOPIC variable must be set to the name of the topic where connector offsets will be stored."
        );
    }
}
