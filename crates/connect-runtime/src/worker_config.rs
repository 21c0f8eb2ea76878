//! The worker's own configuration (`worker.properties`), parsed through the same [`ConfigDef`]
//! machinery as every plugin's: the worker eats its own cooking.
//!
//! [`WorkerConfig::from_props`] checks and types the worker's [`Props`], with Kafka 3.9's
//! defaults from the definitions in [`WorkerConfig::config_def`]. Where the props come from (a
//! `.properties` file, the `debezium/connect` image's environment) is the binary's concern.
//!
//! Every key given is kept in [`WorkerConfig::originals`], declared or not, because
//! `producer.*`, `consumer.*`, `admin.*` and client security keys pass through to the Kafka clients.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Duration;

use connect_api::config::{
    ConfigDef, ConfigDefBuilder, ConfigKey, ConfigType, ConfigValue, Importance, Validator,
};
use connect_api::{FieldErrors, ParsedConfig, Props, java};

use crate::override_policy::OverridePolicy;

// Key names, so that callers do not spell them twice.
pub const BOOTSTRAP_SERVERS_CONFIG: &str = "bootstrap.servers";
pub const GROUP_ID_CONFIG: &str = "group.id";
pub const KEY_CONVERTER_CLASS_CONFIG: &str = "key.converter";
pub const VALUE_CONVERTER_CLASS_CONFIG: &str = "value.converter";
pub const HEADER_CONVERTER_CLASS_CONFIG: &str = "header.converter";
pub const TASK_SHUTDOWN_GRACEFUL_TIMEOUT_MS_CONFIG: &str = "task.shutdown.graceful.timeout.ms";
pub const OFFSET_COMMIT_INTERVAL_MS_CONFIG: &str = "offset.flush.interval.ms";
pub const OFFSET_COMMIT_TIMEOUT_MS_CONFIG: &str = "offset.flush.timeout.ms";
pub const PLUGIN_PATH_CONFIG: &str = "plugin.path";
pub const LISTENERS_CONFIG: &str = "listeners";
pub const ADMIN_LISTENERS_CONFIG: &str = "admin.listeners";
/// Sluice's own: one more listener serving only `GET /metrics`, where the JVM worker's
/// Prometheus JMX exporter agent would listen.
pub const METRICS_LISTENER_CONFIG: &str = "metrics.listener";
pub const REST_ADVERTISED_HOST_NAME_CONFIG: &str = "rest.advertised.host.name";
pub const REST_ADVERTISED_PORT_CONFIG: &str = "rest.advertised.port";
pub const REST_ADVERTISED_LISTENER_CONFIG: &str = "rest.advertised.listener";
pub const ACCESS_CONTROL_ALLOW_ORIGIN_CONFIG: &str = "access.control.allow.origin";
pub const ACCESS_CONTROL_ALLOW_METHODS_CONFIG: &str = "access.control.allow.methods";
pub const TOPIC_TRACKING_ENABLE_CONFIG: &str = "topic.tracking.enable";
pub const TOPIC_TRACKING_ALLOW_RESET_CONFIG: &str = "topic.tracking.allow.reset";
pub const TOPIC_CREATION_ENABLE_CONFIG: &str = "topic.creation.enable";
pub const CONNECTOR_CLIENT_POLICY_CLASS_CONFIG: &str = "connector.client.config.override.policy";
/// Kafka 4.x's `AllowlistConnectorClientConfigOverridePolicy.ALLOWLIST_CONFIG`.
pub const CONNECTOR_CLIENT_OVERRIDE_ALLOWLIST_CONFIG: &str =
    "connector.client.config.override.allowlist";
pub const METRIC_REPORTERS_CONFIG: &str = "metric.reporters";
pub const OFFSET_STORAGE_FILE_FILENAME_CONFIG: &str = "offset.storage.file.filename";
pub const CONFIG_TOPIC_CONFIG: &str = "config.storage.topic";
pub const CONFIG_STORAGE_REPLICATION_FACTOR_CONFIG: &str = "config.storage.replication.factor";
pub const OFFSET_STORAGE_TOPIC_CONFIG: &str = "offset.storage.topic";
pub const OFFSET_STORAGE_PARTITIONS_CONFIG: &str = "offset.storage.partitions";
pub const OFFSET_STORAGE_REPLICATION_FACTOR_CONFIG: &str = "offset.storage.replication.factor";
pub const STATUS_STORAGE_TOPIC_CONFIG: &str = "status.storage.topic";
pub const STATUS_STORAGE_PARTITIONS_CONFIG: &str = "status.storage.partitions";
pub const STATUS_STORAGE_REPLICATION_FACTOR_CONFIG: &str = "status.storage.replication.factor";
pub const EXACTLY_ONCE_SOURCE_SUPPORT_CONFIG: &str = "exactly.once.source.support";
pub const SESSION_TIMEOUT_MS_CONFIG: &str = "session.timeout.ms";
pub const HEARTBEAT_INTERVAL_MS_CONFIG: &str = "heartbeat.interval.ms";
pub const REBALANCE_TIMEOUT_MS_CONFIG: &str = "rebalance.timeout.ms";
pub const SCHEDULED_REBALANCE_MAX_DELAY_MS_CONFIG: &str = "scheduled.rebalance.max.delay.ms";

/// Kafka's JSON converter, the default of the shipped worker properties.
pub const JSON_CONVERTER: &str = "org.apache.kafka.connect.json.JsonConverter";

/// Why a worker configuration could not be built. Every message is one line, naming the
/// offending key (or environment variable) as Kafka or the container image would.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkerConfigError {
    /// Keys that are missing or invalid (`ConfigException`); messages joined with "; ".
    #[error("{0}")]
    Invalid(FieldErrors),
    /// A `listeners` / `admin.listeners` entry Kafka's REST server would refuse.
    #[error("{0}")]
    Listener(String),
    /// A properties file that `java.util.Properties` would refuse.
    #[error("{path}: line {line}: {message}")]
    Properties {
        path: String,
        line: usize,
        message: String,
    },
    #[error("failed to read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// How the worker stores configs, offsets and statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `connect-standalone`: offsets in a local file, connectors from files given at start.
    Standalone,
    /// `connect-distributed`: a group of workers sharing three Kafka topics.
    Distributed,
}

/// `exactly.once.source.support` (KIP-618).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExactlyOnceSourceSupport {
    Disabled,
    Preparing,
    Enabled,
}

/// A REST listener protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Http,
    Https,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }
}

/// One parsed `listeners` entry (`protocol://host:port`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub protocol: Protocol,
    /// `None` when the host is empty (`http://:8083`): bind every interface, as Jetty does.
    pub host: Option<String>,
    pub port: u16,
}

impl Listener {
    /// The address to bind, `0.0.0.0:8083` for an empty host, `[::1]:8083` for IPv6.
    pub fn bind_address(&self) -> String {
        match self.host.as_deref() {
            None => format!("0.0.0.0:{}", self.port),
            Some(h) if h.contains(':') => format!("[{h}]:{}", self.port),
            Some(h) => format!("{h}:{}", self.port),
        }
    }
}

impl fmt::Display for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = self.host.as_deref().unwrap_or("");
        if host.contains(':') {
            write!(f, "{}://[{host}]:{}", self.protocol.as_str(), self.port)
        } else {
            write!(f, "{}://{host}:{}", self.protocol.as_str(), self.port)
        }
    }
}

/// The three internal topics of a distributed worker and how to create them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageTopics {
    pub config_topic: String,
    /// `-1` means the broker's default.
    pub config_replication_factor: i16,
    pub offset_topic: String,
    pub offset_partitions: i32,
    pub offset_replication_factor: i16,
    pub status_topic: String,
    pub status_partitions: i32,
    pub status_replication_factor: i16,
}

/// The typed worker configuration.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub mode: Mode,
    pub bootstrap_servers: Vec<String>,
    /// The Connect cluster's group; `None` in standalone mode.
    pub group_id: Option<String>,
    pub key_converter: String,
    pub value_converter: String,
    pub header_converter: String,
    /// Distributed mode only.
    pub storage_topics: Option<StorageTopics>,
    /// Standalone mode only: where source offsets are kept.
    pub offset_storage_file: Option<PathBuf>,
    pub offset_flush_interval: Duration,
    pub offset_flush_timeout: Duration,
    pub task_shutdown_graceful_timeout: Duration,
    /// In order; never empty.
    pub listeners: Vec<Listener>,
    /// `None`: admin endpoints are served on `listeners`; `Some([])`: admin endpoints disabled.
    pub admin_listeners: Option<Vec<Listener>>,
    /// `metrics.listener`: where `GET /metrics` is also served, alone; `None` when not set.
    pub metrics_listener: Option<Listener>,
    pub advertised_host_name: Option<String>,
    pub advertised_port: Option<u16>,
    pub advertised_listener: Option<Protocol>,
    pub access_control_allow_origin: String,
    pub access_control_allow_methods: String,
    pub topic_tracking_enable: bool,
    pub topic_tracking_allow_reset: bool,
    /// `false`: source connectors' topics are never created by the worker (the broker must
    /// create them on first produce, or they must exist).
    pub topic_creation_enable: bool,
    pub connector_client_config_override_policy: OverridePolicy,
    /// Never `Enabled`: Sluice has no exactly-once source support and refuses that value.
    pub exactly_once_source_support: ExactlyOnceSourceSupport,
    /// Accepted for compatibility and ignored: Sluice's plugins are compiled in.
    pub plugin_path: Vec<String>,
    /// Every property given, declared or not (`producer.*`, `consumer.*`, `admin.*`, `ssl.*` …).
    pub originals: Props,
}

impl WorkerConfig {
    /// Kafka 3.9's `StandaloneConfig` / `DistributedConfig` definition, minus the Kafka client
    /// network and security keys (those pass through [`Self::originals`] to the clients).
    pub fn config_def(mode: Mode) -> &'static ConfigDef {
        match mode {
            Mode::Standalone => &STANDALONE_DEF,
            Mode::Distributed => &DISTRIBUTED_DEF,
        }
    }

    /// Checks and types `props` for `mode`.
    ///
    /// # Errors
    /// [`WorkerConfigError::Invalid`] with every missing or invalid key, or
    /// [`WorkerConfigError::Listener`] for a listener Kafka would refuse.
    pub fn from_props(mode: Mode, props: Props) -> Result<Self, WorkerConfigError> {
        let outcome = Self::config_def(mode).parse(&props);
        let errors = outcome.report.field_errors();
        if !errors.is_empty() {
            return Err(WorkerConfigError::Invalid(errors));
        }
        let p = &outcome.parsed;
        let listeners = parse_listeners(p.list(LISTENERS_CONFIG))?;
        let admin_listeners = match p.value(ADMIN_LISTENERS_CONFIG) {
            ConfigValue::List(items) => Some(parse_admin_listeners(items)?),
            _ => None,
        };
        let metrics_listener = p
            .opt_string(METRICS_LISTENER_CONFIG)
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| {
                parse_listener(l).map_err(|e| {
                    WorkerConfigError::Listener(format!(
                        "Invalid value {l} for configuration {METRICS_LISTENER_CONFIG}: {e}"
                    ))
                })
            })
            .transpose()?;
        let advertised_listener = match p.opt_string(REST_ADVERTISED_LISTENER_CONFIG) {
            Some(s) if s.eq_ignore_ascii_case("https") => Some(Protocol::Https),
            Some(s) if s.eq_ignore_ascii_case("http") => Some(Protocol::Http),
            _ => None,
        };
        let advertised_port = match p.opt_int(REST_ADVERTISED_PORT_CONFIG) {
            None => None,
            Some(port) => Some(u16::try_from(port).map_err(|_| {
                invalid(
                    REST_ADVERTISED_PORT_CONFIG,
                    &port.to_string(),
                    "Not a valid port",
                )
            })?),
        };
        let (group_id, storage_topics, offset_storage_file, eos) = match mode {
            Mode::Distributed => (
                Some(p.string(GROUP_ID_CONFIG).to_owned()),
                Some(StorageTopics {
                    config_topic: p.string(CONFIG_TOPIC_CONFIG).to_owned(),
                    config_replication_factor: short(p, CONFIG_STORAGE_REPLICATION_FACTOR_CONFIG),
                    offset_topic: p.string(OFFSET_STORAGE_TOPIC_CONFIG).to_owned(),
                    offset_partitions: p.int(OFFSET_STORAGE_PARTITIONS_CONFIG),
                    offset_replication_factor: short(p, OFFSET_STORAGE_REPLICATION_FACTOR_CONFIG),
                    status_topic: p.string(STATUS_STORAGE_TOPIC_CONFIG).to_owned(),
                    status_partitions: p.int(STATUS_STORAGE_PARTITIONS_CONFIG),
                    status_replication_factor: short(p, STATUS_STORAGE_REPLICATION_FACTOR_CONFIG),
                }),
                None,
                match p.string(EXACTLY_ONCE_SOURCE_SUPPORT_CONFIG) {
                    // KIP-618 needs transactional source producers, fencing and per-connector
                    // offsets topics, none of which Sluice has: a worker asked for it refuses
                    // to start rather than run sources at-least-once unannounced.
                    "enabled" => {
                        return Err(invalid(
                            EXACTLY_ONCE_SOURCE_SUPPORT_CONFIG,
                            "enabled",
                            "Sluice has no exactly-once source support (KIP-618); use 'disabled' (or 'preparing')",
                        ));
                    }
                    "preparing" => ExactlyOnceSourceSupport::Preparing,
                    _ => ExactlyOnceSourceSupport::Disabled,
                },
            ),
            Mode::Standalone => (
                None,
                None,
                Some(PathBuf::from(p.string(OFFSET_STORAGE_FILE_FILENAME_CONFIG))),
                ExactlyOnceSourceSupport::Disabled,
            ),
        };
        Ok(Self {
            mode,
            bootstrap_servers: p.list(BOOTSTRAP_SERVERS_CONFIG).to_vec(),
            group_id,
            key_converter: p.string(KEY_CONVERTER_CLASS_CONFIG).to_owned(),
            value_converter: p.string(VALUE_CONVERTER_CLASS_CONFIG).to_owned(),
            header_converter: p.string(HEADER_CONVERTER_CLASS_CONFIG).to_owned(),
            storage_topics,
            offset_storage_file,
            offset_flush_interval: millis(p.long(OFFSET_COMMIT_INTERVAL_MS_CONFIG)),
            offset_flush_timeout: millis(p.long(OFFSET_COMMIT_TIMEOUT_MS_CONFIG)),
            task_shutdown_graceful_timeout: millis(
                p.long(TASK_SHUTDOWN_GRACEFUL_TIMEOUT_MS_CONFIG),
            ),
            listeners,
            admin_listeners,
            metrics_listener,
            advertised_host_name: p
                .opt_string(REST_ADVERTISED_HOST_NAME_CONFIG)
                .filter(|h| !h.is_empty())
                .map(str::to_owned),
            advertised_port,
            advertised_listener,
            access_control_allow_origin: p.string(ACCESS_CONTROL_ALLOW_ORIGIN_CONFIG).to_owned(),
            access_control_allow_methods: p.string(ACCESS_CONTROL_ALLOW_METHODS_CONFIG).to_owned(),
            topic_tracking_enable: p.boolean(TOPIC_TRACKING_ENABLE_CONFIG),
            topic_tracking_allow_reset: p.boolean(TOPIC_TRACKING_ALLOW_RESET_CONFIG),
            topic_creation_enable: p.boolean(TOPIC_CREATION_ENABLE_CONFIG),
            connector_client_config_override_policy: OverridePolicy::from_name(
                p.string(CONNECTOR_CLIENT_POLICY_CLASS_CONFIG),
                p.list(CONNECTOR_CLIENT_OVERRIDE_ALLOWLIST_CONFIG),
            )
            .map_err(|reason: String| {
                invalid(
                    CONNECTOR_CLIENT_POLICY_CLASS_CONFIG,
                    p.string(CONNECTOR_CLIENT_POLICY_CLASS_CONFIG),
                    &reason,
                )
            })?,
            exactly_once_source_support: eos,
            plugin_path: p.list(PLUGIN_PATH_CONFIG).to_vec(),
            originals: props,
        })
    }

    /// The listener other workers and `worker_id` use (`RestServer.determineAdvertisedProtocol`):
    /// the first one with the `rest.advertised.listener` protocol; without that setting, the
    /// first http listener, else the first https one.
    pub fn advertised_rest_listener(&self) -> &Listener {
        let by_protocol = |proto: Protocol| self.listeners.iter().find(|l| l.protocol == proto);
        match self.advertised_listener {
            Some(proto) => by_protocol(proto),
            None => by_protocol(Protocol::Http).or_else(|| by_protocol(Protocol::Https)),
        }
        .or_else(|| self.listeners.first())
        .unwrap_or(&DEFAULT_LISTENER)
    }

    /// Settings accepted but not acted on as Kafka would, each with what Sluice does instead:
    /// the binary logs them at WARN once, at start.
    pub fn notices(&self) -> Vec<String> {
        let mut notices = Vec::new();
        let o = &self.originals;
        let set = |key: &str| o.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
        if let Some(reporters) = set(METRIC_REPORTERS_CONFIG) {
            notices.push(format!(
                "{METRIC_REPORTERS_CONFIG}={reporters} is ignored: Sluice does not load Java metrics reporters (JMX included); no reporter is called."
            ));
        }
        for (key, why) in INERT_WORKER_KEYS {
            if set(key).is_some() {
                notices.push(format!("{key} is ignored: {why}."));
            }
        }
        match (self.mode, self.exactly_once_source_support) {
            (Mode::Distributed, ExactlyOnceSourceSupport::Preparing) => notices.push(format!(
                "{EXACTLY_ONCE_SOURCE_SUPPORT_CONFIG}=preparing: source tasks run at-least-once, as Kafka runs them while preparing; Sluice writes the config topic without a transactional producer and can never be moved to 'enabled'."
            )),
            (Mode::Standalone, _) => {
                if let Some(v) = set(EXACTLY_ONCE_SOURCE_SUPPORT_CONFIG).filter(|v| *v != "disabled") {
                    notices.push(format!(
                        "{EXACTLY_ONCE_SOURCE_SUPPORT_CONFIG}={v} is ignored in standalone mode, as in Kafka: source tasks run at-least-once."
                    ));
                }
            }
            _ => {}
        }
        notices
    }

    /// `host:port` as Kafka reports it in `worker_id`: the advertised host name and port when
    /// set, else the listener's, else `local_host` (Kafka uses the machine's host name).
    pub fn worker_id(&self, local_host: &str) -> String {
        let listener = self.advertised_rest_listener();
        let host = self
            .advertised_host_name
            .as_deref()
            .or(listener.host.as_deref())
            .unwrap_or(local_host);
        let port = self.advertised_port.unwrap_or(listener.port);
        format!("{host}:{port}")
    }
}

const NO_SCANNER: &str = "Sluice's plugins are compiled in; no plugin directory is scanned";
const NO_JMX_METRICS: &str = "Sluice does not keep Kafka's sampled worker metrics";

/// Worker settings for machinery Sluice does not have (the plugin scanner, sampled metrics): a
/// value given changes nothing, so it is reported once at start. The group protocol's settings
/// (`connect.protocol`, `session.timeout.ms`, `inter.worker.*`, `worker.sync.timeout.ms`,
/// `worker.unsync.backoff.ms`, …) are honoured.
const INERT_WORKER_KEYS: &[(&str, &str)] = &[
    (PLUGIN_PATH_CONFIG, NO_SCANNER),
    ("plugin.discovery", NO_SCANNER),
    ("metrics.sample.window.ms", NO_JMX_METRICS),
    ("metrics.num.samples", NO_JMX_METRICS),
    ("metrics.recording.level", NO_JMX_METRICS),
];

static DEFAULT_LISTENER: Listener = Listener {
    protocol: Protocol::Http,
    host: None,
    port: 8083,
};

fn short(p: &ParsedConfig, key: &str) -> i16 {
    match p.value(key) {
        ConfigValue::Short(v) => *v,
        _ => 0,
    }
}

/// Kafka has no lower bound on these durations; a negative one behaves as zero.
fn millis(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

fn invalid(key: &str, value: &str, reason: &str) -> WorkerConfigError {
    let mut errors = FieldErrors::new();
    errors.push(
        key,
        format!("Invalid value {value} for configuration {key}: {reason}"),
    );
    WorkerConfigError::Invalid(errors)
}

// ---------------------------------------------------------------------------------------------
// Listeners

/// `RestServerConfig.ListenersValidator`, then `RestServer.createConnector` for each entry.
fn parse_listeners(items: &[String]) -> Result<Vec<Listener>, WorkerConfigError> {
    if items.is_empty() {
        return Err(WorkerConfigError::Listener(
            "Invalid value for listeners, at least one URL is expected, ex: http://localhost:8080,https://localhost:8443."
                .to_owned(),
        ));
    }
    if items.iter().any(|i| i.trim().is_empty()) {
        return Err(WorkerConfigError::Listener(
            "Empty URL found when parsing listeners list.".to_owned(),
        ));
    }
    items.iter().map(|i| parse_listener(i)).collect()
}

fn parse_admin_listeners(items: &[String]) -> Result<Vec<Listener>, WorkerConfigError> {
    if items.iter().any(|i| i.trim().is_empty()) {
        return Err(WorkerConfigError::Listener(
            "Empty URL found when parsing admin.listeners list.".to_owned(),
        ));
    }
    items.iter().map(|i| parse_listener(i)).collect()
}

/// Parses `protocol://host:port` as Kafka's `RestServer` does (its pattern is
/// `^(.*)://\[?([0-9a-zA-Z\-%._:]*)\]?:(-?[0-9]+)`); the protocol is case-insensitive.
///
/// # Errors
/// Kafka's messages: a malformed entry, or a protocol other than http/https.
pub fn parse_listener(listener: &str) -> Result<Listener, WorkerConfigError> {
    let malformed = || {
        WorkerConfigError::Listener(
            "Listener doesn't have the right format (protocol://hostname:port).".to_owned(),
        )
    };
    let (protocol, rest) = listener.rsplit_once("://").ok_or_else(malformed)?;
    let (host, port) = rest.rsplit_once(':').ok_or_else(malformed)?;
    let host = host.strip_prefix('[').unwrap_or(host);
    let host = host.strip_suffix(']').unwrap_or(host);
    let host_ok = host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '%' | '.' | '_' | ':'));
    let digits = port.strip_prefix('-').unwrap_or(port);
    if !host_ok || digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(malformed());
    }
    let protocol = match protocol.to_ascii_lowercase().as_str() {
        "http" => Protocol::Http,
        "https" => Protocol::Https,
        _ => {
            return Err(WorkerConfigError::Listener(
                "Listener protocol must be either \"http\" or \"https\".".to_owned(),
            ));
        }
    };
    let port = port.parse::<u16>().map_err(|_| {
        WorkerConfigError::Listener(format!("Invalid port {port} in listener {listener}."))
    })?;
    Ok(Listener {
        protocol,
        host: (!host.is_empty()).then(|| host.to_owned()),
        port,
    })
}

// ---------------------------------------------------------------------------------------------
// The definitions

fn key(name: &str, ty: ConfigType, importance: Importance, doc: &str) -> ConfigKey {
    ConfigKey::new(name, ty, importance, doc)
}

fn partitions_validator() -> Validator {
    Validator::custom(|v| match v {
        ConfigValue::Int(n) if *n != -1 && *n < 1 => Err(
            "Number of partitions must be positive, or -1 to use the broker's default".to_owned(),
        ),
        _ => Ok(()),
    })
}

fn replication_factor_validator() -> Validator {
    Validator::custom(|v| {
        match v {
        ConfigValue::Short(n) if *n != -1 && *n < 1 => Err(
            "Replication factor must be positive and not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default"
                .to_owned(),
        ),
        _ => Ok(()),
    }
    })
}

/// `WorkerConfig.baseConfigDef()` with `RestServerConfig.addPublicConfig`.
fn base_def() -> ConfigDefBuilder {
    use ConfigType::{Boolean, Class, Int, List, Long, String as Str};
    use Importance::{High, Low, Medium};
    ConfigDef::builder()
        .define(
            key(BOOTSTRAP_SERVERS_CONFIG, List, High,
                "A list of host/port pairs used to establish the initial connection to the Kafka cluster. Clients use this list to bootstrap and discover the full set of Kafka brokers. While the order of servers in the list does not matter, we recommend including more than one server to ensure resilience if any servers are down. This list does not need to contain the entire set of brokers, as Kafka clients automatically manage and update connections to the cluster efficiently. This list must be in the form <code>host1:port1,host2:port2,...</code>.")
            .default("localhost:9092"),
        )
        .define(
            key("client.dns.lookup", Str, Medium,
                "Controls how the client uses DNS lookups. If set to <code>use_all_dns_ips</code>, connect to each returned IP address in sequence until a successful connection is established. After a disconnection, the next IP is used. Once all IPs have been used once, the client resolves the IP(s) from the hostname again (both the JVM and the OS cache DNS name lookups, however). If set to <code>resolve_canonical_bootstrap_servers_only</code>, resolve each bootstrap address into a list of canonical names. After the bootstrap phase, this behaves the same as <code>use_all_dns_ips</code>.")
            .default("use_all_dns_ips")
            .validator(Validator::OneOf(&["use_all_dns_ips", "resolve_canonical_bootstrap_servers_only"])),
        )
        .define(
            key(KEY_CONVERTER_CLASS_CONFIG, Class, High,
                "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the keys in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format. Examples of common formats include JSON and Avro.")
            .required(),
        )
        .define(
            key(VALUE_CONVERTER_CLASS_CONFIG, Class, High,
                "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the values in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format. Examples of common formats include JSON and Avro.")
            .required(),
        )
        .define(
            key(TASK_SHUTDOWN_GRACEFUL_TIMEOUT_MS_CONFIG, Long, Low,
                "Amount of time to wait for tasks to shutdown gracefully. This is the total amount of time, not per task. All task have shutdown triggered, then they are waited on sequentially.")
            .default("5000"),
        )
        .define(
            key(OFFSET_COMMIT_INTERVAL_MS_CONFIG, Long, Low,
                "Interval at which to try committing offsets for tasks.")
            .default("60000"),
        )
        .define(
            key(OFFSET_COMMIT_TIMEOUT_MS_CONFIG, Long, Low,
                "Maximum number of milliseconds to wait for records to flush and partition offset data to be committed to offset storage before cancelling the process and restoring the offset data to be committed in a future attempt. This property has no effect for source connectors running with exactly-once support.")
            .default("5000"),
        )
        .define(key(PLUGIN_PATH_CONFIG, List, Low,
            "List of paths separated by commas (,) that contain plugins (connectors, converters, transformations). The list should consist of top level directories that include any combination of: \na) directories immediately containing jars with plugins and their dependencies\nb) uber-jars with plugins and their dependencies\nc) directories immediately containing the package directory structure of classes of plugins and their dependencies\nNote: symlinks will be followed to discover dependencies or plugins.\nExamples: plugin.path=/usr/local/share/java,/usr/local/share/kafka/plugins,/opt/connectors\nDo not use config provider variables in this property, since the raw path is used by the worker's scanner before config providers are initialized and used to replace variables."))
        .define(
            key("plugin.discovery", Str, Low,
                "Method to use to discover plugins present in the classpath and plugin.path configuration. This can be one of multiple values with the following meanings:\n* only_scan: Discover plugins only by reflection. Plugins which are not discoverable by ServiceLoader will not impact worker startup.\n* hybrid_warn: Discover plugins reflectively and by ServiceLoader. Plugins which are not discoverable by ServiceLoader will print warnings during worker startup.\n* hybrid_fail: Discover plugins reflectively and by ServiceLoader. Plugins which are not discoverable by ServiceLoader will cause worker startup to fail.\n* service_load: Discover plugins only by ServiceLoader. Faster startup than other modes. Plugins which are not discoverable by ServiceLoader may not be usable.")
            .default("hybrid_warn")
            .validator(Validator::OneOfIgnoreCase(&["only_scan", "hybrid_warn", "hybrid_fail", "service_load"])),
        )
        .define(
            key("metrics.sample.window.ms", Long, Low, "The window of time a metrics sample is computed over.")
                .default("30000")
                .validator(Validator::at_least(0.0)),
        )
        .define(
            key("metrics.num.samples", Int, Low, "The number of samples maintained to compute metrics.")
                .default("2")
                .validator(Validator::at_least(1.0)),
        )
        .define(
            key("metrics.recording.level", Str, Low, "The highest recording level for metrics.")
                .default("INFO")
                .validator(Validator::OneOf(&["INFO", "DEBUG"])),
        )
        .define(
            key("metric.reporters", List, Low,
                "A list of classes to use as metrics reporters. Implementing the <code>org.apache.kafka.common.metrics.MetricsReporter</code> interface allows plugging in classes that will be notified of new metric creation. The JmxReporter is always included to register JMX statistics.")
            .default(""),
        )
        .define(
            key(HEADER_CONVERTER_CLASS_CONFIG, Class, Low,
                "HeaderConverter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the header values in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format. Examples of common formats include JSON and Avro. By default, the SimpleHeaderConverter is used to serialize header values to strings and deserialize them by inferring the schemas.")
            .default("org.apache.kafka.connect.storage.SimpleHeaderConverter"),
        )
        .define(
            key("config.providers", List, Low,
                "Comma-separated names of <code>ConfigProvider</code> classes, loaded and used in the order specified. Implementing the interface  <code>ConfigProvider</code> allows you to replace variable references in connector configurations, such as for externalized secrets. ")
            .default(""),
        )
        .define(
            key(CONNECTOR_CLIENT_POLICY_CLASS_CONFIG, Str, Medium,
                "Class name or alias of implementation of <code>ConnectorClientConfigOverridePolicy</code>. Defines what client configurations can be overridden by the connector. The default implementation is `All`, meaning connector configurations can override all client properties. The other possible policies in the framework include `None` to disallow connectors from overriding client properties, and `Principal` to allow connectors to override only client principals.")
            .default("All"),
        )
        .define(
            key(CONNECTOR_CLIENT_OVERRIDE_ALLOWLIST_CONFIG, List, Medium,
                "List of client configurations that can be overridden by connectors. If empty, connectors can't override any client configurations.")
            .default(""),
        )
        .define(
            key(TOPIC_CREATION_ENABLE_CONFIG, Boolean, Low,
                "Whether to allow automatic creation of topics used by source connectors, when source connectors are configured with `topic.creation.` properties. Each task will use an admin client to create its topics and will not depend on the Kafka brokers to create topics automatically.")
            .default("true"),
        )
        .define(
            key(TOPIC_TRACKING_ENABLE_CONFIG, Boolean, Low,
                "Enable tracking the set of active topics per connector during runtime.")
            .default("true"),
        )
        .define(
            key(TOPIC_TRACKING_ALLOW_RESET_CONFIG, Boolean, Low,
                "If set to true, it allows user requests to reset the set of active topics per connector.")
            .default("true"),
        )
        .define(
            key(LISTENERS_CONFIG, List, Low,
                "List of comma-separated URIs the REST API will listen on. The supported protocols are HTTP and HTTPS.\n Specify hostname as 0.0.0.0 to bind to all interfaces.\n Leave hostname empty to bind to default interface.\n Examples of legal listener lists: HTTP://myhost:8083,HTTPS://myhost:8084")
            .default("http://:8083"),
        )
        .define(key(REST_ADVERTISED_HOST_NAME_CONFIG, Str, Low,
            "If this is set, this is the hostname that will be given out to other workers to connect to."))
        .define(key(REST_ADVERTISED_PORT_CONFIG, Int, Low,
            "If this is set, this is the port that will be given out to other workers to connect to."))
        .define(key(REST_ADVERTISED_LISTENER_CONFIG, Str, Low,
            "Sets the advertised listener (HTTP or HTTPS) which will be given to other workers to use."))
        .define(
            key(ACCESS_CONTROL_ALLOW_ORIGIN_CONFIG, Str, Low,
                "Value to set the Access-Control-Allow-Origin header to for REST API requests.To enable cross origin access, set this to the domain of the application that should be permitted to access the API, or '*' to allow access from any domain. The default value only allows access from the domain of the REST API.")
            .default(""),
        )
        .define(
            key(ACCESS_CONTROL_ALLOW_METHODS_CONFIG, Str, Low,
                "Sets the methods supported for cross origin requests by setting the Access-Control-Allow-Methods header. The default value of the Access-Control-Allow-Methods header allows cross origin requests for GET, POST and HEAD.")
            .default(""),
        )
        .define(
            key("response.http.headers.config", Str, Low, "Rules for REST API HTTP response headers")
                .default(""),
        )
        .define(
            key("rest.extension.classes", List, Low,
                "Comma-separated names of <code>ConnectRestExtension</code> classes, loaded and called in the order specified. Implementing the interface  <code>ConnectRestExtension</code> allows you to inject into Connect's REST API user defined resources like filters. Typically used to add custom capability like logging, security, etc. ")
            .default(""),
        )
        .define(key(ADMIN_LISTENERS_CONFIG, List, Low,
            "List of comma-separated URIs the Admin REST API will listen on. The supported protocols are HTTP and HTTPS. An empty or blank string will disable this feature. The default behavior is to use the regular listener (specified by the 'listeners' property)."))
        // Sluice's own; Kafka has no such key (its metrics reach Prometheus through a JMX
        // exporter agent on a port of its own, which this listener stands in for).
        .define(key(METRICS_LISTENER_CONFIG, Str, Low,
            "A URI (protocol://host:port, HTTP or HTTPS) on which the worker serves only GET /metrics, the Prometheus exposition, without the REST API, its extensions (BasicAuth included), CORS or header rules. TLS settings come from the 'metrics.listener.https.' prefix when any key has it, else from the plain 'ssl.*' keys. GET /metrics stays on the REST listeners as well. Empty or unset: no separate listener."))
}

static STANDALONE_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    base_def()
        .define(
            key(
                OFFSET_STORAGE_FILE_FILENAME_CONFIG,
                ConfigType::String,
                Importance::High,
                "File to store source connector offsets",
            )
            .required(),
        )
        .build()
});

/// `DistributedConfig.config()`: the base plus group membership and the internal topics.
static DISTRIBUTED_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    use ConfigType::{Int, List, Long, Short, String as Str};
    use Importance::{High, Low, Medium};
    base_def()
        .define(
            key(GROUP_ID_CONFIG, Str, High,
                "A unique string that identifies the Connect cluster group this worker belongs to.")
            .required(),
        )
        .define(
            key(SESSION_TIMEOUT_MS_CONFIG, Int, High,
                "The timeout used to detect worker failures. The worker sends periodic heartbeats to indicate its liveness to the broker. If no heartbeats are received by the broker before the expiration of this session timeout, then the broker will remove the worker from the group and initiate a rebalance. Note that the value must be in the allowable range as configured in the broker configuration by <code>group.min.session.timeout.ms</code> and <code>group.max.session.timeout.ms</code>.")
            .default("10000"),
        )
        .define(
            key(REBALANCE_TIMEOUT_MS_CONFIG, Int, High,
                "The maximum allowed time for each worker to join the group once a rebalance has begun. This is basically a limit on the amount of time needed for all tasks to flush any pending data and commit offsets. If the timeout is exceeded, then the worker will be removed from the group, which will cause offset commit failures.")
            .default("60000"),
        )
        .define(
            key(HEARTBEAT_INTERVAL_MS_CONFIG, Int, High,
                "The expected time between heartbeats to the group coordinator when using Kafka's group management facilities. Heartbeats are used to ensure that the worker's session stays active and to facilitate rebalancing when new members join or leave the group. The value must be set lower than <code>session.timeout.ms</code>, but typically should be set no higher than 1/3 of that value. It can be adjusted even lower to control the expected time for normal rebalances.")
            .default("3000"),
        )
        .define(
            key(EXACTLY_ONCE_SOURCE_SUPPORT_CONFIG, Str, High,
                "Whether to enable exactly-once support for source connectors in the cluster by using transactions to write source records and their source offsets, and by proactively fencing out old task generations before bringing up new ones.\nTo enable exactly-once source support on a new cluster, set this property to 'enabled'. To enable support on an existing cluster, first set to 'preparing' on every worker in the cluster, then set to 'enabled'. A rolling upgrade may be used for both changes. For more information on this feature, see the <a href=\"https://kafka.apache.org/documentation.html#connect_exactlyoncesource\">exactly-once source support documentation</a>.")
            .default("disabled")
            .validator(Validator::OneOf(&["disabled", "preparing", "enabled"])),
        )
        .define(
            key("metadata.max.age.ms", Long, Low,
                "The period of time in milliseconds after which we force a refresh of metadata even if we haven't seen any partition leadership changes to proactively discover any new brokers or partitions.")
            .default("300000")
            .validator(Validator::at_least(0.0)),
        )
        .define(
            key("client.id", Str, Low,
                "An id string to pass to the server when making requests. The purpose of this is to be able to track the source of requests beyond just ip/port by allowing a logical application name to be included in server-side request logging.")
            .default(""),
        )
        .define(
            key("worker.sync.timeout.ms", Int, Medium,
                "When the worker is out of sync with other workers and needs to resynchronize configurations, wait up to this amount of time before giving up, leaving the group, and waiting a backoff period before rejoining.")
            .default("3000"),
        )
        .define(
            key("worker.unsync.backoff.ms", Int, Medium,
                "When the worker is out of sync with other workers and  fails to catch up within worker.sync.timeout.ms, leave the Connect cluster for this long before rejoining.")
            .default("300000"),
        )
        .define(
            key(OFFSET_STORAGE_TOPIC_CONFIG, Str, High,
                "The name of the Kafka topic where source connector offsets are stored")
            .required(),
        )
        .define(
            key(OFFSET_STORAGE_PARTITIONS_CONFIG, Int, Low,
                "The number of partitions used when creating the offset storage topic")
            .default("25")
            .validator(partitions_validator()),
        )
        .define(
            key(OFFSET_STORAGE_REPLICATION_FACTOR_CONFIG, Short, Low,
                "Replication factor used when creating the offset storage topic")
            .default("3")
            .validator(replication_factor_validator()),
        )
        .define(
            key(CONFIG_TOPIC_CONFIG, Str, High,
                "The name of the Kafka topic where connector configurations are stored")
            .required(),
        )
        .define(
            key(CONFIG_STORAGE_REPLICATION_FACTOR_CONFIG, Short, Low,
                "Replication factor used when creating the configuration storage topic")
            .default("3")
            .validator(replication_factor_validator()),
        )
        .define(
            key(STATUS_STORAGE_TOPIC_CONFIG, Str, High,
                "The name of the Kafka topic where connector and task status are stored")
            .required(),
        )
        .define(
            key(STATUS_STORAGE_PARTITIONS_CONFIG, Int, Low,
                "The number of partitions used when creating the status storage topic")
            .default("5")
            .validator(partitions_validator()),
        )
        .define(
            key(STATUS_STORAGE_REPLICATION_FACTOR_CONFIG, Short, Low,
                "Replication factor used when creating the status storage topic")
            .default("3")
            .validator(replication_factor_validator()),
        )
        .define(
            key("connect.protocol", Str, Low, "Compatibility mode for Kafka Connect Protocol")
                .default("sessioned")
                .validator(Validator::custom(|v| match v {
                    ConfigValue::String(s)
                        if !["eager", "compatible", "sessioned"]
                            .iter()
                            .any(|p| p.eq_ignore_ascii_case(s)) =>
                    {
                        Err("Invalid Connect protocol compatibility".to_owned())
                    }
                    _ => Ok(()),
                })),
        )
        .define(
            key(SCHEDULED_REBALANCE_MAX_DELAY_MS_CONFIG, Int, Low,
                "The maximum delay that is scheduled in order to wait for the return of one or more departed workers before rebalancing and reassigning their connectors and tasks to the group. During this period the connectors and tasks of the departed workers remain unassigned")
            .default("300000")
            .validator(Validator::between(0.0, f64::from(i32::MAX))),
        )
        .define(
            key("inter.worker.key.ttl.ms", Int, Low,
                "The TTL of generated session keys used for internal request validation (in milliseconds)")
            .default("3600000")
            .validator(Validator::between(0.0, f64::from(i32::MAX))),
        )
        .define(
            key("inter.worker.key.generation.algorithm", Str, Low,
                "The algorithm to use for generating internal request keys. The algorithm 'HmacSHA256' will be used as a default on JVMs that support it; on other JVMs, no default is used and a value for this property must be manually specified in the worker config.")
            .default("HmacSHA256"),
        )
        .define(key("inter.worker.key.size", Int, Low,
            "The size of the key to use for signing internal requests, in bits. If null, the default key size for the key generation algorithm will be used."))
        .define(
            key("inter.worker.signature.algorithm", Str, Low,
                "The algorithm used to sign internal requestsThe algorithm 'inter.worker.signature.algorithm' will be used as a default on JVMs that support it; on other JVMs, no default is used and a value for this property must be manually specified in the worker config.")
            .default("HmacSHA256"),
        )
        .define(
            key("inter.worker.verification.algorithms", List, Low,
                "A list of permitted algorithms for verifying internal requests, which must include the algorithm used for the inter.worker.signature.algorithm property. The algorithm(s) '[HmacSHA256]' will be used as a default on JVMs that provide them; on other JVMs, no default is used and a value for this property must be manually specified in the worker config.")
            .default("HmacSHA256"),
        )
        .build()
});

// ---------------------------------------------------------------------------------------------
// java.util.Properties

/// Reads a `.properties` file.
///
/// The file is read as UTF-8, where Java's `Properties.load(InputStream)` uses ISO-8859-1: for
/// ASCII files (the norm, since non-ASCII must be `\uXXXX`-escaped for Java) the two agree, and
/// UTF-8 is what people actually save.
///
/// # Errors
/// When the file cannot be read, is not UTF-8, or has a malformed `\uXXXX` escape.
pub fn load_properties(path: &Path) -> Result<Props, WorkerConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| WorkerConfigError::Io {
        path: path.to_owned(),
        source,
    })?;
    parse_properties(&text).map_err(|e| match e {
        WorkerConfigError::Properties { line, message, .. } => WorkerConfigError::Properties {
            path: path.display().to_string(),
            line,
            message,
        },
        other => other,
    })
}

/// Parses `.properties` text (`connect_api::java::parse_properties`).
///
/// # Errors
/// A malformed `\uXXXX` escape, as `IllegalArgumentException` in Java.
pub fn parse_properties(text: &str) -> Result<Props, WorkerConfigError> {
    java::parse_properties(text).map_err(|e| WorkerConfigError::Properties {
        path: "<properties>".to_owned(),
        line: e.line,
        message: e.message,
    })
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

    const CONVERTERS: &[(&str, &str)] = &[
        ("key.converter", JSON_CONVERTER),
        ("value.converter", JSON_CONVERTER),
    ];

    fn distributed_minimum() -> Props {
        let mut p = props(CONVERTERS);
        p.extend(props(&[
            ("group.id", "g"),
            ("config.storage.topic", "c"),
            ("offset.storage.topic", "o"),
            ("status.storage.topic", "s"),
        ]));
        p
    }

    #[test]
    fn malformed_unicode_escape_is_an_error_naming_the_line() {
        let err = parse_properties("ok=1\nbad=\\u12G4\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "<properties>: line 2: Malformed \\uxxxx encoding."
        );
    }

    // --- defaults and required keys ------------------------------------------------------

    #[test]
    fn distributed_defaults_are_kafkas() {
        let c = WorkerConfig::from_props(Mode::Distributed, distributed_minimum()).unwrap();
        assert_eq!(c.mode, Mode::Distributed);
        assert_eq!(c.bootstrap_servers, ["localhost:9092"]);
        assert_eq!(
            c.header_converter,
            "org.apache.kafka.connect.storage.SimpleHeaderConverter"
        );
        assert_eq!(
            c.storage_topics,
            Some(StorageTopics {
                config_topic: "c".into(),
                config_replication_factor: 3,
                offset_topic: "o".into(),
                offset_partitions: 25,
                offset_replication_factor: 3,
                status_topic: "s".into(),
                status_partitions: 5,
                status_replication_factor: 3,
            })
        );
        assert_eq!(c.offset_flush_interval, Duration::from_millis(60_000));
        assert_eq!(c.offset_flush_timeout, Duration::from_millis(5_000));
        assert_eq!(
            c.task_shutdown_graceful_timeout,
            Duration::from_millis(5_000)
        );
        assert_eq!(
            c.listeners,
            [Listener {
                protocol: Protocol::Http,
                host: None,
                port: 8083
            }]
        );
        assert_eq!(c.admin_listeners, None);
        assert_eq!(c.advertised_host_name, None);
        assert_eq!(c.advertised_port, None);
        assert_eq!(c.access_control_allow_origin, "");
        assert!(c.topic_tracking_enable && c.topic_tracking_allow_reset && c.topic_creation_enable);
        assert_eq!(
            c.connector_client_config_override_policy,
            OverridePolicy::All
        );
        assert_eq!(
            c.exactly_once_source_support,
            ExactlyOnceSourceSupport::Disabled
        );
        assert!(c.plugin_path.is_empty());
        assert_eq!(c.offset_storage_file, None);
        assert_eq!(c.worker_id("myhost"), "myhost:8083");
    }

    #[test]
    fn distributed_mode_requires_group_and_topics() {
        let err = WorkerConfig::from_props(Mode::Distributed, props(CONVERTERS)).unwrap_err();
        let WorkerConfigError::Invalid(errors) = &err else {
            panic!("{err:?}")
        };
        let keys: Vec<_> = errors.0.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "group.id",
                "offset.storage.topic",
                "config.storage.topic",
                "status.storage.topic"
            ]
        );
        assert!(err.to_string().starts_with(
            "Missing required configuration \"group.id\" which has no default value."
        ));
        assert!(!err.to_string().contains('\n'));
    }

    #[test]
    fn standalone_mode_requires_only_the_offsets_file() {
        let err = WorkerConfig::from_props(Mode::Standalone, props(CONVERTERS)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Missing required configuration \"offset.storage.file.filename\" which has no default value."
        );
        let mut p = props(CONVERTERS);
        p.insert(
            "offset.storage.file.filename".into(),
            "/tmp/connect.offsets".into(),
        );
        let c = WorkerConfig::from_props(Mode::Standalone, p).unwrap();
        assert_eq!(
            c.offset_storage_file,
            Some(PathBuf::from("/tmp/connect.offsets"))
        );
        assert_eq!(c.group_id, None);
        assert_eq!(c.storage_topics, None);
    }

    #[test]
    fn converters_are_required_in_both_modes() {
        let err = WorkerConfig::from_props(Mode::Standalone, Props::new()).unwrap_err();
        assert!(err.to_string().starts_with(
            "Missing required configuration \"key.converter\" which has no default value."
        ));
    }

    #[test]
    fn invalid_values_report_kafkas_messages() {
        let mut p = distributed_minimum();
        p.insert("offset.storage.partitions".into(), "0".into());
        p.insert("status.storage.replication.factor".into(), "-2".into());
        p.insert("exactly.once.source.support".into(), "on".into());
        p.insert("offset.flush.interval.ms".into(), "soon".into());
        let err = WorkerConfig::from_props(Mode::Distributed, p).unwrap_err();
        let WorkerConfigError::Invalid(errors) = err else {
            panic!()
        };
        let messages: Vec<_> = errors.0.into_iter().map(|(_, m)| m).collect();
        assert_eq!(
            messages,
            [
                "Invalid value soon for configuration offset.flush.interval.ms: Not a number of type LONG",
                "Invalid value on for configuration exactly.once.source.support: String must be one of: disabled, preparing, enabled",
                "Invalid value 0 for configuration offset.storage.partitions: Number of partitions must be positive, or -1 to use the broker's default",
                "Invalid value -2 for configuration status.storage.replication.factor: Replication factor must be positive and not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default",
            ]
        );
    }

    #[test]
    fn unknown_and_client_prefixed_keys_are_kept_in_originals() {
        let mut p = distributed_minimum();
        p.insert("producer.linger.ms".into(), "5".into());
        p.insert("consumer.max.poll.records".into(), "10".into());
        p.insert("admin.request.timeout.ms".into(), "1000".into());
        p.insert("rest.port".into(), "8084".into());
        let c = WorkerConfig::from_props(Mode::Distributed, p.clone()).unwrap();
        assert_eq!(c.originals, p);
        assert_eq!(
            c.listeners[0].port, 8083,
            "rest.port is inert since Kafka 3.0"
        );
    }

    #[test]
    fn exactly_once_source_support_enabled_is_refused_and_preparing_runs_at_least_once() {
        let mut p = distributed_minimum();
        p.insert("exactly.once.source.support".into(), "enabled".into());
        let err = WorkerConfig::from_props(Mode::Distributed, p.clone()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid value enabled for configuration exactly.once.source.support: Sluice has no exactly-once source support (KIP-618); use 'disabled' (or 'preparing')"
        );
        p.insert("exactly.once.source.support".into(), "preparing".into());
        let c = WorkerConfig::from_props(Mode::Distributed, p).unwrap();
        assert_eq!(
            c.exactly_once_source_support,
            ExactlyOnceSourceSupport::Preparing
        );
        let notices = c.notices();
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert!(
            notices[0].starts_with(
                "exactly.once.source.support=preparing: source tasks run at-least-once"
            ),
            "{notices:?}"
        );
        assert!(
            WorkerConfig::from_props(Mode::Distributed, distributed_minimum())
                .unwrap()
                .notices()
                .is_empty()
        );
    }

    #[test]
    fn exactly_once_source_support_in_standalone_mode_is_a_notice_as_kafka_ignores_it() {
        let mut p = props(CONVERTERS);
        p.insert("offset.storage.file.filename".into(), "/tmp/o".into());
        p.insert("exactly.once.source.support".into(), "enabled".into());
        let c = WorkerConfig::from_props(Mode::Standalone, p).unwrap();
        assert_eq!(
            c.notices(),
            [
                "exactly.once.source.support=enabled is ignored in standalone mode, as in Kafka: source tasks run at-least-once."
            ]
        );
    }

    #[test]
    fn settings_for_machinery_sluice_lacks_are_reported_once_each() {
        let mut p = distributed_minimum();
        p.insert("plugin.path".into(), "/usr/share/java".into());
        p.insert("metrics.num.samples".into(), "3".into());
        // The group protocol's settings are honoured, so they are no notice.
        p.insert("heartbeat.interval.ms".into(), "1500".into());
        p.insert("inter.worker.key.ttl.ms".into(), "60000".into());
        p.insert("connect.protocol".into(), "compatible".into());
        let c = WorkerConfig::from_props(Mode::Distributed, p).unwrap();
        let notices = c.notices();
        let keys: Vec<&str> = notices.iter().filter_map(|n| n.split(' ').next()).collect();
        assert_eq!(keys, ["plugin.path", "metrics.num.samples"]);
        assert!(
            notices[1].ends_with("Sluice does not keep Kafka's sampled worker metrics."),
            "{notices:?}"
        );
    }

    #[test]
    fn metric_reporters_are_reported_as_ignored() {
        let mut p = distributed_minimum();
        p.insert(
            "metric.reporters".into(),
            "io.confluent.metrics.reporter.ConfluentMetricsReporter".into(),
        );
        let c = WorkerConfig::from_props(Mode::Distributed, p).unwrap();
        assert_eq!(
            c.notices(),
            [
                "metric.reporters=io.confluent.metrics.reporter.ConfluentMetricsReporter is ignored: Sluice does not load Java metrics reporters (JMX included); no reporter is called."
            ]
        );
    }

    #[test]
    fn the_override_policy_is_resolved_with_its_allowlist_and_an_unknown_one_is_refused() {
        let mut p = distributed_minimum();
        p.insert(
            "connector.client.config.override.policy".into(),
            "Allowlist".into(),
        );
        p.insert(
            "connector.client.config.override.allowlist".into(),
            "acks, linger.ms".into(),
        );
        let c = WorkerConfig::from_props(Mode::Distributed, p.clone()).unwrap();
        assert_eq!(
            c.connector_client_config_override_policy,
            OverridePolicy::Allowlist(vec!["acks".into(), "linger.ms".into()])
        );
        p.insert(
            "connector.client.config.override.policy".into(),
            "org.apache.kafka.connect.connector.policy.PrincipalConnectorClientConfigOverridePolicy".into(),
        );
        let c = WorkerConfig::from_props(Mode::Distributed, p.clone()).unwrap();
        assert_eq!(
            c.connector_client_config_override_policy,
            OverridePolicy::Principal
        );
        p.insert(
            "connector.client.config.override.policy".into(),
            "Strict".into(),
        );
        let err = WorkerConfig::from_props(Mode::Distributed, p).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid value Strict for configuration connector.client.config.override.policy: Failed to find any class that implements interface org.apache.kafka.connect.connector.policy.ConnectorClientConfigOverridePolicy and which name matches Strict"
        );
    }

    // --- listeners -------------------------------------------------------------------------

    #[test]
    fn listeners_parse_hosts_ports_and_protocols() {
        assert_eq!(
            parse_listener("http://:8083").unwrap(),
            Listener {
                protocol: Protocol::Http,
                host: None,
                port: 8083
            }
        );
        let l = parse_listener("HTTPS://myhost:8443").unwrap();
        assert_eq!(
            (l.protocol, l.host.as_deref(), l.port),
            (Protocol::Https, Some("myhost"), 8443)
        );
        let v6 = parse_listener("http://[::1]:8083").unwrap();
        assert_eq!(v6.host.as_deref(), Some("::1"));
        assert_eq!(v6.bind_address(), "[::1]:8083");
        assert_eq!(
            parse_listener("http://0.0.0.0:80").unwrap().bind_address(),
            "0.0.0.0:80"
        );
        assert_eq!(
            parse_listener("http://:8083").unwrap().bind_address(),
            "0.0.0.0:8083"
        );
    }

    #[test]
    fn bad_listeners_are_refused_with_kafkas_messages() {
        let protocol = parse_listener("ftp://host:21").unwrap_err();
        assert_eq!(
            protocol.to_string(),
            "Listener protocol must be either \"http\" or \"https\"."
        );
        for bad in [
            "localhost:8083",
            "http://host",
            "http://ho st:1",
            "http://host:port",
        ] {
            assert_eq!(
                parse_listener(bad).unwrap_err().to_string(),
                "Listener doesn't have the right format (protocol://hostname:port).",
                "{bad}"
            );
        }
        assert!(parse_listener("http://host:70000").is_err());

        let mut p = distributed_minimum();
        p.insert("listeners".into(), "".into());
        assert_eq!(
            WorkerConfig::from_props(Mode::Distributed, p.clone())
                .unwrap_err()
                .to_string(),
            "Invalid value for listeners, at least one URL is expected, ex: http://localhost:8080,https://localhost:8443."
        );
        p.insert("listeners".into(), "http://:8083,,http://:8084".into());
        assert_eq!(
            WorkerConfig::from_props(Mode::Distributed, p)
                .unwrap_err()
                .to_string(),
            "Empty URL found when parsing listeners list."
        );
    }

    #[test]
    fn advertised_settings_shape_the_worker_id() {
        let mut p = distributed_minimum();
        p.insert(
            "listeners".into(),
            "http://127.0.0.1:8083,https://:8443".into(),
        );
        p.insert("rest.advertised.listener".into(), "https".into());
        let c = WorkerConfig::from_props(Mode::Distributed, p.clone()).unwrap();
        assert_eq!(c.advertised_rest_listener().port, 8443);
        assert_eq!(c.worker_id("box"), "box:8443");
        p.remove("rest.advertised.listener");
        p.insert(
            "listeners".into(),
            "https://:8443,http://127.0.0.1:8083".into(),
        );
        let c = WorkerConfig::from_props(Mode::Distributed, p.clone()).unwrap();
        assert_eq!(
            c.worker_id("box"),
            "127.0.0.1:8083",
            "http is preferred, as in Kafka"
        );
        p.insert("rest.advertised.host.name".into(), "connect-1".into());
        p.insert("rest.advertised.port".into(), "18083".into());
        let c = WorkerConfig::from_props(Mode::Distributed, p).unwrap();
        assert_eq!(c.worker_id("box"), "connect-1:18083");
    }

    #[test]
    fn admin_listeners_empty_disables_and_absent_shares() {
        let mut p = distributed_minimum();
        p.insert("admin.listeners".into(), "".into());
        let c = WorkerConfig::from_props(Mode::Distributed, p.clone()).unwrap();
        assert_eq!(c.admin_listeners, Some(vec![]));
        p.insert("admin.listeners".into(), "http://localhost:9093".into());
        let c = WorkerConfig::from_props(Mode::Distributed, p).unwrap();
        assert_eq!(c.admin_listeners.unwrap()[0].port, 9093);
    }

    #[test]
    fn a_metrics_listener_is_parsed_as_a_rest_listener_and_blank_means_none() {
        let mut p = distributed_minimum();
        let c = WorkerConfig::from_props(Mode::Distributed, p.clone()).unwrap();
        assert_eq!(c.metrics_listener, None);
        p.insert("metrics.listener".into(), " ".into());
        let c = WorkerConfig::from_props(Mode::Distributed, p.clone()).unwrap();
        assert_eq!(c.metrics_listener, None);
        p.insert("metrics.listener".into(), "HTTP://0.0.0.0:9404".into());
        let c = WorkerConfig::from_props(Mode::Standalone, {
            let mut s = p.clone();
            s.insert("offset.storage.file.filename".into(), "/tmp/o".into());
            s
        })
        .unwrap();
        assert_eq!(
            c.metrics_listener,
            Some(Listener {
                protocol: Protocol::Http,
                host: Some("0.0.0.0".into()),
                port: 9404,
            })
        );
        p.insert("metrics.listener".into(), "tcp://:9404".into());
        let err = WorkerConfig::from_props(Mode::Distributed, p.clone()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid value tcp://:9404 for configuration metrics.listener: Listener protocol must be either \"http\" or \"https\"."
        );
        p.insert(
            "metrics.listener".into(),
            "http://:9404,http://:9405".into(),
        );
        // One URI, not a list: the second entry is no port.
        let err = WorkerConfig::from_props(Mode::Distributed, p).unwrap_err();
        assert!(matches!(err, WorkerConfigError::Listener(_)), "{err}");
    }
}
