"""The ``chat`` tool: ask another model, with files, images and conversation memory; stream; page long answers."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from zen_core import (
    Completion,
    Model,
    PromptContext,
    StoreUnavailable,
    Thread,
    ThreadFull,
    Tool,
    ToolAnnotations,
    ToolContext,
    ToolError,
    ToolResponse,
    Turn,
)
from zen_tool_chat.paging import (
    DEFAULT_LIMIT_TOKENS,
    estimate_tokens,
    page_footer,
    page_info,
    page_size,
    split_pages,
)
from zen_tool_chat.prompts import SYSTEM
from zen_tool_chat.request import REASONING_EFFORT, ChatRequest
from zen_tool_chat.result import ChatResult

TOOL = "chat"
#: Progress notifications: at most one per interval, unless this many new characters arrived.
PROGRESS_INTERVAL_S = 0.2
PROGRESS_CHARS = 400
#: Characters of the partial answer sent in a progress message (its tail).
PROGRESS_TAIL = 300


class ChatTool(Tool[ChatRequest]):
    name = "chat"
    description = (
        "Ask another model for a second opinion, review or brainstorm, with files/images by absolute path. Returns "
        "the answer and a continuation_id."
    )
    request_model = ChatRequest
    # Reads files and asks a model: nothing is changed (read_only, not destructive); a model's answer varies
    # from call to call (not idempotent); the model is an outside service (open world).
    annotations = ToolAnnotations(
        title="Chat with another model", read_only=True, destructive=False, idempotent=False, open_world=True
    )
    output_model = ChatResult
    max_result_chars = 100_000
    background = True
    prompt_template: ClassVar[str | None] = (
        "Use the `chat` tool of the zen MCP server to get a second opinion: {request}"
    )

    async def execute(self, request: ChatRequest, ctx: ToolContext) -> ToolResponse:
        if request.page is not None:
            return await self._page(request, ctx)
        if not request.prompt.strip():
            raise ToolError('"prompt" is required: the question or task for the model.', code="invalid_arguments")
        thread = await ctx.threads.get(request.continuation_id) if request.continuation_id else None
        if thread is not None and len(thread.turns) + 2 > ctx.threads.max_turns:
            raise ThreadFull(thread.id, ctx.threads.max_turns)
        model = await _choose_model(request, ctx, thread)
        system = ctx.prompt("system", SYSTEM)
        prepared = await ctx.files.gather(
            model,
            prompt=request.prompt,
            system=system,
            files=request.files,
            images=request.images,
            thread=thread,
            max_tokens=request.max_tokens,
        )
        effort = REASONING_EFFORT[request.thinking_mode] if request.thinking_mode and model.supports_thinking else None
        completion = await self._ask(ctx, model, prepared.messages(system, model), request, effort)
        paths = [image.source for image in prepared.images if image.is_path]
        user = Turn(
            role="user",
            content=request.prompt,
            files=request.files,
            images=paths,
            tool=TOOL,
            metadata={"inline_images": len(prepared.images) - len(paths)},
        )
        facts = {**_facts(completion, effort), "metadata": completion.metadata()}
        answer_meta: dict[str, Any] = {"facts": _facts(completion, effort), "files_included": prepared.included}
        _, pages = self._render(ctx, completion.text, "", prepared, facts)
        if pages:
            answer_meta["page_chars"] = pages
        assistant = Turn(
            role="assistant", content=completion.text, tool=TOOL, model=completion.model_used, metadata=answer_meta
        )
        try:
            if thread is None:
                initial = {"prompt": request.prompt, "files": request.files}
                thread_id = (await ctx.threads.create(TOOL, initial_context=initial, turns=[user, assistant])).id
            else:
                await ctx.threads.add_turns(thread.id, [user, assistant])
                thread_id = thread.id
        except StoreUnavailable as exc:  # the answer was paid for: return it, and say it was not kept
            facts["not_saved"] = f"{exc.message} The answer could not be saved, so it cannot be continued."
            thread_id = ""
        return self._render(ctx, completion.text, thread_id, prepared, facts, pages)[0]

    # -- the call ------------------------------------------------------------------------------
    async def _ask(
        self,
        ctx: ToolContext,
        model: Model,
        messages: list[dict[str, Any]],
        request: ChatRequest,
        effort: str | None,
    ) -> Completion:
        """The answer: streamed as progress when the client asked for progress."""
        kwargs: dict[str, Any] = {
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            "reasoning_effort": effort,
            "timeout_s": request.timeout_s,
            "metadata": {"tool": TOOL},
        }
        if not ctx.wants_progress:
            return await ctx.llm.complete(model, messages, **kwargs)
        stream = ctx.llm.stream(model, messages, **kwargs)
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
            raise ToolError(
                f"The stream from model '{model.requested}' ended without a result; retry.", code="llm_error"
            )
        await ctx.report_progress(chars, chars, "answer complete")
        return stream.completion

    # -- rendering -----------------------------------------------------------------------------
    def _render(
        self,
        ctx: ToolContext,
        answer: str,
        thread_id: str,
        prepared: PromptContext | None,
        facts: dict[str, Any],
        page_chars: int | None = None,
        number: int = 1,
    ) -> tuple[ToolResponse, int | None]:
        """The response for page ``number``; pages when the whole answer would exceed the client's limit.

        Returns the response and the page size used (``None``: not paged).
        """
        limit = ctx.max_output_tokens or int(ctx.plugin_settings.get("max_result_tokens") or DEFAULT_LIMIT_TOKENS)
        shown_id = thread_id or ("" if facts.get("not_saved") else PLACEHOLDER_ID)
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


async def _choose_model(request: ChatRequest, ctx: ToolContext, thread: Thread | None) -> Model:
    """The model asked for; else the one that answered last in the conversation (if this caller may still
    use it); else the configured default."""
    if request.model:
        return await ctx.llm.model(request.model)
    if thread is not None and thread.last_model:
        try:
            return await ctx.llm.model(thread.last_model)
        except ToolError:  # gone from the configuration, or not allowed for this key: use the default
            pass
    return await ctx.llm.default_model()


def _facts(completion: Completion, effort: str | None) -> dict[str, Any]:
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
    answer: str, thread_id: str, prepared: PromptContext | None, facts: dict[str, Any], page: tuple[int, int] | None
) -> ToolResponse:
    data: dict[str, Any] = {
        "answer": answer,
        "continuation_id": thread_id,
        **{k: v for k, v in facts.items() if k != "metadata"},
    }
    footer: list[str] = []
    if prepared is not None:
        report = prepared.report()
        data["files"] = {k: report[k] for k in ("included", "excluded", "skipped")}
        if prepared.omitted_turns:
            data["history"] = report["history"]
        footer += prepared.notes()
    if page is not None:
        data["page"] = page_info(page[0], page[1], thread_id)
        footer.append(page_footer(page[0], page[1], thread_id))
    if facts.get("not_saved"):
        footer.append(f"Not saved: {facts['not_saved']}")
    else:
        footer.append(f"continuation_id: {thread_id} (pass it to chat or another Zen tool to continue)")
    return ToolResponse(
        data=data, text=answer + "\n\n---\n" + "\n".join(footer), metadata=dict(facts.get("metadata", {}))
    )
