"""What the LLM service tells the rest of Zen about each provider call: usage records for logging and
metrics, the trace id for LiteLLM's metadata, and the calling API key's model allowlist."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, AsyncIterator
from typing import TYPE_CHECKING, Any

from zen_core.calls.middleware import current_call, current_trace_id, record_llm_call
from zen_core.calls.tool import ToolError

if TYPE_CHECKING:
    from zen_core.llm.models import ModelConfig
    from zen_core.llm.types import Completion, CompletionStream


def record(model: str, started: float, result: Completion | None = None, error: BaseException | None = None) -> None:
    """Record one finished (or failed) call on the current tool call (no-op outside a tool call)."""
    if result is not None:
        record_llm_call(
            {
                "model": model,
                "model_used": result.model_used,
                "prompt_tokens": result.usage.prompt_tokens,
                "completion_tokens": result.usage.completion_tokens,
                "cost_usd": result.cost_usd,
                "cost_known": result.cost_known,
                "latency_ms": result.latency_ms,
                "cache_hit": result.cache_hit,
                "error": None,
                "rate_limit_wait_s": 0.0,
            }
        )
        return
    record_llm_call(
        {
            "model": model,
            "model_used": None,
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "cost_usd": 0.0,
            "cost_known": True,
            "latency_ms": (time.perf_counter() - started) * 1000,
            "cache_hit": False,
            "error": type(error).__name__ if error is not None else "unknown",
            "rate_limit_wait_s": 0.0,
        }
    )


async def recorded(stream: AsyncIterator[str], model: str, holder: CompletionStream) -> AsyncGenerator[str, None]:
    """``stream`` passed through, recording its outcome (``holder.completion`` once it ends)."""
    begun = time.perf_counter()
    try:
        async for delta in stream:
            yield delta
    except Exception as exc:
        record(model, begun, error=exc)
        raise
    if holder.completion is not None:
        record(model, begun, holder.completion)


def trace_metadata(metadata: dict[str, Any] | None) -> dict[str, Any] | None:
    """``metadata`` with the current trace id added, so provider calls log with it."""
    trace_id = current_trace_id()
    if trace_id is None:
        return dict(metadata) if metadata else None
    return {**(metadata or {}), "zen_trace_id": trace_id}


def check_key_allows(requested: str, cfg: ModelConfig) -> None:
    """Refuse a model outside the calling API key's allowlist, however the tool chose it."""
    call = current_call.get()
    allowed = call.ctx.state.get("allowed_models") if call is not None else None
    if not allowed:
        return
    names = {n.lower() for n in cfg.names} | {cfg.name.lower()}
    if names & {a.lower() for a in allowed}:
        return
    key = call.ctx.key_name if call is not None else None
    raise ToolError(
        f"API key '{key}' may not use model '{requested}'. Allowed models: {', '.join(allowed)}.",
        code="forbidden_model",
        details={"model": requested, "allowed_models": list(allowed)},
    )
