"""Model registry: names, aliases, precedence, allowlists, availability (no LiteLLM, no network)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from zen_core.llm import litellm_model_info
from zen_core.llm.models import ModelConfig, ModelNotFoundError, TemperatureConstraint
from zen_core.settings import ConfigError, Settings
from zen_core.testing.llm_fixtures import ZenConfigDir


class ListSource:
    def __init__(self, name: str, models: list[dict[str, Any]]) -> None:
        self.name = name
        self._models = models

    def load(self, settings: Settings) -> list[ModelConfig]:
        return [ModelConfig.model_validate(m) for m in self._models]


def test_aliases_are_case_insensitive(zen_config_dir: ZenConfigDir) -> None:
    reg = zen_config_dir.write(models={"gpt-5": {"model": "openai/gpt-5", "aliases": ["G5", "five"]}}).registry()
    assert reg.resolve("g5").name == "gpt-5"
    assert reg.resolve("FIVE").name == "gpt-5"
    assert reg.resolve("GPT-5").model == "openai/gpt-5"
    assert reg.resolve("gpt-5").provider == "openai"


def test_unknown_model_lists_known_names(zen_config_dir: ZenConfigDir) -> None:
    reg = zen_config_dir.write(models={"a": {"model": "openai/a"}, "b": {"model": "openai/b"}}).registry()
    with pytest.raises(ModelNotFoundError) as info:
        reg.resolve("nope")
    assert "Unknown model 'nope'" in str(info.value)
    assert "a, b" in str(info.value)


def test_alias_claimed_by_two_models_names_both(zen_config_dir: ZenConfigDir) -> None:
    zen_config_dir.write(models={"one": {"aliases": ["x"]}, "two": {"aliases": ["X"]}})
    with pytest.raises(ConfigError) as info:
        zen_config_dir.registry()
    assert "'one'" in str(info.value) and "'two'" in str(info.value)


def test_alias_conflict_across_sources(zen_config_dir: ZenConfigDir) -> None:
    zen_config_dir.write(models={"one": {"aliases": ["shared"]}})
    plugin = ListSource("plugin-a", [{"name": "other", "aliases": ["shared"]}])
    with pytest.raises(ConfigError, match="plugin-a"):
        zen_config_dir.registry([plugin])


def test_yaml_wins_over_plugins_and_first_plugin_wins(zen_config_dir: ZenConfigDir) -> None:
    zen_config_dir.write(models={"m": {"model": "openai/from-yaml", "description": "yaml"}})
    first = ListSource("first", [{"name": "m", "model": "openai/first"}, {"name": "p", "model": "openai/p1"}])
    second = ListSource("second", [{"name": "P", "model": "openai/p2"}, {"name": "q", "model": "openai/q"}])
    reg = zen_config_dir.registry([first, second])
    assert reg.resolve("m").model == "openai/from-yaml"
    assert reg.resolve("m").source == "yaml"
    assert reg.resolve("p").model == "openai/p1"
    assert reg.resolve("p").source == "first"
    assert reg.resolve("q").source == "second"


def test_allowlist_env_restricts_and_explains(zen_config_dir: ZenConfigDir, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZEN_ALLOWED_MODELS", "A1, b-alias")
    reg = zen_config_dir.write(
        models={
            "a1": {"api_key": "k"},
            "b": {"api_key": "k", "aliases": ["b-alias"]},
            "c": {"api_key": "k"},
        }
    ).registry()
    assert [m.name for m in reg.available()] == ["a1", "b"]
    assert "not allowed" in reg.unavailable()["c"]


def test_per_provider_allowlist(zen_config_dir: ZenConfigDir) -> None:
    reg = zen_config_dir.write(
        models={
            "o1": {"model": "openai/o1", "api_key": "k"},
            "o2": {"model": "openai/o2", "api_key": "k"},
            "c": {"model": "anthropic/c", "api_key": "k"},
        },
        allowed_models={"openai": ["o2"]},
    ).registry()
    assert sorted(m.name for m in reg.available()) == ["c", "o2"]
    assert set(reg.unavailable()) == {"o1"}


def test_missing_key_makes_model_unavailable(zen_config_dir: ZenConfigDir, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZEN_TEST_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    reg = zen_config_dir.write(
        models={
            "ref": {"model": "openai/x", "api_key": "os.environ/ZEN_TEST_KEY", "score": 10},
            "implicit": {"model": "anthropic/claude-x"},
            "local": {"model": "ollama/llama3", "api_base": "http://127.0.0.1:11434"},
            "off": {"model": "openai/y", "api_key": "k", "enabled": False},
        }
    ).registry()
    reasons = reg.unavailable()
    assert reasons["ref"] == "no API key: set ZEN_TEST_KEY"
    assert reasons["implicit"] == "no API key: set ANTHROPIC_API_KEY"
    assert "disabled" in reasons["off"]
    assert [m.name for m in reg.available()] == ["local"]
    monkeypatch.setenv("ZEN_TEST_KEY", "secret")
    assert [m.name for m in reg.available()] == ["local", "ref"]  # score 50 before 10
    described = reg.describe()
    assert [m["name"] for m in described["available"]] == ["local", "ref"]
    assert set(described["unavailable"]) == {"implicit", "off"}


def test_bad_model_field_is_a_config_error_naming_key(zen_config_dir: ZenConfigDir) -> None:
    zen_config_dir.write(models={"m": {"score": 500}})
    with pytest.raises(ConfigError) as info:
        zen_config_dir.registry()
    assert "models.m.score" in str(info.value)
    assert "models.yaml" in str(info.value)


def test_unknown_fallback_is_a_config_error(zen_config_dir: ZenConfigDir) -> None:
    zen_config_dir.write(models={"m": {}}, fallbacks={"m": ["ghost"]})
    with pytest.raises(ConfigError, match="ghost"):
        zen_config_dir.registry()


def test_temperature_constraint() -> None:
    assert TemperatureConstraint(mode="fixed", value=1.0).apply(0.2) == 1.0
    assert TemperatureConstraint(mode="unsupported").apply(0.2) is None
    assert TemperatureConstraint(min=0.0, max=1.0).apply(1.7) == 1.0
    assert TemperatureConstraint().apply(None) is None


def test_enrich_fills_only_missing_fields(zen_config_dir: ZenConfigDir) -> None:
    reg = zen_config_dir.write(models={"m": {"model": "openai/m", "context_window": 1000}}).registry()
    info = {
        "max_input_tokens": 128000,
        "max_output_tokens": 4096,
        "supports_vision": True,
        "input_cost_per_token": 1e-6,
    }
    reg.enrich(lambda model: info)
    cfg = reg.resolve("m")
    assert cfg.context_window == 1000
    assert (cfg.max_output_tokens, cfg.supports_vision, cfg.input_cost_per_token) == (4096, True, 1e-6)


def test_enrich_from_litellm_knows_gpt_4o(zen_config_dir: ZenConfigDir) -> None:
    reg = zen_config_dir.write(models={"gpt-4o": {"model": "gpt-4o", "api_key": "k"}}).registry()
    reg.enrich(litellm_model_info)
    cfg = reg.resolve("gpt-4o")
    assert cfg.context_window == 128000
    assert cfg.supports_vision is True
    assert cfg.cost_known


def test_importing_models_does_not_import_litellm() -> None:
    code = "import sys, zen_core.llm.models; sys.exit(1 if 'litellm' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
