"""MCP-level figures: cold start, per-call overhead, concurrency, schema cost and memory.

Everything runs against :class:`bench.FakeLLMProcess` (loopback, its own process) with the
references measured in the same run: a minimal MCP SDK server (``bench/reference_server.py``) for
cold start, a bare ``litellm.Router`` in this process for calls, LiteLLM alone for memory.
Calls go to ``chat`` when it is installed, else to ``bench_llm`` (defined below and loaded into the
server with ``ZEN_EXTRA_PLUGINS=bench.bench_mcp``): one ``ctx.llm.complete`` and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field

from bench import ROOT, FakeLLMProcess, Report, percentile, rss_mb
from zen_core import Tool, ToolContext, ToolRequest, ToolResponse, hookimpl
from zen_core.services import settle_heap

FAST, SLOW = "bench-fast", "bench-slow"  # 0 ms and 200 ms models
ORIGINAL_TOOLS_CHARS, ORIGINAL_TOOLS_TOKENS = 30_729, 7_700


@dataclass(frozen=True)
class Sizes:
    cold_runs: int
    calls: int
    concurrency: tuple[int, ...]
    memory_calls: int
    settle_s: float

    @classmethod
    def pick(cls, quick: bool) -> Sizes:
        return cls(1, 10, (1, 5), 40, 3.0) if quick else cls(5, 200, (1, 10, 100, 500), 2000, 15.0)


# -- the fallback tool, loaded into the server when chat is not installed ------------------------
class _PingRequest(ToolRequest):
    prompt: str = Field(description="Prompt")
    model: str = Field(description="Model name")


class BenchLLMTool(Tool[_PingRequest]):
    name = "bench_llm"
    description = "Benchmark helper: one completion, nothing else."
    request_model = _PingRequest

    async def execute(self, request: _PingRequest, ctx: ToolContext) -> ToolResponse:
        done = await ctx.llm.complete(request.model, [{"role": "user", "content": request.prompt}])
        return ToolResponse(data={"text": done.text}, text=done.text)


@hookimpl
def register_tools(register: Callable[[Tool[Any]], None]) -> None:
    register(BenchLLMTool())


# -- environment ---------------------------------------------------------------------------------
def _zen_env(tmp: Path, fake: FakeLLMProcess, *, extra: bool) -> dict[str, str]:
    from zen_core.testing.mcp import server_env

    config, data = tmp / "config", tmp / "data"
    config.mkdir(exist_ok=True)
    data.mkdir(exist_ok=True)
    # a model with web search, so that apilookup (offered only then) is listed and counted too
    models = {"models": {FAST: fake.entry(FAST), SLOW: {**fake.entry(SLOW), "supports_web_search": True}}}
    (config / "models.yaml").write_text(json.dumps(models))  # JSON is YAML
    # the per-call log line is part of the cost; to a file, so stdio runs keep the terminal readable
    (config / "logging.yaml").write_text(json.dumps({"logging": {"file": str(tmp / "calls.log")}}))
    env = {
        "ZEN_CONFIG_DIR": str(config),
        "ZEN_DATA_DIR": str(data),
        "ZEN_LOG_LEVEL": "WARNING",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_OFFLINE_MODE": "true",
        "PYTHONPATH": str(ROOT),
    }
    if extra:
        env["ZEN_EXTRA_PLUGINS"] = "bench.bench_mcp"
    return server_env(env)


def _call(tool: str, model: str, i: int) -> tuple[str, dict[str, Any]]:
    return tool, {"prompt": f"benchmark call {i}: reply ok", "model": model}


# -- cold start + schema -------------------------------------------------------------------------
async def spawn_to_tools_list(cmd: list[str], env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    """Seconds from spawn to the ``tools/list`` answer (raw JSON-RPC, all requests piped at once)."""
    from zen_core.testing.mcp import list_tools_handshake

    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        *cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, limit=1 << 24
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(list_tools_handshake())
        await proc.stdin.drain()
        async with asyncio.timeout(60):
            while line := await proc.stdout.readline():
                message = json.loads(line)
                if message.get("id") == 2:
                    return time.perf_counter() - started, message["result"]
        raise RuntimeError(f"{cmd} exited without answering tools/list")
    finally:
        proc.stdin.close()
        try:
            async with asyncio.timeout(10):
                await proc.wait()
        except TimeoutError:
            proc.kill()
            await proc.wait()


def count_tokens(text: str) -> tuple[int, str]:
    """Tokens by tiktoken's cl100k_base from LiteLLM's bundled files (offline), else chars/4."""
    import importlib.util

    spec = importlib.util.find_spec("litellm")
    bundled = Path(next(iter(spec.submodule_search_locations or []), "")) if spec else None
    try:
        if bundled is not None:
            os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(bundled / "litellm_core_utils" / "tokenizers"))
        import tiktoken

        return len(tiktoken.get_encoding("cl100k_base").encode(text)), "cl100k_base"
    except Exception:
        return len(text) // 4, "chars/4"


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


async def cold_start_and_schema(report: Report, env: dict[str, str], runs: int) -> list[str]:
    """Report cold start and schema cost; returns the names of the tools listed."""
    from zen_core.testing.mcp import zen_command

    zen_cmd = zen_command("serve")  # a fresh process but in a quick run (python -m bench sets ZEN_TEST_PRELOAD)
    ref_cmd = [sys.executable, str(ROOT / "bench" / "reference_server.py")]
    zen_s: list[float] = []
    first_s: list[float] = []
    ref_s: list[float] = []
    listing: dict[str, Any] = {}
    await spawn_to_tools_list(zen_cmd, env)  # saves the listing the next starts answer from
    for run in range(runs):  # alternate, so drift on a busy machine hits both alike
        took, listing = await spawn_to_tools_list(zen_cmd, env)
        zen_s.append(took * 1000)
        ref_s.append((await spawn_to_tools_list(ref_cmd, env))[0] * 1000)
        # a first start (after an install or a config change): no saved listing, plugins load first
        first_env = {**env, "ZEN_DATA_DIR": tempfile.mkdtemp(prefix=f"first-{run}-", dir=env["ZEN_DATA_DIR"])}
        first_s.append((await spawn_to_tools_list(zen_cmd, first_env))[0] * 1000)
    zen_ms, ref_ms = statistics.median(zen_s), statistics.median(ref_s)
    report("cold_start.stdio_tools_list_p50", zen_ms, "ms", ref_ms, "minimal MCP SDK server", "<= 1.2x reference")
    first_ms = statistics.median(first_s)
    report("cold_start.first_start_tools_list_p50", first_ms, "ms", ref_ms, "minimal MCP SDK server", "")
    listed = listing.get("tools", [])
    tools = sorted(t["name"] for t in listed)
    # What the agent's model reads: name, description and input schema (output schemas, annotations and
    # _meta steer the client, not the model). Targets of the tool-suite issue: < 4,000 and < 400 each.
    seen_by_model = ("name", "description", "inputSchema")
    visible = {t["name"]: count_tokens(_compact({k: t.get(k) for k in seen_by_model})) for t in listed}
    how = next(iter(visible.values()))[1] if visible else "chars/4"
    report(
        f"schema.model_visible_tokens[{len(tools)} tools]",
        sum(tokens for tokens, _ in visible.values()),
        f"tokens ({how})",
        ORIGINAL_TOOLS_TOKENS,
        "original Zen, 12 tools",
        "< 4000",
    )
    if visible:
        largest = max(visible, key=lambda name: visible[name][0])
        report(f"schema.largest_tool_tokens[{largest}]", visible[largest][0], f"tokens ({how})", None, "", "< 400")
    wire = _compact(listed)
    tokens, how = count_tokens(wire)
    report(
        f"schema.tools_list_tokens[{len(tools)} tools, full JSON]",
        tokens,
        f"tokens ({how})",
        ORIGINAL_TOOLS_TOKENS,
        "original Zen, 12 tools",
        "",
    )
    report("schema.tools_list_chars", len(wire), "chars", ORIGINAL_TOOLS_CHARS, "original Zen, 12 tools", "")
    return tools


# -- calls ----------------------------------------------------------------------------------------
async def _timed_calls(call: Callable[[int], Any], n: int, warm: int = 5) -> list[float]:
    for i in range(warm):
        await call(-1 - i)
    out: list[float] = []
    for i in range(n):
        started = time.perf_counter()
        await call(i)
        out.append((time.perf_counter() - started) * 1000)
    return out


class RouterReference:
    """A bare ``litellm.Router`` for the same fake models (the 'no Zen, no MCP' reference)."""

    def __init__(self, fake: FakeLLMProcess) -> None:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        import litellm

        litellm.suppress_debug_info = True
        models = [{"model_name": m, "litellm_params": {**fake.entry(m), "timeout": 120}} for m in (FAST, SLOW)]
        self.router = litellm.Router(model_list=models, num_retries=2, timeout=120)

    async def call(self, model: str, i: int) -> str:
        messages = [{"role": "user", "content": f"reference call {i}: reply ok"}]
        response = await self.router.acompletion(model=model, messages=messages)
        return str(response.choices[0].message.content)


async def _mcp_call(client: Any, tool: str, model: str, i: int) -> None:
    name, args = _call(tool, model, i)
    result = await client.call_tool(name, args)
    if result.is_error:
        raise RuntimeError(f"{name} failed: {result.content[0].text if result.content else result}")


async def per_call(report: Report, transport: str, client: Any, tool: str, router: RouterReference, n: int) -> None:
    """Zen and the bare Router measured in alternating batches, so machine noise hits both alike."""
    took: list[float] = []
    ref: list[float] = []
    batch = max(1, n // 10)
    for start in range(0, n, batch):
        count = min(batch, n - start)
        base = 1_000_000 * (start + 1)
        ref += await _timed_calls(lambda i, b=base: router.call(FAST, b + i), count, warm=1)
        took += await _timed_calls(lambda i, b=base: _mcp_call(client, tool, FAST, b + i), count, warm=1)
    p50, p95 = statistics.median(took), percentile(took, 95)
    ref50, ref95 = statistics.median(ref), percentile(ref, 95)
    what = f"bare Router.acompletion, {n} calls"
    report(f"per_call.{transport}.{tool}_p50", p50, "ms", ref50, what, "")
    report(f"per_call.{transport}.{tool}_p95", p95, "ms", ref95, what, "")
    report(f"per_call.{transport}.overhead_p50", p50 - ref50, "ms", None, "", "< 5")


async def concurrency(
    report: Report, client: Any, tool: str, router: RouterReference, levels: tuple[int, ...], workers: int = 1
) -> int:
    """Wall time of N concurrent calls, Zen and the bare Router alternating; the median of 3 rounds each."""
    figure = "concurrency.http" if workers == 1 else f"concurrency.http_{workers}_workers"
    calls = 0
    for n in levels:
        await asyncio.gather(*(_mcp_call(client, tool, SLOW, -1 - i) for i in range(min(n, 10))))
        zen: list[float] = []
        ref: list[float] = []
        for round_ in range(3):
            base = 10_000 * n + 1_000 * round_
            started = time.perf_counter()
            await asyncio.gather(*(router.call(SLOW, base + i) for i in range(n)))
            ref.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            await asyncio.gather(*(_mcp_call(client, tool, SLOW, base + i) for i in range(n)))
            zen.append((time.perf_counter() - started) * 1000)
        calls += 3 * n + min(n, 10)
        report(
            f"{figure}.{n}_calls_wall",
            statistics.median(zen),
            "ms",
            statistics.median(ref),
            f"{n} concurrent bare Router calls, median of 3",
            "<= 1.3x reference" if n == 100 else "",
        )
    return calls


async def _fill(client: Any, tool: str, start: int, until: int, width: int = 20) -> None:
    queue = iter(range(start, until))

    async def worker() -> None:
        for i in queue:
            await _mcp_call(client, tool, FAST, 100_000 + i)

    await asyncio.gather(*(worker() for _ in range(width)))


async def _settled_rss(pid: int, seconds: float = 15.0) -> float:
    """RSS once it stops changing (the LLM warm-up runs in a background thread after tools/list)."""
    last, deadline = rss_mb(pid), time.monotonic() + seconds
    while time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        now = rss_mb(pid)
        if abs(now - last) < 0.5:
            return now
        last = now
    return last


def litellm_alone_rss(fake: FakeLLMProcess) -> tuple[float, float]:
    """RSS (MiB) of a process that imports LiteLLM and builds a Router, then after one call."""
    code = (
        "import asyncio, json, sys, litellm\n"
        "from bench import rss_mb\n"
        "import os; pid = os.getpid()\n"
        "r = litellm.Router(model_list=[{'model_name': 'm', 'litellm_params': json.loads(sys.argv[1])}])\n"
        "idle = rss_mb(pid)\n"
        "asyncio.run(r.acompletion(model='m', messages=[{'role': 'user', 'content': 'hi'}]))\n"
        "print(idle, rss_mb(pid))\n"
    )
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_OFFLINE_MODE": "true"}
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(fake.entry(FAST))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.split()
    return float(out[0]), float(out[1])


@contextlib.asynccontextmanager
async def _http(env: dict[str, str], args: tuple[str, ...] = ()) -> AsyncIterator[tuple[Any, Any]]:
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    from zen_core.testing.mcp import HTTPServerProcess

    # drop idle connections before uvicorn does (its keep-alive is 5 s), or a reuse races the close
    limits = httpx2.Limits(max_connections=1000, max_keepalive_connections=1000, keepalive_expiry=2.0)
    async with HTTPServerProcess(env, args=args) as server:
        async with httpx2.AsyncClient(timeout=httpx2.Timeout(300.0), limits=limits) as http:
            async with Client(streamable_http_client(server.url, http_client=http)) as client:
                yield server, client


async def run(report: Report, *, quick: bool = False) -> None:
    from zen_core.testing.mcp import stdio_client

    sizes = Sizes.pick(quick)
    with (
        tempfile.TemporaryDirectory(prefix="zen-bench-mcp-") as tmp,
        FakeLLMProcess({FAST: {}, SLOW: {"latency_s": 0.2}}) as fake,
    ):
        plain = _zen_env(Path(tmp), fake, extra=False)
        has_chat = "chat" in await cold_start_and_schema(report, plain, sizes.cold_runs)
        tool = "chat" if has_chat else "bench_llm"
        env = plain if has_chat else _zen_env(Path(tmp), fake, extra=True)
        lite_idle, lite_first = await asyncio.to_thread(litellm_alone_rss, fake)
        router = RouterReference(fake)
        await _timed_calls(lambda i: router.call(FAST, i), 0, warm=10)
        # This process holds the reference Router and the MCP client: keep full collections of its
        # LiteLLM heap (~180 ms pauses) out of both sides' figures, as the Zen server does for itself.
        settle_heap()
        async with stdio_client(env) as client:
            await per_call(report, "stdio", client, tool, router, sizes.calls)
        async with _http(env) as (server, client):
            pid = server.pid
            started_rss = rss_mb(pid)
            await client.list_tools()
            idle = await _settled_rss(pid, sizes.settle_s)
            await _mcp_call(client, tool, FAST, 0)
            first = rss_mb(pid)
            await per_call(report, "http", client, tool, router, sizes.calls)
            done = 1 + 2 * sizes.calls + await concurrency(report, client, tool, router, sizes.concurrency)
            half = sizes.memory_calls // 2  # after the calls above, 2 x half more: growth over the last half
            await _fill(client, tool, done, done + half)
            at_half = rss_mb(pid)
            await _fill(client, tool, done + half, done + 2 * half)
            at_end = rss_mb(pid)
            total = done + 2 * half
        # the same with one server process per core (zen serve --http --workers N); not in a quick run, whose
        # figures mean nothing: it would only start three more LiteLLMs
        if not quick:
            workers = max(2, os.cpu_count() or 1)
            async with _http(env, ("--workers", str(workers))) as (_, client):
                await concurrency(report, client, tool, router, sizes.concurrency, workers)
        report("memory.rss_started", started_rss, "MiB", None, "", "")
        report("memory.rss_idle_after_tools_list", idle, "MiB", lite_idle, "LiteLLM + Router alone", "")
        report("memory.rss_after_first_call", first, "MiB", lite_first, "LiteLLM alone after 1 call", "")
        report(f"memory.rss_after_{total}_calls", at_end, "MiB", at_half, f"after {total - half} calls", "")
        report(f"memory.growth_last_{half}_calls", (at_end / at_half - 1) * 100, "%", None, "", "< 5")
