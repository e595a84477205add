"""The consensus request (its JSON schema is what agents see) and the participants it names."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from zen_core import ToolRequest

Stance = Literal["for", "against", "neutral"]
STANCES: tuple[Stance, ...] = ("for", "against", "neutral")
MAX_ROUNDS = 3
MAX_MODELS = 10


class ModelSpec(BaseModel):
    """One model entry with an optional stance."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1)
    stance: Stance = "neutral"
    stance_prompt: str | None = Field(None, description="Replaces the stance instructions.")


class ConsensusRequest(ToolRequest):
    """Arguments of the ``consensus`` tool."""

    prompt: str = Field(min_length=1, description="The question or proposal every model answers.")
    models: list[str | ModelSpec] = Field(
        min_length=2,
        max_length=MAX_MODELS,
        description='Name/alias, "name:for|against|neutral", or {model, stance, stance_prompt}. Repeats allowed.',
    )
    enable_cross_feedback: bool = Field(True, description="Let each model refine after seeing the others.")
    rounds: int = Field(1, ge=1, le=MAX_ROUNDS, description="Cross-feedback rounds.")
    cross_feedback: Literal["always", "on_disagreement"] = Field(
        "always", description="on_disagreement: refine only if the first answers disagree."
    )
    synthesize_with: str | None = Field(None, description="Model that merges the final answers.")
    files: list[str] = Field(default_factory=list, description="Absolute file paths to include.")
    images: list[str] = Field(default_factory=list, description="Absolute image paths or data URLs.")
    temperature: float | None = Field(None, ge=0, le=2)
    continuation_id: str | None = Field(None, description="Continue an earlier conversation.")
    timeout_s: float | None = Field(None, gt=0, le=3600, description="Per-model time limit.")


@dataclass(frozen=True)
class Participant:
    """One requested model slot. ``label`` is unique within a call (``gpt-5:for``, ``gpt-5#2``)."""

    index: int
    label: str
    model: str
    stance: Stance
    stance_prompt: str | None


def split_shorthand(entry: str) -> tuple[str, Stance]:
    """``"gpt-5:against"`` → ``("gpt-5", "against")``. Other suffixes (``llama3:8b``) stay in the name."""
    name, sep, suffix = entry.strip().rpartition(":")
    if sep and name and suffix.strip().lower() in STANCES:
        stance: Stance = suffix.strip().lower()  # type: ignore[assignment]
        return name.strip(), stance
    return entry.strip(), "neutral"


def participants(models: list[str | ModelSpec]) -> list[Participant]:
    """The participants in request order, each with a unique label."""
    specs: list[tuple[str, Stance, str | None]] = []
    for entry in models:
        if isinstance(entry, ModelSpec):
            specs.append((entry.model.strip(), entry.stance, entry.stance_prompt))
        else:
            name, stance = split_shorthand(entry)
            specs.append((name, stance, None))
    bases = [name if stance == "neutral" else f"{name}:{stance}" for name, stance, _ in specs]
    totals = Counter(bases)
    seen: Counter[str] = Counter()
    out: list[Participant] = []
    for index, ((name, stance, stance_prompt), base) in enumerate(zip(specs, bases, strict=True)):
        seen[base] += 1
        label = base if totals[base] == 1 else f"{base}#{seen[base]}"
        out.append(Participant(index, label, name, stance, stance_prompt))
    return out
