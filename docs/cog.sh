#!/usr/bin/env bash
# Regenerate the parts of the docs that are produced by running code ([[[cog ... ]]] blocks):
# real CLI output, the hook reference and the embedded example plugins. The test suite runs the
# same thing with --check (tests/docs/test_docs.py) and fails when a page is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-$([ -x .venv/bin/python ] && echo .venv/bin/python || echo python)}"
mapfile -t pages < <(grep -rl --include='*.md' '\[\[\[cog' docs README.md | sort)
exec "$PYTHON" -m cogapp -r "$@" "${pages[@]}"
