"""Provider faults through a real server: 500s, 429 + Retry-After, timeouts, refused connections,
malformed JSON, a stream cut halfway. Each gives the configured retries/fallback or a clear error
naming the cause, and the server keeps serving (every test ends with a healthy call).

Config under test (``conftest.LIMITS``): ``llm.num_retries: 1`` — one retry per model, then fallbacks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from zen_core.testing.fake_llm import FakeLLM

from .conftest import Rig, closed_port, make_rig, text_of

pytestmark = pytest.mark.zen_plugins("zen-tool-chat")

CUT_CHUNKS = ("alpha ", "beta ", "gamma ", "delta")


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory, fake_llm_server: FakeLLM) -> Iterator[Rig]:
    models: dict[str, dict[str, Any]] = {
        "ok": {"text": "all fine"},
        "flaky500": {"fail_times": 1, "text": "recovered after a 500"},
        "down500": {"status": 500, "error_message": "upstream exploded"},
        "limited429": {"fail_times": 1, "fail_status": 429, "retry_after": 0.2, "text": "recovered after a 429"},
        "always429": {"status": 429, "retry_after": 0.1, "error_message": "slow down please"},
        "slow": {"latency_s": 3.0, "entry": {"extra_params": {"timeout": 0.5}}},
        "refused": {"entry": {"api_base": f"http://127.0.0.1:{closed_port()}/v1"}},
        "garbage": {"malformed": True},
        "primary": {"status": 503, "error_message": "primary is overloaded", "entry": {"fallbacks": ["backup"]}},
        "backup": {"text": "answer from the backup"},
        "cut": {"chunks": CUT_CHUNKS, "stream_cut_after": 2},
    }
    rig = make_rig(tmp_path_factory.mktemp("faults"), fake_llm_server, models).start()
    yield rig
    rig.stop()


async def chat(client: Any, model: str, prompt: str = "hello", **kwargs: Any) -> Any:
    async with asyncio.timeout(60):
        return await client.call_tool("chat", {"prompt": prompt, "model": model}, **kwargs)


async def still_serving(client: Any) -> None:
    result = await chat(client, "ok", "are you still there?")
    assert result.is_error is False, text_of(result)
    assert "all fine" in text_of(result)


async def test_a_500_is_retried_and_the_call_succeeds(rig: Rig) -> None:
    async with rig.http() as client:
        result = await chat(client, "flaky500")
        assert result.is_error is False, text_of(result)
        assert "recovered after a 500" in text_of(result)
        assert rig.calls("flaky500") == 2
        await still_serving(client)


async def test_persistent_500_is_a_clear_error_after_the_configured_retry(rig: Rig) -> None:
    async with rig.http() as client:
        result = await chat(client, "down500")
        text = text_of(result)
        assert result.is_error is True
        assert "Model 'down500'" in text and "HTTP 500" in text and "upstream exploded" in text, text
        assert rig.calls("down500") == 2  # the first attempt + llm.num_retries
        await still_serving(client)


async def test_429_with_retry_after_is_retried(rig: Rig) -> None:
    async with rig.http() as client:
        result = await chat(client, "limited429")
        assert result.is_error is False, text_of(result)
        assert "recovered after a 429" in text_of(result)
        assert rig.calls("limited429") == 2


async def test_persistent_429_names_the_rate_limit(rig: Rig) -> None:
    async with rig.http() as client:
        result = await chat(client, "always429")
        text = text_of(result)
        assert result.is_error is True
        assert "HTTP 429" in text and "slow down please" in text and "rate limit" in text, text
        await still_serving(client)


async def test_a_timeout_is_a_clear_error(rig: Rig) -> None:
    async with rig.http() as client:
        result = await chat(client, "slow")
        text = text_of(result)
        assert result.is_error is True
        # The model's own timeout (extra_params) applies, not llm.timeout_s; no HTTP 408 came: Zen gave up.
        assert "Model 'slow'" in text and "no answer in time" in text and "timeout value=0.5" in text, text
        assert "HTTP 408" not in text and "the model's own timeout in its extra_params" in text, text
        assert result.structured_content["data"]["error"]["code"] == "llm_timeout"
        await still_serving(client)


async def test_connection_refused_is_a_clear_error(rig: Rig) -> None:
    async with rig.http() as client:
        result = await chat(client, "refused")
        text = text_of(result)
        assert result.is_error is True
        assert "Model 'refused'" in text and "Connection error" in text, text
        await still_serving(client)


async def test_connection_refused_does_not_claim_an_http_status(rig: Rig) -> None:
    async with rig.http() as client:
        text = text_of(await chat(client, "refused"))
        assert "HTTP 500" not in text and "cannot reach the provider" in text, text


async def test_malformed_json_is_a_clear_error(rig: Rig) -> None:
    async with rig.http() as client:
        result = await chat(client, "garbage")
        text = text_of(result)
        assert result.is_error is True
        assert "Model 'garbage'" in text and "malformed" in text, text
        await still_serving(client)


async def test_failing_model_falls_back_as_configured(rig: Rig) -> None:
    async with rig.http() as client:
        result = await chat(client, "primary")
        assert result.is_error is False, text_of(result)
        assert "answer from the backup" in text_of(result)
        assert result.structured_content["data"]["model_used"] == "backup"
        assert rig.calls("primary") >= 1 and rig.calls("backup") == 1


async def test_a_stream_cut_halfway_is_an_error_not_a_short_answer(rig: Rig) -> None:
    seen: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append(message or "")

    async with rig.http() as client:
        result = await chat(client, "cut", progress_callback=on_progress)  # chat streams when asked for progress
        text = text_of(result)
        assert result.is_error is True, text
        assert "Model 'cut'" in text and "Stream ended before a finish_reason was received" in text, text
        assert seen, "the two chunks before the cut were streamed as progress"
        await still_serving(client)
