"""The per-call record of a consensus run and how it is reported (structured data and readable text)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zen_tool_consensus.agreement import Agreement, Position, agreement
from zen_tool_consensus.request import Participant
from zen_tool_consensus.runner import Attempt


@dataclass
class Run:
    """Everything one consensus call produced. Created per call; never shared between calls."""

    people: list[Participant]
    attempts: dict[int, list[Attempt]] = field(default_factory=dict)
    rounds_requested: int = 0
    rounds_run: int = 0
    skipped_reason: str | None = None
    synthesis_model: str | None = None
    synthesis: Attempt | None = None
    files: dict[str, Any] = field(default_factory=dict)
    history_turns: int = 0
    shuffle_seed: int = 0
    wall_ms: float = 0.0
    continuation_id: str | None = None
    continuation_error: str | None = None

    def __post_init__(self) -> None:
        for p in self.people:
            self.attempts.setdefault(p.index, [])

    def latest_ok(self, p: Participant) -> Attempt | None:
        return next((a for a in reversed(self.attempts[p.index]) if a.ok), None)

    def answered(self) -> list[Participant]:
        return [p for p in self.people if self.latest_ok(p) is not None]

    def agreement(self) -> Agreement:
        pairs: list[tuple[str, Position | None]] = []
        for p in self.people:
            latest = self.latest_ok(p)
            pairs.append((p.label, latest.position if latest else None))
        return agreement(pairs)

    def all_attempts(self) -> list[Attempt]:
        out = [a for p in self.people for a in self.attempts[p.index]]
        return [*out, self.synthesis] if self.synthesis else out

    @property
    def complete(self) -> bool:
        """True when no call failed (every model in every phase, and the synthesis if asked)."""
        return all(a.ok for a in self.all_attempts())

    def totals(self) -> dict[str, Any]:
        attempts = self.all_attempts()
        prompt = sum(a.prompt_tokens for a in attempts)
        completion = sum(a.completion_tokens for a in attempts)
        return {
            "calls": len(attempts),
            "failed_calls": sum(1 for a in attempts if not a.ok),
            "tokens": {"prompt": prompt, "completion": completion, "total": prompt + completion},
            "cost_usd": round(sum(a.cost_usd for a in attempts), 8),
            "cost_known": all(a.cost_known for a in attempts if a.ok),
            "wall_time_ms": round(self.wall_ms, 1),
            "sum_of_latencies_ms": round(sum(a.latency_ms for a in attempts), 1),
        }

    # -- reporting -----------------------------------------------------------------------------
    def model_entry(self, p: Participant) -> dict[str, Any]:
        latest = self.latest_ok(p)
        attempts = self.attempts[p.index]
        return {
            "label": p.label,
            "model": p.model,
            "stance": p.stance,
            "status": "ok" if latest else attempts[-1].status if attempts else "error",
            "final_position": latest.position if latest else "failed",
            "final_phase": latest.phase if latest else None,
            "changed_position": latest.changed if latest and latest.phase == "feedback" else None,
            "phases": [a.as_dict() for a in attempts],
        }

    def data(self) -> dict[str, Any]:
        synthesis: dict[str, Any] | None = None
        if self.synthesis_model is not None:
            synthesis = {"model": self.synthesis_model}
            if self.synthesis is None:
                synthesis.update(status="skipped", reason="no model answered")
            else:
                synthesis.update(self.synthesis.as_dict())
                synthesis.pop("position", None)
                if self.synthesis.ok:
                    synthesis["text"] = synthesis.pop("answer")
        return {
            "continuation_id": self.continuation_id,
            **({"continuation_error": self.continuation_error} if self.continuation_error else {}),
            "models": [self.model_entry(p) for p in self.people],
            "agreement": self.agreement().as_dict(),
            "cross_feedback": {
                "rounds_requested": self.rounds_requested,
                "rounds_run": self.rounds_run,
                "skipped_reason": self.skipped_reason,
                "shuffle_seed": self.shuffle_seed,
            },
            "synthesis": synthesis,
            "files": self.files,
            "history_turns": self.history_turns,
            "totals": self.totals(),
        }

    def text(self) -> str:
        agree = self.agreement()
        totals = self.totals()
        lines = [f"Consensus of {len(self.people)} models — agreement {agree.summary}"]
        if self.rounds_requested:
            note = f" ({self.skipped_reason})" if self.skipped_reason else ""
            lines.append(f"Cross-feedback rounds: {self.rounds_run} of {self.rounds_requested}{note}")
        for p in self.people:
            lines.append("")
            lines.append(self._model_text(p))
        if self.synthesis_model is not None:
            lines.append("")
            lines.append(self._synthesis_text())
        cost = f"${totals['cost_usd']:.6f}" + ("" if totals["cost_known"] else " (some prices unknown)")
        lines += [
            "",
            f"Totals: {totals['calls']} calls ({totals['failed_calls']} failed), "
            f"{totals['tokens']['total']} tokens, {cost}, wall time {totals['wall_time_ms'] / 1000:.2f}s "
            f"(sequential would be ≈{totals['sum_of_latencies_ms'] / 1000:.2f}s)",
        ]
        if self.files.get("refused") or self.files.get("excluded"):
            lines.append(f"Files not sent: {self.files.get('refused', []) + self.files.get('excluded', [])}")
        if self.continuation_id:
            lines.append(f"continuation_id: {self.continuation_id} (continue with chat or consensus)")
        elif self.continuation_error:
            lines.append(f"Not saved for continuation: {self.continuation_error}")
        return "\n".join(lines)

    def _model_text(self, p: Participant) -> str:
        latest = self.latest_ok(p)
        failures = [a for a in self.attempts[p.index] if not a.ok]
        head = f"=== {p.label} (stance: {p.stance})"
        if latest is None:
            error = failures[-1].error if failures else {}
            return f"{head} — FAILED ({failures[-1].status if failures else 'error'}) ===\n" + _error_text(error)
        meta = [f"position: {latest.position}", f"model used: {latest.model_used}"]
        if latest.phase == "feedback":
            meta.append(f"changed: {_yes_no(latest.changed)}")
        meta.append(f"{latest.prompt_tokens + latest.completion_tokens} tokens, {latest.latency_ms:.0f} ms")
        out = f"{head} — {', '.join(meta)} ===\n{latest.answer.strip()}"
        for failure in failures:
            out += f"\n[{failure.phase} round {failure.round} failed: {_error_text(failure.error)}]"
        return out

    def _synthesis_text(self) -> str:
        if self.synthesis is None:
            return f"=== Synthesis by {self.synthesis_model}: skipped (no model answered) ==="
        if not self.synthesis.ok:
            return (
                f"=== Synthesis by {self.synthesis_model} FAILED ({self.synthesis.status}); "
                f"the individual answers above stand ===\n{_error_text(self.synthesis.error)}"
            )
        return f"=== Synthesis by {self.synthesis_model} ===\n{self.synthesis.answer.strip()}"

    def thread_summary(self) -> str:
        """What the assistant turn of the conversation holds (for a follow-up with chat)."""
        parts = [f"Consensus of {len(self.people)} models. Agreement {self.agreement().summary}."]
        if self.synthesis is not None and self.synthesis.ok:
            parts.append(f"Synthesis ({self.synthesis_model}):\n{self.synthesis.answer.strip()}")
        for p in self.people:
            latest = self.latest_ok(p)
            body = latest.answer.strip() if latest else "FAILED: " + _error_text(self.attempts[p.index][-1].error)
            parts.append(f"--- {p.label} (stance: {p.stance}) ---\n{body}")
        return "\n\n".join(parts)


def _yes_no(value: bool | None) -> str:
    return "unknown" if value is None else "yes" if value else "no"


def _error_text(error: dict[str, Any] | None) -> str:
    if not error:
        return "unknown error"
    return str(error.get("message") or error)
