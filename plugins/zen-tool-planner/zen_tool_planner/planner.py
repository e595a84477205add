"""The ``planner`` tool: a plan of ordered steps, made and revised by a model, kept version by version in
the conversation; steps are marked done without a model call."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, Field, field_validator

from zen_core import (
    Completion,
    Thread,
    Tool,
    ToolAnnotations,
    ToolContext,
    ToolError,
    ToolRequest,
    ToolResponse,
    Turn,
)
from zen_tool_planner.common import (
    bad_output,
    check_room,
    choose_model,
    continuation_footer,
    cost_line,
    extract_json,
    facts,
    save_exchange,
)
from zen_tool_planner.plan import TOOL, Change, Plan, PlanFormatError, Version, parse_plan, render, versions
from zen_tool_planner.prompts import PLANNER_SYSTEM

HINT = "pass it to planner with revise or done, or to chat to discuss the plan"


class PlannerRequest(ToolRequest):
    task: str | None = Field(None, description="What to plan (starts a plan).")
    constraints: str | None = Field(None, description="Decisions and limits to respect.")
    files: list[str] = Field(default_factory=list, description="Absolute paths of relevant files.")
    continuation_id: str | None = Field(None, description="The plan's conversation (or any other).")
    revise: str | None = Field(None, description='Change to make, e.g. "split step 3".')
    done: list[str] = Field(default_factory=list, description="Step ids to mark done.")
    model: str | None = Field(None, description="See listmodels.")

    @field_validator("done", mode="before")
    @classmethod
    def _ids_as_text(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value  # reported by pydantic, naming the field
        return [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]


class PlanResult(BaseModel):
    continuation_id: str
    version: int
    change: str
    plan: Plan
    next: list[str]
    progress: dict[str, int]
    history: list[dict[str, Any]]
    versions: list[Version] | None = None
    warnings: list[str] = Field(default_factory=list)
    model_used: str | None = None
    usage: dict[str, int] | None = None
    cost_usd: float | None = None
    cost_known: bool | None = None
    latency_ms: float | None = None
    files: dict[str, Any] | None = None
    not_saved: str | None = None


class PlannerTool(Tool[PlannerRequest]):
    name = "planner"
    description = (
        "Break a task into ordered steps with dependencies, kept in the conversation. Then, with continuation_id: "
        "revise (a model changes it), done, or neither to read it."
    )
    request_model = PlannerRequest
    annotations = ToolAnnotations(
        title="Plan a task", read_only=True, destructive=False, idempotent=False, open_world=True
    )
    output_model = PlanResult
    max_result_chars = 100_000
    prompt_template = "Use the `planner` tool of the zen MCP server to plan this: {request}"

    async def execute(self, request: PlannerRequest, ctx: ToolContext) -> ToolResponse:
        task, revise = (request.task or "").strip(), (request.revise or "").strip()
        _check_arguments(request, task, revise)
        await ctx.report_progress(0, 3, "reading the conversation")
        thread = await ctx.threads.get(request.continuation_id) if request.continuation_id else None
        history = versions(thread) if thread is not None else []
        if task:
            return await self._plan(ctx, request, thread, history, task, None)
        assert thread is not None  # _check_arguments: revise, done and reading need a continuation_id
        if not history:
            raise ToolError(
                f"Conversation {thread.id} has no plan yet. Call planner with task (and this continuation_id "
                "to plan from the conversation so far).",
                code="no_plan",
            )
        if revise:
            return await self._plan(ctx, request, thread, history, revise, history[-1])
        if request.done:
            return await self._mark_done(ctx, request.done, thread, history)
        await ctx.report_progress(3, 3, "done")
        latest = history[-1]
        return _response(latest, thread.id, None, history, facts(None), show_versions=True)

    # -- a model makes or revises the plan --------------------------------------------------------
    async def _plan(
        self,
        ctx: ToolContext,
        request: PlannerRequest,
        thread: Thread | None,
        history: list[Version],
        instruction: str,
        current: Version | None,
    ) -> ToolResponse:
        check_room(ctx, thread)
        model = await choose_model(ctx, request.model, thread)
        system = ctx.prompt("system", PLANNER_SYSTEM)
        if current is None:
            prompt = f"Plan this task:\n{instruction}"
            user_text = f"Plan this task: {instruction}"
        else:
            current_json = json.dumps(current.plan.model_dump(), indent=1, ensure_ascii=False)
            prompt = f"The current plan (version {current.version}):\n{current_json}\n\nRevise it: {instruction}"
            user_text = f"Revise the plan: {instruction}"
        if request.constraints:
            prompt += f"\n\nConstraints and decisions to respect:\n{request.constraints}"
            user_text += f"\nConstraints: {request.constraints}"
        await ctx.report_progress(1, 3, f"asking {model.name}")
        prepared = await ctx.files.gather(model, prompt=prompt, system=system, files=request.files, thread=thread)
        completion = await ctx.llm.complete(model, prepared.messages(system, model), metadata={"tool": TOOL})
        plan, warnings = _read_plan(completion, model.name, current.plan if current else None)
        change: Change = "created" if current is None else "revised"
        version = _version(history, change, instruction, completion.model_used, plan)
        await ctx.report_progress(2, 3, "saving the plan")
        user = Turn(role="user", content=user_text, files=request.files, tool=TOOL)
        assistant = _turn(version, completion, warnings)
        initial = {"prompt": f"Plan: {instruction}", "files": request.files}
        thread_id, not_saved = await save_exchange(ctx, TOOL, thread, [user, assistant], initial)
        await ctx.report_progress(3, 3, "done")
        report = prepared.report()
        return _response(
            version,
            thread_id,
            not_saved,
            [*history, version],
            facts(completion),
            warnings=warnings,
            files={k: report[k] for k in ("included", "excluded", "skipped")},
            notes=prepared.notes(),
        )

    # -- steps marked done: no model call ---------------------------------------------------------
    async def _mark_done(
        self, ctx: ToolContext, ids: list[str], thread: Thread, history: list[Version]
    ) -> ToolResponse:
        current = history[-1]
        known = current.plan.step_ids()
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise ToolError(
                f'"done": no step {", ".join(unknown)} in plan v{current.version}; its steps are {", ".join(known)}.',
                code="invalid_arguments",
            )
        check_room(ctx, thread)
        instruction = f"mark done: {', '.join(ids)}"
        version = _version(history, "done", instruction, None, current.plan.with_done(ids))
        await ctx.report_progress(2, 3, "saving the plan")
        user = Turn(role="user", content=f"Mark plan steps done: {', '.join(ids)}", tool=TOOL)
        await ctx.threads.add_turns(thread.id, [user, _turn(version, None, [])])  # nothing paid: errors propagate
        await ctx.report_progress(3, 3, "done")
        return _response(version, thread.id, None, [*history, version], facts(None))


def _check_arguments(request: PlannerRequest, task: str, revise: str) -> None:
    changes = [name for name, given in (("task", task), ("revise", revise), ("done", request.done)) if given]
    if len(changes) > 1:
        raise ToolError(
            f"Pass one change per call: task, revise or done (got {' and '.join(changes)}).",
            code="invalid_arguments",
        )
    if not changes and not request.continuation_id:
        raise ToolError(
            '"task" is required to start a plan (or pass the "continuation_id" of a plan to read it).',
            code="invalid_arguments",
        )
    if changes and changes[0] in ("revise", "done") and not request.continuation_id:
        raise ToolError(f'"{changes[0]}" needs the "continuation_id" of the plan.', code="invalid_arguments")
    unused = [f for f in ("constraints", "files", "model") if getattr(request, f)]
    if unused and not (task or revise):
        what = "marking steps done" if request.done else "reading a plan"
        raise ToolError(
            f"{', '.join(unused)}: not used when {what} (no model call); pass them with task or revise.",
            code="invalid_arguments",
        )


def _read_plan(completion: Completion, model: str, previous: Plan | None) -> tuple[Plan, list[str]]:
    try:
        return parse_plan(extract_json(completion.text), previous)
    except PlanFormatError as exc:
        raise bad_output(model, str(exc), completion.text, completion) from None


def _version(history: list[Version], change: Change, instruction: str, model: str | None, plan: Plan) -> Version:
    number = history[-1].version + 1 if history else 1
    now = datetime.now(timezone.utc).isoformat()
    return Version(version=number, change=change, instruction=instruction, model=model, created_at=now, plan=plan)


def _headline(version: Version) -> str:
    return {"created": "created", "revised": f"revised: {version.instruction}", "done": version.instruction}[
        version.change
    ]


def _turn(version: Version, completion: Completion | None, warnings: list[str]) -> Turn:
    """The assistant turn holding ``version``: its text for other tools, the plan in its metadata."""
    metadata: dict[str, Any] = {
        "plan": version.plan.model_dump(),
        "plan_version": version.version,
        "change": version.change,
        "instruction": version.instruction,
        "facts": facts(completion),
    }
    if warnings:
        metadata["warnings"] = warnings
    return Turn(
        role="assistant",
        content=render(version.plan, version.version, _headline(version)),
        tool=TOOL,
        model=completion.model_used if completion else None,
        metadata=metadata,
    )


def _response(
    version: Version,
    thread_id: str,
    not_saved: str | None,
    history: list[Version],
    call: dict[str, Any],
    *,
    show_versions: bool = False,
    warnings: list[str] | None = None,
    files: dict[str, Any] | None = None,
    notes: list[str] | None = None,
) -> ToolResponse:
    plan = version.plan
    data: dict[str, Any] = {
        "continuation_id": thread_id,
        "version": version.version,
        "change": version.change if not show_versions else "none",
        "plan": plan.model_dump(),
        "next": plan.ready(),
        "progress": plan.progress(),
        "history": [
            {"version": v.version, "change": v.change, "instruction": v.instruction, "model": v.model} for v in history
        ],
        "warnings": warnings or [],
        **call,
    }
    if show_versions:
        data["versions"] = [v.model_dump() for v in history]
    if files is not None:
        data["files"] = files
    if not_saved:
        data["not_saved"] = not_saved
    lines = [render(plan, version.version, _headline(version)), "", "---"]
    if show_versions and len(history) > 1:
        lines.append("Earlier versions: " + "; ".join(f"v{v.version} {_headline(v)}" for v in history[:-1]))
    lines += [f"Warning: {w}" for w in warnings or []]
    lines += notes or []
    lines.append(cost_line(data))
    lines.append(continuation_footer(thread_id, not_saved, HINT))
    return ToolResponse(data=data, text="\n".join(lines))
