"""Replays Redpanda Console's Kafka Connect calls against a running worker, in Console's order
(reference: kafka-connect-rest.md §6.1), with Console's HTTP client settings: `User-Agent:
Redpanda Console`, `Accept` and `Content-Type: application/json` on every request (GET and
DELETE too) and a 6 s timeout. Each step checks the status code and the body's shape.

The connectors are Kafka's FileStreamSource / FileStreamSink, which every Sluice build ships.
The worker is the one at CONNECT_URL (default http://127.0.0.1:8083); the test is skipped when
none answers. Files are on this machine, so the worker must run here too.
"""

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

CONNECT_URL = os.environ.get("CONNECT_URL", "http://127.0.0.1:8083").rstrip("/")
BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP", "127.0.0.1:9092")
CONSOLE_TIMEOUT = 6.0  # connect-client's ReadTimeout default
SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"

DEFINITION_KEYS = {
    "name",
    "type",
    "required",
    "default_value",
    "importance",
    "documentation",
    "group",
    "width",
    "display_name",
    "dependents",
    "order",
}
VALUE_KEYS = {"name", "value", "recommended_values", "errors", "visible"}


class Console:
    """connect-client's resty settings, and a transcript for failure messages."""

    headers = {
        "User-Agent": "Redpanda Console",
        "Accept": "application/json",
        "Content-Type": "application/json",
    }

    def __init__(self, base: str):
        self.base = base
        self.transcript: list[str] = []

    def call(self, method: str, path: str, body: object | None = None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=self.headers)
        t = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=CONSOLE_TIMEOUT) as resp:
                status, ctype, raw = resp.status, resp.headers.get("Content-Type", ""), resp.read()
        except urllib.error.HTTPError as e:
            status, ctype, raw = e.code, e.headers.get("Content-Type", ""), e.read()
        took = time.monotonic() - t
        self.transcript.append(f"{method} {path} -> {status} ({took:.2f}s) {raw[:300]!r}")
        parsed = None
        if raw:
            assert "application/json" in ctype, self.fail(f"{method} {path}: Content-Type {ctype!r}")
            parsed = json.loads(raw)
        if status >= 400:
            # Console reads error_code as its own status; 0 or missing reads as "unknown error".
            assert isinstance(parsed, dict) and parsed.get("error_code") == status, self.fail(
                f"{method} {path}: error body {parsed!r}"
            )
            assert isinstance(parsed.get("message"), (str, type(None)))
        return status, parsed

    def expect(self, status_wanted, method, path, body=None):
        status, parsed = self.call(method, path, body)
        wanted = status_wanted if isinstance(status_wanted, tuple) else (status_wanted,)
        assert status in wanted, self.fail(f"{method} {path}: {status}, wanted {status_wanted}")
        return parsed

    def fail(self, msg: str) -> str:
        return msg + "\ntranscript:\n  " + "\n  ".join(self.transcript[-15:])


def worker_up() -> bool:
    try:
        req = urllib.request.Request(CONNECT_URL + "/", headers=Console.headers)
        with urllib.request.urlopen(req, timeout=3) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


pytestmark = pytest.mark.skipif(not worker_up(), reason=f"no Connect worker at {CONNECT_URL}")


def create_topic(topic: str) -> None:
    """tansu, unlike Kafka, never creates topics on demand; make the FileStream topic first so
    this test is about the REST API, not topic creation. Best effort."""
    try:
        from kafka.admin import KafkaAdminClient, NewTopic

        admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP, request_timeout_ms=10000)
        try:
            admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
        finally:
            admin.close()
    except Exception as e:  # noqa: BLE001 - a broker-side problem shows up as a task failure later
        print(f"could not create topic {topic}: {e}")


def wait_status(
    console: Console, name: str, connector_state: str, task_state: str | None, timeout: float = 20.0
) -> dict:
    """Polls GET /connectors/{name}/status until the states match (status is published through
    the status topic, so it lags the REST call that changed it)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        status, body = console.call("GET", f"/connectors/{name}/status")
        if status == 200:
            last = body
            tasks = body.get("tasks", [])
            if body["connector"]["state"] == connector_state and (
                (task_state is None and tasks == [])
                or (tasks and all(t["state"] == task_state for t in tasks))
            ):
                return body
        time.sleep(0.25)
    raise AssertionError(console.fail(f"{name}: wanted {connector_state}/{task_state}, last status {last}"))


def check_info(info: dict, name: str, kind: str, config: dict) -> None:
    assert set(info) >= {"name", "config", "tasks", "type"}, info
    assert info["name"] == name and info["type"] == kind
    assert info["config"] == {**config, "name": name}
    for t in info["tasks"]:
        assert t == {"connector": name, "task": t["task"]}


def check_state_info(st: dict, name: str, kind: str) -> None:
    assert list(st) == ["name", "connector", "tasks", "type"], st
    assert st["name"] == name and st["type"] == kind
    assert set(st["connector"]) >= {"state", "worker_id"}
    for t in st["tasks"]:
        assert set(t) >= {"id", "state", "worker_id"}
        assert ("trace" in t) == (t["state"] == "FAILED")


def check_validation(v: dict, klass: str) -> None:
    assert list(v) == ["name", "error_count", "groups", "configs"], list(v)
    assert v["name"] == klass
    assert isinstance(v["groups"], list) and "Common" in v["groups"]
    for c in v["configs"]:
        if c["definition"] is not None:
            assert set(c["definition"]) == DEFINITION_KEYS, c["definition"]
        if c["value"] is not None:
            assert set(c["value"]) == VALUE_KEYS, c["value"]


def config_for(kind: str, tmp_path, topic: str) -> dict:
    if kind == "source":
        src = tmp_path / "in.txt"
        src.write_text("")
        return {"connector.class": SOURCE, "tasks.max": "1", "file": str(src), "topic": topic}
    return {"connector.class": SINK, "tasks.max": "1", "file": str(tmp_path / "out.txt"), "topics": topic}


@pytest.mark.parametrize("kind", ["source", "sink"])
def test_console_session_against_a_filestream_connector(kind, tmp_path):
    console = Console(CONNECT_URL)
    name = f"console-replay-{kind}-{uuid.uuid4().hex[:8]}"
    topic = f"console_replay_{uuid.uuid4().hex[:8]}"
    klass = SOURCE if kind == "source" else SINK
    create_topic(topic)
    config = config_for(kind, tmp_path, topic)

    # Startup connectivity test and cluster info.
    root = console.expect(200, "GET", "/")
    assert {"version", "commit", "kafka_cluster_id"} <= set(root)
    assert [int(x) for x in root["version"].split(".")[:2]] >= [3, 0]
    plugins = console.expect(200, "GET", "/connector-plugins")
    assert all({"class", "type"} <= set(p) and p["type"] in ("source", "sink") for p in plugins)
    if klass not in {p["class"] for p in plugins}:
        pytest.skip(f"{klass} not in GET /connector-plugins")
    listing = console.expect(200, "GET", "/connectors?expand=info&expand=status")
    assert isinstance(listing, dict) and name not in listing

    try:
        # Create wizard: validate (an incomplete config first, as the user fills the form).
        partial = {k: v for k, v in config.items() if k not in ("topic", "topics")}
        partial["name"] = name
        v = console.expect(200, "PUT", f"/connector-plugins/{klass}/config/validate", partial)
        check_validation(v, klass)
        # A source needs `topic`; a sink one of `topics` / `topics.regex`.
        assert v["error_count"] >= 1, v
        flagged = {c["value"]["name"] for c in v["configs"] if c["value"] and c["value"]["errors"]}
        assert flagged & {"topic", "topics", "topics.regex"}, flagged
        v = console.expect(
            200, "PUT", f"/connector-plugins/{klass}/config/validate", {**config, "name": name}
        )
        check_validation(v, klass)
        assert v["error_count"] == 0, v
        created = console.expect(201, "POST", "/connectors", {"name": name, "config": config})
        check_info(created, name, kind, config)

        # Details page.
        wait_status(console, name, "RUNNING", "RUNNING")
        check_info(console.expect(200, "GET", f"/connectors/{name}"), name, kind, config)
        check_state_info(console.expect(200, "GET", f"/connectors/{name}/status"), name, kind)
        assert console.expect(200, "GET", f"/connectors/{name}/config") == {**config, "name": name}
        listing = console.expect(200, "GET", "/connectors?expand=info&expand=status")
        assert set(listing[name]) == {"info", "status"}
        check_info(listing[name]["info"], name, kind, config)
        check_state_info(listing[name]["status"], name, kind)

        # Edit: PUT config, then Console's restart of everything.
        edited = {**config, "tasks.max": "1", "batch.size": "100"} if kind == "source" else {**config}
        updated = console.expect(200, "PUT", f"/connectors/{name}/config", edited)
        check_info(updated, name, kind, edited)
        plan = console.expect(202, "POST", f"/connectors/{name}/restart?includeTasks=true&onlyFailed=false")
        check_state_info(plan, name, kind)
        assert plan["connector"]["state"] == "RESTARTING"
        assert all(t["state"] == "RESTARTING" for t in plan["tasks"])
        wait_status(console, name, "RUNNING", "RUNNING")
        assert console.expect(200, "GET", f"/connectors/{name}/config") == {**edited, "name": name}

        # Pause / resume buttons.
        assert console.expect(202, "PUT", f"/connectors/{name}/pause") is None
        wait_status(console, name, "PAUSED", "PAUSED")
        assert console.expect(202, "PUT", f"/connectors/{name}/resume") is None
        wait_status(console, name, "RUNNING", "RUNNING")

        # Restart button, then a task's restart.
        console.expect(202, "POST", f"/connectors/{name}/restart?includeTasks=true&onlyFailed=false")
        wait_status(console, name, "RUNNING", "RUNNING")
        assert console.expect(204, "POST", f"/connectors/{name}/tasks/0/restart") is None
        wait_status(console, name, "RUNNING", "RUNNING")
        missing_task = console.expect(404, "POST", f"/connectors/{name}/tasks/7/restart")
        assert missing_task["message"] == f"Unknown task: {name}-7"

        # Stop: tasks go away, the connector shows STOPPED.
        assert console.expect(204, "PUT", f"/connectors/{name}/stop") is None
        wait_status(console, name, "STOPPED", None)
    finally:
        status, _ = console.call("DELETE", f"/connectors/{name}")
    assert status == 204, console.fail("DELETE")
    gone = console.expect(404, "GET", f"/connectors/{name}")
    assert gone["message"] == f"Connector {name} not found"
    deadline = time.monotonic() + 10
    while name in console.expect(200, "GET", "/connectors?expand=info&expand=status"):
        assert time.monotonic() < deadline, console.fail("deleted connector still listed")
        time.sleep(0.25)


def test_console_errors_for_unknown_connectors_carry_kafkas_messages():
    console = Console(CONNECT_URL)
    ghost = f"ghost-{uuid.uuid4().hex[:8]}"
    assert console.expect(404, "GET", f"/connectors/{ghost}")["message"] == f"Connector {ghost} not found"
    assert console.expect(404, "GET", f"/connectors/{ghost}/status")["message"] == (
        f"No status found for connector {ghost}"
    )
    assert console.expect(404, "PUT", f"/connectors/{ghost}/pause")["message"] == f"Unknown connector {ghost}"
    restart = console.expect(404, "POST", f"/connectors/{ghost}/restart?includeTasks=true&onlyFailed=false")
    assert restart["message"] in (f"Unknown connector: {ghost}", f"Status for connector {ghost} not found")
    assert console.expect(404, "DELETE", f"/connectors/{ghost}")["message"] == f"Connector {ghost} not found"


def test_filestream_sink_writes_lines_as_they_arrive(tmp_path):
    """Source file -> topic -> sink file. Kafka's FileStreamSinkTask prints each record through
    an unbuffered PrintStream, so lines show up within seconds, long before the first offset
    commit (offset.flush.interval.ms, 60 s): 30 s is ample."""
    console = Console(CONNECT_URL)
    plugins = {p["class"] for p in console.expect(200, "GET", "/connector-plugins")}
    if not {SOURCE, SINK} <= plugins:
        pytest.skip("FileStream connectors not listed")
    tag = uuid.uuid4().hex[:8]
    topic = f"console_replay_pipe_{tag}"
    create_topic(topic)
    lines = [f"line {i} {tag}" for i in range(5)]
    (tmp_path / "in.txt").write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.txt"
    names = [f"console-pipe-src-{tag}", f"console-pipe-sink-{tag}"]
    try:
        console.expect(
            201,
            "POST",
            "/connectors",
            {
                "name": names[0],
                "config": {
                    "connector.class": SOURCE,
                    "tasks.max": "1",
                    "file": str(tmp_path / "in.txt"),
                    "topic": topic,
                },
            },
        )
        console.expect(
            201,
            "POST",
            "/connectors",
            {
                "name": names[1],
                "config": {"connector.class": SINK, "tasks.max": "1", "file": str(out), "topics": topic},
            },
        )
        deadline = time.monotonic() + 30
        got: list[str] = []
        while time.monotonic() < deadline:
            got = out.read_text().splitlines() if out.exists() else []
            if len(got) >= len(lines):
                break
            time.sleep(0.5)
        assert got == lines, console.fail(f"sink file holds {got}")
    finally:
        for n in names:
            console.call("DELETE", f"/connectors/{urllib.parse.quote(n)}")
