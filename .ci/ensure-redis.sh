#!/usr/bin/env bash
# The Redis tests start their own redis-server on a free loopback port; this only makes sure the binary exists.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing redis-server (needed by the Redis tests)…" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  exit 0
fi
echo "redis-server is not installed. Install it (apt install redis-server / brew install redis) and re-run." >&2
exit 1
