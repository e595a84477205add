"""The fake LLM shipped in ``zen_core.testing``: a delayed answer whose client left, and stopping it mid-answer."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.waiting import wait_until

BODY = {"messages": [{"role": "user", "content": "hi"}]}


async def test_a_delayed_answer_stops_when_its_client_goes_away() -> None:
    with FakeLLM() as fake:
        slow = fake.model("slow", latency_s=30)
        async with httpx.AsyncClient(timeout=0.5) as http:
            with pytest.raises(httpx.ReadTimeout):
                await http.post(f"{fake.base_url}/chat/completions", json={**BODY, "model": slow})
        assert fake.calls(slow) == 1
        await wait_until(lambda: fake.in_flight(slow) == 0, "the abandoned request to end", within_s=5)
        assert fake.in_flight() == 0


async def test_stopping_with_an_answer_still_delayed_prints_no_traceback(capfd: pytest.CaptureFixture[str]) -> None:
    fake = FakeLLM().start()
    slow = fake.model("slow", latency_s=30)
    async with httpx.AsyncClient(timeout=20) as http:
        asked = asyncio.create_task(http.post(f"{fake.base_url}/chat/completions", json={**BODY, "model": slow}))
        await wait_until(lambda: fake.in_flight(slow) == 1, "the request to arrive", within_s=5)
        await asyncio.to_thread(fake.stop)
        outcome = await asyncio.gather(asked, return_exceptions=True)
    assert isinstance(outcome[0], (httpx.Response, httpx.HTTPError)), outcome
    assert fake.in_flight() == 0
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception in ASGI application" not in err, err
