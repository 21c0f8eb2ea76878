//! S3 sink throughput against the broker's ceiling (not a test: `harness = false`).
//!
//! Preloads N clickstream-like JSON records (~350 bytes) into a 3-partition topic, then for
//! JSON and for JSON+gzip: times a bare rdkafka consumer reading the same N records
//! (`fetch.wait.max.ms=10`, partitions assigned), and one that joins a consumer group with the
//! sink's membership (static unless `CONNECT_SLUICE_SINK_STATIC_MEMBERSHIP=false`); then times
//! the sink twice until the bucket holds all N records (N / flush.size objects: the last key of
//! each partition polled by HEAD every 50 ms, then one LIST; the count is then verified by
//! reading every object back, untimed):
//! - running: created paused, resumed once its consumer holds its partitions, timed from the
//!   resume. The headline: a sink's throughput as it runs, against the bare consumer;
//! - cold: timed from `POST /connectors`, so it includes task start and the group join (on
//!   tansu 6 s for a static member, which a bare consumer never pays).
//!
//! The worker's CPU time comes from `/proc/<pid>/stat` (utime + stime) over the same window.
//!
//! Run through `scripts/bench_s3_sink.sh` (builds the release worker, sets the endpoints).
//! Env: BENCH_RECORDS (600000), BENCH_FLUSH (20000), KAFKA_BOOTSTRAP, S3_ENDPOINT, SLUICE_BIN.

use std::io::Read as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use connect_e2e::{BoxError, Broker, S3, Worker, random_name};
use futures::TryStreamExt as _;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt as _};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use serde_json::json;

const PARTITIONS: i32 = 3;
const EVENTS: [&str; 5] = [
    "page_view",
    "add_to_cart",
    "purchase",
    "email_click",
    "search",
];

fn env_usize(k: &str, d: usize) -> usize {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

/// A clickstream event of about 350 bytes.
fn event(i: usize) -> String {
    json!({
        "event_id": format!("{:016x}-{:08x}", (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15), i),
        "customer_id": format!("{:032x}", (i as u128 % 99_991).wrapping_mul(0x2545_f491_4f6c_dd1d)),
        "session_id": format!("s-{:012}", i / 17),
        "timestamp": format!("2017-01-{:02}T{:02}:{:02}:{:02}.{:06}", 1 + i % 28, i % 24, i % 60, (i / 60) % 60, i % 1_000_000),
        "daily": format!("2017-01-{:02}", 1 + i % 28),
        "EVENTS_TOPIC_NAME": EVENTS[i % EVENTS.len()],
        "event_value": i % 2,
        "page_url": format!("https://shop.example.com/product/{}/details?ref=campaign-{}", i % 10_007, i % 13),
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",
        "price": (i % 5000) as f64 / 7.0,
    })
    .to_string()
}

async fn preload(bootstrap: &str, topic: &str, n: usize) -> Result<u64, BoxError> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()?;
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    for r in admin
        .create_topics(
            [&NewTopic::new(
                topic,
                PARTITIONS,
                TopicReplication::Fixed(1),
            )],
            &opts,
        )
        .await?
    {
        r.map_err(|(t, e)| format!("creating {t}: {e}"))?;
    }
    let p: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "20")
        .set("batch.size", "1000000")
        .set("queue.buffering.max.messages", "1000000")
        .set("message.timeout.ms", "300000")
        .create()?;
    let mut bytes = 0u64;
    let values: Vec<String> = (0..n).map(event).collect();
    for (c, chunk) in values.chunks(20_000).enumerate() {
        let sends = chunk.iter().enumerate().map(|(j, v)| {
            let i = c * 20_000 + j;
            let rec: FutureRecord<'_, (), str> = FutureRecord::to(topic)
                .partition((i % PARTITIONS as usize) as i32)
                .payload(v.as_str());
            p.send(rec, Duration::from_secs(300))
        });
        for d in futures::future::join_all(sends).await {
            d.map_err(|(e, _)| format!("produce: {e}"))?;
        }
        bytes += chunk.iter().map(|v| v.len() as u64).sum::<u64>();
    }
    Ok(bytes)
}

/// Seconds for a bare consumer to read all `n` records from the beginning.
fn bare_consumer(bootstrap: &str, topic: &str, n: usize) -> Result<f64, BoxError> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", random_name("bench-bare"))
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", "10")
        .create()?;
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition_offset(topic, p, Offset::Beginning)?;
    }
    let start = Instant::now();
    c.assign(&tpl)?;
    drain(&c, n, start, "bare consumer")
}

/// Polls `c` until it has read `n` records; seconds since `start`.
fn drain(c: &BaseConsumer, n: usize, start: Instant, what: &str) -> Result<f64, BoxError> {
    let mut seen = 0usize;
    let mut bytes = 0usize;
    while seen < n {
        if start.elapsed() > Duration::from_secs(600) {
            return Err(format!("{what} read {seen} of {n}").into());
        }
        if let Some(m) = c.poll(Duration::from_millis(100)) {
            bytes += m?.payload().map_or(0, <[u8]>::len);
            seen += 1;
        }
    }
    std::hint::black_box(bytes);
    Ok(start.elapsed().as_secs_f64())
}

/// Seconds for a consumer that joins a group as the sink does (subscribe; a static member
/// unless `CONNECT_SLUICE_SINK_STATIC_MEMBERSHIP=false`) to read all `n` records. It pays the
/// same group join as the sink — on tansu 6 s for a static member — so the ratio against it is
/// the sink's own cost.
fn group_consumer(bootstrap: &str, topic: &str, n: usize) -> Result<f64, BoxError> {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("group.id", random_name("bench-group"))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", "10");
    if std::env::var("CONNECT_SLUICE_SINK_STATIC_MEMBERSHIP").as_deref() != Ok("false") {
        config.set("group.instance.id", random_name("bench-member"));
    }
    let start = Instant::now();
    let c: BaseConsumer = config.create()?;
    c.subscribe(&[topic])?;
    drain(&c, n, start, "group consumer")
}

fn cpu_secs(pid: u32) -> Result<f64, BoxError> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the `(comm)`: state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')').ok_or("bad stat")?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f[11].parse::<u64>()? + f[12].parse::<u64>()?;
    Ok(ticks as f64 / 100.0)
}

async fn count_lines(store: &dyn ObjectStore, keys: &[String]) -> Result<(usize, u64), BoxError> {
    let mut lines = 0;
    let mut stored = 0u64;
    for k in keys {
        let b = store.get(&ObjPath::from(k.as_str())).await?.bytes().await?;
        stored += b.len() as u64;
        let text = if k.ends_with(".gz") {
            let mut s = String::new();
            flate2::read::MultiGzDecoder::new(&b[..]).read_to_string(&mut s)?;
            s
        } else {
            String::from_utf8(b.to_vec())?
        };
        lines += text.lines().count();
    }
    Ok((lines, stored))
}

struct Run {
    secs: f64,
    cpu: f64,
    stored: u64,
}

/// One sink run. `warm`: the connector is created paused (`initial_state`), and the clock starts
/// when it is resumed after its consumer has joined the group and got its partitions — the
/// throughput of a running sink, without the one-time start (on tansu 6 s for a static member).
/// Otherwise the clock starts at `POST /connectors`.
#[allow(clippy::too_many_arguments)]
async fn sink_run(
    worker: &Worker,
    s3: &S3,
    store: &dyn ObjectStore,
    topic: &str,
    n: usize,
    flush: usize,
    gzip: bool,
    warm: bool,
) -> Result<Run, BoxError> {
    let dir = random_name(if gzip { "bench_gzip" } else { "bench_json" });
    let name = random_name("bench-sink");
    let config = json!({
        "connector.class": "io.confluent.connect.s3.S3SinkConnector",
        "topics": topic, "topics.dir": dir, "tasks.max": "1",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "key.converter.schemas.enable": "false",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
        "format.class": "io.confluent.connect.s3.format.json.JsonFormat",
        "s3.compression.type": if gzip { "gzip" } else { "none" },
        "flush.size": flush.to_string(),
        "storage.class": "io.confluent.connect.s3.storage.S3Storage",
        "store.url": s3.endpoint(), "s3.region": "us-east-1", "s3.bucket.name": s3.bucket(),
        "aws.access.key.id": s3.access_key(), "aws.secret.access.key": s3.secret_key(),
        // The bare and group consumers' fetch setting, so the ratio is the sink's own cost.
        // (The runtime's default is 50 ms: tansu holds every fetch that long even when data
        // is ready, and at 10 ms each idle sink costs it ~100 fetches a second.)
        "consumer.override.fetch.wait.max.ms": "10",
    });
    let pid = worker.pid().ok_or("no worker pid")?;
    let want = n / flush;
    let rest = worker.rest();
    let mut cpu0 = cpu_secs(pid)?;
    let mut start = Instant::now();
    let body = if warm {
        json!({"name": name, "config": config, "initial_state": "PAUSED"})
    } else {
        json!({"name": name, "config": config})
    };
    let r = rest.post("/connectors", &body).await?;
    if r.status != 201 {
        return Err(format!("create: {} {}", r.status, r.text).into());
    }
    if warm {
        // The runtime logs each assignment; all partitions land in one (one task).
        let assigned = |log: &str| {
            log.lines().any(|l| {
                l.contains("Adding newly assigned partitions.") && l.contains(name.as_str())
            })
        };
        while !assigned(&worker.log_tail(500)) {
            if start.elapsed() > Duration::from_secs(120) {
                return Err(
                    format!("{name} never got its partitions\n{}", worker.log_tail(40)).into(),
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        cpu0 = cpu_secs(pid)?;
        start = Instant::now();
        let r = rest
            .put_empty(&format!("/connectors/{name}/resume"))
            .await?;
        if r.status != 202 {
            return Err(format!("resume: {} {}", r.status, r.text).into());
        }
    }
    // Done when the last object of every partition exists (a HEAD each, cheap), then confirmed
    // by one LIST. Polling LIST itself every 50 ms kept s3s-fs at ~70 % of a core (it walks
    // the whole shared bucket), CPU the broker then lacked on this 2-core machine.
    let per_partition = n / PARTITIONS as usize;
    let ext = if gzip { "json.gz" } else { "json" };
    let last_keys: Vec<ObjPath> = (0..PARTITIONS)
        .map(|p| {
            ObjPath::from(format!(
                "{dir}/{topic}/partition={p}/{topic}+{p}+{:010}.{ext}",
                per_partition - flush
            ))
        })
        .collect();
    let prefix = ObjPath::from(dir.as_str());
    let keys: Vec<String> = loop {
        let mut all_there = true;
        for k in &last_keys {
            if store.head(k).await.is_err() {
                all_there = false;
                break;
            }
        }
        if all_there {
            let keys: Vec<String> = store
                .list(Some(&prefix))
                .map_ok(|m| m.location.to_string())
                .try_collect()
                .await?;
            if keys.len() >= want {
                break keys;
            }
        }
        if start.elapsed() > Duration::from_secs(900) {
            return Err(format!("objects incomplete\n{}", worker.log_tail(40)).into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_secs(pid)? - cpu0;
    let (lines, stored) = count_lines(store, &keys).await?;
    if lines != n {
        return Err(format!("{dir}: {lines} records in {} objects, want {n}", keys.len()).into());
    }
    rest.delete_connector(&name).await?;
    // The bucket is the stack's: leave it as it was (s3s-fs LISTs slow down as it grows).
    for k in &keys {
        store.delete(&ObjPath::from(k.as_str())).await?;
    }
    Ok(Run { secs, cpu, stored })
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let n = env_usize("BENCH_RECORDS", 600_000);
    let flush = env_usize("BENCH_FLUSH", 20_000);
    if !n.is_multiple_of(flush * PARTITIONS as usize) {
        return Err("BENCH_RECORDS must be a multiple of 3 * BENCH_FLUSH".into());
    }
    let broker = Broker::try_shared().await?;
    let s3 = S3::try_shared().await?;
    let store: Arc<dyn ObjectStore> = Arc::new(
        AmazonS3Builder::new()
            .with_endpoint(s3.endpoint())
            .with_allow_http(true)
            .with_virtual_hosted_style_request(false)
            .with_bucket_name(s3.bucket())
            .with_region(s3.region())
            .with_access_key_id(s3.access_key())
            .with_secret_access_key(s3.secret_key())
            .build()?,
    );
    let topic = random_name("bench_clickstream");
    let t = Instant::now();
    let bytes = preload(broker.bootstrap(), &topic, n).await?;
    let avg = bytes as f64 / n as f64;
    eprintln!(
        "preloaded {n} records ({:.1} MB, {avg:.0} B avg) into {topic} in {:.1}s",
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let worker = Worker::builder().start().await?;
    eprintln!(
        "worker {} pid {:?}",
        Worker::binary()?.display(),
        worker.pid()
    );

    println!(
        "| format | bare consumer rec/s | group consumer rec/s | running sink s | running sink rec/s | running sink MB/s (input) | **ratio running sink vs bare** | rec/s per CPU-s | cold sink s | cold ratio vs bare | cold ratio vs group | stored MB |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for gzip in [false, true] {
        let bare = bare_consumer(broker.bootstrap(), &topic, n)?;
        let group = group_consumer(broker.bootstrap(), &topic, n)?;
        let cold = sink_run(&worker, s3, &*store, &topic, n, flush, gzip, false).await?;
        let warm = sink_run(&worker, s3, &*store, &topic, n, flush, gzip, true).await?;
        let rate = n as f64 / warm.secs;
        let bare_rate = n as f64 / bare;
        let group_rate = n as f64 / group;
        let cold_rate = n as f64 / cold.secs;
        println!(
            "| {} | {:.0} | {:.0} | {:.2} | {:.0} | {:.1} | **{:.2}** | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} |",
            if gzip { "JSON+gzip" } else { "JSON" },
            bare_rate,
            group_rate,
            warm.secs,
            rate,
            bytes as f64 / warm.secs / 1e6,
            rate / bare_rate,
            n as f64 / warm.cpu,
            cold.secs,
            cold_rate / bare_rate,
            cold_rate / group_rate,
            warm.stored as f64 / 1e6,
        );
        eprintln!(
            "{}: cold run {:.2} CPU-s ({:.0} rec/s per CPU-s)",
            if gzip { "JSON+gzip" } else { "JSON" },
            cold.cpu,
            n as f64 / cold.cpu
        );
    }
    Ok(())
}
