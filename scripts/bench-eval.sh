#!/usr/bin/env bash
# Benchmarks the eval runner against an httptest chat-completions server with fixed
# latency, and compares wall time with the ideal N·L/C (ratio 1.00 = perfectly busy).
# Also measures peak RSS for 500 vs 5,000 cases in fresh processes.
#
#   scripts/bench-eval.sh            # ~1 minute on 2 cores
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== speed bar: 500 cases, L=100ms, C=10 must take <= 1.10 x N*L/C = 5.5s"
go test -count=1 -run '^TestThroughputNearIdeal$' -v ./internal/eval | grep -E 'cases|^(ok|FAIL|---)'

echo
echo "== memory bar: 5,000 cases under 60 MB peak RSS, flat vs 500 cases"
go test -count=1 -run '^TestMemoryFlat$' -v ./internal/eval | grep -E 'peak RSS|^(ok|FAIL|---)'

echo
echo "== testing.B: wall time as a multiple of ideal N*L/C (x_ideal), and runner overhead per case"
go test -run '^$' -bench 'BenchmarkRunner' -benchtime 2x -benchmem ./internal/eval | grep -E 'Benchmark|ok'
