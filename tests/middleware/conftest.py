"""Shared helpers for the middleware tests: the test plugin dir and log-file polling."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

PLUGIN_DIR = Path(__file__).parent / "plugins"


def plugin_env(base: dict[str, str], *modules: str) -> dict[str, str]:
    """``base`` plus what a spawned server needs to load the test plugin modules."""
    return {**base, "PYTHONPATH": str(PLUGIN_DIR), "ZEN_EXTRA_PLUGINS": ",".join(modules or ("mw_test_plugin",))}


def wait_for_log(read: Any, trace_id: str, timeout: float = 20.0) -> dict[str, Any]:
    """The JSON ``tool_call`` line carrying ``trace_id`` (lines are written by a background thread)."""
    deadline = time.monotonic() + timeout
    while True:
        for line in read().splitlines():
            if trace_id in line and line.lstrip().startswith("{"):
                record: dict[str, Any] = json.loads(line)
                if record.get("msg") == "tool_call":
                    return record
        if time.monotonic() > deadline:
            raise AssertionError(f"no tool_call log line with trace id {trace_id} in:\n{read()[-4000:]}")
        time.sleep(0.05)
