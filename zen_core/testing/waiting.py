"""Waiting in tests for a fact about another process (a server, a fake) that nothing can await."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable


async def wait_until(predicate: Callable[[], object], what: str, within_s: float = 60.0) -> None:
    """Poll ``predicate`` (a function, or an async one) until it is true; ``AssertionError`` naming ``what``
    after ``within_s`` seconds (a bound for a test that fails, generous: a fresh server's first call loads
    LiteLLM, which takes many seconds on a loaded machine)."""
    deadline = time.monotonic() + within_s
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.05)
