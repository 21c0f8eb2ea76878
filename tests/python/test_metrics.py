"""`GET /metrics` of the running worker (CONNECT_URL), read with the official Prometheus client's
OpenMetrics parser: the exposition must parse, carry the JMX exporter names under both rule
sets, and count a FileStream source's records exactly. Skipped without CONNECT_IT=1.
"""

import os
import tempfile
import time
import urllib.request
import uuid

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families

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
    import json

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
