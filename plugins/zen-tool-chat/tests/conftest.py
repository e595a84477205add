"""One ``zen serve --http`` with the chat plugin for the module, models on the session's fake LLM.

Starting a server (and LiteLLM in it) costs seconds, so the HTTP tests share one; each test opens its
own MCP client and uses its own fake model names, files and conversations.
"""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import HTTPServerProcess, http_client

HERE = Path(__file__).parent
#: Result size limit of the test server (MAX_MCP_OUTPUT_TOKENS), small enough to page a long answer.
OUTPUT_LIMIT = 1000
LONG_ANSWER = "".join(f"line {i:04d}: " + "lorem ipsum dolor sit amet " * 3 + "\n" for i in range(120))
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


def base_env(tmp: Path) -> dict[str, str]:
    config, data = tmp / "config", tmp / "data"
    config.mkdir()
    data.mkdir()
    return {
        "ZEN_CONFIG_DIR": str(config),
        "ZEN_DATA_DIR": str(data),
        "ZEN_LOG_LEVEL": "WARNING",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_OFFLINE_MODE": "true",
        "ZEN_LOAD_PLUGINS": "zen-tool-chat",
        "ZEN_EXTRA_PLUGINS": "chat_test_tools",
        "PYTHONPATH": os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH", "")) if p),
    }


def write_config(config_dir: Path, fake: FakeLLM, models: dict[str, dict[str, Any]], root: Path) -> None:
    body = {name: fake.entry(spec.pop("fake"), **spec) for name, spec in models.items()}
    (config_dir / "models.yaml").write_text(yaml.safe_dump({"models": body}))
    limits = {"llm": {"timeout_s": 20, "num_retries": 0, "cooldown_s": 0}, "cache": {"enabled": False}}
    (config_dir / "limits.yaml").write_text(yaml.safe_dump(limits))
    (config_dir / "files.yaml").write_text(yaml.safe_dump({"files": {"allowed_roots": [str(root)]}}))


@dataclass
class ChatServer:
    server: HTTPServerProcess
    fake: FakeLLM
    root: Path
    outside: Path
    #: Zen model name → the fake's model name (to inspect the requests the fake received).
    models: dict[str, str] = field(default_factory=dict)
    long_answer: str = LONG_ANSWER
    output_limit: int = OUTPUT_LIMIT
    png: bytes = PNG

    def requests(self, model: str) -> list[dict[str, Any]]:
        return self.fake.requests(self.models[model])

    def user_text(self, model: str) -> str:
        """The text of the user message of the last request the fake received for ``model``."""
        content = self.fake.last_request(self.models[model])["messages"][-1]["content"]
        if isinstance(content, list):
            return "\n".join(part.get("text", "") for part in content if part.get("type") == "text")
        return str(content)

    @asynccontextmanager
    async def client(self) -> AsyncIterator[Any]:
        async with http_client(self.server.url) as client:
            yield client


@pytest.fixture(scope="module")
def chat_server(fake_llm_server: FakeLLM, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChatServer]:
    tmp = tmp_path_factory.mktemp("chat")
    root, outside = (tmp / "root").resolve(), (tmp / "outside").resolve()
    root.mkdir()
    outside.mkdir()
    fake = fake_llm_server
    names = {
        "chatty": fake.model("chatty", text="hello from chatty"),
        "eyes": fake.model("eyes", text="I see it"),
        "small": fake.model("small", text="small answer"),
        "stream": fake.model("stream", text=" ".join(f"word{i}" for i in range(80)), chunk_delay_s=0.005),
        "long": fake.model("long", text=LONG_ANSWER),
        "broken": fake.model("broken", status=500, error_message="upstream exploded"),
    }
    models: dict[str, dict[str, Any]] = {
        "chatty": {
            "fake": names["chatty"],
            "aliases": ["ch"],
            "context_window": 8000,
            "max_output_tokens": 1000,
            "supports_vision": False,
            "supports_thinking": True,
        },
        "eyes": {
            "fake": names["eyes"],
            "context_window": 8000,
            "max_output_tokens": 1000,
            "supports_vision": True,
            "supports_thinking": False,
        },
        "small": {"fake": names["small"], "context_window": 3000, "max_output_tokens": 400},
        "stream": {"fake": names["stream"], "context_window": 8000, "max_output_tokens": 1000},
        "long": {"fake": names["long"], "context_window": 8000, "max_output_tokens": 4000},
        "broken": {"fake": names["broken"], "context_window": 8000, "max_output_tokens": 1000},
    }
    env = base_env(tmp)
    env["MAX_MCP_OUTPUT_TOKENS"] = str(OUTPUT_LIMIT)
    write_config(Path(env["ZEN_CONFIG_DIR"]), fake, models, root)
    with HTTPServerProcess(env) as server:
        yield ChatServer(server, fake, root, outside, names)
