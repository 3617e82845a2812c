#!/usr/bin/env bash
# act-rerun.sh — run action.yml under nektos/act (host mode, no Docker) and time
# three runs of a pull request whose gate fails:
#
#   1. cold      `uses: ./` builds promptgate from source (cold Go caches) and
#                saves the binary to act's cache server;
#   2. rerun     the same run again (GITHUB_RUN_ATTEMPT=2): the binary cache must
#                hit and nothing is built;
#   3. release   `uses: promptgate/promptgate@v1`: the release step resolves v1
#                through the releases API and downloads the release binary.
#
# Usage: bash scripts/act-rerun.sh [WORKDIR]   (default: a new /tmp/promptgate-act.*)
# It prints wall times and act's per-step durations, checks what each run must
# show (exit 1 if not: the build, the cache hit, the download, the failed gate,
# the uploaded report), and keeps the full act logs, the artifact server
# directory and the fake GitHub's request log in WORKDIR. A WORKDIR given again
# keeps its scratch clone and release build (delete it to measure a changed
# tree); act's cache server directory is emptied on every invocation, so run 1
# is always cold. Figures are in docs/action.md ("Measured under act").
#
# Everything it needs it installs into caches of its own:
#   - act, built from the Go module proxy into ~/.cache/promptgate-tools/act-VERSION
#     (never added to this repository's go.mod);
#   - the npm packages the substitute actions call, into
#     ~/.cache/promptgate-tools/act-node-KEY.
# Override the cache root with PROMPTGATE_TOOLS.
#
# Nothing leaves the machine except the Go module proxy (act's build, and the
# cold promptgate build's module downloads) and the npm registry (first run):
#   - act cannot clone actions from github.com here, so actions/cache/restore@v4,
#     actions/cache/save@v4, actions/upload-artifact@v4 and actions/setup-go@v5
#     are mapped (act --local-repository) to SUBSTITUTES in
#     scripts/act-substitutes/: small actions that call the libraries the real
#     ones are built on (@actions/cache, @actions/artifact, @actions/glob,
#     @actions/core, pinned below); setup-go's substitute puts the machine's Go
#     on PATH with empty GOCACHE and GOMODCACHE (a fresh runner whose setup-go
#     cache missed). actions/checkout is not needed: act copies the working
#     directory instead.
#   - GitHub itself is scripts/act-fake-github on 127.0.0.1: it serves the
#     releases API and downloads (a v1.1.0 release built from this tree) and
#     answers 404 to the rest, so check-run creation falls back to the job
#     summary as it does for a token without checks: write.
#   - act's own cache server (v1 cache API) and artifact server (v4 artifact
#     API) listen on 127.0.0.1.
#   - act host mode gives every job a new RUNNER_TEMP, and @actions/cache hashes
#     the path strings into an entry's version, so the action's paths under
#     runner.temp would never match the previous run's entry under act (on
#     GitHub RUNNER_TEMP is the same for every job of a runner). The cache
#     substitutes therefore pass such paths relative to RUNNER_TEMP; see
#     scripts/act-substitutes/cache/restore/index.js.
# No model is called: no API key is passed, and promptgate answers from the
# recorded responses in .promptgate/cache at the base commit.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
ACT_VERSION=v0.2.89
# @actions/cache 4.1.0 speaks the v1 cache API (the only one act's cache server
# implements) unless ACTIONS_CACHE_SERVICE_V2 is set; @actions/artifact 2.3.2 is
# what actions/upload-artifact@v4 is built on and speaks the v4 artifact API act
# implements.
# @azure/storage-blob is pinned to 12.18.0 (within @actions/artifact's ^12.15.0):
# 12.23.0 and later drop the trailing "=" of the sig parameter act puts in its
# signed upload URL, and act answers 401 "Error unauthorized" (nektos/act#6021).
NPM_PACKAGES=(@actions/cache@4.1.0 @actions/artifact@2.3.2 @actions/core@1.11.1 @actions/glob@0.5.0 @azure/storage-blob@12.18.0)

tools=${PROMPTGATE_TOOLS:-$HOME/.cache/promptgate-tools}
work=${1:-$(mktemp -d /tmp/promptgate-act.XXXXXX)}
mkdir -p "$work"
work=$(cd "$work" && pwd)
log() { printf '== %s\n' "$*" >&2; }

need() { command -v "$1" >/dev/null 2>&1 || { echo "act-rerun: needs $1 on PATH" >&2; exit 1; }; }
for c in go git node npm curl tar sha256sum awk; do need "$c"; done

# --- act ----------------------------------------------------------------------
act="$tools/act-$ACT_VERSION/act"
if [ ! -x "$act" ]; then
  log "building act $ACT_VERSION into $tools/act-$ACT_VERSION (Go module proxy)"
  (cd "$work" && GOFLAGS=-mod=mod GOBIN="$tools/act-$ACT_VERSION" go install "github.com/nektos/act@$ACT_VERSION")
fi
"$act" --version >&2

# --- substitute actions ---------------------------------------------------------
nodekey=$(printf '%s\n' "${NPM_PACKAGES[@]}" | sha256sum | cut -c1-12)
nodedir="$tools/act-node-$nodekey"
if [ ! -d "$nodedir/node_modules/@actions/artifact" ]; then
  log "npm install ${NPM_PACKAGES[*]} into $nodedir"
  rm -rf "$nodedir" && mkdir -p "$nodedir"
  echo '{"name":"promptgate-act-substitutes","private":true}' > "$nodedir/package.json"
  (cd "$nodedir" && npm install --no-audit --no-fund --loglevel=error "${NPM_PACKAGES[@]}" >&2)
fi
subs="$work/substitutes"
rm -rf "$subs" && cp -R "$root/scripts/act-substitutes" "$subs"
for d in cache/restore cache/save upload-artifact; do
  ln -s "$nodedir/node_modules" "$subs/$d/node_modules"   # act copies the link, node follows it
done

# --- scratch repository: base = this tree, head = one regressed case ------------
repo="$work/repo"
if [ ! -d "$repo/.git" ]; then
  log "scratch clone in $repo"
  git clone -q --no-local "$root" "$repo"
  # Measure the working tree as it is, uncommitted changes included.
  (cd "$root" && git ls-files -z | tar --null -T - -cf -) | tar -C "$repo" -xf -
  git -C "$repo" add -A
  git -C "$repo" -c user.name=act-rerun -c user.email=act-rerun@localhost commit -q --allow-empty -m "base: this tree"
  git -C "$repo" checkout -q -b regress
  # The first case asserts "positive" and the recorded answer is "positive";
  # asserting "negative" makes it pass at base and fail at head: a regression.
  sed -i '0,/        value: positive/s//        value: negative/' "$repo/evals/sentiment/classify.yaml"
  if git -C "$repo" diff --quiet; then
    echo "act-rerun: evals/sentiment/classify.yaml has no case asserting 'value: positive' to regress" >&2
    exit 1
  fi
  git -C "$repo" -c user.name=act-rerun -c user.email=act-rerun@localhost commit -q -am "head: regress one sentiment case"
fi
base=$(git -C "$repo" rev-parse HEAD~1)
head=$(git -C "$repo" rev-parse HEAD)

# --- a release built from this tree, served by the fake GitHub --------------------
releases="$work/releases"
if [ ! -f "$releases/v1.1.0/checksums.txt" ]; then
  log "building release v1.1.0 (linux/amd64) for the fake GitHub"
  mkdir -p "$releases/v1.1.0" "$releases/v2.0.0" "$work/pkg"
  (cd "$root" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/promptgate/promptgate/internal/cli.Version=v1.1.0" \
    -o "$work/pkg/promptgate" ./cmd/promptgate)
  tar -C "$work/pkg" -czf "$releases/v1.1.0/promptgate_linux_amd64.tar.gz" promptgate
  (cd "$releases/v1.1.0" && sha256sum promptgate_linux_amd64.tar.gz > checksums.txt)
  # v2.0.0 has no assets; `@v1` must not pick it anyway.
fi
(cd "$root" && go build -o "$work/act-fake-github" ./scripts/act-fake-github)
"$work/act-fake-github" -dir "$releases" >"$work/fake-github.url" 2>>"$work/fake-github.log" &
fake_pid=$!
trap 'kill "$fake_pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$work/fake-github.url" ] && break; sleep 0.1; done
fake=$(head -1 "$work/fake-github.url")
port=${fake##*:}
# GITHUB_SERVER_URL uses a *.localhost name: curl resolves it to loopback itself,
# and @actions/artifact treats github.com, *.ghe.com and *.localhost as
# non-GHES (it refuses GHES). The API URL stays a plain loopback address.
server_url="http://github.localhost:${port}"
api_url="${fake}/api/v3"
curl -fsS "${server_url}/promptgate/promptgate/releases/download/v1.1.0/checksums.txt" >/dev/null

# --- the event -----------------------------------------------------------------
node -e '
  const fs = require("fs");
  const [src, dst, base, head] = process.argv.slice(1);
  const ev = JSON.parse(fs.readFileSync(src, "utf8"));
  ev.pull_request.base.sha = base; ev.pull_request.base.ref = "main";
  ev.pull_request.head.sha = head; ev.pull_request.head.ref = "regress";
  fs.writeFileSync(dst, JSON.stringify(ev, null, 2));
' "$root/testdata/events/pull_request.json" "$work/event.json" "$base" "$head"

free_port() { # a free loopback port above 20000 and below the ephemeral range
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "act-rerun: no free port" >&2; exit 1
}

# --- runs ------------------------------------------------------------------------
rm -rf "$work/act-cache" "$work/artifacts" "$work/logs"
mkdir -p "$work/logs"
summary="$work/summary.txt"
: > "$summary"

run() { # run LABEL JOB RUN_ID ATTEMPT
  local label=$1 job=$2 run_id=$3 attempt=$4 t0 t1 rc=0
  log "act run '$label' (job $job, run $run_id attempt $attempt)"
  t0=$(date +%s.%N)
  "$act" pull_request \
    -C "$repo" -W "$root/testdata/act/rerun.yml" -j "$job" -e "$work/event.json" \
    -P ubuntu-latest=-self-hosted \
    --action-cache-path "$work/act-actions" \
    --cache-server-path "$work/act-cache" --cache-server-addr 127.0.0.1 \
    --artifact-server-path "$work/artifacts" --artifact-server-addr 127.0.0.1 --artifact-server-port "$(free_port)" \
    --local-repository "actions/cache@v4=$subs/cache" \
    --local-repository "actions/setup-go@v5=$subs/setup-go" \
    --local-repository "actions/upload-artifact@v4=$subs/upload-artifact" \
    --local-repository "promptgate/promptgate@v1=$repo" \
    --env GITHUB_SERVER_URL="$server_url" --env GITHUB_API_URL="$api_url" \
    --env GITHUB_RUN_ID="$run_id" --env GITHUB_RUN_ATTEMPT="$attempt" \
    --env PROMPTGATE_ACT_GOROOT="$(go env GOROOT)" \
    -s GITHUB_TOKEN=fake-loopback-token \
    >"$work/logs/$label.log" 2>&1 || rc=$?
  t1=$(date +%s.%N)
  {
    printf '%s: act exit %s, wall %.1f s, load average after: %s\n' "$label" "$rc" \
      "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
    # act prints "✅  Success - Main NAME [DURATION]" or "❌  Failure - ..." per step.
    grep -aE 'Cache (restored from key|not found|saved with key)|successfully uploaded' "$work/logs/$label.log" \
      | sed -E 's/^\[[^]]*\] *\| */    > /' || true
    grep -aE '(Success|Failure|Skipped) - (Main|Post|Pre) ' "$work/logs/$label.log" \
      | sed -E 's/^\[[^]]*\] *//; s/^/    /' || true
    grep -aE 'Job (succeeded|failed)' "$work/logs/$label.log" | sed -E 's/^\[[^]]*\] *//; s/^/    /' || true
  } | tee -a "$summary" >&2
}

run cold source 1 1
run rerun source 1 2
run release release 2 1

log "artifacts under $work/artifacts:"
find "$work/artifacts" -type f | sed "s|^|    |" | tee -a "$summary" >&2
log "fake GitHub requests: $work/fake-github.log"
log "summary: $summary"
cat "$summary"

# --- what the runs must show -------------------------------------------------------
fail=0
expect() { # expect LABEL ERE WHAT: the run's log must match
  grep -aqE "$2" "$work/logs/$1.log" || { echo "act-rerun: FAIL $1: $3" >&2; fail=1; }
}
expect_not() { # expect_not LABEL ERE WHAT: the run's log must not match
  ! grep -aqE "$2" "$work/logs/$1.log" || { echo "act-rerun: FAIL $1: $3" >&2; fail=1; }
}
expect cold 'Success - Main promptgate — build from source' "the cold run did not build"
expect cold 'Cache saved with key: promptgate-bin-' "the cold run did not save the binary"
expect rerun 'Cache restored from key: promptgate-bin-' "the rerun did not restore the binary"
expect_not rerun 'Run Main promptgate — build from source' "the rerun built again"
expect release 'Using release v1\.1\.0 for v1\.' "the release run did not download v1.1.0"
expect_not release 'Run Main promptgate — build from source' "the release run built"
for l in cold rerun release; do
  expect "$l" 'set-output:: regressions=1' "the check did not report the regression"
  expect "$l" 'Failure - Main promptgate check' "the gate did not fail"
  expect "$l" 'has been successfully uploaded' "the report was not uploaded"
done
for r in 1 2; do
  [ -s "$work/artifacts/$r/promptgate-report/promptgate-report.zip" ] \
    || { echo "act-rerun: FAIL no report artifact for run $r" >&2; fail=1; }
done
if [ "$fail" -eq 0 ]; then
  echo "act-rerun: OK: cold run built and saved the binary, the rerun restored it, @v1 downloaded v1.1.0, every run failed the gate and uploaded the report" >&2
fi
exit "$fail"
