"""The annotations table of docs/tools/index.md is what a real MCP client gets from ``tools/list``.

The server loads every plugin package of the repository and has a model with web search configured (so
that ``apilookup`` is offered too). A tool missing from the table, a row for a tool the server does not
list, or any hint that differs fails the test. Both client eras: today's agents (2025-11-25,
``mode="legacy"``) and 2026-07-28.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from zen_core.testing.mcp import stdio_client
from zen_core.testing.pytest_plugin import ZenConfig

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "tools" / "index.md"
HINTS = ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint")
#: How the table spells a hint's value (``—``: not set).
VALUES: dict[str, bool | None] = {"true": True, "false": False, "—": None}
ERAS = [pytest.param({"mode": "legacy"}, id="legacy"), pytest.param({}, id="2026-07-28")]
#: A model with web search, never called (nothing listens on port 9).
WEB_SEARCH_MODEL = {"model": "openai/web", "api_base": "http://127.0.0.1:9/v1", "supports_web_search": True}

Hints = tuple[bool | None, bool | None, bool | None, bool | None]


def plugin_packages() -> list[str]:
    """The distribution names of every plugin under plugins/."""
    names = []
    for pyproject in sorted((REPO / "plugins").glob("*/pyproject.toml")):
        found = re.search(r'^name\s*=\s*"([^"]+)"', pyproject.read_text(encoding="utf-8"), re.MULTILINE)
        assert found, f"no project name in {pyproject}"
        names.append(found.group(1))
    return names


pytestmark = pytest.mark.zen_plugins(*plugin_packages())


def documented() -> dict[str, Hints]:
    """The rows of the table under ``## Annotations``: tool name -> its four hints."""
    section = PAGE.read_text(encoding="utf-8").split("\n## Annotations\n", 1)[1].split("\n## ", 1)[0]
    lines = [line.strip() for line in section.splitlines() if line.strip().startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    columns = [header.index(hint) for hint in HINTS]
    rows: dict[str, Hints] = {}
    for line in lines[2:]:  # after the header and its |---| line
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        name = cells[header.index("tool")].strip("`")
        assert name not in rows, f"{name} has two rows"
        unknown = [cells[c] for c in columns if cells[c] not in VALUES]
        assert not unknown, f"{name}: {unknown} is not one of {list(VALUES)}"
        a, b, c, d = (VALUES[cells[column]] for column in columns)
        rows[name] = (a, b, c, d)
    assert rows, f"no annotations table in {PAGE}"
    return rows


def served(tool: Any) -> Hints:
    ann = tool.annotations
    if ann is None:
        return (None, None, None, None)
    return (ann.read_only_hint, ann.destructive_hint, ann.idempotent_hint, ann.open_world_hint)


@pytest.mark.parametrize("era", ERAS)
async def test_the_annotations_table_is_what_clients_receive(
    zen_env: dict[str, str], zen_config: ZenConfig, era: dict[str, Any]
) -> None:
    zen_config.write("models.yaml", {"models": {"web": WEB_SEARCH_MODEL}})
    async with stdio_client(zen_env, **era) as client:
        listed = {tool.name: served(tool) for tool in (await client.list_tools()).tools}
    table = documented()
    assert sorted(set(listed) - set(table)) == [], "tools served but missing from the table"
    assert sorted(set(table) - set(listed)) == [], "rows for tools the server does not list"
    wrong = {
        name: {hint: {"table": t, "served": s} for hint, t, s in zip(HINTS, table[name], hints, strict=True) if t != s}
        for name, hints in listed.items()
        if table[name] != hints
    }
    assert wrong == {}
    assert "apilookup" in listed and len(listed) >= 22
