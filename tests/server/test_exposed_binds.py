"""Which binds are exposed, and the DNS-rebinding Host check on whatever address is bound.

Only ``127.0.0.1``, ``::1`` and ``localhost`` count as loopback. Any other address (``127.0.0.2``
included: other local users and containers can reach it) needs an API key or the explicit
``auth.allow_unauthenticated`` opt-out, and its ``/mcp`` accepts only the Host values it is reached
by: the bound address and port (plus ``localhost`` on loopback) and ``server.allowed_hosts``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from zen_core.builtins.keys import KeyFile
from zen_core.testing.mcp import HTTPServerProcess, http_client, server_env, zen_command

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
}


def initialize(server: HTTPServerProcess, host_header: str, key: str | None = None) -> int:
    """The status of an MCP ``initialize`` sent with ``Host: host_header``."""
    headers = {"Host": host_header, "Accept": "application/json, text/event-stream"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return httpx.post(server.url, json=INIT, headers=headers, timeout=30).status_code


def port_of(server: HTTPServerProcess) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


def test_a_loopback_alias_is_exposed_and_refused_without_a_key(zen_env: dict[str, str]) -> None:
    done = subprocess.run(
        zen_command("serve", "--http", "--host", "127.0.0.2", "--port", "0"),
        env={**os.environ, **server_env(zen_env)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "Error: refusing to serve on 127.0.0.2 without an API key: anyone who can reach it could spend your "
        "provider credits. Create a key with `zen keys add NAME`, or set auth.allow_unauthenticated: true "
        "(or ZEN_AUTH__ALLOW_UNAUTHENTICATED=true) to run unauthenticated (e.g. behind an authenticating proxy)."
    ]


@pytest.mark.parametrize("access", ["api key", "allow_unauthenticated"])
async def test_an_exposed_bind_accepts_only_its_own_host(zen_env: dict[str, str], access: str) -> None:
    env, key = dict(zen_env), None
    if access == "api key":
        key = KeyFile(Path(zen_env["ZEN_CONFIG_DIR"])).add("ops")
    else:
        env["ZEN_AUTH__ALLOW_UNAUTHENTICATED"] = "true"
    with HTTPServerProcess(env, host="127.0.0.2") as server:
        port = port_of(server)
        assert initialize(server, f"127.0.0.2:{port}", key) == 200
        assert initialize(server, f"evil.example:{port}", key) == 421  # a name rebound to this address
        assert initialize(server, f"localhost:{port}", key) == 421  # not what reaches 127.0.0.2
        assert initialize(server, f"127.0.0.2:{port + 1}", key) == 421
        async with http_client(server.url, api_key=key) as client:  # a real client sends the bound address
            assert "version" in {tool.name for tool in (await client.list_tools()).tools}


def test_loopback_accepts_its_address_and_localhost_on_its_port(zen_env: dict[str, str]) -> None:
    with HTTPServerProcess(zen_env) as server:
        port = port_of(server)
        assert initialize(server, f"127.0.0.1:{port}") == 200
        assert initialize(server, f"localhost:{port}") == 200
        assert initialize(server, f"evil.example:{port}") == 421
        assert initialize(server, f"localhost:{port + 1}") == 421  # another local service's origin


def test_allowed_hosts_adds_the_names_clients_use(zen_env: dict[str, str]) -> None:
    env = {**zen_env, "ZEN_SERVER__ALLOWED_HOSTS": "zen.internal:*,other.internal:443"}
    with HTTPServerProcess(env) as server:
        port = port_of(server)
        assert initialize(server, f"zen.internal:{port}") == 200
        assert initialize(server, "other.internal:443") == 200
        assert initialize(server, f"127.0.0.1:{port}") == 200
        assert initialize(server, f"other.internal:{port}") == 421


def test_a_wildcard_bind_needs_the_names_clients_use(zen_env: dict[str, str], zen_host: Any) -> None:
    """``0.0.0.0`` is no Host anyone sends: the server refuses to start until they are listed (the app is
    only built here; nothing is bound)."""
    from zen_core.server.http import build_http_app
    from zen_core.settings import ConfigError

    KeyFile(Path(zen_env["ZEN_CONFIG_DIR"])).add("ops")
    with pytest.raises(ConfigError) as info:
        build_http_app(zen_host, bind_host="0.0.0.0", port=8765)
    assert str(info.value) == (
        "0.0.0.0 accepts connections on every address of this machine, so the DNS-rebinding check cannot "
        "tell which Host names are yours: list the names clients use in server.allowed_hosts (e.g. "
        "ZEN_SERVER__ALLOWED_HOSTS=zen.example.com:8765; '*' turns the check off), or bind one address "
        "with --host."
    )
