"""Shared helpers of the review tests: real git repositories, canned JSON answers, calls, result access."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import HTTPServerProcess, http_client, zen_command

PLUGINS = "zen-tool-review,zen-tool-chat"
#: Zen model name → (context window, max output tokens). ``tiny`` is small enough to leave diffs out.
MODELS: dict[str, tuple[int, int]] = {
    "alpha": (16_000, 2_000),
    "beta": (16_000, 2_000),
    "gamma": (16_000, 2_000),
    "tiny": (3_000, 400),
}
ERAS = [{"mode": "legacy"}, {}]
ERA_IDS = ["legacy", "2026-07-28"]


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
        "ZEN_LOAD_PLUGINS": PLUGINS,
    }


def write_config(config_dir: Path, fake: FakeLLM, names: dict[str, str], root: Path) -> None:
    models = {
        zen: fake.entry(names[zen], context_window=MODELS[zen][0], max_output_tokens=MODELS[zen][1]) for zen in names
    }
    (config_dir / "models.yaml").write_text(yaml.safe_dump({"models": models}))
    limits = {"llm": {"timeout_s": 20, "num_retries": 0, "cooldown_s": 0}, "cache": {"enabled": False}}
    (config_dir / "limits.yaml").write_text(yaml.safe_dump(limits))
    (config_dir / "files.yaml").write_text(yaml.safe_dump({"files": {"allowed_roots": [str(root)]}}))


def answer(findings: list[dict[str, Any]], summary: str = "Reviewed.", verdict: str | None = None, **extra: Any) -> str:
    """A model's answer in the format the tools ask for."""
    body: dict[str, Any] = {"summary": summary, "findings": findings, **extra}
    if verdict is not None:
        body = {"verdict": verdict, **body}
    return json.dumps(body)


def finding(severity: str, file: str | None, line: int | None, issue: str, fix: str = "Fix it.", **extra: Any) -> dict:
    return {"severity": severity, "file": file, "line": line, "issue": issue, "fix": fix, **extra}


def git(repo: Path, *args: str) -> str:
    """git for the tests' own setup, isolated from the user's git configuration."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }
    done = subprocess.run(
        ["git", "-c", "protocol.file.allow=always", "-c", "init.defaultBranch=main", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def new_repo(path: Path, files: dict[str, str | bytes]) -> Path:
    """A repository at ``path`` with ``files`` committed on ``main``."""
    path.mkdir(parents=True)
    git(path, "init", "-q")
    for name, content in files.items():
        write(path / name, content)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


def add_key(config_dir: Path, name: str, roots: list[Path]) -> str:
    """An API key made with ``zen keys add NAME --roots …`` (the way an operator makes one)."""
    done = subprocess.run(
        zen_command("keys", "add", name, "--roots", ",".join(str(r) for r in roots)),
        env={**os.environ, "ZEN_CONFIG_DIR": str(config_dir)},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def data(result: Any) -> dict[str, Any]:
    assert result.structured_content is not None, result
    return result.structured_content["data"]  # type: ignore[no-any-return]


def text(result: Any) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


def ok(result: Any) -> dict[str, Any]:
    assert not result.is_error, text(result)
    return data(result)


def error(result: Any) -> dict[str, Any]:
    assert result.is_error, text(result)
    return dict(result.structured_content["data"]["error"])


@dataclass
class ReviewServer:
    server: HTTPServerProcess
    fake: FakeLLM
    root: Path
    outside: Path
    #: Zen model name → the fake's model name.
    models: dict[str, str] = field(default_factory=dict)

    def answer(self, model: str, text: str = "", **behaviour: Any) -> None:
        """Set what ``model`` answers from now on (every other behaviour back to normal)."""
        self.fake.behave(self.models[model], text=text, **behaviour)

    def calls(self, model: str) -> int:
        return self.fake.calls(self.models[model])

    def messages(self, model: str) -> list[dict[str, Any]]:
        return self.fake.last_request(self.models[model])["messages"]  # type: ignore[no-any-return]

    def user_text(self, model: str) -> str:
        content = self.messages(model)[-1]["content"]
        return content if isinstance(content, str) else json.dumps(content)

    def repo(self, name: str, files: dict[str, str | bytes]) -> Path:
        return new_repo(self.root / name, files)

    @asynccontextmanager
    async def client(self, **kwargs: Any) -> AsyncIterator[Any]:
        async with http_client(self.server.url, **kwargs) as client:
            yield client

    async def call(self, tool: str, **arguments: Any) -> Any:
        async with self.client() as client:
            return await client.call_tool(tool, arguments)
