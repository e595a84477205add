"""The ``challenge`` tool: a model tests a claim for what is wrong, weak or unsupported, and gives a
verdict with reasons (instead of the calling agent agreeing with whatever it was told)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field

from zen_core import Tool, ToolAnnotations, ToolContext, ToolRequest, ToolResponse, Turn
from zen_tool_planner.common import (
    check_room,
    choose_model,
    continuation_footer,
    cost_line,
    extract_json,
    facts,
    save_exchange,
)
from zen_tool_planner.prompts import CHALLENGE_SYSTEM

TOOL = "challenge"
Verdict = Literal["holds", "partly_holds", "does_not_hold", "unclear"]
VERDICT_TEXT = {
    "holds": "holds",
    "partly_holds": "partly holds",
    "does_not_hold": "does not hold",
    "unclear": "unclear (the model gave no verdict)",
}
#: First words of a verdict → the verdict (longest match first; "does not hold" before "holds").
_VERDICT_WORDS: dict[str, Verdict] = {
    **dict.fromkeys(
        ("does not hold", "doesnt hold", "does not", "not hold", "fails", "false", "refuted"), "does_not_hold"
    ),
    **dict.fromkeys(("partly", "partially", "partial", "mixed", "mostly", "in part"), "partly_holds"),
    **dict.fromkeys(("holds", "hold", "true", "correct", "valid", "sound"), "holds"),
}
_VERDICT_LINE = re.compile(r"^\W*verdict\W*[:=-]\s*(.+)$", re.IGNORECASE | re.MULTILINE)


class ChallengeRequest(ToolRequest):
    claim: str = Field(min_length=1, description="The statement to test.")
    context: str | None = Field(None, description="Background the claim relies on.")
    files: list[str] = Field(default_factory=list, description="Absolute paths of evidence files.")
    model: str | None = Field(None, description="See listmodels.")
    continuation_id: str | None = Field(None, description="Continue a conversation.")


class Issue(BaseModel):
    kind: str
    point: str
    why: str = ""


class ChallengeResult(BaseModel):
    verdict: Verdict
    reasons: str
    issues: list[Issue]
    holds: list[str]
    continuation_id: str
    answer: str | None = None
    model_used: str | None = None
    usage: dict[str, int] | None = None
    cost_usd: float | None = None
    cost_known: bool | None = None
    latency_ms: float | None = None
    files: dict[str, Any] | None = None
    not_saved: str | None = None


class ChallengeTool(Tool[ChallengeRequest]):
    name = "challenge"
    description = (
        "Have another model test a claim instead of agreeing: what is wrong, weak or unsupported, and a verdict "
        "(holds/partly_holds/does_not_hold)."
    )
    request_model = ChallengeRequest
    annotations = ToolAnnotations(
        title="Challenge a claim", read_only=True, destructive=False, idempotent=False, open_world=True
    )
    output_model = ChallengeResult
    max_result_chars = 100_000
    prompt_template = "Use the `challenge` tool of the zen MCP server to test this claim critically: {request}"

    async def execute(self, request: ChallengeRequest, ctx: ToolContext) -> ToolResponse:
        await ctx.report_progress(0, 3, "reading the conversation")
        thread = await ctx.threads.get(request.continuation_id) if request.continuation_id else None
        check_room(ctx, thread)
        model = await choose_model(ctx, request.model, thread)
        system = ctx.prompt("system", CHALLENGE_SYSTEM)
        prompt = f"The claim under review:\n{request.claim}"
        if request.context:
            prompt += f"\n\nContext given with it:\n{request.context}"
        await ctx.report_progress(1, 3, f"asking {model.name}")
        prepared = await ctx.files.gather(model, prompt=prompt, system=system, files=request.files, thread=thread)
        completion = await ctx.llm.complete(model, prepared.messages(system, model), metadata={"tool": TOOL})
        critique = parse_critique(completion.text)
        await ctx.report_progress(2, 3, "saving")
        rendered = render(critique)
        user_text = f"Challenge this claim: {request.claim}" + (
            f"\nContext: {request.context}" if request.context else ""
        )
        user = Turn(role="user", content=user_text, files=request.files, tool=TOOL)
        assistant = Turn(
            role="assistant",
            content=rendered,
            tool=TOOL,
            model=completion.model_used,
            metadata={"verdict": critique["verdict"], "facts": facts(completion)},
        )
        initial = {"prompt": f"Challenge: {request.claim}", "files": request.files}
        thread_id, not_saved = await save_exchange(ctx, TOOL, thread, [user, assistant], initial)
        await ctx.report_progress(3, 3, "done")
        report = prepared.report()
        data: dict[str, Any] = {
            **critique,
            "continuation_id": thread_id,
            **facts(completion),
            "files": {k: report[k] for k in ("included", "excluded", "skipped")},
        }
        if not_saved:
            data["not_saved"] = not_saved
        footer = [*prepared.notes(), cost_line(data)]
        footer.append(continuation_footer(thread_id, not_saved, "pass it to chat or another Zen tool to continue"))
        return ToolResponse(
            status="partial" if critique["verdict"] == "unclear" else "success",
            data=data,
            text=rendered + "\n\n---\n" + "\n".join(footer),
        )


def parse_verdict(value: Any) -> Verdict:
    """``"partly holds"``, ``"does_not_hold"``, ``"Doesn't hold."`` … → the verdict (``unclear`` if none)."""
    text = re.sub(r"[^a-z ]", "", str(value or "").lower().replace("_", " ").replace("-", " "))
    text = " ".join(text.split())
    for words in sorted(_VERDICT_WORDS, key=len, reverse=True):
        if text == words or text.startswith(words + " "):
            return _VERDICT_WORDS[words]
    return "unclear"


def _strings(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value] if value else []
    return [str(item).strip() for item in items if str(item).strip()]


def _issues(value: Any) -> list[dict[str, str]]:
    found = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, Mapping):
            point = str(item.get("point") or item.get("issue") or "").strip()
            if point:
                kind = str(item.get("kind") or "issue").strip().lower()
                found.append({"kind": kind, "point": point, "why": str(item.get("why") or "").strip()})
        elif str(item).strip():
            found.append({"kind": "issue", "point": str(item).strip(), "why": ""})
    return found


def parse_critique(answer: str) -> dict[str, Any]:
    """The verdict, reasons, issues and what holds, from the model's JSON answer; from a ``Verdict:``
    line when it wrote prose instead (then ``answer`` keeps the whole text)."""
    parsed = extract_json(answer)
    if isinstance(parsed, Mapping) and "verdict" in parsed:
        return {
            "verdict": parse_verdict(parsed.get("verdict")),
            "reasons": str(parsed.get("reasons") or "").strip(),
            "issues": _issues(parsed.get("issues")),
            "holds": _strings(parsed.get("holds")),
        }
    lines = _VERDICT_LINE.findall(answer)
    return {
        "verdict": parse_verdict(lines[-1]) if lines else "unclear",
        "reasons": answer.strip(),
        "issues": [],
        "holds": [],
        "answer": answer,
    }


def render(critique: Mapping[str, Any]) -> str:
    lines = [f"Verdict: {VERDICT_TEXT[critique['verdict']]}"]
    if critique.get("answer") is None and critique["reasons"]:
        lines.append(critique["reasons"])
    if critique["issues"]:
        lines += ["", f"Problems ({len(critique['issues'])}):"]
        lines += [f"- [{i['kind']}] {i['point']}" + (f" — {i['why']}" if i["why"] else "") for i in critique["issues"]]
    if critique["holds"]:
        lines += ["", "What holds:"] + [f"- {h}" for h in critique["holds"]]
    if critique.get("answer") is not None:
        lines += ["", critique["answer"].strip()]
    return "\n".join(lines)
