"""Broken HTTP 200 answers and dropped connections: an error on complete() and stream() alike, with the
real status and the right advice — never an empty success."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest

from zen_core.llm import Completion, LLMError, LLMService
from zen_core.testing.fake_llm import FakeLLM

USER = [{"role": "user", "content": "hello there"}]
OneModel = Callable[..., tuple[LLMService, str]]
MALFORMED = "the provider returned a malformed response"
API_BASE_ADVICE = "check api_base points at an OpenAI-compatible /v1 endpoint"
CLOSED = "the provider closed the connection before the answer was complete; retry"


async def _call(llm: LLMService, mode: str) -> Completion:
    if mode == "complete":
        return await llm.complete("m", USER, cache=False)
    return await llm.stream("m", USER).collect()


def _assert_no_fake_status(err: LLMError) -> None:
    assert err.status_code is None
    assert "HTTP 500" not in str(err) and "InternalServerError" not in str(err)


@pytest.mark.parametrize("mode", ["complete", "stream"])
async def test_html_page_with_status_200_is_an_error(one_model: OneModel, fake_llm: FakeLLM, mode: str) -> None:
    llm, name = one_model(html_body=True, limits={"llm": {"num_retries": 1}})
    with pytest.raises(LLMError) as info:
        await _call(llm, mode)
    message = str(info.value)
    assert f"{MALFORMED} (an HTML page) with HTTP 2xx" in message
    assert API_BASE_ADVICE in message
    _assert_no_fake_status(info.value)
    assert fake_llm.calls(name) == 1  # a wrong api_base does not fix itself: not retried


@pytest.mark.parametrize(
    ("mode", "behaviour", "what"),
    [
        ("complete", {"malformed": True}, "invalid JSON"),
        ("stream", {"stream_malformed": True}, "invalid JSON"),
        ("stream", {"malformed": True}, "a JSON body, not an event stream"),
    ],
)
async def test_invalid_json_with_status_200_is_an_error(
    one_model: OneModel, mode: str, behaviour: dict[str, Any], what: str
) -> None:
    llm, _ = one_model(limits={"llm": {"num_retries": 0}}, **behaviour)
    with pytest.raises(LLMError) as info:
        await _call(llm, mode)
    assert f"{MALFORMED} ({what}) with HTTP 2xx" in str(info.value)
    assert API_BASE_ADVICE in str(info.value)
    _assert_no_fake_status(info.value)


async def test_body_cut_off_midway_is_a_closed_connection(one_model: OneModel, fake_llm: FakeLLM) -> None:
    llm, name = one_model(truncate_body=True, limits={"llm": {"num_retries": 1}})
    with pytest.raises(LLMError) as info:
        await llm.complete("m", USER)
    assert CLOSED in str(info.value)
    assert "cannot reach the provider" not in str(info.value)
    _assert_no_fake_status(info.value)
    assert fake_llm.calls(name) == 2  # transient: retried


async def test_stream_dropped_mid_event_is_an_error_after_its_deltas(one_model: OneModel) -> None:
    """The connection drops halfway through the third event (the clean cut: test_stream.py)."""
    llm, _ = one_model(text="one two three four", stream_cut_mid_json=2, limits={"llm": {"num_retries": 0}})
    stream = llm.stream("m", USER)
    received: list[str] = []
    with pytest.raises(LLMError) as info:
        async for delta in stream:
            received.append(delta)
    assert "".join(received) == "one two "
    assert stream.completion is None  # nothing that looks like a finished answer
    assert CLOSED in str(info.value)
    assert "cannot reach the provider" not in str(info.value)
    _assert_no_fake_status(info.value)


@pytest.mark.parametrize("mode", ["complete", "stream"])
async def test_nothing_listening_is_unreachable(make_llm: Callable[..., LLMService], mode: str) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: connection refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    entry = {"model": "openai/nobody", "api_base": f"http://127.0.0.1:{port}/v1", "api_key": "k"}
    llm = make_llm(models={"m": entry}, limits={"llm": {"num_retries": 0}})
    with pytest.raises(LLMError) as info:
        await _call(llm, mode)
    assert "cannot reach the provider; check api_base" in str(info.value)
    _assert_no_fake_status(info.value)


@pytest.mark.parametrize("mode", ["complete", "stream"])
async def test_an_empty_answer_that_finished_is_a_success(one_model: OneModel, mode: str) -> None:
    """The other side of the checks above: a well-formed empty answer is not an error."""
    llm, _ = one_model(text="")
    done = await _call(llm, mode)
    assert (done.text, done.finish_reason) == ("", "stop")
