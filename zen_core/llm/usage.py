"""What one model call used: the record each call leaves on its tool call, for logs, metrics and usage."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from zen_core.llm.types import Completion


@dataclass(frozen=True)
class UsageRecord:
    """One model call: which model, tokens, cost, time, and how it ended."""

    #: The model as requested (name or alias).
    model: str
    #: The model that answered (differs after a fallback); ``None`` when the call failed.
    model_used: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    #: False when no price is known for the model (``cost_usd`` is then 0).
    cost_known: bool = True
    latency_ms: float = 0.0
    cache_hit: bool = False
    #: The error code (``llm_error``, ``rate_limited`` …) or exception name of a failed call.
    error: str | None = None
    rate_limit_wait_s: float = 0.0

    @classmethod
    def of(cls, requested: str, completion: Completion) -> UsageRecord:
        return cls(
            model=requested,
            model_used=completion.model_used,
            prompt_tokens=completion.usage.prompt_tokens,
            completion_tokens=completion.usage.completion_tokens,
            cost_usd=completion.cost_usd,
            cost_known=completion.cost_known,
            latency_ms=completion.latency_ms,
            cache_hit=completion.cache_hit,
        )

    @classmethod
    def failed(cls, requested: str, started: float, error: BaseException) -> UsageRecord:
        """A failed call that began at ``time.perf_counter()`` value ``started``."""
        code = getattr(error, "code", None)
        return cls(
            model=requested,
            latency_ms=(time.perf_counter() - started) * 1000,
            error=str(code) if isinstance(code, str) else type(error).__name__,
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


#: Where a tool call's model calls are recorded (``ToolContext.usage.append``).
UsageSink = Callable[[UsageRecord], None]


def summarize(records: Sequence[UsageRecord]) -> dict[str, Any]:
    """Models, tokens, cost and cache hits of a tool call's model calls (for its log line)."""
    models: list[str] = []
    for rec in records:
        name = rec.model_used or rec.model
        if name and name not in models:
            models.append(name)
    return {
        "models": models,
        "llm_calls": len(records),
        "prompt_tokens": sum(r.prompt_tokens for r in records),
        "completion_tokens": sum(r.completion_tokens for r in records),
        "cost_usd": round(sum(r.cost_usd for r in records), 8),
        "cost_known": all(r.cost_known for r in records),
        "cache_hits": sum(1 for r in records if r.cache_hit),
        "llm_errors": [r.error for r in records if r.error],
    }
