"""The `zen` command: call, tools, doctor, help and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

from zen_core.testing.mcp import server_env, zen_command


def zen(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        zen_command(*args),
        env=server_env(env),
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_call_runs_a_tool_with_arguments_and_progress(test_tools_env: dict[str, str]) -> None:
    proc = zen(test_tools_env, "call", "steps", "--arg", "steps=2")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "done 2 steps"
    assert "[progress 1/2] step 1/2" in proc.stderr
    assert "[progress 2/2] step 2/2" in proc.stderr


def test_call_json_arguments_and_json_output(test_tools_env: dict[str, str]) -> None:
    proc = zen(test_tools_env, "call", "echo", "--json", '{"text": "x", "times": 3}', "--output", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "success"
    assert out["data"]["text"] == "xxx"


def test_call_error_exits_1_with_the_message(test_tools_env: dict[str, str]) -> None:
    proc = zen(test_tools_env, "call", "echo", "--arg", "times=2")
    assert proc.returncode == 1
    assert '- text: Field required (add "text" (string))' in proc.stdout


def test_call_rejects_malformed_arguments_with_usage_error(test_tools_env: dict[str, str]) -> None:
    proc = zen(test_tools_env, "call", "echo", "--arg", "novalue")
    assert proc.returncode == 2
    assert "expected KEY=VALUE, got 'novalue'" in proc.stderr


def test_tools_json_reports_schema_size(test_tools_env: dict[str, str]) -> None:
    proc = zen(test_tools_env, "tools", "--json")
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    assert rows["echo"]["plugin"] == "zen_test_tools"
    assert 10 < rows["echo"]["schema_tokens"] < 200


def test_doctor_reports_config_plugins_and_store(test_tools_env: dict[str, str]) -> None:
    proc = zen(test_tools_env, "doctor", "--json")
    report = json.loads(proc.stdout)
    assert any(path.endswith("models.yaml") for path in report["config_files"])
    assert report["plugin_errors"] == {}
    assert report["store"].startswith("ok (sqlite:")
    assert report["provider_keys"]["openai"] is False
    assert proc.returncode == 0, proc.stderr


def test_doctor_fails_on_plugin_errors(test_tools_env: dict[str, str]) -> None:
    env = {**test_tools_env, "ZEN_EXTRA_PLUGINS": "zen_test_tools,no_such_plugin_module"}
    proc = zen(env, "doctor")
    assert proc.returncode == 1
    assert "Plugin error: no_such_plugin_module: ModuleNotFoundError" in proc.stdout


def test_help_and_version(zen_env: dict[str, str]) -> None:
    proc = zen(zen_env, "--help")
    assert proc.returncode == 0
    for command in ("serve", "call", "plugins", "tools", "models", "doctor"):
        assert command in proc.stdout
    assert zen(zen_env, "--version").stdout.startswith("zen, version ")


def test_tools_list_does_not_import_litellm(test_tools_env: dict[str, str]) -> None:
    """`initialize` + `tools/list` must not pay for `import litellm` (seconds)."""
    script = (
        "import asyncio, sys\n"
        "from zen_core.plugin.host import ZenHost\n"
        "from zen_core.server.mcp import ZenMCPServer\n"
        "zen = ZenMCPServer(ZenHost(), warm_up_after_list=False)\n"
        "result = asyncio.run(zen.list_tools(None, None))\n"
        "assert result.tools, 'no tools'\n"
        "print('litellm' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], env=server_env(test_tools_env), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
