#!/usr/bin/env bash
# Benchmarks the eval runner against an httptest chat-completions server with fixed
# latency, and compares wall time with the ideal N·L/C (x_ideal 1.00 = perfectly busy).
# Also measures peak RSS for 500 vs 5,000 cases in fresh processes, and the wall time
# of a warm-cache check of 20 prompts × 20 cases.
#
# Timing lives here, not in go test: a wall-clock bound inside `go test -race ./...`
# flakes on 2 cores while another build runs. This script prints the figures and the
# bars they are read against (speed: x_ideal <= 1.10 at N=500, C=10, L=100ms; warm
# check: < 2 s); it exits non-zero only when a benchmark itself fails.
#
#   scripts/bench-eval.sh            # ~1 minute on 2 cores
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== testing.B: wall time as a multiple of ideal N*L/C (x_ideal; bar 1.10 at N=500/C=10/L=100ms), and runner overhead per case"
go test -run '^$' -bench 'BenchmarkRunner' -benchtime 2x -benchmem ./internal/eval | grep -E 'Benchmark|ok'

echo
echo "== memory bar: 5,000 cases under 60 MB peak RSS, flat vs 500 cases"
go test -count=1 -run '^TestMemoryFlat$' -v ./internal/eval | grep -E 'peak RSS|^(ok|FAIL|---)'

echo
echo "== warm-cache check, 20 prompts x 20 cases, 0 model calls (bar: < 2 s per check; sec/op below)"
go test -run '^$' -bench 'BenchmarkCheckWarmCache' -benchtime 3x ./internal/cli |
  awk '/^BenchmarkCheckWarmCache/ {printf "%s  %.2f s per warm check\n", $0, $3/1e9; next} /ok|FAIL/'
