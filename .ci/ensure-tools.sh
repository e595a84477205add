#!/usr/bin/env bash
# What the test suite needs besides Python packages: redis-server (the Redis tests start their own on a
# free loopback port) and promtool (checks the /metrics exposition). This only makes sure the binaries
# exist; it installs them with apt-get when run as root, and otherwise says what to install.
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)  # Debian ships promtool in prometheus
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${missing[*]} (needed by the tests)…" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "Missing: ${missing[*]}. Install them (apt install redis-server prometheus / brew install redis prometheus) and re-run." >&2
exit 1
