"""The request models of the three tools (their JSON schemas are what agents see: every token costs them
context on every turn, so fields are few, descriptions short, defaults sensible)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from zen_core import ToolRequest

Severity = Literal["critical", "high", "medium", "low"]
Focus = Literal["all", "security", "performance", "quality"]
#: Most models one call may ask (plugin setting ``max_models`` can lower it).
MAX_MODELS = 5

ModelField = Annotated[str | None, Field(None, description="See listmodels.")]
#: At most MAX_MODELS (checked when the call runs, to keep the schema small).
ModelsField = Annotated[list[str], Field(default_factory=list, description="Several, in parallel.")]
MinSeverity = Annotated[Severity, Field("low")]
ContinuationField = Annotated[str | None, Field(None, description="Continue a conversation.")]


# Which git changes codereview reviews (no docstring: it would go into the schema every agent reads).
class DiffSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    repo: str = Field(description="Absolute path of the git repo.")
    base: str | None = Field(None, description="Ref to diff against (default HEAD).")
    changes: Literal["all", "staged", "unstaged"] = "all"


class CodeReviewRequest(ToolRequest):
    files: list[str] = Field(default_factory=list, description="Absolute file or directory paths.")
    diff: DiffSpec | None = None
    focus: Focus = "all"
    min_severity: MinSeverity
    prompt: str | None = Field(None, description="What the code does or what to check.")
    model: ModelField
    models: ModelsField
    continuation_id: ContinuationField


class PrecommitRequest(ToolRequest):
    path: str = Field(description="Absolute path of the git repo.")
    compare_to: str | None = Field(None, description="Ref to compare against (default HEAD).")
    staged: bool = True
    unstaged: bool = True
    untracked: bool = False
    prompt: str | None = Field(None, description="What the change should do.")
    min_severity: MinSeverity
    model: ModelField
    models: ModelsField
    continuation_id: ContinuationField


class SecauditRequest(ToolRequest):
    files: list[str] = Field(min_length=1, description="Absolute file or directory paths.")
    prompt: str | None = Field(None, description="What it does, who can reach it, what it protects.")
    min_severity: MinSeverity
    model: ModelField
    models: ModelsField
    continuation_id: ContinuationField
