"""The consensus request (its JSON schema is what agents see) and the participants it names."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from zen_core import ToolRequest

Stance = Literal["for", "against", "neutral"]
STANCES: tuple[Stance, ...] = ("for", "against", "neutral")
MAX_ROUNDS = 3
MAX_MODELS = 10


class ConsensusRequest(ToolRequest):
    """Arguments of the ``consensus`` tool."""

    prompt: str = Field(min_length=1, description="The question or proposal every model answers.")
    models: list[str] = Field(
        min_length=2, max_length=MAX_MODELS, description='Names; "name:for|against" gives a stance. Repeats allowed.'
    )
    rounds: int = Field(
        1, ge=0, le=MAX_ROUNDS, description="Rounds refining after seeing the others (stop once all agree)."
    )
    synthesize_with: str | None = Field(None, description='Model merging the answers; "auto": one not answering.')
    files: list[str] = Field(default_factory=list, description="Absolute file paths to include.")
    images: list[str] = Field(default_factory=list, description="Absolute image paths or data URLs.")
    temperature: float | None = Field(None, ge=0, le=2)
    continuation_id: str | None = Field(None, description="Continue a conversation.")
    timeout_s: float | None = Field(None, gt=0, le=3600, description="Per-model time limit.")


@dataclass(frozen=True)
class Participant:
    """One requested model slot. ``label`` is unique within a call (``gpt-5:for``, ``gpt-5#2``)."""

    index: int
    label: str
    model: str
    stance: Stance


def split_shorthand(entry: str) -> tuple[str, Stance]:
    """``"gpt-5:against"`` → ``("gpt-5", "against")``. Other suffixes (``llama3:8b``) stay in the name."""
    name, sep, suffix = entry.strip().rpartition(":")
    if sep and name and suffix.strip().lower() in STANCES:
        stance: Stance = suffix.strip().lower()  # type: ignore[assignment]
        return name.strip(), stance
    return entry.strip(), "neutral"


def participants(models: list[str]) -> list[Participant]:
    """The participants in request order, each with a unique label."""
    specs = [split_shorthand(entry) for entry in models]
    bases = [name if stance == "neutral" else f"{name}:{stance}" for name, stance in specs]
    totals = Counter(bases)
    seen: Counter[str] = Counter()
    out: list[Participant] = []
    for index, ((name, stance), base) in enumerate(zip(specs, bases, strict=True)):
        seen[base] += 1
        label = base if totals[base] == 1 else f"{base}#{seen[base]}"
        out.append(Participant(index, label, name, stance))
    return out
