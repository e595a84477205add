"""The docs build cleanly, show real CLI output, and document (and test) every hook."""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import zen_core.plugin.spec as hookspecs
from zen_core.testing import preload

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
HOOKS = sorted(
    (fn for _, fn in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(fn, "zen_spec")),
    key=lambda fn: fn.__name__,
)


def cog_pages() -> list[Path]:
    pages = [*DOCS.rglob("*.md"), REPO / "README.md"]
    return sorted(p for p in pages if "[[[cog" in p.read_text(encoding="utf-8"))


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(REPO / "mkdocs.yml"), "-d", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "plugins" / "hooks" / "index.html").is_file()


def test_every_page_in_nav_exists() -> None:
    # mkdocs --strict also fails on this; this test names the missing files plainly.
    nav = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]

    def pages(node: object) -> list[str]:
        if isinstance(node, str):
            return [node]
        if isinstance(node, list):
            return [p for item in node for p in pages(item)]
        if isinstance(node, dict):
            return [p for value in node.values() for p in pages(value)]
        return []

    missing = [page for page in pages(nav) if not (DOCS / page).is_file()]
    assert missing == []


def zen_script_command() -> list[str]:
    """The venv's ``zen`` script forked from the preloaded Zen (as it is, with the preloader off)."""
    script = os.path.join(os.path.dirname(sys.executable), "zen")
    return preload.command(script=script) if preload.enabled() else [script]


def test_cog_output_is_current() -> None:
    """Embedded CLI output, the hook reference and example code match what running them gives now (the
    ``zen`` commands forked from the preloaded Zen: see docs/cli_output.py)."""
    pages = cog_pages()
    assert {"cli-reference.md", "hooks.md"} <= {p.name for p in pages}
    proc = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", "--diff", *map(str, pages)],
        cwd=REPO,
        env={**os.environ, "ZEN_DOCS_COMMAND": json.dumps(zen_script_command())},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"stale docs; run `bash docs/cog.sh`\n{proc.stdout}{proc.stderr}"


def test_hookspecs_found() -> None:
    assert {fn.__name__ for fn in HOOKS} == {
        "register_tools",
        "register_middleware",
        "register_model_sources",
        "register_routes",
        "register_asgi_wrappers",
    }


@pytest.mark.parametrize("hook", HOOKS, ids=lambda fn: fn.__name__)
def test_hook_documented_with_its_signature(hook: object) -> None:
    text = (DOCS / "plugins" / "hooks.md").read_text(encoding="utf-8")
    sig = inspect.signature(hook)  # type: ignore[arg-type]
    params = ", ".join(f"{p.name}: {p.annotation}" for p in sig.parameters.values())
    assert f"## {hook.__name__}\n" in text  # type: ignore[attr-defined]
    assert f"def {hook.__name__}({params}) -> {sig.return_annotation}: ..." in text  # type: ignore[attr-defined]


@pytest.mark.parametrize("hook", HOOKS, ids=lambda fn: fn.__name__)
def test_hook_has_a_test(hook: object) -> None:
    """Some test (or a test plugin it loads) under tests/ or plugins/ implements the hook."""
    name = hook.__name__  # type: ignore[attr-defined]
    impl = re.compile(rf"def {name}\(")
    users = [
        path
        for root in ("tests", "plugins")
        for path in (REPO / root).rglob("*.py")
        if "tests" in path.relative_to(REPO).parts
        and path.name != Path(__file__).name
        and impl.search(path.read_text(encoding="utf-8"))
    ]
    assert users, f"no test implements {name}"
