"""The clink request model (its JSON schema is what agents see: every token costs them context)."""

from __future__ import annotations

from pydantic import Field

from zen_core import ToolRequest


class ClinkRequest(ToolRequest):
    prompt: str = Field(min_length=1, description="The task or question for the CLI agent.")
    cli: str | None = Field(None, description="gemini, codex, claude, opencode or another configured CLI.")
    role: str = Field("default", description="default, planner, codereviewer or a configured role.")
    files: list[str] = Field(default_factory=list, description="Absolute paths the CLI should read.")
    working_dir: str | None = Field(None, description="Absolute directory to run in (default: Zen's).")
    continuation_id: str | None = Field(None, description="Continue a conversation.")
    timeout_s: float | None = Field(None, gt=0, le=3600, description="Time limit in seconds.")
