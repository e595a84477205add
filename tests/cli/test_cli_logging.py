"""CLI commands log at WARNING unless asked (``--log-level`` / ``ZEN_LOG_LEVEL``): ``zen call`` prints its
result and nothing else; ``zen serve`` keeps the call log its settings configure."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from zen_core.testing.mcp import server_env, stdio_client, zen_command
from zen_core.testing.pytest_plugin import ZenConfig


def zen(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        zen_command(*args),
        env=server_env(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_zen_call_prints_only_the_result(zen_env: dict[str, str]) -> None:
    unset = {k: v for k, v in zen_env.items() if k != "ZEN_LOG_LEVEL"}
    for env in (zen_env, unset):  # ZEN_LOG_LEVEL=WARNING, and not set at all
        done = zen(env, "call", "version")
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("Zen ")
        assert done.stderr == ""


def test_zen_call_logs_the_call_when_asked(zen_env: dict[str, str]) -> None:
    for env, args in (({**zen_env, "ZEN_LOG_LEVEL": "INFO"}, ()), (zen_env, ("--log-level", "INFO"))):
        done = zen(env, *args, "call", "version")
        assert done.returncode == 0, done.stderr
        lines = [json.loads(line) for line in done.stderr.splitlines()]
        assert [(line["msg"], line["tool"], line["status"]) for line in lines] == [("tool_call", "version", "success")]


async def test_zen_serve_keeps_its_configured_call_log(
    zen_env: dict[str, str], zen_config: ZenConfig, tmp_path: Path
) -> None:
    log_file = tmp_path / "calls.log"
    zen_config.write("logging.yaml", {"logging": {"file": str(log_file)}})  # level: the default, INFO
    async with stdio_client(zen_env) as client:  # zen_env sets ZEN_LOG_LEVEL=WARNING
        assert (await client.call_tool("version", {})).is_error is False
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert [(line["msg"], line["tool"], line["transport"]) for line in lines] == [("tool_call", "version", "stdio")]
