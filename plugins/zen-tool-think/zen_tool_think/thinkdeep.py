"""``thinkdeep``: a question, plan or hypothesis (+ files) → what is right, missing, risky, the alternatives
and a recommendation, reasoned at high effort by default."""

from __future__ import annotations

from pydantic import Field

from zen_core import ToolAnnotations
from zen_tool_think.answer import Item, Lenient, Level, Text, Texts
from zen_tool_think.base import ThinkingMode, ThinkingRequest, ThinkTool, join, result_model, section

SYSTEM = """\
You are a senior engineer thinking harder about a problem for another AI coding agent: its question,
or its current plan or hypothesis, with source files (line numbers) when given. Your job is to extend
and test its thinking, not to agree with it.

- Check the reasoning against the files and against what you know: say what holds up and why.
- Find what is missing: unstated assumptions, cases not handled, facts to verify.
- Name the real risks (correctness, security, performance, operations, maintenance), each with a way
  to reduce it; leave out generic ones.
- Offer genuinely different alternatives with their trade-offs, if there are better ones.
- End with one clear recommendation the agent can act on. Cite file:line where the files support a
  point; say so when a point rests on an assumption."""

FORMAT = """\
Answer with one JSON object and nothing else:
{"summary": "your overall assessment in two or three sentences",
 "right": ["what holds up, and why"],
 "missing": ["assumptions, cases or facts that are missing"],
 "risks": [{"risk": "what could go wrong", "severity": "high | medium | low", "mitigation": "how to reduce it"}],
 "alternatives": [{"option": "another approach", "tradeoffs": "when it is better or worse"}],
 "recommendation": "what to do next, concretely"}"""


class ThinkDeepRequest(ThinkingRequest):
    prompt: str = Field(min_length=1, description="Your question, or your current plan/hypothesis with context.")
    thinking_mode: ThinkingMode | None = Field("high", description="Reasoning depth.")


class Risk(Item):
    main = "risk"
    risk: Text = ""
    severity: Level = ""
    mitigation: Text = ""


class Alternative(Item):
    main = "option"
    option: Text = ""
    tradeoffs: Text = ""


class ThinkDeepAnswer(Lenient):
    summary: Text = ""
    right: Texts = Field(default_factory=list)
    missing: Texts = Field(default_factory=list)
    risks: list[Risk] = Field(default_factory=list)
    alternatives: list[Alternative] = Field(default_factory=list)
    recommendation: Text = ""


class ThinkDeepTool(ThinkTool[ThinkDeepRequest, ThinkDeepAnswer]):
    name = "thinkdeep"
    description = (
        "Get a deeper second look at a question, plan or hypothesis before acting: what holds up, "
        "what is missing, risks, alternatives and a recommendation."
    )
    request_model = ThinkDeepRequest
    answer_model = ThinkDeepAnswer
    output_model = result_model(ThinkDeepAnswer)
    annotations = ToolAnnotations(
        title="Think deeper", read_only=True, destructive=False, idempotent=False, open_world=True
    )
    system_prompt = SYSTEM
    answer_format = FORMAT
    default_thinking = "high"

    def render(self, answer: ThinkDeepAnswer) -> str:
        return join(
            answer.summary,
            section("What holds up:", [f"- {r}" for r in answer.right]),
            section("Missing:", [f"- {m}" for m in answer.missing]),
            section(
                "Risks:",
                [
                    f"- [{r.severity or '?'}] {r.risk}" + (f" → {r.mitigation}" if r.mitigation else "")
                    for r in answer.risks
                ],
            ),
            section(
                "Alternatives:",
                [f"- {a.option}" + (f": {a.tradeoffs}" if a.tradeoffs else "") for a in answer.alternatives],
            ),
            f"Recommendation: {answer.recommendation}" if answer.recommendation else "",
        )
