"""Spawn test servers in milliseconds: fork them from one Zen that has already imported LiteLLM.

Every ``zen serve`` a test starts imports LiteLLM (~7 s of CPU here); a suite that starts a few hundred
servers spends most of its time doing that. The *preloader* is one process per test run (shared by the
run's pytest-xdist workers) that imports everything ``zen serve`` does and then waits on a Unix socket.
:func:`command` returns the argv of a launcher (:mod:`zen_core.testing.launcher`) that has the preloader
fork ``python -m zen_core.cli ARGS`` on the launcher's own stdin, stdout and stderr, with its environment
and working directory. The server is the real one (same code, same pipes, same HTTP socket); only the
imports were done before the fork.

The pid a test holds is the launcher's; :func:`server_pid` gives the server's (each forked server writes
it into the preloader's directory, under its launcher's pid, before it runs), so a test can look at the
server's descriptors, sockets and memory in ``/proc`` and signal it. A ``zen serve --http --workers N``
forked this way forks its workers too: its :data:`zen_core.server.workers.WORKER_COMMAND` is a launcher,
which passes the listening socket and ready pipe on. What still differs from a fresh process, so tests
that depend on it ask for one (``@pytest.mark.zen_fresh_process``): the server is the preloader's child,
not its spawner's (``PR_SET_PDEATHSIG``, process groups and terminals act on the launcher), its
``/proc/<pid>/cmdline`` and ``environ`` are the preloader's, and its heap was preloaded (and
``gc.freeze()``-d). ``ZEN_TEST_PRELOAD=0`` turns the preloader off for a whole run.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import gc
import importlib
import json
import os
import runpy
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from zen_core.testing.environment import server_env

LAUNCHER = Path(__file__).with_name("launcher.py")
#: What ``zen serve`` imports before and while it serves (LiteLLM last: it is most of the cost).
PRELOADED = ("zen_core", "zen_core.cli", "zen_core.server.mcp", "zen_core.server.http", "mcp.client", "redis")
#: What a forked server would otherwise import on its first tool and LLM call (~0.7 s of CPU each): the
#: settings' dynaconf, the store, Zen's built-in middleware, the HTTP stack's parts uvicorn and httpx load
#: late, LiteLLM's lazily loaded modules and the tokenizer's encoding. Not prometheus_client, which picks
#: single- or multi-process metrics when imported (``PROMETHEUS_MULTIPROC_DIR``, set for pool workers).
#: A name a LiteLLM upgrade moved is skipped: the servers then import what they need themselves.
FIRST_CALL = (
    *("dynaconf", "sqlite3", "zen_core.store.sqlite", "zen_core.builtins.yaml_models", "zen_core.builtins.tools"),
    *("zen_core.builtins.auth", "zen_core.builtins.call_log", "zen_core.builtins.metrics", "zen_core.builtins.results"),
    *("anyio._backends._asyncio", "httpcore", "uvloop", "uvicorn.lifespan.on", "uvicorn.protocols.http.httptools_impl"),
    "uvicorn.protocols.websockets.auto",
    *("litellm.litellm_core_utils.default_encoding", "litellm.proxy._types", "litellm._service_logger"),
    *("litellm.litellm_core_utils.logging_callback_manager", "litellm.integrations.generic_api.generic_api_callback"),
    *("litellm.integrations.prometheus_services", "litellm.types.integrations.prometheus"),
    *("litellm.llms.openai_like.dynamic_config", "litellm.llms.openai.chat.gpt_audio_transformation"),
    *("litellm.llms.litellm_proxy.chat.transformation", "litellm.llms.ollama.chat.transformation"),
    *("litellm.llms.edenai.chat.transformation", "litellm.llms.fal_ai.chat.transformation"),
    *("litellm.llms.github_copilot.authenticator", "litellm.llms.github_copilot.github_host"),
    *("litellm.llms.github_copilot.per_user_auth", "litellm.proxy.openai_files_endpoints.common_utils"),
    "litellm.proxy.spend_tracking.savings",
)


class Preloader:
    """The preloader of this test run: one per pytest process, or one for all of a run's pytest-xdist
    workers (they share ``PYTEST_XDIST_TESTRUNUID``). Started on first use; it exits by itself once the
    process it serves (that pytest process, or xdist's controller) is gone."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.socket_path = ""

    def ensure_started(self) -> str:
        with self._lock:
            if not self.socket_path:
                run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
                owner = os.getppid() if run else os.getpid()
                directory = Path(tempfile.gettempdir()) / f"zen-preload-{run or os.getpid()}"
                directory.mkdir(mode=0o700, exist_ok=True)
                path = str(directory / "socket")
                with open(directory / "lock", "w") as lock:
                    fcntl.flock(lock, fcntl.LOCK_EX)  # one worker starts it; the others find it
                    if not os.path.exists(path):
                        process = subprocess.Popen(
                            [sys.executable, "-m", "zen_core.testing.preload", path, str(owner)],
                            env=server_env(),
                            stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            start_new_session=True,  # a Ctrl-C of a test run is for the tests, not for it
                        )
                        _wait_for_socket(path, process)
                self.socket_path = path
            return self.socket_path


_PRELOADER = Preloader()
#: Set for a test marked ``zen_fresh_process`` (by the pytest plugin): its servers start from scratch.
fresh_process_requested = False


def enabled() -> bool:
    return os.environ.get("ZEN_TEST_PRELOAD", "1").strip().lower() not in ("0", "false", "no", "off")


def command(*args: str, script: str | None = None) -> list[str]:
    """The argv of ``python -m zen_core.cli ARGS`` forked from the preloader (started on first use); of
    ``python SCRIPT ARGS`` with ``script`` (the ``zen`` console script: its usage lines say ``zen``)."""
    options = ["--script", script] if script else []
    return [sys.executable, "-I", "-S", str(LAUNCHER), *options, _PRELOADER.ensure_started(), *args]


def server_pid(pid: int) -> int:
    """The pid of the Zen server behind ``pid``: the forked server while ``pid`` is one of this run's
    launchers and its server runs, else ``pid`` itself (a fresh process is its own server)."""
    if _PRELOADER.socket_path:
        try:
            return int((_pids(_PRELOADER.socket_path) / str(pid)).read_text())
        except (OSError, ValueError):
            pass
    return pid


def _pids(socket_path: str) -> Path:
    """Where forked servers write their pids, a file per launcher pid (see :func:`server_pid`)."""
    return Path(socket_path).with_name("pids")


def _wait_for_socket(path: str, process: subprocess.Popen[bytes]) -> None:
    """Until the preloader listens (it binds at once, then preloads before it accepts)."""
    deadline = time.monotonic() + 30
    while not os.path.exists(path):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the Zen test preloader did not start")
        time.sleep(0.01)


# -- the preloader process -----------------------------------------------------------------------
def serve(path: str, owner: int) -> dict[str, Any]:
    """Preload, then fork a server per request until ``owner`` exits. Returns only in a forked child, with
    its request."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path + ".tmp")
    listener.listen(64)
    os.rename(path + ".tmp", path)  # launchers connect now and wait while we preload
    _pids(path).mkdir(exist_ok=True)
    for name in PRELOADED:
        importlib.import_module(name)
    for name in _core_modules():  # what a server imports once its plugins load (``import zen_core`` is lazy)
        importlib.import_module(name)
    from zen_core.llm.backend import import_litellm

    import_litellm()
    importlib.import_module("litellm.router")
    for name in FIRST_CALL:
        try:
            importlib.import_module(name)
        except ImportError:  # moved by a LiteLLM upgrade: the servers import what they need themselves
            pass
    gc.collect()
    gc.freeze()  # the preloaded heap is never collected again: the servers' collections stay short
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, None)
    selector.register(_pidfd(owner), selectors.EVENT_READ, "owner")
    while True:
        for key, _ in selector.select():
            if key.data == "owner":  # the test run is over
                _remove(Path(path))
                os._exit(0)
            if key.data is None:
                conn, _ = listener.accept()
                request, fds = _receive(conn)
                pid = os.fork()
                if pid == 0:  # the new server: nothing of the preloader's other servers stays open in it
                    for other in list(selector.get_map().values()):
                        if other.data is not None:
                            os.close(other.fd)
                        if isinstance(other.data, tuple):
                            other.data[1].close()
                    selector.close()
                    listener.close()
                    _become(request, fds, conn, path)
                    return request
                for fd in fds:
                    os.close(fd)
                conn.sendall(f"{pid}\n".encode())
                pidfd = os.pidfd_open(pid)
                selector.register(pidfd, selectors.EVENT_READ, (pid, conn))
            else:  # a server exited: tell its launcher how
                pid, conn = key.data
                selector.unregister(key.fd)
                os.close(key.fd)
                _, status = os.waitpid(pid, 0)
                _forget(path, _peer_pid(conn), pid)
                try:
                    conn.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
                except OSError:
                    pass  # the launcher is gone
                conn.close()


#: Not preloaded: prometheus_client decides at import whether metrics go to the files of a worker pool
#: (``PROMETHEUS_MULTIPROC_DIR``, set only in a pool's workers), and this module defines Zen's metrics.
NOT_PRELOADED = frozenset({"zen_core.builtins.instruments"})


def _core_modules() -> list[str]:
    """Every module of ``zen_core`` but the test helpers, ``__main__`` modules and :data:`NOT_PRELOADED`."""
    root = Path(__file__).resolve().parents[1]
    names = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if parts[-1] != "__main__" and parts[:2] != ("zen_core", "testing") and name not in NOT_PRELOADED:
            names.append(name)
    return names


def _pidfd(pid: int) -> int:
    try:
        return os.pidfd_open(pid)
    except ProcessLookupError:  # already gone: a descriptor that is readable at once
        read, write = os.pipe()
        os.close(write)
        return read


def _peer_pid(conn: socket.socket) -> int:
    """The pid of the launcher at the other end of ``conn``."""
    launcher = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
    return int.from_bytes(launcher[:4], sys.byteorder)


def _forget(path: str, launcher_pid: int, pid: int) -> None:
    """Remove the pid file of server ``pid`` (unless a later launcher with the same pid wrote its own)."""
    entry = _pids(path) / str(launcher_pid)
    with contextlib.suppress(OSError, ValueError):
        if int(entry.read_text()) == pid:
            entry.unlink()


def _remove(socket_path: Path) -> None:
    for leftover in (socket_path, socket_path.with_name("lock")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(_pids(str(socket_path)), ignore_errors=True)
    with contextlib.suppress(OSError):
        socket_path.parent.rmdir()


def _receive(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    data, fds, _, _ = socket.recv_fds(conn, 1 << 20, 64)
    while not data.endswith(b"\n"):
        more = conn.recv(1 << 20)
        if not more:
            break
        data += more
    return json.loads(data), list(fds)


def _become(request: dict[str, Any], fds: list[int], conn: socket.socket, path: str) -> None:
    """In the child: take the launcher's descriptors (at the numbers they had there), environment and
    directory; write this server's pid for :func:`server_pid`; die with the launcher."""
    launcher_pid = _peer_pid(conn)
    conn.close()
    targets = request.get("fds") or list(range(len(fds)))
    floor = max([*targets, *fds]) + 1  # first out of the way of every target number, then onto them
    moved = [fcntl.fcntl(fd, fcntl.F_DUPFD, floor) for fd in fds]
    for fd in fds:
        os.close(fd)
    for target, fd in zip(targets, moved, strict=True):
        os.dup2(fd, target)
        os.close(fd)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    os.umask(request["umask"])
    extra = [p for p in request["env"].get("PYTHONPATH", "").split(os.pathsep) if p and p not in sys.path]
    sys.path[:1] = [request["cwd"], *extra]  # as ``python -m`` started there would have it
    importlib.invalidate_caches()
    # the streams on the launcher's descriptors (line-buffered: output reaches the test as it is written)
    sys.stdin = open(0, encoding="utf-8", closefd=False)
    sys.stdout = open(1, "w", encoding="utf-8", buffering=1, closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", buffering=1, closefd=False)
    from zen_core.server import workers

    # a worker pool started here forks its workers too (read when the pool starts)
    workers.WORKER_COMMAND = (sys.executable, "-I", "-S", str(LAUNCHER), path, "serve", "--http")
    entry = _pids(path) / str(launcher_pid)
    partial = entry.with_name(f".{launcher_pid}.{os.getpid()}")
    partial.write_text(str(os.getpid()))
    os.replace(partial, entry)  # before the server runs: once it answers, server_pid() knows it
    threading.Thread(target=_die_with, args=(launcher_pid,), name="zen-preload-watch", daemon=True).start()


def _die_with(pid: int) -> None:
    """Kill this server when its launcher dies (``kill -9`` of the launcher reaches the server)."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        os.kill(os.getpid(), signal.SIGKILL)
        return
    with selectors.DefaultSelector() as waiting:
        waiting.register(pidfd, selectors.EVENT_READ)
        waiting.select()
    os.kill(os.getpid(), signal.SIGKILL)


def run_server(request: dict[str, Any]) -> None:
    """Run ``python -m zen_core.cli ARGS`` (``python SCRIPT ARGS``) in this forked child and exit as that
    process would, minus the interpreter's teardown of the preloaded heap (seconds of freeing what the OS
    frees at once)."""
    import threading as _threading
    import traceback

    script = request.get("script")
    sys.argv = [script or "zen", *request["argv"]]
    code: int = 0
    try:
        if script:
            sys.path[0] = os.path.dirname(os.path.abspath(script))  # as ``python SCRIPT`` has it
            runpy.run_path(script, run_name="__main__")
        else:
            runpy.run_module("zen_core.cli", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except KeyboardInterrupt:
        code = -signal.SIGINT
    except BaseException:
        traceback.print_exc()
        code = 1
    _threading._shutdown()  # type: ignore[attr-defined]  # what a normal exit does: join non-daemon threads
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    if code < 0:  # an uncaught KeyboardInterrupt: Python dies of SIGINT
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    os._exit(code & 0xFF)


if __name__ == "__main__":
    run_server(serve(sys.argv[1], int(sys.argv[2])))
