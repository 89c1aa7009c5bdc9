#!/usr/bin/env bash
# Turns/s and hand-offs/s through nginx with N replicas of each service (default 1, then
# 2): starts deploy/cluster.sh on a fresh PostgreSQL database and an emptied Redis, runs
# loadgen's turn and handoff modes against the bot-service front (8 connections × 8
# streams, 10 s each), prints loadgen's rows, and stops the cluster. Nothing is pinned:
# nginx, every replica, PostgreSQL, Redis and loadgen share the machine's cores.
#   deploy/cluster-bench.sh [N ...]
# Needs release binaries (cargo build --release -p loadgen -p agent-service -p bot-service).
# Note: this flushes the Redis database named by HONEYDESK_SESSION_STORE (default db 0).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export HONEYDESK_JWT_SECRET=cluster-bench-secret-0123456789abcdef
# Benchmark customers are new tokens from one address: the flood guards would stop them.
export HONEYDESK_UNKNOWN_TOKENS_PER_MINUTE=0 HONEYDESK_CALLS_PER_CALLER_PER_MINUTE=0
export HONEYDESK_LIMIT_MESSAGES_PER_SECOND=0
REDIS_URL="${HONEYDESK_SESSION_STORE:-redis://127.0.0.1:6379/}"
for n in "${@:-1 2}"; do
  for replicas in $n; do
    export HONEYDESK_CLUSTER_DIR="$ROOT/data/cluster-bench-$replicas" HONEYDESK_CLUSTER_REPLICAS=$replicas
    export HONEYDESK_DATABASE_URL="postgres://postgres@127.0.0.1:5432/honeydesk_bench_$replicas"
    psql -q postgres://postgres@127.0.0.1:5432/postgres \
      -c "DROP DATABASE IF EXISTS honeydesk_bench_$replicas WITH (FORCE)" 2>/dev/null
    redis-cli -u "$REDIS_URL" FLUSHDB >/dev/null
    fronts=$(bash deploy/cluster.sh start)
    bot=$(echo "$fronts" | sed -n 's/^bot-service front: //p')
    echo "== $replicas replica(s) of each service behind nginx ($bot)"
    for mode in turn handoff; do
      target/release/loadgen --no-pin "$mode" --bot "http://$bot" -c 8 -s 8 -d 10s 2>&1 \
        | grep -E "^\| (turn|handoff)|non-OK [A-Z]" || true
    done
    bash deploy/cluster.sh stop
  done
done
