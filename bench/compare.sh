#!/usr/bin/env bash
# The honeydesk benchmark in one command: builds the release binaries loadgen starts
# (loadgen, bot-service, agent-service), then runs `loadgen compare`, which pins the
# servers to core 0 and itself to core 1 (when taskset and two cores exist), runs the
# bare echo anchor and every honeydesk path back to back, and prints the markdown table
# of ratios. Arguments go to `loadgen compare`, e.g.
#   bench/compare.sh --duration 5s --only turn,classify
#   HONEYDESK_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1/postgres bench/compare.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p loadgen -p bot-service -p agent-service
exec target/release/loadgen compare "$@"
