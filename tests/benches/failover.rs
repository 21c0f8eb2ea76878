//! Distributed-mode failover and scale-out, Sluice against the JVM worker (issue #14; not a
//! test: `harness = false`).
//!
//! Three clusters of three workers each, one after the other, on the same broker: all Sluice,
//! mixed (one JVM worker, the first to join and so the group's leader, and two Sluice workers),
//! and all JVM (Kafka Connect 4.3, `../shared/oracle/kc.sh`). Every worker runs with the
//! harness's `cluster::GROUP` settings: `scheduled.rebalance.max.delay.ms=0`,
//! `session.timeout.ms=6000`, `heartbeat.interval.ms=1000`.
//! In each round, for each cluster:
//! - two workers start, `BENCH_SOURCES` FileStream sources are created (a connector and a task
//!   each: 2 × `BENCH_SOURCES` units of work) and run on them;
//! - **scale-out**: the third worker starts; timed from its first `200` on `GET /` to a balanced
//!   assignment (every unit RUNNING and each worker holding ⌊units/3⌋ or ⌈units/3⌉ of them, as a
//!   REST call to the first worker reports);
//! - **failover**: the third worker (not the leader) is killed with SIGKILL; timed from the kill
//!   to every unit RUNNING on the two survivors. This includes the 6 s session timeout after
//!   which the coordinator drops the dead member.
//!
//! The group is coordinated by the harness's [`GroupCoordinator`] (Kafka's classic group
//! semantics) in front of tansu, because tansu 0.6's own coordinator does not reassign a dead
//! member's work, for JVM workers as for Sluice's (tests/distributed.rs).
//!
//! Run through `scripts/bench_failover.sh`. Env: BENCH_ROUNDS (3), BENCH_SOURCES (6),
//! BENCH_CLUSTERS (`sluice,mixed,jvm`), KAFKA_BOOTSTRAP, SLUICE_BIN.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use connect_e2e::cluster::{jvm_builder, sluice_builder};
use connect_e2e::{BoxError, Broker, GroupCoordinator, JvmWorker, RestClient, Worker, random_name};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(180);

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    Sluice,
    Jvm,
}

enum Member {
    Sluice(Box<Worker>),
    Jvm(JvmWorker),
}

impl Member {
    fn rest(&self) -> RestClient {
        match self {
            Self::Sluice(w) => w.rest(),
            Self::Jvm(w) => w.rest(),
        }
    }

    fn id(&self) -> String {
        match self {
            Self::Sluice(w) => format!("127.0.0.1:{}", w.port()),
            Self::Jvm(w) => w.worker_id(),
        }
    }

    fn log_tail(&self) -> String {
        match self {
            Self::Sluice(w) => w.log_tail(40),
            Self::Jvm(w) => w.log_tail(40),
        }
    }

    async fn kill(&mut self) -> Result<(), BoxError> {
        match self {
            Self::Sluice(w) => w.kill().await,
            Self::Jvm(w) => w.kill().await,
        }
    }

    async fn stop(&mut self) -> Result<(), BoxError> {
        match self {
            Self::Sluice(w) => w.stop(Duration::from_secs(20)).await,
            Self::Jvm(w) => w.stop().await,
        }
    }
}

/// Starts a worker of `kind` in `group` through the coordinator's bootstrap; returns it once
/// its REST API answers, with the time from the start to that answer.
async fn start(kind: Kind, group: &str, via: &str) -> Result<(Member, Instant), BoxError> {
    match kind {
        Kind::Sluice => {
            let w = sluice_builder(via, group).start().await?;
            Ok((Member::Sluice(Box::new(w)), Instant::now()))
        }
        Kind::Jvm => {
            let w = jvm_builder(group)
                .start(via)
                .await?
                .ok_or("the JVM worker cannot run here (no Java or kc.sh)")?;
            Ok((Member::Jvm(w), Instant::now()))
        }
    }
}

/// Worker id → units (connectors and tasks) it runs, when every connector of `names` and its
/// task are RUNNING; `None` otherwise.
async fn placement(rest: &RestClient, names: &[String]) -> Option<BTreeMap<String, usize>> {
    let r = rest.get("/connectors?expand=status").await.ok()?;
    let Value::Object(all) = r.body else {
        return None;
    };
    let mut units = BTreeMap::new();
    for name in names {
        let status = &all.get(name)?["status"];
        let connector = &status["connector"];
        let tasks = status["tasks"].as_array()?;
        if tasks.is_empty() {
            return None;
        }
        for unit in std::iter::once(connector).chain(tasks) {
            if unit["state"] != "RUNNING" {
                return None;
            }
            *units
                .entry(unit["worker_id"].as_str()?.to_owned())
                .or_insert(0) += 1;
        }
    }
    Some(units)
}

/// Polls until `done` holds for the placement; the time it first held.
async fn wait_for(
    rest: &RestClient,
    names: &[String],
    what: &str,
    done: impl Fn(&BTreeMap<String, usize>) -> bool,
) -> Result<Instant, BoxError> {
    let deadline = Instant::now() + WAIT;
    let mut last = None;
    loop {
        if let Some(p) = placement(rest, names).await {
            if done(&p) {
                return Ok(Instant::now());
            }
            last = Some(p);
        }
        if Instant::now() > deadline {
            return Err(
                format!("{what} not reached within {WAIT:?}; last placement {last:?}").into(),
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn source_config(file: &Path, topic: &str) -> Value {
    json!({
        "connector.class": "FileStreamSource",
        "file": file.display().to_string(),
        "topic": topic,
        "topic.creation.default.partitions": "1",
        "topic.creation.default.replication.factor": "1",
    })
}

struct Round {
    scale_out: Duration,
    scale_out_from_exec: Duration,
    failover: Duration,
}

async fn round(bootstrap: &str, kinds: [Kind; 3], sources: usize) -> Result<Round, BoxError> {
    let group = random_name("bench-failover");
    let coordinator = GroupCoordinator::start(bootstrap, &[group.as_str()]).await?;
    let via = coordinator.bootstrap().to_owned();
    let dir = tempfile::tempdir()?;
    let mut members = Vec::new();
    for kind in &kinds[..2] {
        members.push(start(*kind, &group, &via).await?.0);
    }
    let names: Vec<String> = (0..sources).map(|i| format!("{group}-src-{i}")).collect();
    let files: Vec<PathBuf> = (0..sources)
        .map(|i| dir.path().join(format!("in-{i}.txt")))
        .collect();
    for (i, name) in names.iter().enumerate() {
        std::fs::write(&files[i], "line 0\n")?;
        let config = source_config(&files[i], &format!("{group}_lines_{i}"));
        let rest = members[i % 2].rest();
        // A create that meets a rebalance is answered 409 by either kind of worker; send again.
        let deadline = Instant::now() + WAIT;
        loop {
            let r = rest
                .post("/connectors", &json!({"name": name, "config": config}))
                .await?;
            if r.status == 201 {
                break;
            }
            if r.status != 409 || Instant::now() > deadline {
                return Err(format!("create {name}: {} {}", r.status, r.text).into());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    let observer = members[0].rest();
    let two: Vec<String> = members.iter().map(Member::id).collect();
    wait_for(
        &observer,
        &names,
        "everything RUNNING on two workers",
        |p| p.keys().all(|w| two.contains(w)),
    )
    .await
    .map_err(|e| format!("{e}\n{}", tails(&members)))?;

    // Scale-out: the third worker joins.
    let exec = Instant::now();
    let (third, ready) = start(kinds[2], &group, &via).await?;
    members.push(third);
    let ids: Vec<String> = members.iter().map(Member::id).collect();
    let units = 2 * sources;
    let (lo, hi) = (units / 3, units.div_ceil(3));
    let balanced = wait_for(&observer, &names, "a balanced assignment over three", |p| {
        ids.iter()
            .all(|w| p.get(w).is_some_and(|n| (lo..=hi).contains(n)))
    })
    .await
    .map_err(|e| format!("{e}\n{}", tails(&members)))?;

    // Failover: the third worker dies.
    let victim = members[2].id();
    let killed = Instant::now();
    members[2].kill().await?;
    let survivors: Vec<String> = ids.iter().filter(|w| **w != victim).cloned().collect();
    let moved = wait_for(
        &observer,
        &names,
        "everything RUNNING on the survivors",
        |p| p.keys().all(|w| survivors.contains(w)),
    )
    .await
    .map_err(|e| format!("{e}\n{}", tails(&members)))?;

    for m in &mut members[..2] {
        m.stop().await?;
    }
    Ok(Round {
        scale_out: balanced.duration_since(ready),
        scale_out_from_exec: balanced.duration_since(exec),
        failover: moved.duration_since(killed),
    })
}

fn tails(members: &[Member]) -> String {
    members
        .iter()
        .map(|m| format!("--- {}\n{}", m.id(), m.log_tail()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), BoxError> {
    let rounds: usize = env_or("BENCH_ROUNDS", 3);
    let sources: usize = env_or("BENCH_SOURCES", 6);
    let clusters = std::env::var("BENCH_CLUSTERS").unwrap_or_else(|_| "sluice,mixed,jvm".into());
    let broker = Broker::try_shared().await?;
    let bootstrap = broker.bootstrap().to_owned();
    let mut results: Vec<(&str, Vec<Round>)> = Vec::new();
    for r in 0..rounds {
        for cluster in clusters.split(',') {
            let (label, kinds) = match cluster {
                "sluice" => ("Sluice ×3", [Kind::Sluice; 3]),
                "mixed" => ("JVM + Sluice ×2", [Kind::Jvm, Kind::Sluice, Kind::Sluice]),
                "jvm" => ("JVM ×3", [Kind::Jvm; 3]),
                other => return Err(format!("unknown cluster {other}").into()),
            };
            let out = round(&bootstrap, kinds, sources).await?;
            eprintln!(
                "round {r} {label}: scale-out {:?} ({:?} from exec), failover {:?}",
                out.scale_out, out.scale_out_from_exec, out.failover
            );
            match results.iter_mut().find(|(l, _)| *l == label) {
                Some((_, v)) => v.push(out),
                None => results.push((label, vec![out])),
            }
        }
    }
    let jvm = results.iter().find(|(l, _)| *l == "JVM ×3").map(|(_, v)| {
        (
            median(v.iter().map(|r| r.scale_out).collect()),
            median(v.iter().map(|r| r.failover).collect()),
        )
    });
    println!(
        "| cluster | rounds | scale-out to balanced, ms (median) | from exec, ms | SIGKILL to all RUNNING elsewhere, ms (median) | scale-out ratio | failover ratio |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (label, v) in &results {
        let so = median(v.iter().map(|r| r.scale_out).collect());
        let se = median(v.iter().map(|r| r.scale_out_from_exec).collect());
        let fo = median(v.iter().map(|r| r.failover).collect());
        let ratio = |a: Duration, b: Option<Duration>| {
            b.filter(|b| !b.is_zero())
                .map(|b| format!("{:.2}", a.as_secs_f64() / b.as_secs_f64()))
                .unwrap_or_else(|| "–".into())
        };
        println!(
            "| {label} | {} | {} | {} | {} | {} | {} |",
            v.len(),
            so.as_millis(),
            se.as_millis(),
            fo.as_millis(),
            ratio(so, jvm.map(|j| j.0)),
            ratio(fo, jvm.map(|j| j.1)),
        );
    }
    Ok(())
}
