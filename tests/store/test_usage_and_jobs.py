"""Usage events and background jobs, on SQLite and on a real Redis: shared by every store of a deployment,
scoped to their owner, expiring."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from zen_core.store import ANYONE, Store
from zen_core.store.jobs import Job, JobNotFound
from zen_core.store.usage import UsageEvent, start_of_today, usage_report

StoreFactory = Callable[..., Awaitable[Store]]


def call(model: str, owner: str | None, ts: float, **fields: object) -> UsageEvent:
    return UsageEvent(ts=ts, owner=owner, tool="chat", model=model, **fields)  # type: ignore[arg-type]


async def test_usage_events_are_shared_and_scoped_by_owner(make_store: StoreFactory) -> None:
    writer, reader = await make_store(), await make_store()  # two instances of one deployment
    now = time.time()
    await writer.usage.append(
        [
            call("m", "alice", now - 2, prompt_tokens=10, completion_tokens=5, cost_usd=0.01, latency_ms=100),
            call("m", "bob", now - 1, latency_ms=300, error="llm_error"),
            call("n", None, now, latency_ms=50),
        ]
    )
    await writer.usage.flush()  # written in batches (see the next test)
    assert [e.owner for e in await reader.usage.since(now - 10)] == ["alice", "bob", None]
    assert [e.owner for e in await reader.usage.since(now - 10, owner="alice")] == ["alice"]
    assert [e.owner for e in await reader.usage.since(now - 10, owner=None)] == [None]
    assert [e.model for e in await reader.usage.since(now - 0.5, owner=ANYONE)] == ["n"]


async def test_usage_is_written_in_batches_that_other_instances_soon_see(make_store: StoreFactory) -> None:
    writer, reader = await make_store(), await make_store()
    writer.usage.flush_after_s = 2.0
    now = time.time()
    await writer.usage.append([call("m", "alice", now)])  # no store round trip on the call's path ...
    assert await reader.usage.since(now - 10) == []
    assert [e.owner for e in await writer.usage.since(now - 10)] == ["alice"]  # ... its own reads see it
    await writer.usage.append([call("m", "bob", now)])
    started = time.monotonic()
    while not [e for e in await reader.usage.since(now - 10) if e.owner == "bob"]:
        assert time.monotonic() - started < 10, "another instance never saw the event"
        await asyncio.sleep(0.05)
    assert time.monotonic() - started >= writer.usage.flush_after_s * 0.5  # batched, not written at once
    await writer.usage.append([call("m", "carol", now)])
    await writer.aclose()  # closing writes what is pending
    assert [e.owner for e in await reader.usage.since(now - 10)] == ["alice", "bob", "carol"]


def test_usage_report_counts_per_model_and_key_today_and_this_week() -> None:
    now = start_of_today() + 12 * 3600
    events = [
        call("m", "alice", now - 60, prompt_tokens=100, completion_tokens=20, cost_usd=0.02, latency_ms=100),
        call("m", "alice", now - 50, latency_ms=200),
        call("m", "bob", now - 40, latency_ms=900, error="llm_timeout"),
        call("m", "bob", now - 3 * 86400, latency_ms=400, cost_usd=0.5),  # this week, not today
        call("n", None, now - 30, latency_ms=50, cache_hit=True),
        UsageEvent(ts=now - 20, tool="consensus", kind="verdict", model="m", agreed=True),
        UsageEvent(ts=now - 10, tool="consensus", kind="verdict", model="m", agreed=False),
        call("old", None, now - 9 * 86400),  # older than the week
    ]
    report = usage_report(events, now=now)
    today, week = report["today"], report["last_7_days"]
    m = today["models"]["m"]
    assert (m["calls"], m["errors"], m["error_rate"]) == (3, 1, 0.3333)
    assert (m["prompt_tokens"], m["completion_tokens"], m["cost_usd"]) == (100, 20, 0.02)
    assert (m["latency_p50_ms"], m["latency_p95_ms"]) == (150.0, 200.0)  # failed calls are not in the latency
    assert (m["consensus_verdicts"], m["agreed_with_majority"], m["agreement_rate"]) == (2, 1, 0.5)
    assert today["models"]["n"]["cache_hits"] == 1 and today["models"]["n"]["latency_p50_ms"] is None
    assert today["keys"]["alice"]["calls"] == 2 and today["keys"]["(no key)"]["calls"] == 1
    assert today["totals"]["calls"] == 4
    assert week["models"]["m"]["calls"] == 4 and week["models"]["m"]["cost_usd"] == 0.52
    assert "old" not in week["models"]


async def test_a_job_is_seen_by_every_instance_and_only_by_its_owner(make_store: StoreFactory) -> None:
    runner, other = await make_store(), await make_store()
    job = Job(owner="alice", tool="consensus", instance="host:1")
    await runner.jobs.put(job)
    assert (await other.jobs.get(job.id, owner="alice")).status == "running"
    for stranger in ("bob", None):
        with pytest.raises(JobNotFound):
            await other.jobs.get(job.id, owner=stranger)
        with pytest.raises(JobNotFound):
            await other.jobs.request_cancel(job.id, owner=stranger)
    assert [j.id for j in await other.jobs.list_jobs(owner="alice")] == [job.id]
    assert await other.jobs.list_jobs(owner="bob") == []

    flagged = await other.jobs.request_cancel(job.id, owner="alice")
    assert flagged.cancel_requested is True
    # the running instance writes progress without having seen the flag: the flag survives its write
    await runner.jobs.put(job.model_copy(update={"progress": "1/3 initial answers"}))
    stored = await other.jobs.get(job.id)
    assert stored.cancel_requested is True and stored.progress == "1/3 initial answers"

    done = stored.model_copy(update={"status": "cancelled", "result": {"text": "cancelled"}})
    await runner.jobs.put(done)
    again = await other.jobs.request_cancel(job.id, owner="alice")  # a finished job stays as it is
    assert again.status == "cancelled"


async def test_a_job_expires_after_its_last_write(make_store: StoreFactory) -> None:
    store = await make_store(ttl_seconds=1.0)
    job = Job(owner=None, tool="chat")
    await store.jobs.put(job)
    await asyncio.sleep(0.6)
    await store.jobs.put(job.model_copy(update={"progress": "still going"}))  # restarts the clock
    await asyncio.sleep(0.6)
    assert (await store.jobs.get(job.id)).progress == "still going"
    await asyncio.sleep(1.2)
    with pytest.raises(JobNotFound):
        await store.jobs.get(job.id)
    assert await store.jobs.list_jobs() == []


async def test_every_write_of_a_job_is_its_heartbeat(make_store: StoreFactory) -> None:
    """``updated_at`` is when the running instance last wrote the job (readers call a job lost on it)."""
    store = await make_store()
    job = Job(owner=None, tool="chat", created_at=1000.0, updated_at=1000.0)
    await store.jobs.put(job)
    first = (await store.jobs.get(job.id)).updated_at
    await store.jobs.put(job)
    second = (await store.jobs.get(job.id)).updated_at
    assert 1000.0 < first <= second
