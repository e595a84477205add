"""The LLM as one tool call sees it (``ctx.llm``): models resolved once, the caller's model allowlist,
the call's trace id on every provider request, and every model call recorded on the tool call.

Made per call by the dispatcher from the process-wide :class:`~zen_core.llm.service.LLMService`, so
nothing below it needs to know which tool call is running.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncGenerator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from zen_core.errors import ToolError
from zen_core.llm.models import ModelConfig
from zen_core.llm.service import LLMService
from zen_core.llm.types import Completion, CompletionStream
from zen_core.llm.usage import UsageRecord, UsageSink

Messages = list[dict[str, Any]]
#: The ``default_model`` value that means "the agent must choose" (as in the original Zen).
AUTO = "auto"
#: Context window and output limit assumed when neither the configuration nor LiteLLM knows them.
DEFAULT_CONTEXT_WINDOW = 8192
DEFAULT_MAX_OUTPUT_TOKENS = 4096


class Model:
    """A configured model, resolved once per call: its name, limits, capabilities and tokenizer.

    Get one with ``await ctx.llm.model(name)``; pass it to ``ctx.llm.complete`` / ``ctx.llm.stream``.
    """

    __slots__ = ("_service", "config", "requested")
    #: The full configuration (the ``models.yaml`` entry, filled in from LiteLLM's model info).
    config: ModelConfig
    #: The name or alias the caller used.
    requested: str

    def __init__(self, config: ModelConfig, requested: str, service: LLMService) -> None:
        self.config = config
        self.requested = requested
        self._service = service

    @property
    def name(self) -> str:
        """The configured name (not the alias the caller may have used)."""
        return self.config.name

    @property
    def provider(self) -> str | None:
        return self.config.provider

    @property
    def context_window(self) -> int:
        """Input tokens the model accepts (8192 when unknown)."""
        return self.config.context_window or DEFAULT_CONTEXT_WINDOW

    @property
    def max_output_tokens(self) -> int:
        """Output tokens the model can produce (4096 when unknown)."""
        return self.config.max_output_tokens or DEFAULT_MAX_OUTPUT_TOKENS

    @property
    def supports_vision(self) -> bool:
        """Whether the model accepts images (``False`` when unknown)."""
        return bool(self.config.supports_vision)

    @property
    def supports_thinking(self) -> bool:
        """Whether the model accepts ``reasoning_effort`` (``False`` when unknown)."""
        return bool(self.config.supports_thinking)

    def estimate_cost(self, prompt_tokens: int, completion_tokens: int) -> float | None:
        """What a call of these sizes would cost in USD at the configured prices (``None``: price unknown)."""
        cfg = self.config
        if not cfg.cost_known:
            return None
        raw = prompt_tokens * (cfg.input_cost_per_token or 0) + completion_tokens * (cfg.output_cost_per_token or 0)
        return raw * cfg.cost_multiplier

    def count_tokens(self, text: str | Messages) -> int:
        """Tokens in ``text`` (a string or chat messages) by this model's tokenizer (exact, CPU-bound)."""
        return self._service.count_tokens(self.config, text)

    def __repr__(self) -> str:
        return f"Model({self.name!r}, requested={self.requested!r})"


@dataclass(frozen=True)
class CallScope:
    """Who is calling, for the per-call view: trace id, model allowlist, default model, usage sink."""

    trace_id: str = ""
    #: The API key that authenticated the call (HTTP), ``None`` otherwise.
    key_name: str | None = None
    #: Models the key may use; ``None``: all, ``()``: none.
    allowed_models: tuple[str, ...] | None = None
    #: The calling tool's ``default_model`` plugin setting, if any (before the global ``default_model``).
    default_model: str | None = None
    record: UsageSink | None = None
    #: Models answering right now, by requested name (for the call's progress heartbeat).
    in_flight: Counter[str] | None = None
    #: Called as each model call starts (the dispatcher learns that a background call is under way).
    on_model_call: Callable[[], None] | None = None


class LLM:
    """``ctx.llm``: look up models and call them within the caller's rights; every call is recorded."""

    def __init__(self, service: LLMService, scope: CallScope) -> None:
        self._service = service
        self._scope = scope

    @property
    def ready(self) -> bool:
        """Whether LiteLLM is loaded (nothing will wait for it any more)."""
        return self._service.ready

    # -- models ------------------------------------------------------------------------------
    async def model(self, name: str | None = None) -> Model:
        """The model called ``name`` (name or alias, any case), or the default model when ``name`` is empty.

        Raises :class:`ToolError` when the model is unknown (``model_not_found``, listing the known ones),
        not allowed for the calling API key (``forbidden_model``), unavailable (``model_unavailable``: no
        key, disabled), or when no name is given and no default is configured (``model_required``).
        """
        requested = (name or "").strip() or self._default_name()
        cfg = self._service.resolve(requested)
        self._check_allowed(requested, cfg)
        self._service.usable(cfg)
        await self._service.ensure_ready()  # the first time: LiteLLM and its model info, off the event loop
        return Model(self._service.resolve(cfg.name), requested, self._service)

    async def default_model(self) -> Model:
        """The configured default model (``model_required`` when it is ``auto``: the agent must choose)."""
        return await self.model(None)

    def available(self) -> list[ModelConfig]:
        """The models this caller can use now, best ``score`` first."""
        return [m for m in self._service.models.available() if self._allows(m)]

    def describe(self) -> dict[str, Any]:
        """What ``listmodels`` shows this caller: usable models, and the others with the reason."""
        listing = self._service.models.describe()
        usable = {m.name for m in self.available()}
        refused = [m for m in listing["available"] if m["name"] not in usable]
        listing["available"] = [m for m in listing["available"] if m["name"] in usable]
        for entry in refused:
            listing["unavailable"][entry["name"]] = f"not allowed for API key '{self._scope.key_name}'"
        listing["unavailable"] = dict(sorted(listing["unavailable"].items()))
        return listing

    def _default_name(self) -> str:
        for candidate in (self._scope.default_model, self._service.models.default_model):
            if candidate and str(candidate).strip().lower() != AUTO:
                return str(candidate).strip()
        names = ", ".join(m.name for m in self.available())
        if not names:
            raise ToolError(
                "No model is usable yet: set a provider key (e.g. OPENAI_API_KEY) in the environment Zen runs "
                "in, or add a local OpenAI-compatible endpoint to models.yaml. Call listmodels to see why "
                "each configured model is unavailable.",
                code="no_model_available",
            )
        raise ToolError(
            f'"model" is required: no default model is configured. Pass one of: {names} '
            "(or set default_model in the Zen config).",
            code="model_required",
            details={"available": names.split(", ")},
        )

    def _allows(self, cfg: ModelConfig) -> bool:
        allowed = self._scope.allowed_models
        if allowed is None:
            return True
        labels = {label.lower() for label in cfg.names}
        return bool(labels & {a.lower() for a in allowed})

    def _check_allowed(self, requested: str, cfg: ModelConfig) -> None:
        if self._allows(cfg):
            return
        allowed = list(self._scope.allowed_models or ())
        raise ToolError(
            f"API key '{self._scope.key_name}' may not use model '{requested}'. "
            f"Allowed models for this key: {', '.join(allowed) or 'none'}.",
            code="forbidden_model",
            details={"model": requested, "key_name": self._scope.key_name, "allowed_models": allowed},
        )

    async def _resolved(self, model: Model | str) -> Model:
        return model if isinstance(model, Model) else await self.model(model)

    # -- calls -------------------------------------------------------------------------------
    async def complete(self, model: Model | str, messages: Messages, **options: Any) -> Completion:
        """One answer from ``model``. Options: ``temperature``, ``max_tokens``, ``reasoning_effort``,
        ``timeout_s``, ``cache`` (``False``: an independent sample), ``metadata``, ``max_cost_usd``; any
        other keyword goes to LiteLLM as is.

        Raises :class:`LLMError` (the provider failed, naming model, provider and status) or
        :class:`LimitError` (a rate limit or budget refused the call).
        """
        resolved = await self._resolved(model)
        started = time.perf_counter()
        try:
            with self._answering(resolved.requested):
                completion = await self._service.complete(resolved.config, messages, **self._options(options))
        except Exception as exc:
            self._record(UsageRecord.failed(resolved.requested, started, exc))
            raise
        completion = completion.model_copy(update={"model": resolved.requested})
        self._record(UsageRecord.of(resolved.requested, completion))
        return completion

    def stream(self, model: Model | str, messages: Messages, **options: Any) -> CompletionStream:
        """Text deltas from ``model`` as they arrive (same options as :meth:`complete`; never cached).

        ``async for delta in stream`` …; ``stream.completion`` holds the :class:`Completion` (usage, cost)
        once the stream has ended. Leaving the loop early should be followed by ``await stream.aclose()``.
        """

        async def deltas(holder: CompletionStream) -> AsyncGenerator[str, None]:
            resolved = await self._resolved(model)
            started = time.perf_counter()
            inner = self._service.stream(resolved.config, messages, **self._options(options))
            try:
                with self._answering(resolved.requested):
                    async for delta in inner:
                        yield delta
            except Exception as exc:
                self._record(UsageRecord.failed(resolved.requested, started, exc))
                raise
            finally:
                await inner.aclose()
            if inner.completion is not None:
                holder.completion = inner.completion.model_copy(update={"model": resolved.requested})
                self._record(UsageRecord.of(resolved.requested, holder.completion))

        return CompletionStream(deltas)

    def _options(self, options: dict[str, Any]) -> dict[str, Any]:
        if self._scope.allowed_models is not None:  # fallbacks too stay within the key's models
            options = {**options, "may_use": self._allows}
        if self._scope.trace_id:
            options = {**options, "metadata": {**(options.get("metadata") or {}), "zen_trace_id": self._scope.trace_id}}
        return options

    @contextmanager
    def _answering(self, model: str) -> Iterator[None]:
        """Count ``model`` as answering (for the progress heartbeat) while the block runs."""
        if self._scope.on_model_call is not None:
            self._scope.on_model_call()
        counter = self._scope.in_flight
        if counter is None:
            yield
            return
        counter[model] += 1
        try:
            yield
        finally:
            counter[model] -= 1
            if counter[model] <= 0:
                del counter[model]

    def _record(self, record: UsageRecord) -> None:
        if self._scope.record is not None:
            self._scope.record(record)
