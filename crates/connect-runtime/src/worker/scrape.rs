//! A `GET /metrics` scrape: the connectors' states from the status store, then the registry's
//! exposition.

use super::WorkerHerder;
use crate::Herder;
use crate::metrics::{ConnectorSnapshot, Names};

impl WorkerHerder {
    /// The exposition. Before the stores are open (the broker is unreachable) it has the worker
    /// and process series only: a scrape must not wait for start-up.
    pub(crate) async fn scrape_metrics(&self, names: Names) -> String {
        let mut connectors = Vec::new();
        if self.inner.stores.get().is_some()
            && let Ok(list) = self.connectors().await
        {
            for name in list {
                let Ok(status) = self.connector_status(&name).await else {
                    continue;
                };
                let config = self.connector_config(&name).await.unwrap_or_default();
                let class = config.get("connector.class").cloned().unwrap_or_default();
                // The instance's version, as Kafka's `connector-version` (a Debezium 3.6-mode
                // MySQL connector reports 3.6.3.Final, not the plugin's 2.2 default).
                let version = self
                    .inner
                    .registry
                    .connector(&class)
                    .map(|p| p.version_for(&config).to_owned())
                    .unwrap_or_default();
                let connector_type = serde_text(&status.connector_type);
                connectors.push(ConnectorSnapshot {
                    name,
                    class,
                    connector_type,
                    version,
                    state: state_name(status.connector.state),
                    tasks: status
                        .tasks
                        .iter()
                        .map(|t| (t.id, state_name(t.state)))
                        .collect(),
                });
            }
        }
        self.inner.metrics.render(&connectors, names)
    }
}

/// An entity enum's JSON name (`RUNNING`, `source` …).
fn serde_text(v: &impl serde::Serialize) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn state_name(s: crate::entities::State) -> String {
    serde_text(&s)
}
