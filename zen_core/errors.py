"""The two kinds of error Zen raises on purpose, at the bottom of the layers so every layer can raise them.

- :class:`ToolError`: a failure the agent should read — a message saying what went wrong and what to do,
  a stable ``code``, and structured ``details``. Tools, middleware and the services below them (LLM,
  store, files) raise it; the dispatcher turns it into an error result.
- :class:`ConfigError`: a configuration problem, worded for the operator (which file or variable, which
  key, what was expected). It stops start-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ToolError(Exception):
    """Raise from a tool (or middleware) to return an error result with a clear message for the agent."""

    def __init__(self, message: str, *, code: str = "tool_error", details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = dict(details or {})


class ConfigError(Exception):
    """A configuration problem, worded for the user: which file or variable, which key, what was expected."""

    def __init__(self, message: str, *, source: str | None = None, key: str | None = None) -> None:
        self.source = source
        self.key = key
        where = " ".join(part for part in (source and f"in {source}", key and f"at key '{key}'") if part)
        super().__init__(f"{where}: {message}" if where else message)
