#!/bin/sh
# Installs the promptgate binary from a GitHub release, verifying its SHA-256
# against the release's checksums.txt before anything is installed.
#
#   curl -fsSL https://raw.githubusercontent.com/promptgate/promptgate/main/scripts/install.sh | sh
#   curl -fsSL …/install.sh | PROMPTGATE_VERSION=v1.4.0 PROMPTGATE_INSTALL_DIR=/usr/local/bin sh
#
# Settings (environment):
#   PROMPTGATE_VERSION      a release tag such as v1.4.0 (default: the latest release)
#   PROMPTGATE_INSTALL_DIR  where the binary goes (default: /usr/local/bin as root, else ~/.local/bin)
#   PROMPTGATE_RELEASES     the releases address (default: https://github.com/promptgate/promptgate/releases;
#                           point it at a mirror or GitHub Enterprise Server)
# Needs: curl or wget, tar, and sha256sum or shasum.
set -eu

releases=${PROMPTGATE_RELEASES:-https://github.com/promptgate/promptgate/releases}
version=${PROMPTGATE_VERSION:-latest}

die() { echo "promptgate install: $*" >&2; exit 1; }

case $(uname -s) in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) die "unsupported OS $(uname -s); download an archive from $releases or run: go install github.com/promptgate/promptgate/cmd/promptgate@latest" ;;
esac
case $(uname -m) in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die "unsupported CPU $(uname -m); run: go install github.com/promptgate/promptgate/cmd/promptgate@latest" ;;
esac

if [ -n "${PROMPTGATE_INSTALL_DIR:-}" ]; then
  dir=$PROMPTGATE_INSTALL_DIR
elif [ "$(id -u)" = 0 ]; then
  dir=/usr/local/bin
else
  dir=$HOME/.local/bin
fi

if [ "$version" = latest ]; then
  base=$releases/latest/download
else
  base=$releases/download/$version
fi
asset=promptgate_${os}_${arch}.tar.gz

fetch() { # fetch URL FILE
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 3 -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1"
  else
    die "needs curl or wget"
  fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

fetch "$base/checksums.txt" "$tmp/checksums.txt" || die "could not download $base/checksums.txt (is $version a release?)"
fetch "$base/$asset" "$tmp/$asset" || die "could not download $base/$asset"

want=$(awk -v f="$asset" '$2 == f || $2 == "*" f { print $1 }' "$tmp/checksums.txt")
[ -n "$want" ] || die "checksums.txt lists no $asset"
if command -v sha256sum >/dev/null 2>&1; then
  got=$(sha256sum "$tmp/$asset" | awk '{print $1}')
elif command -v shasum >/dev/null 2>&1; then
  got=$(shasum -a 256 "$tmp/$asset" | awk '{print $1}')
else
  die "needs sha256sum or shasum to verify the download"
fi
[ "$got" = "$want" ] || die "checksum mismatch for $asset: got $got, checksums.txt says $want; nothing was installed"

mkdir "$tmp/x" && tar -xzf "$tmp/$asset" -C "$tmp/x" || die "could not unpack $asset"
[ -f "$tmp/x/promptgate" ] || die "$asset holds no promptgate binary"
mkdir -p "$dir"
# Install under a temporary name, then rename, so a running promptgate is never half-written.
cp "$tmp/x/promptgate" "$dir/.promptgate.new" && chmod 0755 "$dir/.promptgate.new" && mv -f "$dir/.promptgate.new" "$dir/promptgate"
echo "installed $("$dir/promptgate" version) to $dir/promptgate (sha256 $got verified)"
case ":$PATH:" in *":$dir:"*) ;; *) echo "note: $dir is not on your PATH" ;; esac
