"""Test servers forked from the preloaded Zen behave, to whoever spawned them, like fresh processes: the
same output, descriptors and exit status, signals reach the server, and killing the launcher kills the
server. The test can learn the server's own pid."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from zen_core.testing import preload
from zen_core.testing.mcp import HTTPServerProcess, server_env, stdio_client

FRESH = [sys.executable, "-m", "zen_core.cli"]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("args", [["tools", "--json"], ["nosuch"], ["models"]])
def test_a_forked_command_prints_and_exits_as_a_fresh_one(zen_env: dict[str, str], args: list[str]) -> None:
    env = server_env(zen_env)
    forked = subprocess.run(preload.command(*args), env=env, capture_output=True, text=True, timeout=120)
    fresh = subprocess.run([*FRESH, *args], env=env, capture_output=True, text=True, timeout=120)
    assert forked.args[:4] == [sys.executable, "-I", "-S", str(preload.LAUNCHER)]
    assert (forked.returncode, forked.stdout, forked.stderr) == (fresh.returncode, fresh.stdout, fresh.stderr)
    assert forked.stdout or forked.stderr


def test_a_forked_script_prints_as_the_script_does(zen_env: dict[str, str]) -> None:
    """``--script``: the ``zen`` console script run in the fork, so usage lines name ``zen`` (docs/cli_output.py)."""
    script = str(Path(sys.executable).with_name("zen"))
    env = server_env(zen_env)
    forked = subprocess.run(
        preload.command("doctor", "--help", script=script), env=env, capture_output=True, text=True, timeout=120
    )
    fresh = subprocess.run([script, "doctor", "--help"], env=env, capture_output=True, text=True, timeout=120)
    assert forked.stdout.startswith("Usage: zen doctor ")
    assert (forked.returncode, forked.stdout, forked.stderr) == (fresh.returncode, fresh.stdout, fresh.stderr)


async def test_a_forked_stdio_server_serves_mcp(zen_env: dict[str, str]) -> None:
    async with stdio_client(zen_env) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert {"listmodels", "version", "jobs"} <= names


def test_signals_reach_the_server_and_its_status_comes_back(zen_env: dict[str, str]) -> None:
    server = HTTPServerProcess(zen_env).start()
    assert server.process is not None
    server_pid = httpx.get(f"{server.base_url}/healthz", timeout=30).json()["pid"]
    assert server_pid != server.process.pid  # forked from the preloader, behind the launcher
    assert server.pid == preload.server_pid(server.process.pid) == server_pid  # which the test can learn
    assert server.stop(signal.SIGTERM) == 0  # a clean shutdown, as a fresh server's
    assert not alive(server_pid)
    assert preload.server_pid(server.process.pid) == server.process.pid  # forgotten once it has exited


def test_a_server_killed_outright_takes_its_launcher_the_same_way(zen_env: dict[str, str]) -> None:
    server = HTTPServerProcess(zen_env).start()
    assert server.process is not None
    os.kill(server.pid, signal.SIGKILL)
    assert server.process.wait(30) == -signal.SIGKILL


def test_descriptors_a_launcher_inherits_reach_the_server_at_the_same_numbers(zen_env: dict[str, str]) -> None:
    """A pool worker's listening socket and ready pipe (``pass_fds``): the server gets them as a fresh
    process would, and the launcher keeps no copy (the ready pipe's EOF is the server's alone)."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        ready_read, ready_write = os.pipe()
        worker_fd, ready_fd = os.dup2(listening.fileno(), 50), os.dup2(ready_write, 51)
        os.close(ready_write)
        args = ("serve", "--http", "--worker-fd", "50", "--drain", "1", "--ready-fd", "51")
        process = subprocess.Popen(preload.command(*args), env=server_env(zen_env), pass_fds=(50, 51))
        os.close(worker_fd)
        os.close(ready_fd)
        try:
            assert read_to_eof(ready_read) == b"r"  # written to fd 51, then every write end closed: no copy left
            port = listening.getsockname()[1]
            pid = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=30).json()["pid"]
            assert pid == preload.server_pid(process.pid) != process.pid
            assert os.readlink(f"/proc/{pid}/fd/50") == os.readlink(f"/proc/self/fd/{listening.fileno()}")
            assert not {"50", "51"} & set(os.listdir(f"/proc/{process.pid}/fd"))
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(30) == 0
            os.close(ready_read)


def read_to_eof(fd: int, within_s: float = 60.0) -> bytes:
    data, deadline = b"", time.monotonic() + within_s
    while select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
        chunk = os.read(fd, 64)
        if not chunk:
            return data
        data += chunk
    raise AssertionError(f"no end of file within {within_s} s (read {data!r}): a write end is still open")


def test_killing_the_launcher_kills_the_server(zen_env: dict[str, str]) -> None:
    server = HTTPServerProcess(zen_env).start()
    assert server.process is not None
    server_pid = httpx.get(f"{server.base_url}/healthz", timeout=30).json()["pid"]
    server.process.kill()
    deadline = time.monotonic() + 10
    while alive(server_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(server_pid), "the server outlived its launcher"
    assert server.stop() == -signal.SIGKILL


def test_without_a_preloader_the_launcher_becomes_a_fresh_process(zen_env: dict[str, str], tmp_path: Path) -> None:
    command = [sys.executable, "-I", "-S", str(preload.LAUNCHER), str(tmp_path / "no-socket"), "tools", "--json"]
    env = server_env(zen_env)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    fresh = subprocess.run([*FRESH, "tools", "--json"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout == fresh.stdout


def test_fresh_processes_when_a_test_asks_or_the_preloader_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from zen_core.testing.mcp import zen_command

    monkeypatch.delenv("ZEN_TEST_PRELOAD", raising=False)
    assert preload.fresh_process_requested is False  # this test is not marked zen_fresh_process
    assert zen_command("serve")[3] == str(preload.LAUNCHER)
    monkeypatch.setattr(preload, "fresh_process_requested", True)
    assert zen_command("serve") == [*FRESH, "serve"]
    monkeypatch.setattr(preload, "fresh_process_requested", False)
    monkeypatch.setenv("ZEN_TEST_PRELOAD", "0")
    assert zen_command("serve") == [*FRESH, "serve"]


@pytest.mark.zen_fresh_process
def test_the_marker_is_honoured_before_any_fixture_starts_a_server(zen_env: dict[str, str]) -> None:
    from zen_core.testing.mcp import zen_command

    assert preload.fresh_process_requested is True
    assert zen_command("serve") == [*FRESH, "serve"]
