"""The plain-text listing of conversations shown by the ``threads`` tool and ``zen threads``."""

from __future__ import annotations

from collections.abc import Sequence

from zen_core.store.models import ThreadSummary, truncate


def format_age(seconds: float) -> str:
    """A compact age: ``45s``, ``12m``, ``3h05m``, ``2d04h``."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def format_thread_table(summaries: Sequence[ThreadSummary], *, prompt_width: int = 60) -> str:
    """A plain-text table of thread summaries (for the ``threads`` tool and ``zen threads``)."""
    if not summaries:
        return "No active conversations."
    header = ("CONTINUATION ID", "TOOL", "TURNS", "AGE", "UPDATED", "MODELS", "FIRST PROMPT")
    rows = [
        (
            s.id,
            s.tool,
            str(s.turn_count),
            format_age(s.age_seconds),
            s.updated_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            ", ".join(s.models) or "-",
            truncate(s.first_prompt, prompt_width) or "-",
        )
        for s in summaries
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header) - 1)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join([*(c.ljust(w) for c, w in zip(cells, widths, strict=False)), cells[-1]]).rstrip()

    return "\n".join([line(header), *(line(row) for row in rows)])
