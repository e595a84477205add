"""stream(): deltas, usage at the end, fallbacks, and broken streams."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from zen_core.llm import LLMError, LLMService
from zen_core.testing.fake_llm import FakeLLM

USER = [{"role": "user", "content": "stream please"}]
OneModel = Callable[..., tuple[LLMService, str]]


async def test_stream_yields_chunks_then_usage(one_model: OneModel, fake_llm: FakeLLM) -> None:
    entry = {"input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6}
    llm, name = one_model(chunks=("Hel", "lo ", "world"), prompt_tokens=7, completion_tokens=3, entry=entry)
    stream = llm.stream("m", USER)
    deltas = [d async for d in stream]
    assert deltas == ["Hel", "lo ", "world"]
    done = stream.completion
    assert done is not None
    assert done.text == "Hello world"
    assert (done.usage.prompt_tokens, done.usage.completion_tokens) == (7, 3)
    assert done.cost_usd == pytest.approx(10e-6)
    assert done.finish_reason == "stop"
    assert fake_llm.last_request(name)["stream"] is True


async def test_stream_falls_back_before_first_chunk(fake_llm: FakeLLM, make_llm: Callable[..., LLMService]) -> None:
    bad, good = fake_llm.model(status=500), fake_llm.model(text="backup speaking")
    llm = make_llm(models={"p": fake_llm.entry(bad), "b": fake_llm.entry(good)}, fallbacks={"p": ["b"]})
    done = await llm.stream("p", USER).collect()
    assert done.text == "backup speaking"
    assert done.model_used == "b"


async def test_stream_error_is_mapped(one_model: OneModel) -> None:
    llm, _ = one_model(status=404, error_message="model does not exist", limits={"llm": {"num_retries": 0}})
    with pytest.raises(LLMError) as info:
        await llm.stream("m", USER).collect()
    assert info.value.status_code == 404
    assert "check the model id" in str(info.value)


async def test_stream_cut_halfway_is_an_error_after_its_deltas(one_model: OneModel) -> None:
    """The stream ends cleanly after two chunks, without a finish: the deltas come, then an LLMError."""
    llm, _ = one_model(text="one two three four", stream_cut_after=2, limits={"llm": {"num_retries": 0}})
    stream = llm.stream("m", USER)
    received: list[str] = []
    with pytest.raises(LLMError) as info:
        async for delta in stream:
            received.append(delta)
    assert "".join(received) == "one two "
    assert stream.completion is None
    assert "the provider closed the connection before the answer was complete; retry" in str(info.value)
    assert info.value.status_code is None
