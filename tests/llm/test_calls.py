"""complete(): resolution, overrides, fallbacks, retries, errors, cost — through real HTTP to the fake."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from zen_core.llm import LLMError, LLMService
from zen_core.testing.fake_llm import FakeLLM

USER = [{"role": "user", "content": "hello there"}]
OneModel = Callable[..., tuple[LLMService, str]]


async def test_alias_and_overrides_reach_the_provider(fake_llm: FakeLLM, make_llm: Callable[..., LLMService]) -> None:
    name = fake_llm.model()
    fixed = fake_llm.model()
    llm = make_llm(
        models={
            "m": fake_llm.entry(name, aliases=["Short"], max_tokens_override=77, temperature={"max": 1.0}),
            "fixed": fake_llm.entry(fixed, temperature={"mode": "fixed", "value": 1.0}),
        }
    )
    done = await llm.complete("SHORT", USER, temperature=1.5, max_tokens=5)
    assert (done.model, done.model_used) == ("SHORT", "m")
    body = fake_llm.last_request(name)
    assert body["model"] == name
    assert body["temperature"] == 1.0  # clamped to the range
    assert body["max_tokens"] == 77  # override wins
    assert body["messages"] == USER
    await llm.complete("fixed", USER, temperature=0.2)
    assert fake_llm.last_request(fixed)["temperature"] == 1.0


async def test_usage_cost_and_latency(one_model: OneModel) -> None:
    llm, _ = one_model(
        text="one two three",
        prompt_tokens=10,
        completion_tokens=4,
        latency_s=0.05,
        entry={"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6, "cost_multiplier": 2.0},
    )
    done = await llm.complete("m", USER)
    assert done.text == "one two three"
    assert (done.usage.prompt_tokens, done.usage.completion_tokens, done.usage.total_tokens) == (10, 4, 14)
    assert done.cost_known
    assert done.cost_usd == pytest.approx(2.0 * (10e-6 + 8e-6))
    assert done.latency_ms >= 50
    assert done.finish_reason == "stop"


async def test_unknown_price_is_marked(one_model: OneModel) -> None:
    llm, _ = one_model()
    done = await llm.complete("m", USER)
    assert (done.cost_usd, done.cost_known) == (0.0, False)
    assert "unknown price" in done.metadata()["cost_note"]


async def test_fallback_on_500(fake_llm: FakeLLM, make_llm: Callable[..., LLMService]) -> None:
    bad = fake_llm.model(status=500)
    good = fake_llm.model(text="from backup")
    llm = make_llm(
        models={"primary": fake_llm.entry(bad), "backup": fake_llm.entry(good)},
        fallbacks={"primary": ["backup"]},
        limits={"llm": {"num_retries": 0}},
    )
    done = await llm.complete("primary", USER)
    assert done.text == "from backup"
    assert (done.model, done.model_used, done.provider_model) == ("primary", "backup", f"openai/{good}")
    assert (fake_llm.calls(bad), fake_llm.calls(good)) == (1, 1)


async def test_retries_a_flaky_model(one_model: OneModel, fake_llm: FakeLLM) -> None:
    llm, name = one_model(fail_times=2, text="finally", limits={"llm": {"num_retries": 2}})
    started = time.perf_counter()
    done = await llm.complete("m", USER)
    assert done.text == "finally"
    assert fake_llm.calls(name) == 3
    assert time.perf_counter() - started < 2  # tiny configured backoff, not LiteLLM's 0.5·2^n s


async def test_retry_budget_exhausted_reports_cause(one_model: OneModel, fake_llm: FakeLLM) -> None:
    llm, name = one_model(fail_times=5, error_message="upstream exploded", limits={"llm": {"num_retries": 1}})
    with pytest.raises(LLMError) as info:
        await llm.complete("m", USER)
    assert fake_llm.calls(name) == 2
    err = info.value
    assert (err.model, err.provider, err.status_code) == ("m", "openai", 500)
    assert "upstream exploded" in err.provider_message
    assert err.__cause__ is not None


async def test_error_message_is_actionable(one_model: OneModel) -> None:
    llm, _ = one_model(
        status=401, error_message="Incorrect API key provided", entry={"api_key": "os.environ/ZEN_FAKE_KEY"}
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ZEN_FAKE_KEY", "bad")
        with pytest.raises(LLMError) as info:
            await llm.complete("m", USER)
    msg = str(info.value)
    assert msg.startswith("Model 'm' (openai) failed: HTTP 401 from provider: Incorrect API key provided.")
    assert "What to do: check the API key (ZEN_FAKE_KEY)" in msg
    assert info.value.code == "llm_error"
    assert type(info.value.__cause__).__name__ == "AuthenticationError"


async def test_failed_fallbacks_are_named(fake_llm: FakeLLM, make_llm: Callable[..., LLMService]) -> None:
    a, b = fake_llm.model(status=503), fake_llm.model(status=500)
    llm = make_llm(
        models={"a": fake_llm.entry(a), "b": fake_llm.entry(b)},
        fallbacks={"a": ["b"]},
        limits={"llm": {"num_retries": 0}},
    )
    with pytest.raises(LLMError) as info:
        await llm.complete("a", USER)
    assert "Tried fallbacks: b." in str(info.value)
    assert info.value.status_code == 503
    assert (fake_llm.calls(a), fake_llm.calls(b)) == (1, 1)


async def test_attempt_timeout_is_ours_not_an_http_408(one_model: OneModel) -> None:
    """llm.timeout_s ran out on the only attempt: a timeout, with no made-up HTTP status (see
    test_deadline.py for the total limit and the timeout_s argument)."""
    llm, _ = one_model(latency_s=2.0, limits={"llm": {"num_retries": 0, "timeout_s": 0.3}})
    await asyncio.to_thread(llm.warm_up)
    with pytest.raises(LLMError) as info:
        await llm.complete("m", USER)
    assert "timeout value=0.3" in str(info.value)  # llm.timeout_s bounded the attempt (the model takes 2 s)
    assert (info.value.status_code, info.value.code) == (None, "llm_timeout")
    assert "failed: no answer in time:" in str(info.value)
    assert "raise that timeout" in str(info.value) and "HTTP 408" not in str(info.value)


async def test_http_408_from_the_provider_is_labelled_so(one_model: OneModel) -> None:
    llm, _ = one_model(status=408, error_message="request timeout upstream", limits={"llm": {"num_retries": 0}})
    with pytest.raises(LLMError) as info:
        await llm.complete("m", USER)
    assert (info.value.status_code, info.value.code) == (408, "llm_timeout")
    assert "HTTP 408 from provider: request timeout upstream" in str(info.value)


async def test_unavailable_model_is_refused_before_calling(
    fake_llm: FakeLLM, make_llm: Callable[..., LLMService], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ZEN_NO_SUCH_KEY", raising=False)
    name = fake_llm.model()
    llm = make_llm(models={"m": fake_llm.entry(name, api_key="os.environ/ZEN_NO_SUCH_KEY")})
    with pytest.raises(LLMError, match="no API key: set ZEN_NO_SUCH_KEY") as info:
        await llm.complete("m", USER)
    assert info.value.code == "model_unavailable"
    assert fake_llm.calls(name) == 0


async def test_load_balances_over_deployments(fake_llm: FakeLLM, make_llm: Callable[..., LLMService]) -> None:
    one, two = fake_llm.model(), fake_llm.model()
    entry: dict[str, Any] = fake_llm.entry(one, deployments=[{"model": f"openai/{two}"}])
    llm = make_llm(models={"m": entry})
    for _ in range(20):
        await llm.complete("m", USER, cache=False)
    assert fake_llm.calls(one) + fake_llm.calls(two) == 20
    assert fake_llm.calls(one) > 0 and fake_llm.calls(two) > 0


async def test_context_window_and_tokens(one_model: OneModel) -> None:
    llm, _ = one_model(entry={"context_window": 32000, "max_output_tokens": 1000})
    assert llm.context_window("m") == 32000
    assert llm.max_output_tokens("m") == 1000
    assert 1 <= llm.count_tokens("m", "hello world") <= 4
    assert llm.count_tokens("m", USER) > llm.count_tokens("m", "hello there")


async def test_a_lone_deployment_is_never_cooled_down(one_model: OneModel, fake_llm: FakeLLM) -> None:
    """One deployment, no fallbacks (called without the Router): failures never lock the model out."""
    llm, name = one_model(
        fail_times=2, text="back", limits={"llm": {"num_retries": 0, "allowed_fails": 0, "cooldown_s": 600}}
    )
    for _ in range(2):
        with pytest.raises(LLMError) as info:
            await llm.complete("m", USER)
        assert info.value.status_code == 500
    assert (await llm.complete("m", USER)).text == "back"
    assert fake_llm.calls(name) == 3
