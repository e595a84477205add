"""A throw-away ``redis-server`` on a free loopback port, for tests that need a real Redis.

::

    with RedisServer() as server:
        use(server.url)              # redis://127.0.0.1:<port>/0

or the pytest fixture ``redis_url`` (one server per test session; each test gets a flushed database).
A missing ``redis-server`` fails the test with a clear message; set ``ZEN_TEST_ALLOW_NO_REDIS=1`` to
skip such tests instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest

__all__ = ["RedisServer", "RedisUnavailable", "find_redis_server", "redis_server", "redis_url"]


class RedisUnavailable(RuntimeError):
    """``redis-server`` is not installed or did not start."""


def find_redis_server() -> str | None:
    """The path of ``redis-server`` (PATH, then /usr/bin and /usr/local/bin), or ``None``."""
    found = shutil.which("redis-server")
    if found:
        return found
    for candidate in ("/usr/bin/redis-server", "/usr/local/bin/redis-server"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith((b"+PONG", b"-NOAUTH"))  # NOAUTH: up, needs a password
    except OSError:
        return False


class RedisServer:
    """``redis-server`` bound to 127.0.0.1 on a free port; stops it on exit.

    ``stop()`` then ``start()`` restarts it on the same port (outage tests); ``persistent=True`` keeps
    data across restarts (append-only file); ``password`` sets ``requirepass``.
    """

    def __init__(
        self,
        *,
        binary: str | None = None,
        start_timeout_s: float = 10.0,
        persistent: bool = False,
        password: str | None = None,
    ) -> None:
        self.binary = binary or find_redis_server()
        self.start_timeout_s = start_timeout_s
        self.persistent = persistent
        self.password = password
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def _args(self, workdir: str) -> list[str]:
        args = [
            self.binary or "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
            "--dir",
            workdir,
            "--appendonly",
            "yes" if self.persistent else "no",
        ]
        if self.persistent:
            args += ["--appendfsync", "always"]
        if self.password:
            args += ["--requirepass", self.password]
        return args

    def start(self) -> RedisServer:
        """Start (or restart on the same port after ``stop()``)."""
        if self.binary is None:
            raise RedisUnavailable("redis-server not found on PATH (install it: apt-get install redis-server)")
        if self._dir is None:
            self._dir = tempfile.TemporaryDirectory(prefix="zen-redis-")
        fixed_port = self.port != 0
        for _ in range(1 if fixed_port else 3):  # a free port can be taken before bind: retry on a new one
            if not fixed_port:
                self.port = _free_port()
            self._proc = subprocess.Popen(self._args(self._dir.name), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            deadline = time.monotonic() + self.start_timeout_s
            while time.monotonic() < deadline and self._proc.poll() is None:
                if _ping(self.port):
                    return self
                time.sleep(0.02)
            self.stop()
        raise RedisUnavailable(f"redis-server ({self.binary}) did not start on 127.0.0.1:{self.port}")

    def stop(self) -> None:
        """Stop the server (the port is kept for a restart)."""
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            if self._proc.stderr is not None:
                self._proc.stderr.close()
            self._proc = None

    def flush(self) -> None:
        """Empty all databases."""
        auth = f"AUTH {self.password}\r\n".encode() if self.password else b""
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            sock.sendall(auth + b"FLUSHALL\r\n")
            sock.recv(64)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A session-wide redis-server; fails (or skips with ZEN_TEST_ALLOW_NO_REDIS=1) when unavailable."""
    try:
        server = RedisServer().start()
    except RedisUnavailable as exc:
        if os.environ.get("ZEN_TEST_ALLOW_NO_REDIS") == "1":
            pytest.skip(f"{exc} (allowed by ZEN_TEST_ALLOW_NO_REDIS=1)")
        pytest.fail(f"{exc}. Set ZEN_TEST_ALLOW_NO_REDIS=1 to skip Redis tests instead.")
    try:
        yield server
    finally:
        server.__exit__(None, None, None)


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """URL of a real, freshly flushed Redis database."""
    redis_server.flush()
    return redis_server.url
