"""``tracer``: a symbol or entry point, files and a mode → the traced flow as file:line steps."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from zen_core import ToolAnnotations, ToolContext
from zen_tool_think.answer import Item, Lenient, Text, Texts
from zen_tool_think.base import ThinkRequest, ThinkTool, at, join, result_model, section

Mode = Literal["calls", "callers", "dependencies"]

SYSTEM = """\
You are a senior engineer tracing code for another AI coding agent, who needs an exact map before it
changes anything. You get source files with line numbers, a symbol or entry point, and a mode.

- Follow the code as written, through the files given: resolve which function a call really reaches
  (imports, methods on the actual type, overrides, decorators, dependency injection, callbacks,
  dynamic dispatch). When the target is ambiguous, say which candidates and why.
- Every step names its location as file:line from the files given; never invent one. A call or
  reference that leads into code you were not given goes under "unresolved", not into the steps.
- Say what happens at each step in terms of data and effects: arguments, state changed, I/O,
  errors raised or caught, early returns, branches that matter."""

#: What each mode traces (``prompts.tracer.mode.<name>`` overrides one).
MODES: dict[str, str] = {
    "calls": "what the symbol calls, in execution order, depth-first: each call with its depth "
    "(0 is the symbol itself), including the branches that decide which calls happen",
    "callers": "every place that calls or references the symbol (depth 1), and who calls those (depth 2) "
    "when the files show it, with what each caller passes and expects back",
    "dependencies": "what the symbol depends on (imports, classes, functions, configuration, globals, I/O) "
    "at depth 1, and what depends on it at depth -1",
}

FORMAT = """\
Answer with one JSON object and nothing else:
{"summary": "the flow in two or three sentences",
 "entry": "path/file.py:42 where the symbol is defined",
 "steps": [{"depth": 0, "location": "path/file.py:42", "symbol": "the function or name at this step",
            "action": "what happens here"}],
 "unresolved": ["calls or references into code that was not given"]}"""


class TracerRequest(ThinkRequest):
    symbol: str = Field(min_length=1, description="Symbol or entry point, e.g. `Cart.checkout` or `POST /orders`.")
    files: list[str] = Field(min_length=1, description="Absolute paths of files or directories to trace through.")
    mode: Mode = "calls"


class Step(Item):
    main = "action"
    depth: int = 0
    location: Text = ""
    symbol: Text = ""
    action: Text = ""

    @field_validator("depth", mode="before")
    @classmethod
    def _depth(cls, value: object) -> object:
        try:
            return int(value)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return 0


class TracerAnswer(Lenient):
    summary: Text = ""
    entry: Text = ""
    steps: list[Step] = Field(default_factory=list)
    unresolved: Texts = Field(default_factory=list)


class TracerTool(ThinkTool[TracerRequest, TracerAnswer]):
    name = "tracer"
    description = (
        "Trace a symbol or entry point through files: what it calls, who calls it, or its dependencies, "
        "as file:line steps."
    )
    request_model = TracerRequest
    answer_model = TracerAnswer
    output_model = result_model(TracerAnswer)
    annotations = ToolAnnotations(
        title="Trace code flow", read_only=True, destructive=False, idempotent=False, open_world=True
    )
    system_prompt = SYSTEM
    answer_format = FORMAT
    temperature = 0.1

    def task(self, request: TracerRequest, ctx: ToolContext) -> str:
        mode = ctx.prompt(f"mode.{request.mode}", MODES[request.mode])
        parts = [f"Symbol: {request.symbol}", f"Mode: {request.mode} — trace {mode}."]
        if request.prompt:
            parts.append(request.prompt)
        return "\n\n".join(parts)

    def render(self, answer: TracerAnswer) -> str:
        steps = [f"{'  ' * max(s.depth, 0)}- {s.symbol}{at(s.location)}: {s.action}" for s in answer.steps]
        entry = f"Entry: {answer.entry}" if answer.entry else ""
        return join(
            answer.summary,
            entry,
            section("Steps:", steps),
            section("Unresolved (not in the files given):", [f"- {u}" for u in answer.unresolved]),
        )
