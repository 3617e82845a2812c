#!/usr/bin/env bash
# Builds Jaeger v1.76.0's all-in-one v2 binary (cmd/jaeger) with the Go toolchain, in its own
# module folder, never in promptgate's go.mod, and caches it. Prints the binary's path.
#   scripts/install-jaeger.sh        # first build ~8 min on 2 cores; then instant
set -euo pipefail
version=v1.76.0
cache="${PROMPTGATE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/promptgate-tools}"
bin="$cache/jaeger-$version"
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
mkdir -p "$cache"
dir=$(go mod download -json "github.com/jaegertracing/jaeger@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$dir" ] || { echo "install-jaeger: go mod download gave no folder for jaeger@$version" >&2; exit 1; }
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -r "$dir/." "$work/"
chmod -R u+w "$work"
echo "install-jaeger: building jaeger $version (first time only, about 8 minutes on 2 cores)" >&2
(cd "$work" && GOFLAGS=-mod=mod go build -trimpath -o "$bin.tmp" ./cmd/jaeger)
mv "$bin.tmp" "$bin"
echo "$bin"
