"""The response-cache key covers everything that shapes the answer: two calls that differ in one
thing the provider sees must both reach it, and repeating one of them must be a cache hit (so each
test would notice a cache that is off as well as a key that drops something)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from zen_core.llm import LLMService
from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.llm_fixtures import ZenConfigDir

USER = [{"role": "user", "content": "same question"}]
OneModel = Callable[..., tuple[LLMService, str]]
TOOL = {"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}

#: (parameter, first value, second value): each is sent to the provider as given.
DIFFERENT = [
    ("temperature", 0.1, 0.9),
    ("max_tokens", 10, 20),
    ("reasoning_effort", "low", "high"),
    ("top_p", 0.5, 0.9),
    ("seed", 1, 2),
    ("stop", ["END"], ["STOP"]),
    ("presence_penalty", 0.0, 0.5),
    ("frequency_penalty", 0.0, 0.5),
    ("response_format", {"type": "text"}, {"type": "json_object"}),
    ("tools", [TOOL], [{**TOOL, "function": {**TOOL["function"], "name": "g"}}]),
    ("tool_choice", "auto", "none"),
    ("logprobs", False, True),
]


@pytest.mark.parametrize(("param", "first", "second"), DIFFERENT, ids=[d[0] for d in DIFFERENT])
async def test_calls_differing_in_one_parameter_both_reach_the_provider(
    one_model: OneModel, fake_llm: FakeLLM, param: str, first: Any, second: Any
) -> None:
    base: dict[str, Any] = {"tools": [TOOL]} if param == "tool_choice" else {}
    llm, name = one_model()
    await llm.complete("m", USER, **base, **{param: first})
    assert fake_llm.last_request(name)[param] == first
    other = await llm.complete("m", USER, **base, **{param: second})
    assert not other.cache_hit
    assert fake_llm.last_request(name)[param] == second
    assert fake_llm.calls(name) == 2
    assert (await llm.complete("m", USER, **base, **{param: first})).cache_hit
    assert fake_llm.calls(name) == 2


async def test_calls_differing_in_messages_both_reach_the_provider(one_model: OneModel, fake_llm: FakeLLM) -> None:
    llm, name = one_model()
    await llm.complete("m", USER)
    await llm.complete("m", [{"role": "user", "content": "another question"}])
    assert fake_llm.calls(name) == 2
    assert (await llm.complete("m", USER)).cache_hit


async def test_calls_to_different_models_both_reach_the_provider(
    fake_llm: FakeLLM, make_llm: Callable[..., LLMService]
) -> None:
    """Two Zen models on the same provider model: the same request to each is two answers."""
    name = fake_llm.model()
    llm = make_llm(models={"a": fake_llm.entry(name), "b": fake_llm.entry(name, aliases=["bee"])})
    await llm.complete("a", USER)
    assert not (await llm.complete("b", USER)).cache_hit
    assert fake_llm.calls(name) == 2
    assert (await llm.complete("BEE", USER)).cache_hit  # an alias is the same model
    assert fake_llm.calls(name) == 2


@pytest.mark.redis
@pytest.mark.parametrize("change", ["model", "extra_params", "api_base"])
async def test_same_name_for_another_model_does_not_share_the_cache(
    fake_llm: FakeLLM, tmp_path: Path, redis_url: str, change: str
) -> None:
    """Two Zen instances (or one before and after a config change) share Redis, and their model "m"
    differs in what is sent: the second does not get the first one's answer."""
    name, other_name = fake_llm.model(), fake_llm.model()
    with FakeLLM() as elsewhere:  # another server with the same model id
        if change == "model":
            after, calls_after = fake_llm.entry(other_name), lambda: fake_llm.calls(other_name)
        elif change == "extra_params":
            after, calls_after = fake_llm.entry(name, extra_params={"seed": 5}), lambda: fake_llm.calls(name) - 1
        else:
            after, calls_after = elsewhere.entry(name), lambda: elsewhere.calls(name)
        limits = {"cache": {"backend": "redis", "redis_url": redis_url}}
        services = [
            ZenConfigDir(tmp_path / str(i)).write(models={"m": entry}, limits=limits).service()
            for i, entry in enumerate([fake_llm.entry(name), after])
        ]
        try:
            assert not (await services[0].complete("m", USER)).cache_hit
            assert not (await services[1].complete("m", USER)).cache_hit
            assert (await services[1].complete("m", USER)).cache_hit  # its own answer is cached
        finally:
            for service in services:
                await service.aclose()
        assert calls_after() == 1
        if change == "extra_params":
            assert fake_llm.last_request(name)["seed"] == 5
