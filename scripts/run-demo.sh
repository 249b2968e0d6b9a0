#!/usr/bin/env bash
# `make run`: the whole system on its embedded defaults (SQLite, a local blob folder,
# in-process ONNX scoring) with a demo school: the review server and its web UI, a demo
# school with staff accounts, and an enrolled agent that replays a demo feed (and watches the
# screen too when a display exists). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=${SAFEGUARD_HOST:-127.0.0.1}
PORT=${SAFEGUARD_PORT:-8000}
DATA=var/demo
rm -rf "$DATA"
mkdir -p "$DATA/agent"
export SAFEGUARD_MODE=demo SAFEGUARD_DATA_DIR="$DATA"
export SAFEGUARD_AGENT_STATE_DIR="$DATA/agent" SAFEGUARD_AGENT_CONFIG="$DATA/agent/agent.toml"

echo "== seeding the demo school =="
.venv/bin/safeguard-server demo | tee "$DATA/credentials.txt"
KEY=$(grep -o 'sge_[A-Za-z0-9_-]*' "$DATA/credentials.txt" | head -n1)

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

.venv/bin/safeguard-server run --host "$HOST" --port "$PORT" >"$DATA/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 60); do
  .venv/bin/python -c "import urllib.request,sys; urllib.request.urlopen('http://$HOST:$PORT/healthz', timeout=1)" \
    2>/dev/null && break
  sleep 1
done

echo "== enrolling this machine's agent and replaying the demo feed =="
.venv/bin/safeguard-agent enrol --server "http://$HOST:$PORT" --key "$KEY" --hostname demo-laptop-01
.venv/bin/safeguard-agent run --feed demo >"$DATA/agent.log" 2>&1 &
pids+=($!)

cat <<TXT

Safeguard Monitor is running.
  Review UI:   http://$HOST:$PORT/   (log in with an account printed above)
  API docs:    http://$HOST:$PORT/docs
  Logs:        $DATA/server.log, $DATA/agent.log
Press Ctrl-C to stop.
TXT
wait "${pids[0]}"
