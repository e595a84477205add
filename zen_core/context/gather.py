"""Everything a model needs besides the question, fitted to its context window: earlier conversation,
files, and images, with an exact report of what went in and what was left out.

The budget is the smallest context window among the models that will read the text, minus room for the
answer, the system prompt and the request. Earlier conversation gets up to ``history_share`` of it (whole
turns, newest first); files get the rest (the files of this call first, then those the conversation
referenced, each once). Blocking (file I/O, token counting): :meth:`zen_core.context.access.Files.gather`
runs it in a worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zen_core.context.files import FileContext, RefusedPath, fit_files, resolve_paths
from zen_core.context.history import build_history
from zen_core.context.images import Image, load_images
from zen_core.context.policy import FilePolicy
from zen_core.errors import ToolError
from zen_core.llm.bound import Model
from zen_core.store.models import Thread

#: Default share of the input budget the earlier conversation may take.
HISTORY_SHARE = 0.4
#: Tokens kept free for the section markers around history, files and request.
FRAMING_TOKENS = 64
#: Refusals of a path the agent named that stop the call (a binary or too large file is only reported).
FATAL_KINDS = frozenset(
    {"relative", "outside_roots", "symlink_escape", "secret", "missing", "unreadable", "denied", "invalid"}
)


@dataclass(frozen=True)
class Budget:
    """How the smallest context window is split for one call."""

    model: str
    context_window: int
    answer_tokens: int
    input_tokens: int

    def describe(self) -> str:
        return (
            f"model {self.model}: context window {self.context_window:,} tokens, "
            f"{self.answer_tokens:,} kept for the answer"
        )


@dataclass
class PromptContext:
    """The user message for the model(s), and the report of what it holds."""

    #: The message text: conversation so far, files, the note on left-out files, then the request.
    text: str
    budget: Budget
    images: list[Image] = field(default_factory=list)
    #: Files embedded, in order.
    included: list[str] = field(default_factory=list)
    #: Files that did not fit, with the tokens they needed.
    excluded: list[dict[str, Any]] = field(default_factory=list)
    #: Files skipped without stopping the call (binary, too large, found in a directory but refused).
    skipped: list[dict[str, Any]] = field(default_factory=list)
    history_turns: int = 0
    omitted_turns: int = 0

    def content(self, model: Model | None = None) -> str | list[dict[str, Any]]:
        """The user message content for ``model``: with the images when it accepts them."""
        if not self.images or (model is not None and not model.supports_vision):
            return self.text
        return [{"type": "text", "text": self.text}, *(image.part() for image in self.images)]

    def messages(self, system: str, model: Model | None = None) -> list[dict[str, Any]]:
        """``[system, user]`` chat messages for ``model``."""
        return [{"role": "system", "content": system}, {"role": "user", "content": self.content(model)}]

    def report(self) -> dict[str, Any]:
        """What went in and what did not, for the tool's result."""
        out: dict[str, Any] = {"included": self.included, "excluded": self.excluded, "skipped": self.skipped}
        if self.images:
            out["images"] = [image.source for image in self.images]
        if self.history_turns or self.omitted_turns:
            out["history"] = {"turns": self.history_turns, "omitted_turns": self.omitted_turns}
        return out

    def notes(self) -> list[str]:
        """One readable line per file left out or skipped (for the result text)."""
        lines = [
            f"{'Left out (did not fit)' if e.get('tokens') else 'Left out'}: {e['path']}: {e['reason']}"
            for e in self.excluded
        ]
        return lines + [f"Skipped: {s['path']}: {s['reason']}" for s in self.skipped]


def gather(
    policy: FilePolicy,
    *,
    models: Sequence[Model],
    prompt: str,
    system: str = "",
    files: Sequence[str] = (),
    images: Sequence[str] = (),
    thread: Thread | None = None,
    max_tokens: int | None = None,
    history_share: float = HISTORY_SHARE,
) -> PromptContext:
    """Build the user message for ``models`` (see the module docstring). Raises :class:`ToolError` for a
    refused path the agent named, images no model accepts, or a prompt that cannot fit."""
    if not models:
        raise ValueError("gather needs at least one model")
    if (files or images) and not policy.enabled:
        raise ToolError(f"Files and images cannot be read: {policy.off_reason}.", code="file_access_off")
    accepted, refused = _resolve(policy, files)
    fatal = [r for r in refused if r.requested and r.kind in FATAL_KINDS]
    if fatal:
        raise refusal_error(fatal, "files")
    loaded = load_images(images, policy) if images else []
    if loaded and not any(m.supports_vision for m in models):
        which = f"Model '{models[0].name}' does not" if len(models) == 1 else "No model of this call does"
        raise ToolError(
            f"{which} accept images (supports_vision is false or unknown). Use a vision model (listmodels marks "
            "them 'vision'), call again without images, or set supports_vision: true for the model in models.yaml "
            "if it does accept images.",
            code="vision_unsupported",
            details={"models": [m.name for m in models]},
        )
    smallest = min(models, key=lambda m: m.context_window)
    budget = _budget(models, smallest, system, prompt, max_tokens)
    out = PromptContext(text="", budget=budget, images=loaded, skipped=[r.as_dict() for r in refused if r not in fatal])
    sections: list[str] = []
    left = budget.input_tokens
    if thread is not None and thread.turns:
        history = build_history(thread, budget_tokens=int(left * history_share), count_tokens=smallest.count_tokens)
        out.history_turns, out.omitted_turns = history.included_turns, history.omitted_turns
        if history.text:
            sections.append(f"=== CONVERSATION SO FAR ===\n{history.text}\n=== END OF CONVERSATION ===")
            left -= history.tokens
        earlier = [f for f in history.files if f not in files]
        if earlier:  # files the conversation referenced: the same rules apply again, but none is fatal now
            old_accepted, old_refused = _resolve(policy, earlier)
            accepted += [p for p in old_accepted if p not in accepted]
            out.skipped += [r.as_dict() for r in old_refused]
    fitted = fit_files(accepted, budget_tokens=max(left, 0), count_tokens=smallest.count_tokens)
    out.included = fitted.included
    out.excluded = [_with_budget(e.as_dict(), budget) for e in fitted.excluded]
    sections += _file_sections(fitted, out.excluded)
    sections.append(f"=== REQUEST ===\n{prompt}")
    out.text = "\n\n".join(sections)
    return out


def refusal_error(refused: Sequence[RefusedPath], what: str) -> ToolError:
    """The error for paths the agent named that may not be read (nothing is sent)."""
    lines = [f"Refused {what} (nothing was sent to the model):"]
    lines += [f"- {r.path}: {r.reason}" for r in refused]
    return ToolError("\n".join(lines), code="path_refused", details={"refused": [r.as_dict() for r in refused]})


def _resolve(policy: FilePolicy, paths: Sequence[str]) -> tuple[list[Path], list[RefusedPath]]:
    if not paths:
        return [], []
    accepted, refused = resolve_paths(
        paths,
        allowed_roots=policy.roots,
        denied=policy.denied,
        max_file_bytes=policy.max_file_bytes,
        max_files=policy.max_files,
    )
    return list(accepted), list(refused)


def _budget(models: Sequence[Model], smallest: Model, system: str, prompt: str, max_tokens: int | None) -> Budget:
    window = smallest.context_window
    output = min(m.max_output_tokens for m in models)
    answer = min(max_tokens, window // 2) if max_tokens else min(output, window // 4)
    fixed = smallest.count_tokens(system) + smallest.count_tokens(prompt) + FRAMING_TOKENS
    budget = Budget(smallest.name, window, answer, window - answer - fixed)
    if budget.input_tokens < 0:
        raise ToolError(
            f"The prompt is too long for {budget.describe()}: the prompt and system prompt need {fixed:,} "
            "tokens. Shorten the prompt, or use a model with a larger context window (see listmodels).",
            code="prompt_too_long",
        )
    return budget


def _with_budget(excluded: dict[str, Any], budget: Budget) -> dict[str, Any]:
    if excluded.get("tokens"):
        return {**excluded, "reason": f"{excluded['reason']} ({budget.describe()})"}
    return excluded


def _file_sections(fitted: FileContext, excluded: list[dict[str, Any]]) -> list[str]:
    sections = []
    if fitted.text:
        sections.append(f"=== FILES ===\n{fitted.text}\n=== END OF FILES ===")
    too_big = [e for e in excluded if e.get("tokens")]  # the others were withheld (a secret) or unreadable
    if too_big:
        names = "\n".join(f"- {e['path']}" for e in too_big)
        sections.append(f"Files the user referenced but that did not fit (not shown to you):\n{names}")
    return sections
