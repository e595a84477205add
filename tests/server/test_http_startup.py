"""``zen serve --http`` start-up: the ``listening on`` line means the server accepts connections, and a
start that fails prints only its error (exit code 1)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from zen_core.testing.mcp import server_env, zen_command
from zen_core.testing.pytest_plugin import ZenConfig

LISTENING = re.compile(r"listening on (http://\S+)/mcp")


@contextmanager
def serving(env: dict[str, str], *args: str) -> Iterator[str]:
    """Start ``zen serve --http`` and yield its base URL the moment the ``listening on`` line is read."""
    process = subprocess.Popen(
        zen_command("serve", "--http", "--port", "0", *args),
        env=server_env(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        seen = []
        for line in process.stderr:  # ends at EOF if the server exits without the line
            seen.append(line)
            match = LISTENING.search(line)
            if match:
                yield match.group(1)
                break
        else:
            raise AssertionError(f"no 'listening on' line; exit code {process.wait(30)}:\n{''.join(seen)}")
    finally:
        process.terminate()
        process.wait(30)


def test_the_server_accepts_connections_as_soon_as_it_says_so(zen_env: dict[str, str]) -> None:
    with httpx.Client(timeout=30) as http:  # made beforehand: nothing stands between the line and the connect
        for attempt in range(5):
            with serving(zen_env) as base_url:
                address, port = base_url.removeprefix("http://").rsplit(":", 1)
                # no retry: a refused connect fails the test
                socket.create_connection((address, int(port)), timeout=30).close()
                response = http.get(f"{base_url}/healthz")
                assert response.status_code == 200, (attempt, response.text)


def run_serve(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        zen_command("serve", "--http", *args),
        env={**os.environ, **server_env(env)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_start_that_fails_prints_only_the_error(zen_env: dict[str, str], zen_config: ZenConfig) -> None:
    path = zen_config.write("auth.yaml", {"auth": {"keys": [{"name": "ci"}]}})  # a key without its hash
    done = run_serve(zen_env, "--port", "0")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"Error: in {path}: API key 'ci': 'hash' must be 'sha256:<64 hex digits>' (create keys with `zen keys add`)"
    ]


def test_a_port_in_use_prints_only_the_error(zen_env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_serve(zen_env, "--port", str(port))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [f"Error: cannot listen on 127.0.0.1:{port}: Address already in use"]
