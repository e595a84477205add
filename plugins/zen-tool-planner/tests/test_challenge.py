"""The challenge tool through a real MCP client against ``zen serve`` (stdio) and the loopback fake LLM."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from planner_helpers import configure, data, error, messages, text
from zen_tool_planner.challenge import parse_critique, parse_verdict

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import stdio_client

pytestmark = pytest.mark.zen_plugins("challenge")

CRITIQUE = json.dumps(
    {
        "issues": [
            {
                "kind": "wrong",
                "point": "The cache is not thread-safe",
                "why": "cache.py mutates a dict from two threads",
            },
            {"kind": "unsupported", "point": "'10x faster'", "why": "no benchmark is given"},
        ],
        "holds": ["Reads do hit the cache first"],
        "verdict": "does_not_hold",
        "reasons": "The speed-up is unmeasured and the cache is racy.",
    }
)


@pytest.mark.zen_plugins("challenge", "zen-tool-chat")
async def test_a_model_tests_the_claim_and_chat_continues(
    zen_env: dict[str, str], zen_config: Any, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    (tmp_path / "cache.py").write_text("CACHE = {}  # CACHE_MARKER shared by the worker threads\n")
    names = configure(zen_config, fake_llm, roots=[tmp_path], critic={"text": CRITIQUE}, buddy={"text": "Add a lock."})
    claim = "The new cache makes the service 10x faster and is safe to ship."
    async with stdio_client(zen_env) as client:
        result = await client.call_tool(
            "challenge",
            {
                "claim": claim,
                "context": "Written by the coding agent after a refactor.",
                "files": [str(tmp_path / "cache.py")],
                "model": "critic",
            },
        )
        body = data(result)
        assert result.structured_content["status"] == "success"
        assert body["verdict"] == "does_not_hold"
        assert body["reasons"] == "The speed-up is unmeasured and the cache is racy."
        assert body["issues"] == [
            {
                "kind": "wrong",
                "point": "The cache is not thread-safe",
                "why": "cache.py mutates a dict from two threads",
            },
            {"kind": "unsupported", "point": "'10x faster'", "why": "no benchmark is given"},
        ]
        assert body["holds"] == ["Reads do hit the cache first"]
        assert body["model_used"] == "critic" and body["usage"]["total_tokens"] > 0
        assert body["files"]["included"] == [str(tmp_path / "cache.py")]
        assert text(result).startswith(
            "Verdict: does not hold\nThe speed-up is unmeasured and the cache is racy.\n\nProblems (2):\n"
            "- [wrong] The cache is not thread-safe — cache.py mutates a dict from two threads\n"
        )
        # what the model got: the anti-agreement prompt, the claim framed neutrally, its context and the file
        system, user = messages(fake_llm.last_request(names["critic"]))
        assert "test a claim, not to agree with it" in system and "do not invent problems either" in system
        assert f"The claim under review:\n{claim}" in user
        assert "Context given with it:\nWritten by the coding agent" in user and "CACHE_MARKER" in user

        followed = data(
            await client.call_tool(
                "chat", {"prompt": "How do I fix it?", "model": "buddy", "continuation_id": body["continuation_id"]}
            )
        )
        assert followed["continuation_id"] == body["continuation_id"]
        _, seen = messages(fake_llm.last_request(names["buddy"]))
        assert f"Challenge this claim: {claim}" in seen
        assert "Verdict: does not hold" in seen and "The cache is not thread-safe" in seen


async def test_verdicts_in_prose_and_no_verdict(zen_env: dict[str, str], zen_config: Any, fake_llm: FakeLLM) -> None:
    configure(
        zen_config,
        fake_llm,
        prose={"text": "The first half is right, the second is not.\n\n**Verdict:** Partly holds."},
        vague={"text": "Interesting question; it depends on many things."},
        agrees={
            "text": '```json\n{"issues": [], "holds": ["All of it"], "verdict": "holds", "reasons": "Checked."}\n```'
        },
    )
    async with stdio_client(zen_env) as client:
        prose = await client.call_tool("challenge", {"claim": "X and Y", "model": "prose"})
        body = data(prose)
        assert body["verdict"] == "partly_holds" and body["issues"] == []
        assert body["answer"].startswith("The first half is right")
        assert text(prose).startswith("Verdict: partly holds\n\nThe first half is right")

        vague = await client.call_tool("challenge", {"claim": "X", "model": "vague"})
        assert vague.structured_content["status"] == "partial"
        assert data(vague)["verdict"] == "unclear"
        assert text(vague).startswith("Verdict: unclear (the model gave no verdict)")

        agrees = data(await client.call_tool("challenge", {"claim": "2 + 2 = 4", "model": "agrees"}))
        assert (agrees["verdict"], agrees["holds"], agrees["issues"]) == ("holds", ["All of it"], [])


def test_verdict_words() -> None:
    assert [
        parse_verdict(v)
        for v in ("holds", "Holds.", "partly_holds", "partially holds", "does_not_hold", "Doesn't hold", "", None)
    ] == ["holds", "holds", "partly_holds", "partly_holds", "does_not_hold", "does_not_hold", "unclear", "unclear"]
    assert parse_critique('{"verdict": "maybe"}')["verdict"] == "unclear"
    assert parse_critique("VERDICT: holds\nbut later\nVerdict: does not hold")["verdict"] == "does_not_hold"


async def test_errors_name_the_field_the_file_or_the_provider(
    zen_env: dict[str, str], zen_config: Any, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    (tmp_path / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    names = configure(
        zen_config,
        fake_llm,
        roots=[tmp_path],
        critic={"text": CRITIQUE},
        broken={"status": 503, "error_message": "critic overloaded"},
    )
    async with stdio_client(zen_env) as client:
        missing = await client.call_tool("challenge", {"model": "critic"})
        assert "claim" in error(missing)["message"]
        secret = await client.call_tool(
            "challenge", {"claim": "c", "model": "critic", "files": [str(tmp_path / "id_rsa")]}
        )
        assert error(secret)["code"] == "path_refused" and "secret file" in text(secret)
        outside = await client.call_tool("challenge", {"claim": "c", "model": "critic", "files": ["/etc/hostname"]})
        assert "/etc/hostname: " in text(outside) and "outside the allowed roots" in text(outside)
        assert fake_llm.calls(names["critic"]) == 0
        failed = await client.call_tool("challenge", {"claim": "c", "model": "broken"})
        assert error(failed)["status_code"] == 503 and "critic overloaded" in text(failed)


@pytest.mark.parametrize("era", [{"mode": "legacy"}, {}], ids=["legacy", "2026-07-28"])
async def test_listing_annotations_and_output_schema(
    zen_env: dict[str, str], zen_config: Any, fake_llm: FakeLLM, era: dict[str, Any]
) -> None:
    configure(zen_config, fake_llm, settings={"default_model": "critic"}, critic={"text": CRITIQUE})
    async with stdio_client(zen_env, **era) as client:
        tool = next(t for t in (await client.list_tools()).tools if t.name == "challenge")
        assert set(tool.input_schema["properties"]) == {"claim", "context", "files", "model", "continuation_id"}
        assert tool.input_schema["required"] == ["claim"]
        hints = tool.annotations
        assert hints is not None and hints.title == "Challenge a claim"
        assert (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint, hints.open_world_hint) == (
            True,
            False,
            False,
            True,
        )
        schema = tool.output_schema["properties"]["data"]
        assert schema["required"] == ["verdict", "reasons", "issues", "holds", "continuation_id"]
        assert tool.meta == {"anthropic/maxResultSizeChars": 100_000}
        result = await client.call_tool("challenge", {"claim": "Ship it today."})
    assert data(result)["verdict"] == "does_not_hold" and data(result)["model_used"] == "critic"
