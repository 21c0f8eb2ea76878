//! Creating the internal topics (`TopicAdmin.createTopicsWithRetry`).

use std::collections::BTreeSet;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use tracing::{debug, info, warn};

use connect_api::kafka_client::ClientKind;

use super::{KafkaSettings, TopicSettings};
use crate::StoreError;

/// Creates the topic, compacted, unless it exists.
///
/// Kafka Connect never relies on auto-creation (and tansu does not auto-create at all). A
/// replication factor the broker refuses (more than it has brokers, or `-1` on a broker that
/// predates KIP-464) falls back to 1 with a warning, so a one-broker development cluster works
/// with the production defaults. A broker that cannot create topics through the admin API is
/// assumed to have the topic; the partition check that follows catches it if not.
pub(crate) async fn ensure_topic(
    settings: &KafkaSettings,
    topic: &TopicSettings,
) -> Result<(), StoreError> {
    let admin: AdminClient<DefaultClientContext> = settings
        .client_config(ClientKind::Admin, &[], &[])?
        .create()
        .map_err(|e| StoreError::kafka("cannot create a Kafka admin client", e))?;
    let options = AdminOptions::new()
        .request_timeout(Some(settings.timeout))
        .operation_timeout(Some(settings.timeout));
    let mut replication = i32::from(topic.replication_factor);
    loop {
        let new_topic = NewTopic::new(
            &topic.name,
            topic.partitions,
            TopicReplication::Fixed(replication),
        )
        .set("cleanup.policy", "compact");
        let outcome = match admin.create_topics([&new_topic], &options).await {
            Ok(results) => match results.into_iter().next() {
                Some(Ok(_)) => {
                    info!(
                        topic = topic.name,
                        partitions = topic.partitions,
                        replication,
                        "Created internal topic."
                    );
                    return Ok(());
                }
                Some(Err((_, code))) => code,
                None => return Ok(()),
            },
            Err(KafkaError::AdminOp(code)) => code,
            Err(e) => {
                return Err(StoreError::kafka(
                    format!("cannot create topic {}", topic.name),
                    e,
                ));
            }
        };
        match outcome {
            RDKafkaErrorCode::TopicAlreadyExists => return Ok(()),
            RDKafkaErrorCode::InvalidReplicationFactor
            | RDKafkaErrorCode::InvalidRequest
            | RDKafkaErrorCode::PolicyViolation
                if replication != 1 =>
            {
                warn!(
                    topic = topic.name,
                    replication,
                    error = %outcome,
                    "The broker refused the replication factor; creating the topic with replication factor 1."
                );
                replication = 1;
            }
            RDKafkaErrorCode::UnsupportedVersion
            | RDKafkaErrorCode::UnsupportedFeature
            | RDKafkaErrorCode::ClusterAuthorizationFailed
            | RDKafkaErrorCode::TopicAuthorizationFailed => {
                warn!(topic = topic.name, error = %outcome, "Cannot create topics here; assuming the topic exists.");
                return Ok(());
            }
            code => {
                return Err(StoreError::Broker {
                    context: format!("cannot create topic {}", topic.name),
                    reason: code.to_string(),
                });
            }
        }
    }
}

/// Refuses a topic whose `cleanup.policy` is anything but `compact`
/// (`TopicAdmin.verifyTopicCleanupPolicyOnlyCompact`): with `delete` the broker would
/// eventually drop configs or offsets and the cluster could not restart. Like Kafka, a broker
/// that cannot describe topic configs (old, unauthorized, or librdkafka's mock) skips the check.
pub(crate) async fn verify_compacted(
    settings: &KafkaSettings,
    topic: &str,
    property: &str,
    purpose: &str,
) -> Result<(), StoreError> {
    let admin: AdminClient<DefaultClientContext> = settings
        .client_config(ClientKind::Admin, &[], &[])?
        .create()
        .map_err(|e| StoreError::kafka("cannot create a Kafka admin client", e))?;
    // Short: the check is optional, and a broker that ignores the request must not hold up
    // start-up for the whole store timeout.
    let wait = settings.timeout.min(std::time::Duration::from_secs(2));
    let options = AdminOptions::new().request_timeout(Some(wait));
    let resources = [ResourceSpecifier::Topic(topic)];
    let policy = match admin.describe_configs(&resources, &options).await {
        Ok(results) => match results.into_iter().next() {
            Some(Ok(resource)) => resource.get("cleanup.policy").and_then(|e| e.value.clone()),
            Some(Err(code)) => {
                debug!(topic, error = %code, "Cannot describe the internal topic; not checking its cleanup policy.");
                return Ok(());
            }
            None => None,
        },
        Err(error) => {
            debug!(topic, %error, "Cannot describe the internal topic; not checking its cleanup policy.");
            return Ok(());
        }
    };
    let Some(policy) = policy else { return Ok(()) };
    let policies: BTreeSet<&str> = policy
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if policies == BTreeSet::from(["compact"]) {
        return Ok(());
    }
    Err(StoreError::Config(format!(
        "Topic '{topic}' supplied via the '{property}' property is required to have 'cleanup.policy=compact' to \
         guarantee consistency and durability of {purpose}, but found the topic currently has \
         'cleanup.policy={policy}'. Continuing would likely result in eventually losing {purpose} and problems \
         restarting this Connect cluster in the future. Change the '{property}' property in the Connect worker \
         configurations to use a topic with 'cleanup.policy=compact'."
    )))
}
