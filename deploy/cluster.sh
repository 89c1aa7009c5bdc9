#!/usr/bin/env bash
# A local honeydesk cluster on loopback: agent-service ×2 on one PostgreSQL database,
# bot-service ×2 sharing sessions in Redis, and nginx in front of each service (gRPC over
# HTTP/2, round robin). Prints the two front addresses, then returns; stop it with
# `deploy/cluster.sh stop`. Everything it writes (nginx config, logs, pids) stays in
# $HONEYDESK_CLUSTER_DIR.
#
#   deploy/cluster.sh start     start the cluster (builds release binaries if needed)
#   deploy/cluster.sh stop      stop every process it started
#
# Settings (environment):
#   HONEYDESK_CLUSTER_DIR      state folder                  (./data/cluster)
#   HONEYDESK_DATABASE_URL     shared PostgreSQL database    (postgres://postgres@127.0.0.1:5432/honeydesk_cluster, created if missing)
#   HONEYDESK_SESSION_STORE    shared Redis                  (redis://127.0.0.1:6379/)
#   HONEYDESK_JWT_SECRET       token secret of both services (a development secret)
#   HONEYDESK_AGENT_BIN / HONEYDESK_BOT_BIN   the service commands (target/release/…;
#                              a command with arguments is split on spaces)
#   HONEYDESK_CLUSTER_REPLICAS replicas of each service      (2; 1 for a baseline)
#   HONEYDESK_CLUSTER_PORT     first of the ports used: fronts at +0 (agent) and +1 (bot),
#                              replicas at +10.. (a free range is picked when unset)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${HONEYDESK_CLUSTER_DIR:-$ROOT/data/cluster}"
DB_URL="${HONEYDESK_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/honeydesk_cluster}"
REDIS_URL="${HONEYDESK_SESSION_STORE:-redis://127.0.0.1:6379/}"
SECRET="${HONEYDESK_JWT_SECRET:-local-cluster-development-secret-0123456789}"
AGENT_BIN="${HONEYDESK_AGENT_BIN:-$ROOT/target/release/agent-service}"
BOT_BIN="${HONEYDESK_BOT_BIN:-$ROOT/target/release/bot-service}"
REPLICAS="${HONEYDESK_CLUSTER_REPLICAS:-2}"
NGINX="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"

stop() {
  [ -d "$DIR" ] || return 0
  for pidfile in "$DIR"/*.pid; do
    [ -e "$pidfile" ] || continue
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  done
}

free_port_range() {
  python3 - <<'PY'
import socket
for base in range(20000, 60000, 50):
    try:
        socks = []
        for port in [base, base + 1] + list(range(base + 10, base + 30)):
            s = socket.socket(); s.bind(("127.0.0.1", port)); socks.append(s)
        print(base); break
    except OSError:
        for s in socks: s.close()
PY
}

# Waits until something listens on 127.0.0.1:$1 (or gives up after 60 s).
wait_port() {
  for _ in $(seq 1 600); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "nothing listens on port $1; see $DIR/*.log" >&2
  return 1
}

# nginx upstream lines for the replica ports given.
upstream() {
  local port
  for port in "$@"; do
    echo "        server 127.0.0.1:$port max_fails=1 fail_timeout=5s;"
  done
}

# Waits until log file $1 contains $2.
wait_log() {
  for _ in $(seq 1 600); do
    if grep -q "$2" "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "$1 never said: $2" >&2
  return 1
}

start() {
  command -v "$NGINX" >/dev/null || { echo "nginx is not installed (apt-get install nginx-light)" >&2; exit 1; }
  local agent_cmd bot_cmd
  read -r -a agent_cmd <<<"$AGENT_BIN"
  read -r -a bot_cmd <<<"$BOT_BIN"
  if [ ! -x "${agent_cmd[0]}" ] || [ ! -x "${bot_cmd[0]}" ]; then
    (cd "$ROOT" && cargo build --release --bin agent-service --bin bot-service)
  fi
  stop
  mkdir -p "$DIR/tmp"
  local base="${HONEYDESK_CLUSTER_PORT:-$(free_port_range)}"
  local agent_front=$((base)) bot_front=$((base + 1))
  local agents=() bots=() n
  for n in $(seq 0 $((REPLICAS - 1))); do
    agents+=($((base + 10 + n)))
    bots+=($((base + 20 + n)))
  done
  # The shared database: created when missing (PostgreSQL's own createdb semantics).
  local admin="${DB_URL%/*}/postgres" name="${DB_URL##*/}"
  if command -v psql >/dev/null; then
    psql -q "$admin" -tc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1 \
      || psql -q "$admin" -c "CREATE DATABASE \"$name\"" >/dev/null
  fi
  export HONEYDESK_JWT_SECRET="$SECRET" NO_COLOR=1 RUST_LOG="${RUST_LOG:-info}"
  # The first replica takes the routing lock before the second starts.
  local i=0
  for port in "${agents[@]}"; do
    i=$((i + 1))
    "${agent_cmd[@]}" --listen "127.0.0.1:$port" --database-url "$DB_URL" --replicas true \
      --seed-agents "$ROOT/agent-service/demo/agents.toml" \
      >"$DIR/agent-$i.out" 2>"$DIR/agent-$i.log" &
    echo $! >"$DIR/agent-$i.pid"
    wait_port "$port"
    [ "$i" = 1 ] && wait_log "$DIR/agent-1.log" "this replica routes now"
  done
  i=0
  for port in "${bots[@]}"; do
    i=$((i + 1))
    "${bot_cmd[@]}" --listen "127.0.0.1:$port" --agent-url "http://127.0.0.1:$agent_front" \
      --session-store "$REDIS_URL" >"$DIR/bot-$i.out" 2>"$DIR/bot-$i.log" &
    echo $! >"$DIR/bot-$i.pid"
  done
  cat >"$DIR/nginx.conf" <<NGINX
# gRPC load balancing for the local honeydesk cluster (written by deploy/cluster.sh).
worker_processes 1;
pid $DIR/nginx.pid;
error_log $DIR/nginx.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $DIR/tmp/body;
    proxy_temp_path $DIR/tmp/proxy;
    fastcgi_temp_path $DIR/tmp/fastcgi;
    uwsgi_temp_path $DIR/tmp/uwsgi;
    scgi_temp_path $DIR/tmp/scgi;
    # Streams (desk, session events, queue watches) stay open for long.
    grpc_read_timeout 1h;
    grpc_send_timeout 1h;
    # A client connection carries many calls: nginx's default of 1,000 requests per
    # connection sends GOAWAY mid-load and cuts the calls in flight.
    keepalive_requests 1000000;
    keepalive_timeout 1h;
    client_max_body_size 4m;
    upstream agent_service {
$(upstream "${agents[@]}")
        keepalive 32;
        keepalive_requests 1000000;
    }
    upstream bot_service {
$(upstream "${bots[@]}")
        keepalive 32;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$agent_front http2;
        location / { grpc_pass grpc://agent_service; }
    }
    server {
        listen 127.0.0.1:$bot_front http2;
        location / { grpc_pass grpc://bot_service; }
    }
}
NGINX
  "$NGINX" -p "$DIR" -c "$DIR/nginx.conf"
  for port in "${bots[@]}" "$agent_front" "$bot_front"; do wait_port "$port"; done
  echo "agent-service front: 127.0.0.1:$agent_front"
  echo "bot-service front: 127.0.0.1:$bot_front"
  echo "replicas: agent-service on ports ${agents[*]} (the first routes), bot-service on ${bots[*]}"
  echo "logs and pids: $DIR"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac
