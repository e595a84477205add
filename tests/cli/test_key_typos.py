"""A misspelled tool or model in an API key's allowlist is no silent dead key: `zen keys add` warns and
`zen doctor` flags it."""

from __future__ import annotations

import subprocess

from zen_core.testing.mcp import server_env, zen_command
from zen_core.testing.pytest_plugin import ZenConfig


def zen(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        zen_command(*args), env=server_env(env), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120
    )


def test_keys_add_warns_about_unknown_tools_and_models(zen_env: dict[str, str], zen_config: ZenConfig) -> None:
    zen_config.write("models.yaml", {"models": {"local": {"model": "openai/x", "api_base": "http://127.0.0.1:9/v1"}}})
    added = zen(zen_env, "keys", "add", "ci", "--tools", "listmodels,nosuch", "--models", "local,gtp-5")
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("zen_")  # the key is still created (a plugin may be installed later)
    assert "Warning: key 'ci': tools names 'nosuch', which is not served here (" in added.stderr
    assert "Warning: key 'ci': models names 'gtp-5', which is not served here (" in added.stderr
    assert "'listmodels'" not in added.stderr and "'local'" not in added.stderr
    assert zen(zen_env, "keys", "add", "ops", "--tools", "Chat").stderr.count("tools names 'Chat'") == 1  # exact

    doctor = zen(zen_env, "doctor")
    assert doctor.returncode == 1
    assert "API keys: key 'ci': tools names 'nosuch'" in doctor.stdout
    assert "API keys: key 'ci': models names 'gtp-5'" in doctor.stdout


def test_correct_allowlists_give_no_warning(zen_env: dict[str, str], zen_config: ZenConfig) -> None:
    zen_config.write("models.yaml", {"models": {"local": {"model": "openai/x", "api_base": "http://127.0.0.1:9/v1"}}})
    added = zen(zen_env, "keys", "add", "ci", "--tools", "listmodels,version", "--models", "LOCAL")
    assert added.returncode == 0, added.stderr
    assert "Warning" not in added.stderr
    doctor = zen(zen_env, "doctor")
    assert "API keys:" not in doctor.stdout
    assert doctor.returncode == 0, doctor.stdout
