//! A group coordinator with Kafka's classic-protocol semantics in front of the test broker.
//!
//! tansu 0.6's coordinator is defective for Connect clusters (JVM workers fail the same way):
//! when it expires a member it keeps the generation and may name the dead leader again, it lets
//! the surviving leader rejoin alone so the others never learn the new assignment, and it
//! completes overlapping joins without some members. [`GroupCoordinator`] stands in for "a
//! broker whose coordinator behaves as Kafka's": workers get its address as their bootstrap
//! servers; it answers `FindCoordinator` for the intercepted groups with itself and serves their
//! `JoinGroup` / `SyncGroup` / `Heartbeat` / `LeaveGroup` / `DescribeGroups` as Kafka 3.9's
//! `GroupCoordinator` does (`group`), and relays every other request to the broker unchanged
//! (`proxy`). Metadata names the broker itself, so topics, produce, fetch and every other
//! group (sink tasks' consumer groups) stay on the broker.
//!
//! `group.initial.rebalance.delay.ms` is 0 here (Kafka's default is 3 s): a group's first
//! generation completes as soon as its first member joins, as on tansu.

mod group;
mod proxy;

use std::collections::HashSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use group::{Config as CoordinatorConfig, Coordinator, GroupState};

use crate::BoxError;

/// The node id the coordinator gives itself in FindCoordinator answers; Kafka's clients talk to
/// a coordinator as node `i32::MAX - id`, apart from the broker's own connection.
const NODE_ID: i32 = 7070;

/// A listener serving Kafka's group coordination for some groups and relaying everything else
/// to a broker. Stops (closing every connection) when dropped.
#[derive(Debug)]
pub struct GroupCoordinator {
    addr: SocketAddr,
    coordinator: Coordinator,
    task: JoinHandle<()>,
}

impl GroupCoordinator {
    /// Listens on a free loopback port, coordinating the groups named in `intercept` and
    /// relaying the rest to `upstream_bootstrap` (its first `host:port`).
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn start<I, S>(upstream_bootstrap: &str, intercept: I) -> Result<Self, BoxError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::start_with(upstream_bootstrap, intercept, CoordinatorConfig::default()).await
    }

    /// [`Self::start`] with coordinator settings of one's own.
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn start_with<I, S>(
        upstream_bootstrap: &str,
        intercept: I,
        config: CoordinatorConfig,
    ) -> Result<Self, BoxError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::start_at(Ipv4Addr::LOCALHOST, upstream_bootstrap, intercept, config).await
    }

    /// [`Self::start_with`] listening on (and naming itself by) `ip` rather than loopback, for
    /// workers in another network namespace.
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn start_at<I, S>(
        ip: Ipv4Addr,
        upstream_bootstrap: &str,
        intercept: I,
        config: CoordinatorConfig,
    ) -> Result<Self, BoxError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let upstream = upstream_bootstrap
            .split(',')
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        if upstream.is_empty() {
            return Err("the upstream bootstrap is empty".into());
        }
        let listener = TcpListener::bind((ip, 0)).await?;
        let addr = listener.local_addr()?;
        let coordinator = Coordinator::new(config);
        let shared = Arc::new(proxy::Shared {
            upstream,
            intercept: intercept
                .into_iter()
                .map(|g| g.as_ref().to_owned())
                .collect::<HashSet<_>>(),
            coordinator: coordinator.clone(),
            host: addr.ip().to_string(),
            port: addr.port(),
            node_id: NODE_ID,
        });
        let task = tokio::spawn(proxy::serve(listener, shared));
        Ok(Self {
            addr,
            coordinator,
            task,
        })
    }

    /// `<ip>:<port>` (`127.0.0.1` unless [`Self::start_at`]), to hand to workers as their
    /// bootstrap servers.
    pub fn bootstrap(&self) -> String {
        self.addr.to_string()
    }

    /// The coordinator's groups, to look at their state and generation.
    pub fn coordinator(&self) -> &Coordinator {
        &self.coordinator
    }
}

impl Drop for GroupCoordinator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests;
