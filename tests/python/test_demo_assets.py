"""Static and offline checks of the demo (demo/): the generated orders file, the table schema,
setup_connectors.sh (run against a stub Connect REST server) and the bucket-counting logic.

No service is needed; these always run.
"""

import csv
import gzip
import http.server
import io
import json
import os
import re
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "demo"
sys.path.insert(0, str(DEMO))

import gen_olist  # noqa: E402
import sluice_demo as demo  # noqa: E402

# The three `--data` bodies of the article's curl commands, verbatim (whitespace included:
# the first two are unindented with a trailing space after two values, the third tab-indented).
ARTICLE_SOURCE = """{
"name": "src-brazillian-ecommerce",
"config": {
"connector.class": "io.debezium.connector.mysql.MySqlConnector",
"tasks.max": "1",
"database.hostname": "mysql",
"database.port": "3306",
"database.user": "debezium",
"database.password": "dbz",
"database.server.id": "184054",
"database.include.list": "brazillian_ecommerce",
"topic.prefix": "dbserver1",
"schema.history.internal.kafka.bootstrap.servers": "redpanda:9092",
"schema.history.internal.kafka.topic": "schema-changes.brazillian_ecommerce"
}
}"""
ARTICLE_CDC_SINK = """{
"name": "sink-s3-brazillian-ecommerce", \n"config": {
"topics.regex": "dbserver1.brazillian_ecommerce.*",
"topics.dir": "brazillian_ecommerce",
"connector.class": "io.confluent.connect.s3.S3SinkConnector",
"key.converter": "org.apache.kafka.connect.json.JsonConverter",
"value.converter": "org.apache.kafka.connect.json.JsonConverter",
"format.class": "io.confluent.connect.s3.format.json.JsonFormat",
"flush.size": "1000",
"store.url": "http://minio:9000",
"storage.class": "io.confluent.connect.s3.storage.S3Storage",
"s3.region": "us-east-1",
"s3.bucket.name": "warehouse", \n"aws.access.key.id": "minio",
"aws.secret.access.key": "minio123"
}
}"""
ARTICLE_CLICKSTREAM_SINK = """{
\t"name": "sink-s3-clickstream",
\t"config": {
\t"topics": "clickstream_events",
\t"topics.dir": "clickstream_events",
\t"connector.class": "io.confluent.connect.s3.S3SinkConnector",
\t"key.converter.schemas.enable": "false",
\t"key.converter": "org.apache.kafka.connect.json.JsonConverter",
\t"value.converter": "org.apache.kafka.connect.json.JsonConverter",
\t"value.converter.schemas.enable": "false",
\t"s3.compression.type": "gzip",
\t"format.class": "io.confluent.connect.s3.format.json.JsonFormat",
\t"flush.size": "100",
\t"store.url": "http://minio:9000",
\t"storage.class": "io.confluent.connect.s3.storage.S3Storage",
\t"s3.region": "us-east-1",
\t"s3.bucket.name": "warehouse",
\t"aws.access.key.id": "minio",
\t"aws.secret.access.key": "minio123"
\t}
}"""
ARTICLE_BODIES = [ARTICLE_SOURCE, ARTICLE_CDC_SINK, ARTICLE_CLICKSTREAM_SINK]

ARTICLE_HOSTS = {
    "MYSQL_HOST": "mysql",
    "MYSQL_PORT": "3306",
    "KAFKA_BOOTSTRAP": "redpanda:9092",
    "S3_ENDPOINT": "http://minio:9000",
}


def article_text() -> str | None:
    """The seed article, where this checkout sits beside a copy of shared/ (not in every CI)."""
    for base in (REPO.parent / "shared", Path("/work/shared")):
        p = base / "seed" / "000_c36cdb9203676e5a.txt"
        if p.exists():
            return p.read_text()
    return None


# ---------------------------------------------------------------------------------------------
# the orders file


@pytest.fixture(scope="module")
def orders_bytes() -> bytes:
    return gen_olist.render()


@pytest.fixture(scope="module")
def orders_rows(orders_bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(orders_bytes.decode())))


def test_orders_file_is_byte_identical_across_generations(orders_bytes):
    assert gen_olist.render() == orders_bytes


def test_orders_file_has_the_articles_shape(orders_bytes, orders_rows):
    header = orders_bytes.split(b"\n", 1)[0].decode().split(",")
    assert header == demo.EXPECTED_COLUMNS + ["daily"]
    # The article prints `(74254, 9)` and `NO. DATES: 366`.
    assert (len(orders_rows), len(header)) == (74254, 9)
    days = sorted({r["daily"] for r in orders_rows})
    assert len(days) == 366
    assert (days[0], days[-1]) == ("2017-08-01", "2018-08-01")


def test_orders_first_days_match_the_articles_output(orders_rows):
    per_day = Counter(r["daily"] for r in orders_rows)
    assert [per_day[d] for d in ("2017-08-01", "2017-08-02", "2017-08-03")] == [165, 157, 148]
    assert all(100 <= n <= 320 for n in per_day.values()), per_day.most_common(3)


def test_orders_rows_are_consistent(orders_rows):
    hexid = re.compile(r"^[0-9a-f]{32}$")
    assert len({r["order_id"] for r in orders_rows}) == len(orders_rows)
    statuses = Counter(r["order_status"] for r in orders_rows)
    assert statuses.most_common(1)[0][0] == "delivered"
    assert set(statuses) <= {
        "delivered",
        "shipped",
        "canceled",
        "unavailable",
        "invoiced",
        "processing",
        "approved",
        "created",
    }
    for r in orders_rows:
        assert hexid.match(r["order_id"]) and hexid.match(r["customer_id"]), r
        assert r["order_purchase_timestamp"].startswith(r["daily"]), r
        assert all(len(r[c]) <= 32 for c in demo.EXPECTED_COLUMNS), r  # fits varchar(32)
        if r["order_status"] == "delivered":
            assert r["order_approved_at"] and r["order_delivered_customer_date"], r
            assert (
                r["order_purchase_timestamp"] <= r["order_approved_at"] <= r["order_delivered_carrier_date"]
            )
        else:
            assert r["order_delivered_customer_date"] == "", r


def test_ensure_reuses_an_intact_file_and_rewrites_a_tampered_one(tmp_path, orders_bytes):
    path = tmp_path / "orders.csv"
    gen_olist.ensure(path)
    assert path.read_bytes() == orders_bytes
    mtime = path.stat().st_mtime_ns
    gen_olist.ensure(path)
    assert path.stat().st_mtime_ns == mtime
    path.write_bytes(orders_bytes.replace(b"delivered", b"shipped__", 1))
    gen_olist.ensure(path)
    assert path.read_bytes() == orders_bytes


def test_load_orders_groups_rows_by_day_in_date_order(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("order_id,customer_id,daily\nb,c2,2017-08-02\na,c1,2017-08-01\nc,c3,2017-08-02\n")
    orders = demo.load_orders(path)
    assert orders.shape == (3, 3)
    assert list(orders.by_day) == ["2017-08-01", "2017-08-02"]
    assert [r["order_id"] for r in orders.by_day["2017-08-02"]] == ["b", "c"]


def test_load_orders_rejects_a_file_without_daily(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("order_id,customer_id\na,b\n")
    with pytest.raises(ValueError, match="daily"):
        demo.load_orders(path)


# ---------------------------------------------------------------------------------------------
# MySQL schema and inserts


def test_schema_is_the_articles_table():
    stmts = demo.schema_statements()
    assert stmts[0] == "CREATE DATABASE IF NOT EXISTS brazillian_ecommerce"
    create = next(s for s in stmts if s.startswith("CREATE TABLE"))
    cols = re.findall(r"^\s*(\w+) varchar\((\d+)\),?$", create, re.M)
    assert [c for c, _ in cols] == demo.EXPECTED_COLUMNS
    assert dict(cols)["order_status"] == "16"
    assert all(n == "32" for c, n in cols if c != "order_status")
    assert re.search(r"PRIMARY KEY \(order_id\)", create)


class FakeCursor:
    def __init__(self):
        self.calls = []

    def execute(self, sql, args=None):
        self.calls.append((sql, list(args or [])))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class FakeConn:
    def __init__(self):
        self.cur = FakeCursor()

    def cursor(self):
        return self.cur


def test_insert_rows_chunks_multi_row_inserts_and_maps_empty_cells_to_null():
    conn = FakeConn()
    rows = [{"a": str(i), "b": "" if i % 2 else "x"} for i in range(5)]
    assert demo.insert_rows(conn, ["a", "b"], rows, chunksize=2) == 5
    assert len(conn.cur.calls) == 3
    sql, args = conn.cur.calls[0]
    assert sql == "INSERT INTO olist_orders_dataset (`a`, `b`) VALUES (%s, %s), (%s, %s)"
    assert args == ["0", "x", "1", None]
    assert conn.cur.calls[2][1] == ["4", "x"]


# ---------------------------------------------------------------------------------------------
# setup_connectors.sh against a stub Connect server


class StubConnect:
    """Records requests; answers POST /connectors with `post_status` (201 or 409), PUT
    .../config with 200, GET /connectors?expand=status with the connectors of `states` (name ->
    connector and task state) and PUT .../resume with 202, making that connector RUNNING."""

    def __init__(self, post_status=201, states: dict[str, str] | None = None):
        self.post_status = post_status
        self.states = dict(states or {})
        self.requests: list[tuple[str, str, bytes, dict]] = []
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _body(self):
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n)

            def _answer(self, status, obj):
                raw = b"" if obj is None else json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self._body()
                stub.requests.append(("POST", self.path, body, dict(self.headers)))
                name = json.loads(body)["name"]
                if stub.post_status == 409:
                    self._answer(409, {"error_code": 409, "message": f"Connector {name} already exists"})
                elif stub.post_status == 201:
                    self._answer(201, {"name": name, "config": {}, "tasks": [], "type": "sink"})
                else:
                    self._answer(stub.post_status, {"error_code": stub.post_status, "message": "boom"})

            def do_GET(self):  # noqa: N802
                stub.requests.append(("GET", self.path, b"", dict(self.headers)))
                listing = {
                    name: {
                        "status": {
                            "name": name,
                            "connector": {"state": state, "worker_id": "w"},
                            "tasks": [{"id": 0, "state": state, "worker_id": "w"}],
                        }
                    }
                    for name, state in stub.states.items()
                }
                self._answer(200, listing)

            def do_PUT(self):  # noqa: N802
                body = self._body()
                stub.requests.append(("PUT", self.path, body, dict(self.headers)))
                name = self.path.split("/")[2]
                if self.path.endswith("/resume"):
                    stub.states[name] = "RUNNING"
                    self._answer(202, None)
                else:
                    self._answer(200, {"name": name, "config": json.loads(body), "tasks": []})

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub():
    s = StubConnect()
    yield s
    s.close()


def run_setup(url: str, **env) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k not in ARTICLE_HOSTS}
    full.update(env, CONNECT_URL=url)
    return subprocess.run(
        ["bash", str(DEMO / "setup_connectors.sh")], env=full, capture_output=True, text=True, timeout=60
    )


def test_setup_connectors_sends_the_articles_bodies_byte_for_byte(stub):
    proc = run_setup(stub.url, **ARTICLE_HOSTS)
    assert proc.returncode == 0, proc.stderr
    assert [(m, p) for m, p, _, _ in stub.requests] == [("POST", "/connectors")] * 3
    assert [b.decode() for _, _, b, _ in stub.requests] == ARTICLE_BODIES
    assert all(h.get("Content-Type") == "application/json" for _, _, _, h in stub.requests)


def test_setup_connectors_defaults_point_at_the_local_stack(stub):
    proc = run_setup(stub.url)
    assert proc.returncode == 0, proc.stderr
    local = [
        b.replace('"mysql"', '"127.0.0.1"')
        .replace('"redpanda:9092"', '"127.0.0.1:9092"')
        .replace('"http://minio:9000"', '"http://127.0.0.1:9000"')
        for b in ARTICLE_BODIES
    ]
    assert [b.decode() for _, _, b, _ in stub.requests] == local


def test_setup_connectors_replaces_the_config_of_existing_connectors():
    s = StubConnect(post_status=409)
    try:
        proc = run_setup(s.url, **ARTICLE_HOSTS)
    finally:
        s.close()
    assert proc.returncode == 0, proc.stderr
    puts = [(p, json.loads(b)) for m, p, b, _ in s.requests if m == "PUT"]
    expected = [json.loads(b) for b in ARTICLE_BODIES]
    assert puts == [(f"/connectors/{e['name']}/config", e["config"]) for e in expected]
    assert "already existed" in proc.stdout


def test_setup_connectors_fails_after_trying_all_three_on_errors():
    s = StubConnect(post_status=500)
    try:
        proc = run_setup(s.url)
    finally:
        s.close()
    assert proc.returncode == 1
    assert len(s.requests) == 3
    assert "HTTP 500" in proc.stderr


def test_setup_connectors_reports_an_unreachable_worker():
    proc = run_setup("http://127.0.0.1:9")  # discard port: nothing listens
    assert proc.returncode == 1
    assert "no answer" in proc.stderr


def test_embedded_bodies_are_the_seed_articles():
    text = article_text()
    if text is None:
        pytest.skip("seed article not found beside this checkout")
    assert re.findall(r"--data '(\{.*?\})'", text, re.S) == ARTICLE_BODIES


# ---------------------------------------------------------------------------------------------
# counting the bucket


class FakeBody:
    def __init__(self, raw):
        self.raw = raw

    def read(self):
        return self.raw


class FakeS3:
    def __init__(self, objects: dict[str, bytes]):
        self.objects = objects
        self.gets = 0

    def get_paginator(self, _name):
        outer = self

        class P:
            def paginate(self, Bucket, Prefix, EncodingType=None):  # noqa: N803 - boto3's names
                keys = sorted(k for k in outer.objects if k.startswith(Prefix))
                yield {"Contents": [{"Key": k} for k in keys]} if keys else {}

        return P()

    def get_object(self, Bucket, Key):  # noqa: N803
        self.gets += 1
        return {"Body": FakeBody(self.objects[Key])}


def cdc_line(order_id, op="c", ts=2_000_000):
    return json.dumps(
        {"before": None, "after": {"order_id": order_id}, "source": {"ts_ms": ts}, "op": op, "ts_ms": ts + 5}
    )


def test_measure_counts_this_runs_rows_once_and_flags_duplicates():
    objects = {
        "p/a+0000000000.json": "\n".join(
            [cdc_line("old", ts=1_000_000), cdc_line("x"), cdc_line("y")]
        ).encode(),
        "p/a+0000000003.json": "\n".join([cdc_line("y"), cdc_line("z", op="u")]).encode() + b"\n",
    }
    reader = demo.BucketReader(FakeS3(objects), "warehouse", "p/")
    p = demo.measure(reader, lambda r: demo.cdc_row_id(r, 1_999_500), expected=2)
    assert (p.found, p.duplicates, p.other, p.objects, p.done) == (2, 1, 2, 2, True)


def test_bucket_reader_gunzips_and_reads_each_object_once():
    lines = [json.dumps({"timestamp": f"2026-01-01T00:00:0{i}"}) for i in range(3)]
    s3 = FakeS3({"c/x.json.gz": gzip.compress("\n".join(lines).encode())})
    reader = demo.BucketReader(s3, "warehouse", "c/")
    p = demo.measure(reader, lambda r: demo.clickstream_id(r, "2026-01-01T00:00:01"), expected=3)
    assert (p.found, p.other, p.done) == (2, 1, False)
    demo.measure(reader, lambda r: None, expected=0)
    assert s3.gets == 1


def test_settings_read_the_environment_with_local_defaults():
    d = demo.Settings.from_env({})
    assert (d.mysql_host, d.bootstrap, d.s3_endpoint, d.connect_url) == (
        "127.0.0.1",
        "127.0.0.1:9092",
        "http://127.0.0.1:9000",
        "http://localhost:8083",
    )
    s = demo.Settings.from_env(
        {
            "MYSQL_HOST": "mysql",
            "BOOTSTRAP_SERVERS": "redpanda:9092",
            "CONNECT_URL": "http://kafka-connect:8083/",
            "MYSQL_PORT": "3307",
        }
    )
    assert (s.mysql_host, s.bootstrap, s.connect_url, s.mysql_port) == (
        "mysql",
        "redpanda:9092",
        "http://kafka-connect:8083",
        3307,
    )
    assert s.script_env()["KAFKA_BOOTSTRAP"] == "redpanda:9092"


def test_run_demo_rejects_a_bad_knob():
    proc = subprocess.run(
        [sys.executable, str(DEMO / "run_demo.py")],
        env={**os.environ, "DEMO_DAYS": "three"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "DEMO_DAYS='three'" in proc.stderr


def test_makefile_demo_passes_the_day_knob():
    out = subprocess.run(
        ["make", "-n", "demo", "DEMO_DAYS=2"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "DEMO_DAYS=2 .venv/bin/python demo/run_demo.py" in out.stdout
    assert "scripts/stack.sh up" in out.stdout


def test_event_keys_are_json_strings_unless_raw_is_asked_for():
    assert demo.event_key("b552efd0") == b'"b552efd0"'
    assert json.loads(demo.event_key("b552efd0")) == "b552efd0"
    assert demo.event_key("b552efd0", raw=True) == b"b552efd0"


def test_run_demo_resumes_a_connector_left_paused_or_stopped(capsys):
    import run_demo

    paused, stopped, running = demo.CONNECTORS
    s = StubConnect(states={paused: "PAUSED", stopped: "STOPPED", running: "RUNNING"})
    try:
        states = run_demo.wait_running(demo.Settings.from_env({"CONNECT_URL": s.url}), 10)
    finally:
        s.close()
    # Each paused or stopped one resumed once, the running one left alone; then all RUNNING.
    resumes = [p.split("/")[2] for m, p, _, _ in s.requests if m == "PUT" and p.endswith("/resume")]
    assert sorted(resumes) == sorted([paused, stopped])
    assert all(states[c]["connector"]["state"] == "RUNNING" for c in demo.CONNECTORS)
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert f"{paused}: was PAUSED; PUT .../resume -> 202" in out
