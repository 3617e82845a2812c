#!/usr/bin/env bash
# Load gate for `promptgate serve`'s request path.
#
# Compares, in one run on this machine, the real serve webhook handler with a
# minimal reference handler: verify the HMAC, decode the JSON, answer 202. The
# load is 2,000 signed issue_comment deliveries per handler, each about 13-14 KB:
# ordinary PR comments built from a recorded GitHub payload, not commands. They go
# over 8 loopback connections per handler, in small alternating (ABBA) batches, so
# both handlers share the CPU alike. The figures are ratios because absolute rates
# swing with whatever else runs on the machine.
#
# Gate: serve rate >= 0.95 x reference rate, and serve p99 <= 1.2 x reference p99.
# Exit status: 0 pass, 1 below the gate, 2 setup error.
# Extra arguments go to the generator: -n, -conns, -batch, -size, -warmup, ...
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(mktemp -d)"
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/loadgen" ./scripts/loadgen
"$bin/loadgen" "$@"
