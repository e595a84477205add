"""The ``chat`` tool: ask another model, with files, images and conversation memory; stream; page long answers."""

from __future__ import annotations

import asyncio
import time
from typing import Any, ClassVar

from zen_core import Tool, ToolAnnotations, ToolContext, ToolError, ToolResponse
from zen_core.store import Thread, ThreadFull, Turn
from zen_tool_chat.context import Prepared, prepare
from zen_tool_chat.paging import (
    DEFAULT_LIMIT_TOKENS,
    estimate_tokens,
    page_footer,
    page_info,
    page_size,
    split_pages,
)
from zen_tool_chat.request import REASONING_EFFORT, ChatRequest, compact_schema

TOOL = "chat"
#: Progress notifications: at most one per interval, unless this many new characters arrived.
PROGRESS_INTERVAL_S = 0.2
PROGRESS_CHARS = 400
#: Characters of the partial answer sent in a progress message (its tail).
PROGRESS_TAIL = 300


class ChatTool(Tool[ChatRequest]):
    name = "chat"
    description = (
        "Ask another model for a second opinion, review or brainstorm. Pass files/images by absolute path. "
        "Returns the answer and a continuation_id to continue the conversation."
    )
    request_model = ChatRequest
    annotations = ToolAnnotations(title="Chat with another model", read_only=True, open_world=True)
    prompt_template: ClassVar[str | None] = (
        "Use the `chat` tool of the zen MCP server to get a second opinion: {request}"
    )

    def input_schema(self) -> dict[str, Any]:
        return compact_schema(self.request_model.model_json_schema())

    async def execute(self, request: ChatRequest, ctx: ToolContext) -> ToolResponse:
        if request.page is not None:
            return await self._page(request, ctx)
        if not request.prompt.strip():
            raise ToolError('"prompt" is required: the question or task for the model.', code="invalid_arguments")
        thread = await ctx.threads.get(request.continuation_id) if request.continuation_id else None
        if thread is not None and len(thread.turns) + 2 > ctx.threads.max_turns:
            raise ThreadFull(thread.id, ctx.threads.max_turns)
        model = self._model(request, ctx, thread)
        if _light(request, ctx, thread):  # nothing to read and little to count: a thread hop costs more
            cfg, prepared = self._prepare(request, ctx, model, thread)
        else:  # one hop off the event loop for everything blocking: model info, files, token counts
            cfg, prepared = await asyncio.to_thread(self._prepare, request, ctx, model, thread)
        effort = None
        if request.thinking_mode and cfg.supports_thinking:
            effort = REASONING_EFFORT[request.thinking_mode]
        completion = await self._ask(ctx, model, prepared, request, effort)
        user = Turn(
            role="user",
            content=request.prompt,
            files=request.files,
            images=prepared.images,
            tool=TOOL,
            metadata={"inline_images": len(request.images) - len(prepared.images)},
        )
        facts = {**_facts(completion, effort), "metadata": completion.metadata()}
        answer_meta: dict[str, Any] = {"facts": _facts(completion, effort), "files_included": prepared.included}
        _, pages = self._render(ctx, completion.text, "", prepared, facts)
        if pages:
            answer_meta["page_chars"] = pages
        assistant = Turn(
            role="assistant", content=completion.text, tool=TOOL, model=completion.model_used, metadata=answer_meta
        )
        if thread is None:
            created = await ctx.threads.create(
                TOOL, initial_context={"prompt": request.prompt, "files": request.files}, turns=[user, assistant]
            )
            thread_id = created.id
        else:
            await ctx.threads.add_turns(thread.id, [user, assistant])
            thread_id = thread.id
        return self._render(ctx, completion.text, thread_id, prepared, facts, pages)[0]

    @staticmethod
    def _prepare(request: ChatRequest, ctx: ToolContext, model: str, thread: Thread | None) -> tuple[Any, Prepared]:
        """The model's configuration and the messages to send (blocking: runs in a worker thread)."""
        cfg = _model_config(ctx, model)
        if request.images and not cfg.supports_vision:
            raise ToolError(
                f"Model '{cfg.name}' does not accept images (supports_vision is "
                f"{'false' if cfg.supports_vision is False else 'unknown'} for it). Use a vision model (listmodels "
                "marks them 'vision'), call again without images, or set supports_vision: true for the model in "
                "models.yaml if it does accept images.",
                code="vision_unsupported",
                details={"model": cfg.name},
            )
        prepared = prepare(
            ctx,
            model=model,
            system=ctx.prompt("chat.system"),
            prompt=request.prompt,
            files=request.files,
            images=request.images,
            thread=thread,
            max_tokens=request.max_tokens,
        )
        return cfg, prepared

    # -- model choice --------------------------------------------------------------------------
    @staticmethod
    def _model(request: ChatRequest, ctx: ToolContext, thread: Thread | None) -> str:
        if request.model:
            return request.model
        models = ctx.services.models
        last = thread.last_model if thread is not None else None
        for candidate in (last if last in models else None, ctx.settings.get("default_model"), models.default_model):
            if candidate and str(candidate).lower() != "auto":
                return str(candidate)
        names = ", ".join(m.name for m in ctx.services.models.available())
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
        )

    # -- the call ------------------------------------------------------------------------------
    async def _ask(
        self, ctx: ToolContext, model: str, prepared: Prepared, request: ChatRequest, effort: str | None
    ) -> Any:
        kwargs: dict[str, Any] = {
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            "reasoning_effort": effort,
            "metadata": {"tool": TOOL, "trace_id": ctx.trace_id},
        }
        if ctx.progress_callback is None:
            return await ctx.llm.complete(model, prepared.messages, **kwargs)
        stream = ctx.llm.stream(model, prepared.messages, **kwargs)
        parts: list[str] = []
        chars = sent = 0
        last = 0.0
        try:
            async for delta in stream:
                parts.append(delta)
                chars += len(delta)
                now = time.monotonic()
                if sent == 0 or now - last >= PROGRESS_INTERVAL_S or chars - sent >= PROGRESS_CHARS:
                    await ctx.report_progress(chars, None, "".join(parts)[-PROGRESS_TAIL:])
                    sent, last = chars, now
        finally:
            await stream.aclose()
        if stream.completion is None:
            raise ToolError(f"The stream from model '{model}' ended without a result; retry.", code="llm_error")
        await ctx.report_progress(chars, chars, "answer complete")
        return stream.completion

    # -- rendering -----------------------------------------------------------------------------
    def _render(
        self,
        ctx: ToolContext,
        answer: str,
        thread_id: str,
        prepared: Prepared | None,
        facts: dict[str, Any],
        page_chars: int | None = None,
        number: int = 1,
    ) -> tuple[ToolResponse, int | None]:
        """The response for page ``number``; pages when the whole answer would exceed the client's limit.

        Returns the response and the page size used (``None``: not paged).
        """
        limit = ctx.max_output_tokens or int(ctx.settings.get("max_result_tokens") or DEFAULT_LIMIT_TOKENS)
        shown_id = thread_id or PLACEHOLDER_ID
        if page_chars is None:
            whole = _response(answer, shown_id, prepared, facts, None)
            if estimate_tokens(whole) <= limit:
                return whole, None
            empty = _response("", shown_id, prepared, facts, (99, 99))
            page_chars = page_size(limit, estimate_tokens(empty))
        pages = split_pages(answer, page_chars)
        if not 1 <= number <= len(pages):
            raise ToolError(
                f"Page {number} does not exist: the answer has {len(pages)} page(s).", code="page_not_found"
            )
        return _response(pages[number - 1], shown_id, prepared, facts, (number, len(pages))), page_chars

    # -- later pages ---------------------------------------------------------------------------
    async def _page(self, request: ChatRequest, ctx: ToolContext) -> ToolResponse:
        if not request.continuation_id:
            raise ToolError('"page" needs the "continuation_id" of the paged answer.', code="invalid_arguments")
        thread = await ctx.threads.get(request.continuation_id)
        turn = next((t for t in reversed(thread.turns) if t.role == "assistant" and t.metadata.get("page_chars")), None)
        if turn is None:
            raise ToolError(
                f"Conversation {thread.id} has no paged answer; page is only for answers that said "
                "they have more pages.",
                code="page_not_found",
            )
        facts = {**turn.metadata.get("facts", {}), "metadata": {"from_stored_answer": True}}
        return self._render(
            ctx, turn.content, thread.id, None, facts, int(turn.metadata["page_chars"]), request.page or 1
        )[0]


PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000"
#: Longest prompt prepared on the event loop (counting its tokens takes well under a millisecond).
INLINE_PROMPT_CHARS = 8_000


def _light(request: ChatRequest, ctx: ToolContext, thread: Thread | None) -> bool:
    """Whether preparing this call blocks for no noticeable time: no files, images or history, a short
    prompt, and LiteLLM already loaded (model info and tokenizer in memory)."""
    return (
        not request.files
        and not request.images
        and thread is None
        and len(request.prompt) <= INLINE_PROMPT_CHARS
        and ctx.llm.ready
    )


def _model_config(ctx: ToolContext, model: str) -> Any:
    """The model's configuration with capabilities filled from LiteLLM's model info (blocking)."""
    cfg = ctx.llm.resolve(model)  # an unknown model raises a ToolError listing the known ones
    if cfg.supports_vision is None or cfg.supports_thinking is None or cfg.context_window is None:
        ctx.services.models.enrich()
        cfg = ctx.llm.resolve(model)
    return cfg


def _facts(completion: Any, effort: str | None) -> dict[str, Any]:
    """What the response reports about the model call (also stored with the answer, for later pages)."""
    facts: dict[str, Any] = {
        "model_used": completion.model_used,
        "usage": completion.usage.model_dump(),
        "cost_usd": completion.cost_usd,
        "cost_known": completion.cost_known,
        "latency_ms": round(completion.latency_ms, 1),
    }
    if effort:
        facts["reasoning_effort"] = effort
    return facts


def _response(
    answer: str, thread_id: str, prepared: Prepared | None, facts: dict[str, Any], page: tuple[int, int] | None
) -> ToolResponse:
    data: dict[str, Any] = {
        "answer": answer,
        "continuation_id": thread_id,
        **{k: v for k, v in facts.items() if k != "metadata"},
    }
    footer: list[str] = []
    if prepared is not None:
        data["files"] = {"included": prepared.included, "excluded": prepared.excluded, "skipped": prepared.skipped}
        if prepared.omitted_turns:
            data["history"] = {"turns": prepared.history_turns, "omitted_turns": prepared.omitted_turns}
        footer += [f"Left out (did not fit): {e['path']}: {e['reason']}" for e in prepared.excluded]
        footer += [f"Skipped: {s['path']}: {s['reason']}" for s in prepared.skipped]
    if page is not None:
        data["page"] = page_info(page[0], page[1], thread_id)
        footer.append(page_footer(page[0], page[1], thread_id))
    footer.append(f"continuation_id: {thread_id} (pass it to chat or another Zen tool to continue)")
    return ToolResponse(
        data=data, text=answer + "\n\n---\n" + "\n".join(footer), metadata=dict(facts.get("metadata", {}))
    )
