"""Auth, call logging, metrics and a third-party middleware, through a real ``zen serve --http``
and the real MCP client. One server (module scope) serves all tests here to keep the suite fast;
each test measures what its own calls changed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from zen_core.builtins.keys import KeyFile
from zen_core.testing.mcp import HTTPServerProcess, http_client

from .conftest import plugin_env, wait_for_log

if sys.version_info < (3, 11):
    from exceptiongroup import BaseExceptionGroup

PROVIDER_SECRET = "sk-test0123456789abcdefghijklmnop"
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
}


class Server:
    def __init__(self, process: HTTPServerProcess, keys: dict[str, str], log_file: Path, config_dir: Path) -> None:
        self.process = process
        self.keys = keys
        self.log_file = log_file
        self.config_dir = config_dir

    @property
    def url(self) -> str:
        return self.process.url

    def log_text(self) -> str:
        return self.log_file.read_text(encoding="utf-8") if self.log_file.exists() else ""

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        text = self.metrics_text()
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }

    def metrics_text(self) -> str:
        response = httpx.get(f"{self.process.base_url}/metrics", headers=self.auth("full"), timeout=30)
        assert response.status_code == 200, response.text
        return response.text

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[name]}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("mw-http")
    config_dir, data_dir = root / "config", root / "data"
    config_dir.mkdir()
    data_dir.mkdir()
    key_file = KeyFile(config_dir)
    keys = {
        "full": key_file.add("full"),
        "limited": key_file.add("limited", tools=["echo"], models=["good-model"]),
    }
    log_file = root / "logs" / "calls.log"
    endpoint = {"api_base": "http://127.0.0.1:9/v1", "api_key": "unused"}
    (config_dir / "models.yaml").write_text(
        yaml.safe_dump(
            {
                "models": {
                    "good-model": {"model": "openai/good", "aliases": ["gm"], **endpoint},
                    "other-model": {"model": "openai/other", **endpoint},
                }
            }
        )
    )
    (config_dir / "logging.yaml").write_text(yaml.safe_dump({"logging": {"file": str(log_file), "level": "DEBUG"}}))
    env = plugin_env(
        {
            "ZEN_CONFIG_DIR": str(config_dir),
            "ZEN_DATA_DIR": str(data_dir),
            "ZEN_LOAD_PLUGINS": "",
            "ZEN_LOG_LEVEL": "WARNING",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        }
    )
    with HTTPServerProcess(env) as process:
        yield Server(process, keys, log_file, config_dir)


def sample(metrics: dict[Any, float], name: str, **labels: str) -> float:
    return metrics.get((name, tuple(sorted(labels.items()))), 0.0)


# -- auth ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer zen_wrong"}, {"Authorization": "Basic abc"}])
async def test_mcp_handshake_without_a_valid_key_is_401(server: Server, headers: dict[str, str]) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            server.url, json=INIT, headers={**headers, "Accept": "application/json, text/event-stream"}
        )
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_real_client_with_wrong_key_cannot_connect(server: Server) -> None:
    before = sample(server.metrics(), "zen_auth_refusals_total", reason="invalid_key")
    with pytest.raises(BaseExceptionGroup) as info:  # the SDK wraps the HTTP error in an ExceptionGroup
        async with http_client(server.url, api_key="zen_not-a-real-key") as client:
            await client.list_tools()
    errors = info.value.subgroup(lambda exc: "error response" in str(exc))
    assert errors is not None, f"not the server's refusal: {info.value.exceptions!r}"
    # the refusal came from the API-key check (the SDK reports the 401 only as an error response)
    assert sample(server.metrics(), "zen_auth_refusals_total", reason="invalid_key") > before


async def test_healthz_is_open_and_metrics_need_a_key(server: Server) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        assert (await client.get(f"{server.process.base_url}/healthz")).status_code == 200
        assert (await client.get(f"{server.process.base_url}/metrics")).status_code == 401
        ok = await client.get(f"{server.process.base_url}/metrics", headers=server.auth("limited"))
    assert ok.status_code == 200
    assert "zen_tool_calls" in ok.text


async def test_valid_key_works_and_its_name_reaches_the_tool(server: Server) -> None:
    async with http_client(server.url, api_key=server.keys["full"]) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        result = await client.call_tool("echo", {"text": "hello"})
    assert {"echo", "blocked"} <= names
    assert not result.is_error
    data = result.structured_content["data"]
    assert data["text"] == "hello"
    assert data["key_name"] == "full"
    # the trace id is in the result metadata and is what code below the tool sees
    assert data["trace_id_seen_by_tool"] == result.structured_content["metadata"]["trace_id"]
    assert data["transport"] == "http"


async def test_tool_outside_the_keys_allowlist_is_refused(server: Server) -> None:
    async with http_client(server.url, api_key=server.keys["limited"]) as client:
        refused = await client.call_tool("blocked", {})
        allowed = await client.call_tool("echo", {"text": "hi"})
    assert refused.is_error
    error = refused.structured_content["data"]["error"]
    assert error["code"] == "forbidden_tool"
    assert "API key 'limited'" in error["message"] and "'blocked'" in error["message"]
    assert error["allowed_tools"] == ["echo"]
    assert not allowed.is_error


async def test_model_outside_the_keys_allowlist_is_refused(server: Server) -> None:
    async with http_client(server.url, api_key=server.keys["limited"]) as client:
        by_alias = await client.call_tool("echo", {"text": "x", "model": "gm"})
        other = await client.call_tool("echo", {"text": "x", "model": "other-model"})
        in_list = await client.call_tool("echo", {"text": "x", "models": [{"model": "good-model"}, "other-model"]})
    assert not by_alias.is_error  # an alias of an allowed model is allowed
    for result in (other, in_list):
        assert result.is_error
        error = result.structured_content["data"]["error"]
        assert error["code"] == "forbidden_model"
        assert error["model"] == "other-model" and error["allowed_models"] == ["good-model"]
        assert "API key 'limited'" in error["message"] and "good-model" in error["message"]


def test_only_hashes_are_on_disk(server: Server) -> None:
    stored = yaml.safe_load((server.config_dir / "keys.yaml").read_text())["api_keys"]
    assert {entry["name"] for entry in stored} == {"full", "limited"}
    everything = "".join(p.read_text(errors="replace") for p in server.config_dir.rglob("*") if p.is_file())
    for secret in server.keys.values():
        assert secret not in everything
    assert all(entry["hash"].startswith("sha256:") for entry in stored)


# -- third-party middleware -------------------------------------------------------------------


async def test_third_party_middleware_runs_inside_the_builtins(server: Server) -> None:
    async with http_client(server.url, api_key=server.keys["full"]) as client:
        rewritten = await client.call_tool("echo", {"text": "rewrite-me"})
        refused = await client.call_tool("blocked", {})
    data = rewritten.structured_content["data"]
    assert data["text"] == "rewritten"  # it rewrote the argument before validation and the tool
    # auth ran before it (key name known) and metrics too (this call already counted in flight)
    assert data["seen_by_middleware"] == {"key_name": "full", "in_flight": 1.0}
    assert refused.is_error
    assert refused.structured_content["data"]["error"]["code"] == "refused_by_plugin"
    # logging sits outside it: the refusal it produced is logged with the call's trace id
    record = wait_for_log(server.log_text, refused.structured_content["metadata"]["trace_id"])
    assert record["tool"] == "blocked" and record["status"] == "error" and record["error"] == "refused_by_plugin"


# -- logging ------------------------------------------------------------------------------------


async def test_one_log_line_per_call_with_trace_id_and_no_secret(server: Server) -> None:
    async with http_client(server.url, api_key=server.keys["full"]) as client:
        result = await client.call_tool(
            "echo", {"text": f"use Bearer {server.keys['limited']}", "model": "gm", "api_key": PROVIDER_SECRET}
        )
    trace_id = result.structured_content["metadata"]["trace_id"]
    record = wait_for_log(server.log_text, trace_id)
    assert record["tool"] == "echo" and record["status"] == "success" and record["key_name"] == "full"
    assert record["models"] == ["good-model"] and record["llm_calls"] == 1
    assert (record["prompt_tokens"], record["completion_tokens"], record["cost_usd"]) == (11, 7, 0.25)
    assert isinstance(record["latency_ms"], float)
    # debug level: bodies are logged, redacted
    assert record["arguments"]["api_key"] == "***"
    assert record["arguments"]["text"] == "use Bearer ***"
    assert record["headers"]["authorization"] == "***"
    assert record["response"]["data"]["text"] == "use Bearer ***"  # the tool echoed the key back
    assert record["response"]["data"]["trace_id_seen_by_tool"] == trace_id
    assert sum(trace_id in line for line in server.log_text().splitlines()) == 1
    log = server.log_text() + server.process.stderr
    for secret in (*server.keys.values(), PROVIDER_SECRET):
        assert secret not in log


# -- metrics ------------------------------------------------------------------------------------


async def test_metrics_reflect_the_calls_made(server: Server) -> None:
    before = server.metrics()
    async with http_client(server.url, api_key=server.keys["full"]) as client:
        for _ in range(3):
            await client.call_tool("echo", {"text": "m", "models": ["metric-a", "metric-b"]})
        await client.call_tool("blocked", {})
        await client.call_tool("echo", {"wrong": 1})
    async with http_client(server.url, api_key=server.keys["limited"]) as client:
        await client.call_tool("blocked", {})
    after = server.metrics()

    def delta(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert delta("zen_tool_calls_total", tool="echo", status="success") == 3
    assert delta("zen_tool_calls_total", tool="echo", status="error") == 1
    assert delta("zen_tool_errors_total", tool="echo", error="invalid_arguments") == 1
    assert delta("zen_tool_errors_total", tool="blocked", error="refused_by_plugin") == 1
    assert delta("zen_tool_call_duration_seconds_count", tool="echo") == 4
    assert delta("zen_tool_call_duration_seconds_bucket", tool="echo", le="+Inf") == 4
    assert sample(after, "zen_tool_calls_in_flight", tool="echo") == 0
    assert delta("zen_auth_refusals_total", reason="forbidden_tool") == 1  # outermost: never reached metrics
    assert delta("zen_tool_calls_total", tool="blocked", status="error") == 1
    for model, hits in (("metric-a", 0), ("metric-b", 3)):
        assert delta("zen_llm_calls_total", model=model, status="ok") == 3
        assert delta("zen_llm_tokens_total", model=model, kind="prompt") == 33
        assert delta("zen_llm_tokens_total", model=model, kind="completion") == 21
        assert delta("zen_llm_cost_usd_total", model=model) == pytest.approx(0.75)
        assert delta("zen_llm_call_duration_seconds_count", model=model) == 3
        assert delta("zen_llm_call_duration_seconds_sum", model=model) == pytest.approx(0.09)
        assert delta("zen_llm_cache_hits_total", model=model) == hits
        assert delta("zen_llm_rate_limit_wait_seconds_count", model=model) == 3


async def test_unauthorized_requests_are_counted(server: Server) -> None:
    before = sample(server.metrics(), "zen_auth_refusals_total", reason="invalid_key")
    async with httpx.AsyncClient(timeout=30) as client:
        await client.post(server.url, json=INIT, headers={"Authorization": "Bearer zen_nope"})
    assert sample(server.metrics(), "zen_auth_refusals_total", reason="invalid_key") == before + 1


def test_exposition_passes_promtool(server: Server) -> None:
    # `make test` installs promtool (Debian package prometheus, see .ci/ensure-tools.sh); no skip.
    assert shutil.which("promtool"), "promtool not found: install the Debian package prometheus"
    checked = subprocess.run(
        ["promtool", "check", "metrics"], input=server.metrics_text(), capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
