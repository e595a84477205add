"""Pages of a long answer, so a result never exceeds what the client accepts (``MAX_MCP_OUTPUT_TOKENS``).

Sizes are estimated on the output side at a conservative 3 characters per token (the client's
tokenizer is unknown). Pages are cut from the full answer, preferably at a line break, so any
instance can recompute page N from the stored answer and the stored page size.
"""

from __future__ import annotations

import json
import math
from typing import Any

from zen_core import ToolResponse

CHARS_PER_TOKEN = 3
#: Smallest page, whatever the limit (a limit this small cannot hold the metadata anyway).
MIN_PAGE_CHARS = 200
#: Result size assumed when MAX_MCP_OUTPUT_TOKENS is not set (Claude Code's default limit).
DEFAULT_LIMIT_TOKENS = 25_000
#: Room for what the host adds after the tool returns (request and trace ids, the MCP envelope).
ENVELOPE_TOKENS = 150


def estimate_tokens(response: ToolResponse) -> int:
    """Tokens of the whole MCP result: the text block, the structured content and the envelope."""
    size = len(response.render_text()) + len(json.dumps(response.structured(), ensure_ascii=False))
    return math.ceil(size / CHARS_PER_TOKEN) + ENVELOPE_TOKENS


def page_size(limit_tokens: int, overhead_tokens: int) -> int:
    """Characters of answer per page. The answer appears twice in a result (text and ``data.answer``)."""
    return max(MIN_PAGE_CHARS, (limit_tokens - overhead_tokens) * CHARS_PER_TOKEN // 2)


def split_pages(text: str, size: int) -> list[str]:
    """Consecutive slices of ``text`` of at most ``size`` characters; ``"".join`` gives ``text`` back."""
    pages: list[str] = []
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            newline = text.rfind("\n", start + size // 2, end)
            if newline != -1:
                end = newline + 1
        pages.append(text[start:end])
        start = end
    return pages or [""]


def page_info(number: int, total: int, continuation_id: str) -> dict[str, Any]:
    nxt = f'chat(continuation_id="{continuation_id}", page={number + 1})' if number < total else None
    return {"number": number, "total": total, "next": nxt}


def page_footer(number: int, total: int, continuation_id: str) -> str:
    if number < total:
        return (
            f"[Page {number} of {total} of a long answer. For the next page call chat with "
            f'continuation_id="{continuation_id}" and page={number + 1}.]'
        )
    return f"[Page {number} of {total}: the end of the answer.]"
