"""`GET /metrics` of the running worker (CONNECT_URL), read with the official Prometheus client's
OpenMetrics parser: the exposition must parse, carry the JMX exporter names under both rule
sets, and count a FileStream source's records exactly. Scraped all along a MySQL -> S3 pipeline
(MYSQL_URL, KAFKA_BOOTSTRAP, S3_ENDPOINT), every exposition parses, its counters never go
down, and its counts match the rows moved and the objects in the bucket, with the sink's lag
drained to zero; a dead letter queue run shows in the error series. Skipped without
CONNECT_IT=1. tests/metrics.rs checks the same pipeline with a hand-written parser.
"""

import json
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "demo"))

import sluice_demo as demo  # noqa: E402

pytestmark = pytest.mark.skipif(
    os.environ.get("CONNECT_IT") != "1", reason="set CONNECT_IT=1 (scripts/test.sh does)"
)

CONNECT_URL = os.environ.get("CONNECT_URL", "http://127.0.0.1:8083").rstrip("/")


def scrape(names=None):
    url = f"{CONNECT_URL}/metrics" + (f"?names={names}" if names else "")
    # What Prometheus sends: the worker must answer in the exposition format whatever it accepts.
    req = urllib.request.Request(
        url, headers={"Accept": "application/openmetrics-text;version=1.0.0,text/plain;q=0.5"}
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("application/openmetrics-text")
        text = resp.read().decode()
    return {f.name: f for f in text_string_to_metric_families(text)}


def sample(families, family, name=None, **labels):
    f = families.get(family)
    if f is None:
        return None
    for s in f.samples:
        if (name is None or s.name == name) and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return None


def rest(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        f"{CONNECT_URL}{path}", data=data, method=method,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.status


def test_the_exposition_parses_and_has_worker_and_process_families():
    families = scrape()
    assert families["kafka_connect_worker_connector_count"].type == "gauge"
    assert families["kafka_connect_worker_task_startup_attempts"].type == "counter"
    assert families["process_cpu_seconds"].type == "counter"
    assert sample(families, "process_resident_memory_bytes") > 1_000_000
    assert sample(families, "process_open_fds") >= 3
    confluent = scrape("confluent")
    assert sample(confluent, "kafka_connect_connect_worker_metrics_connector_count",
                  connector="aggregate") is not None


def test_a_filestream_source_counts_every_line_it_writes():
    name = f"metrics-py-{uuid.uuid4().hex[:8]}"
    lines = 50
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("".join(f"line {i}\n" for i in range(lines)))
        path = f.name
    status = rest("POST", "/connectors", {"name": name, "config": {
        "connector.class": "FileStreamSource", "file": path, "topic": name, "tasks.max": "1"}})
    assert status == 201
    try:
        deadline = time.monotonic() + 60
        written = None
        while time.monotonic() < deadline:
            families = scrape()
            written = sample(families, "kafka_connect_source_task_source_record_write",
                             "kafka_connect_source_task_source_record_write_total",
                             connector=name, task="0")
            if written == lines:
                break
            time.sleep(0.5)
        assert written == lines
        assert sample(families, "kafka_connect_source_task_source_record_poll",
                      connector=name, task="0") == lines
        assert sample(families, "kafka_connect_connector_task_status",
                      connector=name, task="0", status="running") == 1
        confluent = scrape("confluent")
        assert sample(confluent, "kafka_connect_source_task_metrics_source_record_write",
                      connector=name, task="0") == lines
    finally:
        rest("DELETE", f"/connectors/{name}")
        os.unlink(path)


def debezium(families, attribute, prefix, **labels):
    """A Debezium series of the connector whose `topic.prefix` is `prefix` (its `name` label,
    which `sample`'s own `name` parameter would shadow)."""
    f = families.get(f"debezium_metrics_{attribute}")
    for s in f.samples if f else []:
        if s.labels.get("name") == prefix and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return None


def total(families, family, **labels):
    """A counter's value (the family's `_total` sample)."""
    return sample(families, family, f"{family}_total", **labels)


def counters(families, connectors):
    """Every counter sample of `connectors`' series: {(name, labels): value}."""
    out = {}
    for f in families.values():
        if f.type != "counter":
            continue
        for s in f.samples:
            if s.name.endswith("_total") and s.labels.get("connector") in connectors:
                out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def connector_state(name):
    req = urllib.request.Request(f"{CONNECT_URL}/connectors/{name}/status",
                                 headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError:
        return None


def wait_running(name, timeout=90):
    deadline = time.monotonic() + timeout
    st = None
    while time.monotonic() < deadline:
        st = connector_state(name)
        if st and st["connector"]["state"] == "RUNNING" and st["tasks"] and all(
            t["state"] == "RUNNING" for t in st["tasks"]
        ):
            return
        time.sleep(0.5)
    pytest.fail(f"{name} not running: {st}")


def services():
    """The stack's settings, skipping when the worker lacks the pipeline's plugins."""
    url = urlparse(os.environ.get("MYSQL_URL", "mysql://root:debezium@127.0.0.1:3306"))
    env = dict(os.environ, CONNECT_URL=CONNECT_URL)
    env.setdefault("MYSQL_HOST", url.hostname or "127.0.0.1")
    env.setdefault("MYSQL_PORT", str(url.port or 3306))
    env.setdefault("MYSQL_USER", url.username or "root")
    env.setdefault("MYSQL_PASSWORD", url.password or "debezium")
    s = demo.Settings.from_env(env)
    missing = demo.missing_plugins(s)
    if missing:
        pytest.skip(f"worker lacks plugins: {', '.join(missing)}")
    return s


def test_a_mysql_to_s3_pipeline_scraped_while_it_runs_counts_what_it_moved():
    s = services()
    suffix = uuid.uuid4().hex[:8]
    db, prefix = f"metrics_py_{suffix}", f"metrics_py_{suffix}"
    src, sink, topics_dir = f"metrics-py-src-{suffix}", f"metrics-py-s3-{suffix}", f"metrics-py-{suffix}"
    topic = f"{prefix}.{db}.orders"
    conn = demo.mysql_connect(s, None)
    s3 = demo.s3_client(s)

    def insert(ids):
        with conn.cursor() as cur:
            cur.execute(f"INSERT INTO `{db}`.orders VALUES "
                        + ",".join(f"({i}, 'o{i}')" for i in ids))

    try:
        # Given 300 rows for the snapshot, then 200 streamed in four transactions.
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{db}`")
            cur.execute(f"CREATE TABLE `{db}`.orders (id bigint PRIMARY KEY, note varchar(32))")
        insert(range(300))
        assert rest("POST", "/connectors", {"name": src, "config": {
            "connector.class": demo.MYSQL_CLASS, "tasks.max": "1",
            "database.hostname": s.mysql_host, "database.port": str(s.mysql_port),
            "database.user": "debezium", "database.password": "dbz",
            "database.server.id": str(uuid.uuid4().int % 2_000_000_000 + 100_000),
            "database.include.list": db, "topic.prefix": prefix,
            "schema.history.internal.kafka.bootstrap.servers": s.bootstrap,
            "schema.history.internal.kafka.topic": f"schema-changes.{db}",
            # One partition: every S3 file of 100 records closes, so the sink commits them all.
            "topic.creation.default.replication.factor": "1",
            "topic.creation.default.partitions": "1",
        }}) == 201
        wait_running(src)
        for k in range(4):
            insert(range(300 + 50 * k, 350 + 50 * k))
        assert rest("POST", "/connectors", {"name": sink, "config": {
            "connector.class": demo.S3_CLASS, "topics": topic, "topics.dir": topics_dir,
            "format.class": "io.confluent.connect.s3.format.json.JsonFormat",
            "flush.size": "100", "store.url": s.s3_endpoint,
            "storage.class": "io.confluent.connect.s3.storage.S3Storage",
            "s3.region": "us-east-1", "s3.bucket.name": s.bucket,
            "aws.access.key.id": s.s3_access_key, "aws.secret.access.key": s.s3_secret_key,
        }}) == 201

        # When the worker is scraped all along (every exposition must parse).
        sink_l = {"connector": sink, "task": "0"}
        lag_l = {"clientid": f"connector-consumer-{sink}-0", "topic": topic, "partition": "0"}
        scrapes = []
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            families = scrape()
            scrapes.append(families)
            if (
                total(families, "kafka_connect_sink_task_sink_record_send", **sink_l) == 500
                and sample(families, "kafka_consumer_fetch_manager_records_lag", **lag_l) == 0
                and sample(families, "sluice_s3_sink_objects_written", **sink_l) == 5
                and debezium(families, "TotalNumberOfEventsSeen", prefix, context="streaming") == 200
            ):
                break
            time.sleep(0.5)
        m = scrapes[-1]
        watched = {
            "send": total(m, "kafka_connect_sink_task_sink_record_send", **sink_l),
            "lag": sample(m, "kafka_consumer_fetch_manager_records_lag", **lag_l),
            "objects": sample(m, "sluice_s3_sink_objects_written", **sink_l),
            "events": debezium(m, "TotalNumberOfEventsSeen", prefix, context="streaming"),
        }
        seen = [f"{x.name}{x.labels} {x.value}" for f in m.values() for x in f.samples
                if prefix in x.labels.values() or x.labels.get("connector") in (src, sink)]
        assert watched == {"send": 500, "lag": 0, "objects": 5, "events": 200}, "\n".join(seen)

        # Then the first scrape saw the pipeline before its end, and no counter went down.
        first = total(scrapes[0], "kafka_connect_sink_task_sink_record_send", **sink_l)
        assert first is None or first < 500
        for before, after in zip(scrapes, scrapes[1:]):
            a, b = counters(before, {src, sink}), counters(after, {src, sink})
            down = {k: (a[k], b.get(k)) for k in a if b.get(k) is None or b[k] < a[k]}
            assert not down, f"counters went down or vanished: {down}"

        # And the counts are the records moved: the sink read and sent the 500 rows and wrote
        # the objects in the bucket; the source polled and wrote them (with its schema changes),
        # its snapshot scanned the 300 and its stream saw the 200.
        assert total(m, "kafka_connect_sink_task_sink_record_read", **sink_l) == 500
        keys = demo.list_keys(s3, s.bucket, f"{topics_dir}/")
        assert len(keys) == 5, keys
        assert sample(m, "sluice_s3_sink_uploaded_bytes", **sink_l) > 0
        polled = total(m, "kafka_connect_source_task_source_record_poll", connector=src, task="0")
        written = total(m, "kafka_connect_source_task_source_record_write", connector=src, task="0")
        assert polled == written and polled >= 500, (polled, written)
        assert debezium(m, "RowsScanned", prefix, table=f"{db}.orders") == 300
        assert debezium(m, "SnapshotCompleted", prefix, context="snapshot") == 1
        assert debezium(m, "Connected", prefix, context="streaming") == 1
        assert m["kafka_connect_sink_task_sink_record_send"].type == "counter"
        assert m["kafka_consumer_fetch_manager_records_lag"].type == "gauge"
    finally:
        for name in (sink, src):
            try:
                rest("DELETE", f"/connectors/{name}")
            except urllib.error.HTTPError:
                pass
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
        conn.close()
        demo.delete_prefix(s3, s.bucket, f"{topics_dir}/")


def test_a_dead_letter_queue_run_shows_in_the_error_series():
    from kafka import KafkaProducer

    s = demo.Settings.from_env(dict(os.environ, CONNECT_URL=CONNECT_URL))
    suffix = uuid.uuid4().hex[:8]
    topic, dlq, name = f"metrics-py-mixed-{suffix}", f"metrics-py-dlq-{suffix}", f"metrics-py-dlq-{suffix}"
    # Given two JSON values around one that is not JSON.
    demo.ensure_topic(s, topic, out=lambda _: None)
    producer = KafkaProducer(bootstrap_servers=s.bootstrap)
    for v in (b'"ok-1"', b"not json{", b'"ok-2"'):
        producer.send(topic, v)
    producer.flush()
    producer.close()
    out = tempfile.NamedTemporaryFile(suffix=".txt", delete=False).name
    assert rest("POST", "/connectors", {"name": name, "config": {
        "connector.class": "FileStreamSink", "topics": topic, "file": out,
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
        "errors.tolerance": "all", "errors.log.enable": "true",
        "errors.deadletterqueue.topic.name": dlq,
        "errors.deadletterqueue.topic.replication.factor": "1"}}) == 201
    try:
        # When it has read the three and its lag drained,
        l = {"connector": name, "task": "0"}
        lag_l = {"clientid": f"connector-consumer-{name}-0", "topic": topic, "partition": "0"}
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            m = scrape()
            if (total(m, "kafka_connect_sink_task_sink_record_read", **l) == 3
                    and sample(m, "kafka_consumer_fetch_manager_records_lag", **lag_l) == 0):
                break
            time.sleep(0.5)
        # then the bad record is one error, one failure, one skip and one DLQ request (Strimzi's
        # names for task-error-metrics), and the two good ones were sent.
        errors = {a: sample(m, f"kafka_connect_task_error_{a}", **l) for a in (
            "total_record_errors", "total_record_failures", "total_records_skipped",
            "total_errors_logged", "deadletterqueue_produce_requests",
            "deadletterqueue_produce_failures")}
        assert errors == {
            "total_record_errors": 1, "total_record_failures": 1, "total_records_skipped": 1,
            "total_errors_logged": 1, "deadletterqueue_produce_requests": 1,
            "deadletterqueue_produce_failures": 0,
        }
        assert total(m, "kafka_connect_sink_task_sink_record_send", **l) == 2
        assert sample(m, "kafka_connect_task_error_last_error_timestamp", **l) > 1.6e12
    finally:
        rest("DELETE", f"/connectors/{name}")
        os.unlink(out)
