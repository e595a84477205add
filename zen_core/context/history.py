"""A thread's history rebuilt for a prompt, fitted to a token budget."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from zen_core.store.models import Thread, Turn


@dataclass(frozen=True)
class History:
    """A thread's history fitted to a token budget."""

    #: The selected turns, oldest first, each under a ``--- Turn n (role, model via tool) ---`` header.
    text: str
    #: Files referenced by any turn, newest reference first, each once (the tool embeds them once).
    files: tuple[str, ...]
    #: Images referenced by any turn, newest first, each once.
    images: tuple[str, ...]
    #: How many turns made it into :attr:`text`, and how many (the oldest) were left out.
    included_turns: int
    omitted_turns: int
    #: ``count_tokens(text)``.
    tokens: int


def turn_header(number: int, turn: Turn) -> str:
    """``--- Turn 3 (assistant, gpt-5 via chat) ---``; turns are numbered from 1."""
    label = turn.role + (f", {turn.model}" if turn.model else "") + (f" via {turn.tool}" if turn.tool else "")
    return f"--- Turn {number} ({label}) ---"


def format_turn(number: int, turn: Turn) -> str:
    lines = [turn_header(number, turn)]
    if turn.files:
        lines.append("Files referenced: " + ", ".join(turn.files))
    if turn.images:
        lines.append("Images referenced: " + ", ".join(turn.images))
    lines.append(turn.content)
    return "\n".join(lines)


def _omission_note(omitted: int) -> str:
    plural = "turn was" if omitted == 1 else "turns were"
    return f"[{omitted} earlier {plural} omitted to fit the token budget]"


def _dedupe_newest_first(groups: Iterable[Sequence[str]]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for group in groups:
        for item in group:
            seen.setdefault(item, None)
    return tuple(seen)


def build_history(thread: Thread, *, budget_tokens: int, count_tokens: Callable[[str], int]) -> History:
    """Select turns newest-first while they fit ``budget_tokens``, then present them chronologically.

    Selection stops at the first turn that does not fit, so the history never has gaps; the
    result satisfies ``count_tokens(text) <= budget_tokens``. A note saying how many turns were
    left out leads the text when it fits.
    """
    budget_tokens = max(0, budget_tokens)
    turns = thread.turns
    blocks = [format_turn(number, turn) for number, turn in enumerate(turns, start=1)]
    separator = "\n\n"
    sep_cost = count_tokens(separator)
    selected: list[str] = []
    used = 0
    for block in reversed(blocks):
        cost = count_tokens(block) + (sep_cost if selected else 0)
        if used + cost > budget_tokens:
            break
        selected.append(block)
        used += cost
    selected.reverse()

    def fit(chosen: list[str]) -> tuple[str, int] | None:
        """The rendered text and its cost, with the omission note if it fits, else without."""
        omitted = len(turns) - len(chosen)
        candidates = [[_omission_note(omitted), *chosen]] if omitted and chosen else []
        for parts in [*candidates, chosen]:
            text = separator.join(parts)
            tokens = count_tokens(text) if text else 0
            if tokens <= budget_tokens:
                return text, tokens
        return None

    # Token counts of joined text need not be additive, and the note costs tokens: verify, trim oldest.
    fitted = fit(selected)
    while fitted is None:
        selected.pop(0)
        fitted = fit(selected)
    text, tokens = fitted

    newest_first = list(reversed(turns))
    return History(
        text=text,
        files=_dedupe_newest_first(t.files for t in newest_first),
        images=_dedupe_newest_first(t.images for t in newest_first),
        included_turns=len(selected),
        omitted_turns=len(turns) - len(selected),
        tokens=tokens,
    )
