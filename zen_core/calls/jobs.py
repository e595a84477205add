"""Background jobs: a call that outlives the client's request returns a job id at once and goes on here.

A tool with ``background = True`` takes a ``background`` argument; such a call becomes a job at once when
it is ``true``, and by itself when it runs longer than ``jobs.auto_background_after_s`` (240 s by default:
under Codex's 300 s tool timeout). The job's progress, partial results and final result are written to the
store (SQLite or Redis), so any instance behind a load balancer answers ``jobs``; the instance running it
watches for a cancel request (from any instance) once a second, and writes the job at least every
``stale_after_s / 3`` seconds even when the tool is silent (a heartbeat: readers show a job whose
heartbeat stopped as ``lost``, see :mod:`zen_core.store.jobs`). When the process stops cleanly, its jobs
still running are recorded as interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

from zen_core.calls.context import ToolContext
from zen_core.calls.tool import ToolResponse
from zen_core.store.jobs import STALE_AFTER_S, Job, JobStore

log = logging.getLogger("zen.jobs")
#: What turns a finished call's response into the one to keep (the dispatcher's bookkeeping).
Finisher = Callable[[ToolResponse], Awaitable[ToolResponse]]
#: How often a running job's progress is written at most, and how often it looks for a cancel request.
WRITE_INTERVAL_S = 1.0
CANCEL_POLL_S = 1.0
#: Heartbeats per ``stale_after_s``: a job is lost only after this many writes in a row were missed.
HEARTBEATS_PER_STALE = 3


def job_handle(job: Job) -> ToolResponse:
    """What the client gets instead of the result: the job id and how to follow it (with the call's ids)."""
    text = (
        f'Started in the background as job {job.id} ({job.tool}). Call jobs(job_id="{job.id}") for its '
        f'progress and, once done, its result; cancel_job(job_id="{job.id}") stops it.'
    )
    return _with_ids(
        job, ToolResponse(status="success", data={"job_id": job.id, "status": job.status, "tool": job.tool}, text=text)
    )


def _with_ids(job: Job, response: ToolResponse) -> ToolResponse:
    """``response`` with the request and trace ids of the call that became ``job``."""
    response.request_id = job.request_id
    if job.trace_id:
        response.metadata.setdefault("trace_id", job.trace_id)
    return response


class JobRunner:
    """Runs the jobs of one process and records them in the store."""

    def __init__(self, store: Callable[[], JobStore], *, stale_after_s: float = STALE_AFTER_S) -> None:
        self._store = store
        #: How often a running job is written when nothing else wrote it (its heartbeat).
        self.heartbeat_s = stale_after_s / HEARTBEATS_PER_STALE
        self.instance = f"{socket.gethostname()}:{os.getpid()}"
        #: Per running job: the task following it, the call, and what records it.
        self._running: dict[str, tuple[asyncio.Task[None], asyncio.Task[ToolResponse], _Recorder]] = {}
        self._closing = False

    @property
    def store(self) -> JobStore:
        return self._store()

    async def detach(
        self,
        call: asyncio.Task[ToolResponse],
        ctx: ToolContext,
        finish: Finisher,
        *,
        because: str,
    ) -> ToolResponse:
        """Let ``call`` (already running) go on as a job; returns the handle for the client.

        ``finish`` turns the call's outcome into the result to keep (the dispatcher's bookkeeping);
        ``because`` says why it became a job (named if the job is refused for needing the user).
        """
        job = Job(
            owner=ctx.caller.key_name,
            tool=ctx.tool_name,
            instance=self.instance,
            request_id=ctx.request_id,
            trace_id=ctx.trace_id,
        )
        recorder = _Recorder(self.store, job)
        # The call is under way: what it reports from now on is the job's, also while its first write is
        # (a model answering from the cache, or fast, reports before that write is done).
        ctx.progress.redirect(recorder.progress)
        ctx.cost_gate.detach(because)
        ctx.partial_sink = recorder.partial
        await recorder.start()
        follower = asyncio.create_task(self._follow(job, call, recorder, finish))
        self._running[job.id] = (follower, call, recorder)
        return job_handle(job)

    async def _follow(
        self,
        job: Job,
        call: asyncio.Task[ToolResponse],
        recorder: _Recorder,
        finish: Finisher,
    ) -> None:
        watcher = asyncio.create_task(self._watch(job.id, call, recorder))
        try:
            try:
                response = await finish(await call)
                status = "failed" if response.status == "error" else "done"
            except asyncio.CancelledError:
                if self._closing or not call.cancelled():
                    raise  # the server is stopping: aclose records the job as interrupted
                cancelled = ToolResponse(status="error", text=f"Job {job.id} was cancelled.", data={"cancelled": True})
                response, status = _with_ids(job, cancelled), "cancelled"
            result = {"text": response.render_text(), "structured": response.structured(), "is_error": status != "done"}
            await recorder.finish(status, result)
        except Exception as exc:  # the call raised past its error handling (a question it can no longer ask)
            log.warning("job %s failed: %s", job.id, exc)
            with contextlib.suppress(Exception):
                await recorder.finish("failed", _error_result(job, f"Failed: {exc}", "job_failed"))
        finally:
            watcher.cancel()
            self._running.pop(job.id, None)

    async def _watch(self, job_id: str, call: asyncio.Task[ToolResponse], recorder: _Recorder) -> None:
        """Until the call ends: stop it when a cancel request arrives; keep the job's heartbeat going."""
        while not call.done():
            await asyncio.sleep(min(CANCEL_POLL_S, self.heartbeat_s))
            try:
                if (await self.store.get(job_id)).cancel_requested:
                    call.cancel()
                    return
            except Exception:  # the store is down for a moment: look again later
                log.debug("job %s: cancel check failed", job_id, exc_info=True)
            await recorder.touch(self.heartbeat_s)

    async def aclose(self) -> None:
        """Stop the jobs still running, and record each as interrupted (the process is stopping: nothing will
        finish them). A job whose last write was cut short is written again."""
        self._closing = True
        running = list(self._running.values())
        for follower, call, _ in running:
            call.cancel()
            follower.cancel()
        await asyncio.gather(*(follower for follower, _, _ in running), return_exceptions=True)
        for _, _, recorder in running:
            if recorder.saved_final:
                continue
            if not recorder.job.finished:
                recorder.job = recorder.job.model_copy(
                    update={"status": "failed", "result": _error_result(recorder.job, INTERRUPTED, "interrupted")}
                )
            with contextlib.suppress(Exception):
                await recorder.save()


#: The result of a job whose server stopped (cleanly) while it ran.
INTERRUPTED = (
    "Interrupted: the server stopped before the call finished (its partial results are kept). Run the call again."
)


def _error_result(job: Job, message: str, code: str) -> dict[str, Any]:
    """A stored job result for a job that ended without the tool's own answer."""
    response = ToolResponse(status="error", text=message, data={"error": {"code": code, "message": message}})
    return {"text": message, "structured": _with_ids(job, response).structured(), "is_error": True}


class _Recorder:
    """Writes one job's progress and partial results to the store, at most once a second, and its heartbeat."""

    def __init__(self, store: JobStore, job: Job) -> None:
        self._store = store
        self.job = job
        self._last_write = 0.0
        self._lock = asyncio.Lock()
        #: Whether the job's end (its status and result) is in the store.
        self.saved_final = False

    async def progress(self, done: float, total: float | None, message: str | None) -> None:
        if message:
            self.job = self.job.model_copy(update={"progress": message})
        await self._write()

    async def partial(self, name: str, value: Any) -> None:
        self.job = self.job.model_copy(update={"partial": {**self.job.partial, name: value}})
        await self._write(force=True)

    async def finish(self, status: str, result: dict[str, Any]) -> None:
        self.job = self.job.model_copy(update={"status": status, "result": result})
        await self._write(force=True)

    async def touch(self, every_s: float) -> None:
        """Write the job if nothing has for ``every_s`` seconds (the heartbeat readers check)."""
        if time.monotonic() - self._last_write >= every_s:
            await self._write(force=True)

    async def start(self) -> None:
        """The job's first write (raises when the store fails); what is reported meanwhile is written after it."""
        async with self._lock:
            await self._store.put(self.job)

    async def save(self) -> None:
        """Write the job as it is now (raises when the store fails)."""
        async with self._lock:
            self._last_write = time.monotonic()
            job = self.job
            await self._store.put(job)
            self.saved_final = job.finished

    async def _write(self, *, force: bool = False) -> None:
        if not force and time.monotonic() - self._last_write < WRITE_INTERVAL_S:
            return
        try:
            await self.save()
        except Exception as exc:
            log.warning("job %s: progress not stored: %s", self.job.id, exc)
