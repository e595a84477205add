"""Fixtures for the LLM service tests: the fake LLM server, temp config dirs, services closed after use."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from zen_core.llm import LLMService
from zen_core.testing.llm_fixtures import *  # noqa: F403 - fake_llm, zen_config_dir, redis_url
from zen_core.testing.llm_fixtures import FakeLLM, ZenConfigDir

USER = [{"role": "user", "content": "hello there"}]


@pytest.fixture
async def make_llm(zen_config_dir: ZenConfigDir) -> AsyncIterator[Callable[..., LLMService]]:
    """``make_llm(models=..., limits=..., **top)`` → a service on that config, closed at teardown."""
    made: list[LLMService] = []

    def make(*, counters: Any = None, **config: Any) -> LLMService:
        service = zen_config_dir.write(**config).service(counters=counters)
        made.append(service)
        return service

    yield make
    for service in made:
        await service.aclose()


@pytest.fixture
def one_model(fake_llm: FakeLLM, make_llm: Callable[..., LLMService]) -> Callable[..., tuple[LLMService, str]]:
    """``one_model(limits=None, entry=None, **behaviour)`` → (service with model "m", fake model name)."""

    def make(*, limits: dict[str, Any] | None = None, entry: dict[str, Any] | None = None, **behaviour: Any):
        name = fake_llm.model(**behaviour)
        return make_llm(models={"m": fake_llm.entry(name, **(entry or {}))}, limits=limits), name

    return make
