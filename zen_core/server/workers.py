"""``zen serve --http --workers N``: one listening socket shared by N server processes, and their supervisor.

The supervisor binds the socket, starts ``N`` ``zen serve --http`` worker processes that inherit it,
and announces the URL once every worker is ready. A worker that dies is restarted (one that keeps
dying within seconds of starting stops the pool, with exit code 1). SIGTERM/SIGINT are passed on to
the workers, which drain their in-flight calls like a single server does.

Shared state lives where it already is for several instances: conversations, rate-limit windows and
budgets in the store (SQLite file or Redis). Prometheus metrics are kept in a per-pool directory
(``PROMETHEUS_MULTIPROC_DIR``) so ``/metrics`` on any worker reports the whole pool.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

#: A worker that exits sooner than this after starting counts as a crash loop, not a one-off.
FAST_EXIT_S = 10.0
#: Fast exits in a row (per worker slot) before the pool gives up.
MAX_FAST_EXITS = 3
METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: A worker: this plus ``--worker-fd FD --drain S`` (and ``--ready-fd FD`` at first start). Read when a pool
#: starts; a test server forked from the preloaded Zen sets a launcher here (``zen_core.testing.preload``).
WORKER_COMMAND: tuple[str, ...] = (sys.executable, "-m", "zen_core.cli", "serve", "--http")


@dataclass
class _Worker:
    index: int
    process: subprocess.Popen[bytes]
    started: float = field(default_factory=time.monotonic)
    fast_exits: int = 0


class WorkerPool:
    """Start, watch and stop the worker processes serving one inherited listening socket."""

    def __init__(
        self,
        sock: socket.socket,
        count: int,
        *,
        drain_s: float,
        startup_timeout_s: float = 120.0,
        command: Sequence[str] = WORKER_COMMAND,
    ) -> None:
        if count < 1:
            raise ValueError("workers must be at least 1")
        self.command = list(command)
        self.sock = sock
        self.count = count
        self.drain_s = drain_s
        self.startup_timeout_s = startup_timeout_s
        self.workers: list[_Worker] = []
        self._stopping = False
        self._owned_metrics_dir: Path | None = None
        self.metrics_dir = self._metrics_dir()

    # -- lifecycle -------------------------------------------------------------------------------
    def run(self, announce: str) -> int:
        """Serve until SIGTERM/SIGINT; prints ``announce`` to stderr once every worker is ready."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            if not self._start_all():
                self._stop_all()
                return 0 if self._stopping else 1  # a signal during start-up is an ordinary stop
            print(announce, file=sys.stderr, flush=True)
            code = self._watch()
            self._stop_all()
            return code
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if self._owned_metrics_dir is not None:
                shutil.rmtree(self._owned_metrics_dir, ignore_errors=True)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._stopping = True

    def _start_all(self) -> bool:
        """Start every worker and wait until each reports ready; ``False`` if one fails first."""
        ready_read, ready_write = os.pipe()
        try:
            self.workers = [_Worker(i, self._spawn(i, ready_write)) for i in range(self.count)]
            os.close(ready_write)
            ready_write = -1
            deadline = time.monotonic() + self.startup_timeout_s
            ready = 0
            while ready < self.count:
                if self._stopping:
                    return False
                dead = [w for w in self.workers if w.process.poll() is not None]
                if dead:
                    w = dead[0]
                    print(
                        f"Zen worker {w.index} exited during start-up (code {w.process.returncode}); stopping.",
                        file=sys.stderr,
                        flush=True,
                    )
                    return False
                if time.monotonic() > deadline:
                    print(
                        f"Zen workers not ready after {self.startup_timeout_s:.0f} s; stopping.",
                        file=sys.stderr,
                        flush=True,
                    )
                    return False
                readable, _, _ = select.select([ready_read], [], [], 0.1)
                if readable:
                    reported = os.read(ready_read, self.count)
                    ready += len(reported)
                    if not reported:  # every write end closed: the exit of the one that did not report is next
                        time.sleep(0.1)
            return True
        finally:
            os.close(ready_read)
            if ready_write >= 0:
                os.close(ready_write)

    def _spawn(self, index: int, ready_fd: int | None = None) -> subprocess.Popen[bytes]:
        fd = self.sock.fileno()
        cmd = [*self.command, "--worker-fd", str(fd), "--drain", str(self.drain_s)]
        fds = [fd]
        if ready_fd is not None:
            cmd += ["--ready-fd", str(ready_fd)]
            fds.append(ready_fd)
        env = {**os.environ, METRICS_DIR_ENV: str(self.metrics_dir)}
        return subprocess.Popen(cmd, pass_fds=fds, env=env, stdin=subprocess.DEVNULL)

    def _watch(self) -> int:
        """Restart workers that die until a signal arrives; 1 if one keeps dying right after start."""
        while not self._stopping:
            time.sleep(0.1)
            for worker in self.workers:
                code = worker.process.poll()
                if code is None or self._stopping:
                    continue
                self._forget_metrics(worker.process.pid)
                lived = time.monotonic() - worker.started
                worker.fast_exits = worker.fast_exits + 1 if lived < FAST_EXIT_S else 0
                if worker.fast_exits >= MAX_FAST_EXITS:
                    print(
                        f"Zen worker {worker.index} exited {worker.fast_exits} times within {FAST_EXIT_S:.0f} s "
                        f"of starting (last code {code}); stopping.",
                        file=sys.stderr,
                        flush=True,
                    )
                    return 1
                print(
                    f"Zen worker {worker.index} (pid {worker.process.pid}) exited with code {code}; restarting.",
                    file=sys.stderr,
                    flush=True,
                )
                worker.process = self._spawn(worker.index)
                worker.started = time.monotonic()
        return 0

    def _stop_all(self) -> None:
        """SIGTERM every worker, give them the drain time, then kill what is left."""
        for worker in self.workers:
            if worker.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    worker.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.drain_s + 5.0
        for worker in self.workers:
            try:
                worker.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()

    # -- metrics across processes ----------------------------------------------------------------
    def _metrics_dir(self) -> Path:
        """The pool's Prometheus directory: ``PROMETHEUS_MULTIPROC_DIR`` (emptied) or a fresh temporary one."""
        given = os.environ.get(METRICS_DIR_ENV)
        if given:
            path = Path(given)
            path.mkdir(parents=True, exist_ok=True)
            for stale in path.glob("*.db"):  # counts from an earlier run would be added to this one's
                stale.unlink()
            return path
        self._owned_metrics_dir = Path(tempfile.mkdtemp(prefix="zen-metrics-"))
        return self._owned_metrics_dir

    def _forget_metrics(self, pid: int) -> None:
        """Drop a dead worker's live gauges (in-flight calls); its counters keep counting in the total."""
        with contextlib.suppress(Exception):
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(pid, str(self.metrics_dir))  # type: ignore[no-untyped-call]


def die_with_parent() -> None:
    """In a worker: get SIGTERM (and so drain) if the supervisor dies without stopping the pool (Linux)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() != parent:  # the supervisor was already gone before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)
