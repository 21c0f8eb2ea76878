//! Golden tests against Kafka's own classes: the Connect protocol encodings
//! (`tests/oracle/ProtocolOracle.java`, Kafka's `ConnectProtocol` and
//! `IncrementalCooperativeConnectProtocol`) and the leader's incremental cooperative assignment
//! (`tests/oracle/AssignorOracle.java`, Kafka's `IncrementalCooperativeAssignor`), both run on
//! the oracle's jars (`$KC_HOME/cp`, by default `~/.cache/sluice-oracle/cp`, Kafka 4.3).
//!
//! Without `java`/`javac` or the oracle jars each test prints `skipped: …` and passes; CI
//! installs them.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use connect_distributed::assignor::{IncrementalCooperativeAssignor, MemberInfo};
use connect_distributed::protocol::{
    OwnedWork, WorkerMetadata, decode_assignment, decode_metadata, encode_assignment,
    encode_metadata, join_protocols,
};
use connect_distributed::{
    Assignment, AssignmentError, ConfigSnapshot, ConnectProtocolCompatibility, ConnectorTaskId,
};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Both oracles compiled once per test run: the class directory and the jar directory.
fn compiled() -> Result<&'static (tempfile::TempDir, PathBuf), String> {
    static COMPILED: OnceLock<Result<(tempfile::TempDir, PathBuf), String>> = OnceLock::new();
    COMPILED
        .get_or_init(|| {
            let jars = java_oracle::jars("connect-runtime-")?;
            let classes = java_oracle::compile(
                &jars,
                &[
                    crate_dir().join("tests/oracle/ProtocolOracle.java"),
                    crate_dir().join("tests/oracle/AssignorOracle.java"),
                ],
            )?;
            Ok((classes, jars))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Runs `class` with `input` on stdin; its stdout lines.
fn run_oracle(classes: &Path, jars: &Path, class: &str, input: &str) -> Vec<String> {
    let mut child = Command::new("java")
        .arg("-cp")
        .arg(java_oracle::classpath(classes, jars))
        .arg(class)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("java runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("java finishes");
    writer.join().expect("writer").expect("stdin written");
    assert!(
        out.status.success(),
        "{class} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

fn task(connector: &str, task: u32) -> ConnectorTaskId {
    ConnectorTaskId {
        connector: connector.to_owned(),
        task,
    }
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

fn names_field(names: &[String]) -> String {
    names
        .iter()
        .map(|n| hex(n.as_bytes()))
        .collect::<Vec<_>>()
        .join(",")
}

fn tasks_field(tasks: &[ConnectorTaskId]) -> String {
    tasks
        .iter()
        .map(|t| format!("{}:{}", hex(t.connector.as_bytes()), t.task))
        .collect::<Vec<_>>()
        .join(",")
}

/// `url offset owned(+|-) connectors tasks`, as the oracle prints a decoded member metadata.
fn metadata_fields(m: &WorkerMetadata) -> String {
    let (flag, connectors, tasks) = match &m.owned {
        Some(o) => ("+", names_field(&o.connectors), tasks_field(&o.tasks)),
        None => ("-", String::new(), String::new()),
    };
    format!(
        "{}\t{}\t{flag}\t{connectors}\t{tasks}",
        hex(m.url.as_bytes()),
        m.config_offset
    )
}

/// `version error leader leaderUrl offset connectors tasks revoked... delay`, as the oracle
/// prints a decoded assignment.
fn assignment_fields(a: &Assignment) -> String {
    let error = match a.error {
        AssignmentError::None => 0,
        AssignmentError::ConfigMismatch => 1,
    };
    format!(
        "{}\t{error}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        a.protocol_version,
        hex(a.leader.as_bytes()),
        hex(a.leader_url.as_bytes()),
        a.config_offset,
        names_field(&a.connectors),
        tasks_field(&a.tasks),
        names_field(&a.revoked_connectors),
        tasks_field(&a.revoked_tasks),
        a.delay.as_millis()
    )
}

fn protocol_metadata_cases() -> Vec<(i16, WorkerMetadata)> {
    let many: Vec<String> = (0..12).map(|i| format!("conn-{i}")).collect();
    let owned = |connectors: Vec<String>, tasks: Vec<ConnectorTaskId>| {
        Some(OwnedWork { connectors, tasks })
    };
    let m = |url: &str, config_offset: i64, owned: Option<OwnedWork>| WorkerMetadata {
        url: url.to_owned(),
        config_offset,
        owned,
    };
    let mut cases = Vec::new();
    for version in 0..=2 {
        cases.push((version, m("http://10.0.0.1:8083/", -1, None)));
        cases.push((version, m("http://w2:8083/", 0, owned(vec![], vec![]))));
        cases.push((
            version,
            m(
                "http://wörker-源:8083/",
                i64::MAX,
                owned(
                    strings(&["connector3", "connector1", "connector2"]),
                    vec![
                        task("connector1", 0),
                        task("orphan", 2),
                        task("connector3", 1),
                    ],
                ),
            ),
        ));
        cases.push((
            version,
            m(
                "http://w3:8083/",
                42,
                owned(many.clone(), (0..5).map(|i| task("conn-3", i)).collect()),
            ),
        ));
    }
    cases
}

fn protocol_assignment_cases() -> Vec<Assignment> {
    let base = Assignment {
        error: AssignmentError::None,
        leader: "connect-1-6f1c7d9e-2b2e-4b8e-9a59-0c0e8bb6b7de".to_owned(),
        leader_url: "http://leader:8083/".to_owned(),
        config_offset: 17,
        connectors: vec![],
        tasks: vec![],
        revoked_connectors: vec![],
        revoked_tasks: vec![],
        delay: Duration::ZERO,
        protocol_version: 0,
    };
    let twelve: Vec<String> = (0..12).map(|i| format!("c{i}")).collect();
    let twenty: Vec<String> = (0..20).map(|i| format!("connector-{i}")).collect();
    let mut cases = Vec::new();
    for version in 0..=2 {
        cases.push(Assignment {
            protocol_version: version,
            ..base.clone()
        });
        cases.push(Assignment {
            protocol_version: version,
            connectors: strings(&["connector3", "connector1", "connector2", "connector1"]),
            tasks: vec![task("connector2", 0), task("x", 4), task("connector2", 3)],
            revoked_connectors: strings(&["z", "a", "z"]),
            revoked_tasks: vec![task("a", 0), task("q", 1), task("a", 2)],
            delay: Duration::from_millis(300_000),
            ..base.clone()
        });
        cases.push(Assignment {
            protocol_version: version,
            error: AssignmentError::ConfigMismatch,
            leader: String::new(),
            leader_url: "http://ünï:1/".to_owned(),
            config_offset: -1,
            ..base.clone()
        });
        // 12 connectors: JDK 17 sizes the HashSet's table at 32, not 16.
        cases.push(Assignment {
            protocol_version: version,
            connectors: twelve.clone(),
            tasks: twelve.iter().map(|c| task(c, 0)).collect(),
            revoked_tasks: vec![task("c3", 9)],
            ..base.clone()
        });
        cases.push(Assignment {
            protocol_version: version,
            connectors: twenty.clone(),
            tasks: (0..7).map(|i| task(&twenty[i % 3], i as u32)).collect(),
            revoked_connectors: twenty[5..8].to_vec(),
            delay: Duration::from_millis(1),
            ..base.clone()
        });
    }
    cases
}

fn compatibility_name(c: ConnectProtocolCompatibility) -> &'static str {
    match c {
        ConnectProtocolCompatibility::Eager => "EAGER",
        ConnectProtocolCompatibility::Compatible => "COMPATIBLE",
        ConnectProtocolCompatibility::Sessioned => "SESSIONED",
    }
}

#[test]
fn encodings_are_byte_for_byte_kafka_s_in_both_directions() {
    let (classes, jars) = match compiled() {
        Ok(c) => c,
        Err(why) => {
            println!("skipped: {why}");
            return;
        }
    };
    let metadata = protocol_metadata_cases();
    let assignments = protocol_assignment_cases();
    let compatibilities = [
        ConnectProtocolCompatibility::Eager,
        ConnectProtocolCompatibility::Compatible,
        ConnectProtocolCompatibility::Sessioned,
    ];

    // What each case should give: (case id, input line, expected oracle output).
    let mut cases: Vec<(String, String, String)> = Vec::new();
    let mut add = |id: String, line: String, want: String| cases.push((id, line, want));
    for (i, (version, m)) in metadata.iter().enumerate() {
        let (flag, connectors, tasks) = match &m.owned {
            Some(o) => ("+", names_field(&o.connectors), tasks_field(&o.tasks)),
            None => ("-", String::new(), String::new()),
        };
        let state = format!(
            "{}\t{}\t{flag}\t{connectors}\t{tasks}",
            hex(m.url.as_bytes()),
            m.config_offset
        );
        let ours = encode_metadata(*version, m);
        add(
            format!("em{i}"),
            format!("EM\tem{i}\t{version}\t{state}"),
            hex(&ours),
        );
        // Kafka reads our bytes as we read them; version 0 carries no allocation.
        let (_, decoded) = decode_metadata(&ours).expect("our own metadata decodes");
        assert_eq!(decoded.owned.is_some(), *version > 0 && m.owned.is_some());
        add(
            format!("dm{i}"),
            format!("DM\tdm{i}\t{}", hex(&ours)),
            metadata_fields(&decoded),
        );
        if *version == 2 {
            for c in compatibilities {
                let offered = join_protocols(c, m)
                    .into_iter()
                    .map(|(name, bytes)| format!("{name}={}", hex(&bytes)))
                    .collect::<Vec<_>>()
                    .join(",");
                add(
                    format!("ej{i}-{}", compatibility_name(c)),
                    format!(
                        "EJ\tej{i}-{}\t{}\t{state}",
                        compatibility_name(c),
                        compatibility_name(c)
                    ),
                    offered,
                );
            }
        }
    }
    for (i, a) in assignments.iter().enumerate() {
        let error = match a.error {
            AssignmentError::None => 0,
            AssignmentError::ConfigMismatch => 1,
        };
        let ours = encode_assignment(a);
        add(
            format!("ea{i}"),
            format!(
                "EA\tea{i}\t{}\t{error}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                a.protocol_version,
                hex(a.leader.as_bytes()),
                hex(a.leader_url.as_bytes()),
                a.config_offset,
                names_field(&a.connectors),
                tasks_field(&a.tasks),
                names_field(&a.revoked_connectors),
                tasks_field(&a.revoked_tasks),
                a.delay.as_millis()
            ),
            hex(&ours),
        );
        let decoded = decode_assignment(&ours).expect("our own assignment decodes");
        add(
            format!("da{i}"),
            format!("DA\tda{i}\t{}", hex(&ours)),
            assignment_fields(&decoded),
        );
        // Truncations: Kafka refuses exactly the ones we refuse, and reads the others alike.
        for len in (0..ours.len()).step_by(3) {
            let cut = &ours[..len];
            let want = match decode_assignment(cut) {
                Ok(a) => assignment_fields(&a),
                Err(_) => "ERR".to_owned(),
            };
            add(
                format!("dt{i}-{len}"),
                format!("DA\tdt{i}-{len}\t{}", hex(cut)),
                want,
            );
        }
    }
    for (i, (version, m)) in metadata.iter().enumerate() {
        let ours = encode_metadata(*version, m);
        for len in 0..ours.len() {
            let cut = &ours[..len];
            let want = match decode_metadata(cut) {
                Ok((_, m)) => metadata_fields(&m),
                Err(_) => "ERR".to_owned(),
            };
            add(
                format!("mt{i}-{len}"),
                format!("DM\tmt{i}-{len}\t{}", hex(cut)),
                want,
            );
        }
    }

    let input: String = cases
        .iter()
        .map(|(_, line, _)| format!("{line}\n"))
        .collect();
    let output = run_oracle(classes.path(), jars, "ProtocolOracle", &input);
    let results: BTreeMap<String, String> = output
        .iter()
        .filter_map(|l| l.split_once('\t'))
        .map(|(id, r)| (id.to_owned(), r.to_owned()))
        .collect();

    let mut mismatches = Vec::new();
    for (id, _, want) in &cases {
        let got = results.get(id).map(String::as_str).unwrap_or("<missing>");
        let same = if want == "ERR" {
            got.starts_with("ERR")
        } else {
            got == want
        };
        if !same {
            mismatches.push(format!("{id}:\n  kafka: {got}\n  ours:  {want}"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} cases differ from Kafka:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n")
    );

    // Kafka's bytes read back in Rust as the case they came from.
    for (i, (version, m)) in metadata.iter().enumerate() {
        let kafka = unhex(&results[&format!("em{i}")]);
        let (v, back) = decode_metadata(&kafka).expect("Kafka's metadata decodes");
        assert_eq!(v, (*version).max(0));
        assert_eq!(back.url, m.url);
        assert_eq!(back.config_offset, m.config_offset);
        if *version > 0 {
            let want = m.owned.as_ref().map(|o| {
                let mut c = o.connectors.clone();
                c.sort();
                c.dedup();
                c
            });
            let got = back.owned.as_ref().map(|o| {
                let mut c = o.connectors.clone();
                c.sort();
                c
            });
            assert_eq!(got, want, "metadata case {i}");
        }
    }
    for (i, a) in assignments.iter().enumerate() {
        let kafka = unhex(&results[&format!("ea{i}")]);
        let back = decode_assignment(&kafka).expect("Kafka's assignment decodes");
        assert_eq!(back.protocol_version, a.protocol_version);
        assert_eq!(back.error, a.error);
        assert_eq!(back.leader, a.leader);
        assert_eq!(back.config_offset, a.config_offset);
        let set = |v: &[String]| v.iter().cloned().collect::<BTreeSet<_>>();
        assert_eq!(
            set(&back.connectors),
            set(&a.connectors),
            "assignment case {i}"
        );
        if a.protocol_version > 0 {
            assert_eq!(back.delay, a.delay);
            assert_eq!(set(&back.revoked_connectors), set(&a.revoked_connectors));
            assert_eq!(back.revoked_tasks.len(), a.revoked_tasks.len());
        }
    }
}

/// A fixed pseudo-random sequence (64-bit LCG): varied scenarios, the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

struct SimWorker {
    id: String,
    /// What the worker runs, as Kafka's member keeps it (None before its first assignment).
    owned: Option<OwnedWork>,
    /// The generation of its last completed rebalance.
    last_completed: i32,
}

/// A cluster driven through rebalances: Sluice's assignor runs each one here, and the same
/// rounds (the members' metadata bytes, the time, the generations) go into the script the Java
/// oracle replays through Kafka's assignor.
struct Scenario {
    name: String,
    rng: Rng,
    max_delay_ms: i64,
    version: i16,
    now: i64,
    generation: i32,
    config_offset: i64,
    connectors: BTreeMap<String, u32>,
    /// In JoinGroup order; the first one leads.
    workers: Vec<SimWorker>,
    leader: Option<String>,
    assignor: IncrementalCooperativeAssignor,
    rounds: usize,
    next_id: usize,
    script: String,
    /// (round, member) -> our assignment's bytes in hex; (round, "DELAY") -> the delay.
    ours: BTreeMap<(String, String), String>,
}

fn url_of(id: &str) -> String {
    format!("http://{id}:8083/")
}

impl Scenario {
    fn new(name: &str, seed: u64, max_delay_ms: i64, version: i16) -> Self {
        Self {
            name: name.to_owned(),
            rng: Rng(seed),
            max_delay_ms,
            version,
            now: 1_700_000_000_000,
            generation: 0,
            config_offset: 0,
            connectors: BTreeMap::new(),
            workers: Vec::new(),
            leader: None,
            assignor: IncrementalCooperativeAssignor::new(Duration::ZERO),
            rounds: 0,
            next_id: 0,
            script: String::new(),
            ours: BTreeMap::new(),
        }
    }

    fn new_worker_id(&mut self) -> String {
        self.next_id += 1;
        // Kafka-style member ids and short ones, which land in varied hash buckets.
        if self.rng.chance(50) {
            format!("connect-1-{:08x}-{}", self.rng.next() as u32, self.next_id)
        } else {
            format!("w{}", self.next_id)
        }
    }

    fn add_worker(&mut self, owned: Option<OwnedWork>) {
        let id = self.new_worker_id();
        self.workers.push(SimWorker {
            id,
            owned,
            last_completed: -1,
        });
    }

    fn set_connector(&mut self, name: String, tasks: u32) {
        self.connectors.insert(name, tasks);
        self.config_offset += 1 + tasks as i64;
    }

    /// One random change to the cluster, then the time that passes before the rebalance.
    fn step(&mut self) {
        let roll = self.rng.below(100);
        match roll {
            0..=17 if self.workers.len() < 9 => self.add_worker(None),
            18..=27 if self.workers.len() > 1 => {
                // A worker dies (SIGKILL): its work is lost.
                let i = self.rng.below(self.workers.len());
                self.workers.remove(i);
            }
            28..=31 if self.workers.len() > 1 => {
                // The leader dies: the next member leads with a fresh assignor.
                self.workers.remove(0);
            }
            32..=35 if !self.workers.is_empty() => {
                // A worker restarts and comes back under its old id with nothing running.
                let i = self.rng.below(self.workers.len());
                let mut w = self.workers.remove(i);
                w.owned = None;
                self.workers.push(w);
            }
            36..=38 if !self.workers.is_empty() && !self.connectors.is_empty() => {
                // A zombie: a new member claims work another still runs.
                let (name, n) = self
                    .connectors
                    .iter()
                    .nth(self.rng.below(self.connectors.len()))
                    .map(|(c, n)| (c.clone(), *n))
                    .expect("a connector");
                let tasks = (0..n)
                    .filter(|_| self.rng.chance(50))
                    .map(|t| ConnectorTaskId {
                        connector: name.clone(),
                        task: t,
                    });
                let tasks: Vec<ConnectorTaskId> = tasks.collect();
                self.add_worker(Some(OwnedWork {
                    connectors: vec![name],
                    tasks,
                }));
            }
            39..=57 if self.connectors.len() < 14 => {
                let name = format!("connector-{}", self.rng.next() % 40);
                let tasks = self.rng.below(9) as u32;
                self.set_connector(name, tasks);
            }
            58..=65 if !self.connectors.is_empty() => {
                let name = self
                    .connectors
                    .keys()
                    .nth(self.rng.below(self.connectors.len()))
                    .cloned()
                    .expect("a connector");
                self.connectors.remove(&name);
                self.config_offset += 1;
            }
            66..=73 if !self.connectors.is_empty() => {
                let name = self
                    .connectors
                    .keys()
                    .nth(self.rng.below(self.connectors.len()))
                    .cloned()
                    .expect("a connector");
                let tasks = self.rng.below(9) as u32;
                self.set_connector(name, tasks);
            }
            _ => {} // an incidental rebalance
        }
        let d = self.max_delay_ms.max(1);
        let pause = match self.rng.below(6) {
            0 | 1 => 0,
            2 => 5,
            3 => d / 3,
            4 => d / 2 + 1,
            _ => d + 1,
        };
        self.now += pause;
    }

    fn rebalance(&mut self, delivered: bool) {
        if self.workers.is_empty() {
            self.add_worker(None);
        }
        let leader = self.workers[0].id.clone();
        if self.leader.as_ref() != Some(&leader) {
            self.assignor = IncrementalCooperativeAssignor::new(Duration::from_millis(
                self.max_delay_ms as u64,
            ));
            self.script
                .push_str(&format!("NEW\t{}\n", self.max_delay_ms));
            self.leader = Some(leader.clone());
        }
        self.generation += 1;
        self.rounds += 1;
        let round = format!("{}-{}", self.name, self.rounds);

        // The members' JoinGroup metadata, and what the leader reads from it.
        let mut wire = Vec::new();
        let mut members = Vec::new();
        for w in &self.workers {
            let metadata = WorkerMetadata {
                url: url_of(&w.id),
                config_offset: self.config_offset,
                owned: w.owned.clone(),
            };
            let bytes = encode_metadata(self.version, &metadata);
            let (_, read) = decode_metadata(&bytes).expect("metadata decodes");
            wire.push(format!("{}={}", hex(w.id.as_bytes()), hex(&bytes)));
            members.push(MemberInfo {
                member_id: w.id.clone(),
                metadata: read,
            });
        }
        let last_completed = self.workers[0].last_completed;
        let config = ConfigSnapshot {
            offset: self.config_offset,
            connectors: self.connectors.clone(),
        };
        let out = self.assignor.assign(
            self.now,
            &leader,
            &url_of(&leader),
            self.generation,
            last_completed,
            self.version,
            &members,
            &config,
        );
        let connectors: Vec<String> = self
            .connectors
            .iter()
            .map(|(c, n)| format!("{}:{n}", hex(c.as_bytes())))
            .collect();
        self.script.push_str(&format!(
            "ROUND\t{round}\t{}\t{last_completed}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            self.now,
            self.generation,
            self.version,
            hex(leader.as_bytes()),
            self.config_offset,
            connectors.join(","),
            wire.join(",")
        ));
        for (member, a) in &out {
            self.ours.insert(
                (round.clone(), hex(member.as_bytes())),
                hex(&encode_assignment(a)),
            );
        }
        self.ours.insert(
            (round.clone(), "DELAY".to_owned()),
            self.assignor.delay().as_millis().to_string(),
        );

        if delivered {
            for w in &mut self.workers {
                // What Kafka's WorkerCoordinator.onJoinComplete keeps: the new assignment as
                // read from the wire, followed by what it ran and was not told to revoke.
                let a = decode_assignment(&encode_assignment(&out[&w.id])).expect("decodes");
                let mut connectors = a.connectors.clone();
                let mut tasks = a.tasks.clone();
                if let Some(old) = &w.owned {
                    connectors.extend(
                        old.connectors
                            .iter()
                            .filter(|c| !a.revoked_connectors.contains(c))
                            .cloned(),
                    );
                    tasks.extend(
                        old.tasks
                            .iter()
                            .filter(|t| !a.revoked_tasks.contains(t))
                            .cloned(),
                    );
                }
                w.owned = Some(OwnedWork { connectors, tasks });
                w.last_completed = self.generation;
            }
        }
    }

    fn run(&mut self, rounds: usize) {
        for _ in 0..rounds {
            self.step();
            let delivered = !self.rng.chance(8);
            self.rebalance(delivered);
        }
    }
}

#[test]
fn incremental_assignments_are_kafka_s_round_for_round() {
    let (classes, jars) = match compiled() {
        Ok(c) => c,
        Err(why) => {
            println!("skipped: {why}");
            return;
        }
    };
    let mut scenarios = vec![
        Scenario::new("default-delay", 1, 300_000, 2),
        Scenario::new("no-delay", 2, 0, 2),
        Scenario::new("short-delay-v1", 3, 2_000, 1),
        Scenario::new("one-ms", 4, 1, 2),
        Scenario::new("default-delay-2", 5, 300_000, 2),
    ];
    let mut script = String::new();
    let mut ours = BTreeMap::new();
    for s in &mut scenarios {
        s.run(150);
        script.push_str(&s.script);
        ours.append(&mut s.ours);
    }
    let output = run_oracle(
        classes.path(),
        jars,
        "org.apache.kafka.connect.runtime.distributed.AssignorOracle",
        &script,
    );
    let mut kafka = BTreeMap::new();
    for line in &output {
        let mut parts = line.splitn(3, '\t');
        let (Some(round), Some(member), Some(value)) = (parts.next(), parts.next(), parts.next())
        else {
            panic!("unexpected oracle line {line:?}");
        };
        kafka.insert((round.to_owned(), member.to_owned()), value.to_owned());
    }
    assert_eq!(
        kafka.keys().collect::<Vec<_>>(),
        ours.keys().collect::<Vec<_>>(),
        "the same rounds and members"
    );
    let mut mismatches = Vec::new();
    for (key, want) in &ours {
        let got = &kafka[key];
        if got != want {
            let show = |h: &str| {
                if key.1 == "DELAY" {
                    h.to_owned()
                } else {
                    format!("{:?}", decode_assignment(&unhex(h)).expect("decodes"))
                }
            };
            mismatches.push(format!(
                "{} {}:\n  kafka: {}\n  ours:  {}",
                key.0,
                String::from_utf8_lossy(&unhex(&key.1)),
                show(got),
                show(want)
            ));
        }
    }
    let rounds: BTreeSet<&String> = ours.keys().map(|(r, _)| r).collect();
    assert!(
        mismatches.is_empty(),
        "{} of {} assignments differ from Kafka's:\n{}",
        mismatches.len(),
        ours.len(),
        mismatches
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The scenarios did exercise revocations, delays and lost work.
    let revoked = ours
        .iter()
        .filter(|((_, m), _)| m != "DELAY")
        .filter(|(_, h)| {
            let a = decode_assignment(&unhex(h)).expect("decodes");
            !a.revoked_tasks.is_empty() || !a.revoked_connectors.is_empty()
        })
        .count();
    let delayed = ours
        .iter()
        .filter(|((_, m), d)| m == "DELAY" && *d != "0")
        .count();
    assert!(
        rounds.len() == 750 && revoked > 50 && delayed > 50,
        "{} rounds, {revoked} revoking, {delayed} delayed",
        rounds.len()
    );
    println!(
        "{} rounds, {} assignments, {revoked} with revocations, {delayed} rounds with a delay",
        rounds.len(),
        ours.len()
    );
}
