"""Data model of the conversation store: threads, turns, summaries and the ``conversations`` settings."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: Length of :attr:`ThreadSummary.first_prompt` before it is cut with an ellipsis.
FIRST_PROMPT_CHARS = 120


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


def new_thread_id() -> str:
    return str(uuid.uuid4())


class ConversationSettings(BaseModel):
    """The ``conversations`` settings section (defaults live in ``config/conversations.yaml``)."""

    model_config = ConfigDict(extra="forbid")

    ttl_hours: float = Field(gt=0, description="Hours a thread lives after its last turn.")
    max_turns: int = Field(ge=2, description="Most turns (user and assistant together) one thread holds.")

    @property
    def ttl_seconds(self) -> float:
        return self.ttl_hours * 3600.0


class Turn(BaseModel):
    """One message of a conversation."""

    role: Literal["user", "assistant"]
    content: str
    files: list[str] = Field(default_factory=list, description="Paths the turn referenced.")
    images: list[str] = Field(default_factory=list, description="Image paths or data URLs it referenced.")
    tool: str | None = Field(default=None, description="The tool that handled the turn.")
    model: str | None = Field(default=None, description="The model that produced an assistant turn.")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Usage, cost and tool-specific state.")
    created_at: datetime = Field(default_factory=utcnow)


class Thread(BaseModel):
    """A conversation: its identity, the context it was started with, and its turns (oldest first)."""

    id: str
    parent_id: str | None = None
    tool: str
    #: The API key that started the thread (``None``: no key — stdio or an open HTTP server).
    owner: str | None = None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    initial_context: dict[str, Any] = Field(default_factory=dict)
    turns: list[Turn] = Field(default_factory=list)

    @property
    def last_model(self) -> str | None:
        """The model of the newest assistant turn (the default when continuing without a model)."""
        for turn in reversed(self.turns):
            if turn.role == "assistant" and turn.model:
                return turn.model
        return None


class ThreadSummary(BaseModel):
    """One row of ``list_threads``: enough to recognise a conversation and resume it."""

    id: str
    tool: str
    first_prompt: str
    models: list[str]
    created_at: datetime
    updated_at: datetime
    age_seconds: float = Field(description="Seconds since the thread was created, when it was listed.")
    turn_count: int


def first_prompt_of(turns: list[Turn], initial_context: dict[str, Any]) -> str:
    """The thread's opening request, whitespace-collapsed and cut to :data:`FIRST_PROMPT_CHARS`."""
    text = next((t.content for t in turns if t.role == "user"), None)
    if text is None:
        prompt = initial_context.get("prompt")
        text = prompt if isinstance(prompt, str) else ""
    return truncate(text)


def truncate(text: str, limit: int = FIRST_PROMPT_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def merge_models(models: list[str], turns: list[Turn]) -> list[str]:
    """``models`` extended with the models of ``turns`` not seen yet, in order of first use."""
    merged = list(models)
    for turn in turns:
        if turn.model and turn.model not in merged:
            merged.append(turn.model)
    return merged
