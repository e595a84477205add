"""``zen call TOOL --arg KEY=VALUE``: values are read as the tool's input schema types them, so a single
value for a list field is a one-item list and a string field keeps JSON-looking text as text."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import server_env, zen_command
from zen_core.testing.pytest_plugin import ZenConfig

pytestmark = pytest.mark.zen_plugins("zen-tool-chat")


@pytest.fixture
def project(zen_config: ZenConfig, fake_llm: FakeLLM, tmp_path: Path) -> Path:
    """A project dir the chat tool may read, and a model ``echo`` answering with what it was sent."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "one.txt").write_text("the first word is zebra\n")
    (root / "two.txt").write_text("the second word is quokka\n")
    zen_config.write("models.yaml", {"models": {"echo": fake_llm.entry(fake_llm.model("echo", echo=True))}})
    zen_config.write("files.yaml", {"files": {"allowed_roots": [str(root)]}})
    return root


def zen_call(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        zen_command("call", *args),
        env=server_env(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_one_value_for_a_list_field(zen_env: dict[str, str], project: Path) -> None:
    done = zen_call(
        zen_env, "chat", "--arg", "prompt=read it", "--arg", "model=echo", "--arg", f"files={project}/one.txt"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "zebra" in done.stdout


def test_repeated_values_for_a_list_field(zen_env: dict[str, str], project: Path) -> None:
    files = ["--arg", f"files={project}/one.txt", "--arg", f"files={project}/two.txt"]
    done = zen_call(zen_env, "chat", "--arg", "prompt=read them", "--arg", "model=echo", *files)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "zebra" in done.stdout and "quokka" in done.stdout


def test_a_string_field_keeps_json_looking_text(zen_env: dict[str, str], project: Path) -> None:
    done = zen_call(zen_env, "chat", "--arg", "prompt=1234567", "--arg", "model=echo")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1234567" in done.stdout
