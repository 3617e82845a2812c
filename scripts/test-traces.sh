#!/usr/bin/env bash
# End-to-end check of `--otlp` against a real Jaeger (v1.76.0's v2 all-in-one binary,
# OTLP/HTTP receiver and in-memory store on free loopback ports). It runs promptgate eval
# on 1,000 cases without and with --otlp, reads the traces back through Jaeger's query
# API, and prints the wall-time ratio; then checks a tool-using run's trace (chat spans
# with their turns, execute_tool spans under them). Exits non-zero when a trace is
# missing or wrong.
#
#   scripts/test-traces.sh           # first run builds Jaeger (~8 min on 2 cores), then ~1 min
set -euo pipefail
cd "$(dirname "$0")/.."

jaeger=$(bash scripts/install-jaeger.sh)
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# free_port picks a random port below Linux's ephemeral range (32768+, where outgoing
# connections may hold a port nobody answers on) that nothing answers on; bash's
# /dev/tcp, no python needed. A race with another process is handled by the retry below.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
}
start_jaeger() {
  otlp_port=$(free_port); query_port=$(free_port); grpc_port=$(free_port)
cat > "$work/jaeger.yaml" <<YAML
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_query:
    storage:
      traces: memstore
    enable_tracing: false
    http:
      endpoint: 127.0.0.1:${query_port}
    grpc:
      endpoint: 127.0.0.1:${grpc_port}
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${otlp_port}
processors:
  batch:
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
YAML
  "$jaeger" --config "file:$work/jaeger.yaml" > "$work/jaeger.log" 2>&1 &
  pid=$!
  # Ready when the query port answers; a port taken in the meantime makes Jaeger exit.
  for _ in $(seq 1 150); do
    if ! kill -0 "$pid" 2>/dev/null; then wait "$pid" 2>/dev/null; pid=""; return 1; fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$query_port") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  return 1
}
started=""
for attempt in 1 2 3; do
  if start_jaeger; then started=1; break; fi
  echo "jaeger did not start (attempt $attempt); retrying on other ports:" >&2
  tail -3 "$work/jaeger.log" >&2
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; pid=""
done
[ -n "$started" ] || { echo "test-traces: jaeger would not start" >&2; exit 1; }
echo "== jaeger pid $pid: OTLP/HTTP 127.0.0.1:$otlp_port, query API http://127.0.0.1:$query_port"
if ! go run ./scripts/trace-check --otlp "http://127.0.0.1:$otlp_port" --query "http://127.0.0.1:$query_port" "$@"; then
  echo "--- jaeger log" >&2; tail -50 "$work/jaeger.log" >&2
  exit 1
fi
