"""SQLite backend: restarts, several processes on one file, no blocking of the event loop."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from zen_core.settings import ConfigError, Settings
from zen_core.store import StoreUnavailable, Turn, open_store
from zen_core.store.redis import RedisStore
from zen_core.store.sqlite import SQLiteStore, use_wal

from .conftest import conversation_config

REPO = Path(__file__).resolve().parents[2]


def user(text: str) -> Turn:
    return Turn(role="user", content=text, tool="chat")


async def test_data_survives_closing_and_reopening(tmp_path: Path) -> None:
    path = tmp_path / "data" / "zen.db"
    store = SQLiteStore(path, conversation_config())
    thread = await store.threads.create("chat", initial_context={"prompt": "hi"}, turns=[user("hi")])
    await store.threads.add_turn(thread.id, Turn(role="assistant", content="hello", model="gpt-5"))
    await store.counters.incr("budget", 1.5, 3600)
    await store.aclose()

    reopened = SQLiteStore(path, conversation_config())
    try:
        loaded = await reopened.threads.get(thread.id)
        assert [t.content for t in loaded.turns] == ["hi", "hello"]
        assert loaded.initial_context == {"prompt": "hi"}
        assert await reopened.counters.get("budget") == 1.5
        assert [s.id for s in await reopened.threads.list_threads()] == [thread.id]
    finally:
        await reopened.aclose()
    # Conversations hold code and prompts: the database is private to the user.
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


_APPENDER = textwrap.dedent(
    """
    import asyncio, pathlib, sys, time
    from zen_core.store import ConversationSettings, Turn
    from zen_core.store.sqlite import SQLiteStore, use_wal

    async def main(path, thread_id, name, count):
        store = SQLiteStore(path, ConversationSettings(ttl_hours=1, max_turns=1000))
        await store.ping()
        # Start barrier: both processes append at the same time.
        barrier = pathlib.Path(path).parent
        (barrier / f"ready-{name}").touch()
        while len(list(barrier.glob("ready-*"))) < 2:
            time.sleep(0.002)
        for i in range(count):
            await store.threads.add_turn(thread_id, Turn(role="user", content=f"{name}-{i}"))
            await store.counters.incr("shared", 1, 3600)
        await store.aclose()

    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
    """
)


async def test_two_processes_appending_to_one_thread_lose_no_turn(tmp_path: Path) -> None:
    path = tmp_path / "zen.db"
    store = SQLiteStore(path, conversation_config(max_turns=1000))
    thread = await store.threads.create("chat")
    per_process = 60
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _APPENDER,
            str(path),
            thread.id,
            name,
            str(per_process),
            cwd=REPO,
            stderr=subprocess.PIPE,
        )
        for name in ("a", "b")
    ]
    for proc in procs:
        _, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()

    contents = [t.content for t in (await store.threads.get(thread.id)).turns]
    await store.aclose()
    assert len(contents) == 2 * per_process
    for name in ("a", "b"):  # each process's turns are all there, in its order
        assert [c for c in contents if c.startswith(name)] == [f"{name}-{i}" for i in range(per_process)]
    # The appends really raced: the two processes' turns are interleaved.
    assert {c[0] for c in contents[:per_process]} == {"a", "b"}
    reopened = SQLiteStore(path, conversation_config())
    assert await reopened.counters.get("shared") == 2 * per_process
    await reopened.aclose()


async def test_waiting_for_the_write_lock_does_not_block_the_event_loop(tmp_path: Path) -> None:
    path = tmp_path / "zen.db"
    store = SQLiteStore(path, conversation_config())
    thread = await store.threads.create("chat")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    ticks = 0

    async def heartbeat() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    beat = asyncio.create_task(heartbeat())
    append = asyncio.create_task(store.threads.add_turn(thread.id, user("queued")))
    await asyncio.sleep(0.4)
    assert not append.done()
    assert ticks >= 15  # the loop kept running while the append waited for the lock
    other.execute("COMMIT")
    other.close()
    assert await asyncio.wait_for(append, 5) == 1
    beat.cancel()
    await store.aclose()


async def test_opening_a_new_file_waits_for_another_process_switching_it(tmp_path: Path) -> None:
    """SQLite runs no busy handler for ``PRAGMA journal_mode=WAL``: the workers of a pool opening a new
    file together used to fail their first calls at once with "database is locked"."""
    path = tmp_path / "zen.db"
    other = sqlite3.connect(path, isolation_level=None)
    # Another process opening the new file has the write lock (it got there first, still in rollback mode):
    # for a journal-mode change SQLite then fails at once instead of waiting (its deadlock avoidance).
    other.execute("BEGIN IMMEDIATE")
    store = SQLiteStore(path, conversation_config())
    opening = asyncio.create_task(store.threads.create("chat", turns=[user("first call")]))
    await asyncio.sleep(0.3)
    assert not opening.done()
    other.execute("COMMIT")
    other.close()
    thread = await asyncio.wait_for(opening, 5)
    assert [t.content for t in (await store.threads.get(thread.id)).turns] == ["first call"]
    await store.aclose()
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_switching_to_wal_gives_up_after_its_wait_naming_the_cause(tmp_path: Path) -> None:
    path = tmp_path / "zen.db"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    conn = sqlite3.connect(path, timeout=0.05, isolation_level=None)
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match=r"database is locked \(waited 0.3 s\)"):
        use_wal(conn, within_s=0.3)
    assert time.monotonic() - started >= 0.3
    other.execute("COMMIT")
    use_wal(conn, within_s=0.3)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    other.close()


async def test_unusable_location_and_closed_store_raise_store_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    store = SQLiteStore(blocker / "zen.db", conversation_config())
    with pytest.raises(StoreUnavailable, match="not-a-dir"):
        await store.ping()
    await store.aclose()
    with pytest.raises(StoreUnavailable, match="closed"):
        await store.threads.list_threads()


def _settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name in ("ZEN_REDIS_URL", "ZEN_CONVERSATIONS__MAX_TURNS", "ZEN_CONVERSATIONS__TTL_HOURS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ZEN_DATA_DIR", str(tmp_path / "data"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings(config_dir=tmp_path / "config")


async def test_open_store_defaults_to_sqlite_in_the_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store(_settings(tmp_path, monkeypatch))
    assert isinstance(store, SQLiteStore)
    assert store.description == f"sqlite:{tmp_path / 'data' / 'zen.db'}"
    assert not (tmp_path / "data").exists()  # nothing touched before first use
    # Defaults come from config/conversations.yaml.
    assert (store.threads.ttl_seconds, store.threads.max_turns) == (24 * 3600, 50)
    await store.ping()
    assert (tmp_path / "data" / "zen.db").exists()
    await store.aclose()


async def test_open_store_reads_overrides_and_rejects_bad_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(_settings(tmp_path, monkeypatch, ZEN_CONVERSATIONS__MAX_TURNS="8"))
    assert store.threads.max_turns == 8
    await store.aclose()
    with pytest.raises(ConfigError, match=r"conversations\.ttl_hours"):
        open_store(_settings(tmp_path, monkeypatch, ZEN_CONVERSATIONS__TTL_HOURS="-1"))


async def test_open_store_selects_redis_lazily_and_masks_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "redis://:s3cret@127.0.0.1:1/0"  # nothing listens on port 1
    store = open_store(_settings(tmp_path, monkeypatch, ZEN_REDIS_URL=url))
    assert isinstance(store, RedisStore)
    assert store.description == "redis://:***@127.0.0.1:1/0"
    with pytest.raises(StoreUnavailable) as info:
        await store.ping()
    assert "redis://:***@127.0.0.1:1/0" in info.value.message
    assert "is redis-server running?" in info.value.message
    assert "s3cret" not in info.value.message
    await store.aclose()
    with pytest.raises(ConfigError, match="redis_url"):
        open_store(_settings(tmp_path, monkeypatch, ZEN_REDIS_URL="http://localhost:6379"))
