"""What the three tools share: choosing a model, reporting a call's cost, reading JSON from an answer,
and storing an exchange as conversation turns."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from zen_core import (
    Completion,
    Model,
    StoreUnavailable,
    Thread,
    ThreadFull,
    ToolContext,
    ToolError,
    Turn,
)

#: Characters of a model answer quoted in an error when the answer could not be read.
QUOTE_CHARS = 300


async def choose_model(ctx: ToolContext, requested: str | None, thread: Thread | None) -> Model:
    """The model asked for; else the one that answered last in the conversation (if this caller may still
    use it); else the default (``plugins.zen-tool-planner.default_model``, then Zen's ``default_model``)."""
    if requested:
        return await ctx.llm.model(requested)
    if thread is not None and thread.last_model:
        try:
            return await ctx.llm.model(thread.last_model)
        except ToolError:  # gone from the configuration, or not allowed for this key
            pass
    return await ctx.llm.model()


def check_room(ctx: ToolContext, thread: Thread | None, turns: int = 2) -> None:
    """Refuse before paying for a model call whose answer could not be stored in ``thread``."""
    if thread is not None and len(thread.turns) + turns > ctx.threads.max_turns:
        raise ThreadFull(thread.id, ctx.threads.max_turns)


def facts(completion: Completion | None) -> dict[str, Any]:
    """Model, tokens, cost and time of the call (``completion`` is ``None`` when no model was called)."""
    if completion is None:
        return {
            "model_used": None,
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "cost_usd": 0.0,
            "cost_known": True,
            "latency_ms": 0.0,
        }
    return {
        "model_used": completion.model_used,
        "usage": completion.usage.model_dump(),
        "cost_usd": completion.cost_usd,
        "cost_known": completion.cost_known,
        "latency_ms": round(completion.latency_ms, 1),
    }


def cost_line(data: dict[str, Any]) -> str:
    """``model gpt-5 · 1,234 tokens · $0.0012`` (or ``no model call``)."""
    if not data.get("model_used"):
        return "no model call"
    cost = f"${data['cost_usd']:.4f}" if data.get("cost_known") else "cost unknown"
    return f"model {data['model_used']} · {data['usage']['total_tokens']:,} tokens · {cost}"


_FENCE = re.compile(r"```(?:json|JSON)?\s*\n(.*?)\n\s*```", re.DOTALL)


def extract_json(text: str) -> Any:
    """The JSON value in a model answer: the whole answer, a fenced block, or the outermost ``{…}``
    (``None`` when there is none)."""
    candidates = [text.strip(), *(m.group(1) for m in _FENCE.finditer(text))]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    return None


def bad_output(model: str, what: str, answer: str, completion: Completion) -> ToolError:
    """The model answered, but not in the form asked for."""
    quoted = answer.strip()[:QUOTE_CHARS] or "(an empty answer)"
    return ToolError(
        f"Model '{model}' did not return {what}. It answered: {quoted!r}. "
        "What to do: retry, or pass another model (see listmodels).",
        code="bad_model_output",
        details={"answer": answer, **facts(completion)},
    )


async def save_exchange(
    ctx: ToolContext,
    tool: str,
    thread: Thread | None,
    turns: Sequence[Turn],
    initial_context: dict[str, Any],
) -> tuple[str, str | None]:
    """Store ``turns`` in ``thread`` (or a new conversation). Returns the conversation id and, when the
    store failed after a model answer was paid for, why it was not kept (the id is then empty)."""
    try:
        if thread is None:
            created = await ctx.threads.create(tool, initial_context=initial_context, turns=list(turns))
            return created.id, None
        await ctx.threads.add_turns(thread.id, list(turns))
        return thread.id, None
    except StoreUnavailable as exc:
        return "", f"{exc.message} The result could not be saved, so it cannot be continued."


def continuation_footer(thread_id: str, not_saved: str | None, hint: str) -> str:
    if not_saved:
        return f"Not saved: {not_saved}"
    return f"continuation_id: {thread_id} ({hint})"
