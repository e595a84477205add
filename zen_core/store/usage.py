"""Usage events — one per model call, and one per consensus verdict — kept for ``USAGE_RETENTION_S`` in the
store (shared by every instance), and the report made of them: calls, tokens, cost, latency percentiles,
error rate and agreement with the consensus majority, per model and per key, today and over 7 days."""

from __future__ import annotations

import asyncio
import logging
import math
import statistics
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel

from zen_core.store.owner import ANYONE, Owner

log = logging.getLogger("zen.store")

#: How long events are kept: the 7-day report plus a day of slack.
USAGE_RETENTION_S = 8 * 86400.0
WEEK_S = 7 * 86400.0


class UsageEvent(BaseModel):
    """One model call (``kind="call"``) or one model's consensus verdict (``kind="verdict"``)."""

    ts: float
    owner: str | None = None
    tool: str = ""
    kind: Literal["call", "verdict"] = "call"
    #: The model that answered (or, for a failed call, the one asked).
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    error: str | None = None
    cache_hit: bool = False
    #: Verdicts only: whether the model's final position was the consensus majority's.
    agreed: bool | None = None


class UsageLog(ABC):
    """Where usage events are kept (the SQLite file or Redis)."""

    @abstractmethod
    async def append(self, events: Sequence[UsageEvent]) -> None:
        """Keep ``events`` (for :data:`USAGE_RETENTION_S`)."""

    @abstractmethod
    async def since(self, ts: float, *, owner: Owner = ANYONE) -> list[UsageEvent]:
        """Events at or after epoch ``ts`` of ``owner`` (everyone's with :data:`ANYONE`), oldest first."""


class BufferedUsageLog(UsageLog):
    """``inner`` written in batches: appending costs a model call no store round trip (a SQLite worker
    thread or Redis) on its way back to the client.

    Events are written ``flush_after_s`` after the first one pending, or at once past ``max_pending``;
    reads through this log, and closing the store, write them first. Another instance sees an event
    within ``flush_after_s``. A failed write is logged and its events dropped: usage never fails a call.
    """

    def __init__(self, inner: UsageLog, *, flush_after_s: float = 0.5, max_pending: int = 500) -> None:
        self.inner = inner
        self.flush_after_s = flush_after_s
        self.max_pending = max_pending
        self._pending: list[UsageEvent] = []
        self._timer: asyncio.Task[None] | None = None
        self._lock: asyncio.Lock | None = None

    async def append(self, events: Sequence[UsageEvent]) -> None:
        self._pending.extend(events)
        if len(self._pending) >= self.max_pending:
            await self.flush()
        elif self._pending and self._timer is None:
            self._timer = asyncio.create_task(self._flush_soon())

    async def since(self, ts: float, *, owner: Owner = ANYONE) -> list[UsageEvent]:
        await self.flush()
        return await self.inner.since(ts, owner=owner)

    async def flush(self) -> None:
        """Write the pending events now (in order, one batch at a time)."""
        timer, self._timer = self._timer, None
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:
            batch, self._pending = self._pending, []
            if not batch:
                return
            try:
                await self.inner.append(batch)
            except Exception as exc:  # the answers went out; lost usage events are only logged
                log.warning("%d usage event(s) not stored: %s", len(batch), exc)

    async def _flush_soon(self) -> None:
        await asyncio.sleep(self.flush_after_s)
        await self.flush()


def start_of_today(now: float | None = None) -> float:
    """Epoch seconds of today's UTC midnight."""
    day = datetime.fromtimestamp(time.time() if now is None else now, timezone.utc)
    return day.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def usage_report(events: Iterable[UsageEvent], *, now: float | None = None) -> dict[str, Any]:
    """``{"today": …, "last_7_days": …}``, each with ``totals``, ``models`` and ``keys``."""
    now = time.time() if now is None else now
    listed = list(events)
    return {
        "today": _period([e for e in listed if e.ts >= start_of_today(now)]),
        "last_7_days": _period([e for e in listed if e.ts >= now - WEEK_S]),
    }


def _period(events: list[UsageEvent]) -> dict[str, Any]:
    calls = [e for e in events if e.kind == "call"]
    verdicts = [e for e in events if e.kind == "verdict"]
    models = sorted({e.model for e in events})
    keys = sorted({e.owner or "(no key)" for e in calls})
    return {
        "totals": _calls([*calls]),
        "models": {m: {**_calls([e for e in calls if e.model == m]), **_agreement(verdicts, m)} for m in models},
        "keys": {k: _calls([e for e in calls if (e.owner or "(no key)") == k]) for k in keys},
    }


def _calls(calls: list[UsageEvent]) -> dict[str, Any]:
    latencies = sorted(e.latency_ms for e in calls if not e.error and not e.cache_hit)
    errors = sum(1 for e in calls if e.error)
    return {
        "calls": len(calls),
        "errors": errors,
        "error_rate": round(errors / len(calls), 4) if calls else 0.0,
        "prompt_tokens": sum(e.prompt_tokens for e in calls),
        "completion_tokens": sum(e.completion_tokens for e in calls),
        "cost_usd": round(sum(e.cost_usd for e in calls), 6),
        "cache_hits": sum(1 for e in calls if e.cache_hit),
        "latency_p50_ms": _percentile(latencies, 50),
        "latency_p95_ms": _percentile(latencies, 95),
    }


def _agreement(verdicts: list[UsageEvent], model: str) -> dict[str, Any]:
    mine = [e for e in verdicts if e.model == model]
    if not mine:
        return {}
    agreed = sum(1 for e in mine if e.agreed)
    return {
        "consensus_verdicts": len(mine),
        "agreed_with_majority": agreed,
        "agreement_rate": round(agreed / len(mine), 4),
    }


def _percentile(sorted_values: list[float], pct: int) -> float | None:
    """The ``pct``-th percentile (nearest rank) of ``sorted_values``; ``None`` when empty."""
    if not sorted_values:
        return None
    if len(sorted_values) == 1:
        return round(sorted_values[0], 1)
    rank = max(math.ceil(pct / 100 * len(sorted_values)), 1)
    return round(sorted_values[rank - 1], 1) if pct != 50 else round(statistics.median(sorted_values), 1)


class UsageView:
    """One owner's usage (``ctx.usage_report()``; ``zen usage`` reads everyone's)."""

    def __init__(self, log: UsageLog, owner: Owner) -> None:
        self._log = log
        self._owner = owner

    async def report(self) -> dict[str, Any]:
        now = time.time()
        return usage_report(await self._log.since(now - WEEK_S, owner=self._owner), now=now)


def format_usage(report: dict[str, Any]) -> str:
    """The report as two plain-text tables (today, last 7 days), one row per model, then per key."""
    lines: list[str] = []
    for period, title in (("today", "Today (UTC)"), ("last_7_days", "Last 7 days")):
        data = report[period]
        totals = data["totals"]
        lines.append(
            f"{title}: {totals['calls']} calls, {totals['prompt_tokens'] + totals['completion_tokens']:,} tokens, "
            f"${totals['cost_usd']:.4f}, {totals['errors']} errors"
        )
        if not data["models"]:
            lines.append("  (no model calls)")
            continue
        header = (
            f"  {'MODEL':<24} {'CALLS':>6} {'TOKENS':>10} {'COST $':>9} {'P50 MS':>7} {'P95 MS':>7} {'ERR %':>6} AGREED"
        )
        lines.append(header)
        for model, m in data["models"].items():
            tokens = m.get("prompt_tokens", 0) + m.get("completion_tokens", 0)
            agreed = f"{m['agreed_with_majority']}/{m['consensus_verdicts']}" if m.get("consensus_verdicts") else "-"
            lines.append(
                f"  {model:<24} {m.get('calls', 0):>6} {tokens:>10,} {m.get('cost_usd', 0.0):>9.4f} "
                f"{_ms(m.get('latency_p50_ms')):>7} {_ms(m.get('latency_p95_ms')):>7} "
                f"{100 * m.get('error_rate', 0.0):>6.1f} {agreed}"
            )
        if len(data["keys"]) > 1 or "(no key)" not in data["keys"]:
            lines += [f"  key {key}: {k['calls']} calls, ${k['cost_usd']:.4f}" for key, k in data["keys"].items()]
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"
