"""The ``apilookup`` tool: current API or library documentation, looked up by a model that searches the
web (LiteLLM's ``web_search_options``). Offered only when a usable model can search the web."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from zen_core import (
    Model,
    ModelConfig,
    Thread,
    Tool,
    ToolAnnotations,
    ToolContext,
    ToolError,
    ToolRequest,
    ToolResponse,
    Turn,
)
from zen_tool_planner.common import check_room, continuation_footer, cost_line, facts, save_exchange
from zen_tool_planner.prompts import APILOOKUP_SYSTEM
from zen_tool_planner.websearch import any_web_search, supports_web_search, web_search_models

TOOL = "apilookup"
CONTEXT_SIZES = ("low", "medium", "high")
HOW_TO_ENABLE = (
    "mark one in models.yaml with supports_web_search: true, or configure "
    "one LiteLLM knows can search (Gemini, Claude, gpt-4o-search-preview, gpt-5-search-api, Perplexity …)"
)
_URL = re.compile(r"https?://[^\s<>\"'`)\]]+")
_SOURCES_LINE = re.compile(r"^[^\w\n]*sources[^\w\n]*(:|$)", re.IGNORECASE | re.MULTILINE)
_CODE = re.compile(r"```.*?(```|$)", re.DOTALL)


def sources_of(answer: str) -> list[str]:
    """The URLs listed after the answer's last ``SOURCES:`` line; without one, the URLs anywhere outside
    code blocks (an example's ``base_url`` is no source). In order, each once."""
    lines = list(_SOURCES_LINE.finditer(answer))
    text = answer[lines[-1].end() :] if lines else _CODE.sub("", answer)
    return list(dict.fromkeys(url.rstrip(".,;:") for url in _URL.findall(text)))


class LookupRequest(ToolRequest):
    query: str = Field(min_length=1, description="Library, version and API or question to look up.")
    model: str | None = Field(None, description="A model with web search (default: the best one).")
    continuation_id: str | None = Field(None, description="Continue a conversation.")


class LookupResult(BaseModel):
    answer: str
    sources: list[str]
    continuation_id: str
    search_context_size: str | None = None
    model_used: str | None = None
    usage: dict[str, int] | None = None
    cost_usd: float | None = None
    cost_known: bool | None = None
    latency_ms: float | None = None
    not_saved: str | None = None


class ApiLookupTool(Tool[LookupRequest]):
    name = "apilookup"
    description = (
        "Look up current library/API docs on the web (versions, signatures, deprecations) via a model with web "
        "search. Returns the answer and its sources."
    )
    request_model = LookupRequest
    annotations = ToolAnnotations(
        title="Look up current API docs", read_only=True, destructive=False, idempotent=False, open_world=True
    )
    output_model = LookupResult
    max_result_chars = 100_000
    prompt_template: ClassVar[str | None] = "Use the `apilookup` tool of the zen MCP server to look up: {request}"

    def unavailable_reason(self, models: Sequence[ModelConfig]) -> str | None:
        if any_web_search(models):
            return None
        return f"no usable model can search the web; {HOW_TO_ENABLE}"

    async def execute(self, request: LookupRequest, ctx: ToolContext) -> ToolResponse:
        await ctx.report_progress(0, 3, "reading the conversation")
        thread = await ctx.threads.get(request.continuation_id) if request.continuation_id else None
        check_room(ctx, thread)
        model = await _search_model(ctx, request.model, thread)
        size = str(ctx.plugin_settings.get("search_context_size") or "medium")
        if size not in CONTEXT_SIZES:
            raise ToolError(
                f"plugins.zen-tool-planner.search_context_size is {size!r}; use low, medium or high.",
                code="config_error",
            )
        system = ctx.prompt("system", APILOOKUP_SYSTEM)
        prepared = await ctx.files.gather(model, prompt=request.query, system=system, thread=thread)
        await ctx.report_progress(1, 3, f"{model.name} is searching the web")
        completion = await ctx.llm.complete(
            model,
            prepared.messages(system, model),
            web_search_options={"search_context_size": size},
            metadata={"tool": TOOL},
        )
        if not completion.text.strip():
            raise ToolError(
                f"Model '{completion.model_used}' returned an empty answer; retry or pass another model.",
                code="bad_model_output",
                details=facts(completion),
            )
        sources = sources_of(completion.text)
        await ctx.report_progress(2, 3, "saving")
        user = Turn(role="user", content=f"Look up: {request.query}", tool=TOOL)
        assistant = Turn(
            role="assistant",
            content=completion.text,
            tool=TOOL,
            model=completion.model_used,
            metadata={"sources": sources, "facts": facts(completion)},
        )
        thread_id, not_saved = await save_exchange(
            ctx, TOOL, thread, [user, assistant], {"prompt": f"Look up: {request.query}"}
        )
        await ctx.report_progress(3, 3, "done")
        data: dict[str, Any] = {
            "answer": completion.text,
            "sources": sources,
            "continuation_id": thread_id,
            "search_context_size": size,
            **facts(completion),
        }
        if not_saved:
            data["not_saved"] = not_saved
        footer = [cost_line(data), continuation_footer(thread_id, not_saved, "pass it to chat or another Zen tool")]
        return ToolResponse(data=data, text=completion.text + "\n\n---\n" + "\n".join(footer))


async def _search_model(ctx: ToolContext, requested: str | None, thread: Thread | None) -> Model:
    """The model asked for (it must search the web); else the conversation's last model, then the default
    model, when they search the web; else the best-scored usable model that does."""
    if requested:
        model = await ctx.llm.model(requested)
        if not supports_web_search(model.config):
            able = ", ".join(m.name for m in web_search_models(ctx.llm.available())) or "none"
            raise ToolError(
                f"Model '{model.name}' cannot search the web. Models that can: {able}. "
                f"What to do: pass one of them, or {HOW_TO_ENABLE}.",
                code="no_web_search",
                details={"model": model.name},
            )
        return model
    for name in ([thread.last_model] if thread is not None and thread.last_model else []) + [None]:
        try:
            model = await ctx.llm.model(name)
        except ToolError:  # no default (auto), gone, or not allowed for this key: look further
            continue
        if supports_web_search(model.config):
            return model
    candidates = web_search_models(ctx.llm.available())
    if not candidates:
        raise ToolError(f"No model you may use can search the web; {HOW_TO_ENABLE}.", code="no_web_search")
    return await ctx.llm.model(candidates[0].name)
