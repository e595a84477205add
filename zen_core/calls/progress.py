"""A call's progress notifications: the tool's own, and a heartbeat while the tool is quiet.

Agents abort tools that look hung (Claude Code resets its idle watchdog on every progress notification;
Codex stops at 300 s). So while a call runs, a notification goes out at least every
``server.progress_interval_s`` (10 s by default) — the last stage the tool reported, the models still
answering, and the time so far — even while a model is silent for minutes (reasoning models are). The
progress value only ever grows, as MCP requires.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable

log = logging.getLogger("zen.progress")
ProgressCallback = Callable[[float, "float | None", "str | None"], Awaitable[None]]
#: A tool's message longer than this (or on several lines: streamed answer text) is not a stage name.
STAGE_CHARS = 80


class CallProgress:
    """One call's progress: forwards the tool's notifications, and beats while the tool is quiet."""

    def __init__(self, send: ProgressCallback | None, tool: str, interval_s: float = 10.0) -> None:
        self._send = send
        self.tool = tool
        self.interval_s = interval_s
        self.started = time.monotonic()
        self._last_sent = self.started
        self._progress = 0.0
        self._total: float | None = None
        self._stage = ""
        self._sent = False
        #: Models answering right now (names as requested; one entry per call in flight).
        self.in_flight: Counter[str] = Counter()

    @property
    def enabled(self) -> bool:
        """Whether the client asked for progress."""
        return self._send is not None

    def redirect(self, send: ProgressCallback) -> None:
        """Send from now on to ``send`` (a call that became a background job: its record in the store)."""
        self._send = send

    async def report(self, progress: float, total: float | None = None, message: str | None = None) -> None:
        """Send the tool's notification (its ``progress`` is raised, if needed, above the last one sent)."""
        if message and len(message) <= STAGE_CHARS and "\n" not in message:
            self._stage = message
        if total is not None:
            self._total = total
        value = progress if not self._sent or progress > self._progress else self._progress + 1e-3
        await self._emit(value, total, message)

    def heartbeat_message(self) -> str:
        """``consensus · initial answers 1/3 · waiting on gpt-5, o3 · 40s``."""
        parts = [self.tool]
        if self._stage:
            parts.append(self._stage)
        if self.in_flight:
            parts.append("waiting on " + ", ".join(sorted(self.in_flight)))
        parts.append(f"{time.monotonic() - self.started:.0f}s")
        return " · ".join(parts)

    @contextlib.asynccontextmanager
    async def beating(self) -> AsyncIterator[None]:
        """Send a heartbeat whenever nothing was sent for ``interval_s``, until the block ends."""
        if self._send is None or self.interval_s <= 0:
            yield
            return
        task = asyncio.create_task(self._beat())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(max(self._last_sent + self.interval_s - time.monotonic(), 0.05))
            if time.monotonic() - self._last_sent >= self.interval_s:
                await self._emit(self._progress + 1e-3, self._total, self.heartbeat_message())

    async def _emit(self, progress: float, total: float | None, message: str | None) -> None:
        if self._send is None:
            return
        self._progress, self._sent = progress, True
        self._last_sent = time.monotonic()
        try:
            await self._send(progress, total, message)
        except Exception:  # a client that went away must not fail the tool
            log.debug("progress notification failed", exc_info=True)
