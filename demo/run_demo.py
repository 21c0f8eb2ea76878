#!/usr/bin/env python3
"""`make demo`: the article end to end against the local stack and the Sluice worker.

Steps: the orders file (demo/gen_olist.py), the worker and its plugins, the MySQL table
(created or reused, then emptied), the `clickstream_events` topic, a clean bucket, the three
connectors (demo/setup_connectors.sh), N days of orders into MySQL and of clickstream events into
Kafka, then waiting until every row and event is in the bucket, and a report.

Knobs (environment):
  DEMO_DAYS=3          days of the orders file to replay (the article's scripts: 3; file: 366)
  DEMO_SLEEP=1         seconds between days (article: 5 for orders, 3 for clickstream)
  DEMO_TIMEOUT=300     seconds to wait for the bucket before giving up
  DEMO_DRAIN=1         flush the sinks' last partial file (see below); 0 keeps the article config
  DEMO_DRAIN_AFTER=10  seconds without progress before draining
  DEMO_SOURCES_ONLY=0  1: only MySQL + Kafka (no worker needed), for checking the generators
  CLICKSTREAM_RAW_KEYS=0  1: bare customer ids as keys, as upstream (sluice_demo.event_key)
  plus the host settings of sluice_demo.Settings (MYSQL_HOST, KAFKA_BOOTSTRAP, S3_ENDPOINT,
  CONNECT_URL, ...).

Why a drain: the Confluent S3 sink commits a file only when it holds `flush.size` records
(1000 for the CDC sink, 100 for clickstream in the article) unless a rotation interval is set,
and the article sets none. Sluice keeps those semantics, so the last partial file of a run
stays open. After DEMO_DRAIN_AFTER idle seconds the demo does what a user would do in Console:
it edits the sink config, adding `rotate.schedule.interval.ms=5000` (+ `timezone=UTC`), which
commits the open file within 5 s. The next `make demo` puts the article config back.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime

import sluice_demo as demo

FLUSH_SIZE = {demo.CDC_SINK: 1000, demo.CLICKSTREAM_SINK: 100}  # the article's configs
DRAIN_KEYS = {"rotate.schedule.interval.ms": "5000", "timezone": "UTC"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        return int(raw) if raw.strip() else default
    except ValueError:
        raise SystemExit(f"{name}={raw!r}: expected an integer") from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    try:
        return float(raw) if raw.strip() else default
    except ValueError:
        raise SystemExit(f"{name}={raw!r}: expected a number") from None


def log(msg: str) -> None:
    print(f"[demo] {msg}", flush=True)


class Stages:
    """Wall time per step, for the report."""

    def __init__(self) -> None:
        self.times: list[tuple[str, float]] = []
        self._name: str | None = None
        self._t = 0.0

    def start(self, name: str) -> None:
        self.stop()
        log(f"== {name}")
        self._name, self._t = name, time.monotonic()

    def stop(self) -> None:
        if self._name is not None:
            self.times.append((self._name, time.monotonic() - self._t))
            self._name = None


def wait_for_worker(s: demo.Settings, timeout: float) -> dict | None:
    deadline = time.monotonic() + timeout
    while True:
        info = demo.worker_info(s)
        if info is not None or time.monotonic() >= deadline:
            return info
        time.sleep(1)


def wait_running(s: demo.Settings, timeout: float) -> dict[str, dict]:
    """Until the three connectors and their tasks are RUNNING (or the timeout); returns the
    last statuses seen. A connector found PAUSED or STOPPED is resumed once: the demo may run
    on a worker where someone paused it, and replacing its config (setup_connectors.sh's PUT)
    keeps the target state, in Kafka Connect as in Sluice."""
    deadline = time.monotonic() + timeout
    states: dict[str, dict] = {}
    resumed: set[str] = set()
    while time.monotonic() < deadline:
        try:
            states = demo.connector_states(s)
        except demo.ConnectError:
            states = {}
        for c in demo.CONNECTORS:
            state = states.get(c, {}).get("connector", {}).get("state")
            if state in ("PAUSED", "STOPPED") and c not in resumed:
                resumed.add(c)
                try:
                    status, body = demo.rest(s, "PUT", f"/connectors/{c}/resume")
                except demo.ConnectError as e:
                    status, body = None, e
                log(f"{c}: was {state}; PUT .../resume -> {status}" + ("" if status == 202 else f": {body}"))
        ok = all(
            states.get(c, {}).get("connector", {}).get("state") == "RUNNING"
            and states[c].get("tasks")
            and all(t.get("state") == "RUNNING" for t in states[c]["tasks"])
            for c in demo.CONNECTORS
        )
        if ok:
            break
        time.sleep(1)
    return states


def drain(s: demo.Settings, connector: str) -> None:
    status, config = demo.rest(s, "GET", f"/connectors/{connector}/config")
    if status != 200 or not isinstance(config, dict):
        log(f"drain {connector}: GET config -> {status}: {config}")
        return
    status, body = demo.rest(s, "PUT", f"/connectors/{connector}/config", {**config, **DRAIN_KEYS})
    log(
        f"drain {connector}: fewer than flush.size records left and no progress;"
        f" PUT config + rotate.schedule.interval.ms=5000 -> {status}"
        + ("" if status in (200, 201) else f": {body}")
    )


def progress_line(cdc: demo.SinkProgress, clicks: demo.SinkProgress, topic_delta: int, t: float) -> str:
    return (
        f"topic +{topic_delta} | CDC rows in bucket {cdc.found}/{cdc.expected} ({cdc.objects} obj)"
        f" | clickstream events {clicks.found}/{clicks.expected} ({clicks.objects} obj) | {t:.0f}s"
    )


def main() -> int:
    days = env_int("DEMO_DAYS", 3)
    sleep_s = env_float("DEMO_SLEEP", 1.0)
    timeout = env_float("DEMO_TIMEOUT", 300.0)
    drain_on = os.environ.get("DEMO_DRAIN", "1") != "0"
    drain_after = env_float("DEMO_DRAIN_AFTER", 10.0)
    sources_only = os.environ.get("DEMO_SOURCES_ONLY", "0") == "1"
    if days < 1:
        raise SystemExit("DEMO_DAYS must be at least 1")
    s = demo.Settings.from_env()
    stages = Stages()
    t_all = time.monotonic()

    stages.start("orders file")
    orders = demo.load_orders(demo.default_orders_path())
    days = min(days, len(orders.by_day))
    log(f"{orders.shape} rows x columns, {len(orders.by_day)} days; replaying {days}")

    info = None
    if not sources_only:
        stages.start(f"worker at {s.connect_url}")
        info = wait_for_worker(s, env_float("DEMO_WORKER_WAIT", 30.0))
        if info is None:
            log(f"no Connect worker answers at {s.connect_url}: `make build && make up` starts one")
            log("(DEMO_SOURCES_ONLY=1 runs the MySQL and Kafka parts without it)")
            return 2
        log(
            f"worker {info.get('version')} commit {info.get('commit')} cluster {info.get('kafka_cluster_id')}"
        )
        missing = demo.missing_plugins(s)
        if missing:
            log(f"the worker lacks the article's plugins: {', '.join(missing)}")
            return 2

    stages.start("MySQL table")
    action = demo.prepare_table(s)
    log(f"{demo.DATABASE}.{demo.TABLE}: {action}, empty")

    stages.start("topics and bucket")
    demo.ensure_topic(s, demo.CLICKSTREAM_TOPIC, out=log)
    base = demo.end_offsets(s, [demo.CDC_TOPIC, demo.CLICKSTREAM_TOPIC])
    s3 = demo.s3_client(s)
    removed = sum(demo.delete_prefix(s3, s.bucket, p) for p in (demo.CDC_PREFIX, demo.CLICKSTREAM_PREFIX))
    log(f"end offsets before the run: {base}; removed {removed} old objects")
    since_ms = int(time.time() * 1000)
    since_iso = datetime.now().isoformat()

    if not sources_only:
        stages.start("register connectors (setup_connectors.sh)")
        demo.run_setup_connectors(s, out=log)
        states = wait_running(s, 60)
        for c in demo.CONNECTORS:
            log(f"{c}: {demo.summarize_state(states.get(c))}")

    stages.start(f"orders -> MySQL ({days} days)")
    written = demo.generate_orders(s, orders, days, sleep_s, out=log)
    n_rows = sum(len(ids) for _, ids in written)

    stages.start(f"clickstream -> Kafka ({days} days)")
    sent = demo.generate_clickstream(s, orders, days, sleep_s, out=log)
    n_events = sum(n for _, n in sent)
    stages.stop()

    if sources_only:
        after = demo.end_offsets(s, [demo.CLICKSTREAM_TOPIC])
        log(
            f"DEMO_SOURCES_ONLY: {n_rows} rows in MySQL, {n_events} events sent; "
            f"{demo.CLICKSTREAM_TOPIC} end offset"
            f" {base[demo.CLICKSTREAM_TOPIC]} -> {after[demo.CLICKSTREAM_TOPIC]}"
        )
        report_stages(stages, time.monotonic() - t_all)
        return 0

    stages.start("bucket: waiting for every row and event")
    readers = {
        demo.CDC_SINK: demo.BucketReader(s3, s.bucket, demo.CDC_PREFIX),
        demo.CLICKSTREAM_SINK: demo.BucketReader(s3, s.bucket, demo.CLICKSTREAM_PREFIX),
    }
    idents = {
        demo.CDC_SINK: lambda r: demo.cdc_row_id(r, since_ms),
        demo.CLICKSTREAM_SINK: lambda r: demo.clickstream_id(r, since_iso),
    }
    expected = {demo.CDC_SINK: n_rows, demo.CLICKSTREAM_SINK: n_events}
    done_at: dict[str, float] = {}
    last_found = {c: -1 for c in readers}
    last_change = {c: time.monotonic() for c in readers}
    drained: set[str] = set()
    t_wait = time.monotonic()
    tty = sys.stdout.isatty()
    last_print = 0.0
    prog: dict[str, demo.SinkProgress] = {}
    while True:
        now = time.monotonic()
        for c, reader in readers.items():
            prog[c] = demo.measure(reader, idents[c], expected[c])
            if prog[c].found != last_found[c]:
                last_found[c], last_change[c] = prog[c].found, now
            if prog[c].done and c not in done_at:
                done_at[c] = now - t_wait
            remaining = expected[c] - prog[c].found
            if (
                drain_on
                and c not in drained
                and 0 < remaining < FLUSH_SIZE[c]
                and now - last_change[c] >= drain_after
            ):
                if tty:
                    print()
                drain(s, c)
                drained.add(c)
        topic_delta = demo.end_offsets(s, [demo.CDC_TOPIC])[demo.CDC_TOPIC] - base[demo.CDC_TOPIC]
        line = progress_line(prog[demo.CDC_SINK], prog[demo.CLICKSTREAM_SINK], topic_delta, now - t_wait)
        all_done = all(p.done for p in prog.values())
        if tty:
            print("\r" + line.ljust(120), end="", flush=True)
        elif all_done or now - last_print >= 5:
            log(line)
            last_print = now
        if all_done or now - t_wait >= timeout:
            break
        time.sleep(2)
    if tty:
        print()
    stages.stop()

    ok = report(
        s,
        info,
        days=days,
        prog=prog,
        done_at=done_at,
        drained=drained,
        base=base,
        stages=stages,
        total=time.monotonic() - t_all,
    )
    return 0 if ok else 1


def report_stages(stages: Stages, total: float) -> None:
    print("stages:")
    for name, t in stages.times:
        print(f"  {t:7.1f} s  {name}")
    print(f"  {total:7.1f} s  total")


def report(s, info, *, days, prog, done_at, drained, base, stages, total) -> bool:
    try:
        states = demo.connector_states(s)
    except demo.ConnectError as e:
        states = {}
        log(str(e))
    offsets = demo.end_offsets(s, [demo.CDC_TOPIC, demo.CLICKSTREAM_TOPIC])
    print()
    print(f"== Sluice demo report: DEMO_DAYS={days}, worker {s.connect_url} ({info.get('version')})")
    src_delta = offsets[demo.CDC_TOPIC] - base[demo.CDC_TOPIC]
    print(f"{demo.SOURCE_CONNECTOR}: {demo.summarize_state(states.get(demo.SOURCE_CONNECTOR))}")
    print(f"    records: {src_delta} new on {demo.CDC_TOPIC} (end offset {offsets[demo.CDC_TOPIC]})")
    ok = True
    for c, what in ((demo.CDC_SINK, "rows"), (demo.CLICKSTREAM_SINK, "events")):
        p = prog[c]
        print(f"{c}: {demo.summarize_state(states.get(c))}")
        dup = f", {p.duplicates} DUPLICATES" if p.duplicates else ""
        old = f", {p.other} older lines re-delivered" if p.other else ""
        when = f" after {done_at[c]:.1f} s" if c in done_at else " (INCOMPLETE)"
        print(f"    records: {p.found}/{p.expected} {what} in the bucket{when}{dup}{old}")
        print(
            f"    objects: {p.objects}"
            + (" (last file drained by rotate.schedule.interval.ms)" if c in drained else "")
        )
        for k in p.keys[:3]:
            print(f"      s3://{s.bucket}/{k}")
        if len(p.keys) > 3:
            print(f"      ... {len(p.keys) - 3} more")
        ok = ok and p.done and not p.duplicates
    report_stages(stages, total)
    print(
        "result: " + ("OK, every row and event is in the bucket exactly once" if ok else "FAILED (see above)")
    )
    return ok


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except demo.ConnectError as e:
        log(f"error: {e}")
        sys.exit(1)
