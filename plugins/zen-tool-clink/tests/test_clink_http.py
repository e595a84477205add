"""clink through a real MCP client against one ``zen serve --http`` (clink and chat loaded), with fake
CLIs (scripts the tests write) configured through the plugin settings, and the loopback fake LLM for chat.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import yaml
from clink_helpers import (
    alive,
    clis_config,
    error,
    ok,
    record_with,
    records,
    text,
    wait_for_file,
    wait_gone,
)

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import HTTPServerProcess, http_client

pytestmark = pytest.mark.zen_plugins("zen-tool-clink", "zen-tool-chat")

MAX_OUTPUT = 256 * 1024


@dataclass
class Server:
    server: HTTPServerProcess
    fake: FakeLLM
    chat_model: str
    root: Path
    outside: Path
    record: Path

    @asynccontextmanager
    async def client(self) -> AsyncIterator[Any]:
        async with http_client(self.server.url) as client:
            yield client

    async def call(self, progress: Any = None, **args: Any) -> Any:
        args.setdefault("working_dir", str(self.root))
        async with self.client() as client:
            return await client.call_tool("clink", args, progress_callback=progress)

    def project(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path


@pytest.fixture(scope="module")
def srv(fake_llm_server: FakeLLM, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("clink")
    root, outside, config, data_dir = (tmp / d for d in ("root", "outside", "config", "data"))
    for d in (root, outside, config, data_dir):
        d.mkdir()
    root, outside = root.resolve(), outside.resolve()
    record = tmp / "runs.jsonl"
    chat_model = fake_llm_server.model("clink-chat", echo=True)
    settings = {
        "plugins": {
            "zen-tool-clink": {
                "clis": clis_config(tmp / "bin", record),
                "allow_http": True,
                "max_output_bytes": MAX_OUTPUT,
                "heartbeat_s": 0.3,
                "kill_grace_s": 0.5,
                "roles": {"tester": "TESTER ROLE PROMPT: be brief."},
            },
            "zen-tool-chat": {"default_model": "buddy"},
        },
        "files": {"allowed_roots": [str(root)]},
        "models": {"buddy": fake_llm_server.entry(chat_model, context_window=16000)},
        "llm": {"num_retries": 0},
        "cache": {"enabled": False},
    }
    (config / "zen.yaml").write_text(yaml.safe_dump(settings))
    env = {
        "ZEN_CONFIG_DIR": str(config),
        "ZEN_DATA_DIR": str(data_dir),
        "ZEN_LOG_LEVEL": "WARNING",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_OFFLINE_MODE": "true",
        "ZEN_LOAD_PLUGINS": "zen-tool-clink,zen-tool-chat",
    }
    with HTTPServerProcess(env) as server:
        yield Server(server, fake_llm_server, chat_model, root, outside, record)


def token() -> str:
    return f"TOKEN-{uuid.uuid4().hex[:12]}"


# -- the happy paths, one per output mode --------------------------------------------------------
async def test_text_cli_gets_role_files_and_request_in_its_directory(srv: Server) -> None:
    project = srv.project("text")
    (project / "a.py").write_text("print('a')\n")
    (project / "pkg").mkdir(exist_ok=True)
    (project / "pkg" / "b.py").write_text("B = 1\n")
    (project / "pkg" / ".env").write_text("SECRET=hunter2\n")
    tok = token()
    result = await srv.call(
        prompt=f"Explain a.py {tok}",
        cli="text",
        role="tester",
        files=[str(project / "a.py"), str(project / "pkg")],
        working_dir=str(project),
    )
    body = ok(result)
    assert body["answer"] == "TEXT ANSWER from the fake CLI\nsecond line"
    assert body["cli"] == "text" and body["role"] == "tester" and body["working_dir"] == str(project)
    assert body["exit_code"] == 0 and uuid.UUID(body["continuation_id"])
    assert "usage" not in body and "cost_usd" not in body  # a text CLI reports none
    assert body["files"]["passed"] == [str(project / "a.py"), str(project / "pkg" / "b.py")]
    assert [(s["path"], s["kind"]) for s in body["files"]["skipped"]] == [(str(project / "pkg" / ".env"), "secret")]
    rendered = text(result)
    assert rendered.startswith("TEXT ANSWER from the fake CLI\nsecond line\n\n---\nclink: text (tester) in ")
    assert f"continuation_id: {body['continuation_id']}" in rendered

    run = record_with(srv.record, tok)
    assert run["cwd"] == str(project)
    assert run["marker"] == "from-clink-env"  # the CLI's `env` additions
    assert run["argv"] == []  # no args configured: the prompt came on stdin
    stdin = run["stdin"]
    assert stdin.startswith("TESTER ROLE PROMPT: be brief.\n\n=== FILES ===")
    assert f"- {project / 'a.py'}\n- {project / 'pkg' / 'b.py'}\n=== END FILES ===" in stdin
    assert stdin.endswith(f"=== REQUEST ===\nExplain a.py {tok}")
    assert ".env" not in stdin and "hunter2" not in stdin


async def test_gemini_json_answer_usage_and_session(srv: Server) -> None:
    tok = token()
    result = await srv.call(prompt=f"Plan the cache {tok}", cli="gemini", role="planner")
    body = ok(result)
    assert body["answer"] == "GEMINI ANSWER: the cache key ignores the tenant."
    assert body["session_id"] == "gem-session-1" and body["resumed"] is False
    assert body["model_used"] == "gemini-2.5-pro"
    assert body["usage"] == {"prompt_tokens": 1200, "completion_tokens": 100, "total_tokens": 1300}
    assert "cost_usd" not in body  # Gemini's JSON reports no price
    run = record_with(srv.record, tok)
    assert run["argv"] == ["--output-format", "json"]  # the shipped arguments
    assert run["stdin"].startswith("You are a planning agent")  # the shipped planner role
    assert "1,300 tokens" in text(result) and "gemini-2.5-pro" in text(result)


async def test_codex_jsonl_last_agent_message_and_usage(srv: Server) -> None:
    tok = token()
    body = ok(await srv.call(prompt=f"Review a.py {tok}", cli="codex", role="codereviewer"))
    assert body["answer"] == "CODEX ANSWER: a.py has an off-by-one in line 3."
    assert body["session_id"] == "codex-thread-1"
    assert body["usage"] == {"prompt_tokens": 2400, "completion_tokens": 120, "total_tokens": 2520}
    assert "model_used" not in body  # codex's events name no model
    run = record_with(srv.record, tok)
    assert run["argv"] == ["exec", "--json", "--skip-git-repo-check", "-"]
    assert run["stdin"].startswith("You are a code reviewer")


async def test_claude_json_cost_is_recorded_as_usage(srv: Server) -> None:
    tok = token()
    body = ok(await srv.call(prompt=f"Plan {tok}", cli="claude"))
    assert body["answer"] == "CLAUDE ANSWER: plan in three steps."
    assert body["cost_usd"] == pytest.approx(0.0123)
    assert body["usage"] == {"prompt_tokens": 2010, "completion_tokens": 200, "total_tokens": 2210}
    assert body["model_used"] == "claude-sonnet-fake" and body["session_id"] == "claude-session-1"
    assert record_with(srv.record, tok)["argv"] == ["-p", "--output-format", "json"]
    # ctx.record_usage put the CLI's own usage into Zen's metrics, under the model it named.
    async with httpx.AsyncClient() as http:
        metrics = (await http.get(f"{srv.server.base_url}/metrics")).text
    assert metric(metrics, "zen_llm_cost_usd_total", model="claude-sonnet-fake") == pytest.approx(0.0123)
    assert metric(metrics, "zen_llm_tokens_total", model="claude-sonnet-fake", kind="completion") == 200
    assert metric(metrics, "zen_llm_tokens_total", model="claude-sonnet-fake", kind="prompt") == 2010


def metric(exposition: str, name: str, **labels: str) -> float | None:
    """The value of the sample ``name`` with exactly these labels (any order) in a Prometheus exposition."""
    for line in exposition.splitlines():
        match = re.fullmatch(name + r"\{(.*)\} (\S+)", line)
        if match and dict(re.findall(r'(\w+)="([^"]*)"', match.group(1))) == labels:
            return float(match.group(2))
    return None


async def test_opencode_jsonl_answer_is_the_last_step(srv: Server) -> None:
    body = ok(await srv.call(prompt="Check it", cli="opencode"))
    assert body["answer"] == "OPENCODE ANSWER: all good."
    assert body["session_id"] == "ses_fake1"
    assert body["usage"] == {"prompt_tokens": 800, "completion_tokens": 45, "total_tokens": 845}
    assert body["cost_usd"] == pytest.approx(0.003)


async def test_prompt_file_placeholder_and_cleanup(srv: Server) -> None:
    tok = token()
    body = ok(await srv.call(prompt=f"From a file {tok}", cli="promptfile"))
    run = record_with(srv.record, tok)
    assert run["argv"] == ["--prompt-file", run["prompt_file"]] and run["stdin"] == ""
    assert run["prompt_file_content"].endswith(f"=== REQUEST ===\nFrom a file {tok}")
    assert body["answer"] == f"PROMPT FILE ANSWER: {len(run['prompt_file_content'])}"
    assert not await anyio.Path(run["prompt_file"]).exists()  # the temporary file is gone


# -- continuation ------------------------------------------------------------------------------
async def test_continuing_resumes_the_cli_session(srv: Server) -> None:
    first_tok, second_tok = token(), token()
    first = ok(await srv.call(prompt=f"First look {first_tok}", cli="codex", role="codereviewer"))
    cid = first["continuation_id"]
    second = ok(
        await srv.call(prompt=f"Now the tests {second_tok}", cli="codex", role="codereviewer", continuation_id=cid)
    )
    assert second["continuation_id"] == cid and second["resumed"] is True
    assert second["session_id"] == "codex-thread-1"
    run = record_with(srv.record, second_tok)
    assert run["argv"] == ["exec", "--json", "--skip-git-repo-check", "resume", "codex-thread-1", "-"]
    # The session already holds the role prompt and the first exchange: only the new request is sent.
    assert run["stdin"] == f"=== REQUEST ===\nNow the tests {second_tok}"
    # Another working directory cannot resume that session: the history is sent instead.
    third_tok = token()
    other = srv.project("elsewhere")
    third = ok(
        await srv.call(prompt=f"Elsewhere {third_tok}", cli="codex", continuation_id=cid, working_dir=str(other))
    )
    assert third["resumed"] is False
    stdin = record_with(srv.record, third_tok)["stdin"]
    assert f"First look {first_tok}" in stdin and "CODEX ANSWER" in stdin
    assert stdin.index("=== EARLIER CONVERSATION") < stdin.index(f"=== REQUEST ===\nElsewhere {third_tok}")


async def test_chat_continues_a_clink_conversation(srv: Server) -> None:
    tok = token()
    first = ok(await srv.call(prompt=f"Review the cache {tok}", cli="gemini", role="codereviewer"))
    async with srv.client() as client:
        answer = await client.call_tool(
            "chat", {"prompt": "What did gemini find?", "continuation_id": first["continuation_id"]}
        )
        assert ok(answer)["continuation_id"] == first["continuation_id"]
    seen = json.dumps(srv.fake.last_request(srv.chat_model))
    assert f"Review the cache {tok}" in seen
    assert "GEMINI ANSWER: the cache key ignores the tenant." in seen


async def test_clink_continues_a_chat_conversation(srv: Server) -> None:
    tok = token()
    async with srv.client() as client:
        started = ok(await client.call_tool("chat", {"prompt": f"Should we shard the cache? {tok}"}))
    cid = started["continuation_id"]
    second_tok = token()
    body = ok(await srv.call(prompt=f"Check it in the code {second_tok}", cli="gemini", continuation_id=cid))
    assert body["continuation_id"] == cid and body["resumed"] is False
    stdin = record_with(srv.record, second_tok)["stdin"]
    assert "=== EARLIER CONVERSATION ===" in stdin
    assert f"Should we shard the cache? {tok}" in stdin  # the chat question
    assert "--- assistant (buddy via chat) ---" in stdin  # and chat's answer
    assert stdin.endswith(f"=== REQUEST ===\nCheck it in the code {second_tok}")


# -- failures ----------------------------------------------------------------------------------
async def test_timeout_kills_the_cli_and_its_child(srv: Server, tmp_path: Path) -> None:
    pidfile = tmp_path / "pids.json"
    result = await srv.call(prompt=f"Hang PIDFILE={pidfile}", cli="hang", timeout_s=1.5)
    err = error(result)
    assert err["code"] == "cli_timeout" and err["timeout_s"] == 1.5
    assert "CLI 'hang' did not finish within 1.5 s and was stopped (its whole process group)" in text(result)
    assert "thinking very hard..." in text(result)  # the stderr tail
    pids = wait_for_file(pidfile)
    # Both ignore SIGTERM: only the SIGKILL to the group stops them, and it did before clink answered.
    assert not alive(pids["cli"]) and not alive(pids["child"])


@pytest.mark.parametrize("transport", ["http", "stdio"])
async def test_cancelling_the_call_kills_the_process_group(
    srv: Server, tmp_path: Path, transport: str, zen_env: dict[str, str]
) -> None:
    pidfile = tmp_path / "pids.json"
    args = {"prompt": f"Hang PIDFILE={pidfile}", "cli": "hang", "working_dir": str(srv.root), "timeout_s": 120}

    async def abandon(client: Any) -> None:
        pids: dict[str, int] = {}

        async def cancel_when_running(scope: anyio.CancelScope) -> None:
            pids.update(await anyio.to_thread.run_sync(wait_for_file, pidfile))
            assert alive(pids["cli"]) and alive(pids["child"])  # the CLI and its child are running
            scope.cancel()

        async with anyio.create_task_group() as tg:
            with anyio.move_on_after(60) as scope:
                tg.start_soon(cancel_when_running, scope)
                await client.call_tool("clink", args)
        assert scope.cancelled_caught
        assert await anyio.to_thread.run_sync(wait_gone, [pids["cli"], pids["child"]]) == []
        # The connection stays usable after the cancellation.
        assert not (await client.call_tool("clink", {**args, "prompt": "hi", "cli": "text"})).is_error

    if transport == "http":
        async with srv.client() as client:
            await abandon(client)
    else:
        from zen_core.testing.mcp import stdio_client

        env = {**zen_env, "ZEN_CONFIG_DIR": str(srv.server.env["ZEN_CONFIG_DIR"])}
        async with stdio_client(env) as client:
            await abandon(client)


async def test_nonzero_exit_names_cli_code_and_stderr_tail(srv: Server) -> None:
    result = await srv.call(prompt="Fail please", cli="fail")
    err = error(result)
    assert err["code"] == "cli_failed" and err["cli"] == "fail" and err["exit_code"] == 3
    message = text(result)
    assert re.match(r"CLI 'fail' \(\S+fake-fail\) exited with code 3\.\nLast standard error:\n…", message)
    assert message.rstrip().endswith("FATAL: invalid API key for the fake provider")
    assert "debug noise line 0\n" not in message  # only the tail is kept


async def test_stderr_chatter_does_not_fail_a_successful_run(srv: Server) -> None:
    result = await srv.call(prompt="Quiet", cli="noisy")
    body = ok(result)
    assert body["answer"] == "QUIET ANSWER despite the warnings"
    assert "telemetry" not in text(result) and "notes" not in body


async def test_flooding_output_is_capped_and_reported(srv: Server) -> None:
    result = await srv.call(prompt="Flood", cli="flood")
    body = ok(result)
    written = 640 * len("FLOOD " * 10922 + "\n")
    truncated = body["truncated"]
    kept = truncated.pop("answer_chars")
    assert truncated == {
        "stdout_bytes": written,
        "dropped_bytes": written - MAX_OUTPUT,
        "max_output_bytes": MAX_OUTPUT,
        "answer_kept_chars": 90_000,
    }
    assert MAX_OUTPUT < kept < MAX_OUTPUT + 100  # what was kept of stdout, plus the marker line
    assert len(body["answer"]) == 90_000 and body["answer"].startswith("FLOOD FLOOD ")
    assert f"The CLI wrote {written:,} bytes; {written - MAX_OUTPUT:,} were dropped" in body["notes"][0]
    assert f"The answer had {kept:,} characters; the first 90,000 are returned." in body["notes"][1]
    assert "were dropped" in text(result)


async def test_missing_executable_says_what_and_how_to_configure(srv: Server) -> None:
    err = error(await srv.call(prompt="hi", cli="ghost"))
    assert err["code"] == "cli_not_found" and err["command"] == "zen-no-such-cli-9f2c"
    assert "CLI 'ghost': command 'zen-no-such-cli-9f2c' was not found on PATH" in err["message"]
    assert "set plugins.zen-tool-clink.clis.ghost.command to its full path" in err["message"]


async def test_unknown_cli_and_role_list_the_choices(srv: Server) -> None:
    err = error(await srv.call(prompt="hi", cli="nope"))
    assert "Unknown CLI 'nope'. Configured: " in err["message"] and "gemini" in err["message"]
    err = error(await srv.call(prompt="hi", cli="text", role="poet"))
    assert "Unknown role 'poet' for CLI 'text'. Roles: codereviewer, default, planner, tester" in err["message"]


async def test_bad_arguments_name_the_field(srv: Server) -> None:
    err = error(await srv.call(prompt="", cli="text", timeout_s=0))
    fields = {e["field"] for e in err["errors"]}
    assert fields == {"prompt", "timeout_s"}


# -- the shared path rules -----------------------------------------------------------------------
async def test_working_dir_outside_the_roots_is_refused(srv: Server) -> None:
    before = len(records(srv.record))
    result = await srv.call(prompt="hi", cli="text", working_dir=str(srv.outside))
    err = error(result)
    assert err["code"] == "path_refused" and err["refused"][0]["kind"] == "outside_roots"
    assert f'Refused "working_dir" (the CLI was not started):\n- {srv.outside}: outside the allowed roots' in text(
        result
    )
    assert len(records(srv.record)) == before


@pytest.mark.parametrize(
    ("kind", "message"), [("file", "is a file; pass a directory"), ("missing", "no such file or directory")]
)
async def test_working_dir_must_be_an_existing_directory(srv: Server, kind: str, message: str) -> None:
    target = srv.project("wd") / ("a-file.txt" if kind == "file" else "missing")
    if kind == "file":
        target.write_text("x\n")
    result = await srv.call(prompt="hi", cli="text", working_dir=str(target))
    assert result.is_error and message in text(result)


async def test_secret_file_is_refused_and_never_read(srv: Server) -> None:
    project = srv.project("secret")
    secret = project / ".env.production"
    secret.write_text("API_TOKEN=hunter2\n")
    (project / "ok.py").write_text("ok\n")
    before = len(records(srv.record))
    result = await srv.call(prompt="hi", cli="text", files=[str(project / "ok.py"), str(secret)])
    err = error(result)
    assert err["code"] == "path_refused" and [r["kind"] for r in err["refused"]] == ["secret"]
    assert f"- {secret}: secret file" in text(result)
    assert len(records(srv.record)) == before  # the CLI never ran


# -- progress ----------------------------------------------------------------------------------
async def test_heartbeats_report_elapsed_time(srv: Server) -> None:
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total, message))

    ok(await srv.call(on_progress, prompt="slowly", cli="slow", timeout_s=30))
    messages = [m or "" for _, _, m in updates]
    assert messages[0] == f"clink · slow (default) · starting in {srv.root}"
    beats = [m for m in messages if " · running " in m]
    assert len(beats) >= 3 and all(re.fullmatch(r"clink · slow \(default\) · running \d+s of 30s", b) for b in beats)
    assert messages[-1] == "clink · slow answered"
    progress = [p for p, _, _ in updates]
    assert progress == sorted(progress) and len(set(progress)) == len(progress)
    assert {t for _, t, _ in updates} == {30}


async def test_tool_listing(srv: Server) -> None:
    async with srv.client() as client:
        tool = next(t for t in (await client.list_tools()).tools if t.name == "clink")
    assert tool.annotations is not None
    annotations = tool.annotations
    assert (annotations.read_only_hint, annotations.destructive_hint) == (False, True)
    assert (annotations.idempotent_hint, annotations.open_world_hint) == (False, True)
    assert tool.input_schema["required"] == ["prompt"] and tool.input_schema["additionalProperties"] is False
    assert set(tool.input_schema["properties"]) == {
        "prompt",
        "cli",
        "role",
        "files",
        "working_dir",
        "background",
        "continuation_id",
        "timeout_s",
    }
    answer, handle = tool.output_schema["properties"]["data"]["anyOf"]  # the answer, or a background job
    assert handle["required"] == ["job_id"]
    assert answer["required"] == [
        "answer",
        "continuation_id",
        "cli",
        "role",
        "working_dir",
    ]
    assert tool.meta == {"anthropic/maxResultSizeChars": 100_000}
    size = len(
        json.dumps(
            {"name": tool.name, "description": tool.description, "inputSchema": tool.input_schema},
            separators=(",", ":"),
        )
    )
    assert size // 4 <= 300  # the budget of `zen tools`
