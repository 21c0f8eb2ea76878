//! Kafka's `connect-worker-rebalance-metrics` group (`DistributedHerder.HerderMetrics`): a
//! distributed worker's protocol, leader, generation and rebalance times. Standalone workers
//! have no such group.
//!
//! As Kafka's, a rebalance "starts" when the member hands the herder an assignment
//! (`onAssigned`) and "completes" once the worker has started the work it was given
//! (`handleRebalanceCompleted`); an assignment that cannot be acted upon (the config topic is
//! behind or past it) leaves the worker rebalancing until a later one completes.

use std::time::Instant;

use connect_distributed::ConnectProtocolCompatibility;

use super::window::Window;
use super::{Bean, BeanType, Value};

/// The group's state, as `HerderMetrics` and the herder fields it reads keep it.
#[derive(Debug, Clone)]
pub(crate) struct Rebalance {
    /// `member.currentProtocolVersion()`: `connect.protocol`'s until a rebalance picks one.
    protocol_version: Option<i16>,
    /// `assignment.leaderUrl()`: none before the first assignment.
    leader_url: Option<String>,
    /// The herder's `generation`: 0 before the first assignment.
    generation: i32,
    rebalancing: bool,
    started_at: Option<Instant>,
    completed: u64,
    /// The `rebalance-time` sensor's `Max` and `Avg`, in milliseconds.
    time: Window,
    last_completed: Option<Instant>,
}

impl Rebalance {
    pub(crate) fn new(now: Instant, protocol_version: Option<i16>) -> Self {
        Self {
            protocol_version,
            leader_url: None,
            generation: 0,
            rebalancing: false,
            started_at: None,
            completed: 0,
            time: Window::new(now),
            last_completed: None,
        }
    }

    /// `onAssigned` (`rebalanceStarted`): an assignment of `generation` by the leader at
    /// `leader_url` under protocol `protocol_version`.
    pub(crate) fn started(
        &mut self,
        now: Instant,
        generation: i32,
        leader_url: &str,
        protocol_version: i16,
    ) {
        self.generation = generation;
        self.leader_url = Some(leader_url.to_owned());
        self.protocol_version = Some(protocol_version);
        self.started_at = Some(now);
        self.rebalancing = true;
    }

    /// `rebalanceSucceeded`: the assigned work has started.
    pub(crate) fn succeeded(&mut self, now: Instant) {
        let took = self
            .started_at
            .map_or(0, |s| now.saturating_duration_since(s).as_millis());
        self.rebalancing = false;
        self.completed += 1;
        // Kafka's clock has whole milliseconds.
        self.time.record(now, took as f64);
        self.last_completed = Some(now);
    }

    pub(crate) fn beans(&self, now: Instant, out: &mut Vec<Bean>) {
        let bean = |attr: &'static str, value: Value| Bean {
            ty: BeanType::WorkerRebalance,
            attr,
            props: Vec::new(),
            value,
        };
        // Kafka throws for a version it does not know and a null leader URL has no value:
        // the JMX exporter skips both.
        if let Some(name) = self.protocol_version.and_then(protocol_name) {
            out.push(bean("connect-protocol", Value::Text(name.to_owned())));
        }
        if let Some(url) = &self.leader_url {
            out.push(bean("leader-name", Value::Text(url.clone())));
        }
        out.push(bean("epoch", Value::Number(f64::from(self.generation))));
        out.push(bean(
            "completed-rebalances-total",
            Value::Number(self.completed as f64),
        ));
        out.push(bean(
            "rebalancing",
            Value::Number(if self.rebalancing { 1.0 } else { 0.0 }),
        ));
        out.push(bean(
            "rebalance-max-time-ms",
            Value::Number(self.time.max(now)),
        ));
        out.push(bean(
            "rebalance-avg-time-ms",
            Value::Number(self.time.avg(now)),
        ));
        let since = self.last_completed.map_or(f64::INFINITY, |t| {
            now.saturating_duration_since(t).as_millis() as f64
        });
        out.push(bean("time-since-last-rebalance-ms", Value::Number(since)));
    }
}

/// `ConnectProtocolCompatibility.fromProtocolVersion(v).name()`: the Java enum constant.
fn protocol_name(version: i16) -> Option<&'static str> {
    Some(
        match ConnectProtocolCompatibility::from_protocol_version(version)? {
            ConnectProtocolCompatibility::Eager => "EAGER",
            ConnectProtocolCompatibility::Compatible => "COMPATIBLE",
            ConnectProtocolCompatibility::Sessioned => "SESSIONED",
        },
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn values(r: &Rebalance, now: Instant) -> Vec<(&'static str, Value)> {
        let mut out = Vec::new();
        r.beans(now, &mut out);
        out.into_iter().map(|b| (b.attr, b.value)).collect()
    }

    fn number(v: &[(&'static str, Value)], attr: &str) -> f64 {
        match v.iter().find(|(a, _)| *a == attr) {
            Some((_, Value::Number(n))) => *n,
            other => panic!("{attr}: {other:?}"),
        }
    }

    #[test]
    fn before_the_first_assignment_the_group_reads_as_kafkas_initial_values() {
        let t0 = Instant::now();
        let r = Rebalance::new(t0, Some(2));
        let v = values(&r, t0);
        assert_eq!(v[0], ("connect-protocol", Value::Text("SESSIONED".into())));
        assert!(
            !v.iter().any(|(a, _)| *a == "leader-name"),
            "no leader URL yet: {v:?}"
        );
        assert_eq!(number(&v, "epoch"), 0.0);
        assert_eq!(number(&v, "completed-rebalances-total"), 0.0);
        assert_eq!(number(&v, "rebalancing"), 0.0);
        assert!(number(&v, "rebalance-max-time-ms").is_nan());
        assert!(number(&v, "rebalance-avg-time-ms").is_nan());
        assert_eq!(number(&v, "time-since-last-rebalance-ms"), f64::INFINITY);
    }

    #[test]
    fn times_run_from_the_assignment_to_the_started_work_and_expire_with_the_window() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut r = Rebalance::new(t0, None);
        r.started(t0, 3, "http://a:8083/", 0);
        let v = values(&r, t0 + ms(10));
        assert_eq!(number(&v, "rebalancing"), 1.0);
        assert_eq!(number(&v, "epoch"), 3.0);
        assert_eq!(v[0], ("connect-protocol", Value::Text("EAGER".into())));
        r.succeeded(t0 + ms(100));
        r.started(t0 + ms(1000), 4, "http://b:8083/", 1);
        r.succeeded(t0 + ms(1300));
        let v = values(&r, t0 + ms(1800));
        assert_eq!(number(&v, "completed-rebalances-total"), 2.0);
        assert_eq!(number(&v, "rebalancing"), 0.0);
        assert_eq!(number(&v, "rebalance-max-time-ms"), 300.0);
        assert_eq!(number(&v, "rebalance-avg-time-ms"), 200.0);
        assert_eq!(number(&v, "time-since-last-rebalance-ms"), 500.0);
        assert!(v.contains(&("leader-name", Value::Text("http://b:8083/".into()))));
        // Two 30 s samples later the times are gone; the count and the age stay.
        let v = values(&r, t0 + Duration::from_secs(90));
        assert!(number(&v, "rebalance-max-time-ms").is_nan());
        assert_eq!(number(&v, "completed-rebalances-total"), 2.0);
        assert_eq!(number(&v, "time-since-last-rebalance-ms"), 88_700.0);
    }
}
