"""The REST API over https with Kafka Connect's BasicAuth extension, from Python clients.

Starts its own standalone worker (the `sluice` binary from target/, or SLUICE_BIN) on a free
port with a certificate made by `openssl`, a JAAS file and a credentials file, then talks to it
with the standard library's https client and with kafka-connect-py (PyPI `kafka-connect-py`,
module `kafka_connect`, on requests). Skipped when no binary is built.
"""

import base64
import json
import os
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BASIC_AUTH = "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension"
LOGIN_MODULE = "org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule"
PASSWORD = "py-s3cret-Pw"


def sluice_binary():
    candidates = [os.environ.get("SLUICE_BIN", "")]
    candidates += [str(REPO / "target" / p / "sluice") for p in ("release", "debug")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


pytestmark = pytest.mark.skipif(
    sluice_binary() is None or shutil.which("openssl") is None,
    reason="needs a built sluice binary (cargo build -p sluice) and openssl",
)


def openssl(tmp, *args):
    subprocess.run(["openssl", *args], cwd=tmp, check=True, capture_output=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rest-security")
    openssl(tmp, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
            "-out", "ca.pem", "-days", "2", "-subj", "/CN=py-test-ca")
    (tmp / "server.ext").write_text(
        "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl(tmp, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
            "-out", "server.csr", "-subj", "/CN=localhost")
    openssl(tmp, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext")
    openssl(tmp, "pkcs12", "-export", "-in", "server.pem", "-inkey", "server.key",
            "-out", "server.p12", "-passout", "pass:store-pw", "-name", "server")
    (tmp / "users.properties").write_text(f"alice: {PASSWORD}\n")
    (tmp / "connect_jaas.conf").write_text(
        f'KafkaConnect {{ {LOGIN_MODULE} required file="{tmp}/users.properties"; }};\n')
    port = free_port()
    (tmp / "worker.properties").write_text(f"""\
bootstrap.servers=127.0.0.1:1
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
offset.storage.file.filename={tmp}/offsets
listeners=https://127.0.0.1:{port}
listeners.https.ssl.keystore.type=PKCS12
listeners.https.ssl.keystore.location={tmp}/server.p12
listeners.https.ssl.keystore.password=store-pw
rest.extension.classes={BASIC_AUTH}
""")
    env = dict(os.environ, KAFKA_OPTS=f"-Djava.security.auth.login.config={tmp}/connect_jaas.conf")
    log = open(tmp / "worker.log", "wb")
    proc = subprocess.Popen([sluice_binary(), "standalone", "worker.properties"], cwd=tmp,
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    ctx = ssl.create_default_context(cafile=str(tmp / "ca.pem"))
    url = f"https://localhost:{port}"
    try:
        deadline = time.time() + 30
        while True:
            assert proc.poll() is None, (tmp / "worker.log").read_text()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.time() < deadline, "sluice did not start"
                time.sleep(0.2)
        yield url, ctx, tmp
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def get(url, ctx, path, user=None):
    req = urllib.request.Request(url + path)
    if user:
        req.add_header("Authorization", "Basic " + base64.b64encode(user.encode()).decode())
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
            return resp.status, resp.headers, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def test_without_credentials_every_endpoint_answers_kafkas_401(worker):
    url, ctx, _ = worker
    for path in ("/", "/health", "/connectors"):
        status, headers, body = get(url, ctx, path)
        assert (status, body) == (401, "User cannot access the resource.")
        # Header names are case-insensitive (http.client's message); Kafka 3.9 sends none.
        assert headers.get("WWW-Authenticate") == 'Basic realm="KafkaConnect"'


def test_the_right_password_gets_the_api_and_a_wrong_one_does_not(worker):
    url, ctx, tmp = worker
    status, _, body = get(url, ctx, "/", f"alice:{PASSWORD}")
    assert status == 200
    assert json.loads(body)["version"]
    status, _, body = get(url, ctx, "/connectors", f"alice:{PASSWORD}")
    assert (status, json.loads(body)) == (200, [])
    assert get(url, ctx, "/connectors", "alice:guess")[0] == 401
    assert PASSWORD not in (tmp / "worker.log").read_text()


def test_the_certificate_is_checked_by_the_client(worker):
    url, _, _ = worker
    with pytest.raises(urllib.error.URLError):
        get(url, ssl.create_default_context(), "/")


def test_kafka_connect_py_manages_a_connector_over_https_with_basic_auth(worker):
    from kafka_connect import KafkaConnect
    from requests.exceptions import HTTPError, SSLError

    url, _, tmp = worker
    ca = str(tmp / "ca.pem")
    client = KafkaConnect(url=url, auth=f"alice:{PASSWORD}", ssl_verify=ca)
    assert client.get_cluster_info()["version"]
    plugins = {p["class"] for p in client.list_connector_plugins()}
    assert "org.apache.kafka.connect.file.FileStreamSourceConnector" in plugins

    (tmp / "in.txt").write_text("")
    config = {"connector.class": "FileStreamSource", "tasks.max": "1",
              "file": str(tmp / "in.txt"), "topic": "py-https"}
    created = client.create_connector({"name": "py-https-src", "config": config})
    assert created["name"] == "py-https-src"
    assert created["config"] == {**config, "name": "py-https-src"}
    assert client.list_connectors() == ["py-https-src"]
    assert client.get_connector_config("py-https-src") == {**config, "name": "py-https-src"}
    client.delete_connector("py-https-src")
    assert client.list_connectors() == []

    with pytest.raises(HTTPError) as denied:
        KafkaConnect(url=url, auth="alice:guess", ssl_verify=ca).list_connectors()
    assert denied.value.response.status_code == 401
    assert denied.value.response.text == "User cannot access the resource."
    with pytest.raises(HTTPError) as anonymous:
        KafkaConnect(url=url, ssl_verify=ca).get_cluster_info()
    assert anonymous.value.response.status_code == 401
    with pytest.raises(SSLError):
        KafkaConnect(url=url, auth=f"alice:{PASSWORD}").get_cluster_info()
    assert PASSWORD not in (tmp / "worker.log").read_text()
