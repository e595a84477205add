"""The layout shows the architecture: layers import only downwards, nothing imports in a circle, and
plugins use nothing of the core but its public API.

Every import counts: at module level, inside functions, and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "zen_core"

#: Layers, bottom first. A module may import its own layer and those below it, never one above.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("zen_core.errors", "zen_core.version", "zen_core.redact", "zen_core.settings"),
    ("zen_core.store",),
    ("zen_core.llm",),
    ("zen_core.context",),
    ("zen_core.services",),
    ("zen_core.calls",),
    ("zen_core.plugin",),
    ("zen_core.builtins",),
    ("zen_core.server",),
    ("zen_core.cli",),
    ("zen_core.testing",),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def core_modules() -> dict[str, Path]:
    return {module_name(p): p for p in CORE.rglob("*.py")}


def imports(path: Path) -> Iterator[str]:
    """Every module ``path`` imports (absolute names; ``from a import b`` also yields ``a.b``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def layer_of(module: str) -> int | None:
    for rank, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    return None


def core_edges() -> dict[str, set[str]]:
    """Module → the core modules it imports."""
    modules = core_modules()
    return {name: {i for i in imports(path) if i in modules and i != name} for name, path in modules.items()}


def test_every_core_module_has_a_layer() -> None:
    unplaced = [m for m in core_modules() if m != "zen_core" and layer_of(m) is None]
    assert unplaced == [], "add these modules to LAYERS (and docs/architecture.md)"


def test_no_module_imports_a_layer_above_it() -> None:
    upward = [
        f"{source} -> {target}"
        for source, targets in core_edges().items()
        if source != "zen_core"
        for target in targets
        if target == "zen_core" or (layer_of(target) or 0) > (layer_of(source) or 0)
    ]
    assert upward == []


def test_no_import_cycles() -> None:
    edges = core_edges()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert cycles == []


def test_the_checks_see_a_violation() -> None:
    """The import scan finds what the rules forbid (so the tests above cannot pass by seeing nothing)."""
    edges = core_edges()
    assert "zen_core.llm.service" in edges["zen_core.llm.bound"]
    assert "zen_core.plugin.spec" in edges["zen_core.builtins.auth"]
    assert layer_of("zen_core.server.http") > layer_of("zen_core.calls.dispatch")  # type: ignore[operator]


PLUGIN_PACKAGES = sorted(
    [p for p in (REPO / "plugins").glob("*/zen_*") if p.is_dir()]
    + [p for p in (REPO / "cookiecutter-tool").glob("*/src/*") if p.is_dir()]
)


#: An import of a ``zen_core`` submodule (read as text: the template's files are Jinja, not Python).
PRIVATE_IMPORT = re.compile(r"^\s*(?:from|import)\s+(zen_core\.[\w.]+)", re.MULTILINE)


@pytest.mark.parametrize("package", PLUGIN_PACKAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_plugins_use_only_the_public_api(package: Path) -> None:
    private = [
        f"{path.relative_to(REPO)}: {name}"
        for path in package.rglob("*.py")
        for name in PRIVATE_IMPORT.findall(path.read_text(encoding="utf-8"))
    ]
    assert private == [], "plugins import from `zen_core` only (its public API)"


def test_private_imports_are_recognised() -> None:
    found = PRIVATE_IMPORT.findall(
        "from zen_core import Tool\n    from zen_core.store import Turn\nimport zen_core.llm\n"
    )
    assert found == ["zen_core.store", "zen_core.llm"]


def test_plugin_packages_found() -> None:
    names = {p.name for p in PLUGIN_PACKAGES}
    assert {"zen_tool_chat", "zen_tool_consensus"} <= names
    assert any("cookiecutter" in p.name for p in PLUGIN_PACKAGES)


def test_the_public_api_lists_agree() -> None:
    """``zen_core/__init__.py`` names its API three times: the imports type checkers read, the table
    names are loaded from on first use, and ``__all__``. They agree, and each name is its module's object."""
    import zen_core

    typed: dict[str, str] = {}
    for node in ast.walk(ast.parse((CORE / "__init__.py").read_text(encoding="utf-8"))):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom) and statement.module
                typed.update({alias.name: statement.module for alias in statement.names})
    exports = zen_core._EXPORTS
    assert typed == exports
    assert sorted(zen_core.__all__) == sorted([*exports, "API_VERSION", "__version__"])
    for name, module in exports.items():
        assert getattr(zen_core, name) is getattr(importlib.import_module(module), name), name
