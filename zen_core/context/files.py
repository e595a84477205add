"""File context for tools: which paths a model may see, and which of them fit its token budget.

Shared by chat, consensus and third-party tools. Both functions are blocking (file I/O and token
counting): call them with ``asyncio.to_thread`` from a tool.

- :func:`resolve_paths` checks the paths an agent passed: valid and absolute, not denied, inside the
  allowed roots (symlinks are followed only when their target is inside a root too), no secret by name
  or content (:mod:`zen_core.context.secrets`; such a file is withheld whole), no binary files.
  Directories are expanded recursively (:mod:`zen_core.context.expand`), honouring ``.gitignore`` and
  skipping hidden and dependency/build directories.
- :func:`fit_files` (:mod:`zen_core.context.fit`) embeds the accepted files in order (newest-referenced
  first) while they fit a token budget and says exactly which were left out, with their token counts.

Allowed roots come from the setting ``files.allowed_roots`` (env ``ZEN_FILES__ALLOWED_ROOTS``,
comma-separated); the default is the user's home directory and the server's working directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

from zen_core.context.expand import SKIPPED_DIRS, walk
from zen_core.context.fit import ExcludedFile, FileContext, fit_files, format_file
from zen_core.context.secrets import (
    SECRET_NAMES,
    SECRET_SUFFIXES,
    SecretFinding,
    find_secrets,
    is_secret,
    withheld_reason,
)

__all__ = [
    "SECRET_NAMES",
    "SECRET_SUFFIXES",
    "SKIPPED_DIRS",
    "ExcludedFile",
    "FileContext",
    "RefusedPath",
    "ResolvedPaths",
    "fit_files",
    "format_file",
    "is_secret",
    "resolve_paths",
]

RefusalKind = Literal[
    "invalid",
    "relative",
    "outside_roots",
    "symlink_escape",
    "secret",
    "missing",
    "binary",
    "too_large",
    "unreadable",
    "limit",
    "denied",
]

_SNIFF_BYTES = 8192
#: Longest path accepted (characters, and bytes once encoded), as Linux's PATH_MAX.
MAX_PATH_CHARS = 4096
#: Longest file or directory name (bytes), as Linux's NAME_MAX.
MAX_NAME_BYTES = 255
DEFAULT_MAX_FILE_BYTES = 5_000_000
DEFAULT_MAX_FILES = 1000
#: Files skipped while expanding directories that are listed one by one; the rest are counted by kind.
DEFAULT_MAX_LISTED_SKIPS = 50
_SKIPPED_NOUNS: dict[str, str] = {
    "binary": "binary files",
    "secret": "files that look like secrets",
    "too_large": "files over the size limit",
    "symlink_escape": "symlinks leading outside the allowed roots",
    "outside_roots": "files outside the allowed roots",
    "denied": "denied paths",
    "missing": "missing files",
    "invalid": "invalid paths",
    "unreadable": "unreadable files",
}


@dataclass(frozen=True)
class RefusedPath:
    """A path that will not be given to the model, why, and how to fix it."""

    path: str
    reason: str
    kind: RefusalKind
    #: True when the caller named this path; False for a file found while expanding a directory.
    requested: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "reason": self.reason, "kind": self.kind}


class ResolvedPaths(NamedTuple):
    """The outcome of :func:`resolve_paths` (unpacks as ``accepted, refused``)."""

    accepted: list[Path]
    refused: list[RefusedPath]


# -- allowed roots -----------------------------------------------------------------------------
def _unique(paths: Iterable[Path]) -> list[Path]:
    return list(dict.fromkeys(Path(os.path.realpath(p)) for p in paths))


def _inside(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def _roots_hint(roots: Sequence[Path]) -> str:
    return f"allowed roots: {', '.join(str(r) for r in roots) or '(none)'}"


def _is_binary(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if b"\x00" in head:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start < len(head) - 4  # a multi-byte character cut at the end of the sample is fine
    return False


# -- resolution --------------------------------------------------------------------------------
def _invalid(raw: str) -> str | None:
    """What makes ``raw`` unusable as a path (``None`` when nothing does)."""
    if not raw:
        return "empty path; pass the absolute path of a file or directory"
    if "\x00" in raw:
        return "contains a NUL byte (\\x00), which no file path can hold; check how the path was built"
    if len(raw) > MAX_PATH_CHARS:
        return f"too long ({len(raw):,} characters; a path has at most {MAX_PATH_CHARS:,})"
    try:
        encoded = os.fsencode(raw)
    except UnicodeEncodeError:
        return "not valid text (contains an unpaired surrogate character)"
    if len(encoded) > MAX_PATH_CHARS:
        return f"too long ({len(encoded):,} bytes encoded; a path has at most {MAX_PATH_CHARS:,})"
    if any(len(part) > MAX_NAME_BYTES for part in encoded.split(b"/")):
        return f"a file or directory name in it is longer than {MAX_NAME_BYTES} bytes, the file system's limit"
    return None


def _shown(raw: str) -> str:
    """``raw`` fit to show in a message: control characters escaped, long paths shortened in the middle."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in raw)
    return text if len(text) <= 240 else f"{text[:160]}…{text[-60:]}"


class _Resolver:
    def __init__(
        self,
        roots: Sequence[Path],
        allow_secrets: bool,
        expand_dirs: bool,
        skip_binary: bool,
        max_file_bytes: int,
        max_files: int,
        denied: Sequence[tuple[Path | str, str]] = (),
        max_listed_skips: int = DEFAULT_MAX_LISTED_SKIPS,
    ) -> None:
        self.roots = _unique(roots)
        self.denied = [(Path(os.path.realpath(path)), reason) for path, reason in denied]
        self.allow_secrets = allow_secrets
        self.expand_dirs = expand_dirs
        self.skip_binary = skip_binary
        self.max_file_bytes = max_file_bytes
        self.max_files = max_files
        self.accepted: dict[Path, None] = {}
        self.refused: list[RefusedPath] = []
        self.full = False
        self.max_listed_skips = max_listed_skips
        self.listed_skips = 0
        #: Skips past the listing cap in the directory being expanded, by kind.
        self.unlisted: dict[RefusalKind, int] = {}

    def refuse(self, path: str, reason: str, kind: RefusalKind, requested: bool) -> None:
        if not requested and kind != "limit":
            if self.listed_skips >= self.max_listed_skips:
                self.unlisted[kind] = self.unlisted.get(kind, 0) + 1
                return
            self.listed_skips += 1
        self.refused.append(RefusedPath(path, reason, kind, requested))

    def summarise_unlisted(self, directory: str) -> None:
        for kind, count in self.unlisted.items():
            noun = _SKIPPED_NOUNS.get(kind, f"{kind} files")
            self.refused.append(RefusedPath(directory, f"+{count:,} more {noun} skipped", kind, False))
        self.unlisted = {}

    def denied_reason(self, real: Path) -> str | None:
        for path, reason in self.denied:
            if real == path or path in real.parents:
                return reason
        return None

    def check(self, raw: str, requested: bool) -> Path | None:
        """The real path of ``raw`` when it may be read, else ``None`` (after recording why)."""
        invalid = _invalid(raw)
        if invalid:
            self.refuse(_shown(raw), invalid, "invalid", requested)
            return None
        if not os.path.isabs(raw):
            self.refuse(
                raw, "not an absolute path; pass the full path (e.g. /home/me/project/file.py)", "relative", requested
            )
            return None
        given = Path(os.path.normpath(raw))
        real = Path(os.path.realpath(raw))  # not of ``given``: ``link/..`` is the parent of link's target
        denied = self.denied_reason(real)
        if denied is not None:
            self.refuse(raw, denied, "denied", requested)
            return None
        secret = None if self.allow_secrets else is_secret(given)
        if secret:
            self.refuse(
                raw,
                f"{secret}; refused to protect credentials. Paste the non-secret parts into the prompt instead",
                "secret",
                requested,
            )
            return None
        if not _inside(real, self.roots):
            if real != given and _inside(given, self.roots):
                self.refuse(
                    raw,
                    f"symlink that resolves to {real}, outside the allowed roots "
                    f"({_roots_hint(self.roots)}); add that directory to files.allowed_roots "
                    "if the model may read it",
                    "symlink_escape",
                    requested,
                )
            else:
                self.refuse(
                    raw,
                    f"outside the allowed roots ({_roots_hint(self.roots)}); add the directory "
                    "to files.allowed_roots (env ZEN_FILES__ALLOWED_ROOTS)",
                    "outside_roots",
                    requested,
                )
            return None
        if not real.exists():
            self.refuse(raw, "no such file or directory; check the path", "missing", requested)
            return None
        secret = None if self.allow_secrets or real == given else is_secret(real)
        if secret:
            self.refuse(raw, f"resolves to {real}: {secret}; refused to protect credentials", "secret", requested)
            return None
        return real

    def add(self, raw: str) -> None:
        try:
            self.add_checked(raw)
        except (OSError, ValueError) as exc:  # a last resort: refusing is always better than failing the call
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.refuse(_shown(raw), f"cannot read: {reason}", "unreadable", True)

    def add_checked(self, raw: str) -> None:
        real = self.check(raw, requested=True)
        if real is None:
            return
        if real.is_dir():
            if self.expand_dirs:
                self.expand(raw, real)
            else:
                self.refuse(raw, "a directory; pass file paths", "unreadable", True)
            return
        self.add_file(raw, real, requested=True)

    def add_file(self, shown: str, real: Path, requested: bool) -> None:
        if real in self.accepted:
            return
        if len(self.accepted) >= self.max_files:
            if not self.full:
                self.refuse(
                    shown,
                    f"not read, nor any file after it: more than {self.max_files} files; pass fewer or narrower paths",
                    "limit",
                    requested,
                )
            self.full = True
            return
        try:
            size = real.stat().st_size
            if not real.is_file():
                self.refuse(shown, "not a regular file", "unreadable", requested)
                return
            if size > self.max_file_bytes:
                self.refuse(
                    shown, f"too large ({size:,} bytes; the limit is {self.max_file_bytes:,})", "too_large", requested
                )
                return
            if self.skip_binary and _is_binary(real):
                self.refuse(shown, "binary file, skipped (only text files are sent)", "binary", requested)
                return
            findings = [] if self.allow_secrets else self.secrets_in(real)
            if findings:
                self.refuse(shown, withheld_reason(findings), "secret", requested)
                return
        except OSError as exc:
            self.refuse(shown, f"cannot read: {exc.strerror or exc}", "unreadable", requested)
            return
        self.accepted[real] = None

    def secrets_in(self, real: Path) -> list[SecretFinding]:
        if not self.skip_binary and _is_binary(real):
            return []  # sent as it is (an image), not as text
        return find_secrets(real.read_text(encoding="utf-8", errors="replace"), path=real)

    def expand(self, raw: str, top: Path) -> None:
        def skip(directory: Path) -> bool:  # ``directory`` is real: ``top`` is, and os.walk follows no links
            denied = self.denied_reason(directory)
            if denied is not None:
                self.refuse(os.path.join(raw, os.path.relpath(directory, top)), denied, "denied", False)
            return denied is not None

        for path in walk(top, self.roots, skip):
            if self.full:
                break
            shown = os.path.join(raw, os.path.relpath(path, top))
            real = self.check(shown, requested=False)
            if real is not None:
                self.add_file(shown, real, requested=False)
        self.summarise_unlisted(raw)


def resolve_paths(
    paths: Iterable[str],
    *,
    allowed_roots: Sequence[Path | str],
    allow_secrets: bool = False,
    expand_dirs: bool = True,
    skip_binary: bool = True,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    max_files: int = DEFAULT_MAX_FILES,
    denied: Sequence[tuple[Path | str, str]] = (),
    max_listed_skips: int = DEFAULT_MAX_LISTED_SKIPS,
) -> ResolvedPaths:
    """Check ``paths`` and expand directories; returns the readable files (real paths, in request order,
    each once) and the refused paths with reasons. Blocking: run it in a thread from async code.

    ``denied`` lists ``(path, reason)`` pairs: a path whose real path (symlinks resolved) is one of them or
    inside one is refused with kind ``"denied"`` and that reason, before any other rule, whether it was
    named or found by expansion; denied directories are not entered when a directory is expanded.

    Files skipped while expanding directories are listed one by one up to ``max_listed_skips`` for the
    whole call; past that, each directory gets one refusal per kind counting the rest (path: the
    directory, reason ``"+1,234 more binary files skipped"``). Paths the caller named are always listed.
    """
    resolver = _Resolver(
        [Path(r) for r in allowed_roots],
        allow_secrets,
        expand_dirs,
        skip_binary,
        max_file_bytes,
        max_files,
        denied,
        max_listed_skips,
    )
    for raw in paths:
        resolver.add(str(raw))
    return ResolvedPaths(list(resolver.accepted), resolver.refused)
