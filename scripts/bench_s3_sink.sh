#!/usr/bin/env bash
# S3 sink throughput benchmark (see BENCHMARKS.md, "S3 sink"): builds the release worker, then
# runs the connect-e2e bench `s3_sink_throughput` against the local stack (scripts/stack.sh up).
#
#   scripts/bench_s3_sink.sh                  # 600k records, flush.size 20000
#   BENCH_RECORDS=300000 scripts/bench_s3_sink.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p sluice
export KAFKA_BOOTSTRAP="${KAFKA_BOOTSTRAP:-127.0.0.1:9092}"
export S3_ENDPOINT="${S3_ENDPOINT:-http://127.0.0.1:9000}"
export SLUICE_BIN="${SLUICE_BIN:-$PWD/target/release/sluice}"
export BENCH_RECORDS="${BENCH_RECORDS:-600000}"
export BENCH_FLUSH="${BENCH_FLUSH:-20000}"
# The bench itself (producer, bare consumer, poller) is built optimised so it is not the
# bottleneck; it shares the machine's 2 cores with the worker, as a client would.
exec cargo bench -p connect-e2e --bench s3_sink_throughput
