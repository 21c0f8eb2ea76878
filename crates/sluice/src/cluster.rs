//! Distributed mode's group membership from the worker configuration: the group member's
//! settings (Kafka's `DistributedConfig` names) and the herder's cluster settings.
//!
//! A worker on Kafka-backed stores always joins its Connect group (`group.id`), as Kafka's
//! distributed worker does, so a lone Sluice worker is a cluster of one and more workers, Sluice
//! or JVM, share the work.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use connect_api::kafka_client::{self, ClientKind};
use connect_distributed::{ConnectProtocolCompatibility, GroupMember, MemberSettings};
use connect_runtime::worker::cluster::{
    ClusterSettings, GroupHandle, InterWorkerClient, KeySettings,
};
use connect_runtime::worker_config::{
    HEARTBEAT_INTERVAL_MS_CONFIG, Mode, REBALANCE_TIMEOUT_MS_CONFIG,
    SCHEDULED_REBALANCE_MAX_DELAY_MS_CONFIG, SESSION_TIMEOUT_MS_CONFIG, WorkerConfig,
};

/// Kafka's consumer default, which `WorkerGroupMember` inherits.
const DEFAULT_RETRY_BACKOFF_MS: u64 = 100;

fn millis(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// `connect.protocol` (checked case-insensitively by the worker config already).
fn protocol(value: &str) -> ConnectProtocolCompatibility {
    if value.eq_ignore_ascii_case("eager") {
        ConnectProtocolCompatibility::Eager
    } else if value.eq_ignore_ascii_case("compatible") {
        ConnectProtocolCompatibility::Compatible
    } else {
        ConnectProtocolCompatibility::Sessioned
    }
}

/// The group member's settings: `group.id`, the advertised URL other workers forward to, the
/// client's connection and security settings, and the group's timeouts.
///
/// # Errors
/// A client setting librdkafka cannot take (it names the key).
pub(crate) fn member_settings(
    config: &WorkerConfig,
    worker_url: &str,
    client: &BTreeMap<String, String>,
) -> anyhow::Result<MemberSettings> {
    let parsed = WorkerConfig::config_def(Mode::Distributed)
        .parse(&config.originals)
        .parsed;
    let translated = kafka_client::translate(&[client], ClientKind::Consumer)
        .context("could not configure the group member's connection")?;
    let client_id = match parsed.string("client.id") {
        // `WorkerGroupMember`: "connect-" and a per-process sequence number.
        "" => "connect-1".to_owned(),
        id => id.to_owned(),
    };
    let retry_backoff = config
        .originals
        .get("retry.backoff.ms")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(DEFAULT_RETRY_BACKOFF_MS);
    Ok(MemberSettings {
        group_id: config.group_id.clone().unwrap_or_default(),
        worker_url: worker_url.to_owned(),
        bootstrap: config.bootstrap_servers.clone(),
        client: translated
            .props
            .into_iter()
            .filter(|(k, _)| k != "bootstrap.servers")
            .collect(),
        client_id,
        session_timeout: millis(i64::from(parsed.int(SESSION_TIMEOUT_MS_CONFIG))),
        heartbeat_interval: millis(i64::from(parsed.int(HEARTBEAT_INTERVAL_MS_CONFIG))),
        rebalance_timeout: millis(i64::from(parsed.int(REBALANCE_TIMEOUT_MS_CONFIG))),
        protocol: protocol(parsed.string("connect.protocol")),
        scheduled_rebalance_max_delay: millis(i64::from(
            parsed.int(SCHEDULED_REBALANCE_MAX_DELAY_MS_CONFIG),
        )),
        retry_backoff: Duration::from_millis(retry_backoff),
    })
}

/// The herder's cluster settings: how to start the member, the session keys
/// (`inter.worker.*`), the client for other workers, `worker.sync.timeout.ms`.
///
/// # Errors
/// `inter.worker.*` settings Kafka would refuse, or client settings the member cannot use.
pub(crate) fn cluster_settings(
    config: &WorkerConfig,
    worker_url: &str,
    client: &BTreeMap<String, String>,
    inter_worker: Arc<dyn InterWorkerClient>,
) -> anyhow::Result<ClusterSettings> {
    let member = member_settings(config, worker_url, client)?;
    let keys = KeySettings::from_worker_props(&config.originals).map_err(anyhow::Error::msg)?;
    let parsed = WorkerConfig::config_def(Mode::Distributed)
        .parse(&config.originals)
        .parsed;
    Ok(ClusterSettings {
        start_member: Box::new(move |view| {
            let (handle, events) = GroupMember::start(member, view).map_err(|e| e.to_string())?;
            let handle: Arc<dyn GroupHandle> = Arc::new(handle);
            Ok((handle, events))
        }),
        keys,
        client: inter_worker,
        sync_timeout: millis(i64::from(parsed.int("worker.sync.timeout.ms"))),
        unsync_backoff: millis(i64::from(parsed.int("worker.unsync.backoff.ms"))),
        worker_url: worker_url.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::Props;

    fn config(extra: &[(&str, &str)]) -> WorkerConfig {
        let mut p: Props = [
            ("bootstrap.servers", "k1:9092,k2:9092"),
            ("group.id", "connect-cluster"),
            ("config.storage.topic", "c"),
            ("offset.storage.topic", "o"),
            ("status.storage.topic", "s"),
            (
                "key.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        for (k, v) in extra {
            p.insert((*k).to_owned(), (*v).to_owned());
        }
        WorkerConfig::from_props(Mode::Distributed, p).unwrap()
    }

    #[test]
    fn the_group_settings_take_kafkas_defaults() {
        let c = config(&[]);
        let m = member_settings(&c, "http://w:8083/", &BTreeMap::new()).unwrap();
        assert_eq!(m.group_id, "connect-cluster");
        assert_eq!(m.worker_url, "http://w:8083/");
        assert_eq!(m.bootstrap, ["k1:9092", "k2:9092"]);
        assert_eq!(m.client_id, "connect-1");
        assert_eq!(m.session_timeout, Duration::from_secs(10));
        assert_eq!(m.heartbeat_interval, Duration::from_secs(3));
        assert_eq!(m.rebalance_timeout, Duration::from_secs(60));
        assert_eq!(m.scheduled_rebalance_max_delay, Duration::from_secs(300));
        assert_eq!(m.protocol, ConnectProtocolCompatibility::Sessioned);
        assert_eq!(m.retry_backoff, Duration::from_millis(100));
    }

    #[test]
    fn the_group_settings_given_are_used() {
        let c = config(&[
            ("session.timeout.ms", "6000"),
            ("heartbeat.interval.ms", "1000"),
            ("rebalance.timeout.ms", "20000"),
            ("scheduled.rebalance.max.delay.ms", "0"),
            ("connect.protocol", "Compatible"),
            ("client.id", "w1"),
            ("retry.backoff.ms", "250"),
        ]);
        let client: BTreeMap<String, String> = [
            ("security.protocol".to_owned(), "SASL_SSL".to_owned()),
            ("sasl.mechanism".to_owned(), "PLAIN".to_owned()),
        ]
        .into();
        let m = member_settings(&c, "https://w:8443/", &client).unwrap();
        assert_eq!(m.session_timeout, Duration::from_secs(6));
        assert_eq!(m.heartbeat_interval, Duration::from_secs(1));
        assert_eq!(m.rebalance_timeout, Duration::from_secs(20));
        assert_eq!(m.scheduled_rebalance_max_delay, Duration::ZERO);
        assert_eq!(m.protocol, ConnectProtocolCompatibility::Compatible);
        assert_eq!(m.client_id, "w1");
        assert_eq!(m.retry_backoff, Duration::from_millis(250));
        // In librdkafka's names, as the member reads them.
        assert_eq!(
            m.client.get("security.protocol").map(String::as_str),
            Some("sasl_ssl")
        );
        assert_eq!(
            m.client.get("sasl.mechanisms").map(String::as_str),
            Some("PLAIN")
        );
    }
}
