"""The client's stdin and stdout for the MCP SDK's ``stdio_server``, each served by a daemon thread.

The SDK reads and writes through AnyIO worker threads: a stopping server waits for the blocked read
(Ctrl-C did nothing until the next line arrived), and every message written costs two round trips to
a worker thread (``write`` and ``flush``). Here one thread per direction moves the bytes and the event
loop never waits on it: a line read is handed over with ``call_soon_threadsafe``; a message to write
is queued and ``write`` returns at once. Both directions stay bounded (backpressure).

The descriptors are private duplicates (:func:`claimed_stdio`): fd 0 reads the null device and fd 1
goes to stderr while serving, so a tool's child process or a stray ``print`` never touches the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import threading
from collections.abc import Iterator

import anyio

#: Lines read but not yet taken by the server before the reader thread waits.
MAX_PENDING_LINES = 16
#: Messages queued for the client before ``write`` waits (off the event loop) for the writer thread.
MAX_PENDING_WRITES = 256


class StdinLines:
    """The lines on file descriptor ``fd``, read by a daemon thread (``async for line in ...``)."""

    def __init__(self, fd: int, *, max_pending: int = MAX_PENDING_LINES) -> None:
        self._fd = fd
        self._loop = asyncio.get_running_loop()
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()  # bounded by _room
        self._room = threading.Semaphore(max_pending)
        threading.Thread(target=self._read, name="zen-stdin", daemon=True).start()

    def _read(self) -> None:
        try:
            with open(self._fd, "rb", closefd=False) as stream:  # closefd=False: see claimed_stdio()
                for raw in stream:
                    if not self._put(raw.decode("utf-8", errors="replace")):
                        return
        except (OSError, ValueError):
            pass
        self._put(None)

    def _put(self, line: str | None) -> bool:
        """Hand ``line`` to the event loop (waiting while ``max_pending`` lines are untaken); ``False``
        once the loop is gone."""
        self._room.acquire()
        try:
            self._loop.call_soon_threadsafe(self._lines.put_nowait, line)
        except RuntimeError:  # the event loop is closed: the server stopped
            return False
        return True

    def __aiter__(self) -> StdinLines:
        return self

    async def __anext__(self) -> str:
        line = await self._lines.get()
        self._room.release()
        if line is None:
            raise StopAsyncIteration
        return line


class StdoutLines:
    """Messages to file descriptor ``fd``, written by a daemon thread in the order given.

    ``write`` queues and returns (it waits, in a worker thread, only while ``max_pending`` messages are
    unwritten: a client that stops reading); ``flush`` has nothing to do. A failed write (the client
    closed the pipe) is raised by the next ``write``, as the SDK's own writer would raise it.
    """

    def __init__(self, fd: int, *, max_pending: int = MAX_PENDING_WRITES) -> None:
        self._fd = fd
        self._pending: queue.Queue[bytes | None] = queue.Queue(maxsize=max_pending)
        self._failed: OSError | None = None
        self._finished = threading.Event()
        threading.Thread(target=self._write_all, name="zen-stdout", daemon=True).start()

    async def write(self, text: str) -> None:
        if self._failed is not None:
            raise self._failed
        data = text.encode("utf-8")
        try:
            self._pending.put_nowait(data)
        except queue.Full:
            await anyio.to_thread.run_sync(self._pending.put, data)

    async def flush(self) -> None:
        """Nothing to do: the writer thread writes each message whole as soon as the pipe takes it."""

    async def aclose(self, timeout_s: float = 5.0) -> None:
        """Let the thread write what is queued (up to ``timeout_s``), then end it."""
        if self._finished.is_set():
            return

        def finish() -> None:
            with contextlib.suppress(queue.Full):
                self._pending.put(None, timeout=timeout_s)
                self._finished.wait(timeout_s)

        await anyio.to_thread.run_sync(finish)

    def _write_all(self) -> None:
        try:
            while (data := self._pending.get()) is not None:
                view = memoryview(data)
                while view:
                    view = view[os.write(self._fd, view) :]
        except OSError as exc:
            self._failed = exc
        finally:
            self._finished.set()


@contextlib.contextmanager
def claimed_stdio() -> Iterator[tuple[int, int]]:
    """Private duplicates of fd 0 and fd 1 for the client's messages, while fd 0 reads the null device
    and fd 1 writes to stderr (as the SDK arranges for the streams it opens itself).

    The duplicates are never closed: the threads may still block on them when the server stops.
    """
    with _diverted(0, os.open(os.devnull, os.O_RDONLY)) as stdin, _diverted(1, _stderr_or_null()) as stdout:
        yield stdin, stdout


def _stderr_or_null() -> int:
    try:
        return os.dup(2)
    except OSError:  # no stderr: stray output is dropped
        return os.open(os.devnull, os.O_WRONLY)


@contextlib.contextmanager
def _diverted(fd: int, replacement: int) -> Iterator[int]:
    """A private duplicate of ``fd``, while ``fd`` itself points where ``replacement`` does."""
    private = os.dup(fd)
    try:
        os.dup2(replacement, fd)
    finally:
        os.close(replacement)
    try:
        yield private
    finally:
        os.dup2(private, fd)
