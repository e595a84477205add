"""The shape of each built-in tool's ``data`` (its MCP ``outputSchema``).

Only the required fields reach ``tools/list`` (see :func:`zen_core.calls.schema.output_schema`): the optional
ones document the rest of the answer without costing the agent tokens.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, RootModel


class ModelList(BaseModel):
    """``listmodels``."""

    available: list[dict[str, Any]]
    unavailable: dict[str, str]
    default_model: str | None = None
    tools_not_offered: dict[str, str] | None = None


class VersionInfo(BaseModel):
    """``version``."""

    zen_core: str
    plugins: list[dict[str, Any]]
    python: str = ""


class ThreadList(BaseModel):
    """``threads``."""

    threads: list[dict[str, Any]]


class UsageReport(BaseModel):
    """``usage``: each period has ``totals``, ``models`` and ``keys``."""

    today: dict[str, Any]
    last_7_days: dict[str, Any]


class JobView(BaseModel):
    """One job (``jobs`` with a ``job_id``, ``cancel_job``)."""

    job_id: str
    status: str
    tool: str = ""
    progress: str = ""
    partial: dict[str, Any] = {}
    created_at: float | None = None
    updated_at: float | None = None
    request_id: str = ""
    trace_id: str = ""
    #: Once it has ended: ``{"text", "structured", "is_error"}``.
    result: dict[str, Any] | None = None


class JobList(BaseModel):
    """Your recent jobs (``jobs`` without a ``job_id``)."""

    jobs: list[JobView]


class JobsResult(RootModel[JobView | JobList]):
    """``jobs``: one job, or the list."""
