"""Plugins extend ``zen serve --http`` through ``register_routes`` and ``register_asgi_wrappers``; a broken
one is reported and the server keeps serving."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx

from zen_core.builtins.keys import KeyFile
from zen_core.testing.mcp import HTTPServerProcess, server_env, zen_command

from .conftest import plugin_env


async def test_plugin_route_and_wrapper_sit_behind_the_key_check(zen_env: dict[str, str]) -> None:
    key = KeyFile(Path(zen_env["ZEN_CONFIG_DIR"])).add("ops")
    env = plugin_env(zen_env, "http_test_plugin", "http_broken_plugin")
    async with HTTPServerProcess(env) as server, httpx.AsyncClient(timeout=30) as client:
        refused = await client.get(f"{server.base_url}/hello")
        hello = await client.get(f"{server.base_url}/hello", headers={"Authorization": f"Bearer {key}"})
        health = await client.get(f"{server.base_url}/healthz")
    assert refused.status_code == 401  # the built-in key check is outermost, in front of plugin routes
    assert "x-zen-test-wrapper" not in refused.headers
    assert hello.status_code == 200 and hello.text == "hello from a plugin route"
    assert hello.headers["x-zen-test-wrapper"] == "127.0.0.1"  # the plugin's wrapper saw the bind host
    assert health.status_code == 200 and health.json()["status"] == "ok"


def test_broken_http_hooks_are_reported_not_fatal(zen_env: dict[str, str]) -> None:
    env = server_env(plugin_env(zen_env, "http_test_plugin", "http_broken_plugin"))
    out = subprocess.run(
        [*zen_command("plugins", "--json")], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    infos = {info["name"]: info for info in json.loads(out.stdout)}
    broken = infos["http_broken_plugin"]["error"]
    assert "register_asgi_wrappers raised RuntimeError: the wrapper plugin is broken" in broken
    assert "'/not-a-route' is not a Starlette route" in broken
    assert infos["http_test_plugin"]["error"] is None
    assert infos["http_test_plugin"]["hooks"] == ["register_asgi_wrappers", "register_routes"]
