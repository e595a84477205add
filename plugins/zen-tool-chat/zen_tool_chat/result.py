"""The shape of chat's ``data`` (its MCP ``outputSchema``): the whole answer, for clients that read only
``structuredContent``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ChatResult(BaseModel):
    answer: str
    continuation_id: str
    model_used: str | None = None
    usage: dict[str, int] | None = None
    cost_usd: float | None = None
    cost_known: bool | None = None
    latency_ms: float | None = None
    reasoning_effort: str | None = None
    files: dict[str, Any] | None = None
    history: dict[str, Any] | None = None
    page: dict[str, Any] | None = None
    not_saved: str | None = None
