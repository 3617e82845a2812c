#!/usr/bin/env bash
# Burst measurement of serve's online evaluation (docs/online.md): a real
# `promptgate serve` process receives 20,000 traced requests over OTLP/HTTP
# while its llm-rubric judge (a loopback fake) takes 1 s per call. It prints
# how many samples were counted, graded and dropped, serve's peak RSS and the
# p99 and slowest /healthz answers during the burst and the drain. Asserted:
# every sample counted, each graded or dropped, no failed /healthz probe, peak
# RSS under 250 MB. Time figures are printed, not asserted. Not under -race,
# which inflates memory. About 1.5 minutes, most of it the graders draining
# their queue of 200 at 4 a second; .ci/run runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
PROMPTGATE_ONLINE_BURST=1 go test -count=1 -run '^TestOnlineBurst$' -v -timeout 30m ./internal/app/githubapp |
  grep -E 'online burst:|^(ok|FAIL|---)|_test\.go:|panic'
