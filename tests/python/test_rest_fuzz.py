"""A bounded schemathesis run over openapi.yaml against the worker at CONNECT_URL.

Every operation in openapi.yaml gets generated requests, valid and invalid (positive and negative
generation). A run fails on:

* a 5xx that Kafka Connect 3.9 would not give: every 5xx must match an entry of
  rest_fuzz_accepted.yaml (beside this file), each with its reason;
* a response that breaks openapi.yaml: undocumented status, wrong content type, a body that does
  not match its schema, missing documented headers;
* a response slower than 10 s (or no response within 10 s).

Checks left out on purpose, because Kafka Connect answers otherwise and Sluice follows it:
`negative_data_rejection` (Java booleans take any text, and malformed bodies are 500, not 4xx),
`positive_data_acceptance` (valid requests about connectors that do not exist are 404),
`unsupported_method` (Jersey's 405 carries no `Allow` header), and the stateful checks.

Budget: SLUICE_FUZZ_EXAMPLES examples per operation (default 400: about
two minutes on a 2-core machine). Skipped when no worker answers at CONNECT_URL.
"""

import json
import os
import re
import time
import urllib.request
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")
yaml = pytest.importorskip("yaml")
from hypothesis import HealthCheck, settings  # noqa: E402  (schemathesis brings hypothesis)
from schemathesis import checks as st_checks  # noqa: E402

CONNECT_URL = os.environ.get("CONNECT_URL", "http://127.0.0.1:8083").rstrip("/")
REPO = Path(__file__).resolve().parents[2]
ACCEPTED_FILE = Path(__file__).with_name("rest_fuzz_accepted.yaml")
EXAMPLES = int(os.environ.get("SLUICE_FUZZ_EXAMPLES", "400"))
SLOW = 10.0


def worker_up():
    try:
        with urllib.request.urlopen(CONNECT_URL + "/", timeout=3) as r:
            return r.status == 200
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not worker_up(), reason=f"no Connect worker at {CONNECT_URL}")


def load_accepted():
    entries = yaml.safe_load(ACCEPTED_FILE.read_text())
    out = []
    for e in entries:
        assert e.get("reason"), f"an accepted 500 without a reason: {e}"
        msg = e["message"]
        pattern = None if msg is None else re.compile(msg, re.DOTALL)
        out.append((set(e["operations"]), e.get("status"), pattern))
    return out


ACCEPTED = load_accepted()


def accepted_server_error(label, body):
    """Whether a 5xx answer to `label` ("PUT /connectors/{connector}/config") is a listed one."""
    try:
        doc = json.loads(body)
    except ValueError:
        return False
    if not isinstance(doc, dict):
        return False
    message = doc.get("message")
    for operations, status, pattern in ACCEPTED:
        if "*" not in operations and label not in operations:
            continue
        # Errors are {"error_code":500,…}; /health answers with its own shape and a `status`.
        if (doc.get("status") != status) if status else (doc.get("error_code") != 500):
            continue
        if pattern is None:
            if message is None:
                return True
        elif isinstance(message, str) and pattern.fullmatch(message):
            return True
    return False


schema = schemathesis.openapi.from_path(str(REPO / "openapi.yaml"))
schema.config.update(base_url=CONNECT_URL)
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
    max_examples=EXAMPLES,
    # No example database in the checkout: each run is a fresh, bounded search.
    database="none",
)

CONFORMANCE = [
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_schema_conformance,
    st_checks.response_headers_conformance,
]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
    database=None,
)
def test_rest_api_conforms_to_openapi_and_kafka(case):
    started = time.monotonic()
    response = case.call(timeout=SLOW)
    elapsed = time.monotonic() - started
    label = f"{case.method.upper()} {case.path}"
    assert elapsed <= SLOW, f"{label} took {elapsed:.1f} s"
    if response.status_code >= 500:
        assert accepted_server_error(label, response.text), (
            f"{label} answered {response.status_code} {response.text!r}, "
            "which is not a Kafka-compatible 500 listed in rest_fuzz_accepted.yaml\n"
            f"{case.as_curl_command()}"
        )
    case.validate_response(response, checks=CONFORMANCE)


def test_unlisted_server_errors_are_refused():
    # The filter itself: Jersey's bare 500 (a panic) and 502s are never accepted.
    assert not accepted_server_error(
        "GET /connectors", '{"error_code":500,"message":"HTTP 500 Internal Server Error"}'
    )
    assert not accepted_server_error("GET /connectors", '{"error_code":500,"message":null}')
    assert not accepted_server_error("POST /connectors", '{"error_code":500,"message":null}')
    assert accepted_server_error(
        "POST /connectors",
        '{"error_code":500,"message":"Cannot invoke \\"java.util.Map.get(Object)\\" because \\"connectorConfig\\" is null"}',
    )
    assert accepted_server_error(
        "PUT /connectors/{connector}/config",
        '{"error_code":500,"message":"Cannot deserialize value of type `java.lang.String` from Object value"}',
    )
    assert not accepted_server_error("POST /connectors", "<html>500</html>")
    assert accepted_server_error(
        "POST /connectors",
        '{"error_code":500,"message":"Failed to find any class that implements Connector and which name matches false, available connectors are: PluginDesc{klass=class io.confluent.connect.s3.S3SinkConnector}"}',
    )
    assert not accepted_server_error(
        "GET /connectors",
        '{"error_code":500,"message":"Failed to find any class that implements Connector and which name matches false"}',
    )
    assert accepted_server_error(
        "GET /health", '{"status":"unhealthy","message":"Worker was unable to handle this request and may be unable to handle other requests. Unable to reach the Kafka cluster"}'
    )
    assert not accepted_server_error("GET /health", '{"status":"healthy","message":"x"}')
