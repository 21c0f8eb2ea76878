"""The article's pipeline against the real services, with the article's clients: the three
connectors registered by demo/setup_connectors.sh (curl), orders inserted with PyMySQL,
clickstream events produced with kafka-python, and the bucket read back with boto3.

Checks: every inserted row and every event is in the bucket exactly once, object keys follow
the Confluent S3 sink's default partitioner (`<topics.dir>/<topic>/partition=<p>/<topic>+<p>+
<start offset, 10 digits>.json[.gz]`), files closed by `flush.size` hold exactly that many
records, and the lines are Debezium envelopes (CDC; JsonFormat writes the payload only, even
with the article's schemas-on JsonConverter) or the produced JSON (clickstream, gzip).

Skipped unless CONNECT_IT=1 (scripts/test.sh sets it) and a worker at CONNECT_URL lists the
S3 sink; the CDC checks also need the MySQL source, and without it only the clickstream half
runs. The sinks commit a file only at `flush.size` records, so the last partial file is
drained the way run_demo.py does (rotate.schedule.interval.ms added by a config PUT), after
checking what the article's config alone delivered.
"""

import json
import os
import re
import sys
import time
import uuid
from collections import Counter, OrderedDict
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "demo"))

import gen_olist  # noqa: E402
import run_demo  # noqa: E402
import sluice_demo as demo  # noqa: E402

# Enough for a full CDC file (flush.size 1000) per partition even when the topic has three
# (tansu's default), plus a remainder to drain.
N_ROWS = 3600
N_EVENTS = 250  # two full clickstream files (flush.size 100) and a remainder
TIMEOUT = float(os.environ.get("PIPELINE_TIMEOUT", "180"))
# Seconds without progress before the remainder is drained. Generous: the sinks' consumers
# rejoin their groups after setup_connectors.sh's config PUTs before the first file appears.
STALL = float(os.environ.get("PIPELINE_STALL", "30"))

# The partition appears twice (folder and file name). The CDC topic's partition count is the
# broker's default (1 on Kafka and Redpanda, 3 on tansu), clickstream_events has one.
CDC_KEY = re.compile(
    r"^brazillian_ecommerce/dbserver1\.brazillian_ecommerce\.olist_orders_dataset/partition=(\d+)/"
    r"dbserver1\.brazillian_ecommerce\.olist_orders_dataset\+\1\+(\d{10})\.json$"
)
CLICK_KEY = re.compile(
    r"^clickstream_events/clickstream_events/partition=(0)/clickstream_events\+0\+(\d{10})\.json\.gz$"
)


def settings_from_ci_env() -> demo.Settings:
    """scripts/test.sh exports MYSQL_URL, KAFKA_BOOTSTRAP, S3_ENDPOINT; Settings reads hosts."""
    env = dict(os.environ)
    url = urlparse(os.environ.get("MYSQL_URL", "mysql://root:debezium@127.0.0.1:3306"))
    env.setdefault("MYSQL_HOST", url.hostname or "127.0.0.1")
    env.setdefault("MYSQL_PORT", str(url.port or 3306))
    env.setdefault("MYSQL_USER", url.username or "root")
    env.setdefault("MYSQL_PASSWORD", url.password or "debezium")
    return demo.Settings.from_env(env)


def make_rows() -> list[dict[str, str]]:
    """Olist-shaped rows with ids no earlier run used (the table is shared with `make demo`)."""
    rows = []
    for values in gen_olist.generate_rows()[20000 : 20000 + N_ROWS]:
        r = dict(zip(gen_olist.CSV_COLUMNS, values))
        r["order_id"] = uuid.uuid4().hex
        r["customer_id"] = uuid.uuid4().hex
        rows.append(r)
    return rows


def as_orders(rows) -> demo.Orders:
    by_day: OrderedDict = OrderedDict()
    for r in rows:
        by_day.setdefault(r["daily"], []).append(r)
    return demo.Orders(list(gen_olist.CSV_COLUMNS), rows, by_day)


class Run:
    """Everything the checks read, gathered once for the module."""

    def __init__(self):
        self.rows: dict[str, dict] = {}
        self.events_sent = 0
        self.produced: list[dict] = []
        self.since_iso = ""
        self.keys_before_drain: dict[str, set[str]] = {}
        self.drained: set[str] = set()
        self.objects: dict[str, dict[str, list[str]]] = {}
        self.states: dict[str, dict] = {}
        self.cdc = True  # False: the worker has no MySQL plugin, only the clickstream half ran


@pytest.fixture
def cdc(run) -> Run:
    if not run.cdc:
        pytest.skip(f"worker lacks {demo.MYSQL_CLASS}: only the clickstream half ran")
    return run


@pytest.fixture(scope="module")
def run() -> Run:
    if os.environ.get("CONNECT_IT") != "1":
        pytest.skip("set CONNECT_IT=1 (scripts/test.sh does)")
    s = settings_from_ci_env()
    if demo.worker_info(s) is None:
        pytest.skip(f"no Connect worker at {s.connect_url}")
    missing = demo.missing_plugins(s)
    if demo.S3_CLASS in missing:
        pytest.skip(f"worker lacks plugins: {', '.join(missing)}")

    r = Run()
    # Without the MySQL plugin the clickstream half (producer -> S3 sink) still runs.
    r.cdc = demo.MYSQL_CLASS not in missing
    demo.prepare_table(s, truncate=False)
    demo.ensure_topic(s, demo.CLICKSTREAM_TOPIC)
    s3 = demo.s3_client(s)
    for prefix in (demo.CDC_PREFIX, demo.CLICKSTREAM_PREFIX):
        demo.delete_prefix(s3, s.bucket, prefix)
    try:
        demo.run_setup_connectors(s)
    except demo.ConnectError:
        if r.cdc:
            raise  # otherwise the source's registration failed, as it must
    r.states = run_demo.wait_running(s, 60)
    for c in demo.CONNECTORS if r.cdc else (demo.CDC_SINK, demo.CLICKSTREAM_SINK):
        st = r.states.get(c, {})
        assert st.get("connector", {}).get("state") == "RUNNING", f"{c}: {demo.summarize_state(st)}"

    rows = make_rows()
    if r.cdc:
        r.rows = {row["order_id"]: row for row in rows}
        conn = demo.mysql_connect(s)
        try:
            columns = demo.table_columns(conn)
            for day_rows in as_orders(rows).by_day.values():
                demo.insert_rows(conn, columns, day_rows)
        finally:
            conn.close()

    r.since_iso = datetime.now().isoformat()
    r.produced = rows[:N_EVENTS]
    r.events_sent = sum(n for _, n in demo.generate_clickstream(s, as_orders(r.produced), 10**6, 0.0))

    readers = {
        demo.CDC_SINK: demo.BucketReader(s3, s.bucket, demo.CDC_PREFIX),
        demo.CLICKSTREAM_SINK: demo.BucketReader(s3, s.bucket, demo.CLICKSTREAM_PREFIX),
    }

    def our_row(rec: dict) -> str | None:
        oid = (rec.get("after") or {}).get("order_id")
        return oid if rec.get("op") == "c" and oid in r.rows else None

    idents = {
        demo.CDC_SINK: our_row,
        demo.CLICKSTREAM_SINK: lambda rec: demo.clickstream_id(rec, r.since_iso),
    }
    if not r.cdc:
        del readers[demo.CDC_SINK]
    expected = {demo.CDC_SINK: N_ROWS, demo.CLICKSTREAM_SINK: r.events_sent}
    t0 = time.monotonic()
    last = {c: (-1, t0) for c in readers}
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        done = True
        for c, reader in readers.items():
            p = demo.measure(reader, idents[c], expected[c])
            now = time.monotonic()
            if p.found != last[c][0]:
                last[c] = (p.found, now)
                print(f"{now - t0:6.1f}s {c}: {p.found}/{p.expected} in {p.objects} objects")
            if not p.done:
                done = False
                if c not in r.drained and now - last[c][1] >= STALL:
                    r.keys_before_drain[c] = set(reader.lines)
                    run_demo.drain(s, c)
                    r.drained.add(c)
        if done:
            break
        time.sleep(1)
    for c, reader in readers.items():
        reader.refresh()
        r.objects[c] = dict(reader.lines)
        r.keys_before_drain.setdefault(c, set(reader.lines))
    r.states = demo.connector_states(s)
    return r


def parsed(lines_by_key: dict[str, list[str]]):
    for key, lines in sorted(lines_by_key.items()):
        for line in lines:
            yield key, json.loads(line)


def test_every_inserted_row_is_in_the_bucket_exactly_once(cdc):
    run = cdc
    seen = Counter(
        rec["after"]["order_id"]
        for _, rec in parsed(run.objects[demo.CDC_SINK])
        if rec.get("op") == "c" and (rec.get("after") or {}).get("order_id") in run.rows
    )
    missing = set(run.rows) - set(seen)
    assert not missing, f"{len(missing)} of {len(run.rows)} rows missing"
    assert [k for k, n in seen.items() if n > 1] == []


def test_every_clickstream_event_is_in_the_bucket_exactly_once(run):
    ours = [
        rec
        for _, rec in parsed(run.objects[demo.CLICKSTREAM_SINK])
        if rec.get("timestamp", "") >= run.since_iso
    ]
    assert len(ours) == run.events_sent == N_EVENTS
    # datetime.now().isoformat() has microseconds: a repeated timestamp is a duplicate line.
    assert len({rec["timestamp"] for rec in ours}) == len(ours)


def offsets_are_contiguous(objects: dict[str, list[str]], pattern: re.Pattern) -> None:
    """Every key matches; per partition, each file starts where the previous one ended."""
    starts: dict[int, list[tuple[int, int, str]]] = {}
    for key, lines in objects.items():
        m = pattern.match(key)
        assert m, f"unexpected key {key}"
        starts.setdefault(int(m.group(1)), []).append((int(m.group(2)), len(lines), key))
    for files in starts.values():
        files.sort()
        for (a, n, key), (b, _, nxt) in zip(files, files[1:]):
            assert a + n == b, f"{key} holds {n} records but the next file is {nxt}"


def test_cdc_object_keys_follow_the_default_partitioner(cdc):
    run = cdc
    assert run.objects[demo.CDC_SINK]
    offsets_are_contiguous(run.objects[demo.CDC_SINK], CDC_KEY)


def test_clickstream_object_keys_follow_the_default_partitioner_with_gzip(run):
    assert run.objects[demo.CLICKSTREAM_SINK]
    offsets_are_contiguous(run.objects[demo.CLICKSTREAM_SINK], CLICK_KEY)


def test_files_closed_by_flush_size_hold_exactly_flush_size_records(run):
    for sink, flush in run_demo.FLUSH_SIZE.items():
        if sink not in run.objects:
            continue  # the CDC half did not run
        full = run.keys_before_drain[sink]
        assert full, f"{sink}: no file reached flush.size={flush} with the article's config"
        assert {k: len(run.objects[sink][k]) for k in full} == {k: flush for k in full}


def test_cdc_lines_are_debezium_envelopes_without_a_schema_wrapper(cdc):
    run = cdc
    ours = [
        rec
        for _, rec in parsed(run.objects[demo.CDC_SINK])
        if (rec.get("after") or {}).get("order_id") in run.rows
    ]
    assert ours
    for rec in ours[:: max(1, len(ours) // 25)]:
        assert "schema" not in rec and "payload" not in rec, rec
        assert {"before", "after", "source", "op", "ts_ms"} <= set(rec), rec
        assert rec["op"] == "c" and rec["before"] is None
        row = run.rows[rec["after"]["order_id"]]
        assert rec["after"] == {c: (row[c] or None) for c in demo.EXPECTED_COLUMNS}
        src = rec["source"]
        assert (src["connector"], src["name"], src["db"], src["table"]) == (
            "mysql",
            "dbserver1",
            demo.DATABASE,
            demo.TABLE,
        )
        assert src["snapshot"] in (False, "false")
        assert isinstance(src["file"], str) and isinstance(src["pos"], int)
        assert isinstance(rec["ts_ms"], int) and isinstance(src["ts_ms"], int)


def test_clickstream_lines_are_the_produced_json(run):
    ours = [
        rec
        for _, rec in parsed(run.objects[demo.CLICKSTREAM_SINK])
        if rec.get("timestamp", "") >= run.since_iso
    ]
    days = {r["daily"] for r in run.produced}
    for rec in ours:
        assert set(rec) == {"timestamp", "daily", "EVENTS_TOPIC_NAME", "event_value"}, rec
        assert rec["daily"] in days and rec["EVENTS_TOPIC_NAME"] in demo.MOCK_EVENTS
        assert rec["event_value"] in (0, 1)


def test_connectors_are_still_running(run):
    for c in demo.CONNECTORS if run.cdc else (demo.CDC_SINK, demo.CLICKSTREAM_SINK):
        st = run.states.get(c, {})
        assert st.get("connector", {}).get("state") == "RUNNING", demo.summarize_state(st)
        assert st.get("tasks") and all(t["state"] == "RUNNING" for t in st["tasks"]), demo.summarize_state(st)
