#!/usr/bin/env bash
# Runs `promptgate eval` at concurrency 64 on 1,000 cases against a local
# OpenAI-compatible server that enforces a rate limit the way OpenAI does
# (scripts/ratelimit-server: a token bucket holding one second's worth, with
# x-ratelimit-*, retry-after-ms and Retry-After headers), with no limit in
# promptgate.yaml, so the client must learn it from the headers:
#   1. 6,000 requests/min     bar: wall <= 1.15 x ideal, 429s <= 5% of requests, 0 errors
#   2. 126,000 tokens/min     bar: wall <= 1.25 x ideal, 429s <= 5% of requests, 0 errors
# Ideal is the admitted work at the limit: cases / (rpm/60), or tokens charged /
# (tpm/60). With PROMPTFOO=path/to/promptfoo set (npm promptfoo@0.121.20), it
# runs promptfoo on the same cases against a fresh server and prints the ratio.
#
#   scripts/bench-ratelimit.sh            # ~1 minute
#   CASES=300 scripts/bench-ratelimit.sh  # quicker
set -euo pipefail
cd "$(dirname "$0")/.."
CASES=${CASES:-1000}
CONC=${CONC:-64}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/promptgate" ./cmd/promptgate
go build -o "$work/server" ./scripts/ratelimit-server

# A project of one suite with $CASES cases; each call is charged ~45 tokens.
mkdir -p "$work/proj/prompts" "$work/proj/evals"
cat >"$work/proj/prompts/echo.prompt" <<'P'
---
model: gpt-4o-mini
input:
  schema:
    word: string
---
{{role "system"}}
You repeat the word you are given, exactly, and nothing else, for a rate-limit benchmark.
{{role "user"}}
{{word}}
P
{
  echo "prompt: echo"
  echo "threshold: 1"
  echo "tests:"
  for i in $(seq 1 "$CASES"); do
    printf '  - description: case %d\n    vars: {word: word%d}\n    assert: [{type: contains, value: word%d}]\n' "$i" "$i" "$i"
  done
} >"$work/proj/evals/echo.yaml"

start_server() { # args: server flags; sets url and pid
  "$work/server" "$@" >"$work/server.out" 2>"$work/server.err" &
  pid=$!
  for _ in $(seq 1 100); do
    url=$(head -n1 "$work/server.out" 2>/dev/null || true)
    [ -n "$url" ] && return 0
    sleep 0.05
  done
  echo "server did not start" >&2
  exit 1
}

now() { date +%s.%N; }

run_promptgate() { # args: label, server flags...; prints one result line
  local label=$1
  shift
  start_server "$@"
  printf 'providers:\n  default:\n    base_url: %s\n    api_key_env: BENCH_KEY\n    concurrency: %d\n' "$url" "$CONC" >"$work/proj/promptgate.yaml"
  local t0 t1 status=0
  t0=$(now)
  BENCH_KEY=bench-key "$work/promptgate" eval -C "$work/proj" --no-cache --quiet --format json >"$work/out.json" 2>"$work/err.txt" || status=$?
  t1=$(now)
  report "$label" promptgate "$t0" "$t1" "$(jq '[.suites[].errored] | add' "$work/out.json")" "$@"
  [ "$status" = 0 ] || { echo "  promptgate exited $status:"; head -5 "$work/err.txt"; }
  stop_server
  if [ -n "${PROMPTFOO:-}" ]; then
    run_promptfoo "$label" "$@"
  fi
}

stop_server() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }

run_promptfoo() { # same cases through promptfoo, against a fresh server
  local label=$1
  shift
  start_server "$@"
  mkdir -p "$work/pf"
  {
    echo "prompts:"
    echo "  - '[{\"role\":\"system\",\"content\":\"You repeat the word you are given, exactly, and nothing else, for a rate-limit benchmark.\"},{\"role\":\"user\",\"content\":\"{{word}}\"}]'"
    echo "providers:"
    echo "  - id: openai:chat:gpt-4o-mini"
    echo "    config: {apiBaseUrl: '$url', apiKeyEnvar: BENCH_KEY}"
    echo "tests:"
    for i in $(seq 1 "$CASES"); do
      printf '  - vars: {word: word%d}\n    assert: [{type: contains, value: word%d}]\n' "$i" "$i"
    done
  } >"$work/pf/promptfooconfig.yaml"
  local t0 t1
  t0=$(now)
  (cd "$work/pf" && BENCH_KEY=bench-key PROMPTFOO_DISABLE_TELEMETRY=1 PROMPTFOO_CACHE_ENABLED=false \
    "$PROMPTFOO" eval -c promptfooconfig.yaml --no-cache --max-concurrency "$CONC" -o out.json >pf.log 2>&1) || true
  t1=$(now)
  report "$label" promptfoo "$t0" "$t1" "$(jq '.results.stats.errors // 0' "$work/pf/out.json" 2>/dev/null || echo '?')" "$@"
  stop_server
}

report() { # label, tool, t0, t1, errors, server flags...
  local label=$1 tool=$2 t0=$3 t1=$4 errors=$5
  shift 5
  local stats rpm=0 tpm=0
  stats=$(curl -s "${url%/v1}/stats")
  for a in "$@"; do
    case $a in -rpm=*) rpm=${a#-rpm=} ;; -tpm=*) tpm=${a#-tpm=} ;; esac
  done
  python3 - "$label" "$tool" "$t0" "$t1" "$errors" "$rpm" "$tpm" "$stats" <<'PY'
import json, sys
label, tool, t0, t1, errors, rpm, tpm, stats = sys.argv[1:]
s = json.loads(stats)
wall = float(t1) - float(t0)
rpm, tpm = int(rpm), int(tpm)
admitted = s["requests"] - s["throttled"]
ideal = admitted / (rpm / 60) if rpm else s["tokens"] / (tpm / 60)
bar = 1.15 if rpm else 1.25
share = s["throttled"] / max(1, s["requests"])
ok = wall <= bar * ideal and share <= 0.05 and str(errors) == "0"
print(f"{label:<18} {tool:<9} wall {wall:6.2f}s  ideal {ideal:6.2f}s  x_ideal {wall/ideal:5.2f} (bar {bar})  "
      f"requests {s['requests']:5d}  429s {s['throttled']:4d} ({share:5.1%}, bar 5%)  errors {errors}  "
      f"peak in flight {s['peak_in_flight']}  {'PASS' if ok else 'MISS'}")
PY
}

echo "== eval, $CASES cases at concurrency $CONC, no limit configured (server latency 50 ms)"
run_promptgate "6,000 req/min" -rpm=6000
run_promptgate "126,000 tok/min" -tpm=126000
