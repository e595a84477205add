"""``refactor``: files and a kind of refactoring → concrete refactorings with location, reason and a sketch."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from zen_core import ToolAnnotations, ToolContext
from zen_tool_think.answer import Item, Lenient, Level, Text, ranked
from zen_tool_think.base import ThinkRequest, ThinkTool, at, indent, join, result_model, section

IMPACT = ("high", "medium", "low")
Kind = Literal["codesmells", "decompose", "modernize", "organization"]

SYSTEM = """\
You are a senior engineer proposing refactorings for another AI coding agent, who will carry them out.
You get source files with line numbers and the kind of refactoring wanted.

- Propose concrete changes to this code, not general principles: each names its location (file:line
  from the files given; never invent one), why it is worth doing here, and a short sketch of the
  result (code, or precise steps for moves across files).
- Behaviour must stay the same; say when a change needs tests first or touches a public API.
- Order by value: the changes with the highest impact for the least risk first. Leave out changes
  that only move code around without making it clearer, safer or easier to change.
- Follow the language version and the style the files already use."""

#: What each kind looks for (``prompts.refactor.kind.<name>`` overrides one).
KINDS: dict[str, str] = {
    "codesmells": "long or complex functions, duplication, deep nesting, long parameter lists, magic values, "
    "feature envy, dead code, unclear names",
    "decompose": "large files, classes and functions to split into smaller cohesive units, with the new "
    "boundaries and names",
    "modernize": "idioms and library features of the language version in use that make the code shorter or "
    "safer (typing, dataclasses, pattern matching, context managers, async, standard library)",
    "organization": "module and package layout, what belongs where, import structure, public vs private, "
    "grouping of related code",
}

FORMAT = """\
Answer with one JSON object and nothing else:
{"summary": "the main opportunities in one or two sentences",
 "refactorings": [{"title": "short name of the change", "location": "path/file.py:42-80",
                   "impact": "high | medium | low", "why": "what it improves here",
                   "sketch": "the code after the change, or the steps"}]}"""


class RefactorRequest(ThinkRequest):
    files: list[str] = Field(min_length=1, description="Absolute paths of files or directories to refactor.")
    kind: Kind = "codesmells"


class Refactoring(Item):
    main = "title"
    title: Text = ""
    location: Text = ""
    impact: Level = ""
    why: Text = ""
    sketch: Text = ""


class RefactorAnswer(Lenient):
    summary: Text = ""
    refactorings: list[Refactoring] = Field(default_factory=list)

    @field_validator("refactorings")
    @classmethod
    def _highest_impact_first(cls, value: list[Refactoring]) -> list[Refactoring]:
        return ranked(value, "impact", IMPACT)


class RefactorTool(ThinkTool[RefactorRequest, RefactorAnswer]):
    name = "refactor"
    description = (
        "Find concrete refactorings in files (codesmells, decompose, modernize, organization), each with "
        "location, reason and a code sketch."
    )
    request_model = RefactorRequest
    answer_model = RefactorAnswer
    output_model = result_model(RefactorAnswer)
    annotations = ToolAnnotations(
        title="Refactoring proposals", read_only=True, destructive=False, idempotent=False, open_world=True
    )
    system_prompt = SYSTEM
    answer_format = FORMAT
    temperature = 0.3

    def task(self, request: RefactorRequest, ctx: ToolContext) -> str:
        kind = ctx.prompt(f"kind.{request.kind}", KINDS[request.kind])
        ask = request.prompt or "Propose refactorings for these files."
        return f"Kind: {request.kind} — {kind}.\n\n{ask}"

    def render(self, answer: RefactorAnswer) -> str:
        blocks = []
        for n, r in enumerate(answer.refactorings, start=1):
            lines = [f"{n}. [{r.impact or '?'}] {r.title}{at(r.location)}"]
            if r.why:
                lines.append(indent(f"Why: {r.why}"))
            if r.sketch:
                lines.append(indent("Sketch:") + "\n" + indent(r.sketch, "      "))
            blocks.append("\n".join(lines))
        return join(answer.summary, section("Refactorings (highest impact first):", blocks))
