"""Settings: packaged defaults, user config dir, ZEN_* env, and errors that name file, key and fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from zen_core.settings import ConfigError, Settings


class Limits(BaseModel):
    requests_per_minute: int


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    defaults, user = tmp_path / "defaults", tmp_path / "user"
    defaults.mkdir()
    user.mkdir()
    (defaults / "limits.yaml").write_text("limits:\n  requests_per_minute: 60\n  burst: 5\n")
    (defaults / "prompts.yaml").write_text("prompts:\n  chat:\n    system: default prompt\n")
    return defaults, user


def test_user_files_override_defaults_and_merge(dirs: tuple[Path, Path]) -> None:
    defaults, user = dirs
    (user / "limits.yaml").write_text("limits:\n  requests_per_minute: 10\n")
    settings = Settings(user, defaults_dir=defaults)
    assert settings.get("limits.requests_per_minute") == 10
    assert settings.get("limits.burst") == 5  # merged, not replaced
    assert settings.get("prompts.chat.system") == "default prompt"
    assert settings.source_of("limits.requests_per_minute") == str(user / "limits.yaml")
    assert settings.source_of("limits.burst") == str(defaults / "limits.yaml")


def test_env_overrides_nested_keys(dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZEN_LIMITS__REQUESTS_PER_MINUTE", "7")
    settings = Settings(dirs[1], defaults_dir=dirs[0])
    assert settings.get("limits.requests_per_minute") == 7
    assert settings.source_of("limits.requests_per_minute") == "environment variable ZEN_LIMITS__REQUESTS_PER_MINUTE"


def test_malformed_yaml_names_the_file_and_line(dirs: tuple[Path, Path]) -> None:
    defaults, user = dirs
    bad = user / "models.yaml"
    bad.write_text("models:\n  gpt:\n    aliases: [a, b\n  other: 1\n")
    with pytest.raises(ConfigError) as err:
        Settings(user, defaults_dir=defaults)
    assert str(err.value).startswith(f"in {bad}: malformed YAML (line ")


def test_top_level_must_be_a_mapping(dirs: tuple[Path, Path]) -> None:
    (dirs[1] / "x.yaml").write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="expected a mapping of keys at the top level, got list"):
        Settings(dirs[1], defaults_dir=dirs[0])


def test_wrong_type_names_file_key_and_expectation(dirs: tuple[Path, Path]) -> None:
    defaults, user = dirs
    (user / "limits.yaml").write_text("limits:\n  requests_per_minute: lots\n")
    settings = Settings(user, defaults_dir=defaults)
    with pytest.raises(ConfigError) as err:
        settings.validate("limits", Limits)
    assert err.value.source == str(user / "limits.yaml")
    assert err.value.key == "limits.requests_per_minute"
    assert "limits.requests_per_minute: Input should be a valid integer" in str(err.value)


def test_plugin_section_accessor(dirs: tuple[Path, Path]) -> None:
    (dirs[1] / "plugins.yaml").write_text("plugins:\n  zen-tool-chat:\n    default_model: fast\n")
    settings = Settings(dirs[1], defaults_dir=dirs[0])
    assert settings.plugin("zen-tool-chat") == {"default_model": "fast"}
    assert settings.plugin("zen-tool-other") == {}


def test_packaged_defaults_are_found() -> None:
    settings = Settings(Path("/nonexistent-zen-config"))
    names = {p.name for p in settings.files}
    assert {"models.yaml", "limits.yaml", "prompts.yaml"} <= names
    assert settings.get("conversations.ttl_hours") == 24


def test_values_can_reference_environment_variables(dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEAM_PROXY", "http://127.0.0.1:4000")
    (dirs[1] / "plugins.yaml").write_text(
        'plugins:\n  zen-tool-x:\n    base: "@format {env[TEAM_PROXY]}/v1"\n    retries: "@int 3"\n'
    )
    settings = Settings(dirs[1], defaults_dir=dirs[0])
    assert settings.plugin("zen-tool-x") == {"base": "http://127.0.0.1:4000/v1", "retries": 3}


def test_zen_settings_fixture_sees_what_the_test_wrote(zen_config: Any, request: pytest.FixtureRequest) -> None:
    zen_config.write("plugins.yaml", {"plugins": {"zen-tool-x": {"depth": 2}}})
    settings = request.getfixturevalue("zen_settings")  # built after the write
    assert settings.plugin("zen-tool-x") == {"depth": 2}
    assert settings.get("conversations.ttl_hours") == 24  # packaged defaults underneath


def test_plugin_settings_from_the_environment_merge_over_yaml(
    dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    (dirs[1] / "plugins.yaml").write_text("plugins:\n  zen-tool-x:\n    depth: 2\n    name: from-yaml\n")
    monkeypatch.setenv("ZEN_PLUGINS__ZEN_TOOL_X__NAME", "from-env")
    monkeypatch.setenv("ZEN_PLUGINS__ZEN_TOOL_X__RETRIES", "3")
    settings = Settings(dirs[1], defaults_dir=dirs[0])
    assert settings.plugin("zen-tool-x") == {"depth": 2, "name": "from-env", "retries": 3}
    assert settings.plugin("zen_tool_x") == settings.plugin("ZEN-TOOL-X")
    assert settings.plugin("zen-tool-y") == {}
