"""Which models can search the web through LiteLLM's ``web_search_options``.

A model can when, first match wins:

1. its configuration says so: ``supports_web_search`` in models.yaml (the ModelConfig field),
   else ``extra_params: {model_info: {supports_web_search: true|false}}`` in models.yaml. ``model_info``
   is a LiteLLM parameter that LiteLLM keeps to itself: nothing of it is sent to the provider;
2. LiteLLM's model info marks it ``supports_web_search``. For OpenAI (and Azure OpenAI) models that flag
   describes the Responses API's web-search tool: on chat completions only the dedicated search models
   (``gpt-4o-search-preview``, ``gpt-5-search-api`` …) take ``web_search_options`` and LiteLLM refuses it
   for the others, so for them the flag counts only when the model id names a search model.

LiteLLM's model info is read from the map LiteLLM has loaded when it is imported already, else from the
copy bundled with it (a JSON file, read without importing LiteLLM: tools are checked at start-up, before
LiteLLM is loaded in the background).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from zen_core import ModelConfig

BUNDLED_MAP = "model_prices_and_context_window_backup.json"
#: Providers whose LiteLLM flag counts only for their dedicated search models (see the module doc).
SEARCH_MODELS_ONLY = frozenset({"openai", "azure"})


def explicit_support(cfg: ModelConfig) -> bool | None:
    """What the configuration says (``None``: it does not say)."""
    value = getattr(cfg, "supports_web_search", None)
    if value is None:
        info = cfg.extra_params.get("model_info")
        if isinstance(info, Mapping):
            value = info.get("supports_web_search")
    return None if value is None else bool(value)


@functools.lru_cache(maxsize=1)
def _bundled_map() -> dict[str, Any]:
    spec = importlib.util.find_spec("litellm")
    for location in (spec.submodule_search_locations or []) if spec else []:
        try:
            with open(os.path.join(location, BUNDLED_MAP), encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError):
            continue
        return data if isinstance(data, dict) else {}
    return {}


def _model_map() -> Mapping[str, Any]:
    litellm = sys.modules.get("litellm")
    loaded = getattr(litellm, "model_cost", None) if litellm is not None else None
    return loaded if isinstance(loaded, Mapping) and loaded else _bundled_map()


def litellm_support(cfg: ModelConfig) -> bool:
    """Whether LiteLLM's model info marks ``cfg``'s model as able to search the web (see the module doc)."""
    model, provider = cfg.model, (cfg.provider or "").lower()
    if provider in SEARCH_MODELS_ONLY and "search" not in model.lower():
        return False
    info = _model_map()
    entry = info.get(model)
    if not isinstance(entry, Mapping) and "/" in model:
        bare = info.get(model.split("/", 1)[1])
        if isinstance(bare, Mapping) and str(bare.get("litellm_provider", "")).lower().startswith(provider):
            entry = bare
    return bool(isinstance(entry, Mapping) and entry.get("supports_web_search"))


def supports_web_search(cfg: ModelConfig) -> bool:
    explicit = explicit_support(cfg)
    return explicit if explicit is not None else litellm_support(cfg)


def any_web_search(models: Sequence[ModelConfig]) -> bool:
    """Whether any of ``models`` can search the web. An explicit setting is enough, so LiteLLM's map is
    read only when no model is configured as able to search."""
    explicit = [explicit_support(m) for m in models]
    if any(explicit):
        return True
    return any(flag is None and litellm_support(m) for m, flag in zip(models, explicit, strict=True))


def web_search_models(models: Sequence[ModelConfig]) -> list[ModelConfig]:
    """The models among ``models`` that can search the web, in the given order."""
    return [m for m in models if supports_web_search(m)]
