"""Model configuration: what models Zen offers, under which names, and whether they are usable.

Nothing here imports LiteLLM; fields unknown in ``models.yaml`` are filled from LiteLLM's model info
later, by :meth:`ModelRegistry.enrich` (called by the LLM service, off the event loop).

Precedence when several sources define the same model name: the built-in YAML source (``models:``
in the packaged and user ``models.yaml``, merged key by key) wins; among the other sources, the one
registered first wins. The winning entry replaces the others whole (fields are not merged across
sources). Names and aliases are case-insensitive; an alias (or name) claimed by two different models
is a :class:`ConfigError` naming both.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, field_validator

from zen_core.errors import ToolError
from zen_core.settings import ConfigError, Settings, env_list

__all__ = [
    "Deployment",
    "ModelConfig",
    "ModelNotFoundError",
    "ModelRegistry",
    "ModelSource",
    "TemperatureConstraint",
]

ENV_REF = "os.environ/"
#: The environment variable LiteLLM reads for a provider's key when ``api_key`` is not set.
PROVIDER_KEY_ENV = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "xai": "XAI_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "groq": "GROQ_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "together_ai": "TOGETHERAI_API_KEY",
}
#: Providers that run locally and need no key.
KEYLESS_PROVIDERS = frozenset({"ollama", "ollama_chat", "lm_studio", "hosted_vllm", "vllm", "llamafile"})
InfoLookup = Callable[["ModelConfig"], Mapping[str, Any] | None]


class TemperatureConstraint(BaseModel):
    """What temperatures a model accepts: a ``range`` (clamped), one ``fixed`` value, or ``unsupported``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["range", "fixed", "unsupported"] = "range"
    min: float = 0.0
    max: float = 2.0
    value: float = 1.0

    def apply(self, temperature: float | None) -> float | None:
        """The temperature to send (``None``: send none)."""
        if self.mode == "unsupported":
            return None
        if self.mode == "fixed":
            return self.value
        if temperature is None:
            return None
        return min(max(temperature, self.min), self.max)


class Deployment(BaseModel):
    """One endpoint/key serving a model. Several deployments of one model are load-balanced."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str | None = Field(default=None, description="LiteLLM model id; default: the model's own `model`.")
    api_base: str | None = None
    api_key: str | None = Field(default=None, description="A key or `os.environ/VAR`.")
    extra_params: dict[str, Any] = Field(default_factory=dict, description="More litellm_params.")


class ModelConfig(BaseModel):
    """One model as Zen offers it. ``None`` fields are filled from LiteLLM's model info when known."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="The name agents use (the key in `models:`).")
    model: str = Field(default="", description="LiteLLM model id (`openai/gpt-5`); default: `name`.")
    provider: str | None = Field(default=None, description="Provider; default: the prefix of `model`.")
    aliases: list[str] = Field(default_factory=list)
    description: str = ""
    score: int = Field(default=50, ge=0, le=100, description="Ranking in listmodels (higher first).")
    enabled: bool = True
    context_window: int | None = Field(default=None, gt=0)
    max_output_tokens: int | None = Field(default=None, gt=0)
    supports_vision: bool | None = None
    supports_tools: bool | None = None
    supports_thinking: bool | None = Field(default=None, description="Accepts `reasoning_effort`.")
    supports_web_search: bool | None = Field(default=None, description="Accepts LiteLLM's `web_search_options`.")
    temperature: TemperatureConstraint = Field(default_factory=TemperatureConstraint)
    temperature_override: float | None = Field(default=None, description="Always send this temperature.")
    max_tokens_override: int | None = Field(default=None, gt=0, description="Always send this max_tokens.")
    cost_multiplier: float = Field(default=1.0, ge=0)
    input_cost_per_token: float | None = Field(default=None, ge=0)
    output_cost_per_token: float | None = Field(default=None, ge=0)
    api_base: str | None = None
    api_key: str | None = Field(default=None, description="A key or `os.environ/VAR` (default: provider's variable).")
    extra_params: dict[str, Any] = Field(default_factory=dict, description="More litellm_params.")
    deployments: list[Deployment] = Field(default_factory=list, description="More endpoints/keys to balance.")
    fallbacks: list[str] = Field(default_factory=list, description="Models to try in order on failure.")
    source: str = Field(default="", description="The model source that defined this entry.")

    @field_validator("aliases", mode="before")
    @classmethod
    def _aliases_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    def model_post_init(self, __context: Any) -> None:
        if not self.model:
            object.__setattr__(self, "model", self.name)
        if self.provider is None and "/" in self.model:
            object.__setattr__(self, "provider", self.model.split("/", 1)[0])

    @property
    def names(self) -> list[str]:
        """The name followed by the aliases."""
        return [self.name, *self.aliases]

    @property
    def cost_known(self) -> bool:
        return self.input_cost_per_token is not None and self.output_cost_per_token is not None

    def key_env(self) -> list[str]:
        """Environment variables this model's keys come from (explicit refs, else the provider default)."""
        keys = [self.api_key, *(d.api_key for d in self.deployments)]
        refs = [k[len(ENV_REF) :] for k in keys if k and k.startswith(ENV_REF)]
        if refs:
            return refs
        if self.api_key or self.api_base or (self.provider in KEYLESS_PROVIDERS):
            return []
        default = PROVIDER_KEY_ENV.get(self.provider or "")
        return [default] if default else []

    def placeholder_key(self) -> str | None:
        """The key sent to an explicit ``api_base`` that needs none (a local OpenAI-compatible server):
        LiteLLM's OpenAI client refuses to send a request without some key. ``None`` otherwise."""
        if self.api_base and not self.api_key and not self.key_env():
            return "zen-no-key"
        return None

    def missing_key(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The first key variable that is needed but unset (``None`` when the model has its keys)."""
        env = os.environ if environ is None else environ
        needed = self.key_env()
        if needed and not any(env.get(var) for var in needed):
            return needed[0]
        return None


@runtime_checkable
class ModelSource(Protocol):
    """Something that offers model configuration (registered with the ``register_model_sources`` hook)."""

    name: str

    def load(self, settings: Settings) -> list[ModelConfig]: ...


class ModelNotFoundError(ToolError):
    """An unknown model name; the message lists the names that are known."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        super().__init__(
            f"Unknown model '{name}'. Known models: {', '.join(known) or '(none configured)'}. "
            "What to do: use one of these names (see listmodels) or add the model to models.yaml.",
            code="model_not_found",
            details={"model": name, "known": list(known)},
        )


def _allowlists(settings: Settings) -> tuple[set[str] | None, dict[str, set[str]]]:
    """The global allowlist and per-provider allowlists (``None``/absent: everything allowed)."""
    raw = settings.get("allowed_models")
    global_list = env_list("ZEN_ALLOWED_MODELS")
    per_provider: dict[str, set[str]] = {}
    if isinstance(raw, Mapping):
        for provider, names in raw.items():
            items = names.split(",") if isinstance(names, str) else names or []
            per_provider[str(provider).lower()] = {str(n).strip().lower() for n in items if str(n).strip()}
    elif global_list is None and isinstance(raw, str):
        global_list = [s.strip() for s in raw.split(",") if s.strip()]
    elif global_list is None and isinstance(raw, list):
        global_list = [str(s) for s in raw]
    for var, value in os.environ.items():
        if var.startswith("ZEN_") and var.endswith("_ALLOWED_MODELS") and var != "ZEN_ALLOWED_MODELS":
            provider = var[len("ZEN_") : -len("_ALLOWED_MODELS")].lower()
            per_provider[provider] = {s.strip().lower() for s in value.split(",") if s.strip()}
    return ({s.lower() for s in global_list} if global_list is not None else None), per_provider


class ModelRegistry:
    """All configured models by name and alias (case-insensitive). Safe to read from any thread."""

    def __init__(
        self,
        models: Iterable[ModelConfig],
        *,
        default_model: str = "auto",
        allowed: set[str] | None = None,
        allowed_per_provider: Mapping[str, set[str]] | None = None,
    ) -> None:
        self._models: dict[str, ModelConfig] = {m.name: m for m in models}
        self.default_model = default_model
        self._allowed = allowed
        self._allowed_per_provider = dict(allowed_per_provider or {})
        self._lock = threading.Lock()
        self._enriched = False
        self._index = self._build_index(self._models.values())

    @classmethod
    def from_sources(cls, sources: Sequence[ModelSource], settings: Settings) -> ModelRegistry:
        """Merge ``sources`` in order: the first source defining a name wins (the host puts built-ins first)."""
        merged: dict[str, ModelConfig] = {}
        for source in sources:
            for model in source.load(settings):
                if source.name and model.source != source.name:
                    model = model.model_copy(update={"source": source.name})
                merged.setdefault(model.name.lower(), model)
        allowed, per_provider = _allowlists(settings)
        return cls(
            merged.values(),
            default_model=str(settings.get("default_model", "auto") or "auto"),
            allowed=allowed,
            allowed_per_provider=per_provider,
        )

    @staticmethod
    def _build_index(models: Iterable[ModelConfig]) -> dict[str, ModelConfig]:
        index: dict[str, ModelConfig] = {}
        for model in models:
            for label in model.names:
                key = label.lower()
                other = index.get(key)
                if other is not None and other.name != model.name:
                    raise ConfigError(
                        f"name or alias '{label}' is claimed by two models: '{other.name}' (source "
                        f"{other.source or '?'}) and '{model.name}' (source {model.source or '?'}); remove one",
                        key="models",
                    )
                index[key] = model
        for model in models:
            for target in model.fallbacks:
                if target.lower() not in index:
                    raise ConfigError(
                        f"fallback '{target}' of model '{model.name}' is not a configured model", key="fallbacks"
                    )
        return index

    # -- lookup ------------------------------------------------------------------------------
    def names(self) -> list[str]:
        return sorted(self._models)

    def resolve(self, name: str) -> ModelConfig:
        """The model called ``name`` (name or alias, any case); :class:`ModelNotFoundError` otherwise."""
        model = self._index.get(name.strip().lower())
        if model is None:
            raise ModelNotFoundError(name, self.names())
        return model

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.strip().lower() in self._index

    def __iter__(self) -> Any:
        return iter(list(self._models.values()))

    def __len__(self) -> int:
        return len(self._models)

    # -- usability ---------------------------------------------------------------------------
    def _is_allowed(self, model: ModelConfig) -> bool:
        labels = {label.lower() for label in (*model.names, model.model)}
        if self._allowed is not None and not labels & self._allowed:
            return False
        provider_list = self._allowed_per_provider.get((model.provider or "").lower())
        return provider_list is None or bool(labels & provider_list)

    def unavailable_reason(self, model: ModelConfig) -> str | None:
        """Why ``model`` cannot be used now (``None`` when it can)."""
        if not model.enabled:
            return "disabled in configuration (enabled: false)"
        if not self._is_allowed(model):
            return "not allowed (ZEN_ALLOWED_MODELS / allowed_models)"
        missing = model.missing_key()
        if missing:
            return f"no API key: set {missing}"
        return None

    def available(self) -> list[ModelConfig]:
        """Usable models, best ``score`` first."""
        usable = [m for m in self._models.values() if self.unavailable_reason(m) is None]
        return sorted(usable, key=lambda m: (-m.score, m.name))

    def unavailable(self) -> dict[str, str]:
        """Model name → why it cannot be used."""
        out = {}
        for model in sorted(self._models.values(), key=lambda m: m.name):
            reason = self.unavailable_reason(model)
            if reason:
                out[model.name] = reason
        return out

    def describe(self) -> dict[str, Any]:
        """What listmodels shows: usable models (JSON-able dicts) and the others with reasons."""
        fields = (
            "name",
            "aliases",
            "provider",
            "description",
            "score",
            "context_window",
            "max_output_tokens",
            "supports_vision",
            "supports_tools",
            "supports_thinking",
            "supports_web_search",
            "input_cost_per_token",
            "output_cost_per_token",
        )
        return {
            "default_model": self.default_model,
            "available": [m.model_dump(include=set(fields), mode="json") for m in self.available()],
            "unavailable": self.unavailable(),
        }

    # -- enrichment --------------------------------------------------------------------------
    @property
    def enriched(self) -> bool:
        """Whether :meth:`enrich` has run (model info from LiteLLM is filled in)."""
        return self._enriched

    def enrich(self, lookup: InfoLookup) -> None:
        """Fill ``None`` fields from model info (LiteLLM's, through ``lookup``), once. Blocking."""
        with self._lock:
            if self._enriched:
                return
            updated = {name: _enriched(model, lookup(model)) for name, model in self._models.items()}
            self._models = updated
            self._index = self._build_index(updated.values())
            self._enriched = True


_INFO_FIELDS = {
    "context_window": "max_input_tokens",
    "max_output_tokens": "max_output_tokens",
    "supports_vision": "supports_vision",
    "supports_tools": "supports_function_calling",
    "supports_thinking": "supports_reasoning",
    "input_cost_per_token": "input_cost_per_token",
    "output_cost_per_token": "output_cost_per_token",
}


def _enriched(model: ModelConfig, info: Mapping[str, Any] | None) -> ModelConfig:
    if not info:
        return model
    update: dict[str, Any] = {}
    for field, key in _INFO_FIELDS.items():
        value = info.get(key)
        if getattr(model, field) is None and value is not None:
            update[field] = value
    if model.provider is None and info.get("litellm_provider"):
        update["provider"] = str(info["litellm_provider"])
    return model.model_copy(update=update) if update else model
