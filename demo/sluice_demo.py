"""Shared pieces of the article's demo: settings, MySQL loading, the clickstream producer, the
Connect REST calls and reading the bucket back.

The article's scripts (`01_generate_orders.py`, `02_generate_clickstream.py`) are thin wrappers
around this module, and so is `run_demo.py`, which chains them into `make demo`. Clients are the
article's: PyMySQL for MySQL, kafka-python for the broker, boto3 for MinIO (S3), plus urllib for
the Connect REST API (curl in the article).
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote

DEMO_DIR = Path(__file__).resolve().parent
REPO = DEMO_DIR.parent

DATABASE = "brazillian_ecommerce"  # sic: the article's spelling, also in topic and folder names
TABLE = "olist_orders_dataset"
CDC_TOPIC = f"dbserver1.{DATABASE}.{TABLE}"
CLICKSTREAM_TOPIC = "clickstream_events"
CDC_PREFIX = f"{DATABASE}/"
CLICKSTREAM_PREFIX = f"{CLICKSTREAM_TOPIC}/"

SOURCE_CONNECTOR = "src-brazillian-ecommerce"
CDC_SINK = "sink-s3-brazillian-ecommerce"
CLICKSTREAM_SINK = "sink-s3-clickstream"
CONNECTORS = (SOURCE_CONNECTOR, CDC_SINK, CLICKSTREAM_SINK)
MYSQL_CLASS = "io.debezium.connector.mysql.MySqlConnector"
S3_CLASS = "io.confluent.connect.s3.S3SinkConnector"
REQUIRED_PLUGINS = (MYSQL_CLASS, S3_CLASS)

MOCK_EVENTS = (
    "email_click",
    "link_1_click",
    "link_2_click",
    "pdf_download",
    "video_play",
    "website_visit",
)


@dataclass(frozen=True)
class Settings:
    """Where the services are. Defaults are the local stack (`scripts/stack.sh up`); inside the
    compose network they are the article's host names (see docker/docker-compose.yml)."""

    mysql_host: str = "127.0.0.1"
    mysql_port: int = 3306
    mysql_user: str = "root"
    mysql_password: str = "debezium"
    bootstrap: str = "127.0.0.1:9092"
    s3_endpoint: str = "http://127.0.0.1:9000"
    s3_access_key: str = "minio"
    s3_secret_key: str = "minio123"
    bucket: str = "warehouse"
    connect_url: str = "http://localhost:8083"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        d = cls()
        return cls(
            mysql_host=env.get("MYSQL_HOST", d.mysql_host),
            mysql_port=int(env.get("MYSQL_PORT", d.mysql_port)),
            mysql_user=env.get("MYSQL_USER", d.mysql_user),
            # The article's .env calls root's password MYSQL_ROOT_PASSWORD.
            mysql_password=env.get("MYSQL_PASSWORD", env.get("MYSQL_ROOT_PASSWORD", d.mysql_password)),
            # KAFKA_BOOTSTRAP is what scripts/test.sh exports; BOOTSTRAP_SERVERS the upstream name.
            bootstrap=env.get("KAFKA_BOOTSTRAP", env.get("BOOTSTRAP_SERVERS", d.bootstrap)),
            s3_endpoint=env.get("S3_ENDPOINT", d.s3_endpoint),
            s3_access_key=env.get("S3_ACCESS_KEY", d.s3_access_key),
            s3_secret_key=env.get("S3_SECRET_KEY", d.s3_secret_key),
            bucket=env.get("S3_BUCKET", d.bucket),
            connect_url=env.get("CONNECT_URL", d.connect_url).rstrip("/"),
        )

    def script_env(self) -> dict[str, str]:
        """The environment `setup_connectors.sh` reads its host names from."""
        return {
            "MYSQL_HOST": self.mysql_host,
            "MYSQL_PORT": str(self.mysql_port),
            "KAFKA_BOOTSTRAP": self.bootstrap,
            "S3_ENDPOINT": self.s3_endpoint,
            "CONNECT_URL": self.connect_url,
        }


# ---------------------------------------------------------------------------------------------
# the orders file


@dataclass
class Orders:
    columns: list[str]
    rows: list[dict[str, str]]
    by_day: "OrderedDict[str, list[dict[str, str]]]" = field(default_factory=OrderedDict)

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.rows), len(self.columns))


def load_orders(path: Path | str) -> Orders:
    """Reads the orders CSV (pandas' `read_csv(dtype=str)` in the article: everything a string)."""
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        columns = list(reader.fieldnames or [])
    if "daily" not in columns:
        raise ValueError(f"{path}: no 'daily' column (columns: {columns})")
    by_day: OrderedDict[str, list[dict[str, str]]] = OrderedDict()
    for day in sorted({r["daily"] for r in rows}):
        by_day[day] = []
    for r in rows:
        by_day[r["daily"]].append(r)
    return Orders(columns, rows, by_day)


def default_orders_path() -> Path:
    """The generated stand-in for Kaggle's file (demo/gen_olist.py), made on first use."""
    import gen_olist  # noqa: PLC0415 - sibling module, only needed here

    explicit = os.environ.get("DEMO_CSV")
    return Path(explicit) if explicit else gen_olist.ensure()


# ---------------------------------------------------------------------------------------------
# MySQL


def mysql_connect(s: Settings, database: str | None = DATABASE):
    import pymysql  # noqa: PLC0415 - keep `import sluice_demo` cheap for the static tests

    return pymysql.connect(
        host=s.mysql_host,
        port=s.mysql_port,
        user=s.mysql_user,
        password=s.mysql_password,
        database=database,
        autocommit=True,
        connect_timeout=10,
    )


def schema_statements(sql_path: Path = DEMO_DIR / "mysql_schemas.sql") -> list[str]:
    """The statements of mysql_schemas.sql (comments dropped, split on `;`)."""
    text = "\n".join(line for line in sql_path.read_text().splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in text.split(";") if s.strip()]


EXPECTED_COLUMNS = [
    "order_id",
    "customer_id",
    "order_status",
    "order_purchase_timestamp",
    "order_approved_at",
    "order_delivered_carrier_date",
    "order_delivered_customer_date",
    "order_estimated_delivery_date",
]


def prepare_table(s: Settings, truncate: bool = True) -> str:
    """Creates the database and table as the article does, or reuses them; empties the table so
    a second run inserts the same rows again without primary-key clashes.

    Returns what was done ("created", "reused" or "recreated")."""
    conn = mysql_connect(s, database=None)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema=%s AND table_name=%s ORDER BY ordinal_position",
                (DATABASE, TABLE),
            )
            existing = [r[0] for r in cur.fetchall()]
            action = "reused" if existing == EXPECTED_COLUMNS else "created"
            if existing and existing != EXPECTED_COLUMNS:
                # A table of another shape (an older experiment) would make the inserts fail.
                cur.execute(f"DROP TABLE `{DATABASE}`.`{TABLE}`")
                action = "recreated"
            for stmt in schema_statements():
                cur.execute(stmt)
            if truncate and action == "reused":
                # TRUNCATE, not DELETE: deletes would become CDC delete events and tombstones.
                cur.execute(f"TRUNCATE TABLE `{DATABASE}`.`{TABLE}`")
    finally:
        conn.close()
    return action


def table_columns(conn) -> list[str]:
    """The table's columns, read the way the article does (`SELECT * ... LIMIT 1`)."""
    with conn.cursor() as cur:
        cur.execute(f"SELECT * FROM {TABLE} LIMIT 1;")
        return [d[0] for d in cur.description]


def insert_rows(conn, columns: list[str], rows: list[dict[str, str]], chunksize: int = 10000) -> int:
    """Multi-row INSERTs of up to `chunksize` rows (pandas `to_sql(method="multi",
    chunksize=10000)` in the article). Empty CSV cells become NULL, as pandas' NaN does."""
    col_sql = ", ".join(f"`{c}`" for c in columns)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    done = 0
    with conn.cursor() as cur:
        for start in range(0, len(rows), chunksize):
            chunk = rows[start : start + chunksize]
            values: list[str | None] = []
            for r in chunk:
                values.extend((r.get(c) or None) for c in columns)
            cur.execute(f"INSERT INTO {TABLE} ({col_sql}) VALUES " + ", ".join([one] * len(chunk)), values)
            done += len(chunk)
    return done


def generate_orders(
    s: Settings,
    orders: Orders,
    n_days: int,
    sleep_s: float,
    out: Callable[[str], None] = print,
) -> list[tuple[str, list[str]]]:
    """01_generate_orders.py: inserts the first `n_days` days, one day at a time, sleeping
    between days. Returns (day, order ids) per day written."""
    out(str(orders.shape))
    out(f"NO. DATES: {len(orders.by_day)}")
    written = []
    conn = mysql_connect(s)
    try:
        columns = table_columns(conn)
        for i, (day, rows) in enumerate(orders.by_day.items()):
            if i >= n_days:
                break
            out(f"Writing data on: {day}")
            out(f"-Records: {len(rows)}")
            insert_rows(conn, columns, rows)
            written.append((day, [r["order_id"] for r in rows]))
            if i + 1 < n_days:
                time.sleep(sleep_s)
    finally:
        conn.close()
    return written


# ---------------------------------------------------------------------------------------------
# Kafka (kafka-python, as the article)


def ensure_topic(s: Settings, topic: str = CLICKSTREAM_TOPIC, out: Callable[[str], None] = print) -> bool:
    """Creates the topic when missing (the article's script does this too; tansu, unlike Kafka,
    never creates topics on produce). Returns True when it was created."""
    from kafka.admin import KafkaAdminClient, NewTopic  # noqa: PLC0415
    from kafka.errors import TopicAlreadyExistsError  # noqa: PLC0415

    admin = KafkaAdminClient(bootstrap_servers=s.bootstrap, client_id="user-event-producer")
    try:
        if topic in admin.list_topics():
            return False
        out(f"Create topic: {topic}")
        try:
            admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
        except TopicAlreadyExistsError:
            return False  # a concurrent run made it first
        return True
    finally:
        admin.close()


def end_offsets(s: Settings, topics: Iterable[str]) -> dict[str, int]:
    """Sum of the partitions' end offsets per topic; 0 for a topic that does not exist."""
    from kafka import KafkaConsumer, TopicPartition  # noqa: PLC0415

    consumer = KafkaConsumer(bootstrap_servers=s.bootstrap, enable_auto_commit=False)
    try:
        result = {}
        for t in topics:
            parts = consumer.partitions_for_topic(t) or set()
            tps = [TopicPartition(t, p) for p in parts]
            result[t] = sum(consumer.end_offsets(tps).values()) if tps else 0
        return result
    finally:
        consumer.close()


def clickstream_event(day: str, rng) -> dict:
    """One event, with the fields of the upstream 02_generate_clickstream.py. The field holding
    the event name is literally called "EVENTS_TOPIC_NAME" there (a search-and-replace slip in
    the upstream script); we keep it so the objects in the bucket look the same."""
    return {
        "timestamp": datetime.now().isoformat(),
        "daily": day,
        "EVENTS_TOPIC_NAME": rng.choice(MOCK_EVENTS),
        "event_value": rng.randint(0, 1),
    }


def event_key(customer_id: str, raw: bool = False) -> bytes:
    """The record key. Upstream sends the bare id (`b552efd0...`), but the article's sink reads
    keys with JsonConverter, and a bare hex id is not JSON: Kafka Connect (Jackson) fails the
    task on the first id that starts with a letter (one starting with a digit parses as a
    number), and so does Sluice. A JSON string (`"b552efd0..."`) is the smallest change that
    keeps the article's connector config; raw=True reproduces upstream exactly."""
    return customer_id.encode("utf-8") if raw else json.dumps(customer_id).encode("utf-8")


def generate_clickstream(
    s: Settings,
    orders: Orders,
    n_days: int,
    sleep_s: float,
    *,
    out: Callable[[str], None] = print,
    seed: int | None = None,
    raw_keys: bool | None = None,
) -> list[tuple[str, int]]:
    """02_generate_clickstream.py: one event per customer of each of the first `n_days` days,
    keyed by customer_id (see event_key; CLICKSTREAM_RAW_KEYS=1 sends upstream's bare ids).
    Waits for every send to be acknowledged (the upstream script relied on the process
    lingering). Returns (day, events sent) per day."""
    import random  # noqa: PLC0415

    from kafka import KafkaProducer  # noqa: PLC0415

    rng = random.Random(seed)
    if raw_keys is None:
        raw_keys = os.environ.get("CLICKSTREAM_RAW_KEYS") == "1"
    ensure_topic(s, CLICKSTREAM_TOPIC, out)
    out(str(orders.shape))
    out(f"NO. DATES: {len(orders.by_day)}")
    producer = KafkaProducer(bootstrap_servers=s.bootstrap)
    sent = []
    try:
        for i, (day, rows) in enumerate(orders.by_day.items()):
            if i >= n_days:
                break
            out(f"Getting clickstream data on: {day}")
            customers = list(OrderedDict.fromkeys(r["customer_id"] for r in rows))
            out(f"-Number of customers: {len(customers)}")
            futures = []
            key = value = b""
            for cust in customers:
                key = event_key(cust, raw_keys)
                value = json.dumps(clickstream_event(day, rng)).encode("utf-8")
                futures.append(producer.send(CLICKSTREAM_TOPIC, key=key, value=value))
            producer.flush(timeout=60)
            for fut in futures:
                fut.get(timeout=60)  # raises if the broker refused one
            out(f"{i}. Sent {len(futures)} events to topic {CLICKSTREAM_TOPIC}, last: {key!r} - {value!r}")
            sent.append((day, len(futures)))
            if i + 1 < n_days:
                time.sleep(sleep_s)
    finally:
        producer.close(timeout=10)
    return sent


# ---------------------------------------------------------------------------------------------
# Connect REST (what the article does with curl)


class ConnectError(RuntimeError):
    pass


def rest(
    s: Settings,
    method: str,
    path: str,
    body: object | None = None,
    *,
    timeout: float = 10.0,
    headers: dict[str, str] | None = None,
) -> tuple[int, object | None]:
    """One REST call; returns (status, parsed JSON body or None). Transport errors raise
    ConnectError; HTTP error statuses are returned, not raised."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(s.connect_url + path, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    except (urllib.error.URLError, OSError) as e:
        raise ConnectError(f"{method} {s.connect_url}{path}: {e}") from e
    try:
        return status, (json.loads(raw) if raw else None)
    except ValueError:
        return status, raw.decode(errors="replace")


def worker_info(s: Settings) -> dict | None:
    """GET / when the worker answers, else None."""
    try:
        status, body = rest(s, "GET", "/", timeout=3)
    except ConnectError:
        return None
    return body if status == 200 and isinstance(body, dict) else None


def missing_plugins(s: Settings, required: Iterable[str] = REQUIRED_PLUGINS) -> list[str]:
    status, body = rest(s, "GET", "/connector-plugins")
    if status != 200 or not isinstance(body, list):
        raise ConnectError(f"GET /connector-plugins -> {status}: {body}")
    have = {p.get("class") for p in body if isinstance(p, dict)}
    return [c for c in required if c not in have]


def connector_states(s: Settings) -> dict[str, dict]:
    """GET /connectors?expand=status, as {name: status}."""
    status, body = rest(s, "GET", "/connectors?expand=status")
    if status != 200 or not isinstance(body, dict):
        raise ConnectError(f"GET /connectors?expand=status -> {status}: {body}")
    return {name: v.get("status", {}) for name, v in body.items()}


def summarize_state(st: dict | None) -> str:
    if not st:
        return "ABSENT"
    tasks = st.get("tasks") or []
    task_states = ",".join(t.get("state", "?") for t in tasks) or "no tasks"
    return f"{st.get('connector', {}).get('state', '?')} (tasks: {task_states})"


def run_setup_connectors(s: Settings, out: Callable[[str], None] = print) -> None:
    """Runs demo/setup_connectors.sh with our host names; raises on a failed registration."""
    import subprocess  # noqa: PLC0415

    env = dict(os.environ, **s.script_env())
    proc = subprocess.run(
        ["bash", str(DEMO_DIR / "setup_connectors.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    for line in (proc.stdout + proc.stderr).splitlines():
        out(line)
    if proc.returncode != 0:
        raise ConnectError(f"setup_connectors.sh exited {proc.returncode}")


# ---------------------------------------------------------------------------------------------
# the bucket (boto3, path-style as MinIO needs)


def s3_client(s: Settings):
    import boto3  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415

    return boto3.client(
        "s3",
        endpoint_url=s.s3_endpoint,
        aws_access_key_id=s.s3_access_key,
        aws_secret_access_key=s.s3_secret_key,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
    )


def list_keys(client, bucket: str, prefix: str) -> list[str]:
    """Every key under the prefix. boto3 asks for url-encoded keys and decodes them with
    unquote_plus; s3s-fs 0.14 ignores the request and sends raw keys, so the `+` of Confluent
    file names (`topic+0+0000000000.json`) came back as spaces. Asking explicitly turns boto3's
    decoding off; `unquote` then serves both servers (MinIO encodes `+` as %2B)."""
    keys = []
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, EncodingType="url")
    for page in pages:
        keys.extend(unquote(o["Key"]) for o in page.get("Contents", []))
    return sorted(keys)


def delete_prefix(client, bucket: str, prefix: str) -> int:
    keys = list_keys(client, bucket, prefix)
    # One DeleteObject per key rather than the batch call: simplest across S3 servers, and the
    # demo's prefixes hold tens of objects, not thousands.
    for k in keys:
        client.delete_object(Bucket=bucket, Key=k)
    return len(keys)


def read_lines(client, bucket: str, key: str) -> list[str]:
    body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    if key.endswith(".gz"):
        body = gzip.decompress(body)
    return [line for line in body.decode("utf-8").splitlines() if line.strip()]


class BucketReader:
    """Reads objects under a prefix once each (committed S3 objects never change), so polling a
    growing prefix costs one GET per new object."""

    def __init__(self, client, bucket: str, prefix: str):
        self.client, self.bucket, self.prefix = client, bucket, prefix
        self.lines: dict[str, list[str]] = {}

    def refresh(self) -> None:
        for key in list_keys(self.client, self.bucket, self.prefix):
            if key not in self.lines:
                self.lines[key] = read_lines(self.client, self.bucket, key)

    def records(self) -> list[tuple[str, dict]]:
        out = []
        for key in sorted(self.lines):
            for line in self.lines[key]:
                try:
                    out.append((key, json.loads(line)))
                except ValueError:
                    out.append((key, {"_unparsed": line}))
        return out


def cdc_row_id(rec: dict, since_ms: int) -> str | None:
    """order_id of an insert (or snapshot read) captured at/after `since_ms`, else None. Lines
    from an earlier run (re-delivered after an interrupted one) are older and not counted."""
    if rec.get("op") not in ("c", "r"):
        return None
    after = rec.get("after") or {}
    src_ts = (rec.get("source") or {}).get("ts_ms") or rec.get("ts_ms") or 0
    # The binlog stamps whole seconds: a row written in the run's first second shows the
    # second's start.
    if src_ts < since_ms - 1000:
        return None
    return after.get("order_id")


def clickstream_id(rec: dict, since_iso: str) -> str | None:
    ts = rec.get("timestamp")
    return ts if isinstance(ts, str) and ts >= since_iso else None


@dataclass
class SinkProgress:
    expected: int
    found: int = 0
    duplicates: int = 0
    other: int = 0
    objects: int = 0
    keys: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.found >= self.expected


def measure(reader: BucketReader, ident: Callable[[dict], str | None], expected: int) -> SinkProgress:
    reader.refresh()
    seen: dict[str, int] = {}
    other = 0
    for _key, rec in reader.records():
        rid = ident(rec)
        if rid is None:
            other += 1
        else:
            seen[rid] = seen.get(rid, 0) + 1
    keys = sorted(reader.lines)
    return SinkProgress(
        expected=expected,
        found=len(seen),
        duplicates=sum(n - 1 for n in seen.values()),
        other=other,
        objects=len(keys),
        keys=keys,
    )
