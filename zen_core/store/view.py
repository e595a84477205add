"""The conversation store as one caller sees it (``ctx.threads``): only the threads its API key started.

Another key's thread is reported exactly like an id that never existed, on every path (continue, page,
list), so a key cannot even tell whether someone else's conversation exists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from zen_core.store.base import ThreadStore
from zen_core.store.models import Thread, ThreadSummary, Turn


class Threads:
    """``ctx.threads``: conversations any tool can continue, scoped to the calling API key."""

    def __init__(self, store: ThreadStore, owner: str | None) -> None:
        self._store = store
        #: The API key name the threads belong to (``None``: no key — stdio, or an HTTP server without keys).
        self.owner = owner

    @property
    def max_turns(self) -> int:
        """Most turns one conversation holds (``conversations.max_turns``)."""
        return self._store.max_turns

    @property
    def ttl_hours(self) -> float:
        """Hours a conversation lives after its last turn (``conversations.ttl_hours``)."""
        return self._store.config.ttl_hours

    async def get(self, thread_id: str) -> Thread:
        """The conversation with all its turns; :class:`ThreadNotFound` when unknown, expired or not the
        caller's."""
        return await self._store.get(thread_id, owner=self.owner)

    async def create(
        self,
        tool: str,
        *,
        turns: Sequence[Turn] = (),
        initial_context: Mapping[str, Any] | None = None,
        parent_id: str | None = None,
    ) -> Thread:
        """Start a conversation owned by the caller, optionally with its first turns."""
        return await self._store.create(
            tool, owner=self.owner, initial_context=initial_context, parent_id=parent_id, turns=turns
        )

    async def add_turns(self, thread_id: str, turns: Sequence[Turn]) -> int:
        """Append ``turns`` atomically; returns the new turn count. :class:`ThreadNotFound` (also for another
        key's thread) or :class:`ThreadFull`."""
        return await self._store.add_turns(thread_id, turns, owner=self.owner)

    async def list(self, limit: int = 20) -> list[ThreadSummary]:
        """The caller's live conversations, most recently updated first."""
        return await self._store.list_threads(limit, owner=self.owner)
