"""``zen serve --http --workers N``: one port, N processes, one service (store and /metrics shared).

The pools are forked from the preloaded Zen (:mod:`zen_core.testing.preload`), workers included: the
supervisor's children are then the workers' launchers, and :func:`worker_pids` gives the servers behind
them (for a fresh pool, the children themselves). Only the test of ``PR_SET_PDEATHSIG`` needs fresh
processes: a forked worker is the preloader's child, not the supervisor's.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from zen_core.testing import preload
from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import HTTPServerProcess, http_client, zen_command
from zen_core.testing.pytest_plugin import ZenConfig
from zen_core.testing.waiting import wait_until

pytestmark = pytest.mark.zen_plugins("zen-tool-chat")


@pytest.fixture
def models(fake_llm: FakeLLM, zen_config: ZenConfig) -> dict[str, str]:
    """The fake models behind ``plain`` (answers "noted"), ``slow`` (takes 5 s) and ``echo`` (answers
    with the messages it was sent), by Zen name."""
    name = fake_llm.model("pool", text="noted")
    slow = fake_llm.model("slow", text="slow answer", latency_s=5)  # in flight for sure when SIGTERM comes
    echo = fake_llm.model("echo", echo=True)
    zen_config.write(
        "models.yaml",
        {
            "models": {
                "plain": fake_llm.entry(name),
                "slow": fake_llm.entry(slow),
                "echo": fake_llm.entry(echo),
            }
        },
    )
    return {"plain": name, "slow": slow, "echo": echo}


@pytest.fixture
def pool(zen_env: dict[str, str], models: dict[str, str]) -> Iterator[HTTPServerProcess]:
    with HTTPServerProcess(zen_env, args=["--workers", "2"]) as server:
        yield server


def children(pid: int) -> set[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
    return {int(p) for p in out.split()}


def worker_pids(server: HTTPServerProcess) -> set[int]:
    """The pids of the pool's worker servers: the supervisor's children, or the servers behind them."""
    return {preload.server_pid(pid) for pid in children(server.pid)}


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie nobody has reaped yet counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def worker_pids_seen(server: HTTPServerProcess, attempts: int = 200, want: int = 2) -> set[int]:
    """Pids answering ``/healthz`` over fresh connections (each may land on any worker)."""
    seen: set[int] = set()
    for _ in range(attempts):
        seen.add(httpx.get(f"{server.base_url}/healthz", timeout=30).json()["pid"])
        if len(seen) >= want:
            break
    return seen


async def chat(server: HTTPServerProcess, **arguments: Any) -> Any:
    async with http_client(server.url) as client:  # a new connection each time
        return await client.call_tool("chat", arguments)


def test_two_workers_answer_on_one_port(pool: HTTPServerProcess) -> None:
    assert pool.process is not None
    assert "(2 workers)" in "".join(pool.stderr_lines)
    assert len(children(pool.pid)) == 2
    workers = worker_pids(pool)
    assert len(workers) == 2
    assert worker_pids_seen(pool) == workers


async def test_a_conversation_continues_across_workers(
    pool: HTTPServerProcess, fake_llm: FakeLLM, models: dict[str, str]
) -> None:
    first = await chat(pool, prompt="turn 0: remember zebra", model="plain")
    assert first.is_error is False, first.content[0].text
    thread = first.structured_content["data"]["continuation_id"]
    for turn in range(1, 6):  # fresh connections: both workers take part
        reply = await chat(pool, prompt=f"turn {turn}", model="plain", continuation_id=thread)
        assert reply.is_error is False, reply.content[0].text
        assert reply.structured_content["data"]["continuation_id"] == thread
    sent = str(fake_llm.last_request(models["plain"])["messages"])  # the last turn carried the whole conversation
    assert all(f"turn {t}" in sent for t in range(6)), sent


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample, read with prometheus_client's own parser (so the text must be valid)."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    raise AssertionError(f"{name} {labels} not in /metrics:\n{text}")


async def test_metrics_report_the_whole_pool(pool: HTTPServerProcess) -> None:
    calls = 8
    results = await asyncio.gather(*(chat(pool, prompt=f"count me {i}", model="plain") for i in range(calls)))
    failed = [r.content[0].text for r in results if r.is_error]
    assert not failed, f"{failed}\nserver log:\n{pool.stderr}"
    answers = set()
    for _ in range(20):  # several fresh connections: whichever worker answers reports every worker's calls
        async with httpx.AsyncClient() as http:
            text = (await http.get(f"{pool.base_url}/metrics", timeout=30)).text
        answers.add(metric(text, "zen_tool_calls_total", tool="chat", status="success"))
        assert metric(text, "zen_tool_calls_in_flight", tool="chat") == 0
    assert answers == {float(calls)}


def fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


async def test_load_on_the_pool_no_errors_no_crosstalk_no_leaked_fds(
    pool: HTTPServerProcess, fake_llm: FakeLLM, models: dict[str, str]
) -> None:
    """2 × 300 calls at concurrency 60, a connection per caller: every answer is its own request's, and
    the second round adds no file descriptors beyond the pools' keep-alive connections.

    Which worker accepts a connection is up to the kernel, so a worker may first see traffic in the
    second round and open its keep-alive connections to the provider then: at most one per concurrent
    call, 60 over the pool. A descriptor leaked per call would add 300.
    """
    assert pool.process is not None
    workers = worker_pids(pool)
    answers: dict[str, str] = {}

    async def round_of(tokens: list[str]) -> None:
        queue = list(reversed(tokens))

        async def caller() -> None:
            async with http_client(pool.url) as client:
                while queue:
                    token = queue.pop()
                    result = await client.call_tool("chat", {"prompt": f"echo {token}", "model": "echo"})
                    answers[token] = f"error: {result.content[0].text}" if result.is_error else result.content[0].text

        await asyncio.gather(*(caller() for _ in range(60)))

    tokens = [f"tok-{i:04d}-{(i * 2654435761) % 16**6:06x}" for i in range(600)]
    await round_of(tokens[:300])
    await asyncio.sleep(1.0)  # the closed connections' sockets go away
    after_first = sum(fds(pid) for pid in workers)
    await round_of(tokens[300:])
    await wait_until(
        lambda: sum(fds(pid) for pid in workers) <= after_first + 60,
        f"the workers hold at most 60 more file descriptors than the {after_first} after the first round",
        within_s=15,
    )
    # the fake echoes the messages it was sent: each answer must carry its own token and no other
    found = {token: set(re.findall(r"tok-\d{4}-[0-9a-f]{6}", text)) for token, text in answers.items()}
    assert len(found) == 600
    assert {t: f for t, f in found.items() if f != {t}} == {}
    assert fake_llm.calls(models["echo"]) == 600


async def test_a_dead_worker_is_replaced(pool: HTTPServerProcess) -> None:
    assert pool.process is not None
    supervisor = pool.pid
    before = children(supervisor)
    victim = min(before)  # the worker as the supervisor sees it (a launcher, when forked)
    os.kill(preload.server_pid(victim), signal.SIGKILL)  # the worker's server dies
    await wait_until(
        lambda: len(now := children(supervisor)) == 2 and victim not in now,
        "a new worker replaces the killed one",
        within_s=60,
    )
    assert any(re.search(rf"pid {victim}\) exited with code -9; restarting", line) for line in pool.stderr_lines)
    for i in range(4):
        reply = await chat(pool, prompt=f"after the crash {i}", model="plain")
        assert reply.is_error is False, reply.content[0].text
    assert pool.process.poll() is None


@pytest.mark.parametrize("mode", ["legacy", "auto"])  # 2025-11-25 (today's agents) and 2026-07-28 clients
async def test_sigterm_drains_calls_in_flight_on_every_worker(
    pool: HTTPServerProcess, fake_llm: FakeLLM, models: dict[str, str], mode: str
) -> None:
    assert pool.process is not None
    workers = worker_pids(pool)

    async def slow_call(i: int) -> Any:
        async with http_client(pool.url, mode=mode) as client:  # one connection per call: both workers get some
            await client.list_tools()  # as agents do; the SDK client would otherwise list tools mid-call
            return await client.call_tool("chat", {"prompt": f"slow {i}", "model": "slow"})

    calls = [asyncio.create_task(slow_call(i)) for i in range(6)]
    # within_s: a fresh pool's workers first import LiteLLM, slow on a busy machine (a safety net only)
    await wait_until(lambda: fake_llm.calls(models["slow"]) == 6, "every call waits on the model (5 s)", within_s=60)
    assert not any(c.done() for c in calls)
    pool.process.send_signal(signal.SIGTERM)  # to the supervisor (a launcher passes it on)
    results = await asyncio.gather(*calls)
    assert [r.structured_content["data"]["answer"] for r in results] == ["slow answer"] * 6
    assert await asyncio.to_thread(pool.process.wait, 30) == 0
    assert not await asyncio.to_thread(lambda: any(alive(pid) for pid in workers))


@pytest.mark.zen_fresh_process  # the workers must be the supervisor's own children for PR_SET_PDEATHSIG
async def test_workers_stop_when_the_supervisor_is_killed(pool: HTTPServerProcess) -> None:
    assert pool.process is not None
    workers = children(pool.process.pid)
    assert workers == worker_pids(pool)  # fresh: the workers are the supervisor's children
    pool.process.kill()  # no chance to stop the pool: the workers notice on their own (PR_SET_PDEATHSIG)
    await wait_until(lambda: not any(alive(pid) for pid in workers), "every worker has exited", within_s=30)


def test_the_worker_count_comes_from_the_settings(zen_env: dict[str, str], models: dict[str, str]) -> None:
    with HTTPServerProcess({**zen_env, "ZEN_SERVER__WORKERS": "2"}) as server:
        assert server.process is not None
        assert "(2 workers)" in "".join(server.stderr_lines)
        assert len(children(server.pid)) == 2


def test_bad_worker_counts_are_refused(zen_env: dict[str, str]) -> None:
    env = {**os.environ, **zen_env}
    zero = subprocess.run(
        zen_command("serve", "--http", "--port", "0", "--workers", "0"),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert zero.returncode == 2 and "--workers" in zero.stderr and "x>=1" in zero.stderr
    words = subprocess.run(
        zen_command("serve", "--http", "--port", "0"),
        env={**env, "ZEN_SERVER__WORKERS": "many"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert words.returncode == 1
    assert "server.workers must be a whole number of at least 1, not 'many'" in words.stderr


# -- the supervisor alone, with stand-in workers ----------------------------------------------------
def run_pool(tmp_path: Path, worker_code: str, count: int = 2, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run a :class:`WorkerPool` whose workers run ``worker_code`` (they get the usual flags in argv)."""
    script = tmp_path / "worker.py"
    script.write_text(worker_code)
    supervisor = (
        "import socket, sys\n"
        "from zen_core.server.workers import WorkerPool\n"
        "sock = socket.socket(); sock.bind(('127.0.0.1', 0)); sock.listen()\n"
        f"pool = WorkerPool(sock, {count}, drain_s=1.0, command=[sys.executable, {str(script)!r}])\n"
        "sys.exit(pool.run('ready'))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", supervisor], capture_output=True, text=True, timeout=timeout, check=False
    )


READY = (
    "import os, sys\n"
    "args = sys.argv[1:]\n"
    "if '--ready-fd' in args:\n"
    "    fd = int(args[args.index('--ready-fd') + 1]); os.write(fd, b'r'); os.close(fd)\n"
)


def test_a_worker_failing_at_start_stops_the_pool(tmp_path: Path) -> None:
    done = run_pool(tmp_path, "import sys\nsys.exit(3)\n")
    assert done.returncode == 1
    assert "exited during start-up (code 3); stopping." in done.stderr
    assert "ready" not in done.stderr.splitlines()


def test_a_worker_that_keeps_dying_stops_the_pool(tmp_path: Path) -> None:
    done = run_pool(tmp_path, READY + "import time\ntime.sleep(0.3)\nsys.exit(4)\n", count=1)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[0] == "ready"
    assert sum("exited with code 4; restarting." in line for line in lines) == 2
    assert "exited 3 times within 10 s of starting (last code 4); stopping." in lines[-1]
