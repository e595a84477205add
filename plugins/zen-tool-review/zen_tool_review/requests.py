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
ModelsField = Annotated[list[str], Field(default_factory=list, description="Several models, in parallel.")]
MinSeverity = Annotated[Severity, Field("low")]
ContinuationField = Annotated[str | None, Field(None, description="Continue a conversation.")]


# Which git changes codereview reviews (no docstring: it would go into the schema every agent reads).
class DiffSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    repo: str = Field(description="Absolute path of the repository.")
    base: str | None = Field(None, description="Branch/commit to diff against (default HEAD).")
    changes: Literal["all", "staged", "unstaged"] = "all"


class CodeReviewRequest(ToolRequest):
    files: list[str] = Field(default_factory=list, description="Absolute paths of files or directories.")
    diff: DiffSpec | None = Field(None, description="Git changes to review.")
    focus: Focus = "all"
    min_severity: MinSeverity
    prompt: str | None = Field(None, description="What the code does or what to check.")
    model: ModelField
    models: ModelsField
    continuation_id: ContinuationField


class PrecommitRequest(ToolRequest):
    path: str = Field(description="Absolute path of the git repository.")
    compare_to: str | None = Field(None, description="Branch/commit to compare against (default HEAD).")
    staged: bool = True
    unstaged: bool = True
    untracked: bool = False
    prompt: str | None = Field(None, description="What the change is meant to do.")
    min_severity: MinSeverity
    model: ModelField
    models: ModelsField
    continuation_id: ContinuationField


class SecauditRequest(ToolRequest):
    files: list[str] = Field(min_length=1, description="Absolute paths of files or directories.")
    prompt: str | None = Field(None, description="What the code does, who can reach it, what it protects.")
    min_severity: MinSeverity
    model: ModelField
    models: ModelsField
    continuation_id: ContinuationField
