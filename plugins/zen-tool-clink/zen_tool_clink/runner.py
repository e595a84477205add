"""Run one CLI: an asyncio subprocess in its own process group, with a time limit, bounded output
capture, heartbeats, and a clean-up that leaves no process of the group behind.

- argv only (no shell); ``start_new_session=True`` makes the CLI the leader of a new session and process
  group, so every process it starts (that does not leave the group itself) can be signalled at once.
- The time limit, the caller's cancellation and the CLI's own exit all end the same way: SIGTERM to the
  group, ``kill_grace_s`` for it to go, then SIGKILL to the group. A CLI that exits while its children
  still run has those children stopped too (they would otherwise hold the output pipes open).
- Standard output keeps its first bytes and a rolling tail, standard error a rolling tail, each within
  ``max_output_bytes``: what the child writes beyond that is read and dropped (counted), so memory stays
  bounded however much it writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import anyio

READ_CHUNK = 64 * 1024
#: Share of the stdout cap kept as a rolling tail (the end of the output holds the final JSON events).
TAIL_SHARE = 0.25
MAX_TAIL = 256 * 1024
POLL_S = 0.05
#: How long to wait for the pipes to close once the group is gone.
DRAIN_S = 5.0

Heartbeat = Callable[[float], Awaitable[None]]


class Capture:
    """The head and a rolling tail of a byte stream, within a fixed size; the rest is counted."""

    def __init__(self, head_cap: int, tail_cap: int) -> None:
        self.head_cap, self.tail_cap = head_cap, tail_cap
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self.dropped = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.head_cap - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if not chunk:
            return
        if self.tail_cap <= 0:
            self.dropped += len(chunk)
            return
        self.tail += chunk
        excess = len(self.tail) - self.tail_cap
        if excess > 0:
            self.dropped += excess
            del self.tail[:excess]

    def text(self, marker: str = "") -> str:
        head = self.head.decode("utf-8", errors="replace")
        if not self.tail:
            return head
        tail = self.tail.decode("utf-8", errors="replace")
        if not self.dropped:
            return head + tail
        return head + (marker.format(dropped=self.dropped) if marker else "") + tail


@dataclass
class RunSpec:
    argv: Sequence[str]
    cwd: str
    env: Mapping[str, str]
    stdin: bytes | None
    timeout_s: float
    max_output_bytes: int
    kill_grace_s: float = 2.0
    heartbeat_s: float = 5.0


@dataclass
class RunResult:
    exit_code: int | None
    stdout: Capture
    stderr: Capture
    timed_out: bool
    duration_s: float
    pid: int
    #: Processes of the group still alive after the clean-up (should be empty).
    leftovers: list[int] = field(default_factory=list)


async def run(spec: RunSpec, heartbeat: Heartbeat | None = None) -> RunResult:
    """Run ``spec.argv``; raises ``OSError`` (e.g. ``FileNotFoundError``) when it cannot start."""
    cap = spec.max_output_bytes
    tail = min(MAX_TAIL, int(cap * TAIL_SHARE))
    out, err = Capture(cap - tail, tail), Capture(0, cap)
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        *spec.argv,
        cwd=spec.cwd,
        env=dict(spec.env),
        stdin=asyncio.subprocess.PIPE if spec.stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    pgid = proc.pid  # a session leader's pid is its process group id
    tasks = [asyncio.ensure_future(_pump(proc.stdout, out)), asyncio.ensure_future(_pump(proc.stderr, err))]
    if spec.stdin is not None:
        tasks.append(asyncio.ensure_future(_feed(proc.stdin, spec.stdin)))
    timed_out = False
    leftovers: list[int] = []
    try:
        deadline = started + spec.timeout_s
        next_beat = started + spec.heartbeat_s
        # Poll the exit status rather than await proc.wait(): on Python < 3.12 that also waits for the
        # pipes to close, which a leftover child keeps open.
        while proc.returncode is None:
            now = time.monotonic()
            if now >= deadline:
                timed_out = True
                break
            if heartbeat is not None and now >= next_beat:
                next_beat = now + spec.heartbeat_s
                await heartbeat(now - started)
            await asyncio.sleep(POLL_S)
    finally:
        try:
            with anyio.CancelScope(shield=True):
                leftovers = await _stop_group(pgid, spec.kill_grace_s)
                await _drain(proc, tasks)
        finally:
            _signal(pgid, signal.SIGKILL)  # whatever happened above (a no-op when the group is gone)
    return RunResult(
        exit_code=proc.returncode,
        stdout=out,
        stderr=err,
        timed_out=timed_out,
        duration_s=time.monotonic() - started,
        pid=proc.pid,
        leftovers=leftovers,
    )


async def _pump(stream: asyncio.StreamReader | None, capture: Capture) -> None:
    if stream is None:
        return
    while True:
        chunk = await stream.read(READ_CHUNK)
        if not chunk:
            return
        capture.add(chunk)


async def _feed(stream: asyncio.StreamWriter | None, data: bytes) -> None:
    if stream is None:
        return
    try:
        stream.write(data)
        await stream.drain()
        stream.close()
    except (BrokenPipeError, ConnectionResetError):  # the CLI exited or closed stdin without reading it all
        pass


async def _drain(proc: asyncio.subprocess.Process, tasks: Sequence[asyncio.Future[None]]) -> None:
    """Let the readers reach EOF (every writer of the pipes is gone by now), then reap the leader."""
    done, pending = await asyncio.wait(tasks, timeout=DRAIN_S)
    for task in pending:  # a process that left the group still holds a pipe: stop reading it
        task.cancel()
    for task in done:
        with contextlib.suppress(Exception):
            task.result()
    with contextlib.suppress(asyncio.TimeoutError, ProcessLookupError):
        await asyncio.wait_for(proc.wait(), timeout=DRAIN_S)


async def _stop_group(pgid: int, grace: float) -> list[int]:
    """SIGTERM the group, give it ``grace`` seconds, SIGKILL what is left; return pids still alive after."""
    if not group_members(pgid):
        return []
    _signal(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while group_members(pgid) and time.monotonic() < deadline:  # noqa: ASYNC110 - nothing to wait on but /proc
        await asyncio.sleep(POLL_S)
    _signal(pgid, signal.SIGKILL)
    deadline = time.monotonic() + 5.0
    while (alive := group_members(pgid)) and time.monotonic() < deadline:  # noqa: ASYNC110 - as above
        await asyncio.sleep(POLL_S)
    return alive


def _signal(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of process group ``pgid``.

    On Linux this reads ``/proc``, so zombies (dead, waiting to be reaped by their new parent) do not
    count; elsewhere any process the group still has counts.
    """
    proc = Path("/proc")
    if sys.platform.startswith("linux") and proc.is_dir():
        members = []
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2 :].split()
            if len(fields) >= 3 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
                members.append(int(entry.name))
        return members
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return []
    return [pgid]
