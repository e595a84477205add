"""LiteLLM, and only here: importing it quietly, its model info, the Router, and one call attempt.

LiteLLM is imported lazily (:meth:`Backend.load`, off the event loop), with its network fetches disabled
and its stdout printing suppressed: stdout is the MCP stdio channel. No other Zen module imports LiteLLM.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Awaitable, Mapping
from typing import Any

from zen_core.llm.config import CacheSettings, RouterSettings
from zen_core.llm.models import ENV_REF, ModelConfig, ModelRegistry

log = logging.getLogger("zen.llm")
_import_lock = threading.Lock()


def import_litellm() -> Any:
    """Import and configure LiteLLM: offline cost map, no network at import, nothing on stdout."""
    with _import_lock:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        os.environ.setdefault("LITELLM_OFFLINE_MODE", "true")
        import litellm as _litellm

        litellm: Any = _litellm
        litellm.suppress_debug_info = True
        litellm.set_verbose = False
        logging.getLogger("LiteLLM").setLevel(logging.ERROR)
        logging.getLogger("LiteLLM Router").setLevel(logging.CRITICAL)  # Zen reports failures itself
        return litellm


def litellm_model_info(model: ModelConfig) -> dict[str, Any] | None:
    """LiteLLM's model info for ``model`` (``None`` when LiteLLM does not know it).

    Read from LiteLLM's model map first (a dict lookup, under the id with or without its provider);
    ``get_model_info`` only for ids the map lacks, as it imports the provider's modules (megabytes each,
    resident for the life of the server) to work one out."""
    litellm = import_litellm()
    known = litellm.model_cost.get(model.model) or litellm.model_cost.get(model.model.split("/", 1)[-1])
    if isinstance(known, dict):
        return dict(known)
    try:
        return dict(litellm.get_model_info(model.model))
    except Exception:
        return None


def env_key(value: str | None) -> str | None:
    """A literal key, or the value of ``os.environ/VAR``."""
    if value and value.startswith(ENV_REF):
        return os.environ.get(value[len(ENV_REF) :])
    return value


def cache_backend(config: CacheSettings, redis_url: str | None) -> tuple[Any, str] | None:
    """LiteLLM's cache backend per ``config`` and its description (``None`` when caching is off)."""
    if not config.enabled:
        return None
    if config.backend == "redis" or (config.backend == "auto" and redis_url):
        if not redis_url:
            raise ValueError("cache.backend is 'redis' but no URL is set (ZEN_REDIS_URL or cache.redis_url)")
        from litellm.caching.redis_cache import RedisCache

        return RedisCache(url=redis_url), "redis"
    from litellm.caching.in_memory_cache import InMemoryCache

    return InMemoryCache(max_size_in_memory=1000, default_ttl=int(config.ttl_s)), "in-process"


class Backend:
    """The configured models as LiteLLM calls them: through a Router for a model with several deployments
    or with fallbacks, straight to ``litellm.acompletion`` otherwise.

    For one deployment without fallbacks the Router has nothing to choose, yet costs ~2.5 ms of CPU per
    call (about a third of LiteLLM's whole cost per call); Zen does retries, rate limits, caching and
    costs itself either way.
    """

    def __init__(self, models: ModelRegistry, config: RouterSettings) -> None:
        self.models = models
        self.config = config
        self.litellm: Any = None
        self.router: Any = None
        #: The Zen model behind each LiteLLM deployment id (for the price of the one that answered).
        self.by_deployment: dict[str, ModelConfig] = {}
        #: LiteLLM parameters of the models called without the Router.
        self._direct: dict[str, dict[str, Any]] = {}

    def load(self) -> None:
        """Import LiteLLM, fill model info and build the Router (if a model needs one). Blocking; not
        thread-safe (the service serialises it). No mock call: what the first call loads (a few MiB) is
        loaded when a tool first calls, not in every idle server."""
        litellm = import_litellm()
        self.models.enrich(litellm_model_info)
        self.litellm = litellm
        self.router = self._build_router(litellm)

    def fallbacks(self, cfg: ModelConfig) -> list[str]:
        """The usable fallbacks of ``cfg``, by name, in order."""
        if not cfg.fallbacks:
            return []
        usable = {m.name for m in self.models.available()}
        names = [self.models.resolve(f).name for f in cfg.fallbacks]
        return [n for n in names if n in usable]

    def _build_router(self, litellm: Any) -> Any:
        """The Router for the models that need one (several deployments, or fallbacks, and the fallbacks
        themselves); ``None`` when none does: a Router costs ~10 MiB for the life of the server."""
        rc = self.config
        model_list: list[dict[str, Any]] = []
        usable = [m for m in self.models if m.name in {u.name for u in self.models.available()}]
        routed = {cfg.name for cfg in usable if cfg.deployments or self.fallbacks(cfg)}
        routed |= {name for cfg in usable for name in self.fallbacks(cfg)}
        for cfg in usable:
            prices = {
                "input_cost_per_token": cfg.input_cost_per_token,
                "output_cost_per_token": cfg.output_cost_per_token,
            }
            base = {"model": cfg.model, "api_base": cfg.api_base, "api_key": cfg.api_key}
            deployments: list[dict[str, Any]] = []
            for dep in [base, *(d.model_dump() for d in cfg.deployments)]:
                params = {
                    "model": dep.get("model") or cfg.model,
                    "api_base": dep.get("api_base") or cfg.api_base,
                    "api_key": env_key(dep.get("api_key") or cfg.api_key) or cfg.placeholder_key(),
                    "timeout": rc.timeout_s,
                    **{k: v for k, v in prices.items() if v is not None},
                    **cfg.extra_params,
                    **dep.get("extra_params", {}),
                }
                deployments.append(
                    {"model_name": cfg.name, "litellm_params": {k: v for k, v in params.items() if v is not None}}
                )
                self.by_deployment[params["model"]] = cfg
            if cfg.name in routed:
                model_list += deployments
            if not cfg.deployments and not self.fallbacks(cfg):
                # no retries below Zen's (the OpenAI client alone would retry twice), as the Router is set up
                direct = {**deployments[-1]["litellm_params"], "max_retries": 0, "num_retries": 0}
                if cfg.input_cost_per_token is None and cfg.output_cost_per_token is None:
                    # No price: Zen reports it unknown itself (a reported cost of 0 is not used).
                    direct.update(input_cost_per_token=0.0, output_cost_per_token=0.0)
                # The prices again as the deployment's model info (as the Router passes it): LiteLLM then
                # prices the answer from them instead of searching its whole model map on every call.
                prices = {k: v for k, v in direct.items() if k in ("input_cost_per_token", "output_cost_per_token")}
                self._direct[cfg.name] = {**direct, "metadata": {"model_info": prices}}
        if not model_list:
            return None
        fallbacks = [{cfg.name: self.fallbacks(cfg)} for cfg in usable]
        return litellm.Router(
            model_list=model_list,
            fallbacks=[f for f in fallbacks if next(iter(f.values()))],
            num_retries=0,  # Zen retries (LLMService): the Router's backoff is not configurable
            timeout=rc.timeout_s,
            allowed_fails=rc.allowed_fails,
            cooldown_time=rc.cooldown_s,
            routing_strategy=rc.routing_strategy,
            retry_after=0,
        )

    def attempt(self, cfg: ModelConfig, *, fallbacks: bool = True, **kwargs: Any) -> Awaitable[Any]:
        """One call attempt (with the Router's fallbacks unless ``fallbacks`` is false)."""
        direct = self._direct.get(cfg.name)
        if direct is None:
            if not fallbacks:
                kwargs["disable_fallbacks"] = True
            return self.router.acompletion(model=cfg.name, **kwargs)  # type: ignore[no-any-return]
        metadata = {**(kwargs.pop("metadata", None) or {}), **direct["metadata"]}
        return self.litellm.acompletion(**{**direct, **kwargs, "metadata": metadata})  # type: ignore[no-any-return]

    def count_tokens(self, cfg: ModelConfig, text: str | list[dict[str, Any]]) -> int:
        """Tokens in ``text`` (a string or chat messages) by ``cfg``'s tokenizer."""
        litellm = self.litellm or import_litellm()
        if isinstance(text, str):
            return int(litellm.token_counter(model=cfg.model, text=text))
        return int(litellm.token_counter(model=cfg.model, messages=text))

    def deployment(self, hidden: Mapping[str, Any], cfg: ModelConfig) -> tuple[str, ModelConfig]:
        """The LiteLLM id of the deployment that answered and its Zen model (differs after a fallback)."""
        deployment = str(hidden.get("litellm_model_name") or cfg.model)
        return deployment, self.by_deployment.get(deployment, cfg)
