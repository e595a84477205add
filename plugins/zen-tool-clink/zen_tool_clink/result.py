"""The shape of clink's ``data`` (its MCP ``outputSchema``): the whole answer, for clients that read only
``structuredContent``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ClinkResult(BaseModel):
    answer: str
    continuation_id: str
    cli: str
    role: str
    working_dir: str
    session_id: str | None = None
    resumed: bool | None = None
    model_used: str | None = None
    usage: dict[str, int] | None = None
    cost_usd: float | None = None
    duration_ms: float | None = None
    exit_code: int | None = None
    files: dict[str, Any] | None = None
    truncated: dict[str, Any] | None = None
    notes: list[str] | None = None
    not_saved: str | None = None
