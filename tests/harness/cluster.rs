//! A cluster of Sluice workers in one Connect group, for the distributed tests
//! (`distributed.rs`, `distributed_faults.rs`): starting workers with the group settings of
//! those tests, FileStream sources over them, and reading what the cluster says (statuses, the
//! leader) and what it copied (each line once).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{
    BoxError, GroupCoordinator, JvmWorker, JvmWorkerBuilder, RestClient, RestResponse, Worker,
    WorkerBuilder, topic_line_counts, wait_until,
};

pub const WAIT: Duration = Duration::from_secs(90);

pub const SOURCES: usize = 4;

/// The worker properties every worker of these clusters runs with, Sluice's and the JVM's:
/// lost work is reassigned at once, a dead worker is noticed after 6 s, offsets are committed
/// every second.
pub const GROUP: &[(&str, &str)] = &[
    ("scheduled.rebalance.max.delay.ms", "0"),
    ("session.timeout.ms", "6000"),
    ("heartbeat.interval.ms", "1000"),
    ("offset.flush.interval.ms", "1000"),
];

/// A worker property as the `debezium/connect` environment variable Sluice reads
/// (`offset.flush.interval.ms` → `CONNECT_OFFSET_FLUSH_INTERVAL_MS`).
pub fn connect_env(key: &str) -> String {
    format!("CONNECT_{}", key.replace('.', "_").to_uppercase())
}

pub fn append(file: &Path, range: std::ops::Range<u32>) -> Result<(), BoxError> {
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(file)?;
    for i in range {
        writeln!(f, "line {i:05}")?;
    }
    Ok(())
}

/// A Sluice worker of the cluster whose topics are `<group>.configs`, `.offsets`, `.status`
/// (kc.sh's names, so a JVM worker can join), bootstrapping through `bootstrap`.
pub async fn sluice(bootstrap: &str, group: &str) -> Result<Worker, BoxError> {
    sluice_builder(bootstrap, group).start().await
}

/// [`sluice`]'s settings, to add some of one's own before starting it.
pub fn sluice_builder(bootstrap: &str, group: &str) -> WorkerBuilder {
    Worker::builder()
        .env("BOOTSTRAP_SERVERS", bootstrap)
        .env("GROUP_ID", group)
        .env("CONFIG_STORAGE_TOPIC", format!("{group}.configs"))
        .env("OFFSET_STORAGE_TOPIC", format!("{group}.offsets"))
        .env("STATUS_STORAGE_TOPIC", format!("{group}.status"))
        .envs(GROUP.iter().map(|(k, v)| (connect_env(k), *v)))
}

/// A JVM worker (`../shared/oracle/kc.sh`) of `group` with [`GROUP`]'s settings.
pub fn jvm_builder(group: &str) -> JvmWorkerBuilder {
    GROUP
        .iter()
        .fold(JvmWorker::builder().group(group), |b, (k, v)| {
            b.property(*k, *v)
        })
}

pub fn worker_id(w: &Worker) -> String {
    format!("{}:{}", w.host(), w.port())
}

/// Connector → (connector state and worker, tasks' (id, state, worker)), from
/// `GET /connectors?expand=status`.
pub type Statuses = BTreeMap<String, ((String, String), Vec<(u64, String, String)>)>;

pub async fn statuses(rest: &RestClient) -> Result<Statuses, BoxError> {
    let r = rest.get("/connectors?expand=status").await?.success()?;
    let mut out = Statuses::new();
    if let Value::Object(map) = r.body {
        for (name, v) in map {
            let s = &v["status"];
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            let conn = (
                text(&s["connector"]["state"]),
                text(&s["connector"]["worker_id"]),
            );
            let tasks = s["tasks"]
                .as_array()
                .map(|ts| {
                    ts.iter()
                        .map(|t| {
                            (
                                t["id"].as_u64().unwrap_or(0),
                                text(&t["state"]),
                                text(&t["worker_id"]),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.insert(name, (conn, tasks));
        }
    }
    Ok(out)
}

/// Whether `names` each run with one RUNNING task, all on `allowed` workers; the set of
/// workers running something is returned alongside.
fn all_running(
    s: &Statuses,
    names: &[String],
    allowed: &BTreeSet<String>,
) -> Option<BTreeSet<String>> {
    let mut used = BTreeSet::new();
    for n in names {
        let ((state, worker), tasks) = s.get(n)?;
        if state != "RUNNING" || !allowed.contains(worker) || tasks.len() != 1 {
            return None;
        }
        used.insert(worker.clone());
        for (_, st, w) in tasks {
            if st != "RUNNING" || !allowed.contains(w) {
                return None;
            }
            used.insert(w.clone());
        }
    }
    Some(used)
}

/// Waits until every source runs on `allowed` workers (asking `rest`), and returns the workers
/// in use; the error names the last statuses seen.
pub async fn wait_all_running(
    rest: &RestClient,
    names: &[String],
    allowed: &BTreeSet<String>,
    spread_over: usize,
    timeout: Duration,
) -> Result<BTreeSet<String>, BoxError> {
    let deadline = Instant::now() + timeout;
    let mut last = Statuses::new();
    loop {
        if let Ok(s) = statuses(rest).await {
            if let Some(used) = all_running(&s, names, allowed).filter(|u| u.len() >= spread_over) {
                return Ok(used);
            }
            last = s;
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "not all of {names:?} RUNNING on {allowed:?} (over {spread_over} workers) within {timeout:?}: {last:#?}"
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every line of `range` is in the topic, and none of `once` more than once.
fn check_lines(
    topic: &str,
    lines: &BTreeMap<String, usize>,
    range: std::ops::Range<u32>,
    once: std::ops::Range<u32>,
) -> Result<(), BoxError> {
    let missing: Vec<u32> = range
        .clone()
        .filter(|i| !lines.contains_key(&format!("line {i:05}")))
        .collect();
    let twice: Vec<u32> = once
        .filter(|i| lines.get(&format!("line {i:05}")).is_some_and(|n| *n > 1))
        .collect();
    if missing.is_empty() && twice.is_empty() {
        return Ok(());
    }
    Err(format!("{topic}: missing {missing:?}, read twice {twice:?}").into())
}

/// `SOURCES` FileStream sources: their names, input files and topics.
#[derive(Debug)]
pub struct Sources {
    pub names: Vec<String>,
    pub inputs: Vec<PathBuf>,
    pub topics: Vec<String>,
}

pub fn sources(dir: &Path, id: &str) -> Sources {
    Sources {
        names: (0..SOURCES).map(|i| format!("{id}-src-{i}")).collect(),
        inputs: (0..SOURCES)
            .map(|i| dir.join(format!("in-{i}.txt")))
            .collect(),
        topics: (0..SOURCES).map(|i| format!("{id}_lines_{i}")).collect(),
    }
}

pub fn source_config(s: &Sources, i: usize) -> Value {
    json!({
        "connector.class": "FileStreamSource",
        "file": s.inputs[i].display().to_string(),
        "topic": s.topics[i],
        "topic.creation.default.partitions": "1",
        "topic.creation.default.replication.factor": "1",
    })
}

pub async fn append_all(s: &Sources, range: std::ops::Range<u32>) -> Result<(), BoxError> {
    for input in &s.inputs {
        append(input, range.clone())?;
    }
    Ok(())
}

/// Every topic holds `range` (and `once` without repeats).
pub async fn check_topics(
    bootstrap: &str,
    s: &Sources,
    range: std::ops::Range<u32>,
    once: std::ops::Range<u32>,
) -> Result<(), BoxError> {
    for topic in &s.topics {
        let lines = topic_line_counts(bootstrap, topic, range.len()).await?;
        check_lines(topic, &lines, range.clone(), once.clone())?;
    }
    Ok(())
}

/// The URL of the group's leader: the coordinator knows the leader's member id, and a Connect
/// member's metadata starts with its protocol version (int16) and URL (`STRING`).
pub fn leader_url(proxy: &GroupCoordinator, group: &str) -> Option<String> {
    let (_, _, leader) = proxy.coordinator().state(group)?;
    let leader = leader?;
    let summary = proxy.coordinator().describe(group);
    let metadata = summary
        .members
        .iter()
        .find(|m| m.member_id == leader)?
        .metadata
        .clone();
    let len = usize::from(u16::from_be_bytes([*metadata.get(2)?, *metadata.get(3)?]));
    let url = metadata.get(4..4 + len)?;
    String::from_utf8(url.to_vec()).ok()
}

pub fn logs(workers: &[Worker]) -> String {
    workers
        .iter()
        .map(|w| format!("--- {}\n{}", worker_id(w), w.log_tail(40)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Sends a write again while the cluster answers Kafka's 409s for a rebalance under way
/// (`Cannot complete request momentarily …` / `… conflicting operation …`), as a client
/// should; any other answer is returned.
pub async fn settled<F, Fut>(mut send: F) -> Result<RestResponse, BoxError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<RestResponse, BoxError>>,
{
    let deadline = Instant::now() + WAIT;
    loop {
        let r = send().await?;
        let rebalancing = r.status == 409
            && r.error_message()
                .is_some_and(|m| m.starts_with("Cannot complete request"));
        if !rebalancing || Instant::now() >= deadline {
            return Ok(r);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Three Sluice workers in one group, each joined (`/health` 200).
pub async fn three_workers(
    bootstrap: &str,
    group: &str,
) -> Result<(Vec<Worker>, BTreeSet<String>), BoxError> {
    let mut workers = Vec::new();
    for _ in 0..3 {
        workers.push(sluice(bootstrap, group).await?);
    }
    let ids: BTreeSet<String> = workers.iter().map(worker_id).collect();
    for w in &workers {
        let rest = w.rest();
        let healthy = wait_until(WAIT, || async {
            rest.get("/health").await.is_ok_and(|r| r.status == 200)
        })
        .await;
        if !healthy {
            return Err(format!("{} never joined:\n{}", worker_id(w), w.log_tail(40)).into());
        }
    }
    Ok((workers, ids))
}

/// Creates the sources through the workers in turn and waits until they run spread over all
/// three.
pub async fn create_spread(
    workers: &[Worker],
    ids: &BTreeSet<String>,
    s: &Sources,
) -> Result<(), BoxError> {
    // when FileStream sources are created through different workers,
    for i in 0..SOURCES {
        let w = &workers[i % workers.len()];
        let r = w
            .rest()
            .post(
                "/connectors",
                &json!({"name": s.names[i], "config": source_config(s, i)}),
            )
            .await?;
        if r.status != 201 || r.body["name"] != s.names[i] {
            return Err(format!(
                "create {} on {}: {} {}",
                s.names[i],
                worker_id(w),
                r.status,
                r.text
            )
            .into());
        }
    }
    // then they run spread over every worker (`ids`), as every worker reports: each reads
    // the status topic on its own, and each comes to say the same.
    for w in workers {
        wait_all_running(&w.rest(), &s.names, ids, ids.len(), WAIT)
            .await
            .map_err(|e| format!("{} says: {e}\n{}", worker_id(w), logs(workers)))?;
    }

    Ok(())
}
