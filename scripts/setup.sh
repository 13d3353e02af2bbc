#!/usr/bin/env bash
# Installs everything the build, the demo and the tests need on Debian 12: Debian packages with
# apt-get (as root; otherwise prints the exact command to run) and npm packages from the lock file.
# `scripts/setup.sh bench` also installs what the side-by-side benchmarks in bench/ run against.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost-dev libboost-system-dev libcurl4-openssl-dev libssl-dev libc-ares-dev
  libsimdjson-dev nlohmann-json3-dev libyaml-cpp-dev libsqlite3-dev libpq-dev
  libspdlog-dev libfmt-dev libcli11-dev libre2-dev libargon2-dev libxxhash-dev zlib1g-dev
  libprotobuf-dev protobuf-compiler libsnappy-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  chromium sqlite3 curl
  nginx-light python3-aiosmtpd prometheus prometheus-alertmanager
)
# nginx-light: the log ingestion integration test sends nginx's access log to csoc over syslog.
# python3-aiosmtpd: the e-mail receiver's tests deliver to a real local SMTP server.
# prometheus, prometheus-alertmanager (with amtool): the alerting tests send real alerts and
# silences to csoc's Alertmanager API.
if [[ ${1:-} == bench ]]; then
  PACKAGES+=(prometheus-blackbox-exporter prometheus jq bc iproute2 wrk goaccess)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js with npm: Debian's nodejs+npm, unless a node that already has npm is installed.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  if [[ $(id -u) -eq 0 ]]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: not root; run this, then try again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

if [[ ! -d node_modules/playwright-core ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: installing npm packages from package-lock.json"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "setup: done"
