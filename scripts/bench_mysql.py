#!/usr/bin/env python3
"""MySQL source benchmark (see BENCHMARKS.md, "MySQL source").

Runs the release `sluice` worker against the local stack (scripts/stack.sh up: tansu on 9092,
MariaDB on 3306) with the article's connector JSON and measures, each against a bare baseline in
the same run on the same machine:

  1. binlog catch-up: the connector is created (snapshot.mode=no_data), stopped, N rows are
     inserted (N/10k statements of 10k rows), then it is resumed. Rate = N / (last record's
     Kafka timestamp - resume request). Baseline: `mariadb-binlog --read-from-remote-server -v`
     decoding the same binlog range to /dev/null.
  2. snapshot: a second connector (snapshot.mode=initial) over the same N rows. Rate = N /
     (last snapshot record's Kafka timestamp - create request). Baseline: one
     `mariadb --quick -e 'SELECT * ...'` to /dev/null.
  3. commit-to-Kafka latency at a steady insert rate (default 5k rows/s, transactions of 10
     rows every 2 ms): each row carries the client's wall clock taken just before its INSERT
     was sent (DATETIME(6)); latency = Kafka record timestamp (CreateTime, set when the worker's
     producer accepts the record) - that clock. Also reported: the bench consumer's receive time
     - that clock (adds the broker fetch path).

Topic records are counted by consuming (tansu's high watermarks are unreliable), after the
worker is done, so the bench's consumer does not compete with the worker for the 2 cores while
it is measured.

  4. with --transforms none,unwrap,unwrap-route-insert: one snapshot per transform chain over the
     same rows (ExtractNewRecordState; then RegexRouter and InsertField as well), each reported
     as a ratio to the `none` snapshot of the same run (rows/s and rows per CPU-second).

Usage: .venv/bin/python scripts/bench_mysql.py [--rows 1000000] [--latency-seconds 20]
Env: KAFKA_BOOTSTRAP (127.0.0.1:9092), MYSQL_URL (mysql://root:debezium@127.0.0.1:3306),
     SLUICE_BIN (target/release/sluice).
"""

import argparse
import json
import os
import random
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pymysql
from confluent_kafka import Consumer, TopicPartition

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP", "127.0.0.1:9092")
SCHEMAS = "true"  # JsonConverter schemas.enable of the connectors (--schemas)
MYSQL_URL = urllib.parse.urlparse(
    os.environ.get("MYSQL_URL", "mysql://root:debezium@127.0.0.1:3306")
)
SLUICE_BIN = os.environ.get("SLUICE_BIN", os.path.join(REPO, "target/release/sluice"))
TABLE = "olist_orders_dataset"


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def rand(n=8):
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(n))


def mysql_conn(db=None):
    return pymysql.connect(
        host=MYSQL_URL.hostname,
        port=MYSQL_URL.port or 3306,
        user=MYSQL_URL.username,
        password=MYSQL_URL.password,
        database=db,
        autocommit=True,
    )


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Worker:
    def __init__(self):
        self.port = free_port()
        gid = f"bench_mysql_{rand()}"
        self.log_path = tempfile.mktemp(prefix="sluice-bench-mysql-", suffix=".log")
        env = dict(os.environ)
        env.update(
            BOOTSTRAP_SERVERS=BOOTSTRAP,
            GROUP_ID=gid,
            CONFIG_STORAGE_TOPIC=f"{gid}_configs",
            OFFSET_STORAGE_TOPIC=f"{gid}_offsets",
            STATUS_STORAGE_TOPIC=f"{gid}_statuses",
            OFFSET_FLUSH_INTERVAL_MS=os.environ.get("BENCH_OFFSET_FLUSH_MS", "1000"),
            ADVERTISED_HOST_NAME="127.0.0.1",
            CONNECT_LISTENERS=f"http://127.0.0.1:{self.port}",
        )
        self.logf = open(self.log_path, "w")
        self.proc = subprocess.Popen([SLUICE_BIN], env=env, stdout=self.logf, stderr=self.logf)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if self.call("GET", "/")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"worker did not start; log {self.log_path}")

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                text = r.read().decode()
                return r.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            return e.code, (json.loads(text) if text else None)

    def wait_state(self, name, state, timeout=60):
        deadline = time.time() + timeout
        st = None
        while time.time() < deadline:
            code, st = self.call("GET", f"/connectors/{name}/status")
            if code == 200 and st["connector"]["state"] == state:
                if state == "STOPPED" or (
                    st["tasks"] and all(t["state"] == state for t in st["tasks"])
                ):
                    return
            if code == 200 and any(t["state"] == "FAILED" for t in st.get("tasks", [])):
                raise RuntimeError(f"task failed: {st}")
            time.sleep(0.05)
        raise RuntimeError(f"{name} not {state}: {st}")

    def offset(self, name):
        code, body = self.call("GET", f"/connectors/{name}/offsets")
        if code != 200 or not body or not body.get("offsets"):
            return None
        return body["offsets"][0]["offset"]

    def cpu_s(self):
        """utime + stime of the worker so far (a per-core cost, whatever else the machine runs)."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.logf.close()


def connector_config(db, prefix, snapshot_mode):
    # The article's JSON (demo/setup_connectors.sh) with this run's names and addresses.
    return {
        "connector.class": "io.debezium.connector.mysql.MySqlConnector",
        "tasks.max": "1",
        "database.hostname": MYSQL_URL.hostname,
        "database.port": str(MYSQL_URL.port or 3306),
        "database.user": "debezium",
        "database.password": "dbz",
        "database.server.id": str(random.randint(100_000, 2_000_000_000)),
        "database.include.list": db,
        "topic.prefix": prefix,
        "schema.history.internal.kafka.bootstrap.servers": BOOTSTRAP,
        "schema.history.internal.kafka.topic": f"schema-changes.{prefix}",
        "snapshot.mode": snapshot_mode,
        # The worker's default converters are JsonConverter with schemas (as in the article);
        # --schemas off matches the published Debezium benchmark (JSON without schemas).
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "key.converter.schemas.enable": SCHEMAS,
        "value.converter.schemas.enable": SCHEMAS,
    }


def consumer():
    return Consumer(
        {
            "bootstrap.servers": BOOTSTRAP,
            "group.id": f"bench_reader_{rand()}",
            "enable.auto.commit": False,
            # tansu holds every fetch for fetch.wait.max.ms even when data is ready.
            "fetch.wait.max.ms": 1,
            "fetch.min.bytes": 1,
        }
    )


def assign_all(c, topic, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        md = c.list_topics(topic, timeout=5)
        t = md.topics.get(topic)
        if t is not None and t.error is None and t.partitions:
            c.assign([TopicPartition(topic, p, 0) for p in t.partitions])  # 0 = from the start
            return len(t.partitions)
        time.sleep(0.2)
    raise RuntimeError(f"topic {topic} never appeared")


def count_topic(topic, want, timeout=300):
    """Consumes `topic` until `want` records were read (then 1 s more for extras); returns
    (count, min and max Kafka timestamp in ms)."""
    c = consumer()
    assign_all(c, topic)
    n, lo, hi = 0, None, None
    deadline = time.time() + timeout
    quiet_until = None
    while time.time() < deadline:
        if n >= want and quiet_until is None:
            quiet_until = time.time() + 1.0
        if quiet_until is not None and time.time() >= quiet_until:
            break
        for m in c.consume(10000, 0.1):
            if m.error():
                raise RuntimeError(m.error())
            n += 1
            ts = m.timestamp()[1]
            lo = ts if lo is None else min(lo, ts)
            hi = ts if hi is None else max(hi, ts)
    c.close()
    return n, lo, hi


def binlog_position(conn):
    with conn.cursor() as cur:
        cur.execute("SHOW MASTER STATUS")
        f, p = cur.fetchone()[:2]
        return f, int(p)


def binlog_files_between(conn, first, last):
    with conn.cursor() as cur:
        cur.execute("SHOW BINARY LOGS")
        names = [r[0] for r in cur.fetchall()]
    return names[names.index(first) : names.index(last) + 1]


def insert_rows(conn, db, start, n, chunk=10_000):
    """Server-side generated rows of the article's table (MariaDB's SEQUENCE engine), one
    transaction per `chunk` rows."""
    with conn.cursor() as cur:
        for a in range(start, start + n, chunk):
            b = min(a + chunk, start + n) - 1
            cur.execute(
                f"INSERT INTO `{db}`.{TABLE} SELECT LPAD(seq, 10, '0'), CONCAT('customer-', seq),"
                " 'delivered', '2017-10-02 10:56:33', '2017-10-02 11:07:15',"
                " '2017-10-04 19:55:00', '2017-10-10 21:25:13', '2017-10-18 00:00:00'"
                f" FROM mysql.seq_{a}_to_{b}"
            )


def mysql_cli_args():
    return [
        f"--host={MYSQL_URL.hostname}",
        f"--port={MYSQL_URL.port or 3306}",
        f"--user={MYSQL_URL.username}",
        f"--password={MYSQL_URL.password}",
    ]


def wait_idle(w, name, before, timeout=600):
    deadline = time.time() + timeout
    last, since = before, time.time()
    while time.time() < deadline:
        off = w.offset(name)
        if off != last:
            last, since = off, time.time()
        elif off is not None and off != before and time.time() - since >= 3:
            return off
        time.sleep(0.25)
    raise RuntimeError(f"{name} did not settle: {last}")


def bench_catch_up(w, conn, db, rows):
    name = f"bench-catchup-{rand()}"
    prefix = f"bench_cu_{rand()}"
    code, body = w.call(
        "POST", "/connectors", {"name": name, "config": connector_config(db, prefix, "no_data")}
    )
    assert code == 201, body
    w.wait_state(name, "RUNNING")
    # The schema-only snapshot is done when its offset is stored.
    deadline = time.time() + 60
    while w.offset(name) is None or w.offset(name).get("snapshot"):
        if time.time() > deadline:
            raise RuntimeError("no_data snapshot did not finish")
        time.sleep(0.2)
    code, body = w.call("PUT", f"/connectors/{name}/stop")
    assert code in (202, 204), (code, body)
    w.wait_state(name, "STOPPED")

    f1, p1 = binlog_position(conn)
    t = time.time()
    insert_rows(conn, db, 1, rows)
    f2, p2 = binlog_position(conn)
    log(f"inserted {rows} rows in {time.time() - t:.1f} s; binlog {f1}:{p1} .. {f2}:{p2}")

    # Bare reader of the same range.
    files = binlog_files_between(conn, f1, f2)
    cmd = (
        ["mariadb-binlog", "--read-from-remote-server", "-v"]
        + mysql_cli_args()
        + [f"--start-position={p1}", f"--stop-position={p2}"]
        + files
    )
    t = time.time()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    bare_s = time.time() - t

    before = w.offset(name)
    cpu0 = w.cpu_s()
    t0 = time.time()
    code, body = w.call("PUT", f"/connectors/{name}/resume")
    assert code == 202, (code, body)
    # Done when the committed offset moved and then stood still for 3 s (offsets flush every
    # second; the offset of a transaction's last row stays inside it, so no position is final).
    wait_idle(w, name, before)
    cpu = w.cpu_s() - cpu0
    n, _, hi = count_topic(f"{prefix}.{db}.{TABLE}", rows)
    w.call("DELETE", f"/connectors/{name}")
    sluice_s = hi / 1000.0 - t0
    return {
        "rows": rows,
        "records": n,
        "binlog_bytes": (p2 - p1) if f1 == f2 else None,
        "worker_cpu_s": cpu,
        "rows_per_cpu_s": rows / cpu,
        "sluice_s": sluice_s,
        "sluice_rows_per_s": rows / sluice_s,
        "bare_s": bare_s,
        "bare_rows_per_s": rows / bare_s,
        "ratio": (rows / sluice_s) / (rows / bare_s),
    }


# Transform chains for --transforms: the Debezium "unwrap" nearly every sink pipeline carries,
# and unwrap plus a topic router and a static field.
TRANSFORM_CHAINS = {
    "none": ({}, ""),
    "unwrap": ({
        "transforms": "unwrap",
        "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
    }, ""),
    "unwrap-route-insert": ({
        "transforms": "unwrap,route,insert",
        "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": "(.*)",
        "transforms.route.replacement": "$1_routed",
        "transforms.insert.type": "org.apache.kafka.connect.transforms.InsertField$Value",
        "transforms.insert.static.field": "pipeline",
        "transforms.insert.static.value": "bench",
    }, "_routed"),
}


def bench_snapshot(w, db, rows, threads=1, chain="none"):
    bare = subprocess.run(
        ["mariadb", "--quick", "--batch"] + mysql_cli_args() + ["-e", f"SELECT * FROM `{db}`.{TABLE}"],
        stdout=subprocess.DEVNULL,
        check=True,
    )
    del bare
    t = time.time()
    subprocess.run(
        ["mariadb", "--quick", "--batch"] + mysql_cli_args() + ["-e", f"SELECT * FROM `{db}`.{TABLE}"],
        stdout=subprocess.DEVNULL,
        check=True,
    )
    bare_s = time.time() - t

    name = f"bench-snapshot-{rand()}"
    prefix = f"bench_sn_{rand()}"
    cpu0 = w.cpu_s()
    t0 = time.time()
    config = connector_config(db, prefix, "initial")
    if threads > 1:
        config["snapshot.max.threads"] = str(threads)
    extra, topic_suffix = TRANSFORM_CHAINS[chain]
    config.update(extra)
    code, body = w.call("POST", "/connectors", {"name": name, "config": config})
    assert code == 201, body
    deadline = time.time() + 300
    while True:
        off = w.offset(name)
        if off is not None and not off.get("snapshot"):
            cpu = w.cpu_s() - cpu0
            break
        if time.time() > deadline:
            raise RuntimeError(f"snapshot did not finish: {off}")
        time.sleep(0.25)
    n, _, hi = count_topic(f"{prefix}.{db}.{TABLE}{topic_suffix}", rows)
    sluice_s = hi / 1000.0 - t0
    return name, prefix, {
        "rows": rows,
        "transforms": chain,
        "snapshot_max_threads": threads,
        "records": n,
        "worker_cpu_s": cpu,
        "rows_per_cpu_s": rows / cpu,
        "sluice_s": sluice_s,
        "sluice_rows_per_s": rows / sluice_s,
        "bare_s": bare_s,
        "bare_rows_per_s": rows / bare_s,
        "ratio": (rows / sluice_s) / (rows / bare_s),
    }


def bench_latency(w, db, prefix, seconds, rate, per_tx):
    topic = f"{prefix}.{db}.lat"
    c = consumer()
    stop = threading.Event()
    samples = []  # (kafka_ts - insert_us/1000, receive - insert)

    # The table is created while the connector streams; wait for its topic via the first row.
    conn = mysql_conn(db)
    with conn.cursor() as cur:
        cur.execute(
            "CREATE TABLE lat (id BIGINT PRIMARY KEY, inserted_at DATETIME(6) NOT NULL, pad VARCHAR(64))"
        )
        cur.execute("INSERT INTO lat VALUES (0, UTC_TIMESTAMP(6), 'warm-up')")
    assign_all(c, topic)

    def consume():
        while not stop.is_set():
            for m in c.consume(1000, 0.05):
                now = time.time()
                if m.error() or m.value() is None:
                    continue
                v = json.loads(m.value())
                p = v["payload"] if SCHEMAS == "true" else v
                if p["op"] != "c" or p["after"]["id"] == 0:
                    continue
                ins_ms = p["after"]["inserted_at"] / 1000.0  # MicroTimestamp: µs, UTC wall time
                samples.append((m.timestamp()[1] - ins_ms, now * 1000.0 - ins_ms, ins_ms))

    th = threading.Thread(target=consume)
    th.start()
    time.sleep(1)
    interval = per_tx / rate
    next_id = 1
    t_start = time.time()
    next_t = t_start
    behind = 0
    with conn.cursor() as cur:
        while time.time() - t_start < seconds:
            now = time.time()
            if now < next_t:
                time.sleep(next_t - now)
            elif now - next_t > 0.05:
                behind += 1
            ts = time.time()
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts)) + f".{int(ts % 1 * 1e6):06d}"
            values = ",".join(f"({next_id + i}, '{stamp}', 'x')" for i in range(per_tx))
            cur.execute(f"INSERT INTO lat VALUES {values}")
            next_id += per_tx
            next_t += interval
    elapsed = time.time() - t_start
    inserted = next_id - 1
    deadline = time.time() + 30
    while len(samples) < inserted and time.time() < deadline:
        time.sleep(0.1)
    stop.set()
    th.join()
    c.close()
    conn.close()

    def pct(xs, q):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(q * len(xs)))]

    # Where the slow rows are: the worst Kafka latency per second of the run.
    per_sec = {}
    for k, _, ins in samples:
        sec = int(ins / 1000.0 - t_start)
        per_sec[sec] = max(per_sec.get(sec, 0.0), k)
    kafka = [s[0] for s in samples]
    recv = [s[1] for s in samples]
    return {
        "rows": inserted,
        "received": len(samples),
        "achieved_rows_per_s": inserted / elapsed,
        "per_tx": per_tx,
        "kafka_p50_ms": pct(kafka, 0.50),
        "kafka_p99_ms": pct(kafka, 0.99),
        "kafka_max_ms": max(kafka),
        "kafka_mean_ms": statistics.mean(kafka),
        "consume_p50_ms": pct(recv, 0.50),
        "consume_p99_ms": pct(recv, 0.99),
        "consume_max_ms": max(recv),
        "max_kafka_ms_per_second": [round(per_sec.get(i, 0.0)) for i in range(max(per_sec) + 1)],
    }


def private_broker():
    """A tansu with in-memory storage on a free port: the stack's shared sqlite-backed tansu is
    used by everyone's tests and benches at once and saturates a core on its own."""
    global BOOTSTRAP
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    d = tempfile.mkdtemp(prefix="bench-mysql-tansu-")
    tansu = os.path.expanduser("~/.cargo/bin/tansu")
    logf = open(os.path.join(d, "tansu.log"), "w")
    proc = subprocess.Popen(
        [tansu, "broker", "--listener-url", url, "--advertised-listener-url", url,
         "--storage-engine", "memory://tansu/"],
        cwd=d, stdout=logf, stderr=logf,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            break
        except OSError:
            time.sleep(0.05)
    BOOTSTRAP = f"127.0.0.1:{port}"
    return proc


def main():
    global SCHEMAS
    ap = argparse.ArgumentParser()
    ap.add_argument("--schemas", choices=["on", "off"], default="on")
    ap.add_argument("--shared-broker", action="store_true",
                    help="use KAFKA_BOOTSTRAP instead of a private in-memory tansu")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--latency-seconds", type=int, default=20)
    ap.add_argument("--latency-rate", type=int, default=5000)
    ap.add_argument("--latency-rows-per-tx", type=int, default=10)
    ap.add_argument("--skip", default="", help="comma list of: catchup,snapshot,latency")
    ap.add_argument("--transforms", default="",
                    help="comma list of transform chains to snapshot with, ratios to the first "
                         "(none,unwrap,unwrap-route-insert); skips the other measurements")
    ap.add_argument("--snapshot-threads", default="1",
                    help="comma list of snapshot.max.threads values, one snapshot each (e.g. 1,2)")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    SCHEMAS = "true" if args.schemas == "on" else "false"
    broker = None if args.shared_broker else private_broker()

    db = f"bench_mysql_{rand()}"
    conn = mysql_conn()
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{db}`")
        cur.execute(
            f"CREATE TABLE `{db}`.{TABLE} (order_id varchar(32), customer_id varchar(32),"
            " order_status varchar(16), order_purchase_timestamp varchar(32),"
            " order_approved_at varchar(32), order_delivered_carrier_date varchar(32),"
            " order_delivered_customer_date varchar(32), order_estimated_delivery_date varchar(32),"
            " PRIMARY KEY (order_id))"
        )
    log(f"database {db}; worker {SLUICE_BIN}")
    w = Worker()
    results = {"rows": args.rows, "nproc": os.cpu_count(), "schemas": args.schemas,
               "broker": BOOTSTRAP if args.shared_broker else "private tansu memory://"}
    try:
        if args.transforms:
            insert_rows(conn, db, 1, args.rows)
            chains = args.transforms.split(",")
            runs = {}
            for chain in chains:
                name, _, snap = bench_snapshot(w, db, args.rows, chain=chain)
                w.call("DELETE", f"/connectors/{name}")
                runs[chain] = snap
                log(f"snapshot with transforms={chain}: {json.dumps(snap)}")
            base = runs[chains[0]]
            for chain, snap in runs.items():
                snap["rate_ratio_to_first"] = snap["sluice_rows_per_s"] / base["sluice_rows_per_s"]
                snap["cpu_ratio_to_first"] = snap["rows_per_cpu_s"] / base["rows_per_cpu_s"]
            results["transforms"] = runs
            skip |= {"catchup", "latency", "snapshot"}
        if "catchup" not in skip:
            results["catch_up"] = bench_catch_up(w, conn, db, args.rows)
            log(f"catch-up: {json.dumps(results['catch_up'])}")
        elif not args.transforms:
            insert_rows(conn, db, 1, args.rows)
        name = None
        for threads in ([] if "snapshot" in skip else [int(t) for t in args.snapshot_threads.split(",")]):
            if name is not None:
                # One connector per snapshot; the previous one goes first so that its
                # streaming does not compete.
                w.call("DELETE", f"/connectors/{name}")
            name, prefix, snap = bench_snapshot(w, db, args.rows, threads)
            key = "snapshot" if "snapshot" not in results else f"snapshot_threads_{threads}"
            results[key] = snap
            log(f"snapshot (snapshot.max.threads={threads}): {json.dumps(snap)}")
        if "latency" not in skip:
            results["latency"] = bench_latency(
                w, db, prefix, args.latency_seconds, args.latency_rate, args.latency_rows_per_tx
            )
            log(f"latency: {json.dumps(results['latency'])}")
        if name is not None:
            w.call("DELETE", f"/connectors/{name}")
    finally:
        w.stop()
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
        conn.close()
        log(f"worker log: {w.log_path}")
        if broker is not None:
            broker.terminate()
            broker.wait(10)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
