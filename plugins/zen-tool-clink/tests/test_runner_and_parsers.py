"""The runner (bounded capture, memory, leftover children) and the output parsers, in process."""

from __future__ import annotations

import json
import os
import sys
import tracemalloc
from pathlib import Path

import pytest
from clink_helpers import alive, wait_for_file
from zen_tool_clink import runner
from zen_tool_clink.config import load
from zen_tool_clink.parsers import ParseError, parse


def test_capture_keeps_the_head_and_a_rolling_tail() -> None:
    capture = runner.Capture(head_cap=4, tail_cap=3)
    for chunk in (b"ab", b"cdef", b"ghij", b"k"):
        capture.add(chunk)
    assert (bytes(capture.head), bytes(capture.tail)) == (b"abcd", b"ijk")
    assert capture.total == 11 and capture.dropped == 4
    assert capture.text("[{dropped} dropped]") == "abcd[4 dropped]ijk"


async def test_memory_stays_bounded_while_the_child_floods() -> None:
    flood = "import sys\nb = b'x' * 65536\nfor _ in range(1024): sys.stdout.buffer.write(b)\n"  # 64 MiB
    spec = runner.RunSpec(
        argv=[sys.executable, "-c", flood],
        cwd=os.getcwd(),
        env=dict(os.environ),
        stdin=None,
        timeout_s=120,
        max_output_bytes=256 * 1024,
    )
    tracemalloc.start()
    try:
        result = await runner.run(spec)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.exit_code == 0 and not result.timed_out
    assert result.stdout.total == 64 * 1024 * 1024
    assert len(result.stdout.head) + len(result.stdout.tail) == 256 * 1024
    assert peak < 4 * 1024 * 1024, f"peak {peak:,} bytes for 64 MiB of output"


async def test_children_left_behind_by_an_exiting_cli_are_stopped(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids.json"
    script = (
        "import json, subprocess, sys\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"json.dump({{'child': child.pid}}, open({str(pidfile)!r}, 'w'))\n"
        "print('done', flush=True)\n"
    )
    spec = runner.RunSpec(
        argv=[sys.executable, "-c", script],
        cwd=str(tmp_path),
        env=dict(os.environ),
        stdin=b"",
        timeout_s=60,
        max_output_bytes=4096,
    )
    result = await runner.run(spec)
    child = wait_for_file(pidfile)["child"]
    # The CLI exited on its own; its child held stdout open and was stopped, so the run ended.
    assert result.exit_code == 0 and not result.timed_out
    assert result.stdout.text() == "done\n"
    assert not alive(child) and result.leftovers == []


# -- parsers -----------------------------------------------------------------------------------
def test_gemini_error_object_is_an_error() -> None:
    out = json.dumps(
        {"session_id": "s", "error": {"type": "FatalAuthenticationError", "message": "bad key", "code": 41}}
    )
    parsed = parse("json", out)
    assert (parsed.shape, parsed.error, parsed.session_id) == ("gemini", "bad key", "s")


def test_claude_error_result_is_an_error() -> None:
    out = json.dumps(
        {"type": "result", "subtype": "error_max_turns", "is_error": True, "session_id": "c", "result": ""}
    )
    parsed = parse("json", out)
    assert parsed.shape == "claude" and parsed.error == "error_max_turns"


def test_json_after_a_warning_line_and_generic_objects() -> None:
    parsed = parse("json", 'Warning: slow disk\n{"response": "hi", "stats": {}}\n')
    assert (parsed.shape, parsed.answer) == ("gemini", "hi")
    assert parse("json", '{"answer": " plain "}').answer == "plain"
    with pytest.raises(ParseError, match="no answer field"):
        parse("json", '{"foo": 1}')
    with pytest.raises(ParseError, match="one JSON object"):
        parse("json", "not json at all")


def test_codex_failures_and_skipped_lines() -> None:
    lines = [
        "some banner",
        json.dumps({"type": "thread.started", "thread_id": "t1"}),
        json.dumps({"type": "turn.failed", "error": {"message": "stream disconnected"}}),
    ]
    parsed = parse("jsonl", "\n".join(lines))
    assert (parsed.shape, parsed.session_id, parsed.error) == ("codex", "t1", "stream disconnected")
    assert parsed.notes == ["1 output line(s) were not JSON and were skipped"]
    parsed = parse("jsonl", json.dumps({"type": "error", "message": "quota exceeded"}))
    assert parsed.error == "quota exceeded"
    with pytest.raises(ParseError, match="found none"):
        parse("jsonl", "plain text only")


def test_opencode_error_and_gemini_stream_json() -> None:
    event = {
        "type": "error",
        "timestamp": 1,
        "sessionID": "ses_1",
        "error": {"name": "APIError", "data": {"message": "401"}},
    }
    parsed = parse("jsonl", json.dumps(event))
    assert parsed.error == "401"
    stream = [
        {"type": "init", "timestamp": "t", "session_id": "g1", "model": "gemini-2.5-flash"},
        {"type": "message", "timestamp": "t", "role": "user", "content": "hi"},
        {"type": "message", "timestamp": "t", "role": "assistant", "content": "Hel", "delta": True},
        {"type": "message", "timestamp": "t", "role": "assistant", "content": "lo", "delta": True},
        {"type": "error", "timestamp": "t", "severity": "warning", "message": "loop detected"},
        {"type": "result", "timestamp": "t", "status": "success", "stats": {"input_tokens": 9, "output_tokens": 2}},
    ]
    parsed = parse("jsonl", "\n".join(json.dumps(e) for e in stream))
    assert (parsed.answer, parsed.session_id, parsed.model) == ("Hello", "g1", "gemini-2.5-flash")
    assert (parsed.prompt_tokens, parsed.completion_tokens, parsed.error) == (9, 2, None)
    assert parsed.notes == ["loop detected"]


def test_claude_stream_json_ends_with_the_result() -> None:
    stream = [
        {"type": "system", "subtype": "init", "session_id": "c9"},
        {"type": "assistant", "message": {"content": [{"type": "text", "text": "partial"}]}},
        {"type": "result", "subtype": "success", "is_error": False, "result": "final", "total_cost_usd": 0.5},
    ]
    parsed = parse("jsonl", "\n".join(json.dumps(e) for e in stream))
    assert (parsed.answer, parsed.session_id, parsed.cost_usd) == ("final", "c9", 0.5)


def test_text_parser_strips_terminal_colours() -> None:
    assert parse("text", "\x1b[1;32mgreen\x1b[0m answer\n").answer == "green answer"


def test_user_entries_merge_over_the_shipped_ones() -> None:
    settings = load(
        {"clis": {"gemini": {"timeout_s": 600}, "mine": {"command": ["mine"], "file_args": ["-f", "{file}"]}}}
    )
    gemini = settings.clis["gemini"]
    assert gemini.timeout_s == 600 and gemini.command == ["gemini"] and gemini.parser == "json"
    assert settings.clis["mine"].prompt_mode(resume=False) == "stdin"
    assert set(settings.roles_for(gemini)) == {"default", "planner", "codereviewer"}
