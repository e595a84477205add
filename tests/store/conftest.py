"""Fixtures for the store tests: real SQLite files and real ``redis-server`` processes on loopback.

:class:`RedisProcess` complements :class:`zen_core.testing.redis_server.RedisServer` with what the
outage tests need: restarting on the same port, append-only persistence and ``requirepass``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from zen_core.store import ConversationSettings, Store
from zen_core.store.redis import RedisStore
from zen_core.store.sqlite import SQLiteStore
from zen_core.testing.redis_server import find_redis_server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisProcess:
    """A throw-away ``redis-server`` bound to 127.0.0.1 that can be stopped and restarted on its port."""

    def __init__(self, workdir: Path, *, persistent: bool = False, password: str | None = None) -> None:
        binary = find_redis_server()
        if binary is None:
            message = "redis-server is not installed (apt-get install redis-server); the Redis store tests need it"
            if os.environ.get("ZEN_TEST_ALLOW_NO_REDIS") == "1":
                pytest.skip(f"{message} (skip allowed by ZEN_TEST_ALLOW_NO_REDIS=1)")
            pytest.fail(message)
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.persistent = persistent
        self.password = password
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        args = [
            self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.workdir),
            "--save", "", "--daemonize", "no", "--loglevel", "warning",
            "--appendonly", "yes" if self.persistent else "no",
        ]
        if self.persistent:
            args += ["--appendfsync", "always"]
        if self.password:
            args += ["--requirepass", self.password]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                pytest.fail(f"redis-server exited with {self.proc.returncode}: {err}")
            if self._answers_ping():
                return
            time.sleep(0.02)
        self.stop()
        pytest.fail(f"redis-server did not answer on 127.0.0.1:{self.port} within 10 s")

    def _answers_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                reply = sock.recv(64)
        except OSError:
            return False
        # "-NOAUTH" also proves the server is up when a password is required.
        return reply.startswith((b"+PONG", b"-NOAUTH"))

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stderr is not None:
            self.proc.stderr.close()
        self.proc = None

    def __enter__(self) -> RedisProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture(scope="session")
def redis_proc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    """One redis-server for the session; tests isolate themselves with a unique key prefix."""
    with RedisProcess(tmp_path_factory.mktemp("redis")) as server:
        yield server


def conversation_config(ttl_seconds: float = 3600.0, max_turns: int = 50) -> ConversationSettings:
    return ConversationSettings(ttl_hours=ttl_seconds / 3600.0, max_turns=max_turns)


StoreFactory = Callable[..., Awaitable[Store]]


@pytest.fixture(
    params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)],
)
async def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """Build stores of the parametrized backend: ``await make_store(ttl_seconds=…, max_turns=…)``.

    Stores built by one test share their data (same SQLite file / same Redis key prefix), like
    several processes or instances of one deployment would.
    """
    backend: str = request.param
    prefix = f"test-{uuid.uuid4().hex[:12]}:"
    redis_url = request.getfixturevalue("redis_proc").url if backend == "redis" else ""
    stores: list[Store] = []

    async def factory(ttl_seconds: float = 3600.0, max_turns: int = 50) -> Store:
        config = conversation_config(ttl_seconds, max_turns)
        store: Store
        if backend == "redis":
            store = RedisStore(redis_url, config, prefix=prefix)
        else:
            store = SQLiteStore(tmp_path / "zen.db", config)
        stores.append(store)
        return store

    yield factory
    for store in stores:
        await store.aclose()
