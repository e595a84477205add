"""What every model sees besides the question: earlier conversation, files and images.

Path checks and file fitting use the core's :mod:`zen_core.context.files`; all blocking work runs in a thread.
"""

from __future__ import annotations

import asyncio
import base64
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zen_core import ToolContext
from zen_core.context.files import allowed_roots_from_settings, fit_files, resolve_paths
from zen_core.context.history import build_history
from zen_core.store import Thread

#: Share of the smallest context window given to earlier conversation, and to files.
HISTORY_SHARE = 0.25
FILES_SHARE = 0.4
MAX_IMAGE_BYTES = 10_000_000


@dataclass
class Context:
    history: str = ""
    history_turns: int = 0
    files_text: str = ""
    images: list[dict[str, Any]] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)


def _window(ctx: ToolContext, models: list[str]) -> int:
    """The smallest context window among the known models (blocking: may load model info)."""
    windows = []
    for model in models:
        try:
            windows.append(ctx.llm.context_window(model))
        except Exception:  # an unknown model fails in place later, with its own error
            continue
    return min(windows) if windows else 8192


def _counter(ctx: ToolContext, models: list[str]) -> Any:
    def count(text: str) -> int:
        for model in models:
            try:
                return ctx.llm.count_tokens(model, text)
            except Exception:
                continue
        return len(text) // 4 + 1

    return count


def _image_part(path: Path) -> dict[str, Any]:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return {"type": "image_url", "image_url": {"url": f"data:{mime};base64,{data}"}}


def _build(ctx: ToolContext, models: list[str], files: list[str], images: list[str], thread: Thread | None) -> Context:
    out = Context()
    window = _window(ctx, models)
    count = _counter(ctx, models)
    if thread is not None:
        history = build_history(thread, budget_tokens=int(window * HISTORY_SHARE), count_tokens=count)
        out.history, out.history_turns = history.text, history.included_turns
        files = [*files, *(f for f in history.files if f not in files)]
    roots = allowed_roots_from_settings(ctx.services.settings)
    if files:
        accepted, refused = resolve_paths(files, allowed_roots=roots)
        fitted = fit_files(accepted, budget_tokens=int(window * FILES_SHARE), count_tokens=count)
        out.files_text = fitted.text
        out.report = {
            "included": fitted.included,
            "excluded": [e.as_dict() for e in fitted.excluded],
            "refused": [r.as_dict() for r in refused],
        }
    data_urls = [i for i in images if i.startswith("data:image/")]
    paths = [i for i in images if not i.startswith("data:")]
    bad = [
        {"path": i[:40], "reason": "not a data:image/ URL", "kind": "unreadable"}
        for i in images
        if i.startswith("data:") and i not in data_urls
    ]
    out.images = [{"type": "image_url", "image_url": {"url": url}} for url in data_urls]
    if paths:
        accepted, refused = resolve_paths(
            paths, allowed_roots=roots, expand_dirs=False, skip_binary=False, max_file_bytes=MAX_IMAGE_BYTES
        )
        out.images += [_image_part(p) for p in accepted]
        bad += [r.as_dict() for r in refused]
    if images:
        out.report["images"] = len(out.images)
        out.report.setdefault("refused", []).extend(bad)
    return out


async def gather_context(
    ctx: ToolContext, models: list[str], files: list[str], images: list[str], thread: Thread | None
) -> Context:
    """History, files and images for the question, fitted to the smallest context window of ``models``."""
    if thread is None and not files and not images:
        return Context()
    return await asyncio.to_thread(_build, ctx, models, files, images, thread)
