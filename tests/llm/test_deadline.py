"""One call's total time limit (``llm.total_timeout_s``, or a smaller ``timeout_s`` argument) across
all its attempts, retries and fallbacks, against a provider that never answers.

The time bounds below are safety nets, far above the limit; the calls the fake saw are the point.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from zen_core.llm import LLMError, LLMService
from zen_core.testing.fake_llm import FakeLLM

USER = [{"role": "user", "content": "are you there?"}]
OneModel = Callable[..., tuple[LLMService, str]]
#: Retries that, without a total limit, would keep a hung call going for 6 × the attempt timeout.
RETRYING = {"num_retries": 5, "timeout_s": 10}


async def _fails_in(llm: LLMService, call: Callable[[], object], at_least: float, at_most: float) -> LLMError:
    await asyncio.to_thread(llm.warm_up)  # loading LiteLLM (seconds, the first time) is not the call's time
    started = time.monotonic()
    with pytest.raises(LLMError) as info:
        await call()  # type: ignore[misc]
    elapsed = time.monotonic() - started
    # at_most is far below what the call would take without its limit (retries: a minute), yet leaves a
    # loaded CI machine room: the limit, not the clock, is what is checked
    assert at_least <= elapsed < at_most, f"failed after {elapsed:.2f} s"
    return info.value


async def _no_more_calls(fake: FakeLLM, *names: str) -> None:
    """The calls the fake saw stay as they are: nothing was retried after the limit."""
    seen = [fake.calls(n) for n in names]
    await asyncio.sleep(1.5)
    assert [fake.calls(n) for n in names] == seen


@pytest.mark.parametrize("mode", ["complete", "stream"])
async def test_timeout_s_bounds_the_whole_call(one_model: OneModel, fake_llm: FakeLLM, mode: str) -> None:
    llm, name = one_model(hang=True, limits={"llm": RETRYING})
    if mode == "complete":
        err = await _fails_in(llm, lambda: llm.complete("m", USER, timeout_s=1), 0.9, 10)
    else:
        err = await _fails_in(llm, lambda: llm.stream("m", USER, timeout_s=1).collect(), 0.9, 10)
    assert "No answer within 1 s (the timeout_s argument)" in str(err)
    assert "pass a larger timeout_s" in str(err)
    assert (err.code, err.status_code) == ("llm_timeout", None)
    assert fake_llm.calls(name) == 1  # the one attempt had all the time there was
    await _no_more_calls(fake_llm, name)


async def test_each_attempt_gets_the_smaller_of_llm_timeout_and_what_is_left(
    one_model: OneModel, fake_llm: FakeLLM
) -> None:
    llm, name = one_model(hang=True, limits={"llm": {"num_retries": 10, "timeout_s": 0.4}})
    err = await _fails_in(llm, lambda: llm.complete("m", USER, timeout_s=1), 0.9, 10)
    assert "No answer within 1 s (the timeout_s argument)" in str(err)
    assert 2 <= fake_llm.calls(name) <= 3  # attempts of 0.4 s, 0.4 s, then the rest
    await _no_more_calls(fake_llm, name)


async def test_llm_total_timeout_s_bounds_a_call_and_caps_timeout_s(one_model: OneModel, fake_llm: FakeLLM) -> None:
    llm, name = one_model(hang=True, limits={"llm": {**RETRYING, "total_timeout_s": 1}})
    err = await _fails_in(llm, lambda: llm.complete("m", USER), 0.9, 10)
    assert "No answer within 1 s (llm.total_timeout_s)" in str(err)
    assert "raise llm.total_timeout_s in limits.yaml" in str(err)
    err = await _fails_in(llm, lambda: llm.complete("m", USER, timeout_s=30, cache=False), 0.9, 10)
    assert "(llm.total_timeout_s)" in str(err)  # an argument cannot lift the setting
    assert fake_llm.calls(name) == 2
    await _no_more_calls(fake_llm, name)


async def test_the_limit_covers_fallbacks(fake_llm: FakeLLM, make_llm: Callable[..., LLMService]) -> None:
    first, second = fake_llm.model(hang=True), fake_llm.model(hang=True)
    llm = make_llm(
        models={"p": fake_llm.entry(first), "b": fake_llm.entry(second)},
        fallbacks={"p": ["b"]},
        limits={"llm": {**RETRYING, "timeout_s": 0.6}},
    )
    err = await _fails_in(llm, lambda: llm.complete("p", USER, timeout_s=1), 0.9, 10)
    assert "No answer within 1 s" in str(err)
    assert (fake_llm.calls(first), fake_llm.calls(second)) == (1, 1)  # the backup got what was left
    await _no_more_calls(fake_llm, first, second)


async def test_a_stream_slower_than_the_limit_is_cut_off(one_model: OneModel) -> None:
    llm, _ = one_model(chunks=tuple(f"w{i} " for i in range(20)), chunk_delay_s=0.2, limits={"llm": RETRYING})
    await asyncio.to_thread(llm.warm_up)
    stream = llm.stream("m", USER, timeout_s=1)
    received: list[str] = []
    with pytest.raises(LLMError, match=r"No answer within 1 s \(the timeout_s argument\)"):
        async for delta in stream:
            received.append(delta)
    assert 1 <= len(received) < 20  # cut off midway
    assert stream.completion is None


async def test_a_call_within_the_limit_is_unaffected(one_model: OneModel) -> None:
    llm, _ = one_model(latency_s=0.3, text="in time", limits={"llm": {"total_timeout_s": 5}})
    assert (await llm.complete("m", USER, timeout_s=2)).text == "in time"
    assert (await llm.stream("m", USER, timeout_s=2).collect()).text == "in time"
