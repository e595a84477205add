"""Reliability rigs: a real ``zen serve`` (chat + consensus installed) whose models live on the fake LLM.

A :class:`Rig` is one server process plus its config; :func:`make_rig` writes ``models.yaml`` (each
Zen model → a fresh fake model name with a behaviour) and ``limits.yaml`` before the server starts.
Every await on the server is bounded with ``asyncio.timeout`` so a hang fails the test instead of
stalling the suite.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import HTTPServerProcess, http_client, server_env, stdio_client

PLUGINS = "zen-tool-chat,zen-tool-consensus"
#: Quick retries so fault tests stay fast; the values under test are what the config says.
LIMITS: dict[str, Any] = {
    "llm": {
        "timeout_s": 20,
        "num_retries": 1,
        "retry_initial_delay_s": 0.01,
        "retry_max_delay_s": 0.05,
        "retry_jitter_s": 0.0,
        "cooldown_s": 0,
        "allowed_fails": 1000,
    },
    "cache": {"enabled": False},
}


def closed_port() -> int:
    """A loopback port nothing listens on (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Rig:
    env: dict[str, str]
    fake: FakeLLM
    root: Path
    #: Zen model name → fake model name.
    models: dict[str, str] = field(default_factory=dict)
    server: HTTPServerProcess | None = None

    def start(self) -> Rig:
        self.server = HTTPServerProcess(self.env).start()
        return self

    def stop(self) -> int | None:
        return self.server.stop() if self.server is not None else None

    @property
    def pid(self) -> int:
        """The HTTP server's own pid (not its launcher's: see :mod:`zen_core.testing.preload`)."""
        assert self.server is not None and self.server.process is not None
        return self.server.pid

    @asynccontextmanager
    async def http(self, **kwargs: Any) -> AsyncIterator[Any]:
        assert self.server is not None
        async with http_client(self.server.url, **kwargs) as client:
            yield client

    @asynccontextmanager
    async def stdio(self, **kwargs: Any) -> AsyncIterator[Any]:
        async with stdio_client(self.env, **kwargs) as client:
            yield client

    def calls(self, model: str) -> int:
        return self.fake.calls(self.models[model])


def make_rig(
    tmp: Path,
    fake: FakeLLM,
    models: dict[str, dict[str, Any]],
    *,
    limits: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
) -> Rig:
    """Write the config for ``models`` (Zen name → Behavior fields, plus ``entry`` extras) and build a rig."""
    config, data, root = tmp / "config", tmp / "data", tmp / "project"
    for d in (config, data, root):
        d.mkdir(parents=True, exist_ok=True)
    rig = Rig(
        env=server_env(
            {
                "ZEN_CONFIG_DIR": str(config),
                "ZEN_DATA_DIR": str(data),
                "ZEN_LOG_LEVEL": "WARNING",
                "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                "LITELLM_OFFLINE_MODE": "true",
                "ZEN_LOAD_PLUGINS": PLUGINS,
                **(env or {}),
            }
        ),
        fake=fake,
        root=root,
    )
    entries: dict[str, Any] = {}
    for name, spec in models.items():
        spec = dict(spec)
        entry_extra = spec.pop("entry", {})
        rig.models[name] = fake.model(name, **spec)
        entries[name] = fake.entry(rig.models[name], **entry_extra)
    (config / "models.yaml").write_text(yaml.safe_dump({"models": entries, **(extra or {})}, sort_keys=False))
    merged = {**LIMITS, **(limits or {})}
    (config / "limits.yaml").write_text(yaml.safe_dump(merged))
    (config / "files.yaml").write_text(yaml.safe_dump({"files": {"allowed_roots": [str(root)]}}))
    return rig


@pytest.fixture
def rig_factory(tmp_path: Path, fake_llm: FakeLLM) -> Iterator[Any]:
    """``rig_factory(models, **kw)`` → a started rig, stopped at teardown."""
    made: list[Rig] = []

    def make(models: dict[str, dict[str, Any]], *, start: bool = True, **kwargs: Any) -> Rig:
        rig = make_rig(tmp_path / f"rig{len(made)}", fake_llm, models, **kwargs)
        made.append(rig)
        return rig.start() if start else rig

    yield make
    for rig in made:
        rig.stop()


def text_of(result: Any) -> str:
    return "\n".join(getattr(part, "text", "") for part in result.content)


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")
