"""The consensus tool through a real MCP client against ``zen serve`` (stdio) and the loopback fake LLM."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from consensus_helpers import answer, by_label, configure, data, last_user, messages_text

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import stdio_client, tool_progress

pytestmark = pytest.mark.zen_plugins("zen-tool-consensus")


async def test_stances_cross_feedback_progress_continuation_and_files(
    zen_env: dict[str, str], zen_config: Any, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "cache.py").write_text("TTL_SECONDS = 300  # orders cache\n")
    (project / ".env").write_text("DB_PASSWORD=hunter2\n")
    zen_env["ZEN_FILES__ALLOWED_ROOTS"] = str(project)
    names = configure(
        zen_config,
        fake_llm,
        alpha=answer("Ship the cache layer; the benchmarks justify it.", "support"),
        beta=answer("The invalidation story is too weak to ship.", "oppose"),
        gamma=answer("Worth it if you add metrics first.", "support"),
    )
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    question = "Should we add a write-through cache in front of the orders DB?"
    models = ["alpha:for", "beta:against", "gamma"]
    async with stdio_client(zen_env) as client:
        result = await client.call_tool(
            "consensus", {"prompt": question, "models": models}, progress_callback=on_progress
        )
        payload = data(result)
        entries = by_label(payload)
        assert list(entries) == ["alpha:for", "beta:against", "gamma"]
        assert [e["stance"] for e in entries.values()] == ["for", "against", "neutral"]
        for entry in entries.values():
            assert entry["status"] == "ok"
            assert [p["phase"] for p in entry["phases"]] == ["initial", "feedback"]
            assert entry["phases"][0]["tokens"]["total"] > 0
        assert entries["beta:against"]["final_position"] == "oppose"
        assert entries["alpha:for"]["phases"][0]["model_used"] == "alpha"
        agreement = payload["agreement"]
        assert (agreement["level"], agreement["leading_position"]) == ("majority", "support")
        assert agreement["counts"] == {"support": 2, "oppose": 1}
        assert payload["cross_feedback"]["rounds_run"] == 1
        assert payload["totals"]["calls"] == 6
        assert result.structured_content["status"] == "success"
        assert "agreement majority" in result.content[0].text

        # Phase 1: each model gets its own stance prompt and is blinded from the others.
        first = {alias: fake_llm.requests(name)[0] for alias, name in names.items()}
        assert "strongest honest case FOR" in first["alpha"]["messages"][0]["content"]
        assert "strongest honest case AGAINST" in first["beta"]["messages"][0]["content"]
        assert "Weigh the proposal evenly" in first["gamma"]["messages"][0]["content"]
        assert "invalidation" not in messages_text(first["alpha"])
        # Phase 2: the other answers, anonymised as Response A/B, with no model names or stances.
        refine = last_user(fake_llm.requests(names["alpha"])[1])
        assert "--- Response A ---" in refine and "--- Response B ---" in refine
        assert "--- Response C ---" not in refine
        assert "invalidation story" in refine and "add metrics first" in refine
        assert "Ship the cache layer" not in refine  # its own answer is not among the others
        for hidden in ("beta", "gamma", names["beta"], names["gamma"], "against", "stance"):
            assert hidden not in refine
        assert "POSITION CHANGED: yes | no" in refine

        # Progress: one notification per finished model per phase, increasing, with readable counts.
        messages = [m for _, _, m in seen]
        assert "1/3 initial answers" in messages and "3/3 initial answers" in messages
        assert "3/3 refined answers (round 1)" in messages
        assert [p for p, _, _ in seen] == sorted(p for p, _, _ in seen)
        assert tool_progress(seen, "consensus")[-1][:2] == (6, 6)

        # The consensus is a conversation: a follow-up sees the earlier question and answers.
        thread_id = payload["continuation_id"]
        assert thread_id
        follow_up = {
            "prompt": "And with a 5 minute TTL instead?",
            "models": ["alpha", "gamma"],
            "continuation_id": thread_id,
            "rounds": 0,
        }
        # Files go through the same rules as chat's: a named secret stops the call before any model sees it.
        refused = await client.call_tool(
            "consensus", {**follow_up, "files": [str(project / "cache.py"), str(project / ".env")]}
        )
        assert refused.is_error is True
        assert refused.structured_content["data"]["error"]["code"] == "path_refused"
        assert f"{project / '.env'}: secret file" in refused.content[0].text
        assert "hunter2" not in str(fake_llm.requests(names["gamma"]))
        again = data(await client.call_tool("consensus", {**follow_up, "files": [str(project / "cache.py")]}))
        assert again["continuation_id"] == thread_id
        assert again["history_turns"] == 2
        sent = last_user(fake_llm.requests(names["gamma"])[-1])
        assert question in sent and "invalidation story is too weak" in sent
        assert sent.rstrip().endswith("And with a 5 minute TTL instead?")
        assert "TTL_SECONDS = 300" in sent
        assert again["files"]["included"] == [str(project / "cache.py")]


async def test_repeats_on_disagreement_and_synthesis(
    zen_env: dict[str, str], zen_config: Any, fake_llm: FakeLLM
) -> None:
    names = configure(
        zen_config,
        fake_llm,
        yes=answer("Yes, use Postgres.", "support"),
        also=answer("Postgres is the right call.", "support"),
        nope=answer("Stay on SQLite for now.", "oppose"),
        judge={"text": "Agreements: both want backups. Recommendation: Postgres behind a flag."},
    )
    async with stdio_client(zen_env) as client:
        # The same model twice: two independent calls (never one answer served from cache).
        twice = data(
            await client.call_tool("consensus", {"prompt": "Move to Postgres?", "models": ["yes", "yes"], "rounds": 0})
        )
        assert list(by_label(twice)) == ["yes#1", "yes#2"]
        assert fake_llm.calls(names["yes"]) == 2
        assert twice["agreement"]["level"] == "unanimous"
        assert twice["cross_feedback"]["rounds_requested"] == 0

        # Answers that already agree skip the refine round (converged, and said so)…
        agree = data(
            await client.call_tool(
                "consensus",
                {"prompt": "Move to Postgres now?", "models": ["yes", "also"]},
            )
        )
        assert agree["cross_feedback"]["rounds_run"] == 0
        assert agree["cross_feedback"]["skipped_reason"] == "answers already agree"
        assert fake_llm.calls(names["also"]) == 1
        assert fake_llm.calls(names["yes"]) == 3

        # …and answers that disagree run it.
        split = data(
            await client.call_tool(
                "consensus",
                {"prompt": "Move to Postgres today?", "models": ["yes", "nope"]},
            )
        )
        assert split["cross_feedback"]["rounds_run"] == 1
        assert fake_llm.calls(names["nope"]) == 2
        assert split["agreement"]["level"] == "split"

        # A synthesiser merges the final answers, told the measured agreement.
        merged = await client.call_tool(
            "consensus",
            {
                "prompt": "Postgres or SQLite?",
                "models": ["yes", "nope"],
                "synthesize_with": "judge",
                "rounds": 0,
            },
        )
        synthesis = data(merged)["synthesis"]
        assert synthesis["status"] == "ok"
        assert synthesis["text"].startswith("Agreements: both want backups.")
        sent = messages_text(fake_llm.last_request(names["judge"]))
        assert "Yes, use Postgres." in sent and "Stay on SQLite for now." in sent
        assert "split: 1 oppose, 1 support" in sent
        assert names["nope"] not in sent
        assert merged.structured_content["status"] == "success"

        # "auto": the best model that is not answering (a participant would weigh its own answer).
        auto = data(
            await client.call_tool(
                "consensus",
                {"prompt": "Postgres or MySQL?", "models": ["yes", "nope"], "synthesize_with": "auto", "rounds": 0},
            )
        )
        assert auto["synthesis"]["model"] not in ("yes", "nope") and auto["synthesis"]["status"] == "ok"


async def test_failures_are_reported_in_place(zen_env: dict[str, str], zen_config: Any, fake_llm: FakeLLM) -> None:
    names = configure(
        zen_config,
        fake_llm,
        good=answer("Use a queue.", "support"),
        other=answer("A queue is fine.", "support"),
        broken={"status": 503, "error_message": "quota exhausted for project zen-test"},
        slow={**answer("Too late.", "oppose"), "latency_s": 6.0},
        badsynth={"status": 500, "error_message": "chairman unavailable"},
    )
    async with stdio_client(zen_env) as client:
        # One failing model: the others still answer; its real error is in place and lowers agreement.
        partial = await client.call_tool("consensus", {"prompt": "Add a queue?", "models": ["good", "other", "broken"]})
        payload = data(partial)
        assert partial.structured_content["status"] == "partial"
        broken = by_label(payload)["broken"]
        assert broken["status"] == "error" and broken["final_position"] == "failed"
        error = broken["phases"][0]["error"]
        assert error["status_code"] == 503 and error["provider"] == "openai"
        assert "quota exhausted for project zen-test" in error["message"]
        assert by_label(payload)["good"]["status"] == "ok"
        assert payload["agreement"]["level"] == "majority"  # 2 of 3, never unanimous with a failure
        assert payload["agreement"]["failed"] == ["broken"]
        assert "quota exhausted for project zen-test" in partial.content[0].text
        assert [p["phase"] for p in by_label(payload)["good"]["phases"]] == ["initial"]  # good and other agree
        assert payload["cross_feedback"]["skipped_reason"] == "answers already agree"

        # Every model failing is an error naming each cause.
        failed = await client.call_tool("consensus", {"prompt": "Add a queue?", "models": ["broken", "broken"]})
        assert failed.is_error is True
        assert "Every model failed" in failed.content[0].text
        assert "quota exhausted for project zen-test" in failed.content[0].text
        assert failed.structured_content["data"]["error"]["code"] == "all_models_failed"

        # A per-model timeout: the slow model is reported as timed out, the other answers.
        timed = data(
            await client.call_tool(
                "consensus", {"prompt": "Add a queue now?", "models": ["good", "slow"], "timeout_s": 1}
            )
        )
        slow = by_label(timed)["slow"]
        assert slow["status"] == "timeout"
        assert slow["phases"][0]["error"]["code"] in {"timeout", "llm_timeout"}
        assert by_label(timed)["good"]["status"] == "ok"
        assert timed["agreement"]["level"] == "split"
        assert timed["cross_feedback"]["skipped_reason"] == "fewer than two models answered"
        assert fake_llm.calls(names["slow"]) >= 1

        # A failing synthesiser: the cause is named and the answers are still returned.
        synth = await client.call_tool(
            "consensus", {"prompt": "Add a queue later?", "models": ["good", "other"], "synthesize_with": "badsynth"}
        )
        result = data(synth)
        assert synth.structured_content["status"] == "partial"
        assert result["synthesis"]["status"] == "error"
        assert "chairman unavailable" in result["synthesis"]["error"]["message"]
        assert result["synthesis"]["error"]["status_code"] == 500
        assert {m["status"] for m in result["models"]} == {"ok"}
        assert "Use a queue." in synth.content[0].text
        assert "Synthesis by badsynth FAILED" in synth.content[0].text


@pytest.mark.skipif(importlib.util.find_spec("zen_tool_chat") is None, reason="zen-tool-chat is not installed")
@pytest.mark.zen_plugins("zen-tool-consensus", "zen-tool-chat")
async def test_chat_continues_a_consensus(zen_env: dict[str, str], zen_config: Any, fake_llm: FakeLLM) -> None:
    names = configure(
        zen_config,
        fake_llm,
        left=answer("Go left.", "support"),
        right=answer("Go right.", "oppose"),
        helper={"text": "Following up on the consensus."},
    )
    async with stdio_client(zen_env) as client:
        payload = data(
            await client.call_tool("consensus", {"prompt": "Left or right?", "models": ["left", "right"], "rounds": 0})
        )
        chat = await client.call_tool(
            "chat",
            {"prompt": "Summarise the disagreement.", "model": "helper", "continuation_id": payload["continuation_id"]},
        )
    assert chat.is_error is False, chat.content[0].text
    sent = messages_text(fake_llm.last_request(names["helper"]))
    assert "Left or right?" in sent and "Go right." in sent
