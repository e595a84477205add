"""Background jobs: a tool call that outlives the client's request, kept in the store so that any instance
behind a load balancer can report on it, and so that it belongs to the API key that started it.

The instance running a job writes its progress, partial results and final result here; any instance
reads them. Cancelling sets a flag that the running instance picks up within a second.

While a job runs, its instance writes it at least every ``stale_after_s / 3`` seconds (a heartbeat, even
when the tool is silent), so ``updated_at`` says the instance is alive. A running job not written for
``stale_after_s`` (``jobs.stale_after_s``, 30 s by default) belonged to an instance that stopped without
finishing it (killed, crashed, its machine gone): readers see it as ``lost``, never as running. Nothing
is stored for that: a job is only ever written by its own instance.
"""

from __future__ import annotations

import time
import uuid
from abc import ABC, abstractmethod
from typing import Any, Literal

from pydantic import BaseModel, Field

from zen_core.errors import ToolError
from zen_core.store.owner import ANYONE, Owner

#: ``lost`` is never stored: it is how a running job with a stale heartbeat is read (see :meth:`Job.as_seen`).
JobStatus = Literal["running", "done", "failed", "cancelled", "lost"]
FINISHED: frozenset[str] = frozenset({"done", "failed", "cancelled", "lost"})
#: A running job not written for this long is lost (``jobs.stale_after_s``): a few heartbeats missed.
STALE_AFTER_S = 30.0


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
    #: The ids of the call that became this job (its handle and its result carry them; so do the logs).
    request_id: str = ""
    trace_id: str = ""

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def as_seen(self, stale_after_s: float, now: float | None = None) -> Job:
        """The job as readers see it: ``lost``, with a result saying so, when it is running but its instance
        has not written it for ``stale_after_s`` seconds."""
        now = time.time() if now is None else now
        if self.status != "running" or now - self.updated_at <= stale_after_s:
            return self
        message = (
            f"Lost: the server that ran it ({self.instance or 'unknown'}) stopped without finishing it "
            f"(no sign of life for {now - self.updated_at:.0f} s: killed, crashed or cut off). Its partial results "
            "are kept. Run the call again."
        )
        error = {"code": "job_lost", "message": message, "instance": self.instance}
        structured = {
            "request_id": self.request_id,
            "status": "error",
            "data": {"error": error},
            "metadata": {"trace_id": self.trace_id} if self.trace_id else {},
        }
        result = {"text": message, "structured": structured, "is_error": True}
        return self.model_copy(update={"status": "lost", "result": result})


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
    """One owner's jobs (the ``jobs`` tool): others' jobs are "not found", like ids that never existed.
    A running job whose heartbeat is older than ``stale_after_s`` is shown ``lost``."""

    def __init__(self, store: JobStore, owner: str | None, stale_after_s: float = STALE_AFTER_S) -> None:
        self._store = store
        self.owner = owner
        self.stale_after_s = stale_after_s

    async def get(self, job_id: str) -> Job:
        return (await self._store.get(job_id, owner=self.owner)).as_seen(self.stale_after_s)

    async def cancel(self, job_id: str) -> Job:
        job = (await self._store.get(job_id, owner=self.owner)).as_seen(self.stale_after_s)
        if job.finished:  # lost included: nothing runs it any more
            return job
        return (await self._store.request_cancel(job_id, owner=self.owner)).as_seen(self.stale_after_s)

    async def list(self, limit: int = 20) -> list[Job]:
        return [job.as_seen(self.stale_after_s) for job in await self._store.list_jobs(owner=self.owner, limit=limit)]
