#!/usr/bin/env python3
"""Sluice against the JVM Kafka Connect worker, side by side (see BENCHMARKS.md, "Sluice against
the JVM worker").

The JVM worker is the real Kafka Connect 4.3.0 with Debezium 3.6.3 (../shared/oracle/kc.sh).
Everything runs on services private to this script: a tansu with memory:// storage and a
MariaDB that reports 5.7.19 (Debezium 3.6 refuses MariaDB 10.11; see the oracle's README), both
on free ports. Each measurement ("unit") gets a fresh tansu and a fresh worker, and only that
worker runs: Sluice (Debezium 2.2 layout, the default), Sluice with `sluice.debezium.version=3.6`,
then the JVM, one after the other, on the same data.

Units, in this order (within each: sluice, sluice36, jvm; `file` without sluice36):
  cdc-backlog (schemas on, then off): a connector with snapshot.mode=no_data; once it streams
      (a sentinel row reached its topic and its offset was committed) it is stopped
      (PUT /stop), N rows are inserted (N/10k transactions of the article's table), and it is
      resumed. Rate = N / (last record's Kafka timestamp - the resume request).
  cdc-snapshot (schemas on, then off): a new connector (snapshot.mode=initial) over those N
      rows. Rate = N / (last record's timestamp - POST /connectors).
  file-source: FileStreamSource over a file of N lines (100 bytes each). Rate as above.
  file-sink: then FileStreamSink from that topic to a file, until the file has N lines.
      Rate = N / (last line seen - POST /connectors), so it includes the consumer group join
      (tansu holds Sluice's static member in JoinGroup and SyncGroup for ~6 s; README).
  Every unit also measures the worker's start (exec to the first 200 on GET /) and, once
  GET /connectors answers, its idle RSS and CPU over --idle-seconds.

CPU and RSS are those of the worker's process tree (utime + stime, VmRSS from /proc), sampled
every 0.2 s; "CPU-s per 1M records" is the CPU used between the request and the last record,
scaled to 1M. Peak RSS is the highest sample in that window. Topics are created with one
partition; the JVM's source connectors get producer.override.batch.size=1000000 (the Java
producer's 16 KB batches measure tansu, not the worker; librdkafka batches 1 MB). Both
workers use JsonConverter (worker default) and offset.flush.interval.ms=1000.

A load has ended when the connector's committed offsets (GET /connectors/{c}/offsets, served by
both workers) stopped moving for 3 s, or reached the file's size; only then is its topic read
and its records counted (never while the worker is timed; tansu's high watermark is no record
count).

Usage:
  .venv/bin/python scripts/bench_vs_jvm.py --rows 20000          # a quick check
  .venv/bin/python scripts/bench_vs_jvm.py                       # N = 1,000,000 (quiet machine)
  --units cdc,file  --workers sluice,sluice36,jvm  --idle-seconds 5  --json out.json
Env: SLUICE_BIN (target/release/sluice), SLUICE_ORACLE_KC (../shared/oracle/kc.sh), TANSU
(~/.cargo/bin/tansu).
"""

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

import pymysql
from confluent_kafka import Consumer, TopicPartition

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SLUICE_BIN = os.environ.get("SLUICE_BIN", os.path.join(REPO, "target/release/sluice"))
KC_SH = os.environ.get(
    "SLUICE_ORACLE_KC", os.path.join(os.path.dirname(REPO), "shared/oracle/kc.sh")
)
TANSU = os.environ.get("TANSU", os.path.expanduser("~/.cargo/bin/tansu"))
TABLE = "olist_orders_dataset"
JSON_CONVERTER = "org.apache.kafka.connect.json.JsonConverter"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
SAMPLE_S = 0.2
LINE_BYTES = 100


def log(msg):
    print(f"[bench-vs-jvm {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def rand(n=8):
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(n))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port}")


# --------------------------------------------------------------------------------------------
# /proc: a process tree's CPU and memory


def proc_children():
    """pid -> child pids, from /proc/*/stat."""
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    return kids


def tree(root):
    kids = proc_children()
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def tree_usage(root):
    """(CPU seconds, RSS bytes) of `root` and its descendants; None once root is gone."""
    cpu, rss, alive = 0.0, 0, False
    for p in tree(root):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / CLK_TCK
            rss += int(fields[21]) * PAGE_KB * 1024
            alive = True
        except (OSError, IndexError, ValueError):
            continue
    return (cpu, rss) if alive else None


class Sampler(threading.Thread):
    """Samples a process tree's CPU and RSS every SAMPLE_S seconds."""

    def __init__(self, root):
        super().__init__(daemon=True)
        self.root = root
        self.samples = []  # (wall time, cpu s, rss bytes)
        self.stop_flag = threading.Event()

    def run(self):
        while not self.stop_flag.is_set():
            u = tree_usage(self.root)
            if u is not None:
                self.samples.append((time.time(), u[0], u[1]))
            self.stop_flag.wait(SAMPLE_S)

    def now(self):
        u = tree_usage(self.root)
        self.samples.append((time.time(), u[0], u[1]))
        return u

    def cpu_at(self, t):
        """CPU seconds used by time t, interpolated between the samples around it."""
        s = self.samples
        before = [x for x in s if x[0] <= t]
        after = [x for x in s if x[0] >= t]
        if not before:
            return s[0][1]
        if not after:
            return s[-1][1]
        a, b = before[-1], after[0]
        if b[0] == a[0]:
            return a[1]
        return a[1] + (b[1] - a[1]) * (t - a[0]) / (b[0] - a[0])

    def peak_rss(self, t0, t1):
        xs = [x[2] for x in self.samples if t0 <= x[0] <= t1 + SAMPLE_S]
        return max(xs) if xs else None

    def stop(self):
        self.stop_flag.set()


# --------------------------------------------------------------------------------------------
# Services: tansu (memory://) and a MariaDB that says 5.7.19


class Tansu:
    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="bench-vs-jvm-tansu-")
        url = f"tcp://127.0.0.1:{self.port}"
        self.logf = open(os.path.join(self.dir, "tansu.log"), "w")
        self.proc = subprocess.Popen(
            [TANSU, "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/"],
            cwd=self.dir, stdout=self.logf, stderr=self.logf,
        )
        try:
            wait_port(self.port, 30, "tansu")
        except BaseException:
            self.stop()
            raise
        self.bootstrap = f"127.0.0.1:{self.port}"

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.logf.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class MariaDb:
    """A private mariadbd reporting MySQL 5.7.19, as tests/harness/mysql.rs `start_as` runs it."""

    PASSWORD = "debezium"

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="bench-vs-jvm-mariadb-")
        data = os.path.join(self.dir, "data")
        env = dict(os.environ, PATH=os.environ.get("PATH", "") + ":/usr/sbin:/usr/local/sbin")
        subprocess.run(
            ["mariadb-install-db", "--no-defaults", f"--datadir={data}", "--user=root",
             "--auth-root-authentication-method=normal", "--skip-test-db"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        )
        self.port = free_port()
        self.logf = open(os.path.join(self.dir, "mariadbd.log"), "w")
        self.proc = subprocess.Popen(
            [shutil.which("mariadbd", path=env["PATH"]), "--no-defaults", f"--datadir={data}",
             "--user=root", f"--port={self.port}", "--bind-address=127.0.0.1",
             f"--socket={self.dir}/sock", f"--pid-file={self.dir}/mariadbd.pid",
             f"--log-bin={data}/binlog", "--binlog-format=ROW", "--binlog-row-image=FULL",
             "--server-id=1", "--max-allowed-packet=128M", "--innodb-buffer-pool-size=512M",
             "--version=5.7.19-log"],
            stdout=self.logf, stderr=self.logf,
        )
        try:
            self.setup()
        except BaseException:
            self.stop()
            raise

    def setup(self):
        deadline = time.time() + 60
        while True:
            try:
                c = pymysql.connect(host="127.0.0.1", port=self.port, user="root", autocommit=True)
                break
            except pymysql.err.OperationalError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"mariadbd did not start; see {self.dir}/mariadbd.log")
                time.sleep(0.2)
        with c.cursor() as cur:
            for host in ("localhost", "127.0.0.1", "%"):
                cur.execute(f"CREATE USER IF NOT EXISTS 'root'@'{host}'")
                cur.execute(f"ALTER USER 'root'@'{host}' IDENTIFIED BY '{self.PASSWORD}'")
                cur.execute(f"GRANT ALL PRIVILEGES ON *.* TO 'root'@'{host}' WITH GRANT OPTION")
            for host in ("localhost", "127.0.0.1", "%"):
                cur.execute(f"CREATE USER IF NOT EXISTS 'debezium'@'{host}' IDENTIFIED BY 'dbz'")
                cur.execute(
                    "GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT,"
                    f" LOCK TABLES ON *.* TO 'debezium'@'{host}'"
                )
        c.close()

    def conn(self, db=None):
        return pymysql.connect(host="127.0.0.1", port=self.port, user="root",
                               password=self.PASSWORD, database=db, autocommit=True)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.logf.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def create_orders_table(mysql, db):
    c = mysql.conn()
    with c.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{db}`")
        # demo/mysql_schemas.sql: the article's table.
        cur.execute(
            f"CREATE TABLE `{db}`.{TABLE} (order_id varchar(32), customer_id varchar(32),"
            " order_status varchar(16), order_purchase_timestamp varchar(32),"
            " order_approved_at varchar(32), order_delivered_carrier_date varchar(32),"
            " order_delivered_customer_date varchar(32), order_estimated_delivery_date varchar(32),"
            " PRIMARY KEY (order_id))"
        )
    c.close()


def insert_orders(mysql, db, n, chunk=10_000):
    """N rows of the article's table, generated by the server (SEQUENCE engine), one
    transaction per `chunk` rows: the same rows for every worker (scripts/bench_mysql.py)."""
    c = mysql.conn()
    with c.cursor() as cur:
        for a in range(1, n + 1, chunk):
            b = min(a + chunk, n + 1) - 1
            cur.execute(
                f"INSERT INTO `{db}`.{TABLE} SELECT LPAD(seq, 10, '0'), CONCAT('customer-', seq),"
                " 'delivered', '2017-10-02 10:56:33', '2017-10-02 11:07:15',"
                " '2017-10-04 19:55:00', '2017-10-10 21:25:13', '2017-10-18 00:00:00'"
                f" FROM mysql.seq_{a}_to_{b}"
            )
    c.close()


# --------------------------------------------------------------------------------------------
# Workers


def http(url, method="GET", body=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    req.add_header("Accept", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            text = r.read().decode()
            return r.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        try:
            return e.code, (json.loads(text) if text else None)
        except ValueError:
            return e.code, text


class Worker:
    """A running worker: its REST URL, the root of its process tree and a sampler over it."""

    kind = ""

    def __init__(self, bootstrap):
        self.bootstrap = bootstrap
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir = tempfile.mkdtemp(prefix=f"bench-vs-jvm-{self.kind}-")
        t0 = time.time()
        self.launch()
        try:
            # exec to the first 200 on GET /
            deadline = t0 + 300
            while True:
                try:
                    if http(self.url + "/", timeout=5)[0] == 200:
                        break
                except OSError:
                    pass
                if time.time() > deadline or self.exited():
                    raise RuntimeError(f"{self.kind} did not start:\n{self.log_tail()}")
                time.sleep(0.005)
            self.start_ms = (time.time() - t0) * 1000
            self.sampler = Sampler(self.root_pid())
            self.sampler.start()
        except BaseException:
            self.terminate()
            shutil.rmtree(self.dir, ignore_errors=True)
            raise

    def call(self, method, path, body=None):
        return http(self.url + path, method, body)

    def wait_ready(self, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if self.call("GET", "/connectors")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.kind}: GET /connectors never answered 200")

    def idle(self, seconds):
        """(RSS bytes, CPU % of a core) after `seconds` with no connector."""
        self.wait_ready()
        cpu0, _ = self.sampler.now()
        time.sleep(seconds)
        cpu1, rss = self.sampler.now()
        return rss, 100.0 * (cpu1 - cpu0) / seconds

    def wait_state(self, name, state, timeout=120):
        deadline = time.time() + timeout
        st = None
        while time.time() < deadline:
            code, st = self.call("GET", f"/connectors/{name}/status")
            if code == 200:
                tasks = st.get("tasks", [])
                if any(t["state"] == "FAILED" for t in tasks):
                    raise RuntimeError(f"{self.kind}: task failed: {json.dumps(st)[:2000]}")
                if st["connector"]["state"] == state and (
                    state == "STOPPED" or (tasks and all(t["state"] == state for t in tasks))
                ):
                    return
            time.sleep(0.05)
        raise RuntimeError(f"{self.kind}: {name} not {state}: {st}")

    def offsets(self, name):
        code, body = self.call("GET", f"/connectors/{name}/offsets")
        if code != 200 or not body:
            return None
        return body.get("offsets") or None

    def log_tail(self, lines=40):
        try:
            with open(self.log_path()) as f:
                text = f.read().splitlines()
        except OSError:
            return ""
        # The JVM's clients log a telemetry line every few seconds.
        text = [t for t in text if "Client telemetry registered" not in t]
        return "\n".join(text[-lines:])

    def stop(self):
        self.sampler.stop()
        self.terminate()
        shutil.rmtree(self.dir, ignore_errors=True)


def sluice_env(bootstrap, port, group_prefix):
    """The debezium/connect-style environment of a Sluice worker with its own group and
    internal topics on `bootstrap`, serving REST on `port`; no `CONNECT_*` of the caller's."""
    gid = f"{group_prefix}_{rand()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECT_")}
    env.update(
        BOOTSTRAP_SERVERS=bootstrap,
        GROUP_ID=gid,
        CONFIG_STORAGE_TOPIC=f"{gid}.configs",
        OFFSET_STORAGE_TOPIC=f"{gid}.offsets",
        STATUS_STORAGE_TOPIC=f"{gid}.status",
        OFFSET_FLUSH_INTERVAL_MS="1000",
        ADVERTISED_HOST_NAME="127.0.0.1",
        CONNECT_LISTENERS=f"http://127.0.0.1:{port}",
    )
    return env


class Sluice(Worker):
    kind = "sluice"

    def launch(self):
        env = sluice_env(self.bootstrap, self.port, "bench_vs_jvm")
        self.logf = open(os.path.join(self.dir, "worker.log"), "w")
        self.proc = subprocess.Popen([SLUICE_BIN], env=env, stdout=self.logf, stderr=self.logf)

    def exited(self):
        return self.proc.poll() is not None

    def log_path(self):
        return os.path.join(self.dir, "worker.log")

    def root_pid(self):
        return self.proc.pid

    def terminate(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.logf.close()


class Jvm(Worker):
    kind = "jvm"

    def kc_env(self):
        return dict(os.environ, KC_PORT=str(self.port), KC_GROUP=f"bench-vs-jvm-{rand()}",
                    KC_BOOTSTRAP=self.bootstrap, KC_STATE=self.dir)

    def launch(self):
        self.env = self.kc_env()
        self.kc = subprocess.Popen(["bash", KC_SH, "up"], env=self.env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def pidfile(self):
        return os.path.join(self.dir, f"kc-{self.port}.pid")

    def log_path(self):
        return os.path.join(self.dir, f"kc-{self.port}.log")

    def exited(self):
        return self.kc.poll() not in (None, 0)

    def root_pid(self):
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                with open(self.pidfile()) as f:
                    return int(f.read().strip())
            except (OSError, ValueError):
                time.sleep(0.05)
        raise RuntimeError("kc.sh wrote no pid file")

    def terminate(self):
        subprocess.run(["bash", KC_SH, "down"], env=self.env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        try:
            self.kc.wait(30)
        except subprocess.TimeoutExpired:
            self.kc.kill()


# label -> (worker class, extra config for Debezium connectors, extra config for source connectors)
WORKERS = {
    "sluice": (Sluice, {}, {}),
    "sluice36": (Sluice, {"sluice.debezium.version": "3.6"}, {}),
    "jvm": (Jvm, {}, {"producer.override.batch.size": "1000000"}),
}


# --------------------------------------------------------------------------------------------
# Topics


def consumer(bootstrap):
    return Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": f"bench_reader_{rand()}",
        "enable.auto.commit": False,
        # tansu holds every fetch for fetch.wait.max.ms even when data is ready.
        "fetch.wait.max.ms": 10,
        "fetch.min.bytes": 1,
    })


def read_topic(bootstrap, topic, quiet_s=3.0):
    """Consumes the whole of partition 0 until nothing came for `quiet_s`: (count, newest Kafka
    timestamp in ms). tansu's high watermarks are not the record count (its memory:// engine
    reports 1 after a batch of 2,000), so records are counted by reading them."""
    c = consumer(bootstrap)
    c.assign([TopicPartition(topic, 0, 0)])
    n, hi = 0, None
    last = time.time()
    while time.time() - last < quiet_s:
        for m in c.consume(10000, 0.5):
            if m.error():
                # A topic not created yet, the end of the partition: not fatal, read on.
                if m.error().fatal():
                    raise RuntimeError(m.error())
                continue
            n += 1
            last = time.time()
            ts = m.timestamp()[1]
            hi = ts if hi is None else max(hi, ts)
    c.close()
    return n, hi


def wait_settled(w, name, before, done=None, settle_s=3.0, timeout=3600):
    """Waits until the connector's committed offsets moved from `before` and then stayed put
    for `settle_s` (the workers flush offsets every second), or until `done(offsets)`. Either
    worker answers GET /connectors/{name}/offsets, so the end is found the same way for both,
    without reading the topic while the worker is measured."""
    deadline = time.time() + timeout
    last, since = before, time.time()
    while time.time() < deadline:
        off = w.offsets(name)
        if done is not None and off is not None and done(off):
            return off
        if off != last:
            last, since = off, time.time()
        elif off is not None and off != before and time.time() - since >= settle_s:
            return off
        time.sleep(0.2)
    raise RuntimeError(f"{w.kind}: {name} did not settle: {last}")


def wait_records(w, name, before, bootstrap, topic, want, done=None):
    """Waits for the connector to finish, then reads its topic; waits again while fewer than
    `want` records are there (a pause in the worker longer than the settle time)."""
    while True:
        off = wait_settled(w, name, before, done)
        t_settled = time.time()
        count, hi = read_topic(bootstrap, topic)
        if count >= want:
            return count, hi, t_settled
        log(f"  {w.kind}: {count} of {want} records once settled; waiting on")
        before = off


# --------------------------------------------------------------------------------------------
# Units


def load_result(w, n, t0, t_end, extra=None):
    cpu = w.sampler.cpu_at(t_end) - w.sampler.cpu_at(t0)
    out = {
        "records": n,
        "seconds": t_end - t0,
        "records_per_s": n / (t_end - t0),
        "cpu_s": cpu,
        "cpu_s_per_1m": cpu * 1_000_000 / n,
        "records_per_cpu_s": n / cpu if cpu > 0 else None,
        "peak_rss": w.sampler.peak_rss(t0, t_end),
    }
    out.update(extra or {})
    return out


def cdc_config(mysql, w_extra, src_extra, db, prefix, mode, schemas):
    cfg = {
        "connector.class": "io.debezium.connector.mysql.MySqlConnector",
        "tasks.max": "1",
        "database.hostname": "127.0.0.1",
        "database.port": str(mysql.port),
        "database.user": "debezium",
        "database.password": "dbz",
        "database.server.id": str(random.randint(100_000, 2_000_000_000)),
        "database.include.list": db,
        "topic.prefix": prefix,
        "schema.history.internal.kafka.topic": f"{prefix}.history",
        "snapshot.mode": mode,
        "key.converter": JSON_CONVERTER,
        "value.converter": JSON_CONVERTER,
        "key.converter.schemas.enable": schemas,
        "value.converter.schemas.enable": schemas,
        # tansu never creates a topic on produce; one partition keeps offsets countable.
        "topic.creation.default.replication.factor": "1",
        "topic.creation.default.partitions": "1",
    }
    cfg.update(w_extra)
    cfg.update(src_extra)
    return cfg


def cdc_backlog(w, tansu, mysql, label, schemas, n):
    """Returns (result, db): the database now holds the N rows, for the snapshot unit."""
    _, w_extra, src_extra = WORKERS[label]
    db = f"vs_{label}_{schemas}_{rand(4)}"
    create_orders_table(mysql, db)
    prefix = f"bench_{rand(6)}"
    name = f"backlog-{rand(6)}"
    cfg = cdc_config(mysql, w_extra, src_extra, db, prefix, "no_data", schemas)
    cfg["schema.history.internal.kafka.bootstrap.servers"] = tansu.bootstrap
    code, body = w.call("POST", "/connectors", {"name": name, "config": cfg})
    assert code == 201, (code, body)
    w.wait_state(name, "RUNNING")
    topic = f"{prefix}.{db}.{TABLE}"
    # A sentinel row shows the connector streams, and once its offset is committed a restart
    # resumes after it. A row inserted before the no_data snapshot took its binlog position is
    # never emitted, so a new sentinel goes in every 10 s until one arrives.
    c = mysql.conn()
    deadline = time.time() + 300
    sentinels, next_at = 0, 0.0
    while read_topic(tansu.bootstrap, topic, quiet_s=1.0)[0] < 1:
        w.wait_state(name, "RUNNING", timeout=5)  # fails at once on a FAILED task
        if time.time() > deadline:
            raise RuntimeError(f"{label}: no sentinel row reached {topic}")
        if time.time() >= next_at and w.offsets(name):
            with c.cursor() as cur:
                cur.execute(f"INSERT INTO `{db}`.{TABLE} (order_id) VALUES ('sentinel-{sentinels}')")
            sentinels += 1
            next_at = time.time() + 10
        time.sleep(0.5)
    time.sleep(3)  # offset.flush.interval.ms=1000, three times over
    code, body = w.call("PUT", f"/connectors/{name}/stop")
    assert code in (202, 204), (code, body)
    w.wait_state(name, "STOPPED")
    assert w.offsets(name), f"{label}: no committed offset before the backlog"
    first = read_topic(tansu.bootstrap, topic, quiet_s=1.0)[0]
    t = time.time()
    insert_orders(mysql, db, n)
    log(f"  inserted {n} rows in {time.time() - t:.1f} s")
    before = w.offsets(name)
    t0 = time.time()
    code, body = w.call("PUT", f"/connectors/{name}/resume")
    assert code in (202, 204), (code, body)
    count, hi, t_settled = wait_records(w, name, before, tansu.bootstrap, topic, first + n)
    count -= first
    t_end = hi / 1000.0
    w.call("DELETE", f"/connectors/{name}")
    # Gone before the snapshot unit (no connector is running now): the table holds the N rows.
    with c.cursor() as cur:
        cur.execute(f"DELETE FROM `{db}`.{TABLE} WHERE order_id LIKE 'sentinel-%'")
    c.close()
    return load_result(w, n, t0, t_end, {"counted": count, "settled_at_s": t_settled - t0}), db


def cdc_snapshot(w, tansu, mysql, label, schemas, n, db):
    _, w_extra, src_extra = WORKERS[label]
    prefix = f"bench_{rand(6)}"
    name = f"snapshot-{rand(6)}"
    cfg = cdc_config(mysql, w_extra, src_extra, db, prefix, "initial", schemas)
    cfg["schema.history.internal.kafka.bootstrap.servers"] = tansu.bootstrap
    topic = f"{prefix}.{db}.{TABLE}"
    t0 = time.time()
    code, body = w.call("POST", "/connectors", {"name": name, "config": cfg})
    assert code == 201, (code, body)
    count, hi, t_settled = wait_records(w, name, None, tansu.bootstrap, topic, n)
    w.call("DELETE", f"/connectors/{name}")
    return load_result(w, n, t0, hi / 1000.0, {"counted": count, "settled_at_s": t_settled - t0})


def make_lines(path, n):
    filler = "x" * LINE_BYTES
    with open(path, "w") as f:
        for i in range(n):
            f.write(f"{i:010d} {filler}"[: LINE_BYTES - 1] + "\n")


def count_lines(path, state):
    """Counts newlines appended to `path` since the last call (state: [offset, count])."""
    try:
        with open(path, "rb") as f:
            f.seek(state[0])
            chunk = f.read()
    except FileNotFoundError:
        return state[1]
    state[0] += len(chunk)
    state[1] += chunk.count(b"\n")
    return state[1]


def file_units(w, tansu, label, n, lines_path):
    _, _, src_extra = WORKERS[label]
    topic = f"lines-{rand(6)}"
    name = f"file-source-{rand(6)}"
    cfg = {
        "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
        "tasks.max": "1",
        "file": lines_path,
        "topic": topic,
        "topic.creation.default.replication.factor": "1",
        "topic.creation.default.partitions": "1",
    }
    cfg.update(src_extra)
    size = os.path.getsize(lines_path)

    def at_end(offsets):
        return any(o.get("offset", {}).get("position") == size for o in offsets)

    t0 = time.time()
    code, body = w.call("POST", "/connectors", {"name": name, "config": cfg})
    assert code == 201, (code, body)
    count, hi, t_settled = wait_records(w, name, None, tansu.bootstrap, topic, n, done=at_end)
    source = load_result(w, n, t0, hi / 1000.0, {"counted": count, "settled_at_s": t_settled - t0})
    w.call("DELETE", f"/connectors/{name}")

    out = os.path.join(w.dir, "sink-out.txt")
    name = f"file-sink-{rand(6)}"
    t0 = time.time()
    code, body = w.call("POST", "/connectors", {"name": name, "config": {
        "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "tasks.max": "1",
        "topics": topic,
        "file": out,
    }})
    assert code == 201, (code, body)
    state = [0, 0]
    first = None
    deadline = time.time() + 3600
    while True:
        got = count_lines(out, state)
        now = time.time()
        if got and first is None:
            first = now
        if got >= n:
            break
        if now > deadline:
            raise RuntimeError(f"{label} file sink: {got} of {n} lines")
        time.sleep(0.05)
    t_end = time.time()
    # Sluice's sink writes its file at each flush, the JVM's line by line: the first line
    # says when the consumer joined only for the JVM, so it is recorded, not compared.
    sink = load_result(w, n, t0, t_end, {"counted": got, "first_line_s": first - t0})
    w.call("DELETE", f"/connectors/{name}")
    return source, sink


# --------------------------------------------------------------------------------------------


def run_unit(label, unit, args, mysql, state):
    """One measurement: fresh tansu, fresh worker, its start and idle figures, then the load."""
    cls = WORKERS[label][0]
    tansu = Tansu()
    w = None
    try:
        w = cls(tansu.bootstrap)
        idle_rss, idle_cpu = w.idle(args.idle_seconds)
        res = {"start_ms": w.start_ms, "idle_rss": idle_rss, "idle_cpu_pct": idle_cpu}
        log(f"{label} {unit}: started in {w.start_ms:.0f} ms, idle RSS {idle_rss / 1e6:.1f} MB,"
            f" idle CPU {idle_cpu:.1f} %")
        if unit.startswith("cdc-backlog-"):
            schemas = unit.rsplit("-", 1)[1]
            r, db = cdc_backlog(w, tansu, mysql, label, "true" if schemas == "on" else "false",
                                args.rows)
            state[(label, schemas)] = db
            res["load"] = r
        elif unit.startswith("cdc-snapshot-"):
            schemas = unit.rsplit("-", 1)[1]
            db = state[(label, schemas)]
            res["load"] = cdc_snapshot(w, tansu, mysql, label,
                                       "true" if schemas == "on" else "false", args.rows, db)
        elif unit == "file":
            src, sink = file_units(w, tansu, label, args.rows, state["lines"])
            res["load"] = src
            res["sink"] = sink
        else:
            raise ValueError(unit)
        for key in ("load", "sink"):
            if key in res:
                r = res[key]
                log(f"  {label} {unit} {key}: {r['records_per_s']:,.0f} rec/s,"
                    f" {r['cpu_s_per_1m']:.1f} CPU-s/1M, peak RSS {r['peak_rss'] / 1e6:.0f} MB,"
                    f" counted {r['counted']}")
        return res
    except Exception:
        if w is not None:
            for c in (w.call("GET", "/connectors?expand=status")[1] or {}).values():
                log(f"  {json.dumps(c.get('status'))[:3000]}")
            log(f"  {label} log tail:\n{w.log_tail()}")
        raise
    finally:
        if w is not None:
            w.stop()
        tansu.stop()


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt(x, spec):
    return "" if x is None else format(x, spec)


def summarize(results, args):
    """Markdown tables: each Sluice variant against the JVM worker of the same run."""
    mb = 1e6
    out = [
        f"N = {args.rows:,}. Ratios are Sluice / JVM from this run: records/s and records per"
        " CPU-second above 1, CPU-s per 1M and RSS below 1 favour Sluice.",
        "",
        "| unit | worker | records/s | CPU-s per 1M records | peak RSS MB |"
        " records/s ratio | CPU-s per 1M ratio | peak RSS ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for unit, per_worker in results.items():
        for part, name in (("load", "file-source" if unit == "file" else unit), ("sink", "file-sink")):
            j = per_worker.get("jvm", {}).get(part)
            for label, r in per_worker.items():
                x = r.get(part)
                if x is None:
                    continue
                cells = [name, label, fmt(x["records_per_s"], ",.0f"), fmt(x["cpu_s_per_1m"], ".1f"),
                         fmt(x["peak_rss"] / mb, ".0f")]
                if label != "jvm" and j:
                    cells += [fmt(ratio(x["records_per_s"], j["records_per_s"]), ".2f"),
                              fmt(ratio(x["cpu_s_per_1m"], j["cpu_s_per_1m"]), ".3f"),
                              fmt(ratio(x["peak_rss"], j["peak_rss"]), ".2f")]
                else:
                    cells += ["", "", ""]
                out.append("| " + " | ".join(cells) + " |")
    # Start and idle: one of each per unit and worker (a fresh worker every unit).
    out += ["", "| worker | starts | start to first 200 on GET /, ms (median) |"
            " idle RSS MB (median) | idle CPU % of a core (median) | start ratio | idle RSS ratio |",
            "|---|---|---|---|---|---|---|"]
    med = {}
    for label in args.workers:
        rs = [per[label] for per in results.values() if label in per]
        if rs:
            med[label] = (len(rs), statistics.median(r["start_ms"] for r in rs),
                          statistics.median(r["idle_rss"] for r in rs),
                          statistics.median(r["idle_cpu_pct"] for r in rs))
    for label, (n, start, rss, cpu) in med.items():
        j = med.get("jvm")
        ratios = ["", ""] if label == "jvm" or not j else [
            fmt(ratio(start, j[1]), ".4f"), fmt(ratio(rss, j[2]), ".3f")]
        out.append(f"| {label} | {n} | {start:.0f} | {rss / mb:.1f} | {cpu:.1f} | "
                   + " | ".join(ratios) + " |")
    return "\n".join(out)


def main():
    # A SIGTERM (timeout, kill) unwinds like Ctrl-C, so the finally blocks stop every worker,
    # broker and database this script started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="N (rows, lines)")
    ap.add_argument("--units", default="cdc,file", help="comma list of: cdc, file")
    ap.add_argument("--schemas", default="on,off", help="JsonConverter schemas for CDC: on,off")
    ap.add_argument("--workers", default="sluice,sluice36,jvm",
                    help="comma list of: sluice, sluice36, jvm (JVM last is the usual order)")
    ap.add_argument("--idle-seconds", type=float, default=5.0)
    ap.add_argument("--json", help="write the raw results here too")
    args = ap.parse_args()
    args.workers = args.workers.split(",")
    units = args.units.split(",")
    for label in args.workers:
        if label not in WORKERS:
            ap.error(f"unknown worker {label}")
    if "jvm" in args.workers:
        subprocess.run(["bash", KC_SH, "setup"], check=True)
    log(f"N={args.rows}; sluice {SLUICE_BIN}; jvm {KC_SH}; load {os.getloadavg()}")

    plan = []
    if "cdc" in units:
        for s in args.schemas.split(","):
            plan += [f"cdc-backlog-{s}", f"cdc-snapshot-{s}"]
    if "file" in units:
        plan.append("file")
    state = {}
    tmp = tempfile.mkdtemp(prefix="bench-vs-jvm-")
    mysql = None
    results = {}
    try:
        if "file" in units:
            state["lines"] = os.path.join(tmp, "lines.txt")
            make_lines(state["lines"], args.rows)
        if "cdc" in units:
            mysql = MariaDb()
            log(f"MariaDB (reports 5.7.19) on {mysql.port}")
        for unit in plan:
            results[unit] = {}
            for label in args.workers:
                if unit == "file" and label == "sluice36":
                    continue  # sluice.debezium.version changes nothing for FileStream
                load = os.getloadavg()[0]
                log(f"{unit}: {label} (load {load:.1f})")
                results[unit][label] = run_unit(label, unit, args, mysql, state)
                results[unit][label]["loadavg_1m_before"] = load
    finally:
        if mysql is not None:
            mysql.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        table = summarize(results, args) if results else ""
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"rows": args.rows, "nproc": os.cpu_count(), "results": results}, f,
                          indent=2)
        print(table)


if __name__ == "__main__":
    main()
