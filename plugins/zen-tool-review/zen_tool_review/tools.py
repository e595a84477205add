"""The three tools as the host lists them: name, description, request schema, annotations. Each takes
``background`` (a review of several models over a large change can outlast a client's tool timeout).

The work happens in :mod:`zen_tool_review.call`, imported on the first call so that listing tools stays
cheap. Each call's state lives in a :class:`~zen_tool_review.call.Review` made for that call.
"""

from __future__ import annotations

from typing import Any, ClassVar

from zen_core import Tool, ToolAnnotations, ToolContext, ToolError, ToolResponse
from zen_tool_review.requests import CodeReviewRequest, PrecommitRequest, SecauditRequest
from zen_tool_review.results import PrecommitResult, ReviewResult

#: Only reads files and asks models: nothing is changed (read_only, not destructive); model answers vary
#: (not idempotent); the models are outside services (open world).
_HINTS: dict[str, Any] = {"read_only": True, "destructive": False, "idempotent": False, "open_world": True}


class CodeReviewTool(Tool[CodeReviewRequest]):
    name = "codereview"
    description = (
        "Review files and/or git changes by one or more models: findings (severity, file, line, issue, fix), merged."
    )
    request_model = CodeReviewRequest
    annotations = ToolAnnotations(title="Code review", **_HINTS)
    output_model = ReviewResult
    max_result_chars = 100_000
    background = True
    confirms_cost = True
    prompt_template: ClassVar[str | None] = "Use the `codereview` tool of the zen MCP server to review: {request}"

    async def execute(self, request: CodeReviewRequest, ctx: ToolContext) -> ToolResponse:
        from zen_tool_review.call import GitScope, Job, Review

        if not request.files and request.diff is None:
            raise ToolError(
                'Nothing to review: pass "files" (absolute paths) and/or "diff" ({"repo": "/abs/path"}).',
                code="invalid_arguments",
            )
        git = None
        if request.diff is not None:
            spec = request.diff
            git = GitScope(
                repo=spec.repo,
                staged=spec.changes != "unstaged",
                unstaged=spec.changes != "staged",
                compare_to=spec.base,
            )
        job = Job(
            tool="codereview",
            files=request.files,
            git=git,
            focus=request.focus,
            min_severity=request.min_severity,
            prompt=request.prompt,
            model=request.model,
            models=request.models,
            continuation_id=request.continuation_id,
        )
        return await Review(job, ctx).run()


class PrecommitTool(Tool[PrecommitRequest]):
    name = "precommit"
    description = (
        "Check a git repo's changes before committing (Zen runs git): go/no_go verdict, blocking findings. "
        "Secrets, binaries, submodules: listed, not sent."
    )
    request_model = PrecommitRequest
    annotations = ToolAnnotations(title="Pre-commit check", **_HINTS)
    output_model = PrecommitResult
    max_result_chars = 100_000
    background = True
    confirms_cost = True
    prompt_template: ClassVar[str | None] = (
        "Use the `precommit` tool of the zen MCP server on this repository before committing: {request}"
    )

    async def execute(self, request: PrecommitRequest, ctx: ToolContext) -> ToolResponse:
        from zen_tool_review.call import GitScope, Job, Review

        job = Job(
            tool="precommit",
            git=GitScope(
                repo=request.path,
                staged=request.staged,
                unstaged=request.unstaged,
                compare_to=request.compare_to,
                untracked=request.untracked,
            ),
            min_severity=request.min_severity,
            prompt=request.prompt,
            model=request.model,
            models=request.models,
            continuation_id=request.continuation_id,
        )
        return await Review(job, ctx).run()


class SecauditTool(Tool[SecauditRequest]):
    name = "secaudit"
    description = (
        "OWASP Top 10 security audit of files by one or more models: findings (severity, file, line, issue, "
        "fix, category)."
    )
    request_model = SecauditRequest
    annotations = ToolAnnotations(title="Security audit", **_HINTS)
    output_model = ReviewResult
    max_result_chars = 100_000
    background = True
    confirms_cost = True
    prompt_template: ClassVar[str | None] = "Use the `secaudit` tool of the zen MCP server to audit: {request}"

    async def execute(self, request: SecauditRequest, ctx: ToolContext) -> ToolResponse:
        from zen_tool_review.call import Job, Review

        job = Job(
            tool="secaudit",
            files=request.files,
            focus="security",
            min_severity=request.min_severity,
            prompt=request.prompt,
            model=request.model,
            models=request.models,
            continuation_id=request.continuation_id,
        )
        return await Review(job, ctx).run()


TOOLS: dict[str, type[Tool[Any]]] = {
    "codereview": CodeReviewTool,
    "precommit": PrecommitTool,
    "secaudit": SecauditTool,
}
