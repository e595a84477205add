"""Threads remember the API key they were started under; listing can be limited to it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from zen_core.store import Store, Turn

StoreFactory = Callable[..., Awaitable[Store]]


async def test_list_threads_filters_by_owner(make_store: StoreFactory) -> None:
    store = await make_store()
    alice = await store.threads.create(
        "chat", initial_context={"owner": "alice"}, turns=[Turn(role="user", content="alice's question")]
    )
    bob = await store.threads.create(
        "chat", initial_context={"owner": "bob"}, turns=[Turn(role="user", content="bob's question")]
    )
    nobody = await store.threads.create("chat", turns=[Turn(role="user", content="stdio question")])

    def ids(summaries: list[Any]) -> list[str]:
        return [s.id for s in summaries]

    assert ids(await store.threads.list_threads(owner="alice")) == [alice.id]
    assert ids(await store.threads.list_threads(owner="bob")) == [bob.id]
    assert ids(await store.threads.list_threads(owner="carol")) == []
    assert ids(await store.threads.list_threads()) == [nobody.id, bob.id, alice.id]
