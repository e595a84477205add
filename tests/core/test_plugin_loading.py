"""Entry-point plugins: isolation of broken ones, allow/deny lists, strict mode, name conflicts."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from zen_core.testing.mcp import in_own_task, server_env, stdio_client, zen_command

from .conftest import make_distribution

GOOD = """
from pydantic import Field
from zen_core import Tool, ToolRequest, ToolResponse, hookimpl

class Req(ToolRequest):
    word: str = Field(description="A word")

class Good(Tool[Req]):
    name = "good"
    description = "A working tool."
    request_model = Req

    async def execute(self, request, ctx):
        return ToolResponse(data=request.word.upper())

@hookimpl
def register_tools(register):
    register(Good())
"""

DUPLICATE = """
from zen_core import Tool, ToolRequest, ToolResponse, hookimpl

class Req(ToolRequest):
    pass

class Dup(Tool[Req]):
    name = "dup"
    description = "From {dist}."
    request_model = Req

    async def execute(self, request, ctx):
        return ToolResponse(data="{dist}")

@hookimpl
def register_tools(register):
    register(Dup())
"""


EXIT_AT_IMPORT = "import sys\nsys.exit(3)\n"
EXIT_IN_HOOK = """
import sys
from zen_core import hookimpl

@hookimpl
def register_tools(register):
    sys.exit("bye from a hook")
"""
#: pluggy refuses to register a hook implementation that asks for an argument the hook does not pass.
BAD_SIGNATURE = """
from zen_core import hookimpl

@hookimpl
def register_tools(register, settings):
    pass
"""
BAD_SOURCE = """
from zen_core import hookimpl

class Source:
    name = "exploding"

    def load(self, settings):
        raise SystemExit("the source gave up")

@hookimpl
def register_model_sources(register):
    register(Source())
"""
FAILING_MIDDLEWARE = """
from zen_core import hookimpl

async def explode(call, call_next):
    if call.tool.name == "good":
        raise RuntimeError("middleware bug")
    return await call_next(call)

@hookimpl
def register_middleware(register):
    register(explode)
"""


@pytest.fixture
def plugin_path(tmp_path: Path) -> Path:
    """A directory of temporary distributions: good, broken on import, broken hook, typo, two duplicates."""
    root = tmp_path / "site"
    make_distribution(root, "zen-good", {"good": "zen_good"}, {"zen_good": GOOD})
    make_distribution(
        root,
        "zen-broken-import",
        {"broken": "zen_broken_import"},
        {"zen_broken_import": "raise ImportError('needs the missing_dep package')"},
    )
    make_distribution(
        root,
        "zen-bad-hook",
        {"badhook": "zen_bad_hook"},
        {
            "zen_bad_hook": """
        from zen_core import hookimpl

        @hookimpl
        def register_tools(register):
            raise ValueError("cannot build my tools")
    """
        },
    )
    make_distribution(
        root,
        "zen-typo",
        {"typo": "zen_typo"},
        {
            "zen_typo": """
        from zen_core import hookimpl

        @hookimpl
        def register_tool(register):
            pass
    """
        },
    )
    make_distribution(root, "zen-exit-import", {"exitimport": "zen_exit_import"}, {"zen_exit_import": EXIT_AT_IMPORT})
    make_distribution(root, "zen-exit-hook", {"exithook": "zen_exit_hook"}, {"zen_exit_hook": EXIT_IN_HOOK})
    make_distribution(
        root, "zen-bad-register", {"badregister": "zen_bad_register"}, {"zen_bad_register": BAD_SIGNATURE}
    )
    make_distribution(root, "zen-bad-source", {"badsource": "zen_bad_source"}, {"zen_bad_source": BAD_SOURCE})
    make_distribution(root, "zen-bad-mw", {"badmw": "zen_bad_mw"}, {"zen_bad_mw": FAILING_MIDDLEWARE})
    make_distribution(root, "zen-dup-b", {"dupb": "zen_dup_b"}, {"zen_dup_b": DUPLICATE.replace("{dist}", "b")})
    make_distribution(root, "zen-dup-a", {"dupa": "zen_dup_a"}, {"zen_dup_a": DUPLICATE.replace("{dist}", "a")})
    return root


def run_zen(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        zen_command(*args),
        env=server_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def plugins_json(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    proc = run_zen(env, "plugins", "--json")
    assert proc.returncode in (0, 1), proc.stderr  # 1: some plugin failed (the listing is still complete)
    return {p["name"]: p for p in json.loads(proc.stdout)}


@pytest.fixture
def env(zen_env: dict[str, str], plugin_path: Path) -> dict[str, str]:
    env = {**zen_env, "PYTHONPATH": str(plugin_path)}
    env.pop("ZEN_LOAD_PLUGINS", None)  # load every installed plugin, as a user's server would
    return env


def test_broken_plugins_are_listed_with_their_errors(env: dict[str, str]) -> None:
    plugins = plugins_json(env)
    assert plugins["good"]["distribution"] == "zen-good"
    assert plugins["good"]["version"] == "1.2.3"
    assert plugins["good"]["hooks"] == ["register_tools"]
    assert plugins["good"]["tools"] == ["good"]
    assert plugins["good"]["error"] is None
    assert plugins["broken"]["error"] == "ImportError: needs the missing_dep package"
    assert plugins["badhook"]["error"] == "register_tools raised ValueError: cannot build my tools"
    assert plugins["typo"]["error"].startswith("unknown hook(s) register_tool; known hooks are register_tools")
    assert plugins["exitimport"]["error"] == "SystemExit: 3"
    assert plugins["exithook"]["error"] == "register_tools raised SystemExit: bye from a hook"
    assert "PluginValidationError" in plugins["badregister"]["error"]
    assert "settings" in plugins["badregister"]["error"]
    assert plugins["badsource"]["error"] == ("model source 'exploding' failed to load: SystemExit: the source gave up")


def test_plugins_command_names_entry_points_and_fails_when_a_plugin_failed(env: dict[str, str]) -> None:
    listing = run_zen(env, "plugins")
    assert listing.returncode == 1
    assert "good: zen-good 1.2.3\n  tools: good\n" in listing.stdout  # the name ZEN_DISABLE_PLUGINS takes
    assert "broken: zen-broken-import 1.2.3\n" in listing.stdout
    assert "plugin(s) failed" in listing.stderr and "ZEN_DISABLE_PLUGINS=" in listing.stderr
    healthy = run_zen({**env, "ZEN_LOAD_PLUGINS": "good"}, "plugins")
    assert healthy.returncode == 0, healthy.stderr


def test_misspelled_plugin_names_are_warned_about(env: dict[str, str]) -> None:
    listing = run_zen({**env, "ZEN_LOAD_PLUGINS": "good", "ZEN_DISABLE_PLUGINS": "godo"}, "plugins")
    assert "ZEN_DISABLE_PLUGINS names 'godo', which is no installed plugin" in listing.stderr
    doctor = run_zen({**env, "ZEN_LOAD_PLUGINS": "goood"}, "doctor")
    assert doctor.returncode == 1
    assert "Plugin selection: ZEN_LOAD_PLUGINS names 'goood', which is no installed plugin" in doctor.stdout


def test_duplicate_tool_names_name_both_distributions_and_first_sorted_wins(env: dict[str, str]) -> None:
    plugins = plugins_json(env)
    assert plugins["dupa"]["tools"] == ["dup"]
    assert plugins["dupa"]["error"] is None
    assert plugins["dupb"]["tools"] == []
    assert plugins["dupb"]["error"] == (
        "tool 'dup' is also registered by 'zen-dup-a'; 'zen-dup-a' wins (built-ins win, then the distribution "
        "whose name sorts first). Rename the tool in 'zen-dup-b' or disable one plugin with ZEN_DISABLE_PLUGINS"
    )


async def test_server_starts_and_serves_despite_broken_plugins(env: dict[str, str]) -> None:
    async with in_own_task(stdio_client(env)) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert {"good", "dup", "listmodels", "version"} <= names
        failing = await client.call_tool("good", {"word": "zen"})  # a middleware raises around this tool
        assert failing.is_error and "RuntimeError: middleware bug" in failing.content[0].text
        assert (await client.call_tool("listmodels", {})).is_error is False  # and the server keeps serving
        dup = await client.call_tool("dup", {})
        assert dup.structured_content["data"] == "a"
        version = await client.call_tool("version", {})
        errors = {p["name"]: p["error"] for p in version.structured_content["data"]["plugins"]}
        assert errors["broken"] == "ImportError: needs the missing_dep package"


def test_allowlist_loads_only_named_plugins(env: dict[str, str]) -> None:
    plugins = plugins_json({**env, "ZEN_LOAD_PLUGINS": "good,zen-dup-b"})
    loaded = {name for name, p in plugins.items() if not p["disabled"]}
    assert loaded == {"good", "dupb"}
    assert plugins["dupb"]["tools"] == ["dup"]  # no conflict once zen-dup-a is not loaded
    assert plugins["broken"]["error"] is None  # never imported


def test_empty_allowlist_loads_no_external_plugin(env: dict[str, str]) -> None:
    plugins = plugins_json({**env, "ZEN_LOAD_PLUGINS": ""})
    assert all(p["disabled"] for p in plugins.values())
    tools = json.loads(run_zen({**env, "ZEN_LOAD_PLUGINS": ""}, "tools", "--json").stdout)
    assert {t["name"] for t in tools} == {"listmodels", "threads", "version", "usage", "jobs", "cancel_job"}


def test_denylist_disables_by_entry_point_or_distribution_name(env: dict[str, str]) -> None:
    plugins = plugins_json({**env, "ZEN_DISABLE_PLUGINS": "broken,zen-bad-hook"})
    assert plugins["broken"]["disabled"] and plugins["broken"]["error"] is None
    assert plugins["badhook"]["disabled"] and plugins["badhook"]["error"] is None
    assert not plugins["good"]["disabled"]


def test_strict_mode_turns_load_errors_into_a_startup_failure(env: dict[str, str]) -> None:
    proc = run_zen({**env, "ZEN_STRICT_PLUGINS": "1"}, "serve")
    assert proc.returncode == 1
    assert "plugin errors (ZEN_STRICT_PLUGINS is set)" in proc.stderr
    assert "broken: ImportError: needs the missing_dep package" in proc.stderr
    assert proc.stdout == ""


def test_builtins_are_hidden_unless_all(env: dict[str, str]) -> None:
    assert "zen_core.builtins.tools" not in plugins_json(env)
    proc = run_zen(env, "plugins", "--json", "--all")
    names = {p["name"]: p for p in json.loads(proc.stdout)}
    assert names["zen_core.builtins.tools"]["builtin"] is True
    assert names["zen_core.builtins.tools"]["tools"] == [
        "listmodels",
        "version",
        "threads",
        "usage",
        "jobs",
        "cancel_job",
    ]


def test_same_distribution_on_two_paths_is_loaded_once(env: dict[str, str], tmp_path: Path) -> None:
    second = make_distribution(tmp_path / "copy", "zen-good", {"good": "zen_good"}, {"zen_good": GOOD})
    plugins = plugins_json({**env, "PYTHONPATH": f"{env['PYTHONPATH']}:{second}"})
    assert plugins["good"]["error"] is None
    assert plugins["good"]["tools"] == ["good"]
