"""The distribution: one entry point per tool, loaded lazily, each switched off on its own."""

from __future__ import annotations

import importlib
import importlib.metadata as md
import subprocess
import sys
from typing import Any

import pytest
from planner_helpers import SEARCHES

TOOLS = {"planner": "planner", "challenge": "challenge", "apilookup": "apilookup"}


def test_importing_the_package_loads_no_tool_module() -> None:
    probe = "import sys, zen_tool_planner; print(sorted(m for m in sys.modules if m.startswith('zen_tool_planner')))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['zen_tool_planner']"


def test_each_entry_point_registers_its_tool_even_after_the_tool_modules_were_imported() -> None:
    for module in TOOLS:
        importlib.import_module(f"zen_tool_planner.{module}")  # sets zen_tool_planner.<module> to the module
    entry_points = {ep.name: ep for ep in md.entry_points(group="zen") if ep.value.startswith("zen_tool_planner:")}
    assert sorted(entry_points) == sorted(TOOLS)
    for name, ep in entry_points.items():
        registered: list[Any] = []
        ep.load().register_tools(register=registered.append)
        assert [tool.name for tool in registered] == [TOOLS[name]]


@pytest.mark.zen_plugins("zen-tool-planner")
def test_the_distribution_name_loads_all_three_and_one_can_be_switched_off(
    zen_env: dict[str, str], zen_config: Any, request: pytest.FixtureRequest
) -> None:
    entry = {"model": "openai/x", "api_key": "k", "api_base": "http://127.0.0.1:9/v1", **SEARCHES}
    zen_config.write("models.yaml", {"models": {"m": entry}})
    zen_env["ZEN_DISABLE_PLUGINS"] = "challenge"
    host = request.getfixturevalue("zen_host")
    ours = {name: e.distribution for name, e in host.tools.items() if not e.builtin}
    assert ours == {"planner": "zen-tool-planner", "apilookup": "zen-tool-planner"}
