"""The store contracts (``ThreadStore``, ``Counters``, ``Store``) and the errors tools see."""

from __future__ import annotations

import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from zen_core.errors import ToolError
from zen_core.store.owner import ANYONE, Owner
from zen_core.store.usage import BufferedUsageLog, UsageLog

if TYPE_CHECKING:
    from zen_core.store.jobs import JobStore
from zen_core.store.models import ConversationSettings, Thread, ThreadSummary, Turn, from_epoch, new_thread_id

RESTART_HINT = (
    "Start a new conversation: repeat the call without continuation_id and put the context "
    "the model needs from the earlier exchange into the prompt."
)


class ThreadNotFound(ToolError):
    """The continuation id is unknown, malformed or expired."""

    def __init__(self, thread_id: str, *, ttl_hours: float | None = None, malformed: bool = False) -> None:
        if malformed:
            shown = thread_id if len(thread_id) <= 80 else thread_id[:77] + "..."
            reason = f"'{shown}' is not a valid continuation_id (expected the UUID Zen returned)."
        else:
            expiry = _hours(ttl_hours)
            lifetime = f" (conversations expire {expiry} after their last turn)" if ttl_hours else ""
            reason = f"Conversation {thread_id} was not found: it expired{lifetime} or never existed."
        details = {"continuation_id": thread_id}
        super().__init__(f"{reason} {RESTART_HINT}", code="thread_not_found", details=details)
        self.thread_id = thread_id


class ThreadFull(ToolError):
    """Appending would take the thread past ``conversations.max_turns``."""

    def __init__(self, thread_id: str, max_turns: int) -> None:
        super().__init__(
            f"Conversation {thread_id} has reached its limit of {max_turns} turns "
            f"(setting conversations.max_turns). {RESTART_HINT}",
            code="thread_full",
            details={"continuation_id": thread_id, "max_turns": max_turns},
        )
        self.thread_id = thread_id
        self.max_turns = max_turns


class StoreUnavailable(ToolError):
    """The backing store (Redis server, SQLite file) cannot be reached or used right now."""

    def __init__(self, message: str, *, store: str) -> None:
        super().__init__(message, code="store_unavailable", details={"store": store})
        self.store = store


def _hours(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g} hour" + ("" if value == 1 else "s")


def normalize_thread_id(thread_id: str) -> str:
    """The canonical form of a continuation id; :class:`ThreadNotFound` when it is not a UUID."""
    try:
        return str(uuid.UUID(str(thread_id).strip()))
    except ValueError:
        raise ThreadNotFound(str(thread_id), malformed=True) from None


def mask_url(url: str) -> str:
    """``url`` with any password (in the userinfo or a ``?password=`` query) replaced by ``***``."""
    base, sep, query = url.partition("?")
    parts = urlsplit(base)
    if parts.password is not None:
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
        base = urlunsplit(parts._replace(netloc=netloc))
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(name == "password" for name, _ in pairs):
        query = urlencode([(k, "***" if k == "password" else v) for k, v in pairs], safe="*/")
    return base + sep + query


class ThreadStore(ABC):
    """Conversation threads shared by all tools (any tool can continue any thread).

    Appends are atomic: concurrent ``add_turns`` on one thread never lose a turn, and the
    ``max_turns`` check happens in the same transaction. Every append refreshes the TTL.
    """

    def __init__(self, config: ConversationSettings) -> None:
        self.config = config

    @property
    def ttl_seconds(self) -> float:
        return self.config.ttl_seconds

    @property
    def max_turns(self) -> int:
        return self.config.max_turns

    async def create(
        self,
        tool: str,
        *,
        owner: str | None = None,
        initial_context: Mapping[str, Any] | None = None,
        parent_id: str | None = None,
        turns: Sequence[Turn] = (),
    ) -> Thread:
        """Start a thread owned by ``owner`` (an API key name, or ``None``), optionally with its first turns."""
        thread_id = new_thread_id()
        turn_list = list(turns)
        self._check_new_turns(thread_id, 0, len(turn_list))
        now = time.time()
        thread = Thread(
            id=thread_id,
            parent_id=parent_id,
            tool=tool,
            created_at=from_epoch(now),
            updated_at=from_epoch(now),
            expires_at=from_epoch(now + self.ttl_seconds),
            owner=owner,
            initial_context=dict(initial_context or {}),
            turns=turn_list,
        )
        await self._insert(thread, now)
        return thread

    @abstractmethod
    async def _insert(self, thread: Thread, now: float) -> None:
        """Store the new ``thread`` (created at epoch ``now``) with its turns, atomically."""

    @abstractmethod
    async def get(self, thread_id: str, *, owner: Owner = ANYONE) -> Thread:
        """The thread with all its turns; :class:`ThreadNotFound` when unknown, expired, or owned by
        someone other than ``owner`` (the same error: another key cannot tell its threads exist)."""

    @abstractmethod
    async def add_turns(self, thread_id: str, turns: Sequence[Turn], *, owner: Owner = ANYONE) -> int:
        """Append ``turns`` atomically (all or none), checking the owner in the same transaction; returns
        the thread's new turn count. Raises :class:`ThreadNotFound` or :class:`ThreadFull`."""

    async def add_turn(self, thread_id: str, turn: Turn, *, owner: Owner = ANYONE) -> int:
        """Append one turn; returns the thread's new turn count."""
        return await self.add_turns(thread_id, [turn], owner=owner)

    @abstractmethod
    async def delete(self, thread_id: str) -> bool:
        """Remove a thread; ``False`` when it did not exist."""

    @abstractmethod
    async def list_threads(self, limit: int = 20, *, owner: Owner = ANYONE) -> list[ThreadSummary]:
        """Live threads of ``owner``, most recently updated first."""

    def _check_new_turns(self, thread_id: str, current: int, adding: int) -> None:
        if current + adding > self.max_turns:
            raise ThreadFull(thread_id, self.max_turns)

    def _not_found(self, thread_id: str) -> ThreadNotFound:
        return ThreadNotFound(thread_id, ttl_hours=self.config.ttl_hours)


@runtime_checkable
class Counters(Protocol):
    """Shared numeric counters (budgets, rate limits), atomic across processes and instances."""

    async def incr(self, key: str, amount: float, ttl_s: int) -> float:
        """Add ``amount`` to ``key`` and return the new value; the key expires ``ttl_s`` after creation."""
        ...

    async def get(self, key: str) -> float:
        """The current value, ``0.0`` when missing or expired."""
        ...


class Store(ABC):
    """A configured backend: its four parts, and lifecycle/diagnostics."""

    def __init__(
        self, *, description: str, threads: ThreadStore, counters: Counters, usage: UsageLog, jobs: JobStore
    ) -> None:
        #: Where the data lives, safe to show (``sqlite:/path/zen.db``, ``redis://:***@host:6379/0``).
        self.description = description
        self.threads = threads
        self.counters = counters
        #: Usage events of model calls, kept a week (for the ``usage`` tool and ``zen usage``), written
        #: in batches (see :class:`~zen_core.store.usage.BufferedUsageLog`).
        self.usage = BufferedUsageLog(usage)
        #: Background jobs (tool calls that outlive their request).
        self.jobs = jobs

    @abstractmethod
    async def ping(self) -> None:
        """Check the backend is usable; :class:`StoreUnavailable` when it is not."""

    async def aclose(self) -> None:
        """Write what is pending, then release connections and threads. The store must not be used
        afterwards."""
        await self.usage.flush()
        await self._close()

    @abstractmethod
    async def _close(self) -> None:
        """Release the backend's connections and threads."""
