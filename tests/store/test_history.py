"""History rebuilding and the threads table (pure functions)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from zen_core.context.history import build_history, format_turn
from zen_core.store import Thread, ThreadSummary, Turn, format_age, format_thread_table

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)


def words(text: str) -> int:
    return len(text.split())


def make_thread(turns: list[Turn]) -> Thread:
    return Thread(
        id="6f1c1d2e-0000-4000-8000-000000000000",
        tool="chat",
        created_at=NOW,
        updated_at=NOW,
        expires_at=NOW + timedelta(hours=1),
        turns=turns,
    )


def conversation(n: int, size: int = 10) -> list[Turn]:
    return [
        Turn(role="user", content=f"question {i} " + "w " * size, tool="chat")
        if i % 2 == 0
        else Turn(role="assistant", content=f"answer {i} " + "w " * size, tool="chat", model="gpt-5")
        for i in range(n)
    ]


def test_everything_fits_chronologically_with_headers() -> None:
    thread = make_thread(
        [
            Turn(role="user", content="Why does login fail?", tool="chat", files=["/src/auth.py"]),
            Turn(role="assistant", content="The token expires.", tool="chat", model="gpt-5"),
            Turn(role="user", content="Fix it", tool="debug", images=["/tmp/shot.png"]),
        ]
    )
    history = build_history(thread, budget_tokens=10_000, count_tokens=words)
    assert history.omitted_turns == 0 and history.included_turns == 3
    assert history.text == (
        "--- Turn 1 (user via chat) ---\nFiles referenced: /src/auth.py\nWhy does login fail?\n\n"
        "--- Turn 2 (assistant, gpt-5 via chat) ---\nThe token expires.\n\n"
        "--- Turn 3 (user via debug) ---\nImages referenced: /tmp/shot.png\nFix it"
    )
    assert history.tokens == words(history.text)
    assert history.images == ("/tmp/shot.png",)


def test_budget_keeps_the_newest_turns_and_notes_the_omission() -> None:
    thread = make_thread(conversation(10))
    per_turn = words(format_turn(1, thread.turns[0]))
    history = build_history(thread, budget_tokens=per_turn * 3 + 12, count_tokens=words)
    assert history.tokens <= per_turn * 3 + 12
    numbers = [int(n) for n in re.findall(r"--- Turn (\d+) ", history.text)]
    assert numbers == [8, 9, 10]
    assert history.omitted_turns == 7
    assert history.text.startswith("[7 earlier turns were omitted to fit the token budget]")
    assert "answer 9" in history.text and "question 6" not in history.text


def test_zero_budget_and_empty_thread() -> None:
    empty = build_history(make_thread([]), budget_tokens=100, count_tokens=words)
    assert (empty.text, empty.files, empty.included_turns, empty.omitted_turns) == ("", (), 0, 0)
    starved = build_history(make_thread(conversation(4)), budget_tokens=0, count_tokens=words)
    assert (starved.text, starved.tokens, starved.omitted_turns) == ("", 0, 4)


def test_files_are_deduplicated_newest_first_across_all_turns() -> None:
    thread = make_thread(
        [
            Turn(role="user", content="one " * 50, files=["/a.py", "/b.py"]),
            Turn(role="assistant", content="two", files=["/c.py"]),
            Turn(role="user", content="three", files=["/b.py", "/d.py"]),
            Turn(role="user", content="four", files=["/a.py"]),
        ]
    )
    history = build_history(thread, budget_tokens=40, count_tokens=words)
    assert history.omitted_turns == 1  # the first turn does not fit ...
    assert history.files == ("/a.py", "/b.py", "/d.py", "/c.py")  # ... but its files still count


@settings(max_examples=150, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=40), max_size=12),
    budget=st.integers(min_value=0, max_value=300),
)
def test_property_budget_respected_and_newest_suffix_kept(sizes: list[int], budget: int) -> None:
    turns = [Turn(role="user" if i % 2 == 0 else "assistant", content="x " * s) for i, s in enumerate(sizes)]
    history = build_history(make_thread(turns), budget_tokens=budget, count_tokens=words)
    assert history.tokens == words(history.text) <= budget
    assert history.included_turns + history.omitted_turns == len(turns)
    numbers = [int(n) for n in re.findall(r"--- Turn (\d+) ", history.text)]
    assert numbers == list(range(len(turns) - history.included_turns + 1, len(turns) + 1))
    if history.omitted_turns and history.included_turns == 0:
        # Not even the newest turn fits on its own.
        assert words(format_turn(len(turns), turns[-1])) > budget


def test_thread_table_and_ages() -> None:
    summaries = [
        ThreadSummary(
            id="6f1c1d2e-0000-4000-8000-000000000001",
            tool="codereview",
            first_prompt="Review the auth module " * 8,
            models=["gpt-5", "o3"],
            created_at=NOW,
            updated_at=NOW,
            age_seconds=3 * 3600 + 300,
            turn_count=4,
        ),
        ThreadSummary(
            id="6f1c1d2e-0000-4000-8000-000000000002",
            tool="chat",
            first_prompt="",
            models=[],
            created_at=NOW,
            updated_at=NOW,
            age_seconds=42,
            turn_count=0,
        ),
    ]
    table = format_thread_table(summaries).splitlines()
    assert table[0].split() == ["CONTINUATION", "ID", "TOOL", "TURNS", "AGE", "UPDATED", "MODELS", "FIRST", "PROMPT"]
    assert table[1].startswith("6f1c1d2e-0000-4000-8000-000000000001  codereview")
    assert "3h05m" in table[1] and "gpt-5, o3" in table[1] and table[1].endswith("…")
    assert table[2].split()[:4] == ["6f1c1d2e-0000-4000-8000-000000000002", "chat", "0", "42s"]
    # Columns line up.
    assert table[1].index("codereview") == table[2].index("chat") == table[0].index("TOOL")
    assert format_thread_table([]) == "No active conversations."
    ages = [format_age(s) for s in (0, 59, 60, 3599, 3600, 86400 + 7200)]
    assert ages == ["0s", "59s", "1m", "59m", "1h00m", "1d02h"]
