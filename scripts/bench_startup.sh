#!/usr/bin/env bash
# Start-up to the first 200 on `GET /`, and idle RSS, of the release `sluice` binary, each as a
# ratio against a baseline measured in the same run on the same machine: Python's built-in
# `http.server` (a minimal HTTP process that does nothing else). Needs the local stack's broker
# (scripts/stack.sh up) so the worker opens its state topics as it would in production.
#
# Usage: scripts/bench_startup.sh [runs]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
BIN=${SLUICE_BIN:-target/release/sluice}
BOOT=${KAFKA_BOOTSTRAP:-127.0.0.1:9092}
PORT=18093

now_ms() { date +%s%3N; }
wait_200() { until curl -sf -o /dev/null "http://127.0.0.1:$PORT/"; do sleep 0.002; done; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

run_sluice() {
  local id=bench_$RANDOM$RANDOM
  local t0; t0=$(now_ms)
  BOOTSTRAP_SERVERS=$BOOT GROUP_ID=$id CONFIG_STORAGE_TOPIC=${id}_c OFFSET_STORAGE_TOPIC=${id}_o \
    STATUS_STORAGE_TOPIC=${id}_s CONNECT_LISTENERS=http://127.0.0.1:$PORT LOG_LEVEL=WARN \
    "$BIN" >/dev/null 2>&1 &
  local pid=$!
  wait_200
  local t1; t1=$(now_ms)
  # Idle: internal topics read, no connectors.
  until curl -sf "http://127.0.0.1:$PORT/health" | grep -q healthy; do sleep 0.05; done
  sleep 2
  echo "$((t1 - t0)) $(rss_kb $pid)"
  kill $pid; wait $pid 2>/dev/null || true
}

run_python() {
  local dir; dir=$(mktemp -d)
  local t0; t0=$(now_ms)
  python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$dir" >/dev/null 2>&1 &
  local pid=$!
  wait_200
  local t1; t1=$(now_ms)
  sleep 2
  echo "$((t1 - t0)) $(rss_kb $pid)"
  kill $pid; wait $pid 2>/dev/null || true
  rm -rf "$dir"
}

s_ms=(); s_rss=(); p_ms=(); p_rss=()
for _ in $(seq "$RUNS"); do
  read -r ms rss < <(run_sluice); s_ms+=("$ms"); s_rss+=("$rss")
  read -r ms rss < <(run_python); p_ms+=("$ms"); p_rss+=("$rss")
done
sm=$(printf '%s\n' "${s_ms[@]}" | median); sr=$(printf '%s\n' "${s_rss[@]}" | median)
pm=$(printf '%s\n' "${p_ms[@]}" | median); pr=$(printf '%s\n' "${p_rss[@]}" | median)
echo "| metric | sluice | baseline (python3 -m http.server) | ratio |"
echo "|---|---|---|---|"
awk -v a="$sm" -v b="$pm" 'BEGIN {printf "| start-up to 200 on GET / (median of '"$RUNS"') | %d ms | %d ms | %.2f |\n", a, b, a/b}'
awk -v a="$sr" -v b="$pr" 'BEGIN {printf "| idle RSS (median) | %.1f MB | %.1f MB | %.2f |\n", a/1024, b/1024, a/b}'
echo "binary size: $(du -m "$BIN" | cut -f1) MB"
