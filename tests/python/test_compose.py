"""Static checks of docker/: the compose file (the article's stack with Sluice as
`kafka-connect`), Redpanda Console's config and the Dockerfiles.

There is no Docker engine on these machines, so nothing is built or started here; when a
`docker compose` does exist, `docker compose config` validates the file too.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "docker"
COMPOSE = DOCKER / "docker-compose.yml"

ARTICLE_SERVICES = {"redpanda", "redpanda-console", "minio", "mc", "mysql", "kafka-connect", "data-generator"}
DEBEZIUM_ENV = {
    "BOOTSTRAP_SERVERS": "redpanda:29092",
    "GROUP_ID": "1",
    "CONFIG_STORAGE_TOPIC": "my_connect_configs",
    "OFFSET_STORAGE_TOPIC": "my_connect_offsets",
    "STATUS_STORAGE_TOPIC": "my_connect_statuses",
}
CONNECT_URL = "http://kafka-connect:8083"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def env_of(svc: dict) -> dict[str, str]:
    """`environment:` as a dict, whichever of compose's two spellings (map or KEY=VALUE list)."""
    env = svc.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def depends_of(svc: dict) -> list[str]:
    dep = svc.get("depends_on") or []
    return list(dep) if isinstance(dep, (list, dict)) else []


def dockerfile_stages(path: Path) -> list[list[str]]:
    """Instructions (continuations joined) grouped by stage."""
    text = re.sub(r"\\\n", " ", path.read_text())
    stages: list[list[str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def test_compose_has_the_articles_services(services):
    assert set(services) >= ARTICLE_SERVICES


def test_kafka_connect_is_sluice_built_from_this_repo(services):
    kc = services["kafka-connect"]
    assert "image" not in kc or not kc["image"].startswith("debezium/")
    build = kc["build"]
    assert (DOCKER / build["context"]).resolve() == REPO
    assert (DOCKER / build["context"] / build["dockerfile"]).resolve() == DOCKER / "Dockerfile"
    assert kc["container_name"] == "kafka_connect"


def test_kafka_connect_keeps_the_debezium_image_env_and_port(services):
    kc = services["kafka-connect"]
    env = env_of(kc)
    for k, v in DEBEZIUM_ENV.items():
        assert env.get(k) == v, k
    assert "8083:8083" in kc["ports"]
    assert kc["depends_on"] == ["redpanda"] or "redpanda" in depends_of(kc)


def test_kafka_connect_has_a_health_check_on_health(services):
    test = services["kafka-connect"]["healthcheck"]["test"]
    joined = " ".join(test) if isinstance(test, list) else test
    assert "http://127.0.0.1:8083/health" in joined


def test_every_depends_on_target_exists(services):
    for name, svc in services.items():
        for dep in depends_of(svc):
            assert dep in services, f"{name} depends on missing {dep}"


def test_conditions_only_wait_for_health_where_a_health_check_exists(services):
    for name, svc in services.items():
        dep = svc.get("depends_on")
        if isinstance(dep, dict):
            for target, cond in dep.items():
                if cond.get("condition") == "service_healthy":
                    assert "healthcheck" in services[target], f"{name} waits on {target}'s health"


def test_host_ports_are_the_articles_and_do_not_clash(services):
    host_ports = []
    for svc in services.values():
        for p in svc.get("ports", []):
            host_ports.append(str(p).split(":")[0])
    assert len(host_ports) == len(set(host_ports)), host_ports
    assert {"9092", "29092", "8080", "9000", "9001", "3306", "8083"} <= set(host_ports)


def test_redpanda_and_mysql_are_the_articles(services):
    rp = services["redpanda"]
    assert rp["image"] == "vectorized/redpanda"
    cmd = rp["command"]
    assert (
        cmd[cmd.index("--advertise-kafka-addr") + 1] == "PLAINTEXT://redpanda:29092,OUTSIDE://redpanda:9092"
    )
    my = services["mysql"]
    assert my["image"] == "debezium/example-mysql:1.6"
    assert env_of(my)["MYSQL_ROOT_PASSWORD"] == "debezium"


def test_bind_mounts_point_at_files_in_the_repo(services):
    for name, svc in services.items():
        for vol in svc.get("volumes", []):
            src = vol.split(":", 1)[0]
            if src.startswith("."):
                assert (DOCKER / src).exists(), f"{name}: {src}"


def test_mc_creates_the_warehouse_bucket(services):
    assert "mb --ignore-existing minio/warehouse" in services["mc"]["entrypoint"]
    assert "minio" in depends_of(services["mc"])


def test_console_reaches_sluice_by_env_and_config_file(services):
    console = services["redpanda-console"]
    env = env_of(console)
    assert env["KAFKACONNECT_ENABLED"] == "true"
    assert env["KAFKACONNECT_CLUSTERS_0_NAME"]
    assert env["KAFKACONNECT_CLUSTERS_0_URL"] == CONNECT_URL
    mounted = {v.split(":")[1]: v.split(":")[0] for v in console["volumes"]}
    cfg_path = env["CONFIG_FILEPATH"]
    assert mounted[cfg_path] == "./console-config.yaml"
    cfg = yaml.safe_load((DOCKER / "console-config.yaml").read_text())
    assert cfg["kafkaConnect"]["enabled"] is True
    assert [c["url"] for c in cfg["kafkaConnect"]["clusters"]] == [CONNECT_URL]
    assert cfg["kafka"]["brokers"] == [env["KAFKA_BROKERS"]]


def test_data_generator_uses_the_articles_host_names(services):
    gen = services["data-generator"]
    env = env_of(gen)
    assert (env["MYSQL_HOST"], env["KAFKA_BOOTSTRAP"], env["S3_ENDPOINT"], env["CONNECT_URL"]) == (
        "mysql",
        "redpanda:9092",
        "http://minio:9000",
        CONNECT_URL,
    )
    dockerfile = (DOCKER / gen["build"]["context"] / gen["build"]["dockerfile"]).resolve()
    for line in dockerfile.read_text().splitlines():
        if line.startswith("COPY "):
            src = line.split()[1]
            assert (REPO / src).exists(), line


def test_sluice_dockerfile_is_multi_stage_and_runs_unprivileged():
    stages = dockerfile_stages(DOCKER / "Dockerfile")
    assert len(stages) >= 2
    assert re.match(r"FROM rust:\S+ AS builder", stages[0][0], re.I)
    assert any("cargo build --release" in i and "-p sluice" in i for i in stages[0])
    final = stages[-1]
    assert re.match(r"FROM (debian:bookworm-slim|gcr.io/distroless/cc\S*)", final[0])
    assert any(i.startswith("COPY --from=builder") for i in final)
    users = [i.split()[1] for i in final if i.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert "EXPOSE 8083" in final
    hc = [i for i in final if i.startswith("HEALTHCHECK")]
    assert hc and "/health" in hc[0]
    assert final[-1].startswith(("ENTRYPOINT", "CMD")) and "sluice" in final[-1]


def test_dockerfiles_ignore_build_outputs():
    for name in ("Dockerfile", "data-generator.Dockerfile"):
        ignore = (DOCKER / f"{name}.dockerignore").read_text().split()
        assert {"target/", ".stack/", ".venv/"} <= set(ignore), name


def test_make_compose_up_explains_a_missing_docker(tmp_path):
    # A PATH holding only what make needs, and no docker.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("make", "bash", "sh", "env"):
        found = shutil.which(tool)
        assert found, tool
        (bindir / tool).symlink_to(found)
    proc = subprocess.run(
        ["make", "compose-up"],
        cwd=REPO,
        env={"PATH": str(bindir)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "'docker compose' is not available" in proc.stderr


def has_compose() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30).returncode == 0


@pytest.mark.skipif(not has_compose(), reason="no `docker compose` on this machine")
def test_docker_compose_config_accepts_the_file():
    proc = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )
    assert proc.returncode == 0, proc.stderr
