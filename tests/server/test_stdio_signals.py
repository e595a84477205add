"""``zen serve`` on stdio stops on Ctrl-C (SIGINT) at once, with exit code 0, whether a person runs it in
a terminal (a one-line banner says what it is and how to stop it) or an agent spawned it on pipes (no
banner: stderr stays quiet)."""

from __future__ import annotations

import fcntl
import json
import os
import select
import signal
import subprocess
import termios
import time
from typing import IO

import pytest

from zen_core.testing.mcp import server_env, zen_command

#: Signals from a terminal reach the server's own process group: no launcher in between.
pytestmark = pytest.mark.zen_fresh_process
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
}


def read_line(stream: IO[bytes], within_s: float = 60.0) -> bytes:
    """One line from ``stream`` (a pipe), or ``AssertionError`` after ``within_s`` seconds."""
    fd, line = stream.fileno(), b""
    deadline = time.monotonic() + within_s
    while not line.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        readable, _, _ = select.select([fd], [], [], max(0.0, remaining))
        if not readable:
            raise AssertionError(f"no line within {within_s} s (so far: {line!r})")
        chunk = os.read(fd, 1)
        if not chunk:
            raise AssertionError(f"the stream ended (so far: {line!r})")
        line += chunk
    return line


def test_ctrl_c_in_a_terminal_stops_the_server(zen_env: dict[str, str]) -> None:
    controller, terminal = os.openpty()

    def take_the_terminal() -> None:  # in the child: the pty becomes its controlling terminal, as in a shell
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        zen_command("serve"),
        env=server_env(zen_env),
        stdin=terminal,
        stdout=terminal,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=take_the_terminal,
    )
    os.close(terminal)
    try:
        assert process.stderr is not None
        banner = read_line(process.stderr).decode()
        assert "MCP" in banner and "stdio" in banner and "Ctrl-C" in banner, banner
        os.write(controller, b"\x03")  # Ctrl-C, typed: the terminal sends SIGINT to the server
        assert process.wait(timeout=15) == 0
        assert process.stderr.read().decode() == ""  # no "Aborted!", no traceback
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)


def test_sigint_stops_a_server_an_agent_spawned(zen_env: dict[str, str]) -> None:
    process = subprocess.Popen(
        zen_command("serve"),
        env=server_env(zen_env),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdin is not None and process.stdout is not None and process.stderr is not None
        process.stdin.write(json.dumps(INIT).encode() + b"\n")
        process.stdin.flush()
        reply = json.loads(read_line(process.stdout))
        assert reply["id"] == 1 and reply["result"]["serverInfo"]["name"] == "zen"
        process.send_signal(signal.SIGINT)  # stdin stays open, as the agent still holds it
        assert process.wait(timeout=15) == 0
        assert process.stderr.read().decode() == ""  # no banner on pipes, no "Aborted!"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
