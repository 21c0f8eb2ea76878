#!/usr/bin/env bash
# Create the project's Python venv (.venv) with the clients the tests and demos use, and the
# REST fuzzer (schemathesis).
# Idempotent: installs only packages that are missing or at another version, then
# verifies every module imports. Usage: scripts/venv.sh
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SLUICE_VENV:-$REPO/.venv}"
PY="${PYTHON:-python3}"

# dist-name==version  import-name.  Versions are the ones checked against tansu/s3s-fs/MariaDB
# on these machines (see shared/reference/local-stack.md); exact pins keep CI reproducible.
PKGS=(
  "kafka-python==3.0.12 kafka"
  "confluent-kafka==2.16.1 confluent_kafka"
  "boto3==1.44.5 boto3"
  "pymysql==1.2.4 pymysql"
  "pytest==9.2.0 pytest"
  "pyyaml==6.0.3 yaml"
  # The official OpenMetrics parser, for GET /metrics (tests/python/test_metrics.py).
  "prometheus-client==0.26.0 prometheus_client"
  # The bounded REST fuzzer over openapi.yaml (tests/python/test_rest_fuzz.py).
  "schemathesis==4.32.5 schemathesis"
  # A Kafka Connect REST client, over https with BasicAuth (tests/python/test_rest_security.py).
  "kafka-connect-py==1.0.0 kafka_connect"
)

log() { printf '[venv] %s\n' "$*" >&2; }

# A venv whose interpreter vanished (e.g. pyenv version removed) is unusable: rebuild it.
if [[ -d "$VENV" && ! -x "$VENV/bin/python" ]] || { [[ -x "$VENV/bin/python" ]] && ! "$VENV/bin/python" -c '' 2>/dev/null; }; then
  log "broken venv at $VENV, recreating"
  rm -rf "$VENV"
fi
if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating $VENV with $("$PY" --version 2>&1)"
  "$PY" -m venv "$VENV"
fi
VPY="$VENV/bin/python"

missing=()
for entry in "${PKGS[@]}"; do
  spec="${entry%% *}"; name="${spec%%==*}"; want="${spec##*==}"
  have="$("$VPY" -c 'import sys, importlib.metadata as m
try: print(m.version(sys.argv[1]))
except m.PackageNotFoundError: pass' "$name")"
  [[ "$have" == "$want" ]] || missing+=("$spec")
done

if ((${#missing[@]})); then
  log "installing: ${missing[*]}"
  # No stdin in CI; --no-input stops pip from ever prompting.
  "$VPY" -m pip install --no-input --quiet "${missing[@]}"
else
  log "all packages present"
fi

mods=()
for entry in "${PKGS[@]}"; do mods+=("${entry##* }"); done
"$VPY" - "${mods[@]}" <<'PY'
import importlib, sys
for mod in sys.argv[1:]:
    importlib.import_module(mod)
print("[venv] imports ok: " + ", ".join(sys.argv[1:]), file=sys.stderr)
PY
