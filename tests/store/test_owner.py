"""A thread belongs to the API key that started it: another key cannot read, continue or list it, and
gets the same "not found" as for an id that never existed."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from zen_core.store import ANYONE, ConversationSettings, Store, ThreadNotFound, Threads, Turn
from zen_core.store.sqlite import SQLiteStore

StoreFactory = Callable[..., Awaitable[Store]]


def ids(summaries: list[Any]) -> list[str]:
    return [s.id for s in summaries]


async def test_list_threads_filters_by_owner(make_store: StoreFactory) -> None:
    store = await make_store()
    alice = await store.threads.create("chat", owner="alice", turns=[Turn(role="user", content="alice's question")])
    bob = await store.threads.create("chat", owner="bob", turns=[Turn(role="user", content="bob's question")])
    nobody = await store.threads.create("chat", turns=[Turn(role="user", content="stdio question")])

    assert ids(await store.threads.list_threads(owner="alice")) == [alice.id]
    assert ids(await store.threads.list_threads(owner="bob")) == [bob.id]
    assert ids(await store.threads.list_threads(owner="carol")) == []
    assert ids(await store.threads.list_threads(owner=None)) == [nobody.id]
    assert ids(await store.threads.list_threads(owner=ANYONE)) == [nobody.id, bob.id, alice.id]


async def test_another_owner_gets_not_found_on_every_path(make_store: StoreFactory) -> None:
    store = await make_store()
    thread = await store.threads.create("chat", owner="alice", turns=[Turn(role="user", content="plan")])
    made_up = str(uuid.uuid4())

    for owner in ("bob", None):
        with pytest.raises(ThreadNotFound) as theirs:
            await store.threads.get(thread.id, owner=owner)
        with pytest.raises(ThreadNotFound) as unknown:
            await store.threads.get(made_up, owner=owner)
        # The same words as for an id that never existed (only the id differs).
        assert theirs.value.message.replace(thread.id, "ID") == unknown.value.message.replace(made_up, "ID")
        with pytest.raises(ThreadNotFound):
            await store.threads.add_turns(thread.id, [Turn(role="user", content="injected")], owner=owner)

    mine = await store.threads.get(thread.id, owner="alice")
    assert mine.owner == "alice"
    assert [t.content for t in mine.turns] == ["plan"]  # nothing was appended by the others
    assert await store.threads.add_turns(thread.id, [Turn(role="assistant", content="ok")], owner="alice") == 2


async def test_the_callers_view_is_scoped_to_its_key(make_store: StoreFactory) -> None:
    store = await make_store()
    alice, bob = Threads(store.threads, "alice"), Threads(store.threads, "bob")
    started = await alice.create("chat", turns=[Turn(role="user", content="alice's plan")])
    assert started.owner == "alice"
    assert ids(await alice.list()) == [started.id] and await bob.list() == []
    with pytest.raises(ThreadNotFound):
        await bob.get(started.id)
    with pytest.raises(ThreadNotFound):
        await bob.add_turns(started.id, [Turn(role="user", content="bob was here")])
    assert len((await alice.get(started.id)).turns) == 1


async def test_a_version_1_database_gains_owners_from_its_threads(tmp_path: Path) -> None:
    """Threads written before owners had a column keep their owner (it was in the initial context)."""
    path = tmp_path / "zen.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        """CREATE TABLE threads (id TEXT PRIMARY KEY, parent_id TEXT, tool TEXT NOT NULL, created_at REAL NOT NULL,
             updated_at REAL NOT NULL, expires_at REAL NOT NULL, turn_count INTEGER NOT NULL,
             initial_context TEXT NOT NULL, first_prompt TEXT NOT NULL, models TEXT NOT NULL);
           CREATE TABLE turns (thread_id TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL,
             PRIMARY KEY (thread_id, seq)) WITHOUT ROWID;
           CREATE TABLE counters (key TEXT PRIMARY KEY, value REAL NOT NULL, expires_at REAL NOT NULL) WITHOUT ROWID;
           PRAGMA user_version=1;"""
    )
    old = str(uuid.uuid4())
    now = time.time()
    conn.execute(
        "INSERT INTO threads VALUES (?, NULL, 'chat', ?, ?, ?, 0, ?, 'old question', '[]')",
        (old, now, now, now + 3600, json.dumps({"owner": "alice"})),
    )
    conn.commit()
    conn.close()

    store = SQLiteStore(path, ConversationSettings(ttl_hours=1, max_turns=50))
    try:
        assert (await store.threads.get(old, owner="alice")).owner == "alice"
        with pytest.raises(ThreadNotFound):
            await store.threads.get(old, owner="bob")
        assert ids(await store.threads.list_threads(owner="alice")) == [old]
    finally:
        await store.aclose()
