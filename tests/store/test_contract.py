"""The behaviour every backend must have (run against real SQLite and a real redis-server)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from zen_core.calls.tool import ToolError
from zen_core.store import ThreadFull, ThreadNotFound, Turn

from .conftest import StoreFactory


def user(text: str, tool: str = "chat", files: list[str] | None = None) -> Turn:
    return Turn(role="user", content=text, tool=tool, files=files or [])


def assistant(text: str, model: str = "gpt-5", tool: str = "chat", metadata: dict[str, Any] | None = None) -> Turn:
    return Turn(role="assistant", content=text, tool=tool, model=model, metadata=metadata or {})


async def test_create_and_get_round_trip(make_store: StoreFactory) -> None:
    threads = (await make_store()).threads
    parent = await threads.create("chat")
    created = await threads.create(
        "codereview",
        initial_context={"prompt": "review auth", "files": ["/src/auth.py"], "temperature": 0.2},
        parent_id=parent.id,
        turns=[user("review auth", "codereview", ["/src/auth.py"])],
    )
    assert uuid.UUID(created.id).version == 4
    assert created.expires_at > created.updated_at

    loaded = await threads.get(created.id)
    assert loaded.id == created.id
    assert loaded.parent_id == parent.id
    assert loaded.tool == "codereview"
    assert loaded.initial_context == {"prompt": "review auth", "files": ["/src/auth.py"], "temperature": 0.2}
    assert loaded.turns == created.turns
    assert loaded.created_at == created.created_at
    assert loaded.updated_at == created.updated_at
    assert (await threads.get(parent.id)).parent_id is None
    # Ids are accepted in any case, as agents sometimes re-type them.
    assert (await threads.get(created.id.upper())).id == created.id


async def test_add_turn_appends_in_order_and_any_tool_may_continue(make_store: StoreFactory) -> None:
    threads = (await make_store()).threads
    thread = await threads.create("chat", turns=[user("hello")])
    usage = {"input_tokens": 12, "output_tokens": 30, "cost_usd": 0.0012}
    assert await threads.add_turn(thread.id, assistant("hi there", metadata=usage)) == 2
    # A different tool and model continue the same thread.
    count = await threads.add_turns(
        thread.id,
        [user("now debug it", "debug", ["/a.py"]), assistant("found it", "gemini-2.5-pro", "debug")],
    )
    assert count == 4

    loaded = await threads.get(thread.id)
    assert [t.content for t in loaded.turns] == ["hello", "hi there", "now debug it", "found it"]
    assert [t.tool for t in loaded.turns] == ["chat", "chat", "debug", "debug"]
    assert loaded.turns[1].metadata == usage
    assert loaded.turns[2].files == ["/a.py"]
    assert loaded.last_model == "gemini-2.5-pro"
    assert loaded.updated_at > thread.updated_at
    assert loaded.expires_at > thread.expires_at  # every append refreshes the TTL


async def test_unknown_and_malformed_ids(make_store: StoreFactory) -> None:
    threads = (await make_store()).threads
    missing = str(uuid.uuid4())
    for call in (threads.get(missing), threads.add_turn(missing, user("x"))):
        with pytest.raises(ThreadNotFound) as info:
            await call
        assert isinstance(info.value, ToolError)
        assert info.value.code == "thread_not_found"
        assert missing in info.value.message
        assert "without continuation_id" in info.value.message
    with pytest.raises(ThreadNotFound, match="not a valid continuation_id"):
        await threads.get("not-a-uuid")
    assert await threads.delete(missing) is False


async def test_max_turns_is_enforced_atomically(make_store: StoreFactory) -> None:
    threads = (await make_store(max_turns=4)).threads
    thread = await threads.create("chat", turns=[user("1")])
    with pytest.raises(ThreadFull) as info:
        await threads.add_turns(thread.id, [assistant("2"), user("3"), assistant("4"), user("5")])
    assert isinstance(info.value, ToolError)
    assert "limit of 4 turns" in info.value.message
    assert "without continuation_id" in info.value.message
    assert len((await threads.get(thread.id)).turns) == 1  # all or nothing

    assert await threads.add_turns(thread.id, [assistant("2"), user("3"), assistant("4")]) == 4
    with pytest.raises(ThreadFull):
        await threads.add_turn(thread.id, user("5"))
    assert [t.content for t in (await threads.get(thread.id)).turns] == ["1", "2", "3", "4"]
    with pytest.raises(ThreadFull):
        await threads.create("chat", turns=[user(str(i)) for i in range(5)])


async def test_ttl_expiry_and_refresh_on_append(make_store: StoreFactory) -> None:
    threads = (await make_store(ttl_seconds=1.5)).threads
    thread = await threads.create("chat", turns=[user("hello")])
    await asyncio.sleep(0.9)
    await threads.add_turn(thread.id, assistant("hi"))  # restarts the clock
    await asyncio.sleep(0.9)  # 1.8 s after creation (0.3 s past its first expiry), 0.9 s after the append
    assert len((await threads.get(thread.id)).turns) == 2
    assert [s.id for s in await threads.list_threads()] == [thread.id]

    await asyncio.sleep(1.6)
    with pytest.raises(ThreadNotFound, match="expired"):
        await threads.get(thread.id)
    with pytest.raises(ThreadNotFound):
        await threads.add_turn(thread.id, user("again"))
    assert await threads.list_threads() == []


async def test_list_threads_newest_first_with_summaries(make_store: StoreFactory) -> None:
    threads = (await make_store()).threads
    long_prompt = "Please review   this\nmodule " + "very " * 60 + "carefully"
    first = await threads.create("codereview", turns=[user(long_prompt, "codereview")])
    second = await threads.create("chat", initial_context={"prompt": "from context"})
    third = await threads.create("chat", turns=[user("third")])
    await asyncio.sleep(0.01)
    await threads.add_turns(first.id, [assistant("ok", "gpt-5", "codereview"), user("more"), assistant("x", "o3")])

    summaries = await threads.list_threads()
    assert [s.id for s in summaries] == [first.id, third.id, second.id]
    top = summaries[0]
    assert top.tool == "codereview"
    assert top.turn_count == 4
    assert top.models == ["gpt-5", "o3"]
    assert top.first_prompt.startswith("Please review this module very")
    assert len(top.first_prompt) <= 120 and top.first_prompt.endswith("…")
    assert top.age_seconds >= 0
    assert summaries[2].first_prompt == "from context" and summaries[2].turn_count == 0

    assert [s.id for s in await threads.list_threads(limit=2)] == [first.id, third.id]
    assert await threads.delete(third.id) is True
    assert [s.id for s in await threads.list_threads()] == [first.id, second.id]
    with pytest.raises(ThreadNotFound):
        await threads.get(third.id)


async def test_concurrent_appends_to_one_thread_lose_nothing(make_store: StoreFactory) -> None:
    store_a, store_b = await make_store(max_turns=100), await make_store(max_turns=100)
    thread = await store_a.threads.create("chat")
    # Two store objects stand for two processes / instances sharing the backend.
    results = await asyncio.gather(
        *((store_a if i % 2 else store_b).threads.add_turn(thread.id, user(f"turn {i}")) for i in range(40))
    )
    assert sorted(results) == list(range(1, 41))
    contents = [t.content for t in (await store_b.threads.get(thread.id)).turns]
    assert sorted(contents) == sorted(f"turn {i}" for i in range(40))


async def test_fifty_concurrent_continuations(make_store: StoreFactory) -> None:
    threads = (await make_store()).threads
    created = await asyncio.gather(*(threads.create("chat", turns=[user(f"q{i}")]) for i in range(50)))

    async def continue_thread(i: int) -> None:
        thread = await threads.get(created[i].id)
        await threads.add_turn(thread.id, assistant(f"a{i}"))
        await threads.add_turn(thread.id, user(f"q{i}-2", "debug"))

    await asyncio.gather(*(continue_thread(i) for i in range(50)))
    loaded = await asyncio.gather(*(threads.get(t.id) for t in created))
    for i, thread in enumerate(loaded):
        assert [t.content for t in thread.turns] == [f"q{i}", f"a{i}", f"q{i}-2"]
    assert len(await threads.list_threads(limit=100)) == 50


async def test_counters_incr_get_and_expiry(make_store: StoreFactory) -> None:
    store = await make_store()
    counters = store.counters
    assert await counters.get("missing") == 0.0
    assert await counters.incr("cost:day", 0.25, 60) == pytest.approx(0.25)
    assert await counters.incr("cost:day", 0.5, 60) == pytest.approx(0.75)
    assert await counters.get("cost:day") == pytest.approx(0.75)

    results = await asyncio.gather(*(counters.incr("rpm", 1, 60) for _ in range(50)))
    assert sorted(results) == [float(n) for n in range(1, 51)]

    assert await counters.incr("window", 1, 1) == 1.0
    await asyncio.sleep(0.6)
    assert await counters.incr("window", 2, 1) == 3.0  # the expiry is not pushed back by increments
    await asyncio.sleep(0.6)
    assert await counters.get("window") == 0.0
    assert await counters.incr("window", 5, 1) == 5.0  # a new window starts from zero


async def test_ping_and_description(make_store: StoreFactory) -> None:
    store = await make_store()
    await store.ping()
    assert store.description.startswith(("sqlite:", "redis://"))


async def test_close_is_idempotent_and_needs_no_prior_use(make_store: StoreFactory) -> None:
    unused = await make_store()
    await unused.aclose()
    used = await make_store()
    await used.threads.create("chat")
    await used.aclose()
    await used.aclose()
