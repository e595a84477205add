"""Background jobs: a long call returns a job id at once (asked, or by itself past
``jobs.auto_background_after_s``); ``jobs`` shows progress, partial results and the result from any
instance; ``cancel_job`` stops it; a job belongs to the key that started it."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
from typing import Any

import jsonschema
import pytest

from zen_core.builtins.keys import KeyFile
from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import HTTPServerProcess, finished_job, http_client, server_env, stdio_client, zen_command
from zen_core.testing.pytest_plugin import ZenConfig
from zen_core.testing.redis_server import RedisServer
from zen_core.testing.waiting import wait_until

pytestmark = pytest.mark.zen_plugins("zen-tool-chat", "zen-tool-consensus")
ERAS = [pytest.param({"mode": "legacy"}, id="legacy"), pytest.param({}, id="2026-07-28")]


def data(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content[0].text
    return dict(result.structured_content["data"])


#: ``tool(arg="…", …)``: how Zen's texts name a call the agent can make.
NAMED_CALL = re.compile(r"\b([a-z_]+)\(([^()]*)\)")
NAMED_ARGUMENT = re.compile(r"\b([a-z_]+)\s*=")


def named_tools(text: str, tools: dict[str, Any]) -> set[str]:
    """The tools ``text`` tells the agent to call; fails on a tool or an argument ``tools`` (tools/list by name)
    does not have, and on an argument named outside a call (which tool would take it?)."""
    loose = NAMED_ARGUMENT.findall(NAMED_CALL.sub("", text))
    assert loose == [], f"arguments named outside a tool call: {loose} in {text!r}"
    named = set()
    for tool, arguments in NAMED_CALL.findall(text):
        assert tool in tools, f"{tool}() in {text!r} is not in tools/list"
        unknown = set(NAMED_ARGUMENT.findall(arguments)) - set(tools[tool].input_schema.get("properties", {}))
        assert not unknown, f"{tool}() has no argument {sorted(unknown)} (in {text!r})"
        named.add(tool)
    return named


@pytest.mark.parametrize("era", ERAS)
async def test_a_background_call_returns_at_once_and_its_result_later(
    zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM, era: dict[str, Any]
) -> None:
    slow = fake_llm.model("bg", text="the considered answer", latency_s=2)
    zen_config.write("models.yaml", {"models": {"m": fake_llm.entry(slow)}})
    async with stdio_client(zen_env, **era) as client:
        chat = next(t for t in (await client.list_tools()).tools if t.name == "chat")
        assert chat.input_schema["properties"]["background"]["type"] == "boolean"
        handle = data(await client.call_tool("chat", {"prompt": "take your time", "model": "m", "background": True}))
        assert handle["status"] == "running" and handle["tool"] == "chat" and fake_llm.calls(slow) <= 1
        running = data(await client.call_tool("jobs", {"job_id": handle["job_id"]}))
        assert running["status"] == "running"
        job = await finished_job(client, handle["job_id"])
        listed = data(await client.call_tool("jobs", {}))["jobs"]
        bad = await client.call_tool("chat", {"prompt": "x", "model": "m", "background": "yes"})
    assert job["status"] == "done"
    assert job["result"]["structured"]["data"]["answer"] == "the considered answer"
    assert "the considered answer" in job["result"]["text"]
    assert [j["job_id"] for j in listed] == [handle["job_id"]]
    assert bad.is_error and "background: must be true or false" in bad.content[0].text


async def test_a_call_outrunning_the_limit_becomes_a_job_by_itself(
    zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM
) -> None:
    slow = fake_llm.model("auto", text="worth the wait", latency_s=3)
    quick = fake_llm.model("auto-quick", text="fast")
    zen_config.write("models.yaml", {"models": {"m": fake_llm.entry(slow), "q": fake_llm.entry(quick)}})
    zen_config.write("jobs.yaml", {"jobs": {"auto_background_after_s": 1}})
    async with HTTPServerProcess(zen_env) as server, http_client(server.url) as client:
        handle = data(await client.call_tool("chat", {"prompt": "slow one", "model": "m"}))
        assert set(handle) >= {"job_id", "status"} and "answer" not in handle
        job = await finished_job(client, handle["job_id"])
        direct = data(await client.call_tool("chat", {"prompt": "quick one", "model": "q"}))  # LiteLLM loaded now
    assert direct["answer"] == "fast"  # a call within the limit is answered directly
    assert job["result"]["structured"]["data"]["answer"] == "worth the wait"


@pytest.mark.redis
async def test_any_instance_reports_and_cancels_a_job_and_only_for_its_key(
    zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM
) -> None:
    fast = fake_llm.model("fast", text="Yes.\nPOSITION: support")
    stuck = fake_llm.model("stuck", text="never", latency_s=60)
    zen_config.write("models.yaml", {"models": {"fast": fake_llm.entry(fast), "stuck": fake_llm.entry(stuck)}})
    keys = KeyFile(zen_config.dir)
    alice, bob = keys.add("alice"), keys.add("bob")
    with RedisServer() as redis:
        env = {**zen_env, "ZEN_REDIS_URL": redis.url}
        async with HTTPServerProcess(env) as a, HTTPServerProcess(env) as b:
            async with http_client(a.url, api_key=alice) as on_a:
                arguments = {"prompt": "ship?", "models": ["fast", "stuck"], "background": True}
                handle = data(await on_a.call_tool("consensus", arguments))
            job_id = handle["job_id"]
            async with http_client(b.url, api_key=alice) as on_b:

                async def fast_answered() -> bool:
                    return "fast" in data(await on_b.call_tool("jobs", {"job_id": job_id}))["partial"]

                await wait_until(fast_answered, "instance b sees the fast model's answer")
                partial = data(await on_b.call_tool("jobs", {"job_id": job_id}))
                async with http_client(b.url, api_key=bob) as bobs:
                    theirs = await bobs.call_tool("jobs", {"job_id": job_id})
                    their_cancel = await bobs.call_tool("cancel_job", {"job_id": job_id})
                stopping = data(await on_b.call_tool("cancel_job", {"job_id": job_id}))
                job = await finished_job(on_b, job_id)
    assert partial["status"] == "running" and partial["progress"] == "1/2 initial answers"
    assert partial["partial"]["fast"]["answer"].startswith("Yes.")
    for refused in (theirs, their_cancel):
        assert refused.is_error and refused.structured_content["data"]["error"]["code"] == "job_not_found"
    assert stopping["status"] == "cancelling"
    assert job["status"] == "cancelled" and "was cancelled" in job["result"]["text"]


async def test_every_tool_and_argument_a_job_text_names_exists(
    zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM
) -> None:
    stuck = fake_llm.model("hint", text="never", latency_s=60)
    zen_config.write("models.yaml", {"models": {"m": fake_llm.entry(stuck)}})
    async with stdio_client(zen_env) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        handle = await client.call_tool("chat", {"prompt": "slow", "model": "m", "background": True})
        job_id = data(handle)["job_id"]
        texts = [handle.content[0].text]
        texts.append((await client.call_tool("jobs", {"job_id": job_id})).content[0].text)
        texts.append((await client.call_tool("cancel_job", {"job_id": job_id})).content[0].text)
        await finished_job(client, job_id)
        texts.append((await client.call_tool("cancel_job", {"job_id": job_id})).content[0].text)
        for tool in ("jobs", "cancel_job"):
            unknown = await client.call_tool(tool, {"job_id": "no-such-job"})
            assert unknown.structured_content["data"]["error"]["code"] == "job_not_found"
            texts.append(unknown.content[0].text)
    named = set().union(*(named_tools(text, tools) for text in texts))
    assert named == {"jobs", "cancel_job"}


async def zen_call(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = zen_command("call", *args)
    return await asyncio.to_thread(
        subprocess.run, command, env=server_env(env), capture_output=True, text=True, timeout=120, check=False
    )


async def test_zen_call_runs_in_the_foreground_and_leaves_no_job(
    zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM
) -> None:
    """A one-shot process cannot keep a job alive: ``zen call`` waits for the answer, asked or not."""
    slow = fake_llm.model("cli", text="answered in the foreground", latency_s=2)
    zen_config.write("models.yaml", {"models": {"m": fake_llm.entry(slow)}})
    zen_config.write("jobs.yaml", {"jobs": {"auto_background_after_s": 0.2}})
    asked = await zen_call(zen_env, "chat", "--arg", "prompt=one", "--arg", "model=m", "--arg", "background=true")
    past_limit = await zen_call(zen_env, "chat", "--arg", "prompt=two", "--arg", "model=m")
    async with stdio_client(zen_env) as client:
        jobs = data(await client.call_tool("jobs", {}))["jobs"]
    assert asked.returncode == 0 and "answered in the foreground" in asked.stdout, asked.stdout + asked.stderr
    assert "zen call runs in the foreground" in asked.stderr
    assert past_limit.returncode == 0 and "answered in the foreground" in past_limit.stdout, past_limit.stderr
    assert "zen call runs in the foreground" not in past_limit.stderr
    assert jobs == []


async def test_a_job_cut_by_a_clean_shutdown_is_recorded_as_interrupted(
    zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM
) -> None:
    stuck = fake_llm.model("shutdown", text="never", latency_s=60)
    zen_config.write("models.yaml", {"models": {"m": fake_llm.entry(stuck)}})
    async with stdio_client(zen_env) as client:
        job_id = data(await client.call_tool("chat", {"prompt": "slow", "model": "m", "background": True}))["job_id"]

        async def asked() -> bool:
            return fake_llm.calls(stuck) > 0

        await wait_until(asked, "the model is asked")
    # the client closed stdin: the server stopped; a new one on the same data dir reports the job
    async with stdio_client(zen_env) as client:
        job = data(await client.call_tool("jobs", {"job_id": job_id}))
        text = (await client.call_tool("jobs", {"job_id": job_id})).content[0].text
    assert job["status"] == "failed"
    assert job["result"]["structured"]["data"]["error"]["code"] == "interrupted"
    assert "Interrupted: the server stopped" in text and "Run the call again" in text


STORES = [pytest.param(False, id="sqlite"), pytest.param(True, id="redis", marks=pytest.mark.redis)]


@pytest.mark.parametrize("shared", STORES)
async def test_a_job_whose_server_was_killed_reads_lost_with_its_partial_results(
    zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM, shared: bool, request: pytest.FixtureRequest
) -> None:
    fast = fake_llm.model("fast", text="Yes.\nPOSITION: support")
    stuck = fake_llm.model("stuck", text="never", latency_s=120)
    zen_config.write("models.yaml", {"models": {"fast": fake_llm.entry(fast), "stuck": fake_llm.entry(stuck)}})
    zen_config.write("jobs.yaml", {"jobs": {"stale_after_s": 3}})
    env = {**zen_env, "ZEN_REDIS_URL": request.getfixturevalue("redis_url")} if shared else zen_env
    arguments = {"prompt": "ship?", "models": ["fast", "stuck"], "background": True}
    async with HTTPServerProcess(env) as doomed:
        async with http_client(doomed.url) as client:
            job_id = data(await client.call_tool("consensus", arguments))["job_id"]
            job: dict[str, Any] = {}

            async def alive_while_silent() -> bool:
                job.update(data(await client.call_tool("jobs", {"job_id": job_id})))
                quiet_for = job["updated_at"] - job["created_at"]
                return job["status"] == "running" and "fast" in job["partial"] and quiet_for > 3

            # the stuck model says nothing for minutes: the job stays running past stale_after_s all the same
            await wait_until(alive_while_silent, "the running job is kept alive past stale_after_s")
        doomed.stop(signal.SIGKILL)
    async with HTTPServerProcess(env) as survivor, http_client(survivor.url) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}

        async def lost() -> bool:
            job.update(data(await client.call_tool("jobs", {"job_id": job_id})))
            return job["status"] == "lost"

        await wait_until(lost, "the killed server's job reads lost")
        text = (await client.call_tool("jobs", {"job_id": job_id})).content[0].text
        listed = data(await client.call_tool("jobs", {}))["jobs"]
        cancel = await client.call_tool("cancel_job", {"job_id": job_id})
    assert job["partial"]["fast"]["answer"].startswith("Yes.")
    assert job["result"]["structured"]["data"]["error"]["code"] == "job_lost"
    assert "stopped" in text and "partial results are kept" in text and "Run the call again" in text
    assert "- fast: " in text  # the partial results are shown too
    named_tools(text, tools)
    assert [(j["job_id"], j["status"]) for j in listed] == [(job_id, "lost")]
    assert data(cancel)["status"] == "lost" and "already ended (lost)" in cancel.content[0].text


async def test_a_key_limited_to_chat_follows_and_cancels_its_own_jobs_and_no_one_elses(
    zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM
) -> None:
    stuck = fake_llm.model("keyed", text="never", latency_s=60)
    zen_config.write("models.yaml", {"models": {"m": fake_llm.entry(stuck)}})
    keys = KeyFile(zen_config.dir)
    alice, bob = keys.add("alice", tools=["chat"]), keys.add("bob", tools=["chat"])
    async with HTTPServerProcess(zen_env) as server:
        async with http_client(server.url, api_key=alice) as client:
            job_id = data(await client.call_tool("chat", {"prompt": "x", "model": "m", "background": True}))["job_id"]
            running = data(await client.call_tool("jobs", {"job_id": job_id}))
            mine = data(await client.call_tool("jobs", {}))["jobs"]
            version = await client.call_tool("version", {})
        async with http_client(server.url, api_key=bob) as client:
            theirs = await client.call_tool("jobs", {"job_id": job_id})
            their_cancel = await client.call_tool("cancel_job", {"job_id": job_id})
            their_list = data(await client.call_tool("jobs", {}))["jobs"]
        async with http_client(server.url, api_key=alice) as client:
            stopping = data(await client.call_tool("cancel_job", {"job_id": job_id}))
            job = await finished_job(client, job_id)
    assert running["status"] == "running" and [j["job_id"] for j in mine] == [job_id]
    assert version.is_error and version.structured_content["data"]["error"]["code"] == "forbidden_tool"
    for refused in (theirs, their_cancel):
        assert refused.is_error and refused.structured_content["data"]["error"]["code"] == "job_not_found"
    assert their_list == []
    assert stopping["status"] == "cancelling" and job["status"] == "cancelled"


async def test_partial_results_read_as_json_and_a_job_carries_its_call_ids(
    zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM
) -> None:
    fast = fake_llm.model("ids-fast", text="Yes, it's fine.\nPOSITION: support")
    slow = fake_llm.model("ids-slow", text="Also yes.\nPOSITION: support", latency_s=4)
    zen_config.write("models.yaml", {"models": {"fast": fake_llm.entry(fast), "slow": fake_llm.entry(slow)}})
    arguments = {"prompt": "ship?", "models": ["fast", "slow"], "background": True}
    async with stdio_client(zen_env) as client:
        handle = await client.call_tool("consensus", arguments)
        job_id = data(handle)["job_id"]
        seen: dict[str, Any] = {}

        async def fast_answered() -> bool:
            result = await client.call_tool("jobs", {"job_id": job_id})
            seen.update(data(result), text=result.content[0].text)
            return "fast" in seen["partial"] and seen["status"] == "running"

        await wait_until(fast_answered, "the fast model's answer is a partial result")
        job = await finished_job(client, job_id)
    shown = next(line for line in seen["text"].splitlines() if line.startswith("- fast: "))
    assert json.loads(shown.removeprefix("- fast: ")) == seen["partial"]["fast"]
    ids = handle.structured_content
    assert ids["request_id"] and ids["metadata"]["trace_id"]
    assert job["status"] == "done"
    result = job["result"]["structured"]
    assert (result["request_id"], result["metadata"]["trace_id"]) == (ids["request_id"], ids["metadata"]["trace_id"])


BUILTINS = ("listmodels", "version", "threads", "usage", "jobs", "cancel_job")


@pytest.mark.parametrize("era", ERAS)
async def test_every_built_in_tool_declares_an_output_schema_its_results_follow(
    zen_env: dict[str, str], zen_config: ZenConfig, fake_llm: FakeLLM, era: dict[str, Any]
) -> None:
    stuck = fake_llm.model("schema", text="never", latency_s=60)
    zen_config.write("models.yaml", {"models": {"m": fake_llm.entry(stuck)}})
    async with stdio_client(zen_env, **era) as client:  # the client checks each result against the schema too
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        job_id = data(await client.call_tool("chat", {"prompt": "x", "model": "m", "background": True}))["job_id"]
        calls = [(name, {}) for name in ("listmodels", "version", "threads", "usage", "jobs")]
        calls += [("jobs", {"job_id": job_id}), ("cancel_job", {"job_id": job_id})]
        results = [(name, await client.call_tool(name, arguments)) for name, arguments in calls]
        await finished_job(client, job_id)
        results.append(("jobs", await client.call_tool("jobs", {"job_id": job_id})))  # with its result
    for name, result in results:
        schema = tools[name].output_schema
        assert schema is not None, f"{name} has no outputSchema"
        assert not result.is_error, result.content[0].text
        jsonschema.validate(result.structured_content, schema)
    sizes = {name: len(json.dumps(tools[name].output_schema, separators=(",", ":"))) for name in BUILTINS}
    assert sum(sizes.values()) < 1600, sizes  # every byte is in tools/list
