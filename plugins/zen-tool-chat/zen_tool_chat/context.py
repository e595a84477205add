"""What the model sees: earlier turns, files fitted to its context window, images, and the request.

Everything here is blocking (file I/O, token counting, possibly loading LiteLLM's model info), so the
tool runs :func:`prepare` in a worker thread, except for light calls (a short prompt and nothing else).
"""

from __future__ import annotations

import base64
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zen_core import ToolContext, ToolError
from zen_core.context.files import RefusedPath, allowed_roots_from_settings, fit_files, resolve_paths
from zen_core.context.history import build_history
from zen_core.store import Thread

#: Share of the input budget (context window minus answer room, system prompt and request) that the
#: earlier conversation may take; files get what the history leaves.
HISTORY_SHARE = 0.4
#: Tokens kept free for the section markers around history, files and request.
FRAMING_TOKENS = 64
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
MAX_IMAGE_BYTES = 20_000_000
DATA_URL = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]+$")
#: Refusals of a path the agent named that stop the call (binary/too large ones are only reported).
FATAL_KINDS = frozenset({"relative", "outside_roots", "symlink_escape", "secret", "missing", "unreadable"})


@dataclass
class Budget:
    """How the model's context window is split for one call."""

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
class Prepared:
    """The messages for the model plus the report of what went in and what did not."""

    messages: list[dict[str, Any]]
    budget: Budget
    included: list[str] = field(default_factory=list)
    excluded: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    history_turns: int = 0
    omitted_turns: int = 0
    images: list[str] = field(default_factory=list)


def _refusal_error(refused: list[RefusedPath], what: str) -> ToolError:
    lines = [f"Refused {what} (nothing was sent to the model):"]
    lines += [f"- {r.path}: {r.reason}" for r in refused]
    return ToolError("\n".join(lines), code="path_refused", details={"refused": [r.as_dict() for r in refused]})


def _budget(ctx: ToolContext, model: str, system: str, prompt: str, max_tokens: int | None) -> Budget:
    window = ctx.llm.context_window(model)
    answer = min(max_tokens, window // 2) if max_tokens else min(ctx.llm.max_output_tokens(model), window // 4)
    fixed = ctx.llm.count_tokens(model, system) + ctx.llm.count_tokens(model, prompt) + FRAMING_TOKENS
    available = window - answer - fixed
    budget = Budget(model, window, answer, available)
    if available < 0:
        raise ToolError(
            f"The prompt is too long for {budget.describe()}: the prompt and system prompt need {fixed:,} "
            "tokens. Shorten the prompt, or use a model with a larger context window (see listmodels).",
            code="prompt_too_long",
        )
    return budget


def image_parts(ctx: ToolContext, images: list[str], roots: list[Path]) -> tuple[list[dict[str, Any]], list[str]]:
    """Image content parts for the model, and the image paths to remember in the thread."""
    parts: list[dict[str, Any]] = []
    paths = [i for i in images if not i.startswith("data:")]
    for url in images:
        if url.startswith("data:"):
            if not DATA_URL.match(url):
                raise ToolError(
                    "An image data URL must look like data:image/png;base64,... (png, jpeg, gif or webp).",
                    code="bad_image",
                )
            parts.append({"type": "image_url", "image_url": {"url": url}})
    accepted, refused = resolve_paths(
        paths, allowed_roots=roots, expand_dirs=False, skip_binary=False, max_file_bytes=MAX_IMAGE_BYTES
    )
    if refused:
        raise _refusal_error(refused, "images")
    for path in accepted:
        mime = IMAGE_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or ""
        if mime not in IMAGE_TYPES.values():
            raise ToolError(f"{path} is not a supported image (png, jpeg, gif, webp).", code="bad_image")
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        parts.append({"type": "image_url", "image_url": {"url": f"data:{mime};base64,{data}"}})
    return parts, paths


def prepare(
    ctx: ToolContext,
    *,
    model: str,
    system: str,
    prompt: str,
    files: list[str],
    images: list[str],
    thread: Thread | None,
    max_tokens: int | None,
) -> Prepared:
    """Build the messages: history within its share, then files (this call's first, then the thread's,
    each once) within what is left. Raises :class:`ToolError` for refused paths and impossible budgets."""
    roots = allowed_roots_from_settings(ctx.services.settings)
    accepted, refused = resolve_paths(files, allowed_roots=roots)
    fatal = [r for r in refused if r.requested and r.kind in FATAL_KINDS]
    if fatal:
        raise _refusal_error(fatal, "files")
    parts, image_paths = image_parts(ctx, images, roots) if images else ([], [])
    budget = _budget(ctx, model, system, prompt, max_tokens)

    def count(text: str) -> int:
        return ctx.llm.count_tokens(model, text)

    sections: list[str] = []
    out = Prepared(messages=[], budget=budget, images=image_paths)
    out.skipped = [r.as_dict() for r in refused if r not in fatal]
    left = budget.input_tokens
    if thread is not None and thread.turns:
        history = build_history(thread, budget_tokens=int(left * HISTORY_SHARE), count_tokens=count)
        out.history_turns, out.omitted_turns = history.included_turns, history.omitted_turns
        if history.text:
            sections.append(f"=== CONVERSATION SO FAR ===\n{history.text}\n=== END OF CONVERSATION ===")
            left -= history.tokens
        old = [f for f in history.files if f not in files]
        old_accepted, old_refused = resolve_paths(old, allowed_roots=roots)
        accepted += [p for p in old_accepted if p not in accepted]
        out.skipped += [r.as_dict() for r in old_refused]
    fitted = fit_files(accepted, budget_tokens=max(left, 0), count_tokens=count)
    out.included = fitted.included
    out.excluded = [
        {**e.as_dict(), "reason": f"{e.reason} ({budget.describe()})" if e.tokens else e.reason}
        for e in fitted.excluded
    ]
    if fitted.text:
        sections.append(f"=== FILES ===\n{fitted.text}\n=== END OF FILES ===")
    if out.excluded:
        names = "\n".join(f"- {e['path']}" for e in out.excluded)
        sections.append(f"Files the user referenced but that did not fit (not shown to you):\n{names}")
    sections.append(f"=== REQUEST ===\n{prompt}")
    text = "\n\n".join(sections)
    content: str | list[dict[str, Any]] = [{"type": "text", "text": text}, *parts] if parts else text
    out.messages = [{"role": "system", "content": system}, {"role": "user", "content": content}]
    return out
