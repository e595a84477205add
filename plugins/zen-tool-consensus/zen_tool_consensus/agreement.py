"""Reading each model's position from its answer, and how far the models agree.

Every model is asked to end its answer with ``POSITION: support|oppose|neutral`` (and, when refining,
``POSITION CHANGED: yes|no``). The last such line wins; common synonyms are accepted; anything else,
or no line at all, is ``unclear``.

Agreement counts **all requested models**, so a failed model always lowers it:

- ``unanimous``: every model answered and all share one clear position;
- ``majority``: one clear position is held by more than half of the requested models;
- ``split``: anything else.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

Position = Literal["support", "oppose", "neutral", "unclear"]
Level = Literal["unanimous", "majority", "split"]

_SYNONYMS: dict[str, Position] = {
    **dict.fromkeys(("support", "supports", "for", "yes", "agree", "approve", "accept", "pro", "in favor"), "support"),
    **dict.fromkeys(("oppose", "opposes", "against", "no", "disagree", "reject", "con", "object"), "oppose"),
    **dict.fromkeys(("neutral", "mixed", "undecided", "depends", "abstain", "unsure"), "neutral"),
}
_MARKUP = re.compile(r"[*_`#>\"'\[\]()]")
_LABELLED = re.compile(r"^\s*(?:final\s+|my\s+|overall\s+)?position(\s+changed)?\s*[:=\-–]\s*(.*)$")


def _labelled_lines(text: str, changed: bool) -> list[str]:
    """Values of ``POSITION:`` (or ``POSITION CHANGED:``) lines, markdown removed, lower-cased."""
    values = []
    for line in (text or "").splitlines():
        match = _LABELLED.match(_MARKUP.sub("", line).lower())
        if match and bool(match.group(1)) == changed:
            values.append(" ".join(match.group(2).split()))
    return values


def _first_word(value: str, vocabulary: dict[str, Position]) -> Position | None:
    for key in sorted(vocabulary, key=len, reverse=True):
        if value == key or re.match(re.escape(key) + r"\b", value):
            return vocabulary[key]
    return None


def parse_position(text: str) -> Position:
    """The position a model declared in its last ``POSITION:`` line (``unclear`` when none is understood)."""
    values = _labelled_lines(text, changed=False)
    if not values:
        return "unclear"
    return _first_word(values[-1], _SYNONYMS) or "unclear"


def parse_changed(text: str) -> bool | None:
    """Whether a refined answer says its position changed (``None`` when it does not say)."""
    values = _labelled_lines(text, changed=True)
    if not values:
        return None
    word = values[-1].split(" ", 1)[0].strip(".,;:!")
    return True if word in ("yes", "true") else False if word in ("no", "false") else None


@dataclass(frozen=True)
class Agreement:
    """How far the models agree, over all requested models."""

    level: Level
    #: The position held by the most models (``None`` when no clear position leads alone).
    leading_position: Position | None
    #: Clear positions and ``unclear`` / ``failed`` counted over all requested models.
    counts: dict[str, int]
    #: Label → final position (``failed`` for a model without any answer).
    positions: dict[str, str]
    failed: list[str]
    requested: int

    @property
    def summary(self) -> str:
        parts = [f"{n} {name}" for name, n in sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))]
        text = f"{self.level}: " + ", ".join(parts) + f" (of {self.requested} models)"
        if self.failed:
            text += "; failed: " + ", ".join(self.failed)
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "leading_position": self.leading_position,
            "counts": self.counts,
            "positions": self.positions,
            "failed": self.failed,
            "requested": self.requested,
            "summary": self.summary,
        }


def agreement(positions: Sequence[tuple[str, Position | None]]) -> Agreement:
    """Agreement of ``(label, position)`` pairs; ``None`` marks a model that failed."""
    requested = len(positions)
    final = {label: (pos if pos is not None else "failed") for label, pos in positions}
    counts = Counter(final.values())
    failed = [label for label, pos in positions if pos is None]
    clear = Counter({p: n for p, n in counts.items() if p in ("support", "oppose", "neutral")})
    ranked = clear.most_common()
    leading: Position | None = None
    if ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
        leading = ranked[0][0]  # type: ignore[assignment]
    level: Level = "split"
    if requested and leading is not None and clear[leading] == requested:
        level = "unanimous"
    elif leading is not None and clear[leading] * 2 > requested:
        level = "majority"
    return Agreement(level, leading, dict(counts), final, failed, requested)


def answers_agree(positions: Sequence[Position]) -> bool:
    """Whether the answers that exist share one clear position (used to skip cross-feedback)."""
    return len(positions) >= 2 and len(set(positions)) == 1 and positions[0] != "unclear"
