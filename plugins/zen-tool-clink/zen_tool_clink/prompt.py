"""The text clink gives a CLI: its role prompt, the earlier conversation it has not seen, the files to
read, then the request."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from zen_core import Turn


def render_history(turns: Sequence[Turn], max_chars: int) -> tuple[str, int]:
    """The most recent turns that fit ``max_chars``, oldest first; and how many older turns were left out."""
    blocks: list[str] = []
    used = 0
    for turn in reversed(turns):
        who = turn.role
        via = " via ".join(x for x in (turn.model or "", turn.tool or "") if x)
        header = f"--- {who}" + (f" ({via})" if via else "") + " ---"
        files = f"\n(files: {', '.join(turn.files)})" if turn.files else ""
        block = f"{header}\n{turn.content.strip()}{files}"
        if used + len(block) > max_chars:
            break
        blocks.append(block)
        used += len(block)
    omitted = len(turns) - len(blocks)
    return "\n\n".join(reversed(blocks)), omitted


def build_prompt(
    *,
    request: str,
    role_prompt: str | None,
    history: Sequence[Turn],
    max_history_chars: int,
    files: Sequence[Path],
) -> tuple[str, dict[str, int]]:
    """The prompt, and what went into it (history turns sent and left out)."""
    sections: list[str] = []
    if role_prompt:
        sections.append(role_prompt.strip())
    report = {"history_turns": 0, "omitted_turns": 0}
    if history:
        text, omitted = render_history(history, max_history_chars)
        report = {"history_turns": len(history) - omitted, "omitted_turns": omitted}
        if text:
            note = f" ({omitted} older turn(s) left out)" if omitted else ""
            sections.append(
                "=== EARLIER CONVERSATION" + note + " ===\n"
                "The request continues this conversation between the caller and other assistants:\n\n"
                + text
                + "\n=== END EARLIER CONVERSATION ==="
            )
    if files:
        listing = "\n".join(f"- {path}" for path in files)
        sections.append(
            "=== FILES ===\nThe caller points you at these files (absolute paths; read them from disk):\n"
            + listing
            + "\n=== END FILES ==="
        )
    sections.append(f"=== REQUEST ===\n{request.strip()}")
    return "\n\n".join(sections), report
