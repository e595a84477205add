"""The LLM service: every model call of the process, through one pipeline for answers and streams.

One call: resolve the model ▶ parameters (the model's temperature/max_tokens rules) ▶ wait for LiteLLM
▶ estimate tokens and cost ▶ budget check ▶ rate-limit slot ▶ attempts with retries and backoff (LiteLLM's
Router does the fallbacks) ▶ the answer, its usage and cost ▶ budget spend. :meth:`LLMService.complete`
adds the response cache and coalescing of identical calls in flight; :meth:`LLMService.stream` yields text
as it arrives. Tools reach this through the per-call view :class:`zen_core.llm.bound.LLM` (``ctx.llm``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from zen_core.llm.backend import Backend, cache_backend, import_litellm, litellm_model_info
from zen_core.llm.cache import Coalescer, ResponseCache, model_identity, request_key
from zen_core.llm.config import LLMSettings
from zen_core.llm.errors import LLMError, backoff_s, is_retryable, map_error
from zen_core.llm.fallbacks import allowed_fallbacks, walk
from zen_core.llm.limits import Budget, Deadline, LimitError, RateLimiter, SafeCounters
from zen_core.llm.models import ModelConfig, ModelRegistry
from zen_core.llm.streaming import StreamCollector
from zen_core.llm.types import Completion, CompletionStream, Usage
from zen_core.settings import Settings
from zen_core.store.base import Counters

__all__ = ["CallOptions", "LLMService", "import_litellm", "litellm_model_info"]

log = logging.getLogger("zen.llm")
T = TypeVar("T")
Messages = list[dict[str, Any]]


@dataclass(frozen=True)
class CallOptions:
    """What a caller may choose for one model call (every field optional)."""

    temperature: float | None = None
    max_tokens: int | None = None
    #: LiteLLM's ``reasoning_effort`` (sent only to models that may think).
    reasoning_effort: str | None = None
    #: Seconds this call may take in all (attempts, retries, fallbacks); it can lower ``llm.total_timeout_s``.
    timeout_s: float | None = None
    #: ``False``: an independent sample (no cache read or write, no coalescing). Streams are never cached.
    cache: bool = True
    #: Passed to LiteLLM (and its logging callbacks) with the call.
    metadata: Mapping[str, Any] | None = None
    #: Refuse the call when its estimated cost is higher (overrides ``budgets.max_cost_per_call_usd``).
    max_cost_usd: float | None = None
    #: The models this call may fall back to (an API key's allowlist); ``None``: every configured fallback.
    may_use: Callable[[ModelConfig], bool] | None = None
    #: More LiteLLM parameters, sent as given.
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class _Raw:
    """What one provider answer amounts to, before usage and cost are worked out."""

    text: str = ""
    usage: Any = None
    finish: str | None = None
    hidden: dict[str, Any] = field(default_factory=dict)


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
        self.models = models
        self.config = LLMSettings.from_settings(settings)
        self.counters = SafeCounters(counters_factory)
        self.limiter = RateLimiter(self.config.rate_limits, self.counters, prefix=self.config.cache.namespace)
        self.budget = Budget(self.config.budgets, self.counters, prefix=self.config.cache.namespace)
        self.backend = Backend(models, self.config.router)
        self._on_ready = on_ready
        self._lock = threading.Lock()
        self._ready = False
        self._cache: ResponseCache | None = None
        self._coalescer: Coalescer[Completion] = Coalescer()

    # -- setup -------------------------------------------------------------------------------
    def warm_up(self) -> None:
        """Load LiteLLM and build the Router. Thread-safe, idempotent, blocking."""
        with self._lock:
            if self._ready:
                return
            self.backend.load()
            found = cache_backend(self.config.cache, self.config.redis_url)
            if found is not None:
                backend, description = found
                cache = self.config.cache
                self._cache = ResponseCache(
                    backend, ttl_s=cache.ttl_s, namespace=cache.namespace, description=description
                )
            self._ready = True  # last: ``ready`` means everything above is in place
            if self._on_ready is not None:
                self._on_ready()

    @property
    def ready(self) -> bool:
        """Whether LiteLLM is loaded (calls and token counts no longer wait for it)."""
        return self._ready

    async def ensure_ready(self) -> None:
        """Load LiteLLM off the event loop if it is not loaded yet."""
        if not self._ready:
            await asyncio.to_thread(self.warm_up)

    async def aclose(self) -> None:
        """Release the cache connections; the service can no longer be used afterwards."""
        if self._cache is not None:
            await self._cache.aclose()

    # -- models ------------------------------------------------------------------------------
    def resolve(self, model: str) -> ModelConfig:
        """The configuration of ``model`` (name or alias, any case), capabilities filled in when LiteLLM
        is loaded; :class:`~zen_core.llm.models.ModelNotFoundError` when unknown."""
        return self.models.resolve(model)

    def usable(self, model: str | ModelConfig) -> ModelConfig:
        """``model``'s configuration when it can be called now; :class:`LLMError` naming why not."""
        cfg = self.models.resolve(model) if isinstance(model, str) else model
        reason = self.models.unavailable_reason(cfg)
        if reason:
            shown = model if isinstance(model, str) else cfg.name
            raise LLMError(
                f"Model '{shown}' ({cfg.provider or 'unknown provider'}) is unavailable: {reason}. "
                "What to do: pick a model listed by listmodels, or fix its configuration.",
                model=shown,
                provider=cfg.provider,
                status_code=None,
                provider_message="",
                code="model_unavailable",
            )
        return cfg

    def count_tokens(self, model: str | ModelConfig, text: str | Messages) -> int:
        """Tokens in ``text`` (a string or chat messages) by the model's tokenizer. Blocking."""
        cfg = self.models.resolve(model) if isinstance(model, str) else model
        return self.backend.count_tokens(cfg, text)

    def context_window(self, model: str) -> int:
        """Input tokens the model accepts (8192 when neither config nor LiteLLM knows). Blocking."""
        self.models.enrich(litellm_model_info)
        return self.models.resolve(model).context_window or 8192

    def max_output_tokens(self, model: str) -> int:
        """Output tokens the model can produce (4096 when unknown). Blocking."""
        self.models.enrich(litellm_model_info)
        return self.models.resolve(model).max_output_tokens or 4096

    # -- calls -------------------------------------------------------------------------------
    async def complete(self, model: str | ModelConfig, messages: Messages, **options: Any) -> Completion:
        """One answer. ``options`` are the fields of :class:`CallOptions` (unknown ones go to LiteLLM).

        Raises :class:`LLMError` (failure, unavailable model) or :class:`LimitError` (rate limit, budget).
        """
        requested = model if isinstance(model, str) else model.name
        cfg = self.usable(model)
        opts = _options(options)
        params = self._params(cfg, opts)
        await self.ensure_ready()
        if not opts.cache or self._cache is None:
            result = await _final(self._pipeline(cfg, messages, params, opts, stream=False))
            return result.model_copy(update={"model": requested})
        return await self._cached(requested, cfg, messages, params, opts, self._cache)

    def stream(self, model: str | ModelConfig, messages: Messages, **options: Any) -> CompletionStream:
        """Text deltas as they arrive; the stream's ``.completion`` (usage, cost) is set when it ends.

        Streams are never cached or coalesced. Failures before the first chunk are retried and fall back
        like :meth:`complete`.
        """
        requested = model if isinstance(model, str) else model.name
        cfg = self.usable(model)
        opts = _options(options)
        params = self._params(cfg, opts)

        async def deltas(holder: CompletionStream) -> AsyncGenerator[str, None]:
            await self.ensure_ready()
            async for item in self._pipeline(cfg, messages, params, opts, stream=True):
                if isinstance(item, Completion):
                    holder.completion = item.model_copy(update={"model": requested})
                else:
                    yield item

        return CompletionStream(deltas)

    async def _cached(
        self,
        requested: str,
        cfg: ModelConfig,
        messages: Messages,
        params: dict[str, Any],
        opts: CallOptions,
        cache: ResponseCache,
    ) -> Completion:
        """``complete`` through the response cache; identical calls in flight share one provider call."""
        started = time.perf_counter()
        chain = self._fallback_chain(cfg, opts)  # a restricted walk is another call than the configured one
        scope = {} if chain is None else {"zen_fallbacks": [c.name for c in chain]}
        key = request_key(model_identity(cfg), messages, {**params, **scope})
        stored = await cache.get(key)
        if stored is not None:
            hit = Completion.model_validate(stored)
            latency = (time.perf_counter() - started) * 1000
            return hit.model_copy(
                update={"model": requested, "cache_hit": True, "cost_usd": 0.0, "latency_ms": latency}
            )

        async def call_and_store() -> Completion:
            result = await _final(self._pipeline(cfg, messages, params, opts, stream=False))
            await cache.put(key, result.model_dump(mode="json"))
            return result

        if not self.config.cache.coalesce:
            return (await call_and_store()).model_copy(update={"model": requested})
        result, shared = await self._coalescer.run(key, call_and_store)
        if not shared:
            return result.model_copy(update={"model": requested})
        latency = (time.perf_counter() - started) * 1000
        shared_fields = {"cache_hit": True, "coalesced": True, "cost_usd": 0.0, "latency_ms": latency}
        return result.model_copy(update={"model": requested, **shared_fields})

    def _fallback_chain(self, cfg: ModelConfig, opts: CallOptions) -> list[ModelConfig] | None:
        return allowed_fallbacks(self.models, self.backend.fallbacks(cfg), opts.may_use)

    async def _pipeline(
        self, cfg: ModelConfig, messages: Messages, params: dict[str, Any], opts: CallOptions, *, stream: bool
    ) -> AsyncGenerator[str | Completion, None]:
        """The call with its fallbacks: the Router's, or (when the caller may use only some) Zen's walk."""
        chain = self._fallback_chain(cfg, opts)
        if chain is None:
            async for item in self._call(cfg, messages, params, opts, stream=stream):
                yield item
            return
        deadline = Deadline(self.config.router, opts.timeout_s)  # one deadline for the whole walk

        def run(current: ModelConfig) -> AsyncGenerator[str | Completion, None]:
            current_params = params if current is cfg else self._params(current, opts)
            return self._call(current, messages, current_params, opts, stream=stream, deadline=deadline)

        async for item in walk([cfg, *chain], run):
            yield item

    async def _call(
        self,
        cfg: ModelConfig,
        messages: Messages,
        params: dict[str, Any],
        opts: CallOptions,
        *,
        stream: bool,
        deadline: Deadline | None = None,
    ) -> AsyncGenerator[str | Completion, None]:
        """One provider call under the budget and the rate limits, with retries: yields the text deltas
        (streams only), then the :class:`Completion`. With ``deadline`` (Zen walking the fallbacks) the
        Router's own fallbacks are off."""
        router_fallbacks = deadline is None
        tokens, estimate = self._estimate(cfg, messages, params.get("max_tokens"), opts.max_cost_usd)
        await self.budget.check(cfg.name, estimate, opts.max_cost_usd)
        extra: dict[str, Any] = {"drop_params": self.config.router.drop_params, **params}
        if opts.metadata:
            extra["metadata"] = dict(opts.metadata)
        if stream:
            extra.update(stream=True, stream_options={"include_usage": True})
        async with self.limiter.slot(cfg.name, cfg.names, tokens) as report:
            started = time.perf_counter()
            deadline = deadline or Deadline(self.config.router, opts.timeout_s)  # attempts, retries, fallbacks
            raw = _Raw()
            try:
                response = await deadline.run(
                    self._retrying(
                        lambda: self.backend.attempt(
                            cfg,
                            fallbacks=router_fallbacks,
                            messages=messages,
                            **extra,
                            timeout=deadline.attempt_timeout(_model_timeout(cfg)),
                        ),
                        deadline,
                    )
                )
                if stream:
                    collected = StreamCollector.of(response)
                    async for chunk in deadline.bound(response):
                        delta = collected.add(chunk)
                        if delta:
                            yield delta
                    collected.check()  # a stream without data (an HTML page …) or without a finish is an error
                    raw = _Raw(collected.text, collected.usage, collected.finish_reason, collected.hidden)
                else:
                    _read_response(response, raw)
            except (asyncio.CancelledError, LimitError, GeneratorExit):
                raise
            except Exception as exc:
                raise map_error(
                    exc,
                    model=cfg.name,
                    provider=cfg.provider,
                    fallbacks=self.backend.fallbacks(cfg) if router_fallbacks else (),
                    key_env=cfg.key_env(),
                ) from exc
            result = self._completion(cfg, messages, raw, (time.perf_counter() - started) * 1000)
            report(0 if result.cache_hit else result.usage.total_tokens)
        await self.budget.record(result.cost_usd)
        yield result

    def _params(self, cfg: ModelConfig, opts: CallOptions) -> dict[str, Any]:
        """The LiteLLM parameters for ``cfg``: its temperature and max_tokens rules applied."""
        out = dict(opts.extra)
        temp = cfg.temperature.apply(opts.temperature)
        if cfg.temperature_override is not None:
            temp = cfg.temperature_override
        if temp is not None:
            out["temperature"] = temp
        tokens = cfg.max_tokens_override or opts.max_tokens
        if tokens is not None:
            out["max_tokens"] = min(tokens, cfg.max_output_tokens or tokens)
        if opts.reasoning_effort is not None and cfg.supports_thinking is not False:
            out["reasoning_effort"] = opts.reasoning_effort
        return out

    def _estimate(
        self, cfg: ModelConfig, messages: Messages, max_tokens: Any, max_cost_usd: float | None
    ) -> tuple[int, float]:
        """Prompt tokens and estimated cost, computed only when a limit, budget or ceiling needs them."""
        needs_tokens = (
            self.budget.needs_estimate(max_cost_usd)
            or self.limiter.config.global_.tokens_per_minute
            or any(lim.tokens_per_minute for lim in self.limiter.config.per_model.values())
        )
        if not needs_tokens:
            return 0, 0.0
        tokens = self.backend.count_tokens(cfg, messages)
        cost = tokens * (cfg.input_cost_per_token or 0)
        cost += int(max_tokens or 0) * (cfg.output_cost_per_token or 0)
        return tokens, cost * cfg.cost_multiplier

    async def _retrying(self, call: Callable[[], Awaitable[T]], deadline: Deadline) -> T:
        """Run ``call`` (one attempt: deployment pick + fallbacks), retrying transient failures
        ``llm.num_retries`` times with exponential backoff (Retry-After honoured, capped), and not when
        the backoff would outlast ``deadline`` (the last error is raised instead)."""
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
                if not deadline.allows(delay):
                    raise
                log.info("retrying after %s (attempt %d, %.2fs)", type(exc).__name__, attempt + 1, delay)
                attempt += 1
                await asyncio.sleep(delay)

    def _completion(self, cfg: ModelConfig, messages: Messages, raw: _Raw, latency_ms: float) -> Completion:
        deployment, used = self.backend.deployment(raw.hidden, cfg)
        cache_hit = bool(raw.hidden.get("cache_hit"))
        if raw.usage:
            usage = Usage(
                prompt_tokens=int(getattr(raw.usage, "prompt_tokens", 0) or 0),
                completion_tokens=int(getattr(raw.usage, "completion_tokens", 0) or 0),
                total_tokens=int(getattr(raw.usage, "total_tokens", 0) or 0),
            )
            reported = raw.hidden.get("response_cost")
        else:  # the provider reported none (some streams): count what was sent and received
            prompt = self.backend.count_tokens(cfg, messages)
            answer = self.backend.count_tokens(cfg, raw.text) if raw.text else 0
            usage = Usage(prompt_tokens=prompt, completion_tokens=answer, total_tokens=prompt + answer)
            reported = None
        cost, known = _cost(used, usage, reported, cache_hit)
        return Completion(
            text=raw.text,
            model=cfg.name,
            model_used=used.name,
            provider_model=deployment,
            provider=used.provider,
            usage=usage,
            cost_usd=cost,
            cost_known=known,
            latency_ms=latency_ms,
            cache_hit=cache_hit,
            finish_reason=raw.finish,
        )


def _options(options: Mapping[str, Any]) -> CallOptions:
    known = set(CallOptions.__dataclass_fields__) - {"extra"}
    fields = {k: v for k, v in options.items() if k in known}
    extra = {k: v for k, v in options.items() if k not in known}
    return CallOptions(**fields, extra={**dict(options.get("extra") or {}), **extra})


async def _final(events: AsyncGenerator[str | Completion, None]) -> Completion:
    """The completion at the end of a pipeline that yields no deltas."""
    try:
        async for item in events:
            if isinstance(item, Completion):
                return item
    finally:
        await events.aclose()
    raise RuntimeError("the LLM pipeline ended without a result")  # pragma: no cover - by construction


def _read_response(response: Any, raw: _Raw) -> None:
    choice = response.choices[0] if response.choices else None
    raw.text = str(getattr(getattr(choice, "message", None), "content", None) or "")
    raw.usage = getattr(response, "usage", None)
    raw.finish = getattr(choice, "finish_reason", None)
    raw.hidden = dict(getattr(response, "_hidden_params", None) or {})


def _cost(used: ModelConfig, usage: Usage, reported: Any, cache_hit: bool) -> tuple[float, bool]:
    """The call's cost in USD and whether a price was known."""
    if cache_hit:
        return 0.0, True
    if isinstance(reported, int | float) and reported > 0:
        return float(reported) * used.cost_multiplier, True
    if used.cost_known:
        raw = usage.prompt_tokens * (used.input_cost_per_token or 0)
        raw += usage.completion_tokens * (used.output_cost_per_token or 0)
        return raw * used.cost_multiplier, True
    return 0.0, False


def _model_timeout(cfg: ModelConfig) -> float | None:
    """A model's own per-attempt timeout (``extra_params: {timeout: 30}`` in models.yaml), if any."""
    value = cfg.extra_params.get("timeout")
    return float(value) if isinstance(value, (int, float)) and value > 0 else None
