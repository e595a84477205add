"""Background jobs: a tool call that outlives the client's request, kept in the store so that any instance
behind a load balancer can report on it, and so that it belongs to the API key that started it.

The instance running a job writes its progress, partial results and final result here; any instance
reads them. Cancelling sets a flag that the running instance picks up within a second.
"""

from __future__ import annotations

import time
import uuid
from abc import ABC, abstractmethod
from typing import Any, Literal

from pydantic import BaseModel, Field

from zen_core.errors import ToolError
from zen_core.store.owner import ANYONE, Owner

JobStatus = Literal["running", "done", "failed", "cancelled"]
FINISHED: frozenset[str] = frozenset({"done", "failed", "cancelled"})


class Job(BaseModel):
    """One background tool call."""

    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    owner: str | None = None
    tool: str
    status: JobStatus = "running"
    created_at: float = Field(default_factory=time.time)
    updated_at: float = Field(default_factory=time.time)
    #: The last progress message.
    progress: str = ""
    #: Results available before the end (say, each model's answer as it arrives), by name.
    partial: dict[str, Any] = Field(default_factory=dict)
    #: The finished call: ``{"text": …, "structured": …, "is_error": …}``.
    result: dict[str, Any] | None = None
    cancel_requested: bool = False
    #: The server process running it (``host:pid``), for the operator.
    instance: str = ""

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


class JobNotFound(ToolError):
    """An unknown or expired job id (or another key's job: the same words)."""

    def __init__(self, job_id: str) -> None:
        super().__init__(
            f"Job {job_id} was not found: it finished more than the conversation lifetime ago, or never existed. "
            "Run the call again; jobs() lists your recent jobs.",
            code="job_not_found",
            details={"job_id": job_id},
        )


class JobStore(ABC):
    """Jobs in the SQLite file or Redis; each expires ``ttl_s`` after its last update."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s

    @abstractmethod
    async def put(self, job: Job) -> None:
        """Store ``job`` whole (create, or replace what the running instance wrote last)."""

    @abstractmethod
    async def get(self, job_id: str, *, owner: Owner = ANYONE) -> Job:
        """The job; :class:`JobNotFound` when unknown, expired or another owner's."""

    @abstractmethod
    async def request_cancel(self, job_id: str, *, owner: Owner = ANYONE) -> Job:
        """Flag the job for cancellation (the running instance stops it); returns it as stored."""

    @abstractmethod
    async def list_jobs(self, *, owner: Owner = ANYONE, limit: int = 20) -> list[Job]:
        """The owner's jobs, newest first."""


class JobsView:
    """One owner's jobs (the ``jobs`` tool): others' jobs are "not found", like ids that never existed."""

    def __init__(self, store: JobStore, owner: str | None) -> None:
        self._store = store
        self.owner = owner

    async def get(self, job_id: str) -> Job:
        return await self._store.get(job_id, owner=self.owner)

    async def cancel(self, job_id: str) -> Job:
        return await self._store.request_cancel(job_id, owner=self.owner)

    async def list(self, limit: int = 20) -> list[Job]:
        return await self._store.list_jobs(owner=self.owner, limit=limit)
