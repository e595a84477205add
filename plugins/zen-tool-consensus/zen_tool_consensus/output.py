"""The shape of consensus's ``data`` (its MCP ``outputSchema``): the whole result, for clients that read only
``structuredContent``. It mirrors :meth:`zen_tool_consensus.result.Run.data`.

Zen lists a summary of it: the required fields and their JSON types (``continuation_id``, ``models``,
``agreement``). The other fields are always present too but optional here, which keeps ``tools/list`` small;
the nested models document them and the tests check real results against all of it (undeclared fields
are refused).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Status = Literal["ok", "error", "timeout"]


class _Declared(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Tokens(_Declared):
    prompt: int
    completion: int
    total: int


class Phase(_Declared):
    """One call of one model: its answer, or its error (``Attempt.as_dict``)."""

    phase: Literal["initial", "feedback"]
    round: int
    status: Status
    model_used: str | None
    latency_ms: float
    answer: str | None = None
    position: Literal["support", "oppose", "neutral", "unclear"] | None = None
    tokens: Tokens | None = None
    cost_usd: float | None = None
    cost_known: bool | None = None
    #: Feedback rounds only: whether the model says (or its positions show) it changed its position.
    changed: bool | None = None
    #: ``code``, ``message``, ``model`` and the provider's own ``provider``, ``status_code``, ``provider_message``.
    error: dict[str, Any] | None = None


class ModelAnswer(_Declared):
    """One requested model: its final position and every call it made."""

    label: str
    model: str
    stance: Literal["for", "against", "neutral"]
    status: Status
    #: ``failed`` when the model never answered.
    final_position: str
    final_phase: str | None
    changed_position: bool | None
    phases: list[Phase]


class AgreementResult(_Declared):
    level: Literal["unanimous", "majority", "split"]
    leading_position: str | None
    counts: dict[str, int]
    positions: dict[str, str]
    failed: list[str]
    requested: int
    summary: str


class CrossFeedback(_Declared):
    rounds_requested: int
    rounds_run: int
    skipped_reason: str | None
    shuffle_seed: int


class Synthesis(_Declared):
    """The synthesiser's merge (``text``), its error, or why it was skipped."""

    model: str
    status: Literal["ok", "error", "timeout", "skipped"]
    reason: str | None = None
    phase: Literal["synthesis"] | None = None
    round: int | None = None
    model_used: str | None = None
    latency_ms: float | None = None
    text: str | None = None
    tokens: Tokens | None = None
    cost_usd: float | None = None
    cost_known: bool | None = None
    error: dict[str, Any] | None = None


class Totals(_Declared):
    calls: int
    failed_calls: int
    tokens: Tokens
    cost_usd: float
    cost_known: bool
    wall_time_ms: float
    sum_of_latencies_ms: float


class ConsensusResult(_Declared):
    #: ``None`` when the conversation could not be stored (``continuation_error`` says why).
    continuation_id: str | None
    models: list[ModelAnswer]
    agreement: AgreementResult
    continuation_error: str | None = None
    cross_feedback: CrossFeedback | None = None
    synthesis: Synthesis | None = None
    files: dict[str, Any] | None = None
    history_turns: int | None = None
    totals: Totals | None = None
