"""cookiecutter-tool: render it with several inputs and check that what comes out actually works.

The fast tests render, parse, compile, lint and type-check the output. The slow one does what a plugin
author does: a fresh virtualenv, ``pip install`` of zen-core and of the rendered project, its own
generated tests (real ``zen serve``, real MCP client, fake LLM), then ``zen plugins --json``.
"""

from __future__ import annotations

import json
import os
import py_compile
import re
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
import tomllib
import yaml

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "cookiecutter-tool"
BIN = Path(sys.executable).parent

#: (inputs, expected project slug, package, tool name, entry point name, class prefix)
CASES = [
    (
        {"plugin_name": "word count"},
        "zen-tool-word-count",
        "zen_tool_word_count",
        "word_count",
        "word-count",
        "WordCount",
    ),
    (
        {"plugin_name": "My-Cool Tool", "author_name": "Zoë O'Brien", "github_username": "zoe-ob"},
        "zen-tool-my-cool-tool",
        "zen_tool_my_cool_tool",
        "my_cool_tool",
        "my-cool-tool",
        "MyCoolTool",
    ),
    (
        {"plugin_name": "Diff_Review 2", "description": 'Reviews a diff: "risky" bits & <edge> cases \\ backslashes'},
        "zen-tool-diff-review-2",
        "zen_tool_diff_review_2",
        "diff_review_2",
        "diff-review-2",
        "DiffReview2",
    ),
]


def render(output_dir: Path, **context: str) -> Path:
    """Render the template with cookiecutter's Python API, without prompts; returns the project dir."""
    from cookiecutter.main import cookiecutter

    # cookiecutter leaves each rendered hook script in the temp dir (NamedTemporaryFile(delete=False)):
    # give it one that is removed afterwards
    with tempfile.TemporaryDirectory(prefix="zen-template-hooks-") as scratch:
        saved, tempfile.tempdir = tempfile.tempdir, scratch
        try:
            return Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(output_dir), extra_context=context))
        finally:
            tempfile.tempdir = saved


def run(
    cmd: Sequence[str | Path], *, cwd: Path | None = None, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run a command; on failure the assertion shows its output."""
    proc = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=dict(env) if env is not None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without its venv, plugin selection or pytest options."""
    drop = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith(("ZEN_", "PYTEST_"))}
    return {**env, **extra}


@pytest.mark.parametrize(("inputs", "slug", "package", "tool", "entry", "cls"), CASES, ids=[c[1] for c in CASES])
def test_render_parses_compiles_and_lints(
    tmp_path: Path, inputs: dict[str, str], slug: str, package: str, tool: str, entry: str, cls: str
) -> None:
    project = render(tmp_path, **inputs)
    assert project.name == slug
    expected = {
        "pyproject.toml",
        "README.md",
        ".gitignore",
        f"src/{package}/__init__.py",
        f"src/{package}/tool.py",
        f"src/{package}/py.typed",
        f"tests/test_{tool}.py",
        ".github/workflows/test.yml",
        ".github/workflows/publish.yml",
    }
    files = {p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()}
    assert files == expected

    # No template syntax left behind (GitHub's own ${{ }} expressions excepted).
    for rel in files:
        text = (project / rel).read_text(encoding="utf-8")
        assert not re.search(r"(?<!\$)\{\{|\{%|cookiecutter", text), f"unrendered template text in {rel}"

    meta = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["project"]["name"] == slug
    assert meta["project"]["entry-points"]["zen"] == {entry: package}
    assert meta["project"]["dependencies"] == ["zen-core>=0.2,<0.3"]
    assert set(meta["project"]["optional-dependencies"]) == {"test", "dev"}
    description = inputs.get("description", "A Zen tool that asks another model about a piece of text.")
    assert meta["project"]["description"] == description
    assert meta["project"]["authors"][0]["name"] == inputs.get("author_name", "Your Name")

    for path in project.rglob("*.py"):
        py_compile.compile(str(path), doraise=True)
    tool_src = (project / f"src/{package}/tool.py").read_text(encoding="utf-8")
    assert f"class {cls}Tool(Tool[{cls}Request]):" in tool_src
    assert f'name = "{tool}"' in tool_src
    # The description survives Python's own string parsing, quotes and backslashes included.
    literal = re.search(r"^    description = (.+)$", tool_src, re.M)
    assert literal is not None and eval(literal.group(1)) == description  # a plain string literal

    test_src = (project / f"tests/test_{tool}.py").read_text(encoding="utf-8")
    assert f'pytestmark = pytest.mark.zen_plugins("{entry}")' in test_src

    test_wf = yaml.safe_load((project / ".github/workflows/test.yml").read_text(encoding="utf-8"))
    assert test_wf["jobs"]["test"]["strategy"]["matrix"]["python-version"] == ["3.10", "3.11", "3.12", "3.13"]
    assert "${{ matrix.python-version }}" in (project / ".github/workflows/test.yml").read_text(encoding="utf-8")
    publish = yaml.safe_load((project / ".github/workflows/publish.yml").read_text(encoding="utf-8"))
    assert publish[True] == {"release": {"types": ["published"]}}  # YAML 1.1 reads the key `on` as True
    assert publish["jobs"]["publish"]["permissions"] == {"id-token": "write"}
    assert publish["jobs"]["publish"]["steps"][-1]["uses"] == "pypa/gh-action-pypi-publish@release/v1"

    run([BIN / "ruff", "check", "--no-cache", "."], cwd=project)
    if '"' not in description:  # else ruff format would merely switch that string to single quotes
        run([BIN / "ruff", "format", "--check", "--no-cache", "."], cwd=project)


def test_render_type_checks_strict(tmp_path: Path) -> None:
    project = render(tmp_path, plugin_name="My-Cool Tool")
    run([BIN / "mypy", "--cache-dir", tmp_path / "mypy-cache"], cwd=project)  # [tool.mypy] strict = true


@pytest.mark.parametrize("name", ["1st tool", "tool!", ""])
def test_invalid_names_are_refused_before_writing(tmp_path: Path, name: str) -> None:
    from cookiecutter.exceptions import FailedHookException

    with pytest.raises(FailedHookException):
        render(tmp_path, plugin_name=name)
    assert list(tmp_path.iterdir()) == []


def third_party_packages(into: Path) -> Path:
    """A directory of links to this environment's installed packages, without Zen's own (zen-core and the
    plugins, which the fresh venv must get from their own install) and without .pth files."""
    into.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        name = entry.name.lower()
        if name.startswith(("zen_", "zen-", "__editable__", "_zen")) or name.endswith(".pth"):
            continue
        (into / entry.name).symlink_to(entry)
    return into


@pytest.mark.slow
def test_fresh_venv_install_runs_generated_tests_and_zen_lists_plugin(tmp_path: Path) -> None:
    project = render(tmp_path / "src", plugin_name="word count")
    venv = tmp_path / "venv"
    # without pip of its own (bootstrapping it costs seconds of CPU): this environment's pip installs into it
    run([sys.executable, "-m", "venv", "--without-pip", venv])
    python, env = venv / "bin" / "python", clean_env()
    # The local zen-core (not PyPI's) and the rendered project, installed as a user would. Their
    # third-party dependencies (LiteLLM and the rest: minutes to install) come from this test run's
    # environment through a .pth file, read after the venv's own packages.
    site = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], env=env).stdout.strip()
    Path(site, "zz_test_deps.pth").write_text(f"{third_party_packages(tmp_path / 'deps')}\n")
    pip = [sys.executable, "-m", "pip", "--python", python]
    run([*pip, "install", "-q", "--no-deps", REPO, "-e", str(project)], env=env, timeout=600)
    here = run([python, "-c", "import zen_core, pytest; print(zen_core.__file__)"], cwd=tmp_path, env=env).stdout
    assert here.startswith(str(venv)), here  # really the fresh venv, not this one

    tests = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project, env=env, timeout=300)
    assert re.search(r"\b3 passed\b", tests.stdout), tests.stdout

    config = tmp_path / "config"
    config.mkdir()
    zen_env = clean_env(ZEN_CONFIG_DIR=str(config), ZEN_DATA_DIR=str(tmp_path / "data"))
    listed = json.loads(run([venv / "bin" / "zen", "plugins", "--json"], cwd=tmp_path, env=zen_env).stdout)
    plugin = next(p for p in listed if p["name"] == "word-count")
    assert plugin["distribution"] == "zen-tool-word-count"
    assert plugin["version"] == "0.1.0"
    assert plugin["tools"] == ["word_count"]
    assert plugin["hooks"] == ["register_tools"]
    assert plugin["error"] is None
    tools = json.loads(run([venv / "bin" / "zen", "tools", "--json"], cwd=tmp_path, env=zen_env).stdout)
    assert {"name": "word_count", "plugin": "zen-tool-word-count"}.items() <= next(
        t for t in tools if t["name"] == "word_count"
    ).items()
