"""Shared helpers for the core's tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

PLUGIN_MODULES = Path(__file__).parent / "plugin_modules"


@pytest.fixture
def test_tools_env(zen_env: dict[str, str]) -> dict[str, str]:
    """``zen_env`` plus the test tools of ``plugin_modules/zen_test_tools.py``."""
    return {**zen_env, "PYTHONPATH": str(PLUGIN_MODULES), "ZEN_EXTRA_PLUGINS": "zen_test_tools"}


def make_distribution(root: Path, dist: str, entry_points: dict[str, str], modules: dict[str, str]) -> Path:
    """Write an installed-looking distribution (modules + ``.dist-info`` with entry points) under ``root``.

    Put ``root`` on PYTHONPATH and ``importlib.metadata`` discovers it like a pip-installed package.
    """
    root.mkdir(parents=True, exist_ok=True)
    for name, code in modules.items():
        (root / f"{name}.py").write_text(textwrap.dedent(code))
    info = root / f"{dist.replace('-', '_')}-1.2.3.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.2.3\n")
    lines = "\n".join(f"{name} = {target}" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[zen]\n{lines}\n")
    return root
