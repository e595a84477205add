"""The body of :meth:`LLMService.stream`: one Router stream under Zen's limits, budget and retries."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any

from zen_core.llm.limits import Deadline, LimitError
from zen_core.llm.models import ModelConfig
from zen_core.llm.streaming import StreamCollector
from zen_core.llm.types import CompletionStream, Usage

if TYPE_CHECKING:
    from zen_core.llm import LLMService


async def run_stream(
    self: LLMService,
    holder: CompletionStream,
    model: str,
    cfg: ModelConfig,
    messages: list[dict[str, Any]],
    call_params: dict[str, Any],
    timeout_s: float | None,
    metadata: dict[str, Any] | None,
    max_cost_usd: float | None,
) -> AsyncGenerator[str, None]:
    router = await self._ready()
    tokens, estimate = self._estimate(cfg, messages, call_params.get("max_tokens"), max_cost_usd)
    await self.budget.check(cfg.name, estimate, max_cost_usd)
    extra = self._call_extras(metadata)
    async with self.limiter.slot(cfg.name, cfg.names, tokens) as report:
        started = time.perf_counter()
        deadline = Deadline(self.config.router, timeout_s)  # the whole stream, its retries and fallbacks
        try:
            response = await deadline.run(
                self._retrying(
                    lambda: self._attempt(
                        router,
                        cfg,
                        messages=messages,
                        stream=True,
                        stream_options={"include_usage": True},
                        **call_params,
                        **extra,
                        timeout=deadline.attempt_timeout(),
                    ),
                    deadline,
                )
            )
            collected = StreamCollector.of(response)
            async for chunk in deadline.bound(response):
                delta = collected.add(chunk)
                if delta:
                    yield delta
            collected.check()  # a stream without data (an HTML page…) or without a finish is an error
        except (asyncio.CancelledError, LimitError, GeneratorExit):
            raise
        except Exception as exc:
            raise self._error(exc, cfg) from exc
        latency = (time.perf_counter() - started) * 1000
        result = self._build(cfg, collected.text, collected.usage, collected.finish_reason, collected.hidden, latency)
        if not collected.usage:
            prompt = self.count_tokens(cfg.name, messages)
            done = self.count_tokens(cfg.name, result.text) if result.text else 0
            counted = Usage(prompt_tokens=prompt, completion_tokens=done, total_tokens=prompt + done)
            result = result.model_copy(update={"usage": counted})
            used = self._by_deployment.get(result.provider_model, cfg)
            cost, known = self._cost(used, result.usage, None, False)
            result = result.model_copy(update={"cost_usd": cost, "cost_known": known})
        report(result.usage.total_tokens)
    await self.budget.record(result.cost_usd)
    holder.completion = result.model_copy(update={"model": model})
