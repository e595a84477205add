"""The uvicorn server under ``zen serve --http``, adjusted for a server whose calls take minutes.

- In-flight calls of every protocol era finish on SIGTERM/SIGINT (the drain). The MCP SDK streams
  answers to 2025-era clients through sse-starlette, which by default closes every open stream as soon
  as uvicorn sees the signal; that automatic drain is switched off, so uvicorn's own graceful
  shutdown (bounded by ``--drain``) lets each stream end with its answer.
- A drained stop exits with code 0: uvicorn re-raises the signal it caught once it has shut down
  (the process would then die of it, code -15); this server does not.
- ``on_started`` runs once the server accepts connections (the start-up line, a worker's ready byte).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from socket import socket
from typing import Any

import uvicorn

#: The signals that start a drain (uvicorn's own set on POSIX).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def keep_sse_streams_open_on_shutdown() -> None:
    """Let streamed answers finish during a drain instead of being cut when the signal arrives."""
    from sse_starlette.sse import AppStatus

    AppStatus.disable_automatic_graceful_drain()  # type: ignore[no-untyped-call]


class ZenUvicornServer(uvicorn.Server):
    """``uvicorn.Server`` that announces itself once accepting and exits cleanly after a drain."""

    def __init__(self, config: uvicorn.Config, *, on_started: Callable[[], None] | None = None) -> None:
        super().__init__(config)
        self.on_started = on_started

    async def startup(self, sockets: list[socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and not self.should_exit and self.on_started is not None:
            self.on_started()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """As uvicorn's, without re-raising the caught signal after the graceful shutdown."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous: dict[int, Any] = {sig: signal.signal(sig, self.handle_exit) for sig in STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
