"""One model call with a hard time bound, turned into an :class:`Attempt` that never raises (except on
cancellation), and a progress reporter counting finished calls."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from zen_core import Model, ToolContext, ToolError
from zen_tool_consensus.agreement import Position, parse_changed, parse_position

#: Extra time on top of ``timeout_s`` before the call is abandoned, so the provider's own timeout
#: (which names the provider) usually fires first.
HARD_BOUND_GRACE_S = 1.0

Status = Literal["ok", "error", "timeout"]


@dataclass
class Attempt:
    """One model's answer (or failure) in one phase."""

    phase: str
    round: int
    status: Status
    answer: str = ""
    model_used: str | None = None
    position: Position | None = None
    changed: bool | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cost_known: bool = True
    latency_ms: float = 0.0
    error: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "phase": self.phase,
            "round": self.round,
            "status": self.status,
            "model_used": self.model_used,
            "latency_ms": round(self.latency_ms, 1),
        }
        if self.ok:
            data.update(
                answer=self.answer,
                position=self.position,
                tokens={
                    "prompt": self.prompt_tokens,
                    "completion": self.completion_tokens,
                    "total": self.prompt_tokens + self.completion_tokens,
                },
                cost_usd=self.cost_usd,
                cost_known=self.cost_known,
            )
            if self.phase == "feedback":
                data["changed"] = self.changed
        else:
            data["error"] = self.error
        return data


@dataclass
class Progress:
    """Counts finished steps of one consensus call and reports each as an MCP progress notification."""

    ctx: ToolContext
    total: int
    done: int = 0
    per_phase: dict[str, int] = field(default_factory=dict)

    async def step(self, phase: str, of: int) -> None:
        self.done = min(self.done + 1, self.total)
        self.per_phase[phase] = self.per_phase.get(phase, 0) + 1
        await self.ctx.report_progress(self.done, self.total, f"{self.per_phase[phase]}/{of} {phase}")

    async def skip(self, steps: int, message: str) -> None:
        self.done = min(self.done + steps, self.total)
        await self.ctx.report_progress(self.done, self.total, message)


def error_info(exc: BaseException, model: str, timeout_s: float | None) -> tuple[Status, dict[str, Any]]:
    """The status and error fields for a failed call, keeping the provider's own words."""
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        message = f"Model '{model}' gave no answer within {timeout_s:g}s (timeout_s)."
        return "timeout", {"code": "timeout", "message": message, "model": model}
    if isinstance(exc, ToolError):
        info: dict[str, Any] = {"code": exc.code, "message": exc.message, "model": model}
        for key in ("provider", "status_code", "provider_message"):
            if key in exc.details:
                info[key] = exc.details[key]
        return ("timeout" if exc.code == "llm_timeout" else "error"), info
    return "error", {"code": "internal_error", "message": f"{type(exc).__name__}: {exc}", "model": model}


async def ask(
    ctx: ToolContext,
    model: Model,
    messages: list[dict[str, Any]],
    *,
    phase: str,
    round: int,
    temperature: float | None,
    timeout_s: float | None,
    label: str,
) -> Attempt:
    """Call ``model`` once (never from cache: repeated models are independent samples)."""
    started = time.perf_counter()
    try:
        call = ctx.llm.complete(
            model,
            messages,
            temperature=temperature,
            timeout_s=timeout_s,
            cache=False,
            metadata={"tool": "consensus", "participant": label, "phase": phase},
        )
        if timeout_s is None:
            completion = await call
        else:
            completion = await asyncio.wait_for(call, timeout_s + HARD_BOUND_GRACE_S)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        status, error = error_info(exc, model.requested, timeout_s)
        ctx.logger.info("consensus: %s failed in %s: %s", label, phase, error["message"])
        return Attempt(phase, round, status, latency_ms=(time.perf_counter() - started) * 1000, error=error)
    text = completion.text
    return Attempt(
        phase,
        round,
        "ok",
        answer=text,
        model_used=completion.model_used,
        position=parse_position(text),
        changed=parse_changed(text) if phase == "feedback" else None,
        prompt_tokens=completion.usage.prompt_tokens,
        completion_tokens=completion.usage.completion_tokens,
        cost_usd=completion.cost_usd,
        cost_known=completion.cost_known,
        latency_ms=completion.latency_ms,
    )
