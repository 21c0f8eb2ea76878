//! Topic creation for source connectors (KIP-158 `topic.creation.*`).
//!
//! Kafka Connect creates a source connector's topics only when `topic.creation.default.*` is
//! configured and otherwise relies on broker auto-creation. Brokers such as tansu (and Redpanda
//! with auto-creation off) never create topics on produce, and a produce to a missing topic waits
//! forever, so Sluice always creates a missing topic before producing: with the matching
//! `topic.creation` group's settings when there is one, else with the broker's defaults. A worker
//! with `topic.creation.enable=false` creates none, as Kafka's does.

use connect_api::Props;
use regex::Regex;

use crate::kafka::{ClientError, KafkaClients, TopicSpec};

/// One `topic.creation.<group>` group.
#[derive(Debug, Clone)]
struct Group {
    include: Vec<Regex>,
    exclude: Vec<Regex>,
    spec: TopicSpec,
}

/// A connector's topic creation rules.
#[derive(Debug, Clone, Default)]
pub struct TopicCreation {
    groups: Vec<Group>,
    default: TopicSpec,
    /// `topic.creation.enable=false` on the worker: topics are left to the broker.
    disabled: bool,
}

fn spec_from(props: &Props, prefix: &str) -> TopicSpec {
    let mut spec = TopicSpec::default();
    for (k, v) in props {
        let Some(rest) = k.strip_prefix(prefix) else {
            continue;
        };
        match rest {
            "partitions" => spec.partitions = v.trim().parse().ok(),
            "replication.factor" => spec.replication_factor = v.trim().parse().ok(),
            "include" | "exclude" => {}
            // Everything else is a topic-level config (`cleanup.policy`, `retention.ms`, …).
            other => spec.configs.push((other.to_owned(), v.clone())),
        }
    }
    spec
}

fn regexes(list: Option<&String>) -> Vec<Regex> {
    list.map(|l| {
        l.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .filter_map(|s| Regex::new(&format!("^(?:{s})$")).ok())
            .collect()
    })
    .unwrap_or_default()
}

impl TopicCreation {
    /// Reads the rules from a connector's raw config.
    pub fn from_props(props: &Props) -> Self {
        let default = spec_from(props, "topic.creation.default.");
        let groups = props
            .get("topic.creation.groups")
            .map(|g| {
                g.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
            .into_iter()
            .map(|g| {
                let prefix = format!("topic.creation.{g}.");
                Group {
                    include: regexes(props.get(&format!("{prefix}include"))),
                    exclude: regexes(props.get(&format!("{prefix}exclude"))),
                    spec: spec_from(props, &prefix),
                }
            })
            .collect();
        Self {
            groups,
            default,
            disabled: false,
        }
    }

    /// The worker's `topic.creation.enable=false`: as in Kafka, the worker creates no topic for
    /// a source (whatever its `topic.creation.*` settings); the broker must create it on the
    /// first produce (`auto.create.topics.enable`) or it must exist, else delivery fails.
    pub fn disabled() -> Self {
        Self {
            disabled: true,
            ..Self::default()
        }
    }

    /// The settings a new `topic` gets: the first group that includes and does not exclude it,
    /// else the default group (fields a group leaves unset fall back to the default group's).
    pub fn spec_for(&self, topic: &str) -> TopicSpec {
        for g in &self.groups {
            if g.include.iter().any(|r| r.is_match(topic))
                && !g.exclude.iter().any(|r| r.is_match(topic))
            {
                let mut spec = g.spec.clone();
                spec.partitions = spec.partitions.or(self.default.partitions);
                spec.replication_factor =
                    spec.replication_factor.or(self.default.replication_factor);
                return spec;
            }
        }
        self.default.clone()
    }

    /// Creates `topic` when missing.
    ///
    /// # Errors
    /// When the broker refuses.
    pub async fn ensure(&self, clients: &KafkaClients, topic: &str) -> Result<(), ClientError> {
        if self.disabled {
            return Ok(());
        }
        clients.ensure_topic(topic, &self.spec_for(topic)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_creation_groups_match_include_and_fall_back_to_default() {
        let props: Props = [
            ("topic.creation.default.partitions", "3"),
            ("topic.creation.default.replication.factor", "1"),
            ("topic.creation.groups", "compacted"),
            ("topic.creation.compacted.include", "dbserver1\\..*"),
            ("topic.creation.compacted.cleanup.policy", "compact"),
            ("topic.creation.compacted.partitions", "1"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .into();
        let tc = TopicCreation::from_props(&props);
        let s = tc.spec_for("dbserver1.db.t");
        assert_eq!(s.partitions, Some(1));
        assert_eq!(s.replication_factor, Some(1));
        assert_eq!(
            s.configs,
            [("cleanup.policy".to_owned(), "compact".to_owned())]
        );
        let d = tc.spec_for("other");
        assert_eq!(d.partitions, Some(3));
        assert!(d.configs.is_empty());
        assert_eq!(TopicCreation::default().spec_for("x"), TopicSpec::default());
    }

    #[tokio::test]
    async fn with_topic_creation_disabled_no_topic_is_created_or_even_looked_up() {
        // A broker that does not exist: creating, or checking that the topic exists, would fail.
        let clients = KafkaClients::new(
            [
                ("bootstrap.servers".to_owned(), "127.0.0.1:1".to_owned()),
                ("socket.timeout.ms".to_owned(), "1000".to_owned()),
            ]
            .into(),
        )
        .unwrap();
        let disabled = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            TopicCreation::disabled().ensure(&clients, "t"),
        )
        .await;
        assert!(matches!(disabled, Ok(Ok(()))), "{disabled:?}");
        let enabled = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            TopicCreation::default().ensure(&clients, "t"),
        )
        .await;
        assert!(!matches!(enabled, Ok(Ok(()))), "{enabled:?}");
    }
}
