"""Token fitting: embed files in order while they fit a budget, and say exactly which were left out.

Blocking (file I/O, token counting): call it in a worker thread from async code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ExcludedFile", "FileContext", "fit_files", "format_file"]


@dataclass(frozen=True)
class ExcludedFile:
    """A readable file left out of the context, with the tokens it needed and the budget left."""

    path: str
    reason: str
    tokens: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "reason": self.reason, "tokens": self.tokens}


@dataclass(frozen=True)
class FileContext:
    """Files embedded for a model: the text, the files in it, and those left out."""

    text: str
    included: list[str] = field(default_factory=list)
    excluded: list[ExcludedFile] = field(default_factory=list)
    #: Tokens of :attr:`text` (sum of the embedded blocks).
    tokens: int = 0


# -- fitting -----------------------------------------------------------------------------------
def format_file(path: Path | str, content: str) -> str:
    """A file as the model sees it: a header, numbered lines, a footer."""
    lines = content.splitlines()
    width = len(str(len(lines))) if lines else 1
    body = "\n".join(f"{n:>{width}}| {line}" for n, line in enumerate(lines, start=1))
    return f"--- BEGIN FILE: {path} ({len(lines)} lines) ---\n{body}\n--- END FILE: {path} ---"


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def fit_files(
    files: Iterable[Path | str],
    *,
    budget_tokens: int,
    count_tokens: Callable[[str], int],
    read: Callable[[Path], str] = _read,
) -> FileContext:
    """Embed ``files`` in the given order (put the newest-referenced first) while they fit ``budget_tokens``.

    A file that does not fit is left out with its token count and the budget left, and later (smaller)
    files are still tried. ``count_tokens`` should be the target model's tokenizer.
    """
    separator = "\n\n"
    sep_cost = max(count_tokens(separator), 1)
    blocks: list[str] = []
    included: list[str] = []
    excluded: list[ExcludedFile] = []
    used = 0
    for item in _unique_order(files):
        try:
            block = format_file(item, read(Path(item)))
        except OSError as exc:
            excluded.append(ExcludedFile(str(item), f"cannot read: {exc.strerror or exc}"))
            continue
        cost = count_tokens(block) + (sep_cost if blocks else 0)
        left = budget_tokens - used
        if cost > left:
            excluded.append(
                ExcludedFile(
                    str(item),
                    f"needs {cost:,} tokens but only {max(left, 0):,} of the "
                    f"{budget_tokens:,}-token file budget were left",
                    cost,
                )
            )
            continue
        blocks.append(block)
        included.append(str(item))
        used += cost
    return FileContext(separator.join(blocks), included, excluded, used)


def _unique_order(files: Iterable[Path | str]) -> Iterator[Path | str]:
    seen: set[str] = set()
    for item in files:
        key = str(item)
        if key not in seen:
            seen.add(key)
            yield item
