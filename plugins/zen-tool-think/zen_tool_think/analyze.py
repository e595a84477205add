"""``analyze``: files/directories and a focus → findings, and a summary of how the code is structured."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from zen_core import ToolAnnotations, ToolContext
from zen_tool_think.answer import Item, Lenient, Level, Text, ranked
from zen_tool_think.base import ThinkingRequest, ThinkTool, at, indent, join, result_model, section

SEVERITY = ("critical", "high", "medium", "low", "info")
Focus = Literal["architecture", "performance", "security", "quality", "general"]

SYSTEM = """\
You are a senior engineer analysing a codebase for another AI coding agent, who will act on your
findings. You get source files with line numbers and a focus.

- First understand the structure: the main components, what each is responsible for, how they depend
  on each other and where the entry points are. Summarise it briefly.
- Then report findings for the focus, most severe first. Each names a location (file:line from the
  files given; never invent one), the issue and why it matters here, and a concrete recommendation.
- Prefer a few findings that matter over many trivial ones; do not report style nits unless the focus
  is quality. Say so when the code handles something well enough that no change is needed."""

#: What each focus looks at (``prompts.analyze.focus.<name>`` overrides one).
FOCUS: dict[str, str] = {
    "architecture": "module boundaries, layering, coupling and cohesion, dependency direction, extension points, "
    "how data and control flow between components",
    "performance": "algorithmic complexity, I/O and network calls in loops, blocking calls in async code, "
    "allocations, caching, database access patterns, concurrency",
    "security": "input validation, injection, authentication and authorisation, secrets handling, path and "
    "deserialisation safety, dependency risks, what an attacker controls",
    "quality": "readability, naming, duplication, error handling, testability, dead code, consistency",
    "general": "the most important issues of any kind: correctness first, then design, security, performance",
}

FORMAT = """\
Answer with one JSON object and nothing else:
{"summary": "how the code is structured, in a few sentences",
 "components": [{"name": "component or module", "location": "path or path:line", "role": "what it does"}],
 "findings": [{"severity": "critical | high | medium | low | info", "location": "path/file.py:42",
               "issue": "what is wrong and why it matters", "recommendation": "what to change"}]}"""


class AnalyzeRequest(ThinkingRequest):
    files: list[str] = Field(min_length=1, description="Absolute paths of files or directories to analyse.")
    focus: Focus = "general"


class Component(Item):
    main = "name"
    name: Text = ""
    location: Text = ""
    role: Text = ""


class Finding(Item):
    main = "issue"
    severity: Level = ""
    location: Text = ""
    issue: Text = ""
    recommendation: Text = ""


class AnalyzeAnswer(Lenient):
    summary: Text = ""
    components: list[Component] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)

    @field_validator("findings")
    @classmethod
    def _most_severe_first(cls, value: list[Finding]) -> list[Finding]:
        return ranked(value, "severity", SEVERITY)


class AnalyzeTool(ThinkTool[AnalyzeRequest, AnalyzeAnswer]):
    name = "analyze"
    description = (
        "Analyse files or directories for architecture, performance, security or quality issues; "
        "get findings by severity and a summary of the structure."
    )
    request_model = AnalyzeRequest
    answer_model = AnalyzeAnswer
    output_model = result_model(AnalyzeAnswer)
    annotations = ToolAnnotations(
        title="Analyze code", read_only=True, destructive=False, idempotent=False, open_world=True
    )
    system_prompt = SYSTEM
    answer_format = FORMAT
    temperature = 0.2

    def task(self, request: AnalyzeRequest, ctx: ToolContext) -> str:
        focus = ctx.prompt(f"focus.{request.focus}", FOCUS[request.focus])
        ask = request.prompt or "Analyse these files."
        return f"Focus: {request.focus} — {focus}.\n\n{ask}"

    def render(self, answer: AnalyzeAnswer) -> str:
        findings = []
        for f in answer.findings:
            line = f"- [{f.severity or '?'}] " + (f"{f.location}: {f.issue}" if f.location else f.issue)
            findings.append(line + ("\n" + indent(f"→ {f.recommendation}", "  ") if f.recommendation else ""))
        return join(
            answer.summary,
            section("Structure:", [f"- {c.name}{at(c.location)}: {c.role}" for c in answer.components]),
            section("Findings (most severe first):", findings),
        )
