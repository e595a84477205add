"""Built-in tools shipped with the core: ``listmodels``, ``version``, ``threads``, ``usage``, ``jobs`` and
``cancel_job`` (each ``data`` shaped as :mod:`zen_core.builtins.results` says).

Registered like any plugin's tools (this module is a built-in plugin).
"""

from __future__ import annotations

import json
import platform
from collections.abc import Callable
from typing import Any

from pydantic import Field

from zen_core.builtins.results import JobsResult, JobView, ModelList, ThreadList, UsageReport, VersionInfo
from zen_core.calls.context import ToolContext
from zen_core.calls.tool import Tool, ToolAnnotations, ToolRequest, ToolResponse
from zen_core.plugin.spec import hookimpl
from zen_core.version import __version__

NO_MODEL_HELP = (
    "No model is usable yet. Set a provider key in the environment Zen runs in "
    "(OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY or OPENROUTER_API_KEY — in your agent's MCP "
    "config `env` block), or add a local OpenAI-compatible endpoint (Ollama, LM Studio, vLLM) to "
    "models.yaml in your Zen config dir. See `zen doctor`."
)


class NoArguments(ToolRequest):
    """A tool that takes no arguments."""


class ListModelsTool(Tool[NoArguments]):
    name = "listmodels"
    description = "List the models Zen can use: names, aliases, capabilities, and why others are unavailable."
    request_model = NoArguments
    output_model = ModelList
    annotations = ToolAnnotations(read_only=True, idempotent=True, open_world=False)

    async def execute(self, request: NoArguments, ctx: ToolContext) -> ToolResponse:
        listing: dict[str, Any] = ctx.llm.describe()
        available = listing.get("available", [])
        lines = [f"Available models ({len(available)}):"]
        for model in available:
            aliases = ", ".join(model.get("aliases") or [])
            caps = [c for c in ("vision", "tools", "thinking") if model.get(f"supports_{c}")]
            extra = f" — aliases: {aliases}" if aliases else ""
            extra += f" — {', '.join(caps)}" if caps else ""
            desc = f": {model['description']}" if model.get("description") else ""
            lines.append(f"- {model['name']}{extra}{desc}")
        if not available:
            lines.append(NO_MODEL_HELP)
        unavailable: dict[str, str] = listing.get("unavailable", {})
        if unavailable:
            lines.append(f"Unavailable ({len(unavailable)}):")
            lines += [f"- {name}: {reason}" for name, reason in unavailable.items()]
        withheld = dict(ctx.server.withheld_tools)
        if withheld:
            listing["tools_not_offered"] = withheld
            lines.append(f"Tools not offered ({len(withheld)}):")
            lines += [f"- {name}: {reason}" for name, reason in sorted(withheld.items())]
        return ToolResponse(data=listing, text="\n".join(lines))


class VersionTool(Tool[NoArguments]):
    name = "version"
    description = "Show the Zen version, installed plugins and their versions."
    request_model = NoArguments
    output_model = VersionInfo
    annotations = ToolAnnotations(read_only=True, idempotent=True, open_world=False)

    async def execute(self, request: NoArguments, ctx: ToolContext) -> ToolResponse:
        plugins = [
            {"name": p["name"], "distribution": p["distribution"], "version": p["version"], "error": p["error"]}
            for p in ctx.server.plugins
            if not p["builtin"] and not p["disabled"]
        ]
        data = {"zen_core": __version__, "python": platform.python_version(), "plugins": plugins}
        lines = [f"Zen {__version__} (Python {data['python']})"]
        lines += [
            f"- {p['distribution'] or p['name']} {p['version'] or ''}".rstrip()
            + (f" — failed to load: {p['error']}" if p["error"] else "")
            for p in plugins
        ]
        return ToolResponse(data=data, text="\n".join(lines))


class ThreadsRequest(ToolRequest):
    limit: int = Field(10, ge=1, le=100, description="How many recent conversations")


class ThreadsTool(Tool[ThreadsRequest]):
    name = "threads"
    description = (
        "List recent conversations (continuation_id, tool, models, age, first prompt) to resume one "
        "after the agent's context was cleared."
    )
    request_model = ThreadsRequest
    output_model = ThreadList
    annotations = ToolAnnotations(read_only=True, open_world=False)

    async def execute(self, request: ThreadsRequest, ctx: ToolContext) -> ToolResponse:
        from zen_core.store.listing import format_thread_table

        summaries = await ctx.threads.list(request.limit)  # a key sees only the conversations it started
        data = [s.model_dump(mode="json") for s in summaries]
        text = format_thread_table(summaries)
        if summaries:
            text += "\n\nPass a continuation_id to any tool to continue that conversation."
        return ToolResponse(data={"threads": data}, text=text)


class UsageRequest(ToolRequest):
    pass


class UsageTool(Tool[UsageRequest]):
    name = "usage"
    description = (
        "Your usage today and over 7 days per model: calls, tokens, cost, p50/p95 latency, errors, agreement with "
        "consensus majorities."
    )
    request_model = UsageRequest
    output_model = UsageReport
    annotations = ToolAnnotations(read_only=True, idempotent=True, open_world=False)

    async def execute(self, request: UsageRequest, ctx: ToolContext) -> ToolResponse:
        from zen_core.store.usage import format_usage

        report = await ctx.usage_report()
        return ToolResponse(data=report, text=format_usage(report))


class JobsRequest(ToolRequest):
    job_id: str | None = Field(None, description="The job to show; none lists your recent jobs.")


class JobsTool(Tool[JobsRequest]):
    name = "jobs"
    description = "Background jobs: a job's progress, partial results and, once done, its result; or your recent jobs."
    request_model = JobsRequest
    output_model = JobsResult
    annotations = ToolAnnotations(read_only=True, idempotent=True, open_world=False)
    max_result_chars = 100_000

    async def execute(self, request: JobsRequest, ctx: ToolContext) -> ToolResponse:
        assert ctx.jobs is not None
        if request.job_id is None:
            jobs = await ctx.jobs.list()
            lines = [f"{j.id}  {j.tool:<12} {j.status:<9} {j.progress}".rstrip() for j in jobs]
            return ToolResponse(
                data={"jobs": [_job_data(j, with_result=False) for j in jobs]},
                text="\n".join(lines) if lines else "No jobs.",
            )
        job = await ctx.jobs.get(request.job_id.strip())
        return ToolResponse(data=_job_data(job, with_result=True), text=_job_text(job))


class CancelJobRequest(ToolRequest):
    job_id: str = Field(description="The job to stop.")


class CancelJobTool(Tool[CancelJobRequest]):
    name = "cancel_job"
    description = "Stop a background job (its partial results stay readable with jobs)."
    request_model = CancelJobRequest
    output_model = JobView
    annotations = ToolAnnotations(read_only=False, destructive=False, idempotent=True, open_world=False)

    async def execute(self, request: CancelJobRequest, ctx: ToolContext) -> ToolResponse:
        assert ctx.jobs is not None
        job = await ctx.jobs.cancel(request.job_id.strip())
        if job.finished:
            text = f"Job {job.id} had already ended ({job.status}); nothing to stop."
        else:
            text = f'Job {job.id} will stop within a few seconds; jobs(job_id="{job.id}") shows when it has.'
        return ToolResponse(data=_job_data(job, with_result=False), text=text)


def _job_data(job: Any, *, with_result: bool) -> dict[str, Any]:
    data = job.model_dump(mode="json", exclude={"result", "cancel_requested", "instance", "owner"})
    data["job_id"] = data.pop("id")
    if job.cancel_requested and not job.finished:
        data["status"] = "cancelling"
    if with_result and job.result is not None:
        data["result"] = job.result
    return dict(data)


def _job_text(job: Any) -> str:
    head = f"Job {job.id} ({job.tool}): {job.status}"
    lines = [head + (f" — {job.progress}" if job.progress and not job.finished else "")]
    if job.status != "done":  # a done job's result has it all; otherwise what came before the end is kept
        lines += [f"- {name}: {_shown(value)}" for name, value in job.partial.items()]
    if not job.finished:
        return "\n".join(lines) + f'\nCall jobs(job_id="{job.id}") again later for the result.'
    return "\n".join(lines) + f"\n\n{(job.result or {}).get('text', '')}"


#: Characters of one partial result shown in a job's text (all of it is in structuredContent).
PARTIAL_CHARS = 600


def _shown(value: Any) -> str:
    """A partial result for a job's text: text as it is, anything else as JSON, cut at :data:`PARTIAL_CHARS`."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= PARTIAL_CHARS else text[: PARTIAL_CHARS - 1] + "…"


@hookimpl
def register_tools(register: Callable[[Tool[Any]], None]) -> None:
    register(ListModelsTool())
    register(VersionTool())
    register(ThreadsTool())
    register(UsageTool())
    register(JobsTool())
    register(CancelJobTool())
