"""clink the way agents run Zen (``zen serve`` over stdio, both protocol eras), its configuration errors,
and HTTP, where it is off unless allowed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from clink_helpers import clis_config, data, error, make_fake, ok, real, records, text

from zen_core.testing.mcp import HTTPServerProcess, http_client, stdio_client

pytestmark = pytest.mark.zen_plugins("zen-tool-clink")

SHIPPED = ("gemini", "codex", "claude", "opencode")


@pytest.mark.parametrize("era", [{"mode": "legacy"}, {}], ids=["legacy", "2026-07-28"])
async def test_clink_over_stdio(zen_env: dict[str, str], zen_config: Any, tmp_path: Path, era: dict[str, Any]) -> None:
    project = (tmp_path / "project").resolve()
    project.mkdir()
    record = tmp_path / "runs.jsonl"
    clis = {name: {"enabled": False} for name in SHIPPED}  # so the first installed CLI is ours
    clis["text"] = {"command": [str(make_fake(tmp_path / "bin", "text"))], "env": {"FAKE_RECORD": str(record)}}
    zen_config.write("clink.yaml", {"plugins": {"zen-tool-clink": {"clis": clis}}})
    zen_config.write("files.yaml", {"files": {"allowed_roots": [str(project)]}})
    async with stdio_client(zen_env, cwd=project, **era) as client:
        tool = next(t for t in (await client.list_tools()).tools if t.name == "clink")
        assert tool.annotations is not None and tool.annotations.read_only_hint is False
        assert tool.annotations.destructive_hint is True and tool.annotations.open_world_hint is True
        answer, handle = tool.output_schema["properties"]["data"]["anyOf"]  # the answer, or a background job
        assert answer["required"][:2] == ["answer", "continuation_id"] and handle["required"] == ["job_id"]
        # No cli and no working_dir: the first installed CLI, in the directory Zen runs in.
        result = await client.call_tool("clink", {"prompt": "What is here?"})
    body = ok(result)
    assert body["cli"] == "text" and body["working_dir"] == str(project)
    assert body["answer"] == "TEXT ANSWER from the fake CLI\nsecond line"
    [run] = records(record)
    assert run["cwd"] == str(project)
    assert run["stdin"].startswith("You are a coding agent consulted by another AI coding agent.")


async def test_bad_configuration_names_each_key_and_the_fix(
    zen_env: dict[str, str], zen_config: Any, tmp_path: Path
) -> None:
    zen_config.write(
        "clink.yaml",
        {
            "plugins": {
                "zen-tool-clink": {
                    "clis": {
                        "mine": {"command": "mycli --fast", "parser": "xml", "colour": "red"},
                        "gemini": {"timeout_s": -5},
                        "resumer": {"command": ["x"], "resume_args": ["--resume"]},
                        "typo": {"command": ["x"], "args": ["{promt}"]},
                    },
                    "timeout": 30,
                }
            }
        },
    )
    async with stdio_client(zen_env) as client:
        result = await client.call_tool("clink", {"prompt": "hi", "cli": "gemini", "working_dir": str(tmp_path)})
    err = error(result)
    assert err["code"] == "config_error"
    message = text(result)
    assert message.startswith("Invalid clink configuration (in a YAML file of your Zen config dir):\n")
    key = "plugins.zen-tool-clink"
    expected = [
        f"- {key}.clis.mine.command: must be a list of argv strings, not one string",
        f"- {key}.clis.mine.parser: Input should be 'text', 'json' or 'jsonl' (expected one of text, json",
        f"- {key}.clis.mine.colour: Extra inputs are not permitted (remove it or fix its spelling; known keys: "
        "command,",
        f"- {key}.clis.gemini.timeout_s: Input should be greater than 0 (expected seconds, more than 0",
        f"- {key}.clis.resumer: resume_args: must contain {{session_id}} (or leave resume_args out)",
        f"- {key}.clis.typo: args: unknown placeholder {{promt}} in '{{promt}}' (allowed here: {{prompt}}, "
        "{prompt_file}, {working_dir})",
        f"- {key}.timeout: Extra inputs are not permitted (remove it or fix its spelling; known keys: clis,",
    ]
    for line in expected:
        assert line in message, line
    assert {e["key"] for e in err["errors"]} >= {f"{key}.clis.mine.command", f"{key}.timeout"}


async def test_no_installed_cli_is_explained(zen_env: dict[str, str], zen_config: Any, tmp_path: Path) -> None:
    clis: dict[str, Any] = {name: {"enabled": False} for name in SHIPPED}
    clis["ghost"] = {"command": ["zen-no-such-cli-9f2c"]}
    zen_config.write("clink.yaml", {"plugins": {"zen-tool-clink": {"clis": clis}}})
    async with stdio_client(zen_env) as client:
        result = await client.call_tool("clink", {"prompt": "hi", "working_dir": str(tmp_path)})
        disabled = await client.call_tool("clink", {"prompt": "hi", "cli": "gemini", "working_dir": str(tmp_path)})
    assert error(result)["code"] == "cli_not_found"
    assert "No CLI given and none of the configured ones is installed (ghost)" in text(result)
    assert "CLI 'gemini' is disabled (plugins.zen-tool-clink.clis.gemini.enabled: false)" in text(disabled)


async def test_http_is_off_unless_allowed(zen_env: dict[str, str], zen_config: Any, tmp_path: Path) -> None:
    record = tmp_path / "runs.jsonl"
    clis = clis_config(tmp_path / "bin", record)
    zen_config.write("clink.yaml", {"plugins": {"zen-tool-clink": {"clis": clis}}})
    zen_config.write("files.yaml", {"files": {"allowed_roots": [str(real(tmp_path))]}})
    args = {"prompt": "hi", "cli": "text", "working_dir": str(real(tmp_path))}
    async with HTTPServerProcess(zen_env) as server, http_client(server.url) as client:
        result = await client.call_tool("clink", args)
    err = error(result)
    assert err["code"] == "clink_http_disabled"
    assert "plugins.zen-tool-clink.allow_http: true" in err["message"]
    assert records(record) == []  # nothing ran
    assert data(result)["error"]["message"] == text(result)
