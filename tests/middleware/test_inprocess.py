"""Middleware order, the non-loopback refusal, ``zen keys``, redaction and the metrics port,
exercised in-process through the real host, dispatcher, CLI and HTTP stack."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner

from zen_core import ToolCall, ToolResponse, hookimpl
from zen_core.builtins import auth, metrics
from zen_core.builtins import call_log as call_logging
from zen_core.builtins.keys import KeyFile, KeyRing, hash_key
from zen_core.calls.context import Caller
from zen_core.calls.middleware import CallNext
from zen_core.cli import main as zen_main
from zen_core.plugin.host import ZenHost
from zen_core.redact import redact
from zen_core.settings import Settings


def plugin(mw: Callable[..., Any], **marker: bool) -> object:
    class Plugin:
        @hookimpl(**marker)
        def register_middleware(self, register: Callable[[Any], None]) -> None:
            register(mw)

    return Plugin()


def recorder(name: str) -> Callable[[ToolCall, CallNext], Any]:
    async def mw(call: ToolCall, call_next: CallNext) -> ToolResponse:
        call.ctx.state.setdefault("order", []).append(name)
        response = await call_next(call)
        response.metadata["order"] = call.ctx.state["order"]
        return response

    mw.__name__ = name
    return mw


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("ZEN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("ZEN_AUTH__ALLOW_UNAUTHENTICATED", raising=False)
    return Settings(tmp_path / "config")


async def test_documented_order_builtins_then_tryfirst_plain_trylast(settings: Settings) -> None:
    plain, first, last = recorder("plain"), recorder("first"), recorder("last")
    host = ZenHost(
        settings,
        extra_plugins={
            "p-last": plugin(last, trylast=True),
            "p-plain": plugin(plain),
            "p-first": plugin(first, tryfirst=True),
        },
        environ={"ZEN_LOAD_PLUGINS": ""},
    )
    assert host.middleware == [
        auth.auth_middleware,
        call_logging.logging_middleware,
        metrics.metrics_middleware,
        first,
        plain,
        last,
    ]
    response = await host.dispatcher().call("version", {})
    assert response.status == "success"
    assert response.metadata["order"] == ["first", "plain", "last"]


async def test_stdio_calls_carry_no_key_and_pass_auth(settings: Settings) -> None:
    host = ZenHost(settings, environ={"ZEN_LOAD_PLUGINS": ""})
    response = await host.dispatcher().call("version", {}, caller=Caller(transport="stdio"))
    assert response.status == "success"
    limited = await host.dispatcher().call(
        "version", {}, caller=Caller(transport="http", key_name="ci", allowed_tools=("listmodels",))
    )
    assert limited.status == "error" and "API key 'ci'" in str(limited.text)


def test_non_loopback_without_keys_refuses_to_start(settings: Settings) -> None:
    from zen_core.server.http import build_http_app

    host = ZenHost(settings, environ={"ZEN_LOAD_PLUGINS": ""})
    with pytest.raises(auth.UnsafeBindError) as info:
        build_http_app(host, bind_host="0.0.0.0")  # builds the app only; nothing is bound
    assert "ZEN_AUTH__ALLOW_UNAUTHENTICATED=true" in str(info.value) and "zen keys add" in str(info.value)
    # loopback without keys is served open, so local agents need no setup
    assert not isinstance(auth.wrap_asgi(object(), settings, bind_host="127.0.0.1"), auth.BearerAuth)  # type: ignore[arg-type]


def test_explicit_opt_out_and_keys_both_allow_non_loopback(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZEN_AUTH__ALLOW_UNAUTHENTICATED", "true")
    opted_out = Settings(settings.config_dir)
    app = object()
    assert auth.wrap_asgi(app, opted_out, bind_host="10.1.2.3") is app  # type: ignore[arg-type]
    monkeypatch.delenv("ZEN_AUTH__ALLOW_UNAUTHENTICATED")
    KeyFile(settings.config_dir).add("ops")
    assert isinstance(auth.wrap_asgi(app, Settings(settings.config_dir), bind_host="10.1.2.3"), auth.BearerAuth)  # type: ignore[arg-type]


def test_keys_from_settings_are_accepted(tmp_path: Path) -> None:
    secret = "zen_from-settings-0123456789abcdef"
    entry = {"name": "cfg", "hash": hash_key(secret), "tools": ["chat"], "models": None}
    (tmp_path / "auth.yaml").write_text(yaml.safe_dump({"auth": {"keys": [entry]}}))
    ring = KeyRing(auth.load_keys(Settings(tmp_path)))
    found = ring.verify(secret)
    assert found is not None and found.name == "cfg" and found.tools == ("chat",) and found.models is None
    assert ring.verify(secret + "x") is None


def test_zen_keys_cli_prints_once_and_stores_only_the_hash(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"ZEN_CONFIG_DIR": str(tmp_path)}
    added = runner.invoke(zen_main, ["keys", "add", "ci", "--tools", "chat,codereview", "--models", "gpt-5"], env=env)
    assert added.exit_code == 0, added.output
    secret = added.stdout.strip()
    assert secret.startswith("zen_") and len(secret) > 40
    text = (tmp_path / "keys.yaml").read_text()
    assert secret not in text and hash_key(secret) in text
    assert (tmp_path / "keys.yaml").stat().st_mode & 0o077 == 0
    assert runner.invoke(zen_main, ["keys", "add", "ci"], env=env).exit_code != 0  # duplicate name
    listed = runner.invoke(zen_main, ["keys", "list"], env=env)
    assert "ci  tools=chat,codereview  models=gpt-5" in listed.stdout and "sha256" not in listed.stdout
    assert secret not in listed.stdout
    ring = KeyRing(KeyFile(tmp_path).load())
    assert ring.verify(secret) is not None
    assert runner.invoke(zen_main, ["keys", "remove", "ci"], env=env).exit_code == 0
    assert KeyFile(tmp_path).load() == []
    assert runner.invoke(zen_main, ["keys", "remove", "ci"], env=env).exit_code != 0


def test_redaction_masks_secrets_but_keeps_token_counts() -> None:
    data = {
        "apiKey": "abc",
        "OPENAI_API_KEY": "abc",
        "access_token": "abc",
        "password": "p",
        "Authorization": "x",
        "prompt_tokens": 12,
        "max_tokens": 100,
        "model": "gpt-5",
        "nested": [{"client_secret": "s"}, "header Bearer abc.def-ghi", "key sk-abcdefghijklmnop1234 here"],
    }
    assert redact(data) == {
        "apiKey": "***",
        "OPENAI_API_KEY": "***",
        "access_token": "***",
        "password": "***",
        "Authorization": "***",
        "prompt_tokens": 12,
        "max_tokens": 100,
        "model": "gpt-5",
        "nested": [{"client_secret": "***"}, "header Bearer ***", "key *** here"],
    }


def test_metrics_port_for_stdio_mode() -> None:
    server = metrics.start_metrics_server(0)
    try:
        response = httpx.get(f"http://127.0.0.1:{server.server_port}/metrics", timeout=30)
    finally:
        server.shutdown()
        server.server_close()
    assert response.status_code == 200
    assert "# TYPE zen_tool_calls_total counter" in response.text
    assert "# TYPE zen_llm_tokens_total counter" in metrics.metrics_text()


async def test_public_metrics_opt_in_keeps_everything_else_closed(settings: Settings) -> None:
    from zen_core.server.http import build_http_app

    KeyFile(settings.config_dir).add("ops")
    public = Settings(settings.config_dir, overrides={"auth": {"public_metrics": True}})
    app = build_http_app(ZenHost(public, environ={"ZEN_LOAD_PLUGINS": ""}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as client:
        assert (await client.get("/metrics")).status_code == 200
        assert (await client.get("/healthz")).status_code == 200
        for path in ("/mcp", "/mcp/", "//mcp", "/anything"):
            assert (await client.post(path, json={})).status_code == 401, path
