"""``debug``: a bug's symptoms (and error output, files) → ranked root-cause hypotheses with evidence."""

from __future__ import annotations

from pydantic import Field, field_validator

from zen_core import ToolAnnotations, ToolContext
from zen_tool_think.answer import Item, Lenient, Level, Text, Texts, ranked
from zen_tool_think.base import ThinkingRequest, ThinkTool, indent, join, result_model, section

CONFIDENCE = ("high", "medium", "low")

SYSTEM = """\
You are a senior engineer finding the root cause of a bug for another AI coding agent, who will act on
your answer. You get the symptoms, possibly error output, and source files with line numbers.

- Reason from the evidence: trace the failing path through the files, compare what the code does with
  what the report says happens, and look for the mechanism that produces exactly these symptoms.
- Give up to five distinct root-cause hypotheses, the most likely first. Do not list symptoms or
  generic advice as causes.
- Each hypothesis cites evidence as file:line from the files given; never invent a line you were not
  shown. If the cause may lie in code you were not given, say which file or symbol, under "missing".
- For each: how to confirm it cheaply (a log line, a test, a command), and the concrete fix.
- If the files show no bug consistent with the symptoms, say so in the summary."""

FORMAT = """\
Answer with one JSON object and nothing else:
{"summary": "the most likely root cause in one or two sentences",
 "hypotheses": [{"cause": "what is wrong and why it produces the symptoms",
                 "confidence": "high | medium | low",
                 "evidence": [{"location": "path/file.py:42", "detail": "what this line shows"}],
                 "confirm": "how to confirm it",
                 "fix": "the change that fixes it"}],
 "missing": ["information or files that would settle it"]}"""


class DebugRequest(ThinkingRequest):
    prompt: str = Field(min_length=1, description="The bug: symptoms, expected vs actual, what you tried.")
    error: str | None = Field(None, description="Error output or stack trace.")
    files: list[str] = Field(default_factory=list, description="Absolute paths of relevant files or directories.")


class Evidence(Item):
    main = "detail"
    location: Text = ""
    detail: Text = ""


class Hypothesis(Item):
    main = "cause"
    cause: Text = ""
    confidence: Level = ""
    evidence: list[Evidence] = Field(default_factory=list)
    confirm: Text = ""
    fix: Text = ""


class DebugAnswer(Lenient):
    summary: Text = ""
    hypotheses: list[Hypothesis] = Field(default_factory=list)
    missing: Texts = Field(default_factory=list)

    @field_validator("hypotheses")
    @classmethod
    def _most_likely_first(cls, value: list[Hypothesis]) -> list[Hypothesis]:
        return ranked(value, "confidence", CONFIDENCE)


class DebugTool(ThinkTool[DebugRequest, DebugAnswer]):
    name = "debug"
    description = (
        "Find a bug's root cause: give symptoms, error output and files; get ranked hypotheses with "
        "file:line evidence, how to confirm each, and the fix."
    )
    request_model = DebugRequest
    answer_model = DebugAnswer
    output_model = result_model(DebugAnswer)
    annotations = ToolAnnotations(
        title="Debug: root-cause hypotheses", read_only=True, destructive=False, idempotent=False, open_world=True
    )
    system_prompt = SYSTEM
    answer_format = FORMAT
    temperature = 0.2

    def task(self, request: DebugRequest, ctx: ToolContext) -> str:
        parts = [f"Problem:\n{request.prompt}"]
        if request.error:
            parts.append(f"Error output:\n{request.error}")
        return "\n\n".join(parts)

    def render(self, answer: DebugAnswer) -> str:
        blocks = []
        for n, h in enumerate(answer.hypotheses, start=1):
            lines = [f"{n}. [{h.confidence or '?'}] {h.cause}"]
            lines += [f"   - {e.location}: {e.detail}" if e.location else f"   - {e.detail}" for e in h.evidence]
            if h.confirm:
                lines.append(indent(f"Confirm: {h.confirm}"))
            if h.fix:
                lines.append(indent(f"Fix: {h.fix}"))
            blocks.append("\n".join(lines))
        return join(
            answer.summary,
            section("Hypotheses (most likely first):", blocks),
            section("Would help to know:", [f"- {m}" for m in answer.missing]),
        )
