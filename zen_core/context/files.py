"""File context for tools: which paths a model may see, and which of them fit its token budget.

Shared by chat, consensus and third-party tools. Both functions are blocking (file I/O and token
counting): call them with ``asyncio.to_thread`` from a tool.

- :func:`resolve_paths` checks the paths an agent passed: absolute only, inside the allowed roots
  (symlinks are followed only when their target is inside a root too), never a secret (``.env*``,
  private keys, ``.npmrc``, ``.pypirc``, ``.netrc``, credentials files, ``.git/`` internals), no
  binary files. Directories are expanded recursively, honouring ``.gitignore`` and skipping hidden
  and dependency/build directories.
- :func:`fit_files` embeds the accepted files in order (newest-referenced first) while they fit a
  token budget and says exactly which were left out, with their token counts.

Allowed roots come from the setting ``files.allowed_roots`` (env ``ZEN_FILES__ALLOWED_ROOTS``,
comma-separated); the default is the user's home directory and the server's working directory.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

if TYPE_CHECKING:
    import pathspec

__all__ = [
    "SECRET_NAMES",
    "SECRET_SUFFIXES",
    "SKIPPED_DIRS",
    "ExcludedFile",
    "FileContext",
    "RefusedPath",
    "ResolvedPaths",
    "allowed_roots_from_settings",
    "default_allowed_roots",
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

#: Directory names never entered when a directory is expanded (hidden directories are skipped too).
SKIPPED_DIRS = frozenset(
    {
        "node_modules",
        "__pycache__",
        "venv",
        "env",
        "site-packages",
        "dist",
        "build",
        "target",
        "vendor",
        "bower_components",
        "coverage",
        "htmlcov",
    }
)

#: File-name patterns (lower-cased ``fnmatch``) refused as secrets unless ``allow_secrets`` is set.
SECRET_NAMES = (
    ".env",
    ".env.*",
    "*.env",
    ".envrc",
    ".npmrc",
    ".pypirc",
    ".netrc",
    "_netrc",
    ".pgpass",
    ".git-credentials",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    "id_rsa.*",
    "id_dsa.*",
    "id_ecdsa.*",
    "id_ed25519.*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "*.kdbx",
    "credentials",
    "*credentials*.json",
    "credentials.y*ml",
    "credentials.toml",
    "credentials.ini",
    "*.tfvars",
    "secrets.json",
    "secrets.y*ml",
    "secrets.toml",
    "secrets.ini",
    "*.secret",
    "*.secrets",
    "service-account*.json",
    "htpasswd",
    ".htpasswd",
)
#: Relative path suffixes refused as secrets (matched against the last path components).
SECRET_SUFFIXES = (
    (".aws", "credentials"),
    (".aws", "config"),
    (".docker", "config.json"),
    (".kube", "config"),
    (".ssh", "*"),
    (".gnupg", "*"),
    (".config", "gh", "hosts.yml"),
)

_SNIFF_BYTES = 8192
#: Longest path accepted (characters, and bytes once encoded), as Linux's PATH_MAX.
MAX_PATH_CHARS = 4096
#: Longest file or directory name (bytes), as Linux's NAME_MAX.
MAX_NAME_BYTES = 255
DEFAULT_MAX_FILE_BYTES = 5_000_000
DEFAULT_MAX_FILES = 1000


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


# -- allowed roots -----------------------------------------------------------------------------
def default_allowed_roots() -> list[Path]:
    """The user's home directory and the server's working directory."""
    return _unique([Path.home(), Path.cwd()])


def allowed_roots_from_settings(settings: Any) -> list[Path]:
    """``files.allowed_roots`` from a :class:`zen_core.settings.Settings` (list or comma-separated string).

    ``~`` is expanded; relative entries are ignored. Unset or empty: :func:`default_allowed_roots`.
    """
    raw = settings.get("files.allowed_roots") if settings is not None else None
    items = raw.split(",") if isinstance(raw, str) else list(raw or [])
    roots = [Path(os.path.expanduser(str(item).strip())) for item in items if str(item).strip()]
    roots = [r for r in roots if r.is_absolute()]
    return _unique(roots) if roots else default_allowed_roots()


def _unique(paths: Iterable[Path]) -> list[Path]:
    return list(dict.fromkeys(Path(os.path.realpath(p)) for p in paths))


def _inside(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def _roots_hint(roots: Sequence[Path]) -> str:
    return f"allowed roots: {', '.join(str(r) for r in roots) or '(none)'}"


# -- secrets -----------------------------------------------------------------------------------
def is_secret(path: Path | str) -> str | None:
    """Why ``path`` looks like a secret (``None`` when it does not). Looks at the name and parents only."""
    parts = [p.lower() for p in Path(path).parts]
    if not parts:
        return None
    if ".git" in parts[:-1] or parts[-1] == ".git":
        return "inside a .git directory (repository internals)"
    name = parts[-1]
    for pattern in SECRET_NAMES:
        if fnmatch.fnmatchcase(name, pattern):
            return f"secret file (matches '{pattern}')"
    for suffix in SECRET_SUFFIXES:
        if len(parts) >= len(suffix) and all(
            fnmatch.fnmatchcase(part, pat) for part, pat in zip(parts[-len(suffix) :], suffix, strict=True)
        ):
            return f"secret file (matches '{'/'.join(suffix)}')"
    return None


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

    def refuse(self, path: str, reason: str, kind: RefusalKind, requested: bool) -> None:
        self.refused.append(RefusedPath(path, reason, kind, requested))

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
        except OSError as exc:
            self.refuse(shown, f"cannot read: {exc.strerror or exc}", "unreadable", requested)
            return
        self.accepted[real] = None

    def expand(self, raw: str, top: Path) -> None:
        ignores = _Gitignores(top, self.roots)
        for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
            here = Path(dirpath)
            ignores.load(here)
            entered = []
            for d in sorted(dirnames):
                denied = self.denied_reason(here / d)  # ``here`` is real; os.walk does not follow links
                if denied is not None:
                    self.refuse(os.path.join(raw, os.path.relpath(here / d, top)), denied, "denied", False)
                elif not d.startswith(".") and d not in SKIPPED_DIRS and not ignores.ignored(here / d, True):
                    entered.append(d)
            dirnames[:] = entered
            for name in sorted(filenames):
                if self.full:
                    return
                path = here / name
                if ignores.ignored(path, False):
                    continue
                shown = os.path.join(raw, os.path.relpath(path, top))
                real = self.check(shown, requested=False)
                if real is not None:
                    self.add_file(shown, real, requested=False)


class _Gitignores:
    """``.gitignore`` files from the repository root (or the nearest allowed root) down to each directory."""

    def __init__(self, top: Path, roots: Sequence[Path]) -> None:
        self.specs: dict[Path, pathspec.GitIgnoreSpec] = {}
        for ancestor in reversed(_repo_ancestors(top, roots)):
            self.load(ancestor)

    def load(self, directory: Path) -> None:
        if directory in self.specs:
            return
        path = directory / ".gitignore"
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines() if path.is_file() else []
        except OSError:
            lines = []
        import pathspec  # only directory expansion needs it; keeps importing tools cheap

        self.specs[directory] = pathspec.GitIgnoreSpec.from_lines(lines)

    def ignored(self, path: Path, is_dir: bool) -> bool:
        """Deeper ``.gitignore`` files win over shallower ones, as in git."""
        result = False
        for base, spec in self.specs.items():  # insertion order: outermost first
            if base != path and base in path.parents:
                rel = path.relative_to(base).as_posix() + ("/" if is_dir else "")
                check = spec.check_file(rel)
                if check.include is not None:
                    result = bool(check.include)
        return result


def _repo_ancestors(top: Path, roots: Sequence[Path]) -> list[Path]:
    """``top`` and its parents up to the enclosing git repository root (never above an allowed root)."""
    chain = [top]
    for parent in top.parents:
        if (chain[-1] / ".git").exists() or chain[-1] in roots:
            break
        chain.append(parent)
    if not (chain[-1] / ".git").exists():
        return [top]
    return chain


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
) -> ResolvedPaths:
    """Check ``paths`` and expand directories; returns the readable files (real paths, in request order,
    each once) and the refused paths with reasons. Blocking: run it in a thread from async code.

    ``denied`` lists ``(path, reason)`` pairs: a path whose real path (symlinks resolved) is one of them or
    inside one is refused with kind ``"denied"`` and that reason, before any other rule, whether it was
    named or found by expansion; denied directories are not entered when a directory is expanded.
    """
    resolver = _Resolver(
        [Path(r) for r in allowed_roots],
        allow_secrets,
        expand_dirs,
        skip_binary,
        max_file_bytes,
        max_files,
        denied,
    )
    for raw in paths:
        resolver.add(str(raw))
    return ResolvedPaths(list(resolver.accepted), resolver.refused)


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
