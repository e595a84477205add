"""The seven tools through a real MCP client against ``zen serve --http`` and the loopback fake LLM."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from conftest import PROSE, TRUNCATED
from think_cases import BY_TOOL, INPUT_PRICE, OUTPUT_PRICE, SOURCE, TOOLS, data, make_file, ok, text, user_text

ThinkServer = Any  # the think_server fixture's object (see conftest.py)

pytestmark = pytest.mark.zen_plugins("think")


def args_for(tool: str, **extra: Any) -> dict[str, Any]:
    """The case's arguments, with a required ``files`` left for ``extra`` to give."""
    return {**BY_TOOL[tool].args, **extra}


@pytest.mark.parametrize("tool", TOOLS)
async def test_happy_path(think_server: ThinkServer, tool: str) -> None:
    case = BY_TOOL[tool]
    source = make_file(think_server.root / "happy" / tool / "app.py", SOURCE)
    result = await think_server.call(tool, args_for(tool, model=tool, files=[str(source)]))
    body = ok(result)

    # What the model received: the tool's own system prompt with the JSON format, the file with line
    # numbers, then the request in words.
    sent = think_server.last_request(tool)
    system = sent["messages"][0]
    assert system["role"] == "system"
    assert case.system in system["content"]
    assert "Answer with one JSON object and nothing else" in system["content"]
    seen = user_text(sent)
    assert f"--- BEGIN FILE: {source} (7 lines) ---" in seen
    assert '7|     return data["items"]  # THINK_MARKER' in seen
    for part in case.user:
        assert part in seen
    assert seen.index("=== FILES ===") < seen.index("=== REQUEST ===")
    assert sent.get("reasoning_effort") == case.effort
    assert sent.get("temperature") == case.temperature

    # What the agent gets: the parsed answer in data, with usage and cost, and a readable text.
    assert result.structured_content["status"] == "success"
    for key, value in case.data.items():
        assert body[key] == value, key
    assert uuid.UUID(body["continuation_id"])
    assert body["model_used"] == tool
    usage = body["usage"]
    assert usage["completion_tokens"] == len(case.reply().split())  # the fake counts words
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
    expected_cost = usage["prompt_tokens"] * INPUT_PRICE + usage["completion_tokens"] * OUTPUT_PRICE
    assert body["cost_known"] is True and body["cost_usd"] == pytest.approx(expected_cost)
    assert body["files"] == {"included": [str(source)], "excluded": [], "skipped": []}
    assert "raw" not in body and "note" not in body
    assert body.get("reasoning_effort") == case.effort
    shown = text(result)
    for part in case.text:
        assert part in shown
    assert "```json" not in shown and '"summary":' not in shown  # rendered, not the raw JSON
    assert shown.endswith(
        f"{tool} · {usage['total_tokens']:,} tokens · ${body['cost_usd']:.4f}\n"
        f"continuation_id: {body['continuation_id']} (pass it to chat or another Zen tool to continue)"
    )


async def test_docgen_writes_nothing(think_server: ThinkServer) -> None:
    source = make_file(think_server.root / "docgen-ro" / "app.py", SOURCE)
    before = sorted(p.name for p in source.parent.iterdir())
    ok(await think_server.call("docgen", {"model": "docgen", "files": [str(source)]}))
    assert source.read_text() == SOURCE
    assert sorted(p.name for p in source.parent.iterdir()) == before


@pytest.mark.parametrize("tool", TOOLS)
async def test_secret_file_is_refused_before_any_model_call(think_server: ThinkServer, tool: str) -> None:
    folder = think_server.root / "secret" / tool
    source = make_file(folder / "app.py", SOURCE)
    secret = make_file(folder / ".env", "API_TOKEN=hunter2\n")
    before = think_server.calls(tool)
    result = await think_server.call(tool, args_for(tool, model=tool, files=[str(source), str(secret)]))
    assert result.is_error
    assert f"- {secret}: secret file" in text(result)
    error = data(result)["error"]
    assert error["code"] == "path_refused"
    assert [r["kind"] for r in error["refused"]] == ["secret"]
    assert think_server.calls(tool) == before


async def test_secret_inside_a_directory_is_skipped_and_reported(think_server: ThinkServer) -> None:
    folder = think_server.root / "secret-dir"
    make_file(folder / "app.py", SOURCE)
    secret = make_file(folder / ".env", "API_TOKEN=hunter2\n")
    result = await think_server.call("analyze", {"model": "analyze", "files": [str(folder)]})
    body = ok(result)
    assert body["files"]["included"] == [str(folder / "app.py")]
    assert [(s["path"], s["kind"]) for s in body["files"]["skipped"]] == [(str(secret), "secret")]
    assert f"Skipped: {secret}: " in text(result)
    assert "hunter2" not in json.dumps(think_server.last_request("analyze"))


async def test_path_outside_the_roots_is_refused(think_server: ThinkServer) -> None:
    private = make_file(think_server.outside / "private.py", "PRIVATE = 1\n")
    before = think_server.calls("tracer")
    result = await think_server.call("tracer", {"model": "tracer", "symbol": "x", "files": [str(private)]})
    assert result.is_error
    assert f"- {private}: " in text(result) and "outside the allowed roots" in text(result)
    assert think_server.calls("tracer") == before


async def test_provider_error_is_reported_with_its_cause(think_server: ThinkServer) -> None:
    result = await think_server.call("debug", {"model": "broken", "prompt": "why?"})
    assert result.is_error
    message = text(result)
    assert "Model 'broken'" in message and "HTTP 500" in message and "upstream exploded" in message
    error = data(result)["error"]
    assert error["code"] == "llm_error" and error["status_code"] == 500


async def test_an_answer_that_is_not_json_comes_back_as_text_with_a_note(think_server: ThinkServer) -> None:
    result = await think_server.call("debug", {"model": "prose", "prompt": "why does load fail?"})
    assert not result.is_error
    body = data(result)
    assert result.structured_content["status"] == "partial"
    assert body["raw"] == PROSE
    assert body["note"] == (
        "The model did not answer in the JSON format asked for; its answer is in `raw`, unstructured."
    )
    assert body["summary"] == "" and body["hypotheses"] == [] and body["missing"] == []
    assert uuid.UUID(body["continuation_id"]) and body["model_used"] == "prose"
    assert text(result).startswith(f"Note: {body['note']}\n\n{PROSE}\n\n---\n")


async def test_a_truncated_answer_says_it_was_cut_off(think_server: ThinkServer) -> None:
    result = await think_server.call("debug", {"model": "truncated", "prompt": "why does load fail?"})
    body = data(result)
    assert not result.is_error and result.structured_content["status"] == "partial"
    assert body["raw"] == TRUNCATED
    assert body["note"].startswith("The answer was cut off at the model's output limit")


async def test_a_valid_but_empty_answer_says_so(think_server: ThinkServer) -> None:
    result = await think_server.call("debug", {"model": "empty", "prompt": "why does load fail?"})
    body = ok(result)
    assert result.structured_content["status"] == "success"
    assert (body["summary"], body["hypotheses"], body["missing"]) == ("", [], [])
    assert text(result).startswith("(The model's answer was empty.)\n\n---\n")


@pytest.mark.parametrize(
    ("tool", "args", "field"),
    [
        ("debug", {"prompt": ""}, "prompt"),
        ("debug", {"prompt": "  \n "}, "prompt"),
        ("thinkdeep", {"prompt": "x", "thinking_mode": "extreme"}, "thinking_mode"),
        ("analyze", {"files": ["/tmp/x.py"], "focus": "speed"}, "focus"),
        ("analyze", {"files": []}, "files"),
        ("refactor", {"files": ["/tmp/x.py"], "kind": "rewrite"}, "kind"),
        ("testgen", {}, "files"),
        ("docgen", {"files": ["/tmp/x.py"], "style": "google"}, "style"),
        ("tracer", {"files": ["/tmp/x.py"]}, "symbol"),
        ("tracer", {"files": ["/tmp/x.py"], "symbol": "f", "mode": "up"}, "mode"),
    ],
)
async def test_bad_arguments_name_the_field(
    think_server: ThinkServer, tool: str, args: dict[str, Any], field: str
) -> None:
    result = await think_server.call(tool, {"model": tool, **args})
    assert result.is_error
    assert field in text(result), text(result)
    assert data(result)["error"]["code"] == "invalid_arguments"


async def test_model_is_required_without_a_default(think_server: ThinkServer) -> None:
    result = await think_server.call("thinkdeep", {"prompt": "x"})
    assert result.is_error
    assert '"model" is required' in text(result) and "thinkdeep" in text(result)


async def test_progress_stages_and_heartbeats_while_the_model_thinks(think_server: ThinkServer) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    body = ok(await think_server.call("debug", {"model": "slow", "prompt": "why?"}, on_progress))
    assert body["hypotheses"]
    messages = [m for _, _, m in seen]
    assert messages[:2] == ["reading files", "asking slow"]
    beats = [(p, m) for p, _, m in seen if m and m.startswith("debug · asking slow · waiting on slow · ")]
    assert beats, messages  # the model takes 1 s; Zen's heartbeat is due every 0.2 s (server.progress_interval_s)
    assert all(1 < p < 2 for p, _ in beats)
    assert messages[-3:] == ["slow answered", "storing the answer", "done"]
    assert [p for p, _, _ in seen] == sorted({p for p, _, _ in seen})  # strictly increasing
    assert {t for _, t, _ in seen} == {4} and seen[-1][0] == 4


async def test_the_tools_own_conversation_continues(think_server: ThinkServer) -> None:
    source = make_file(think_server.root / "own" / "app.py", SOURCE)
    first = ok(await think_server.call("analyze", {"model": "analyze", "files": [str(source)]}))
    cid = first["continuation_id"]
    second = ok(await think_server.call("refactor", {"continuation_id": cid, "files": [str(source)]}))
    assert second["continuation_id"] == cid
    assert second["model_used"] == "analyze"  # the conversation's model when none is given
    assert second["history"] == {"turns": 2, "omitted_turns": 0}
    seen = user_text(think_server.last_request("analyze"))
    assert "--- Turn 2 (assistant, analyze via analyze) ---" in seen
    assert "Findings (most severe first):\n- [critical] app.py:6: Trusts JSON shape" in seen
    assert seen.count("THINK_MARKER") == 1  # the file once, not per turn
    assert seen.rstrip().endswith("Propose refactorings for these files.")
    # The conversation is at its limit (conversations.max_turns: 4): refused before any model call.
    before = think_server.calls("analyze")
    full = await think_server.call("docgen", {"continuation_id": cid, "files": [str(source)]})
    assert full.is_error and data(full)["error"]["code"] == "thread_full"
    assert f"Conversation {cid} has reached its limit of 4 turns" in text(full)
    assert think_server.calls("analyze") == before


async def test_unknown_continuation_id_is_explained(think_server: ThinkServer) -> None:
    result = await think_server.call(
        "thinkdeep", {"model": "thinkdeep", "prompt": "x", "continuation_id": str(uuid.uuid4())}
    )
    assert result.is_error and "was not found" in text(result)
