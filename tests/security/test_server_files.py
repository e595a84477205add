"""Zen's own files — its config (provider keys, API-key hashes), its data (every conversation), its logs —
and the coding agents' configuration are never readable through a tool, on any transport, whatever the
roots; and a server started in ``/`` does not serve the system's files."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import yaml

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import stdio_client

pytestmark = pytest.mark.zen_plugins("zen-tool-chat", "zen-tool-consensus")
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


def home_layout(tmp_path: Path, fake: FakeLLM, model: str) -> tuple[dict[str, str], dict[str, Path]]:
    """A home directory holding Zen's config, data and log, and agent configs — all inside the default roots."""
    home = tmp_path / "home"
    config, data, logs = home / "zen-config", home / "zen-data", home / "logs"
    for directory in (config, data, logs, home / ".codex", home / "project"):
        directory.mkdir(parents=True)
    entry = fake.entry(model, supports_vision=True)
    (config / "models.yaml").write_text(yaml.safe_dump({"default_model": "m", "models": {"m": entry}}))
    (config / "logging.yaml").write_text(yaml.safe_dump({"logging": {"file": str(logs / "zen.log")}}))
    (logs / "zen.log").write_text('{"msg": "tool_call", "arguments": "a prompt"}\n')
    (logs / "zen.log.1").write_text("older log\n")
    (data / "zen.db").write_bytes(b"SQLite format 3\x00")
    (home / ".claude.json").write_text('{"mcpServers": {"zen": {"env": {"OPENAI_API_KEY": "k"}}}}')
    (home / ".codex" / "config.toml").write_text('[mcp_servers.zen]\nenv = { "OPENAI_API_KEY" = "k" }\n')
    (home / "project" / "app.py").write_text("print('hello')\n")
    (home / "project" / "shot.png").write_bytes(PNG)
    env = {"HOME": str(home), "ZEN_CONFIG_DIR": str(config), "ZEN_DATA_DIR": str(data)}
    paths = {
        "config": config / "models.yaml",
        "data": data / "zen.db",
        "log": logs / "zen.log",
        "rotated log": logs / "zen.log.1",
        "claude": home / ".claude.json",
        "codex": home / ".codex" / "config.toml",
    }
    return env, {**paths, "home": home, "app": home / "project" / "app.py", "png": home / "project" / "shot.png"}


def refusals(result: Any) -> dict[str, str]:
    assert result.is_error, result.content[0].text
    error = result.structured_content["data"]["error"]
    return {r["path"]: r["reason"] for r in error["refused"]}


async def test_zen_and_agent_files_are_never_readable_over_stdio(
    zen_env: dict[str, str], fake_llm: FakeLLM, tmp_path: Path
) -> None:
    model = fake_llm.model("own-files", text="ok")
    env, paths = home_layout(tmp_path, fake_llm, model)
    protected = {k: str(v) for k, v in paths.items() if k not in ("home", "app", "png")}
    async with stdio_client({**zen_env, **env}, cwd=paths["home"] / "project") as client:
        named = await client.call_tool("chat", {"prompt": "read", "files": list(protected.values())})
        as_images = await client.call_tool(
            "consensus", {"prompt": "look", "models": ["m", "m"], "images": [protected["config"], protected["data"]]}
        )
        expanded = await client.call_tool("chat", {"prompt": "read everything", "files": [str(paths["home"])]})
        image = await client.call_tool("chat", {"prompt": "look", "images": [str(paths["png"])]})

    reasons = refusals(named)
    assert set(reasons) == set(protected.values())
    assert "Zen's own configuration directory" in reasons[protected["config"]]
    assert "Zen's own data directory" in reasons[protected["data"]]
    assert "Zen's log file" in reasons[protected["log"]] and "Zen's log file" in reasons[protected["rotated log"]]
    assert "Claude Code's configuration" in reasons[protected["claude"]]
    assert "Codex's configuration" in reasons[protected["codex"]]
    assert all(reason.count("never readable through tools") == 1 for reason in reasons.values())  # said once
    assert set(refusals(as_images)) == {protected["config"], protected["data"]}  # images follow the same rules

    included = expanded.structured_content["data"]["files"]["included"]
    assert included == [str(paths["app"])]  # expanding the home directory skips all of them
    assert not image.is_error, image.content[0].text  # an ordinary image in the project is fine
    sent = str(fake_llm.requests(model))
    assert "OPENAI_API_KEY" not in sent and "a prompt" not in sent and "SQLite format" not in sent


async def test_a_server_started_in_root_does_not_serve_system_files(
    zen_env: dict[str, str], fake_llm: FakeLLM, tmp_path: Path
) -> None:
    model = fake_llm.model("in-root", text="ok")
    env, _ = home_layout(tmp_path, fake_llm, model)
    async with stdio_client({**zen_env, **env}, cwd="/") as client:
        result = await client.call_tool("chat", {"prompt": "read", "files": ["/etc/hostname"]})
    reason = refusals(result)["/etc/hostname"]
    assert "outside the allowed roots" in reason and str(tmp_path / "home") in reason
    assert fake_llm.calls(model) == 0


async def test_image_checks_are_by_content_for_every_tool(
    zen_env: dict[str, str], fake_llm: FakeLLM, tmp_path: Path
) -> None:
    model = fake_llm.model("img", text="ok")
    env, paths = home_layout(tmp_path, fake_llm, model)
    disguised = paths["home"] / "project" / "notes.png"
    disguised.write_text("OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz012345\n")
    not_image = "data:image/png;base64," + base64.b64encode(b"plain text, not an image").decode()
    async with stdio_client({**zen_env, **env}) as client:
        for tool, extra in (("chat", {}), ("consensus", {"models": ["m", "m"]})):
            by_name = await client.call_tool(tool, {"prompt": "look", "images": [str(disguised)], **extra})
            inline = await client.call_tool(tool, {"prompt": "look", "images": [not_image], **extra})
            for result in (by_name, inline):
                assert result.is_error
                assert result.structured_content["data"]["error"]["code"] == "bad_image", result.content[0].text
                assert "not an image" in result.content[0].text
    assert fake_llm.calls(model) == 0
