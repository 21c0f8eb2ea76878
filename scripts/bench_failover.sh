#!/usr/bin/env bash
# Distributed-mode failover and scale-out, Sluice against the JVM worker (see BENCHMARKS.md,
# "Distributed mode: failover and scale-out"): builds the release worker, then runs the
# connect-e2e bench `failover` against the local stack's tansu (scripts/stack.sh up) with the
# real Kafka Connect 4.3 worker of ../shared/oracle/kc.sh.
#
#   scripts/bench_failover.sh                          # 3 rounds of each cluster, 6 sources
#   BENCH_ROUNDS=1 BENCH_CLUSTERS=sluice scripts/bench_failover.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p sluice
export KAFKA_BOOTSTRAP="${KAFKA_BOOTSTRAP:-127.0.0.1:9092}"
export CONNECT_IT=1
# A copy, so a build during the run does not replace the binary under the workers.
bin="$(mktemp -d)/sluice"
cp target/release/sluice "$bin"
export SLUICE_BIN="${SLUICE_BIN:-$bin}"
exec cargo bench -p connect-e2e --bench failover
