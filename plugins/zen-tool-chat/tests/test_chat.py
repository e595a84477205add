"""The chat tool through a real MCP client against ``zen serve --http`` and the loopback fake LLM."""

from __future__ import annotations

import base64
import json
import math
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from zen_core.testing.mcp import tool_progress

ChatServer = Any  # the chat_server fixture's object (see conftest.py)

pytestmark = pytest.mark.zen_plugins("zen-tool-chat")


async def chat(srv: ChatServer, progress: Any = None, **args: Any) -> Any:
    async with srv.client() as client:
        return await client.call_tool("chat", args, progress_callback=progress)


def data(result: Any) -> dict[str, Any]:
    assert result.structured_content is not None, result
    return result.structured_content["data"]  # type: ignore[no-any-return]


def text(result: Any) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


def ok(result: Any) -> dict[str, Any]:
    assert not result.is_error, text(result)
    return data(result)


async def test_plain_chat_by_alias(chat_server: ChatServer) -> None:
    result = await chat(chat_server, prompt="What is 2+2?", model="ch")
    body = ok(result)
    assert body["answer"] == "hello from chatty"
    assert body["model_used"] == "chatty"
    assert uuid.UUID(body["continuation_id"])
    assert body["usage"]["completion_tokens"] == 3
    assert text(result).startswith("hello from chatty\n\n---\n")
    assert f"continuation_id: {body['continuation_id']}" in text(result)
    request = chat_server.fake.last_request(chat_server.models["chatty"])
    assert request["messages"][0]["role"] == "system"
    assert "second opinion" in request["messages"][0]["content"]
    assert request["messages"][1]["content"].endswith("=== REQUEST ===\nWhat is 2+2?")


async def test_model_is_required_without_a_default(chat_server: ChatServer) -> None:
    result = await chat(chat_server, prompt="hi")
    assert result.is_error
    assert '"model" is required' in text(result)
    assert "chatty" in text(result)


async def test_unknown_model_lists_known_ones(chat_server: ChatServer) -> None:
    result = await chat(chat_server, prompt="hi", model="nope")
    assert result.is_error
    assert "Unknown model 'nope'" in text(result) and "chatty" in text(result)


async def test_images_go_to_a_vision_model(chat_server: ChatServer) -> None:
    image = chat_server.root / "shot.png"
    image.write_bytes(chat_server.png)
    inline = "data:image/png;base64," + "iVBORw0KGgo="
    body = ok(await chat(chat_server, prompt="What is shown?", model="eyes", images=[str(image), inline]))
    assert body["answer"] == "I see it"
    content = chat_server.fake.last_request(chat_server.models["eyes"])["messages"][-1]["content"]
    urls = [part["image_url"]["url"] for part in content if part["type"] == "image_url"]
    assert urls == ["data:image/png;base64," + base64.b64encode(chat_server.png).decode(), inline]  # request order


async def test_images_to_a_model_without_vision_are_an_error(chat_server: ChatServer) -> None:
    image = chat_server.root / "shot2.png"
    image.write_bytes(chat_server.png)
    before = chat_server.fake.calls(chat_server.models["chatty"])
    result = await chat(chat_server, prompt="What is shown?", model="chatty", images=[str(image)])
    assert result.is_error
    assert "Model 'chatty' does not accept images" in text(result)
    assert chat_server.fake.calls(chat_server.models["chatty"]) == before


def make_file(path: Path, content: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    return path


async def test_files_within_budget_are_embedded_and_secrets_skipped(chat_server: ChatServer) -> None:
    root = chat_server.root / "within"
    a = make_file(root / "a.py", "MARKER_A = 1\n")
    project = root / "project"
    make_file(project / "main.py", "MARKER_MAIN = 2\n")
    make_file(project / ".env", "SECRET_VALUE=hunter2\n")
    (project / "logo.png").write_bytes(chat_server.png)
    body = ok(await chat(chat_server, prompt="Review", model="chatty", files=[str(a), str(project)]))
    assert body["files"]["included"] == [str(a), str(project / "main.py")]
    assert body["files"]["excluded"] == []
    skipped = {s["path"]: s["kind"] for s in body["files"]["skipped"]}
    assert skipped == {str(project / ".env"): "secret", str(project / "logo.png"): "binary"}
    seen = chat_server.user_text("chatty")
    assert seen.count("MARKER_A = 1") == 1 and seen.count("MARKER_MAIN = 2") == 1
    assert "hunter2" not in json.dumps(chat_server.fake.last_request(chat_server.models["chatty"]))


async def test_files_over_budget_are_reported_exactly(chat_server: ChatServer) -> None:
    root = chat_server.root / "over"
    first = make_file(root / "first.py", "first = 1\n" * 60)
    big = make_file(root / "big.py", "big_value = 'x'\n" * 900)
    last = make_file(root / "last.py", "last = 3\n" * 20)
    result = await chat(chat_server, prompt="Review", model="small", files=[str(first), str(big), str(last)])
    body = ok(result)
    assert body["files"]["included"] == [str(first), str(last)]
    [excluded] = body["files"]["excluded"]
    assert excluded["path"] == str(big)
    match = re.fullmatch(
        r"needs ([\d,]+) tokens but only ([\d,]+) of the ([\d,]+)-token file budget were left "
        r"\(model small: context window 3,000 tokens, 400 kept for the answer\)",
        excluded["reason"],
    )
    assert match, excluded["reason"]
    needed, left, budget = (int(g.replace(",", "")) for g in match.groups())
    assert excluded["tokens"] == needed and needed > left and left < budget < 3000
    assert f"Left out (did not fit): {big}: needs" in text(result)
    seen = chat_server.user_text("small")
    assert "big_value" not in seen and "first = 1" in seen and "last = 3" in seen
    assert f"did not fit (not shown to you):\n- {big}" in seen


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("secret", "secret file"),
        ("outside_roots", "outside the allowed roots"),
        ("symlink_escape", "symlink that resolves to"),
        ("relative", "not an absolute path"),
        ("missing", "no such file or directory"),
    ],
)
async def test_refused_paths_stop_the_call(chat_server: ChatServer, kind: str, message: str) -> None:
    root = chat_server.root / f"refused-{kind}"
    root.mkdir()
    if kind == "secret":
        path = str(make_file(root / ".env.production", "TOKEN=abc\n"))
    elif kind == "outside_roots":
        path = str(make_file(chat_server.outside / "private.txt", "private\n"))
    elif kind == "symlink_escape":
        target = make_file(chat_server.outside / "escape.txt", "private\n")
        (root / "innocent.txt").symlink_to(target)
        path = str(root / "innocent.txt")
    elif kind == "relative":
        path = "src/app.py"
    else:
        path = str(root / "missing.py")
    before = chat_server.fake.calls(chat_server.models["chatty"])
    result = await chat(
        chat_server, prompt="Review", model="chatty", files=[str(make_file(root / "ok.py", "ok\n")), path]
    )
    assert result.is_error
    assert f"- {path}: " in text(result) and message in text(result)
    assert [r["kind"] for r in result.structured_content["data"]["error"]["refused"]] == [kind]
    assert chat_server.fake.calls(chat_server.models["chatty"]) == before


async def test_continuation_sees_earlier_turns_and_files_once(chat_server: ChatServer) -> None:
    a = make_file(chat_server.root / "cont" / "a.py", "CONT_MARKER = 42\n")
    first = ok(await chat(chat_server, prompt="first question about a", model="chatty", files=[str(a)]))
    cid = first["continuation_id"]
    second = ok(await chat(chat_server, prompt="second question", continuation_id=cid, files=[str(a)]))
    assert second["continuation_id"] == cid
    assert second["model_used"] == "chatty"  # the thread's model when none is given
    seen = chat_server.user_text("chatty")
    assert seen.count("CONT_MARKER = 42") == 1
    assert "first question about a" in seen and "hello from chatty" in seen
    assert seen.index("first question about a") < seen.index("=== REQUEST ===\nsecond question")
    assert second["files"]["included"] == [str(a)]


async def test_continuation_across_tools(chat_server: ChatServer) -> None:
    b = make_file(chat_server.root / "cross" / "b.py", "CROSS_MARKER = 7\n")
    async with chat_server.client() as client:
        started = await client.call_tool("notes", {"note": "note from the notes tool", "files": [str(b)]})
        cid = data(started)["continuation_id"]
        answer = await client.call_tool(
            "chat", {"prompt": "what did notes say?", "model": "chatty", "continuation_id": cid}
        )
        assert ok(answer)["continuation_id"] == cid
        seen = chat_server.user_text("chatty")
        assert "note from the notes tool" in seen and "noted: note from the notes tool" in seen
        assert seen.count("CROSS_MARKER = 7") == 1
        turns = data(await client.call_tool("notes", {"continuation_id": cid}))["turns"]
    assert [(t["tool"], t["role"]) for t in turns] == [
        ("notes", "user"),
        ("notes", "assistant"),
        ("chat", "user"),
        ("chat", "assistant"),
    ]
    assert turns[3]["model"] == "chatty" and turns[3]["content"] == "hello from chatty"


async def test_unknown_continuation_id_is_explained(chat_server: ChatServer) -> None:
    result = await chat(chat_server, prompt="hi", model="chatty", continuation_id=str(uuid.uuid4()))
    assert result.is_error and "was not found" in text(result)


async def test_streaming_sends_partial_text_as_progress(chat_server: ChatServer) -> None:
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total, message))

    result = await chat(chat_server, on_progress, prompt="stream please", model="stream")
    answer = ok(result)["answer"]
    assert answer == " ".join(f"word{i}" for i in range(80))
    assert [p for p, _, _ in updates] == sorted(p for p, _, _ in updates)  # heartbeats included
    streamed = tool_progress(updates, "chat")
    assert len(streamed) >= 2
    *partial, final = streamed
    # the final report is the answer's length, nudged up by 0.001 per heartbeat that went out at that same value
    # (progress must keep increasing; see zen_core.calls.progress)
    assert final[1:] == (len(answer), "answer complete")
    assert len(answer) <= final[0] < len(answer) + 0.01
    assert all(message and message in answer for _, _, message in partial)


def result_tokens(result: Any) -> int:
    size = len(text(result)) + len(json.dumps(result.structured_content, ensure_ascii=False))
    return math.ceil(size / 3)


async def test_oversized_answer_is_paged(chat_server: ChatServer) -> None:
    first = await chat(chat_server, prompt="write a lot", model="long")
    body = ok(first)
    cid, total = body["continuation_id"], body["page"]["total"]
    assert total > 1 and body["page"]["number"] == 1
    assert f'continuation_id="{cid}" and page=2' in text(first)
    pages = [body["answer"]]
    assert result_tokens(first) <= chat_server.output_limit
    for number in range(2, total + 1):
        result = await chat(chat_server, continuation_id=cid, page=number)
        page = ok(result)
        assert page["page"]["number"] == number and page["model_used"] == "long"
        assert result_tokens(result) <= chat_server.output_limit
        pages.append(page["answer"])
    assert "".join(pages) == chat_server.long_answer
    assert page["page"]["next"] is None
    beyond = await chat(chat_server, continuation_id=cid, page=total + 1)
    assert beyond.is_error and f"the answer has {total} page(s)" in text(beyond)


async def test_provider_error_is_surfaced_with_its_cause(chat_server: ChatServer) -> None:
    result = await chat(chat_server, prompt="hi", model="broken")
    assert result.is_error
    message = text(result)
    assert "Model 'broken'" in message and "HTTP 500" in message and "upstream exploded" in message
    error = result.structured_content["data"]["error"]
    assert error["code"] == "llm_error" and error["status_code"] == 500
    assert "upstream exploded" in error["provider_message"]


async def test_thinking_mode_only_for_models_that_support_it(chat_server: ChatServer) -> None:
    body = ok(await chat(chat_server, prompt="think hard", model="chatty", thinking_mode="max"))
    assert body["reasoning_effort"] == "high"
    assert chat_server.fake.last_request(chat_server.models["chatty"])["reasoning_effort"] == "high"
    body = ok(await chat(chat_server, prompt="think hard", model="eyes", thinking_mode="max"))
    assert "reasoning_effort" not in body
    assert "reasoning_effort" not in chat_server.fake.last_request(chat_server.models["eyes"])
