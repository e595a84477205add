"""A plan: ordered steps with dependencies and a done flag; read from a model's JSON answer, rendered
as text, and kept version by version in the assistant turns of a conversation (``Turn.metadata``).

The model proposes the steps; Zen owns the ``done`` flags. A revision keeps ``done`` for every step
whose id survives it, so marking steps done never depends on the model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from zen_core import Thread

TOOL = "planner"
MAX_STEPS = 100
Change = Literal["created", "revised", "done"]


class PlanFormatError(ValueError):
    """The model's answer is not a usable plan (the message says why)."""


class Step(BaseModel):
    id: str
    title: str
    details: str = ""
    depends_on: list[str] = Field(default_factory=list)
    done: bool = False


class Plan(BaseModel):
    goal: str = ""
    steps: list[Step]
    notes: str = ""

    def ready(self) -> list[str]:
        """Ids of the steps not done whose dependencies are all done (what to do next)."""
        done = {s.id for s in self.steps if s.done}
        return [s.id for s in self.steps if not s.done and all(d in done for d in s.depends_on)]

    def progress(self) -> dict[str, int]:
        return {"done": sum(s.done for s in self.steps), "total": len(self.steps)}

    def step_ids(self) -> list[str]:
        return [s.id for s in self.steps]

    def with_done(self, ids: Iterable[str]) -> Plan:
        marked = set(ids)
        return self.model_copy(
            update={"steps": [s.model_copy(update={"done": s.done or s.id in marked}) for s in self.steps]}
        )


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _ids(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    items = value if isinstance(value, list) else [value]
    return [_text(v) for v in items if _text(v)]


def parse_plan(answer: Any, previous: Plan | None = None) -> tuple[Plan, list[str]]:
    """The plan in a model's parsed JSON answer, and warnings about what was repaired.

    ``done`` comes from ``previous`` for every step id it also has (never from the model). Raises
    :class:`PlanFormatError` when there are no steps, a step has no title, or two steps share an id.
    """
    if isinstance(answer, list):
        answer = {"steps": answer}
    if not isinstance(answer, Mapping):
        raise PlanFormatError("a JSON object with a list of steps")
    raw_steps = answer.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise PlanFormatError('a plan: its JSON has no "steps" list')
    if len(raw_steps) > MAX_STEPS:
        raise PlanFormatError(f"a plan of at most {MAX_STEPS} steps (it has {len(raw_steps)})")
    was_done = {s.id for s in previous.steps if s.done} if previous else set()
    warnings: list[str] = []
    steps: list[Step] = []
    seen: set[str] = set()
    for number, item in enumerate(raw_steps, start=1):
        if not isinstance(item, Mapping):
            raise PlanFormatError(f"a plan: step {number} is not a JSON object")
        step_id = _text(item.get("id")) or str(number)
        title = _text(item.get("title"))
        if not title:
            raise PlanFormatError(f"a plan: step {step_id} has no title")
        if step_id in seen:
            raise PlanFormatError(f"a plan: two steps have the id {step_id!r}")
        seen.add(step_id)
        steps.append(
            Step(
                id=step_id,
                title=title,
                details=_text(item.get("details")),
                depends_on=_ids(item.get("depends_on")),
                done=step_id in was_done,
            )
        )
    for step in steps:
        unknown = [d for d in step.depends_on if d not in seen or d == step.id]
        if unknown:
            warnings.append(f"step {step.id}: dropped dependencies on {', '.join(unknown)} (no such other step)")
            step.depends_on = [d for d in step.depends_on if d not in unknown]
    cycle = _cycle(steps)
    if cycle:
        warnings.append("steps " + " → ".join(cycle) + " depend on each other in a cycle; none of them can start")
    plan = Plan(goal=_text(answer.get("goal")), steps=steps, notes=_text(answer.get("notes")))
    return plan, warnings


def _cycle(steps: Sequence[Step]) -> list[str]:
    """One dependency cycle (its ids, the first repeated at the end), or ``[]``."""
    deps = {s.id: s.depends_on for s in steps}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str]:
        state[node] = 1
        for nxt in deps.get(node, []):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt, [*path, nxt])
                if found:
                    return found
        state[node] = 2
        return []

    for step in steps:
        if step.id not in state:
            found = visit(step.id, [step.id])
            if found:
                return found
    return []


def render(plan: Plan, version: int, headline: str) -> str:
    """The plan as text: what the agent reads, and what other tools see in the conversation."""
    progress = plan.progress()
    lines = [f"Plan v{version} — {headline} ({progress['done']}/{progress['total']} steps done)"]
    if plan.goal:
        lines.append(f"Goal: {plan.goal}")
    for step in plan.steps:
        after = f" (after {', '.join(step.depends_on)})" if step.depends_on else ""
        lines.append(f"[{'x' if step.done else ' '}] {step.id}. {step.title}{after}")
        if step.details:
            lines += [f"    {line}" for line in step.details.splitlines()]
    ready = plan.ready()
    lines.append(f"Next: {', '.join(ready)}" if ready else ("All steps done." if plan.steps else "No steps."))
    if plan.notes:
        lines.append(f"Notes: {plan.notes}")
    return "\n".join(lines)


class Version(BaseModel):
    """One stored version of the plan: which change made it, from what instruction, by which model."""

    version: int
    change: Change
    instruction: str
    model: str | None = None
    created_at: str = ""
    plan: Plan


def versions(thread: Thread) -> list[Version]:
    """Every version of the plan kept in ``thread``, oldest first (assistant turns of planner)."""
    found: list[Version] = []
    for turn in thread.turns:
        meta = turn.metadata
        if turn.role != "assistant" or turn.tool != TOOL or "plan" not in meta:
            continue
        found.append(
            Version(
                version=int(meta.get("plan_version", len(found) + 1)),
                change=meta.get("change", "created"),
                instruction=str(meta.get("instruction", "")),
                model=turn.model,
                created_at=turn.created_at.isoformat(),
                plan=Plan.model_validate(meta["plan"]),
            )
        )
    return found
