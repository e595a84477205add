"""The environment of a server a test spawns: a few variables of the test process, then the test's own."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

#: Variables a spawned server inherits besides the ones a test passes (the SDK passes only a few).
INHERITED = (
    *("PATH", "HOME", "LANG", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV", "REDIS_SERVER"),
    *("PYTHONPYCACHEPREFIX", "PYTHONDONTWRITEBYTECODE"),  # bytecode goes where the test run says
)


def server_env(env: Mapping[str, str] | None = None, extra_plugins: Sequence[str] = ()) -> dict[str, str]:
    """The environment for a spawned server: a few inherited variables, then ``env``."""
    merged = {k: os.environ[k] for k in INHERITED if k in os.environ}
    merged.update(env or {})
    if extra_plugins:
        existing = [p for p in merged.get("ZEN_EXTRA_PLUGINS", "").split(",") if p]
        merged["ZEN_EXTRA_PLUGINS"] = ",".join([*existing, *extra_plugins])
    return merged
