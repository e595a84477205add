"""Token fitting: embed files in order while they fit a budget, and say exactly which were left out.

Blocking (file I/O, token counting): call it in a worker thread from async code.

The work per file is bounded by the budget left, not by the file: a file is read and counted in chunks,
and once the text read so far (a prefix of the file, formatted as it would be sent) needs more tokens
than are left, reading stops and the file is left out. This assumes, as holds for word counts and BPE
tokenizers, that text never needs fewer tokens than its own beginning. A file is included only when its
whole block was counted and fits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from zen_core.context.secrets import find_secrets, is_secret, withheld_reason

__all__ = ["ExcludedFile", "FileContext", "fit_files", "format_file"]


@dataclass(frozen=True)
class ExcludedFile:
    """A readable file left out of the context, with the tokens it needed and the budget left."""

    path: str
    reason: str
    #: Tokens the file needs (with the separator before it); a lower bound when :attr:`partial`.
    tokens: int | None = None
    #: True when counting stopped early, once the file could not fit: it needs more than :attr:`tokens`.
    partial: bool = False

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
#: Characters per token assumed when sizing the first read of a file: a file longer than this many
#: characters per token left is read and counted in chunks (few texts average more per token).
CHARS_PER_TOKEN = 8
#: Smallest read, in characters.
MIN_CHUNK_CHARS = 4096


def format_file(path: Path | str, content: str) -> str:
    """A file as the model sees it: a header, numbered lines, a footer."""
    lines = content.splitlines()
    width = len(str(len(lines))) if lines else 1
    body = "\n".join(f"{n:>{width}}| {line}" for n, line in enumerate(lines, start=1))
    return f"--- BEGIN FILE: {path} ({len(lines)} lines) ---\n{body}\n--- END FILE: {path} ---"


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


class _Text:
    """A file's text in chunks: read from the file as needed (as :func:`_read` decodes it), or sliced
    from what a caller's ``read`` returned."""

    def __init__(self, path: Path, read: Callable[[Path], str]) -> None:
        self.handle: TextIO | None = None
        self.text = ""
        self.pos = 0
        self.done = False
        if read is _read:
            self.handle = path.open(encoding="utf-8", errors="replace")
        else:
            self.text = read(path)

    def take(self, size: int) -> str:
        if self.handle is not None:
            chunk = self.handle.read(size)
            self.done = len(chunk) < size  # a text file's read(n) is short only at the end
        else:
            chunk = self.text[self.pos : self.pos + size]
            self.pos += len(chunk)
            self.done = self.pos >= len(self.text)
        return chunk

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def _numbered(text: str, first: int) -> str:
    """``text`` (whole lines) numbered from ``first``, as :func:`format_file` would, to estimate a chunk's cost."""
    lines = text.splitlines()
    width = len(str(first + len(lines)))
    return "\n".join(f"{n:>{width}}| {line}" for n, line in enumerate(lines, start=first))


def _measure(
    item: Path | str, text: _Text, left: int, sep: int, count: Callable[[str], int]
) -> tuple[str | None, str, int]:
    """``(block, content, cost)`` of a file, ``cost`` including ``sep``; ``block`` is ``None`` when reading
    stopped because the text read so far already costs more than ``left`` (``cost`` is then its cost)."""
    parts: list[str] = []  # whole lines, counted
    carry = ""  # the start of a line, read but not counted yet
    cost = 0  # of ``parts``: exact when ``exact``, else an estimate (a sum of chunk counts)
    exact = True
    read = lines = 0
    while not text.done:
        size = max(MIN_CHUNK_CHARS, CHARS_PER_TOKEN * (left - cost))
        if cost > sep:  # the density seen so far, growing the reads at most twofold
            size = max(size, min(read, (left - cost) * read // cost))
        chunk = carry + text.take(size)
        read += len(chunk) - len(carry)
        if text.done:
            carry = chunk
            break
        cut = chunk.rfind("\n") + 1 or len(chunk)  # whole lines, unless one line is longer than the chunk
        chunk, carry = chunk[:cut], chunk[cut:]
        if parts:
            cost, exact = cost + count(_numbered(chunk, lines + 1)), False
        else:
            cost, exact = count(format_file(item, chunk)) + sep, True
        parts.append(chunk)
        lines += len(chunk.splitlines())
        if cost > left and not exact:
            cost, exact = count(format_file(item, "".join(parts))) + sep, True
        if cost > left:
            return None, "", cost
    content = "".join(parts) + carry
    block = format_file(item, content)
    return block, content, count(block) + sep


def fit_files(
    files: Iterable[Path | str],
    *,
    budget_tokens: int,
    count_tokens: Callable[[str], int],
    read: Callable[[Path], str] = _read,
    allow_secrets: bool = False,
) -> FileContext:
    """Embed ``files`` in the given order (put the newest-referenced first) while they fit ``budget_tokens``.

    A file that does not fit is left out with its token count and the budget left, and later (smaller)
    files are still tried. ``count_tokens`` should be the target model's tokenizer. A file much larger
    than the budget left is read and counted only until it is sure not to fit (see the module docstring).

    The last gate before text leaves the machine: unless ``allow_secrets``, a file with a secret's name or
    content (:mod:`zen_core.context.secrets`) is withheld whole, even if :func:`resolve_paths` passed it
    (the file may have changed since).
    """
    separator = "\n\n"
    sep_cost = max(count_tokens(separator), 1)
    blocks: list[str] = []
    included: list[str] = []
    excluded: list[ExcludedFile] = []
    used = 0
    for item in _unique_order(files):
        left = budget_tokens - used
        try:
            text = _Text(Path(item), read)
            try:
                block, content, cost = _measure(item, text, left, sep_cost if blocks else 0, count_tokens)
            finally:
                text.close()
        except OSError as exc:
            excluded.append(ExcludedFile(str(item), f"cannot read: {exc.strerror or exc}"))
            continue
        withheld = None if allow_secrets or block is None or cost > left else _withheld(item, content)
        if withheld:
            excluded.append(ExcludedFile(str(item), withheld))
            continue
        budget = f"only {max(left, 0):,} of the {budget_tokens:,}-token file budget were left"
        if block is None:
            reason = f"needs more than {cost:,} tokens (counting stopped there) but {budget}"
            excluded.append(ExcludedFile(str(item), reason, cost, partial=True))
            continue
        if cost > left:
            excluded.append(ExcludedFile(str(item), f"needs {cost:,} tokens but {budget}", cost))
            continue
        blocks.append(block)
        included.append(str(item))
        used += cost
    return FileContext(separator.join(blocks), included, excluded, used)


def _withheld(item: Path | str, content: str) -> str | None:
    """Why a file must not be sent (its name or content holds a secret), or ``None``."""
    name = is_secret(item)
    if name:
        return f"withheld whole: {name}; nothing of this file is sent"
    findings = find_secrets(content, path=item)
    return withheld_reason(findings) if findings else None


def _unique_order(files: Iterable[Path | str]) -> Iterator[Path | str]:
    seen: set[str] = set()
    for item in files:
        key = str(item)
        if key not in seen:
            seen.add(key)
            yield item
