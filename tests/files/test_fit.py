"""fit_files on real files: work bounded by the budget, decisions exactly those of counting whole files."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zen_core.context.files import FileContext, fit_files, format_file


def words(text: str) -> int:
    return len(text.split())


def quarter_chars(text: str) -> int:
    """A tokenizer shaped like BPE: about four characters a token, never merging across a cut."""
    return (len(text) + 3) // 4


class Seen:
    """A counting function that records how many characters it was given."""

    def __init__(self, count: Callable[[str], int] = words) -> None:
        self.count = count
        self.calls: list[int] = []

    def __call__(self, text: str) -> int:
        self.calls.append(len(text))
        return self.count(text)

    @property
    def chars(self) -> int:
        return sum(self.calls)


def reference(files: Iterable[Path], budget: int, count: Callable[[str], int]) -> FileContext:
    """What fit_files must decide: read each file whole, count its block exactly, keep it if it fits."""
    sep_cost = max(count("\n\n"), 1)
    blocks: list[str] = []
    included: list[str] = []
    used = 0
    for path in files:
        block = format_file(path, path.read_text(encoding="utf-8", errors="replace"))
        cost = count(block) + (sep_cost if blocks else 0)
        if cost <= budget - used:
            blocks.append(block)
            included.append(str(path))
            used += cost
    return FileContext("\n\n".join(blocks), included, [], used)


LINE = "word " * 15 + "\n"  # 15 tokens, 76 characters


def test_a_file_far_larger_than_the_budget_is_excluded_after_counting_about_the_budget(tmp_path: Path) -> None:
    huge = tmp_path / "huge.log"
    huge.write_text(LINE * 200_000)  # 15 MB, 3 million tokens
    small = tmp_path / "small.py"
    small.write_text("x = 1\n")
    seen = Seen()
    budget = 1000
    ctx = fit_files([huge, small], budget_tokens=budget, count_tokens=seen)
    assert ctx.included == [str(small)]
    [excluded] = ctx.excluded
    assert excluded.path == str(huge)
    assert excluded.tokens is not None and excluded.tokens > budget
    assert excluded.reason == (
        f"needs more than {excluded.tokens:,} tokens (counting stopped there) but only {budget:,} "
        f"of the {budget:,}-token file budget were left"
    )
    budget_chars = budget * len(LINE) // 15  # the text the budget can hold
    assert seen.chars < 3 * budget_chars, seen.calls


def test_a_file_that_does_not_fit_what_is_left_is_counted_only_up_to_what_is_left(tmp_path: Path) -> None:
    first = tmp_path / "first.txt"
    first.write_text(LINE * 50)
    big = tmp_path / "big.txt"
    big.write_text(LINE * 20_000)
    seen = Seen()
    budget = 20_000
    ctx = fit_files([first, big], budget_tokens=budget, count_tokens=seen)
    assert ctx.included == [str(first)]
    left = budget - ctx.tokens
    assert f"but only {left:,} of the 20,000-token file budget were left" in ctx.excluded[0].reason
    big_calls = seen.calls[2:]  # the separator, then the first file whole
    assert sum(big_calls) < 3 * left * len(LINE) // 15, big_calls


def test_reading_stops_once_the_file_cannot_fit(tmp_path: Path) -> None:
    """A FIFO shows how much was read: the writer is stopped (broken pipe) as soon as fit_files closes it."""
    fifo = tmp_path / "stream.txt"
    os.mkfifo(fifo)
    total = 30_000_000
    written = 0

    def writer() -> None:
        nonlocal written
        block = (LINE * 1000).encode()
        try:
            with open(fifo, "wb") as sink:
                while written < total:
                    sink.write(block)
                    sink.flush()
                    written += len(block)
        except BrokenPipeError:
            pass

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    ctx = fit_files([fifo], budget_tokens=1000, count_tokens=words)
    thread.join(timeout=60)
    assert ctx.included == []
    assert written < 2_000_000, f"{written:,} bytes were read for a 1,000-token budget"


def test_a_file_whose_exact_count_is_exactly_what_is_left_is_included_whatever_its_size(tmp_path: Path) -> None:
    """Few tokens per character: the file is far longer than a first read, and still fits exactly."""
    sparse = tmp_path / "sparse.txt"
    sparse.write_text(("a" * 200 + "\n") * 2000)  # 402,000 characters, about 4,000 tokens
    exact = words(format_file(sparse, sparse.read_text()))
    ctx = fit_files([sparse], budget_tokens=exact, count_tokens=words)
    assert ctx.included == [str(sparse)]
    assert ctx.tokens == exact
    ctx = fit_files([sparse], budget_tokens=exact - 1, count_tokens=words)
    assert ctx.included == []
    assert ctx.excluded[0].tokens == exact


def test_a_single_huge_line_is_read_in_chunks_too(tmp_path: Path) -> None:
    minified = tmp_path / "bundle.min.js"
    minified.write_text("var a=1;" * 2_000_000)  # 16 MB, no newline; one token per 8 characters
    seen = Seen(quarter_chars)
    ctx = fit_files([minified], budget_tokens=1000, count_tokens=seen)
    assert ctx.included == []
    assert seen.chars < 3 * 4 * 1000, seen.calls


def test_a_custom_reader_is_still_used(tmp_path: Path) -> None:
    path = tmp_path / "virtual.py"
    ctx = fit_files([path], budget_tokens=100, count_tokens=words, read=lambda p: f"from {p.name}\n")
    assert ctx.included == [str(path)]
    assert "1| from virtual.py" in ctx.text


def test_a_custom_reader_is_counted_in_chunks(tmp_path: Path) -> None:
    seen = Seen()
    ctx = fit_files([tmp_path / "big"], budget_tokens=500, count_tokens=seen, read=lambda p: LINE * 100_000)
    assert ctx.included == []
    assert seen.chars < 3 * 500 * len(LINE) // 15


TEXTS = st.lists(
    st.tuples(
        st.sampled_from(["w ", "word ", "a" * 97 + " ", "\n", "x" * 300, "é ", "\t\t", "}\n\n"]),
        st.integers(min_value=0, max_value=1200),
    ),
    max_size=4,
)


@settings(max_examples=60, deadline=None)
@given(
    files=st.lists(TEXTS, max_size=4),
    budget=st.one_of(st.integers(0, 3_000), st.integers(0, 30_000)),
    counter=st.sampled_from([words, quarter_chars]),
)
def test_decisions_are_those_of_counting_each_file_whole(
    tmp_path_factory: pytest.TempPathFactory,
    files: list[list[tuple[str, int]]],
    budget: int,
    counter: Callable[[str], int],
) -> None:
    base = tmp_path_factory.mktemp("exact")
    paths = []
    for i, pieces in enumerate(files):
        path = base / f"f{i}.txt"
        path.write_text("".join(piece * times for piece, times in pieces), encoding="utf-8")
        paths.append(path)
    ctx = fit_files(paths, budget_tokens=budget, count_tokens=counter)
    expected = reference(paths, budget, counter)
    assert ctx.included == expected.included
    assert ctx.tokens == expected.tokens
    assert ctx.text == expected.text
    assert [e.path for e in ctx.excluded] == [str(p) for p in paths if str(p) not in expected.included]
    for excluded in ctx.excluded:
        assert excluded.tokens is not None and excluded.tokens > 0
