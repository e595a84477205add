"""The chat request model and its compact JSON schema (every schema token costs the calling agent context)."""

from __future__ import annotations

from typing import Any, Literal

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
    model: str | None = Field(None, description="Model name or alias (see listmodels).")
    files: list[str] = Field(default_factory=list, description="Absolute paths of files or directories to include.")
    images: list[str] = Field(default_factory=list, description="Absolute image paths or data URLs (vision models).")
    continuation_id: str | None = Field(None, description="Continue an earlier conversation (from any tool).")
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, gt=0, description="Answer length limit.")
    thinking_mode: ThinkingMode | None = Field(None, description="Reasoning depth, where the model supports it.")
    page: int | None = Field(None, ge=1, description="Get page N of a long answer (with its continuation_id).")


def compact_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop titles and ``null`` defaults and turn ``anyOf[X, null]`` into ``X``: same meaning, fewer tokens."""
    props: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        prop = {k: v for k, v in prop.items() if k != "title" and not (k == "default" and v in (None, [], ""))}
        options = prop.pop("anyOf", None)
        if options is not None:
            kept = [o for o in options if o.get("type") != "null"]
            if len(kept) == 1:
                prop = {**kept[0], **prop}
            else:
                prop["anyOf"] = kept
        props[name] = prop
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if schema.get("required"):
        out["required"] = schema["required"]
    return out
