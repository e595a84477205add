"""Waiting in tests for a fact about another process (a server, a fake) that nothing can await."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def wait_until(predicate: Callable[[], object], what: str, within_s: float = 20.0) -> None:
    """Poll ``predicate`` until it is true; ``AssertionError`` naming ``what`` after ``within_s`` seconds."""
    deadline = time.monotonic() + within_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.05)
