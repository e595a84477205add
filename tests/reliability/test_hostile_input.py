"""Hostile input through MCP: fuzzed arguments for every tool's schema, oversized requests,
path-traversal and secret-file attempts, and provider keys that must never reach the logs.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import in_own_task

from .conftest import Rig, make_rig, text_of

pytestmark = pytest.mark.zen_plugins("zen-tool-chat", "zen-tool-consensus")
T = TypeVar("T")
CALL_TIMEOUT_S = 30.0
HOSTILE_STRINGS = [
    "ok",
    "../../../../etc/passwd",
    "/etc/shadow",
    "~/.ssh/id_rsa",
    "/proc/self/environ",
    "\x00",
    "' OR 1=1 --",
    "{{7*7}}",
    "a" * 5000,
    "😀" * 50,
    "",
]


class LoopThread:
    """An event loop in a thread, so hypothesis (synchronous) can drive one long-lived MCP client."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = CALL_TIMEOUT_S) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)  # a hang fails the example instead of stalling the suite

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


# -- a hypothesis strategy from a tool's JSON schema ---------------------------------------------
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def from_schema(schema: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that mostly follow ``schema`` (so calls get past validation) and sometimes do not."""
    if "$ref" in schema:
        return from_schema(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return st.one_of([from_schema(s, defs) for s in schema[key]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "string":
        return st.sampled_from(HOSTILE_STRINGS) | st.text(max_size=60)
    if kind == "integer":
        return st.integers(min_value=-(10**12), max_value=10**12)
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {}), defs), max_size=4)
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        fixed = st.fixed_dictionaries({}, optional={k: from_schema(v, defs) | JSON for k, v in props.items()})
        return st.tuples(fixed, st.dictionaries(st.text(max_size=10), JSON, max_size=2)).map(
            lambda pair: {**pair[1], **pair[0]}
        )
    return JSON


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory, fake_llm_server: FakeLLM) -> Iterator[Rig]:
    rig = make_rig(
        tmp_path_factory.mktemp("hostile"),
        fake_llm_server,
        {"ok": {"text": "fine"}},
        env={"ZEN_LOAD_PLUGINS": "zen-tool-chat,zen-tool-consensus"},
    )
    (rig.root / "notes.txt").write_text("harmless project notes\n")
    (rig.root / ".env").write_text("OPENAI_API_KEY=sk-in-dotenv-0123456789\n")
    yield rig.start()
    rig.stop()


@pytest.fixture(scope="module")
def client(rig: Rig) -> Iterator[tuple[LoopThread, Any]]:
    loop = LoopThread()
    holder = in_own_task(rig.http())
    client = loop.run(holder.__aenter__(), timeout=60)
    try:
        yield loop, client
    finally:
        loop.run(holder.__aexit__(None, None, None), timeout=60)
        loop.close()


def test_fuzzed_arguments_for_every_tool_give_a_result_or_a_clear_error(client: tuple[LoopThread, Any]) -> None:
    loop, mcp = client
    tools = {t.name: t.input_schema for t in loop.run(mcp.list_tools()).tools}
    assert {"chat", "consensus", "listmodels", "version"} <= set(tools)
    strategies = {name: from_schema(schema, schema.get("$defs", {})) for name, schema in tools.items()}

    @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(data=st.data())
    def one_call(data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(tools)), label="tool")
        arguments = data.draw(strategies[name], label="arguments")
        result = loop.run(mcp.call_tool(name, arguments))
        text = text_of(result)
        assert text.strip(), "every result carries readable text"
        if result.is_error:
            assert "Traceback" not in text and "internal_error" != result.structured_content["data"]["error"]["code"]

    one_call()
    assert loop.run(mcp.call_tool("version", {})).is_error is False  # still serving


def test_oversized_arguments_are_refused_naming_the_limit(client: tuple[LoopThread, Any]) -> None:
    loop, mcp = client
    result = loop.run(mcp.call_tool("chat", {"prompt": "x" * 1_100_000, "model": "ok"}))
    text = text_of(result)
    assert result.is_error is True
    assert "server.max_arguments_bytes" in text and "1,000,000" in text, text[:500]
    assert loop.run(mcp.call_tool("chat", {"prompt": "small again", "model": "ok"})).is_error is False


@pytest.mark.parametrize(
    ("make_path", "why"),
    [
        (lambda root: "../../etc/passwd", "not an absolute path"),
        (lambda root: str(root / ".." / ".." / "etc" / "passwd"), "outside"),
        (lambda root: "/proc/self/environ", "outside"),
        (lambda root: str(root / ".env"), "secret"),
        (lambda root: str(Path.home() / ".ssh" / "id_rsa"), "secret file (matches 'id_rsa')"),
        (lambda root: "/etc/hostname", "outside the allowed roots"),
    ],
)
def test_path_traversal_and_secret_files_are_refused(
    client: tuple[LoopThread, Any], rig: Rig, make_path: Any, why: str
) -> None:
    loop, mcp = client
    path = make_path(rig.root)
    result = loop.run(mcp.call_tool("chat", {"prompt": "read this", "model": "ok", "files": [path]}))
    text = text_of(result)
    assert result.is_error is True, text
    assert why in text.lower(), text
    for request in rig.fake.requests(rig.models["ok"]):
        assert "sk-in-dotenv" not in str(request) and "root:x:0:0" not in str(request)


def test_provider_keys_never_reach_the_logs(tmp_path: Path, fake_llm: FakeLLM) -> None:
    secret, env_secret = "sk-zen-config-key-4f9a8b7c6d5e", "sk-zen-env-key-0a1b2c3d4e5f"
    rig = make_rig(
        tmp_path,
        fake_llm,
        {
            "ok": {"text": "fine", "entry": {"api_key": secret}},
            "denied": {
                "status": 401,
                "error_message": f"Incorrect API key provided: {secret}",
                "entry": {"api_key": "os.environ/ZEN_TEST_PROVIDER_KEY"},
            },
        },
        env={"ZEN_LOG_LEVEL": "DEBUG", "ZEN_TEST_PROVIDER_KEY": env_secret, "OPENAI_API_KEY": env_secret},
    )
    (Path(rig.env["ZEN_CONFIG_DIR"]) / "logging.yaml").write_text(yaml.safe_dump({"logging": {"level": "DEBUG"}}))
    rig.start()

    async def calls() -> list[Any]:
        async with asyncio.timeout(60), rig.http() as mcp:
            return [
                await mcp.call_tool("chat", {"prompt": f"my key is {secret}, keep it", "model": "ok"}),
                await mcp.call_tool("chat", {"prompt": "hello", "model": "denied"}),
                await mcp.call_tool("listmodels", {}),
            ]

    results = asyncio.run(calls())
    assert results[0].is_error is False and results[1].is_error is True
    assert fake_llm.last_request(rig.models["ok"])  # the calls really went out with the keys
    rig.stop()
    logs = rig.server.stderr if rig.server else ""
    assert "tool_call" in logs, "the call log was written"
    assert secret not in logs and env_secret not in logs, [line for line in logs.splitlines() if "sk-zen" in line]
    for result in results:
        assert env_secret not in text_of(result)
