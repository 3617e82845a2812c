#!/usr/bin/env bash
# Installs the real servers the guarded-rollout tests start: Prometheus and Alertmanager
# (Debian packages prometheus and prometheus-alertmanager), and the headless browser the HTML
# report's tests drive (Debian's chromium). Idempotent: does nothing when every binary is
# already on PATH. The packages' own services are not started; tests start their
# own instances on free loopback ports.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }
have_alertmanager() { have prometheus-alertmanager || have alertmanager; }

have_chromium() { have chromium || have chromium-browser || have google-chrome; }

missing=()
have prometheus && have_alertmanager || missing+=(prometheus prometheus-alertmanager)
have_chromium || missing+=(chromium)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if ! have apt-get; then
  echo "install-test-servers: need ${missing[*]} on PATH (no apt-get here)" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
# policy-rc.d 101 keeps dpkg from starting the packages' system services.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
  trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
  "${missing[@]}" >/dev/null
have prometheus && have_alertmanager && have_chromium
