//! Two workers of one Connect cluster on shared in-memory stores, each with a fake group
//! member driven by the test as the group coordinator and leader would: what each worker runs,
//! the statuses it writes, revocations, rejoins, the leader-only writes, the signed hand-over
//! of task configs to the leader, `/health` before and after joining, and a worker whose config
//! topic is behind the assignment's offset (catching up, or leaving the group and backing off).

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use connect_api::config::{ConfigKey, ConfigType, Importance};
use connect_api::{
    ConfigDef, ConnectError, ConnectorConfig, ConnectorContext, FieldErrors, ParsedConfig,
    PluginDescriptor, PluginKind, Props, SourceConnector, SourceRecord, SourceTask,
    SourceTaskContext,
};
use connect_distributed::assignor::LeaderState;
use connect_distributed::member::MemberStatus;
use connect_distributed::{Assignment, AssignmentError, ConfigView, ConnectorTaskId, MemberEvent};
use connect_runtime::entities::{Health, State};
use connect_runtime::kafka::KafkaClients;
use connect_runtime::registry::PluginRegistry;
use connect_runtime::worker::cluster::{
    ClusterSettings, GroupHandle, InterWorkerClient, KeySettings,
};
use connect_runtime::{
    Herder, HerderError, HerderErrorKind, SignatureHeaders, Stores, WorkerHerder, WorkerSettings,
};
use connect_storage::{
    ClusterConfigState, ConfigStore, MemoryConfigStore, MemoryOffsetStore, MemoryStatusStore,
    SessionKey, StoreError, TargetState,
};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

fn props(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

// ------------------------------------------------------------------------------------ plugin

/// A source with `tasks.max` tasks that produce nothing.
#[derive(Debug)]
struct MultiSource {
    originals: Props,
}

#[derive(Debug)]
struct MultiConfig {
    originals: Props,
}

/// The `worker.unsync.backoff.ms` the test workers run with.
const UNSYNC_BACKOFF: Duration = Duration::from_secs(7);

static MULTI_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    ConfigDef::builder()
        .define(ConfigKey::new(
            "label",
            ConfigType::String,
            Importance::Low,
            "Copied into every task config.",
        ))
        .build()
});

impl ConnectorConfig for MultiConfig {
    fn config_def() -> &'static ConfigDef {
        &MULTI_DEF
    }

    fn from_parsed(parsed: &ParsedConfig) -> Result<Self, FieldErrors> {
        Ok(Self {
            originals: parsed.originals().clone(),
        })
    }
}

impl SourceConnector for MultiSource {
    type Config = MultiConfig;
    type Task = IdleTask;
    const DESCRIPTOR: PluginDescriptor = PluginDescriptor {
        class: "com.example.MultiSourceConnector",
        extra_aliases: &[],
        kind: PluginKind::Source,
        version: "1.0",
    };

    async fn start(_ctx: ConnectorContext, config: Self::Config) -> Result<Self, ConnectError> {
        Ok(Self {
            originals: config.originals,
        })
    }

    fn task_configs(&self, max_tasks: NonZeroU32) -> Result<Vec<Props>, ConnectError> {
        Ok((0..max_tasks.get())
            .map(|i| {
                let mut p = self.originals.clone();
                p.insert("slot".into(), i.to_string());
                p
            })
            .collect())
    }
}

#[derive(Debug)]
struct IdleTask;

impl SourceTask for IdleTask {
    type Config = MultiConfig;

    async fn start(_ctx: SourceTaskContext, _config: Self::Config) -> Result<Self, ConnectError> {
        Ok(Self)
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Ok(Vec::new())
    }
}

fn multi(name: &str, tasks: u32) -> Props {
    props(&[
        ("name", name),
        ("connector.class", "com.example.MultiSourceConnector"),
        ("tasks.max", &tasks.to_string()),
    ])
}

// ------------------------------------------------------------------------------- the cluster

/// The group member as the test drives it.
#[derive(Debug)]
struct FakeMember {
    status: watch::Sender<MemberStatus>,
    rejoins: AtomicUsize,
    /// Each `leave_and_back_off`: why, and for how long.
    backoffs: Mutex<Vec<(String, Duration)>>,
}

#[async_trait]
impl GroupHandle for FakeMember {
    fn request_rejoin(&self) {
        self.rejoins.fetch_add(1, Ordering::SeqCst);
    }

    fn leave_and_back_off(&self, reason: String, pause: Duration) {
        self.backoffs.lock().unwrap().push((reason, pause));
    }

    fn status(&self) -> watch::Receiver<MemberStatus> {
        self.status.subscribe()
    }

    async fn leave(&self) {}
}

/// The cluster's REST network: a request to a worker's URL goes to its herder.
#[derive(Debug, Default)]
struct Network {
    workers: Mutex<Vec<(String, WorkerHerder)>>,
    sent: AtomicUsize,
}

#[async_trait]
impl InterWorkerClient for Network {
    async fn request(
        &self,
        method: &str,
        url: &str,
        body: Vec<u8>,
        headers: Vec<(&'static str, String)>,
    ) -> Result<(), HerderError> {
        self.sent.fetch_add(1, Ordering::SeqCst);
        assert_eq!(method, "POST");
        let herder = self
            .workers
            .lock()
            .unwrap()
            .iter()
            .find(|(u, _)| url.starts_with(u.as_str()))
            .map(|(_, h)| h.clone())
            .ok_or_else(|| HerderError::internal(format!("no worker at {url}")))?;
        let name = url
            .rsplit_once("/connectors/")
            .and_then(|(_, rest)| rest.strip_suffix("/tasks"))
            .expect("a task-config URL");
        let header = |n: &str| {
            headers
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.clone())
        };
        let signature = match (
            header("X-Connect-Request-Signature-Algorithm"),
            header("X-Connect-Authorization"),
        ) {
            (Some(algorithm), Some(signature)) => Some(SignatureHeaders {
                algorithm,
                signature,
            }),
            _ => None,
        };
        herder
            .put_task_configs(name, &body, task_configs(&body), signature)
            .await
    }
}

struct Worker {
    id: String,
    url: String,
    herder: WorkerHerder,
    member: Arc<FakeMember>,
    events: mpsc::Sender<MemberEvent>,
    view: Arc<dyn ConfigView>,
}

fn worker_settings(id: &str) -> WorkerSettings {
    let json = |schemas: &str| {
        (
            "org.apache.kafka.connect.json.JsonConverter".to_owned(),
            props(&[("schemas.enable", schemas)]),
        )
    };
    WorkerSettings {
        worker_id: id.into(),
        key_converter: json("true"),
        value_converter: json("true"),
        header_converter: (
            "org.apache.kafka.connect.storage.SimpleHeaderConverter".into(),
            Props::new(),
        ),
        offset_flush_interval: Duration::from_millis(200),
        graceful_timeout: Duration::from_secs(5),
        topic_tracking: true,
        topic_tracking_allow_reset: true,
        producer: Props::new(),
        consumer: Props::new(),
        client_config_override_policy: Default::default(),
        topic_creation_enable: true,
        commit: "0000000000000000".into(),
        sink_static_membership: false,
    }
}

/// Starts a worker of the cluster on `stores` and waits until its member was started.
async fn start(
    id: &str,
    stores: &Stores,
    bootstrap: &str,
    network: &Arc<Network>,
    cancel: &CancellationToken,
) -> Worker {
    let registry = PluginRegistry::builder()
        .source::<MultiSource>()
        .converters(connect_converters::plugins())
        .build()
        .unwrap();
    let clients =
        KafkaClients::new([("bootstrap.servers".to_owned(), bootstrap.to_owned())].into()).unwrap();
    let herder = WorkerHerder::new(registry, worker_settings(id), clients, cancel.clone());
    let url = format!("http://{id}/");
    let member = Arc::new(FakeMember {
        status: watch::Sender::new(MemberStatus {
            generation: -1,
            ..MemberStatus::default()
        }),
        rejoins: AtomicUsize::new(0),
        backoffs: Mutex::new(Vec::new()),
    });
    let (events_tx, events_rx) = mpsc::channel(16);
    let (view_tx, view_rx) = oneshot::channel();
    let handle: Arc<dyn GroupHandle> = member.clone();
    herder.set_cluster(ClusterSettings {
        start_member: Box::new(move |view| {
            view_tx.send(view).ok();
            Ok((handle, events_rx))
        }),
        keys: KeySettings::default(),
        client: network.clone(),
        sync_timeout: Duration::from_secs(3),
        // Not Kafka's 5-minute default, so the tests see the setting reach the member.
        unsync_backoff: UNSYNC_BACKOFF,
        worker_url: url.clone(),
    });
    network
        .workers
        .lock()
        .unwrap()
        .push((url.clone(), herder.clone()));
    let h = herder.clone();
    let s = stores.clone();
    tokio::spawn(async move {
        h.run(move || {
            let s = s.clone();
            async move { Ok(s) }
        })
        .await;
    });
    let view = view_rx.await.expect("the member is started");
    // The herder takes the member's handle just after starting it; until then it has no
    // cluster state to act on (and does not answer requests yet).
    until(
        "the worker seeking membership",
        || herder.health(),
        |h| matches!(h, Health::Starting(m) if m.contains("ensuring membership")),
    )
    .await;
    Worker {
        id: id.to_owned(),
        url,
        herder,
        member,
        events: events_tx,
        view,
    }
}

/// While its member is being started, a worker of a group answers as one that is still
/// starting, never as a standalone worker: not healthy, and no "standalone mode" refusal of a
/// forwarded task-config write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_that_is_still_joining_never_answers_as_a_standalone_worker() {
    let kafka = MockCluster::<DefaultProducerContext>::new(1).unwrap();
    let stores = stores();
    let cancel = CancellationToken::new();
    let registry = PluginRegistry::builder()
        .source::<MultiSource>()
        .converters(connect_converters::plugins())
        .build()
        .unwrap();
    let clients = KafkaClients::new(
        [(
            "bootstrap.servers".to_owned(),
            kafka.bootstrap_servers().clone(),
        )]
        .into(),
    )
    .unwrap();
    let herder = WorkerHerder::new(registry, worker_settings("a:8083"), clients, cancel.clone());
    let member: Arc<dyn GroupHandle> = Arc::new(FakeMember {
        status: watch::Sender::new(MemberStatus::default()),
        rejoins: AtomicUsize::new(0),
        backoffs: Mutex::new(Vec::new()),
    });
    let (_events, events_rx) = mpsc::channel(16);
    // The member's start is held until the test has asked its questions.
    let (entered_tx, entered_rx) = oneshot::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    herder.set_cluster(ClusterSettings {
        start_member: Box::new(move |_view| {
            entered_tx.send(()).ok();
            release_rx.recv().ok();
            Ok((member, events_rx))
        }),
        keys: KeySettings::default(),
        client: Arc::new(Network::default()),
        sync_timeout: Duration::from_secs(3),
        unsync_backoff: UNSYNC_BACKOFF,
        worker_url: "http://a:8083/".to_owned(),
    });
    let h = herder.clone();
    tokio::spawn(async move {
        h.run(move || {
            let s = stores.clone();
            async move { Ok(s) }
        })
        .await;
    });
    entered_rx.await.expect("the member is being started");

    let health = herder.health().await;
    assert!(
        matches!(&health, Health::Starting(m) if m.starts_with("The worker is currently initializing")),
        "{health:?}"
    );
    let body = br#"[{"task.class":"x"}]"#;
    let write = tokio::spawn({
        let h = herder.clone();
        async move {
            h.put_task_configs("c", body, task_configs(body), None)
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!write.is_finished(), "answered before the worker started");
    release_tx.send(()).unwrap();
    let err = write.await.unwrap().unwrap_err();
    assert_eq!(
        (err.kind, err.message.as_str()),
        (
            HerderErrorKind::BadRequest,
            "Internal request missing required signature"
        )
    );
    cancel.cancel();
}

/// What the leader gives a worker in one rebalance.
struct Round<'a> {
    generation: i32,
    leader: &'a Worker,
    connectors: &'a [&'a str],
    tasks: &'a [(&'a str, u32)],
    offset: i64,
    leader_state: Option<LeaderState>,
}

/// The member completes a rebalance: its status says joined, then the runtime hears of it.
async fn assign(w: &Worker, round: Round<'_>) {
    let is_leader = w.id == round.leader.id;
    w.member.status.send_modify(|s| {
        s.joined = true;
        s.generation = round.generation;
        s.member_id = w.id.clone();
        s.leader_id = Some(round.leader.id.clone());
        s.leader_url = Some(round.leader.url.clone());
        s.is_leader = is_leader;
        s.protocol_version = Some(2);
        s.leader_state = round
            .leader_state
            .clone()
            .filter(|_| is_leader)
            .map(Arc::new);
    });
    let assignment = Assignment {
        error: AssignmentError::None,
        leader: round.leader.id.clone(),
        leader_url: round.leader.url.clone(),
        config_offset: round.offset,
        connectors: round.connectors.iter().map(|c| (*c).to_owned()).collect(),
        tasks: round
            .tasks
            .iter()
            .map(|(c, t)| ConnectorTaskId {
                connector: (*c).to_owned(),
                task: *t,
            })
            .collect(),
        revoked_connectors: Vec::new(),
        revoked_tasks: Vec::new(),
        delay: Duration::ZERO,
        protocol_version: 2,
    };
    w.events
        .send(MemberEvent::Assigned {
            generation: round.generation,
            member_id: w.id.clone(),
            assignment,
        })
        .await
        .unwrap();
}

/// Asks `fetch` until `done` holds (20 s at most).
async fn until<T: std::fmt::Debug, Fut>(
    what: &str,
    mut fetch: impl FnMut() -> Fut,
    done: impl Fn(&T) -> bool,
) -> T
where
    Fut: std::future::Future<Output = T>,
{
    let mut last = None;
    for _ in 0..200 {
        let answer = fetch().await;
        if done(&answer) {
            return answer;
        }
        last = Some(answer);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} never got there; last: {last:?}");
}

/// `(state, worker)` of the connector and of each task.
type Owners = (Option<(State, String)>, Vec<(u32, State, String)>);

async fn owners(h: &WorkerHerder, name: &str) -> Owners {
    match h.connector_status(name).await {
        Ok(s) => (
            Some((s.connector.state, s.connector.worker_id)),
            s.tasks
                .into_iter()
                .map(|t| (t.id, t.state, t.worker_id))
                .collect(),
        ),
        Err(_) => (None, Vec::new()),
    }
}

fn stores() -> Stores {
    Stores {
        config: Arc::new(MemoryConfigStore::new()),
        offsets: Arc::new(MemoryOffsetStore::new()),
        status: Arc::new(MemoryStatusStore::new()),
    }
}

fn offset(stores: &Stores) -> i64 {
    stores.config.snapshot().offset
}

/// Waits until the config topic holds `n` task configs for `name`.
async fn tasks_committed(stores: &Stores, name: &str, n: usize) {
    until(
        "task configs",
        || async { stores.config.snapshot().tasks(name).len() },
        |&len| len == n,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_worker_runs_what_it_is_assigned_and_hands_over_what_is_revoked() {
    if let Ok(f) = std::env::var("TEST_LOG") {
        tracing_subscriber::fmt().with_env_filter(f).try_init().ok();
    }
    let kafka = MockCluster::<DefaultProducerContext>::new(1).unwrap();
    let stores = stores();
    let network = Arc::new(Network::default());
    let cancel = CancellationToken::new();
    let a = start(
        "a:8083",
        &stores,
        &kafka.bootstrap_servers(),
        &network,
        &cancel,
    )
    .await;
    let b = start(
        "b:8083",
        &stores,
        &kafka.bootstrap_servers(),
        &network,
        &cancel,
    )
    .await;

    // Before its first assignment a worker says it has not joined, and runs nothing.
    match a.herder.health().await {
        Health::Starting(m) => assert!(
            m.starts_with(
                "The worker is currently ensuring membership in the cluster, which began at 20"
            ) && m.ends_with("Z."),
            "{m}"
        ),
        other => panic!("not starting: {other:?}"),
    }
    for (w, gen_) in [(&a, 1), (&b, 1)] {
        assign(
            w,
            Round {
                generation: gen_,
                leader: &a,
                connectors: &[],
                tasks: &[],
                offset: offset(&stores),
                leader_state: None,
            },
        )
        .await;
    }
    until("a healthy", || a.herder.health(), |h| *h == Health::Healthy).await;
    // The leader of a `sessioned` group distributes a session key.
    until(
        "session key",
        || async { stores.config.snapshot().session_key },
        |k| {
            k.as_ref()
                .is_some_and(|k| k.key.len() == 32 && k.algorithm == "HmacSHA256")
        },
    )
    .await;

    // A follower does not write connector configs: it names the leader.
    let err = b
        .herder
        .put_connector_config("multi", multi("multi", 2), false, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind, HerderErrorKind::RequestTarget);
    assert_eq!(err.message, "Only the leader can set connector configs.");
    assert_eq!(err.forward_url.as_deref(), Some("http://a:8083/"));

    // The leader does, and rejoins so that the new connector gets assigned; the follower
    // waits for the coordinator to start the rebalance.
    let (a0, b0) = (
        a.member.rejoins.load(Ordering::SeqCst),
        b.member.rejoins.load(Ordering::SeqCst),
    );
    a.herder
        .put_connector_config("multi", multi("multi", 2), false, None)
        .await
        .unwrap();
    until(
        "a rejoins",
        || async { a.member.rejoins.load(Ordering::SeqCst) },
        |&n| n > a0,
    )
    .await;
    // Nothing is assigned yet, so nothing runs and nothing generates task configs.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(b.member.rejoins.load(Ordering::SeqCst), b0);
    assert_eq!(owners(&a.herder, "multi").await, (None, Vec::new()));
    assert_eq!(
        a.view
            .snapshot_at_least(offset(&stores))
            .await
            .unwrap()
            .connectors,
        [("multi".to_owned(), 0)].into()
    );

    // When B gets the connector, it starts it and hands its task configs to the leader, signed.
    for w in [&a, &b] {
        let connectors: &[&str] = if w.id == b.id { &["multi"] } else { &[] };
        assign(
            w,
            Round {
                generation: 2,
                leader: &a,
                connectors,
                tasks: &[],
                offset: offset(&stores),
                leader_state: None,
            },
        )
        .await;
    }
    tasks_committed(&stores, "multi", 2).await;
    assert!(
        network.sent.load(Ordering::SeqCst) >= 1,
        "sent through the leader"
    );
    let (conn, tasks) = owners(&a.herder, "multi").await;
    assert_eq!(conn, Some((State::Running, "b:8083".to_owned())));
    assert!(
        tasks.is_empty(),
        "no task runs before it is assigned: {tasks:?}"
    );
    assert_eq!(a.view.config_offset(), offset(&stores));

    // When the tasks are spread, each runs where it was assigned and its status says so.
    let leader_state = LeaderState {
        connector_owners: [("multi".to_owned(), b.url.clone())].into(),
        task_owners: [
            (
                ConnectorTaskId {
                    connector: "multi".into(),
                    task: 0,
                },
                a.url.clone(),
            ),
            (
                ConnectorTaskId {
                    connector: "multi".into(),
                    task: 1,
                },
                b.url.clone(),
            ),
        ]
        .into(),
    };
    let at = offset(&stores);
    assign(
        &a,
        Round {
            generation: 3,
            leader: &a,
            connectors: &[],
            tasks: &[("multi", 0)],
            offset: at,
            leader_state: Some(leader_state.clone()),
        },
    )
    .await;
    assign(
        &b,
        Round {
            generation: 3,
            leader: &a,
            connectors: &["multi"],
            tasks: &[("multi", 1)],
            offset: at,
            leader_state: None,
        },
    )
    .await;
    let (conn, tasks) = until(
        "spread tasks",
        || owners(&b.herder, "multi"),
        |(_, t)| t.len() == 2 && t.iter().all(|(_, s, _)| *s == State::Running),
    )
    .await;
    assert_eq!(conn, Some((State::Running, "b:8083".to_owned())));
    assert_eq!(
        tasks,
        vec![
            (0, State::Running, "a:8083".to_owned()),
            (1, State::Running, "b:8083".to_owned())
        ]
    );
    assert_eq!(
        stores.status.get_task("multi", 1).unwrap().generation,
        3,
        "statuses carry the generation"
    );

    // Restarts run where the work is: a follower sends them to the leader, the leader to the
    // owner.
    let err = a
        .herder
        .restart_connector("multi", false, false)
        .await
        .unwrap_err();
    assert_eq!(
        (err.message.as_str(), err.forward_url.as_deref()),
        (
            "Cannot restart connector since it is not assigned to this member",
            Some("http://b:8083/")
        )
    );
    let err = b.herder.restart_task("multi", 0).await.unwrap_err();
    assert_eq!(
        (err.message.as_str(), err.forward_url.as_deref()),
        (
            "Cannot restart task since it is not assigned to this member",
            Some("http://a:8083/")
        )
    );
    let err = a.herder.restart_task("multi", 1).await.unwrap_err();
    assert_eq!(err.forward_url.as_deref(), Some("http://b:8083/"));
    a.herder.restart_task("multi", 0).await.unwrap();
    let err = b
        .herder
        .restart_connector("multi", true, false)
        .await
        .unwrap_err();
    assert_eq!(
        (err.message.as_str(), err.forward_url.as_deref()),
        (
            "Only the leader can process restart requests.",
            Some("http://a:8083/")
        )
    );
    let err = b.herder.delete_connector("multi").await.unwrap_err();
    assert_eq!(err.message, "Only the leader can delete connector configs.");
    let err = b.herder.stop_connector("multi").await.unwrap_err();
    assert_eq!(
        err.message,
        "Only the leader can transition connectors to the STOPPED state."
    );

    // When B's task is revoked, B stops it before it lets the member go on, and says so.
    let (done, stopped) = oneshot::channel();
    b.events
        .send(MemberEvent::Revoke {
            connectors: Vec::new(),
            tasks: vec![ConnectorTaskId {
                connector: "multi".into(),
                task: 1,
            }],
            done,
        })
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), stopped)
        .await
        .expect("the revocation is confirmed")
        .unwrap();
    let t1 = stores.status.get_task("multi", 1).unwrap();
    assert_eq!(
        (t1.state, t1.worker_id.as_str()),
        (connect_storage::State::Unassigned, "b:8083")
    );
    // and once A gets it, it runs there.
    let at = offset(&stores);
    assign(
        &a,
        Round {
            generation: 4,
            leader: &a,
            connectors: &[],
            tasks: &[("multi", 0), ("multi", 1)],
            offset: at,
            leader_state: None,
        },
    )
    .await;
    assign(
        &b,
        Round {
            generation: 4,
            leader: &a,
            connectors: &["multi"],
            tasks: &[],
            offset: at,
            leader_state: None,
        },
    )
    .await;
    until(
        "task 1 on a",
        || owners(&a.herder, "multi"),
        |(_, t)| t.contains(&(1, State::Running, "a:8083".to_owned())),
    )
    .await;

    // A worker whose config is past the assignment's offset starts nothing new and rejoins.
    a.herder
        .put_connector_config("other", multi("other", 1), false, None)
        .await
        .unwrap();
    let stale = offset(&stores) - 1;
    let before = b.member.rejoins.load(Ordering::SeqCst);
    assign(
        &b,
        Round {
            generation: 5,
            leader: &a,
            connectors: &["multi", "other"],
            tasks: &[],
            offset: stale,
            leader_state: None,
        },
    )
    .await;
    until(
        "b rejoins",
        || async { b.member.rejoins.load(Ordering::SeqCst) },
        |&n| n > before,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        owners(&a.herder, "other").await,
        (None, Vec::new()),
        "not started"
    );

    // Losing membership stops everything and makes the worker unhealthy until it rejoins.
    b.member.status.send_modify(|s| s.joined = false);
    b.events
        .send(MemberEvent::Lost {
            reason: "session timed out".into(),
        })
        .await
        .unwrap();
    until(
        "b unhealthy",
        || b.herder.health(),
        |h| matches!(h, Health::Unhealthy(m) if m.starts_with("The worker is currently ensuring membership in the cluster")),
    )
    .await;
    until(
        "connector stopped on b",
        || owners(&a.herder, "multi"),
        |(c, _)| {
            c.as_ref()
                .is_some_and(|(s, w)| *s == State::Unassigned && w == "b:8083")
        },
    )
    .await;
    cancel.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leader_writes_only_properly_signed_task_configs() {
    let kafka = MockCluster::<DefaultProducerContext>::new(1).unwrap();
    let stores = stores();
    let network = Arc::new(Network::default());
    let cancel = CancellationToken::new();
    let a = start(
        "a:8083",
        &stores,
        &kafka.bootstrap_servers(),
        &network,
        &cancel,
    )
    .await;
    let b = start(
        "b:8083",
        &stores,
        &kafka.bootstrap_servers(),
        &network,
        &cancel,
    )
    .await;
    for w in [&a, &b] {
        assign(
            w,
            Round {
                generation: 1,
                leader: &a,
                connectors: &[],
                tasks: &[],
                offset: offset(&stores),
                leader_state: None,
            },
        )
        .await;
    }
    let key = until(
        "session key",
        || async { stores.config.snapshot().session_key },
        Option::is_some,
    )
    .await
    .unwrap();
    a.herder
        .put_connector_config("c", multi("c", 1), false, None)
        .await
        .unwrap();
    let body = br#"[{"task.class":"x","slot":"0","dropped":null}]"#;
    let signed = KeySettings::default().sign(&key, body).unwrap();
    let sig = |pairs: &[(&'static str, String)]| SignatureHeaders {
        algorithm: pairs[1].1.clone(),
        signature: pairs[0].1.clone(),
    };

    // Unsigned, tampered or sent to a follower, the configs are refused with Kafka's answers.
    let err = a
        .herder
        .put_task_configs("c", body, task_configs(body), None)
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind, err.message.as_str()),
        (
            HerderErrorKind::BadRequest,
            "Internal request missing required signature"
        )
    );
    let err = a
        .herder
        .put_task_configs(
            "c",
            br#"[{"task.class":"y"}]"#,
            task_configs(br#"[{"task.class":"y"}]"#),
            Some(sig(&signed)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind, HerderErrorKind::Forbidden);
    let err = b
        .herder
        .put_task_configs("c", body, task_configs(body), Some(sig(&signed)))
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind, err.message.as_str(), err.forward_url.as_deref()),
        (
            HerderErrorKind::RequestTarget,
            "Only the leader may write task configurations.",
            Some("http://a:8083/")
        )
    );
    let err = a
        .herder
        .put_task_configs("nope", body, task_configs(body), Some(sig(&signed)))
        .await
        .unwrap_err();
    assert_eq!(err.message, "Connector nope not found");
    assert!(stores.config.snapshot().tasks("c").is_empty());

    // Signed with the session key, the leader writes them (a null value is no key).
    a.herder
        .put_task_configs("c", body, task_configs(body), Some(sig(&signed)))
        .await
        .unwrap();
    assert_eq!(
        stores.config.snapshot().tasks("c"),
        [props(&[("task.class", "x"), ("slot", "0")])]
    );
    cancel.cancel();
}

/// `DistributedHerder.fenceZombieSourceTasks`: the signature is checked under `sessioned`, only
/// the leader answers, and it answers success for a source connector it has (with no
/// exactly-once source support there is nothing to fence), Kafka's 404 and 400 otherwise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leader_answers_properly_signed_fences_for_its_source_connectors() {
    let kafka = MockCluster::<DefaultProducerContext>::new(1).unwrap();
    let stores = stores();
    let network = Arc::new(Network::default());
    let cancel = CancellationToken::new();
    let a = start(
        "a:8083",
        &stores,
        &kafka.bootstrap_servers(),
        &network,
        &cancel,
    )
    .await;
    let b = start(
        "b:8083",
        &stores,
        &kafka.bootstrap_servers(),
        &network,
        &cancel,
    )
    .await;
    for w in [&a, &b] {
        assign(
            w,
            Round {
                generation: 1,
                leader: &a,
                connectors: &[],
                tasks: &[],
                offset: offset(&stores),
                leader_state: None,
            },
        )
        .await;
    }
    let key = until(
        "session key",
        || async { stores.config.snapshot().session_key },
        Option::is_some,
    )
    .await
    .unwrap();
    a.herder
        .put_connector_config("c", multi("c", 1), false, None)
        .await
        .unwrap();
    // A connector whose plugin this worker lacks is no source connector (`ConnectorType.UNKNOWN`).
    stores
        .config
        .put_connector_config(
            "snk",
            &props(&[
                ("name", "snk"),
                (
                    "connector.class",
                    "org.apache.kafka.connect.file.FileStreamSinkConnector",
                ),
                ("topics", "t"),
            ]),
            None,
        )
        .await
        .unwrap();
    let signed = KeySettings::default().sign(&key, b"").unwrap();
    let sig = SignatureHeaders {
        algorithm: signed[1].1.clone(),
        signature: signed[0].1.clone(),
    };
    let answer = |w: &Worker, name: &str, body: &'static [u8], sig: Option<SignatureHeaders>| {
        let herder = w.herder.clone();
        let name = name.to_owned();
        async move {
            herder
                .fence_zombie_source_tasks(&name, body, sig)
                .await
                .map_err(|e| (e.kind, e.message, e.forward_url))
        }
    };

    assert_eq!(answer(&a, "c", b"", Some(sig.clone())).await, Ok(()));
    assert_eq!(
        answer(&a, "c", b"", None).await,
        Err((
            HerderErrorKind::BadRequest,
            "Internal request missing required signature".to_owned(),
            None
        ))
    );
    assert_eq!(
        answer(&a, "c", b"{}", Some(sig.clone())).await,
        Err((
            HerderErrorKind::Forbidden,
            "Internal request contained invalid signature.".to_owned(),
            None
        ))
    );
    assert_eq!(
        answer(&b, "c", b"", Some(sig.clone())).await,
        Err((
            HerderErrorKind::RequestTarget,
            "Only the leader may perform zombie fencing.".to_owned(),
            Some("http://a:8083/".to_owned())
        ))
    );
    // A follower checks the signature before it sends the request on.
    assert_eq!(
        answer(&b, "c", b"", None).await,
        Err((
            HerderErrorKind::BadRequest,
            "Internal request missing required signature".to_owned(),
            None
        ))
    );
    assert_eq!(
        answer(&a, "nope", b"", Some(sig.clone())).await,
        Err((
            HerderErrorKind::NotFound,
            "Connector nope not found".to_owned(),
            None
        ))
    );
    assert_eq!(
        answer(&a, "snk", b"", Some(sig.clone())).await,
        Err((
            HerderErrorKind::BadRequest,
            "Connector snk is not a source connector".to_owned(),
            None
        ))
    );
    cancel.cancel();
}

/// What the REST resource reads from a task-configs body (null values dropped).
fn task_configs(body: &[u8]) -> Option<Vec<Props>> {
    let parsed: Option<Vec<std::collections::BTreeMap<String, Option<String>>>> =
        serde_json::from_slice(body).ok()?;
    parsed.map(|list| {
        list.into_iter()
            .map(|m| m.into_iter().filter_map(|(k, v)| Some((k, v?))).collect())
            .collect()
    })
}

/// The `GET /metrics` sample lines of a worker (Strimzi's names).
async fn scrape(w: &Worker) -> Vec<String> {
    Herder::metrics(&w.herder, connect_runtime::metrics::Names::Strimzi)
        .await
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

fn sample<'a>(lines: &'a [String], name: &str) -> Option<&'a str> {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_exports_its_rebalances_as_kafkas_worker_rebalance_metrics() {
    let kafka = MockCluster::<DefaultProducerContext>::new(1).unwrap();
    let stores = stores();
    let network = Arc::new(Network::default());
    let cancel = CancellationToken::new();
    let a = start(
        "a:8083",
        &stores,
        &kafka.bootstrap_servers(),
        &network,
        &cancel,
    )
    .await;

    // Before the first assignment: generation 0, no rebalance yet, no leader.
    let before = scrape(&a).await;
    assert_eq!(
        sample(&before, "kafka_connect_worker_rebalance_epoch"),
        Some("0.0"),
        "{before:#?}"
    );
    assert_eq!(
        sample(
            &before,
            "kafka_connect_worker_rebalance_completed_rebalances_total"
        ),
        Some("0.0")
    );
    assert_eq!(
        sample(&before, "kafka_connect_worker_rebalance_rebalancing"),
        Some("0.0")
    );
    assert_eq!(
        sample(
            &before,
            "kafka_connect_worker_rebalance_time_since_last_rebalance_ms"
        ),
        Some("inf")
    );
    assert!(
        !before.iter().any(|l| l.contains("leader_name")),
        "{before:#?}"
    );

    // A completed rebalance: counted, not rebalancing, with its generation, leader and protocol.
    assign(
        &a,
        Round {
            generation: 3,
            leader: &a,
            connectors: &[],
            tasks: &[],
            offset: offset(&stores),
            leader_state: None,
        },
    )
    .await;
    let after = until(
        "one completed rebalance",
        || scrape(&a),
        |l| {
            sample(
                l,
                "kafka_connect_worker_rebalance_completed_rebalances_total",
            ) == Some("1.0")
        },
    )
    .await;
    assert_eq!(
        sample(&after, "kafka_connect_worker_rebalance_epoch"),
        Some("3.0")
    );
    assert_eq!(
        sample(&after, "kafka_connect_worker_rebalance_rebalancing"),
        Some("0.0")
    );
    assert_eq!(
        sample(
            &after,
            r#"kafka_connect_worker_rebalance_leader_name{leader_name="http://a:8083/"}"#
        ),
        Some("1.0"),
        "{after:#?}"
    );
    assert_eq!(
        sample(
            &after,
            r#"kafka_connect_worker_rebalance_connect_protocol{connect_protocol="SESSIONED"}"#
        ),
        Some("1.0")
    );
    for name in [
        "kafka_connect_worker_rebalance_rebalance_max_time_ms",
        "kafka_connect_worker_rebalance_rebalance_avg_time_ms",
        "kafka_connect_worker_rebalance_time_since_last_rebalance_ms",
    ] {
        let v: f64 = sample(&after, name).unwrap().parse().unwrap();
        assert!((0.0..20_000.0).contains(&v), "{name} {v}");
    }

    // An assignment made at a config offset this worker cannot read to is not acted upon:
    // the worker stays rebalancing until one completes.
    assign(
        &a,
        Round {
            generation: 4,
            leader: &a,
            connectors: &[],
            tasks: &[],
            offset: offset(&stores) + 5,
            leader_state: None,
        },
    )
    .await;
    let pending = until(
        "rebalancing",
        || scrape(&a),
        |l| sample(l, "kafka_connect_worker_rebalance_rebalancing") == Some("1.0"),
    )
    .await;
    assert_eq!(
        sample(&pending, "kafka_connect_worker_rebalance_epoch"),
        Some("4.0")
    );
    assert_eq!(
        sample(
            &pending,
            "kafka_connect_worker_rebalance_completed_rebalances_total"
        ),
        Some("1.0")
    );
    assign(
        &a,
        Round {
            generation: 5,
            leader: &a,
            connectors: &[],
            tasks: &[],
            offset: offset(&stores),
            leader_state: None,
        },
    )
    .await;
    let done = until(
        "two completed rebalances",
        || scrape(&a),
        |l| {
            sample(
                l,
                "kafka_connect_worker_rebalance_completed_rebalances_total",
            ) == Some("2.0")
        },
    )
    .await;
    assert_eq!(
        sample(&done, "kafka_connect_worker_rebalance_rebalancing"),
        Some("0.0")
    );
    cancel.cancel();
}

// --------------------------------------------------------------- a follower behind the leader

/// A follower's view of the config topic that the leader writes to: it shows the records only
/// once `refresh` (a read to the end of the topic) has taken `read_time`, as a worker that has
/// not consumed the latest records yet.
#[derive(Debug)]
struct Lagging {
    topic: Arc<MemoryConfigStore>,
    seen: watch::Sender<ClusterConfigState>,
    read_time: Duration,
}

impl Lagging {
    fn new(topic: Arc<MemoryConfigStore>, read_time: Duration) -> Self {
        let seen = watch::Sender::new(topic.snapshot());
        Lagging {
            topic,
            seen,
            read_time,
        }
    }
}

#[async_trait]
impl ConfigStore for Lagging {
    async fn put_connector_config(
        &self,
        name: &str,
        props: &Props,
        target_state: Option<TargetState>,
    ) -> Result<(), StoreError> {
        self.topic
            .put_connector_config(name, props, target_state)
            .await
    }

    async fn remove_connector(&self, name: &str) -> Result<(), StoreError> {
        self.topic.remove_connector(name).await
    }

    async fn put_task_configs(&self, name: &str, configs: &[Props]) -> Result<(), StoreError> {
        self.topic.put_task_configs(name, configs).await
    }

    async fn put_target_state(&self, name: &str, state: TargetState) -> Result<(), StoreError> {
        self.topic.put_target_state(name, state).await
    }

    async fn put_restart_request(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<(), StoreError> {
        self.topic
            .put_restart_request(name, include_tasks, only_failed)
            .await
    }

    async fn put_logger_level(&self, namespace: &str, level: &str) -> Result<(), StoreError> {
        self.topic.put_logger_level(namespace, level).await
    }

    async fn put_session_key(&self, key: &SessionKey) -> Result<(), StoreError> {
        self.topic.put_session_key(key).await
    }

    async fn refresh(&self) -> Result<(), StoreError> {
        tokio::time::sleep(self.read_time).await;
        self.seen.send_replace(self.topic.snapshot());
        Ok(())
    }

    fn snapshot(&self) -> ClusterConfigState {
        self.seen.borrow().clone()
    }

    fn subscribe(&self) -> watch::Receiver<ClusterConfigState> {
        self.seen.subscribe()
    }
}

/// A leader `a` on the config topic and a follower `b` whose view of it lags (reading to its
/// end takes `read_time`); `a` has created connector `late` since `b` last read it.
async fn follower_behind(read_time: Duration) -> Behind {
    if let Ok(f) = std::env::var("TEST_LOG") {
        tracing_subscriber::fmt().with_env_filter(f).try_init().ok();
    }
    let kafka = MockCluster::<DefaultProducerContext>::new(1).unwrap();
    let topic = Arc::new(MemoryConfigStore::new());
    let leader_stores = Stores {
        config: topic.clone(),
        offsets: Arc::new(MemoryOffsetStore::new()),
        status: Arc::new(MemoryStatusStore::new()),
    };
    let follower_stores = Stores {
        config: Arc::new(Lagging::new(topic, read_time)),
        ..leader_stores.clone()
    };
    let network = Arc::new(Network::default());
    let cancel = CancellationToken::new();
    let bootstrap = kafka.bootstrap_servers();
    let a = start("a:8083", &leader_stores, &bootstrap, &network, &cancel).await;
    let b = start("b:8083", &follower_stores, &bootstrap, &network, &cancel).await;
    assign(
        &a,
        Round {
            generation: 1,
            leader: &a,
            connectors: &[],
            tasks: &[],
            offset: offset(&leader_stores),
            leader_state: None,
        },
    )
    .await;
    until("a healthy", || a.herder.health(), |h| *h == Health::Healthy).await;
    // The leader writes its session key just after it takes the assignment; wait for it, or
    // it may land after the offset the next round's assignment names, and `b` (rightly)
    // finds itself ahead of that assignment and rejoins instead of starting `late`.
    until(
        "a's session key",
        || async { leader_stores.config.snapshot().session_key.is_some() },
        |written| *written,
    )
    .await;
    a.herder
        .put_connector_config("late", multi("late", 1), false, None)
        .await
        .unwrap();
    assert!(
        follower_stores.config.snapshot().offset < offset(&leader_stores),
        "b has not read the new records yet"
    );
    Behind {
        a,
        b,
        stores: leader_stores,
        cancel,
        _kafka: kafka,
    }
}

/// [`follower_behind`]'s cluster.
struct Behind {
    a: Worker,
    b: Worker,
    /// The leader's.
    stores: Stores,
    cancel: CancellationToken,
    _kafka: MockCluster<'static, DefaultProducerContext>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_behind_the_assignments_config_offset_reads_up_to_it_before_starting_the_work() {
    let Behind {
        a,
        b,
        stores,
        cancel,
        _kafka,
    } = follower_behind(Duration::from_millis(500)).await;
    // Given an assignment made at an offset the follower has not read yet,
    assign(
        &b,
        Round {
            generation: 2,
            leader: &a,
            connectors: &["late"],
            tasks: &[],
            offset: offset(&stores),
            leader_state: None,
        },
    )
    .await;
    // then it reads the config topic up to it and runs the work, without rejoining.
    until(
        "late running on b",
        || owners(&a.herder, "late"),
        |(c, _)| {
            c.as_ref()
                .is_some_and(|(s, w)| *s == State::Running && w == "b:8083")
        },
    )
    .await;
    assert_eq!(b.member.rejoins.load(Ordering::SeqCst), 0);
    assert!(b.member.backoffs.lock().unwrap().is_empty());
    cancel.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_that_cannot_read_up_to_the_assignments_config_offset_in_time_leaves_and_backs_off()
 {
    // Reading the config topic to its end takes longer than worker.sync.timeout.ms (3 s here).
    let Behind {
        a,
        b,
        stores,
        cancel,
        _kafka,
    } = follower_behind(Duration::from_secs(30)).await;
    assign(
        &b,
        Round {
            generation: 2,
            leader: &a,
            connectors: &["late"],
            tasks: &[],
            offset: offset(&stores),
            leader_state: None,
        },
    )
    .await;
    // As Kafka's herder, it leaves the group for worker.unsync.backoff.ms,
    // so that its work goes to the others, and starts nothing.
    let backoffs = until(
        "b backs off",
        || async { b.member.backoffs.lock().unwrap().clone() },
        |b| !b.is_empty(),
    )
    .await;
    let (reason, pause) = &backoffs[0];
    assert_eq!(*pause, UNSYNC_BACKOFF);
    assert!(
        reason.starts_with(
            "Didn't reach end of config log quickly enough (worker.sync.timeout.ms = 3000 ms)"
        ),
        "{reason}"
    );
    assert_eq!(b.member.rejoins.load(Ordering::SeqCst), 0);
    assert_eq!(owners(&a.herder, "late").await.0, None, "not started");
    cancel.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_whose_config_topic_ends_before_the_assignments_offset_leaves_and_says_why() {
    let kafka = MockCluster::<DefaultProducerContext>::new(1).unwrap();
    let stores = stores();
    let network = Arc::new(Network::default());
    let cancel = CancellationToken::new();
    let bootstrap = kafka.bootstrap_servers();
    let a = start("a:8083", &stores, &bootstrap, &network, &cancel).await;
    // Given a worker whose config topic is another, empty one,
    let odd_stores = Stores {
        config: Arc::new(MemoryConfigStore::new()),
        ..stores.clone()
    };
    let odd = start("odd:8083", &odd_stores, &bootstrap, &network, &cancel).await;
    assign(
        &a,
        Round {
            generation: 1,
            leader: &a,
            connectors: &[],
            tasks: &[],
            offset: offset(&stores),
            leader_state: None,
        },
    )
    .await;
    a.herder
        .put_connector_config("multi", multi("multi", 1), false, None)
        .await
        .unwrap();
    // when the leader assigns it work at the offset of the leader's config topic (read once:
    // the leader goes on writing the connector's task configs),
    let assigned_at = offset(&stores);
    assign(
        &odd,
        Round {
            generation: 2,
            leader: &a,
            connectors: &["multi"],
            tasks: &[],
            offset: assigned_at,
            leader_state: None,
        },
    )
    .await;
    // then it reads its own topic to the end, finds itself still behind, and leaves the group
    // rather than rejoining at once for the same assignment, saying why,
    let backoffs = until(
        "odd backs off",
        || async { odd.member.backoffs.lock().unwrap().clone() },
        |b| !b.is_empty(),
    )
    .await;
    let (reason, pause) = &backoffs[0];
    assert_eq!(*pause, UNSYNC_BACKOFF);
    let want = format!(
        "The config topic (config.storage.topic) ends at offset {}, before the group's assignment at config offset {}",
        offset(&odd_stores),
        assigned_at
    );
    assert!(reason.starts_with(&want), "{reason}");
    assert_eq!(odd.member.rejoins.load(Ordering::SeqCst), 0);
    // and runs nothing.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(owners(&a.herder, "multi").await.0, None, "not started");
    cancel.cancel();
}
