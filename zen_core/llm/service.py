"""The LLM service every tool uses through ``ctx.llm``: a LiteLLM Router plus Zen's limits, cache and budgets.

LiteLLM is imported lazily (``warm_up`` or the first call, off the event loop), with its network
fetches disabled and its stdout printing suppressed: stdout is the MCP stdio channel.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from zen_core.llm import events as llm_events
from zen_core.llm.cache import Coalescer, ResponseCache, make_cache, model_identity, request_key
from zen_core.llm.config import LLMSettings
from zen_core.llm.errors import LLMError, backoff_s, is_retryable, map_error
from zen_core.llm.limits import Budget, Deadline, LimitError, RateLimiter, SafeCounters
from zen_core.llm.models import ENV_REF, ModelConfig, ModelRegistry
from zen_core.llm.stream import run_stream
from zen_core.llm.types import Completion, CompletionStream, Usage
from zen_core.settings import Settings
from zen_core.store.base import Counters

__all__ = ["Completion", "CompletionStream", "LLMError", "LLMService", "LimitError", "Usage"]

log = logging.getLogger("zen.llm")
T = TypeVar("T")
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
    """LiteLLM's model info for ``model`` (``None`` when LiteLLM does not know it)."""
    litellm = import_litellm()
    try:
        return dict(litellm.get_model_info(model.model))
    except Exception:
        return None


def _env_key(value: str | None) -> str | None:
    if value and value.startswith(ENV_REF):
        return os.environ.get(value[len(ENV_REF) :])
    return value


def _messages(text: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}] if isinstance(text, str) else text


class LLMService:
    """Completions and streams over the configured models. One instance per process; safe to share."""

    def __init__(
        self,
        settings: Settings,
        models: ModelRegistry,
        *,
        counters_factory: Callable[[], Counters] | None = None,
        on_ready: Callable[[], None] | None = None,
    ) -> None:
        """``on_ready`` runs once, in the thread that loaded LiteLLM, when the service is ready."""
        self.settings = settings
        self._on_ready = on_ready
        self.models = models
        self.config = LLMSettings.from_settings(settings)
        self.counters = SafeCounters(counters_factory)
        self.limiter = RateLimiter(self.config.rate_limits, self.counters, prefix=self.config.cache.namespace)
        self.budget = Budget(self.config.budgets, self.counters, prefix=self.config.cache.namespace)
        self._lock = threading.Lock()
        self._litellm: Any = None
        self._router: Any = None
        self._cache: ResponseCache | None = None
        self._by_deployment: dict[str, ModelConfig] = {}
        #: LiteLLM parameters of the models called without the Router (see :meth:`_attempt`).
        self._direct: dict[str, dict[str, Any]] = {}
        self._coalescer: Coalescer[Completion] = Coalescer()

    # -- setup -------------------------------------------------------------------------------
    def warm_up(self) -> None:
        """Import LiteLLM, build the Router and make one mock call. Thread-safe, idempotent, blocking."""
        with self._lock:
            if self._router is not None:
                return
            litellm = import_litellm()
            self.models.enrich(litellm_model_info)
            msgs = [{"role": "user", "content": "warm up"}]
            litellm.completion(model="openai/zen-warmup", messages=msgs, mock_response="ok")
            litellm.token_counter(model="gpt-4o", text="warm up")
            self._cache = make_cache(self.config.cache, self.config.redis_url)
            self._litellm = litellm
            self._router = self._build_router(litellm)  # last: a Router means ready (see ``ready``)
            if self._on_ready is not None:
                self._on_ready()

    @property
    def ready(self) -> bool:
        """Whether LiteLLM is loaded and the Router built (calls and token counts no longer block on it)."""
        return self._router is not None

    def _build_router(self, litellm: Any) -> Any:
        rc = self.config.router
        model_list: list[dict[str, Any]] = []
        usable = {m.name for m in self.models.available()}
        for cfg in self.models:
            if cfg.name not in usable:
                continue
            prices = {
                "input_cost_per_token": cfg.input_cost_per_token,
                "output_cost_per_token": cfg.output_cost_per_token,
            }
            base = {"model": cfg.model, "api_base": cfg.api_base, "api_key": cfg.api_key}
            for dep in [base, *(d.model_dump() for d in cfg.deployments)]:
                params = {
                    "model": dep.get("model") or cfg.model,
                    "api_base": dep.get("api_base") or cfg.api_base,
                    "api_key": _env_key(dep.get("api_key") or cfg.api_key),
                    "timeout": rc.timeout_s,
                    **{k: v for k, v in prices.items() if v is not None},
                    **cfg.extra_params,
                    **dep.get("extra_params", {}),
                }
                clean = {k: v for k, v in params.items() if v is not None}
                model_list.append({"model_name": cfg.name, "litellm_params": clean})
                self._by_deployment[params["model"]] = cfg
            if not cfg.deployments and not self._fallbacks(cfg, usable):
                # no retries below Zen's (the OpenAI client alone would retry twice), as the Router is set up
                self._direct[cfg.name] = {**model_list[-1]["litellm_params"], "max_retries": 0, "num_retries": 0}
        fallbacks = [{cfg.name: self._fallbacks(cfg, usable)} for cfg in self.models if cfg.name in usable]
        return litellm.Router(
            model_list=model_list,
            fallbacks=[f for f in fallbacks if next(iter(f.values()))],
            num_retries=0,  # Zen retries (see _retrying): the Router's backoff is not configurable
            timeout=rc.timeout_s,
            allowed_fails=rc.allowed_fails,
            cooldown_time=rc.cooldown_s,
            routing_strategy=rc.routing_strategy,
            retry_after=0,
        )

    def _attempt(self, router: Any, cfg: ModelConfig, **kwargs: Any) -> Awaitable[Any]:
        """One call attempt (the fallbacks included): through the Router for a model with several
        deployments or with fallbacks, straight to ``litellm.acompletion`` otherwise.

        For one deployment without fallbacks the Router has nothing to choose, yet costs ~2.5 ms of
        CPU per call (about a third of LiteLLM's whole cost per call); Zen does retries, rate limits,
        caching and costs itself either way.
        """
        direct = self._direct.get(cfg.name)
        if direct is None:
            return router.acompletion(model=cfg.name, **kwargs)  # type: ignore[no-any-return]
        return self._litellm.acompletion(**{**direct, **kwargs})  # type: ignore[no-any-return]

    def _fallbacks(self, cfg: ModelConfig, usable: set[str]) -> list[str]:
        """The usable fallbacks of ``cfg``, by name, in order."""
        names = [self.models.resolve(f).name for f in cfg.fallbacks]
        return [n for n in names if n in usable]

    async def _ready(self) -> Any:
        if self._router is None:
            await asyncio.to_thread(self.warm_up)
        return self._router

    async def aclose(self) -> None:
        """Release the cache connections; the service can no longer be used afterwards."""
        if self._cache is not None:
            await self._cache.aclose()

    # -- lookup ------------------------------------------------------------------------------
    def resolve(self, model: str) -> ModelConfig:
        """The configuration of ``model`` (name or alias, any case)."""
        return self.models.resolve(model)

    def _usable(self, model: str) -> ModelConfig:
        cfg = self.models.resolve(model)
        llm_events.check_key_allows(model, cfg)
        reason = self.models.unavailable_reason(cfg)
        if reason:
            raise LLMError(
                f"Model '{model}' ({cfg.provider or 'unknown provider'}) is unavailable: {reason}. "
                "What to do: pick a model listed by listmodels, or fix its configuration.",
                model=model,
                provider=cfg.provider,
                status_code=None,
                provider_message="",
                code="model_unavailable",
            )
        return cfg

    def _info(self, model: str) -> ModelConfig:
        cfg = self.models.resolve(model)
        if cfg.context_window is None or cfg.max_output_tokens is None:
            self.models.enrich(litellm_model_info)
            cfg = self.models.resolve(model)
        return cfg

    def context_window(self, model: str) -> int:
        """Input tokens the model accepts (8192 when neither config nor LiteLLM knows)."""
        return self._info(model).context_window or 8192

    def max_output_tokens(self, model: str) -> int:
        """Output tokens the model can produce (4096 when unknown)."""
        return self._info(model).max_output_tokens or 4096

    def count_tokens(self, model: str, text: str | list[dict[str, Any]]) -> int:
        """Tokens in ``text`` (a string or chat messages) by the model's tokenizer."""
        litellm = self._litellm or import_litellm()
        cfg = self.models.resolve(model)
        if isinstance(text, str):
            return int(litellm.token_counter(model=cfg.model, text=text))
        return int(litellm.token_counter(model=cfg.model, messages=text))

    # -- calls -------------------------------------------------------------------------------
    def _params(
        self,
        cfg: ModelConfig,
        temperature: float | None,
        max_tokens: int | None,
        reasoning_effort: str | None,
        params: Mapping[str, Any],
    ) -> dict[str, Any]:
        out = dict(params)
        temp = cfg.temperature.apply(temperature)
        if cfg.temperature_override is not None:
            temp = cfg.temperature_override
        if temp is not None:
            out["temperature"] = temp
        tokens = cfg.max_tokens_override or max_tokens
        if tokens is not None:
            out["max_tokens"] = min(tokens, cfg.max_output_tokens or tokens)
        if reasoning_effort is not None and cfg.supports_thinking is not False:
            out["reasoning_effort"] = reasoning_effort
        return out

    def _estimate(
        self, cfg: ModelConfig, messages: list[dict[str, Any]], max_tokens: Any, max_cost_usd: float | None = None
    ) -> tuple[int, float]:
        """Prompt tokens and estimated cost, computed only when a limit, budget or ``max_cost_usd`` needs them."""
        needs_tokens = (
            self.budget.needs_estimate(max_cost_usd)
            or self.limiter.config.global_.tokens_per_minute
            or any(lim.tokens_per_minute for lim in self.limiter.config.per_model.values())
        )
        if not needs_tokens:
            return 0, 0.0
        tokens = self.count_tokens(cfg.name, messages)
        cost = tokens * (cfg.input_cost_per_token or 0)
        cost += int(max_tokens or 0) * (cfg.output_cost_per_token or 0)
        return tokens, cost * cfg.cost_multiplier

    async def complete(
        self,
        model: str,
        messages: list[dict[str, Any]],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        reasoning_effort: str | None = None,
        timeout_s: float | None = None,
        cache: bool = True,
        metadata: dict[str, Any] | None = None,
        max_cost_usd: float | None = None,
        **params: Any,
    ) -> Completion:
        """One completion. ``cache=False`` makes an independent sample: no cache read/write, no coalescing.

        Raises :class:`LLMError` (failure, unavailable model) or :class:`LimitError` (rate limit, budget).
        """
        started = time.perf_counter()
        try:
            result = await self._complete_shared(
                model,
                messages,
                temperature,
                max_tokens,
                reasoning_effort,
                timeout_s,
                cache,
                metadata,
                max_cost_usd,
                params,
            )
        except Exception as exc:
            llm_events.record(model, started, error=exc)
            raise
        llm_events.record(model, started, result)
        return result

    async def _complete_shared(
        self,
        model: str,
        messages: list[dict[str, Any]],
        temperature: float | None,
        max_tokens: int | None,
        reasoning_effort: str | None,
        timeout_s: float | None,
        cache: bool,
        metadata: dict[str, Any] | None,
        max_cost_usd: float | None,
        params: dict[str, Any],
    ) -> Completion:
        """``complete`` without the bookkeeping: identical concurrent requests share one call."""
        cfg = self._usable(model)
        call_params = self._params(cfg, temperature, max_tokens, reasoning_effort, params)
        started = time.perf_counter()
        await self._ready()
        response_cache = self._cache if cache else None

        async def call() -> Completion:
            return await self._complete(cfg, messages, call_params, timeout_s, metadata, max_cost_usd)

        if response_cache is None:
            result = await call()
            return result.model_copy(update={"model": model})
        key = request_key(model_identity(cfg), messages, call_params)
        stored = await response_cache.get(key)
        if stored is not None:
            hit = Completion.model_validate(stored)
            latency = (time.perf_counter() - started) * 1000
            return hit.model_copy(update={"model": model, "cache_hit": True, "cost_usd": 0.0, "latency_ms": latency})

        async def call_and_store() -> Completion:
            result = await call()
            await response_cache.put(key, result.model_dump(mode="json"))
            return result

        if not self.config.cache.coalesce:
            return (await call_and_store()).model_copy(update={"model": model})
        result, shared = await self._coalescer.run(key, call_and_store)
        if not shared:
            return result.model_copy(update={"model": model})
        latency = (time.perf_counter() - started) * 1000
        shared_fields = {"cache_hit": True, "coalesced": True, "cost_usd": 0.0, "latency_ms": latency}
        return result.model_copy(update={"model": model, **shared_fields})

    async def _complete(
        self,
        cfg: ModelConfig,
        messages: list[dict[str, Any]],
        call_params: dict[str, Any],
        timeout_s: float | None,
        metadata: dict[str, Any] | None,
        max_cost_usd: float | None,
    ) -> Completion:
        router = await self._ready()
        tokens, estimate = self._estimate(cfg, messages, call_params.get("max_tokens"), max_cost_usd)
        await self.budget.check(cfg.name, estimate, max_cost_usd)
        extra = self._call_extras(metadata)
        async with self.limiter.slot(cfg.name, cfg.names, tokens) as report:
            started = time.perf_counter()
            deadline = Deadline(self.config.router, timeout_s)
            try:
                response = await deadline.run(
                    self._retrying(
                        lambda: self._attempt(
                            router, cfg, messages=messages, **call_params, **extra, timeout=deadline.attempt_timeout()
                        ),
                        deadline,
                    )
                )
            except (asyncio.CancelledError, LimitError):
                raise
            except Exception as exc:
                raise self._error(exc, cfg) from exc
            latency = (time.perf_counter() - started) * 1000
            result = self._to_completion(cfg, response, latency)
            report(0 if result.cache_hit else result.usage.total_tokens)
        await self.budget.record(result.cost_usd)
        return result

    async def _retrying(self, call: Callable[[], Awaitable[T]], deadline: Deadline | None = None) -> T:
        """Run ``call`` (one Router call: deployment pick + fallbacks), retrying transient failures
        ``llm.num_retries`` times with Zen's exponential backoff (Retry-After honoured, capped), and
        not when the backoff would outlast ``deadline`` (the last error is raised instead)."""
        rc = self.config.router
        attempt = 0
        while True:
            try:
                return await call()
            except Exception as exc:
                if attempt >= rc.num_retries or not is_retryable(exc):
                    raise
                delay = backoff_s(
                    attempt,
                    exc,
                    initial=rc.retry_initial_delay_s,
                    maximum=rc.retry_max_delay_s,
                    jitter=rc.retry_jitter_s,
                )
                if deadline is not None and not deadline.allows(delay):
                    raise
                log.info("retrying after %s (attempt %d, %.2fs)", type(exc).__name__, attempt + 1, delay)
                attempt += 1
                await asyncio.sleep(delay)

    def _call_extras(self, metadata: dict[str, Any] | None) -> dict[str, Any]:
        extra: dict[str, Any] = {"drop_params": self.config.router.drop_params}
        metadata = llm_events.trace_metadata(metadata)
        if metadata:
            extra["metadata"] = metadata
        return extra

    def _error(self, exc: BaseException, cfg: ModelConfig) -> LLMError:
        tried = self._fallbacks(cfg, {m.name for m in self.models.available()})
        return map_error(exc, model=cfg.name, provider=cfg.provider, fallbacks=tried, key_env=cfg.key_env())

    def _cost(self, used: ModelConfig, usage: Usage, reported: Any, cache_hit: bool) -> tuple[float, bool]:
        if cache_hit:
            return 0.0, True
        if isinstance(reported, int | float) and reported > 0:
            return float(reported) * used.cost_multiplier, True
        if used.cost_known:
            raw = usage.prompt_tokens * (used.input_cost_per_token or 0) + usage.completion_tokens * (
                used.output_cost_per_token or 0
            )
            return raw * used.cost_multiplier, True
        return 0.0, False

    def _to_completion(self, cfg: ModelConfig, response: Any, latency_ms: float) -> Completion:
        choice = response.choices[0] if response.choices else None
        text = getattr(getattr(choice, "message", None), "content", None)
        hidden: dict[str, Any] = getattr(response, "_hidden_params", None) or {}
        return self._build(
            cfg,
            str(text or ""),
            getattr(response, "usage", None),
            getattr(choice, "finish_reason", None),
            hidden,
            latency_ms,
        )

    def _build(
        self,
        cfg: ModelConfig,
        text: str,
        raw_usage: Any,
        finish: str | None,
        hidden: Mapping[str, Any],
        latency_ms: float,
    ) -> Completion:
        deployment = str(hidden.get("litellm_model_name") or cfg.model)
        used = self._by_deployment.get(deployment, cfg)
        usage = Usage(
            prompt_tokens=int(getattr(raw_usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(raw_usage, "completion_tokens", 0) or 0),
            total_tokens=int(getattr(raw_usage, "total_tokens", 0) or 0),
        )
        cache_hit = bool(hidden.get("cache_hit"))
        cost, known = self._cost(used, usage, hidden.get("response_cost"), cache_hit)
        return Completion(
            text=text,
            model=cfg.name,
            model_used=used.name,
            provider_model=deployment,
            provider=used.provider,
            usage=usage,
            cost_usd=cost,
            cost_known=known,
            latency_ms=latency_ms,
            cache_hit=cache_hit,
            finish_reason=finish,
        )

    # -- streaming ---------------------------------------------------------------------------
    def stream(
        self,
        model: str,
        messages: list[dict[str, Any]],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        reasoning_effort: str | None = None,
        timeout_s: float | None = None,
        cache: bool = True,
        metadata: dict[str, Any] | None = None,
        max_cost_usd: float | None = None,
        **params: Any,
    ) -> CompletionStream:
        """Stream text deltas; the returned object's ``.completion`` (usage, cost) is set when it ends.

        Streams are never cached or coalesced. Errors before the first chunk fall back like ``complete``.
        """
        cfg = self._usable(model)
        call_params = self._params(cfg, temperature, max_tokens, reasoning_effort, params)
        return CompletionStream(
            lambda holder: llm_events.recorded(
                run_stream(self, holder, model, cfg, messages, call_params, timeout_s, metadata, max_cost_usd),
                model,
                holder,
            )
        )
