"""The shape of each tool's ``data`` (its MCP ``outputSchema``): the whole answer, since some clients show
the model only ``structuredContent``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from zen_tool_review.requests import Severity


class Finding(BaseModel):
    """One problem: how severe, where, what is wrong, how to fix it, and which models raised it."""

    severity: Severity
    file: str | None = None
    line: int | None = None
    issue: str
    fix: str = ""
    #: OWASP Top 10 (2021) category (``secaudit`` only), e.g. ``A03:2021 Injection``.
    owasp: str | None = None
    models: list[str] = Field(default_factory=list)


class ModelReport(BaseModel):
    """How one model's review went."""

    label: str
    model: str
    #: ``ok``: findings read; ``unparsed``: the answer was not in the JSON format (see ``raw``); ``error``.
    status: Literal["ok", "partly_parsed", "unparsed", "error"]
    model_used: str | None = None
    findings: int = 0
    summary: str | None = None
    verdict: str | None = None
    note: str | None = None
    raw: str | None = None
    error: dict[str, Any] | None = None
    usage: dict[str, int] | None = None
    cost_usd: float = 0.0
    latency_ms: float = 0.0


class ReviewResult(BaseModel):
    """``codereview`` and ``secaudit`` data."""

    summary: str
    findings: list[Finding]
    continuation_id: str
    #: Findings per severity (after ``min_severity``), and how many were below it.
    counts: dict[str, int] = Field(default_factory=dict)
    hidden_below_min_severity: int = 0
    #: Findings that could not be read (reported, never dropped): the model, the text, why.
    unparsed: list[dict[str, Any]] = Field(default_factory=list)
    #: False when some input was left out (did not fit) or some model failed.
    complete: bool = True
    model_used: str | None = None
    usage: dict[str, int] = Field(default_factory=dict)
    cost_usd: float = 0.0
    cost_known: bool = True
    models: list[ModelReport] = Field(default_factory=list)
    files: dict[str, Any] | None = None
    changes: dict[str, Any] | None = None
    not_saved: str | None = None


class PrecommitResult(ReviewResult):
    """``precommit`` data: the review plus the verdict."""

    #: ``no_go`` when any model says so or any finding is critical/high; ``unknown`` when no answer was read.
    verdict: Literal["go", "no_go", "unknown"]
    #: Critical and high findings (they block the commit).
    blocking: int = 0
