"""pytest fixtures for testing against a fake LLM endpoint (re-exported by Zen's pytest plugin).

- ``fake_llm``: a started :class:`~zen_core.testing.fake_llm.FakeLLM`. One server serves the whole
  session, so give each test its own model names: ``name = fake_llm.model(latency_s=0.2)``.
- ``zen_config_dir``: a :class:`ZenConfigDir` — write ``models.yaml`` / ``limits.yaml`` into a temp
  dir (models pointing at the fake) and build ``Settings``, a ``ModelRegistry`` or an ``LLMService``
  from it. Only these files are read (not the packaged defaults), with fast retry/backoff defaults.
- ``redis_server`` / ``redis_url``: a real redis-server (see :mod:`zen_core.testing.redis_server`).

::

    async def test_answer(fake_llm, zen_config_dir):
        name = fake_llm.model(text="hello")
        llm = zen_config_dir.write(models={"m": fake_llm.entry(name)}).service()
        assert (await llm.complete("m", [{"role": "user", "content": "hi"}])).text == "hello"
        await llm.aclose()
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from zen_core.llm.limits import MemoryCounters
from zen_core.settings import Settings, deep_merge
from zen_core.store.base import Counters
from zen_core.testing.fake_llm import Behavior, FakeLLM
from zen_core.testing.redis_server import RedisServer, redis_server, redis_url

if TYPE_CHECKING:
    from zen_core.llm import LLMService
    from zen_core.llm.models import ModelRegistry, ModelSource

__all__ = [
    "TEST_LIMITS",
    "Behavior",
    "FakeLLM",
    "MemoryCounters",
    "RedisServer",
    "ZenConfigDir",
    "fake_llm",
    "fake_llm_server",
    "redis_server",
    "redis_url",
    "zen_config_dir",
]

#: limits.yaml defaults for tests: one quick retry, tiny backoff, short waits, local cache.
TEST_LIMITS: dict[str, Any] = {
    "llm": {
        "timeout_s": 10,
        "num_retries": 1,
        "retry_initial_delay_s": 0.01,
        "retry_max_delay_s": 0.05,
        "retry_jitter_s": 0.0,
        "cooldown_s": 0,
    },
    "rate_limits": {"max_wait_s": 2},
    "cache": {"enabled": True, "backend": "local"},
}


class ZenConfigDir:
    """A temporary Zen config dir holding only the files written through it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(
        self,
        *,
        models: dict[str, dict[str, Any]] | None = None,
        limits: dict[str, Any] | None = None,
        **models_top: Any,
    ) -> ZenConfigDir:
        """Write ``models.yaml`` (``models`` plus top-level keys such as ``fallbacks``, ``allowed_models``)
        and ``limits.yaml`` (:data:`TEST_LIMITS` deep-merged with ``limits``). Returns self."""
        self.path.mkdir(parents=True, exist_ok=True)
        body = {"models": models or {}, **models_top}
        (self.path / "models.yaml").write_text(yaml.safe_dump(body, sort_keys=False))
        merged = deep_merge(TEST_LIMITS, limits or {})
        (self.path / "limits.yaml").write_text(yaml.safe_dump(merged, sort_keys=False))
        return self

    def settings(self) -> Settings:
        """Settings from this dir alone (the packaged defaults are not read)."""
        return Settings(config_dir=self.path, defaults_dir=self.path)

    def registry(self, sources: list[ModelSource] | None = None) -> ModelRegistry:
        """The models of ``models.yaml`` here, then those of ``sources`` (the YAML source wins, as in Zen)."""
        from zen_core.builtins.yaml_models import YamlModelSource
        from zen_core.llm.models import ModelRegistry

        return ModelRegistry.from_sources([YamlModelSource(), *(sources or [])], self.settings())

    def service(self, *, counters: Counters | None = None, sources: list[ModelSource] | None = None) -> LLMService:
        """An LLMService on this config (in-memory counters unless given). Call ``await aclose()`` after."""
        from zen_core.llm import LLMService

        shared: Counters = counters if counters is not None else MemoryCounters()
        factory: Callable[[], Counters] = lambda: shared  # noqa: E731
        return LLMService(self.settings(), self.registry(sources), counters_factory=factory)


@pytest.fixture(scope="session")
def fake_llm_server() -> Iterator[FakeLLM]:
    """The session's fake LLM server (prefer ``fake_llm``)."""
    with FakeLLM() as server:
        yield server


@pytest.fixture
def fake_llm(fake_llm_server: FakeLLM) -> FakeLLM:
    """A started fake OpenAI-compatible server, shared by the session: use ``fake_llm.model()`` names."""
    return fake_llm_server


@pytest.fixture
def zen_config_dir(tmp_path: Path) -> ZenConfigDir:
    """A :class:`ZenConfigDir` in a fresh temp dir."""
    return ZenConfigDir(tmp_path / "zen-config")
