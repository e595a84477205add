"""The chat request model (its JSON schema is what agents see: every token costs them context)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from zen_core import ToolRequest

ThinkingMode = Literal["minimal", "low", "medium", "high", "max"]

#: ``thinking_mode`` → LiteLLM ``reasoning_effort`` (LiteLLM maps it to each provider's thinking budget).
REASONING_EFFORT: dict[str, str] = {
    "minimal": "minimal",
    "low": "low",
    "medium": "medium",
    "high": "high",
    "max": "high",
}


class ChatRequest(ToolRequest):
    prompt: str = Field("", description="Your question, with the context the model needs.")
    model: str | None = Field(None, description="See listmodels.")
    files: list[str] = Field(default_factory=list, description="Absolute paths of files or directories to include.")
    images: list[str] = Field(default_factory=list, description="Absolute image paths or data URLs (vision models).")
    continuation_id: str | None = Field(None, description="Continue a conversation.")
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, gt=0, description="Answer length limit.")
    thinking_mode: ThinkingMode | None = Field(None, description="Reasoning depth, where the model supports it.")
    page: int | None = Field(None, ge=1, description="Get page N of a long answer (with its continuation_id).")
    timeout_s: float | None = Field(None, gt=0, le=3600, description="Time limit for the model, in seconds.")
