"""What the seven tools share: the common request fields, one model call, the JSON answer read robustly,
the exchange stored as turns, and the response with usage and cost.

A tool is a subclass of :class:`ThinkTool` that names its request model, its answer model (the JSON the
model is asked for), its system prompt and answer format, and says how to put the request into words
(:meth:`ThinkTool.task`) and the answer into text (:meth:`ThinkTool.render`).
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, Literal, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, create_model

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
    ToolRequest,
    ToolResponse,
    Turn,
)
from zen_tool_think.answer import parse_answer

ThinkingMode = Literal["minimal", "low", "medium", "high", "max"]

#: ``thinking_mode`` → LiteLLM ``reasoning_effort`` (LiteLLM maps it to each provider's thinking budget).
REASONING_EFFORT: dict[str, str] = {
    "minimal": "minimal",
    "low": "low",
    "medium": "medium",
    "high": "high",
    "max": "high",
}

#: Stages reported as progress: reading files, asking the model, storing the answer, done.
STAGES = 4


class ThinkRequest(ToolRequest):
    """The fields every tool of the package has (subclasses re-describe ``prompt`` and ``files``).

    Texts are stripped, so a required text of only spaces is reported as empty."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    prompt: str | None = Field(None, description="What to focus on.")
    files: list[str] = Field(default_factory=list, description="Absolute paths of files or directories.")
    model: str | None = Field(None, description="See listmodels.")
    continuation_id: str | None = Field(None, description="Continue a conversation.")


class ThinkingRequest(ThinkRequest):
    """A request with ``thinking_mode``, for the tools where reasoning depth pays."""

    thinking_mode: ThinkingMode | None = Field(None, description="Reasoning depth.")


class CommonResult(BaseModel):
    """What every tool's ``data`` holds besides the answer's own fields."""

    continuation_id: str
    model_used: str
    usage: dict[str, int]
    cost_usd: float
    cost_known: bool = True
    latency_ms: float | None = None
    reasoning_effort: str | None = None
    files: dict[str, Any] | None = None
    history: dict[str, Any] | None = None
    #: The model's answer as text, when it was not the JSON asked for (the answer's fields are then empty).
    raw: str | None = None
    note: str | None = None
    not_saved: str | None = None


def result_model(answer: type[BaseModel]) -> type[BaseModel]:
    """The shape of a tool's ``data``: every field of its ``answer`` (always present, empty when the answer
    could not be parsed), then :class:`CommonResult`."""
    fields: dict[str, Any] = {name: (info.annotation, ...) for name, info in answer.model_fields.items()}
    name = answer.__name__.removesuffix("Answer") + "Result"
    return create_model(name, __base__=CommonResult, **fields)


RequestT = TypeVar("RequestT", bound=ThinkRequest)
AnswerT = TypeVar("AnswerT", bound=BaseModel)


class ThinkTool(Tool[RequestT], Generic[RequestT, AnswerT]):
    """One focused model call: gather the files, ask for JSON, parse it, store the exchange, report it."""

    annotations: ClassVar[ToolAnnotations]
    answer_model: ClassVar[type[BaseModel]]
    #: The tool's instructions (``prompts.<tool>.system`` overrides them).
    system_prompt: ClassVar[str]
    #: The JSON shape asked for, appended to the system prompt (``prompts.<tool>.format``); the parser
    #: relies on it, so overriding the system prompt alone keeps answers parseable.
    answer_format: ClassVar[str]
    temperature: ClassVar[float | None] = None
    #: ``thinking_mode`` when the request gives none.
    default_thinking: ClassVar[ThinkingMode | None] = None
    max_result_chars: ClassVar[int | None] = 100_000

    # -- what each tool says -------------------------------------------------------------------
    def task(self, request: RequestT, ctx: ToolContext) -> str:
        """The request in words, as the model reads it (after the files) and the conversation keeps it."""
        return request.prompt or ""

    def render(self, answer: AnswerT) -> str:
        """The answer as readable text."""
        raise NotImplementedError

    # -- the call ------------------------------------------------------------------------------
    async def execute(self, request: RequestT, ctx: ToolContext) -> ToolResponse:
        await ctx.report_progress(0, STAGES, "reading files")
        thread = await ctx.threads.get(request.continuation_id) if request.continuation_id else None
        if thread is not None and len(thread.turns) + 2 > ctx.threads.max_turns:
            raise ThreadFull(thread.id, ctx.threads.max_turns)
        model = await self._model(request, ctx, thread)
        system = ctx.prompt("system", self.system_prompt).rstrip() + "\n\n" + ctx.prompt("format", self.answer_format)
        task = self.task(request, ctx)
        prepared = await ctx.files.gather(model, prompt=task, system=system, files=request.files, thread=thread)
        mode = getattr(request, "thinking_mode", None) or self.default_thinking
        effort = REASONING_EFFORT[mode] if mode and model.supports_thinking else None
        await ctx.report_progress(1, STAGES, f"asking {model.name}" + (f" (reasoning: {effort})" if effort else ""))
        completion = await self._ask(ctx, model, prepared.messages(system, model), effort)

        parsed = parse_answer(completion.text, self.answer_model, truncated=completion.finish_reason == "length")
        if parsed.answer is not None:
            answer = parsed.answer
            body = self.render(cast(AnswerT, answer)) or "(The model's answer was empty.)"
        else:
            answer = self.answer_model()
            body = f"Note: {parsed.note}\n\n{completion.text}"
        facts = _facts(completion, effort)
        await ctx.report_progress(3, STAGES, "storing the answer")
        thread_id, not_saved = await self._store(ctx, thread, request, task, body, completion, facts)

        data: dict[str, Any] = {**answer.model_dump(mode="json"), "continuation_id": thread_id, **facts}
        report = prepared.report()
        data["files"] = {k: report[k] for k in ("included", "excluded", "skipped")}
        if prepared.history_turns or prepared.omitted_turns:
            data["history"] = report["history"]
        if parsed.answer is None:
            data["raw"], data["note"] = completion.text, parsed.note
        if not_saved:
            data["not_saved"] = not_saved
        await ctx.report_progress(STAGES, STAGES, "done")
        return ToolResponse(
            status="success" if parsed.answer is not None else "partial",
            data=data,
            text=body + "\n\n---\n" + "\n".join(_footer(prepared, facts, thread_id, not_saved)),
            metadata=completion.metadata(),
        )

    async def _model(self, request: RequestT, ctx: ToolContext, thread: Thread | None) -> Model:
        """The model asked for; else the one that answered last in the conversation (if this caller may
        still use it); else ``plugins.zen-tool-think.models.<tool>``; else the default model."""
        if request.model:
            return await ctx.llm.model(request.model)
        if thread is not None and thread.last_model:
            try:
                return await ctx.llm.model(thread.last_model)
            except ToolError:  # gone from the configuration, or not allowed for this key
                pass
        per_tool = (ctx.plugin_settings.get("models") or {}).get(self.name)
        return await ctx.llm.model(per_tool)

    async def _ask(
        self, ctx: ToolContext, model: Model, messages: list[dict[str, Any]], effort: str | None
    ) -> Completion:
        """The answer. While the model is silent, Zen's heartbeat repeats the stage and the time so far."""
        await ctx.report_progress(1, STAGES, f"asking {model.name}")
        completion = await ctx.llm.complete(
            model, messages, temperature=self.temperature, reasoning_effort=effort, metadata={"tool": self.name}
        )
        await ctx.report_progress(2, STAGES, f"{model.name} answered")
        return completion

    async def _store(
        self,
        ctx: ToolContext,
        thread: Thread | None,
        request: RequestT,
        task: str,
        body: str,
        completion: Completion,
        facts: dict[str, Any],
    ) -> tuple[str, str | None]:
        """Keep the exchange as two turns any tool can continue. Returns the thread id, and why the answer
        was not kept when the store failed (the answer was paid for, so it is returned anyway)."""
        user = Turn(role="user", content=task, files=request.files, tool=self.name)
        assistant = Turn(
            role="assistant", content=body, tool=self.name, model=completion.model_used, metadata={"facts": facts}
        )
        try:
            if thread is None:
                initial = {"prompt": task, "files": request.files}
                return (await ctx.threads.create(self.name, initial_context=initial, turns=[user, assistant])).id, None
            await ctx.threads.add_turns(thread.id, [user, assistant])
            return thread.id, None
        except StoreUnavailable as exc:
            return "", f"{exc.message} The answer could not be saved, so it cannot be continued."


def _facts(completion: Completion, effort: str | None) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "model_used": completion.model_used,
        "usage": completion.usage.model_dump(),
        "cost_usd": round(completion.cost_usd, 8),
        "cost_known": completion.cost_known,
        "latency_ms": round(completion.latency_ms, 1),
    }
    if effort:
        facts["reasoning_effort"] = effort
    return facts


def _footer(prepared: PromptContext, facts: dict[str, Any], thread_id: str, not_saved: str | None) -> list[str]:
    cost = f"${facts['cost_usd']:.4f}" if facts["cost_known"] else "cost unknown"
    lines = [*prepared.notes(), f"{facts['model_used']} · {facts['usage']['total_tokens']:,} tokens · {cost}"]
    if not_saved:
        lines.append(f"Not saved: {not_saved}")
    else:
        lines.append(f"continuation_id: {thread_id} (pass it to chat or another Zen tool to continue)")
    return lines


# -- rendering helpers -------------------------------------------------------------------------
def section(title: str, lines: list[str]) -> str:
    """``title`` and its lines, or nothing when there are none."""
    return f"{title}\n" + "\n".join(lines) if lines else ""


def join(*parts: str) -> str:
    """The non-empty parts, a blank line apart."""
    return "\n\n".join(p.strip("\n") for p in parts if p and p.strip())


def indent(text: str, prefix: str = "   ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def at(location: str) -> str:
    """`` (location)`` or nothing."""
    return f" ({location})" if location else ""
