"""Git changes for tools: what changed in a repository, as per-file diffs, fitted to a token budget.

Shared by every tool that reviews changes (``precommit``, ``codereview``). Blocking (subprocesses, file
reads, token counting): :meth:`zen_core.context.access.Files.git_changes` runs :func:`collect_changes` in a
worker thread; call :meth:`GitChanges.fit` with ``asyncio.to_thread`` too.

- **What is collected.** Without ``compare_to``: the staged changes (``HEAD`` → index), the unstaged ones
  (index → working tree), or both (``HEAD`` → working tree, one diff per file, each file marked with where its
  changes are). With ``compare_to`` (a branch, tag or commit): from the merge base of it and ``HEAD`` to the
  working tree (``unstaged``), to the index (``staged`` only) or to ``HEAD`` (neither: committed changes
  only). Untracked files (not ignored) are added as new files on request. Only changes below the directory
  asked for are collected, so a directory inside a larger repository shows nothing outside it.
- **Per file**: status (added, modified, deleted, renamed, copied, type_changed, unmerged), kind (text,
  binary, submodule), where the change is (committed, staged, unstaged, untracked), line counts and the
  unified diff. Binary files and submodule pointer changes are listed, never sent; submodules are not
  recursed into (their own uncommitted changes are ignored).
- **Secrets**: a file whose name is a secret's (``.env``, keys, credentials …, the same rules as every
  file), one in a never-readable place (Zen's own files, agents' configuration), and a diff containing a
  credential-shaped value (provider API keys, private key blocks) are withheld: listed with the reason,
  their diff dropped. ``credential_lines`` says where a credential was added.
- **Safety**: git runs as an argument list (never a shell) with the environment's ``GIT_*`` variables
  removed, optional locks off (nothing is written to the repository), no external diff or textconv
  programs and no fsmonitor hook; every run has a deadline. ``compare_to`` must look like a revision
  (no option, nothing ``git check-ref-format`` rejects) and resolve with ``git rev-parse --verify``.
- :meth:`GitChanges.fit` renders the listing and the diffs (with new-file line numbers) while they fit a
  token budget, with the token count of every file left out.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from zen_core.context.files import (
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_MAX_FILES,
    ExcludedFile,
    _inside,
    _is_binary,
    _Resolver,
    is_secret,
)
from zen_core.errors import ToolError
from zen_core.redact import SECRET_VALUE

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "MAX_DIFF_BYTES",
    "DiffContext",
    "GitChanges",
    "GitFileChange",
    "check_repo",
    "collect_changes",
    "credential_lines",
    "fit_changes",
    "format_change",
]

ChangeStatus = Literal["added", "modified", "deleted", "renamed", "copied", "type_changed", "unmerged"]
ChangeKind = Literal["text", "binary", "submodule"]
Where = Literal["committed", "staged", "unstaged", "untracked"]

#: Time limit for all the git commands of one collection.
DEFAULT_TIMEOUT_S = 60.0
#: Most bytes of diff output read from git; files beyond are listed as not read.
MAX_DIFF_BYTES = 20_000_000
#: Longest accepted ``compare_to``.
MAX_REF_CHARS = 256

_STATUS: dict[str, ChangeStatus] = {
    "A": "added",
    "M": "modified",
    "D": "deleted",
    "R": "renamed",
    "C": "copied",
    "T": "type_changed",
    "U": "unmerged",
}
_SUBMODULE_MODE = "160000"
_NULL_SHA = re.compile(r"^0+$")
_SUBPROJECT = re.compile(r"^([-+])Subproject commit ([0-9a-f]+)", re.MULTILINE)
#: Lines that start a file's part of a patch.
_BLOCK_START = ("diff --git ", "diff --cc ", "diff --combined ", "* Unmerged path ")
_BLOCK_LINE = re.compile("^(?:" + "|".join(re.escape(s) for s in _BLOCK_START) + ")", re.MULTILINE)
_HUNK = re.compile(r"^@@@? -(\d+)(?:,\d+)?(?: -\d+(?:,\d+)?)? \+(\d+)(?:,(\d+))? @@@?")
#: ``rev~2``, ``rev^``, ``rev^2~1``: ancestry suffixes allowed after a ref name in ``compare_to``.
_ANCESTRY = re.compile(r"(?:[~^]\d*)+$")
#: Prefixes of the key shapes of :data:`zen_core.redact.SECRET_VALUE` (a cheap first scan).
_KEY_PREFIX = re.compile(r"zen_|sk-|xai-|gsk_|AIza|AKIA|ASIA|gh[pousr]_|github_pat_")
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
#: Patch header lines the rendering leaves out (the change's own heading says the same).
_HEADER_NOISE = ("diff --git ", "index ", "--- ", "+++ ")
#: Configuration that would change git's output or run programs, pinned for every command.
_CONFIG = (
    "core.quotepath=false",
    "core.fsmonitor=false",
    "diff.noprefix=false",
    "diff.mnemonicPrefix=false",
    "diff.external=",
    "submodule.recurse=false",
    "color.ui=never",
    "diff.suppressBlankEmpty=false",
)
_DIFF_OPTIONS = (
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--no-relative",
    "--find-renames",
    "--ignore-submodules=dirty",
    "--submodule=short",
    "--src-prefix=a/",
    "--dst-prefix=b/",
)


# -- results -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class GitFileChange:
    """One changed file: its status, kind, where the change is, and its diff (empty when not sent)."""

    #: Path relative to the repository's top level (the new path of a rename).
    path: str
    status: ChangeStatus
    kind: ChangeKind = "text"
    #: Where the change is: ``committed`` (since ``compare_to``), ``staged``, ``unstaged``, ``untracked``.
    where: tuple[Where, ...] = ()
    #: The path before a rename or copy.
    old_path: str | None = None
    #: Similarity of a rename or copy, in percent.
    similarity: int | None = None
    #: Lines added and deleted (``None`` for binary files).
    additions: int | None = None
    deletions: int | None = None
    #: A submodule's commit before and after (``None``: absent on that side).
    submodule: tuple[str | None, str | None] | None = None
    #: git's unified diff of this file; empty for binary files, submodules and withheld files.
    diff: str = ""
    #: Why the file's diff is not given (a secret, a never-readable place, too large, unreadable).
    withheld: str | None = None
    #: Whether it was withheld to protect credentials (by its name or by its content).
    secret: bool = False
    #: New-file line numbers of added lines holding a credential-shaped value.
    credential_lines: tuple[int, ...] = ()

    @property
    def sendable(self) -> bool:
        """Whether the diff can be shown to a model (a text change that was not withheld)."""
        return self.kind == "text" and self.withheld is None and bool(self.diff)

    def describe(self) -> str:
        """One line for the listing: ``modified src/app.py (staged, +3 -1)``."""
        name = f"{self.old_path} -> {self.path}" if self.old_path and self.old_path != self.path else self.path
        facts: list[str] = list(self.where)
        if self.similarity is not None and self.status in ("renamed", "copied"):
            facts.append(f"{self.similarity}% similar")
        if self.kind == "submodule":
            old, new = self.submodule or (None, None)
            facts.append(f"submodule {_short(old)} -> {_short(new)}")
        elif self.kind == "binary":
            facts.append("binary, not shown")
        elif self.additions is not None and self.deletions is not None:
            facts.append(f"+{self.additions} -{self.deletions}")
        if self.withheld:
            facts.append(f"withheld: {self.withheld}")
        return f"{self.status} {name}" + (f" ({', '.join(facts)})" if facts else "")

    def as_dict(self) -> dict[str, Any]:
        """The change without its diff (for a tool's result)."""
        out: dict[str, Any] = {"path": self.path, "status": self.status, "kind": self.kind, "where": list(self.where)}
        for key in ("old_path", "similarity", "additions", "deletions", "withheld"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.submodule is not None:
            out["submodule"] = {"old": self.submodule[0], "new": self.submodule[1]}
        if self.secret:
            out["secret"] = True
        if self.credential_lines:
            out["credential_lines"] = list(self.credential_lines)
        return out


@dataclass(frozen=True)
class DiffContext:
    """Changes fitted to a token budget: the text for the model, and what was left out with its tokens."""

    #: The repository, the listing of every changed file, the diffs that fit, and a note naming those that did not.
    text: str
    #: Paths whose diff is in :attr:`text`.
    included: list[str] = field(default_factory=list)
    #: Paths whose diff did not fit, with the tokens it needed.
    excluded: list[ExcludedFile] = field(default_factory=list)
    #: Paths listed but never sent (binary, submodule, withheld), with why.
    not_sent: list[dict[str, str]] = field(default_factory=list)
    #: Files named in the listing (the listing is cut short only when it alone would not fit).
    listed: int = 0
    #: ``count_tokens(text)``.
    tokens: int = 0

    def report(self) -> dict[str, Any]:
        """What went in and what did not, for the tool's result."""
        return {
            "included": self.included,
            "excluded": [e.as_dict() for e in self.excluded],
            "not_sent": self.not_sent,
            "tokens": self.tokens,
        }

    def notes(self) -> list[str]:
        """One readable line per file whose diff was left out or not sent."""
        lines = [f"Left out (did not fit): {e.path}: {e.reason}" for e in self.excluded]
        return lines + [f"Not sent: {n['path']}: {n['reason']}" for n in self.not_sent]


@dataclass(frozen=True)
class GitChanges:
    """The changes of a repository as per-file diffs (see :mod:`zen_core.context.git`)."""

    #: The directory asked for (real path); only changes below it are collected.
    repo: str
    #: The repository's top level (real path); file paths are relative to it.
    root: str
    #: The current branch (``None``: detached HEAD) and commit (``None``: no commit yet).
    branch: str | None
    head: str | None
    #: ``compare_to`` as given, and the commit the changes are measured from (the merge base).
    compare_to: str | None
    base: str | None
    #: What was compared, in words (``staged and unstaged changes against HEAD``).
    scope: str
    files: list[GitFileChange] = field(default_factory=list)
    #: Facts about the collection itself (output cut short, untracked files not read …).
    notes: list[str] = field(default_factory=list)

    def path(self, change: GitFileChange) -> str:
        """The absolute path of ``change``."""
        return os.path.join(self.root, change.path)

    def fit(self, *, budget_tokens: int, count_tokens: Callable[[str], int]) -> DiffContext:
        """The listing of every change, then the diffs (lines numbered as in the new file) in git's order
        while they fit ``budget_tokens``, then a note naming those left out; ``count_tokens`` is the model's
        tokenizer, and ``count_tokens(text) <= budget_tokens`` always holds. Blocking."""
        return fit_changes(self, budget_tokens=budget_tokens, count_tokens=count_tokens)

    def as_dict(self) -> dict[str, Any]:
        """The collection without the diffs (for a tool's result)."""
        return {
            "repo": self.repo,
            "root": self.root,
            "branch": self.branch,
            "head": self.head,
            "compare_to": self.compare_to,
            "base": self.base,
            "scope": self.scope,
            "files": [f.as_dict() for f in self.files],
            "notes": self.notes,
        }


# -- running git -------------------------------------------------------------------------------
def _git_env() -> dict[str, str]:
    """The server's environment without ``GIT_*`` (``GIT_DIR`` & co. would point git elsewhere)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0", GIT_PAGER="cat", PAGER="cat", LC_ALL="C")
    return env


class _Git:
    """git commands in one directory, all within one deadline."""

    def __init__(self, cwd: Path, timeout_s: float) -> None:
        self.cwd = cwd
        self.timeout_s = timeout_s
        self.deadline = time.monotonic() + timeout_s
        self.env = _git_env()

    def run(self, *args: str, ok: Sequence[int] = (0,), max_bytes: int | None = None) -> tuple[int, bytes, bool]:
        """``(exit code, stdout, cut short)``; raises ToolError when git is missing, too slow or fails."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self._timeout()
        argv = ["git", *(part for item in _CONFIG for part in ("-c", item)), *args]
        with tempfile.TemporaryFile() as err:
            try:
                proc = subprocess.Popen(
                    argv, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err
                )
            except FileNotFoundError as exc:
                raise ToolError(
                    "git is not installed (or not on the server's PATH); install git to review changes.",
                    code="git_unavailable",
                ) from exc
            timer = threading.Timer(left, proc.kill)
            timer.start()
            chunks: list[bytes] = []
            size, cut = 0, False
            try:
                assert proc.stdout is not None
                while chunk := proc.stdout.read(1 << 16):
                    if max_bytes is not None and size + len(chunk) > max_bytes:
                        chunks.append(chunk[: max_bytes - size])
                        cut = True
                        proc.kill()
                        break
                    chunks.append(chunk)
                    size += len(chunk)
                proc.stdout.close()
                code = proc.wait()
            finally:
                timer.cancel()
            if not cut and time.monotonic() >= self.deadline and code < 0:
                raise self._timeout()
            err.seek(0)
            message = err.read().decode("utf-8", "replace").strip()
        if not cut and code not in ok:
            raise _GitFailed(code, message)
        return code, b"".join(chunks), cut

    def text(self, *args: str) -> str:
        return self.run(*args)[1].decode("utf-8", "replace").strip()

    def optional(self, *args: str) -> str | None:
        """Output of a command that may fail (``None`` then)."""
        try:
            return self.text(*args) or None
        except _GitFailed:
            return None

    def paths(self, *args: str) -> set[str]:
        """The NUL-separated paths a ``--name-only -z`` command prints."""
        return {p for p in self.run(*args)[1].decode("utf-8", "replace").split("\0") if p}

    def _timeout(self) -> ToolError:
        return ToolError(
            f"git did not finish within {self.timeout_s:g}s in {self.cwd}; the repository may be very large "
            "or on a slow disk. Narrow the path to a subdirectory, or review fewer changes.",
            code="git_timeout",
        )


class _GitFailed(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# -- checking what the caller asked for --------------------------------------------------------
def check_repo(raw: str, *, roots: Sequence[Path], denied: Sequence[tuple[Path, str]] = ()) -> Path:
    """The real path of the directory ``raw`` when this caller may read it (the same rules as every
    file: absolute, inside the allowed roots, not a secret, not a never-readable place); else ToolError
    ``path_refused`` naming the rule."""
    resolver = _Resolver(roots, False, False, True, DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_FILES, denied)
    real = resolver.check(raw, requested=True)
    if real is None:
        refused = resolver.refused[0]
        raise ToolError(
            f"Refused repository path (nothing was read): {refused.path}: {refused.reason}",
            code="path_refused",
            details={"refused": [refused.as_dict()]},
        )
    if not real.is_dir():
        raise ToolError(
            f"{raw} is not a directory; pass the repository's directory (or a directory inside it).",
            code="not_a_git_repository",
        )
    return real


def _check_ref(git: _Git, ref: str) -> str:
    """The commit ``ref`` names; ToolError ``invalid_ref`` for anything but a plain revision."""
    problem = None
    name = _ANCESTRY.sub("", ref)
    if not ref.strip():
        problem = "it is empty"
    elif ref.startswith("-"):
        problem = "it starts with '-' (it would be read as an option)"
    elif len(ref) > MAX_REF_CHARS:
        problem = f"it is longer than {MAX_REF_CHARS} characters"
    elif any(ord(c) < 32 or c.isspace() for c in ref):
        problem = "it contains spaces or control characters"
    elif not name:
        problem = "it has no name before ~ or ^"
    elif git.run("check-ref-format", "--allow-onelevel", name, ok=(0, 1))[0] != 0:
        problem = "git check-ref-format rejects it"
    if problem:
        raise ToolError(
            f"compare_to {ref!r} is not a branch, tag or commit: {problem}. Pass a name such as 'main', "
            "'origin/main', a tag or a commit hash (optionally with ~N or ^N).",
            code="invalid_ref",
        )
    sha = git.optional("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if not sha:
        raise ToolError(
            f"compare_to {ref!r} does not name a commit in this repository (git rev-parse --verify failed); "
            "check the branch name, or fetch it first.",
            code="invalid_ref",
        )
    return sha


# -- collecting --------------------------------------------------------------------------------
def collect_changes(
    repo: Path | str,
    *,
    staged: bool = True,
    unstaged: bool = True,
    compare_to: str | None = None,
    untracked: bool = False,
    denied: Sequence[tuple[Path, str]] = (),
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    max_files: int = DEFAULT_MAX_FILES,
    max_bytes: int = MAX_DIFF_BYTES,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> GitChanges:
    """The changes below the directory ``repo`` (already checked with :func:`check_repo`); see the module
    docstring for what is collected. Blocking; raises ToolError when git fails or ``compare_to`` is refused."""
    if compare_to is None and not (staged or unstaged or untracked):
        raise ToolError(
            "Nothing to collect: staged, unstaged and untracked are all false. Set one, or pass compare_to.",
            code="invalid_arguments",
        )
    cwd = Path(repo)
    git = _Git(cwd, timeout_s)
    try:
        top = git.text("rev-parse", "--show-toplevel")
    except _GitFailed as exc:
        raise ToolError(
            f"{cwd} is not inside a git work tree (git said: {exc.message or f'exit status {exc.code}'}).",
            code="not_a_git_repository",
        ) from None
    root = Path(os.path.realpath(top))
    head = git.optional("rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    branch = git.optional("symbolic-ref", "--quiet", "--short", "HEAD")
    try:
        return _collect(git, cwd, root, head, branch, staged, unstaged, compare_to, untracked, denied,
                        max_file_bytes, max_files, max_bytes)  # fmt: skip
    except _GitFailed as exc:
        raise ToolError(f"git failed in {cwd}: {exc.message or f'exit status {exc.code}'}", code="git_failed") from None


def _collect(
    git: _Git,
    cwd: Path,
    root: Path,
    head: str | None,
    branch: str | None,
    staged: bool,
    unstaged: bool,
    compare_to: str | None,
    untracked: bool,
    denied: Sequence[tuple[Path, str]],
    max_file_bytes: int,
    max_files: int,
    max_bytes: int,
) -> GitChanges:
    start = head or git.text("hash-object", "-t", "tree", os.devnull)  # the empty tree before the first commit
    base: str | None = None
    where_sets: list[tuple[Where, set[str]]] = []
    spec: list[str]
    if compare_to is not None:
        target = _check_ref(git, compare_to)
        merge_base = git.optional("merge-base", target, head) if head else None
        base = merge_base or target
        if unstaged:
            spec, upto = [base], "the working tree"
        elif staged:
            spec, upto = ["--cached", base], "the index (staged)"
        else:
            spec, upto = [base, start], "HEAD (committed only)"
        since = f"{compare_to} ({base[:12]}" + (", the merge base)" if merge_base and merge_base != target else ")")
        scope = f"changes since {since} up to {upto}"
        if head:
            where_sets.append(("committed", git.paths("diff", "--name-only", "-z", "--find-renames", base, head)))
    elif staged and unstaged:
        spec, scope = [start], "staged and unstaged changes against HEAD"
    elif staged:
        spec, scope = ["--cached", start], "staged changes (what the next commit holds)"
    elif unstaged:
        spec, scope = [], "unstaged changes (working tree against the index)"
    else:
        spec, scope = [], "untracked files only"
    if staged or (compare_to is not None and unstaged):
        where_sets.append(("staged", git.paths("diff", "--cached", "--name-only", "-z", "--find-renames", start)))
    if unstaged:
        where_sets.append(("unstaged", git.paths("diff", "--name-only", "-z")))

    files: list[GitFileChange] = []
    notes: list[str] = []
    if compare_to is not None or staged or unstaged:
        files = _diff_changes(git, spec, max_bytes, notes)
        files = [replace(f, where=tuple(w for w, paths in where_sets if f.path in paths)) for f in files]
    if untracked:
        scope += " and untracked files" if compare_to is not None or staged or unstaged else ""
        files += _untracked(git, root, max_file_bytes, max_files, max_bytes, notes)
    files = [_screen(f, root, denied, max_file_bytes) for f in files]
    return GitChanges(
        repo=str(cwd),
        root=str(root),
        branch=branch,
        head=head,
        compare_to=compare_to,
        base=base,
        scope=scope,
        files=files,
        notes=notes,
    )


@dataclass
class _Entry:
    status: str
    old_mode: str
    new_mode: str
    old_sha: str
    new_sha: str
    old_path: str
    path: str
    blocks: list[str] = field(default_factory=list)


def _diff_changes(git: _Git, spec: list[str], max_bytes: int, notes: list[str]) -> list[GitFileChange]:
    raw = git.run("diff", *_DIFF_OPTIONS, "--raw", "--numstat", "-z", "--no-abbrev", *spec, "--", ".")[1]
    entries, numstat = _parse_raw(raw.decode("utf-8", "replace"))
    _, patch, cut = git.run("diff", *_DIFF_OPTIONS, "--patch", *spec, "--", ".", max_bytes=max_bytes)
    blocks = _split_blocks(patch.decode("utf-8", "replace"))
    if cut and blocks:
        blocks.pop()  # the last block was cut off mid-way
        notes.append(f"The diff is larger than {max_bytes:,} bytes: only what came before was read.")
    _assign_blocks(entries, blocks)
    changes = []
    for entry in entries:
        changes.append(_change(entry, numstat.get(entry.path), cut))
    return changes


def _parse_raw(text: str) -> tuple[list[_Entry], dict[str, tuple[int | None, int | None]]]:
    """``--raw --numstat -z`` output: the entries in git's order, and line counts by path."""
    tokens = text.split("\0")
    entries: list[_Entry] = []
    numstat: dict[str, tuple[int | None, int | None]] = {}
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if not token:
            i += 1
        elif token.startswith(":"):
            old_mode, new_mode, old_sha, new_sha, status = token[1:].split(" ")[:5]
            if status[:1] in ("R", "C"):
                old, new, i = tokens[i + 1], tokens[i + 2], i + 3
            else:
                old = new = tokens[i + 1]
                i += 2
            if entries and entries[-1].path == new and "U" in (entries[-1].status[:1], status[:1]):
                entries[-1].status = "U"  # an unmerged path is listed once per stage: one entry
                continue
            entries.append(_Entry(status, old_mode, new_mode, old_sha, new_sha, old, new))
        else:
            added, deleted, path = token.split("\t", 2)
            if path == "":
                path, i = tokens[i + 2], i + 3
            else:
                i += 1
            numstat[path] = (None, None) if added == "-" else (int(added), int(deleted))
    return entries, numstat


def _split_blocks(patch: str) -> list[str]:
    """The patch cut into each file's part (a part starts at a ``diff --git`` line or the like)."""
    starts = [m.start() for m in _BLOCK_LINE.finditer(patch)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    return [patch[a:b] for a, b in zip(starts, [*starts[1:], len(patch)], strict=True) if patch[a:b]]


def _header(block: str) -> str:
    return block.split("\n", 1)[0]


def _expected_headers(entry: _Entry) -> set[str]:
    old, new = _quote("a/" + entry.old_path), _quote("b/" + entry.path)
    headers = {f"diff --git {old} {new}"}
    if entry.status.startswith("U"):
        headers |= {f"diff --cc {_quote(entry.path)}", f"diff --combined {_quote(entry.path)}"}
        headers.add(f"* Unmerged path {entry.path}")
    return headers


def _assign_blocks(entries: list[_Entry], blocks: list[str]) -> None:
    """Give each entry its blocks (a type change has two), matching headers in git's order."""
    at = 0
    for entry in entries:
        expected = _expected_headers(entry)
        found = next((j for j in range(at, len(blocks)) if _header(blocks[j]) in expected), None)
        if found is None:
            continue
        at = found
        while at < len(blocks) and _header(blocks[at]) in expected:
            entry.blocks.append(blocks[at])
            at += 1


def _change(entry: _Entry, counts: tuple[int | None, int | None] | None, cut: bool) -> GitFileChange:
    letter = entry.status[:1]
    status: ChangeStatus = _STATUS.get(letter, "modified")
    similarity = int(entry.status[1:]) if letter in ("R", "C") and entry.status[1:].isdigit() else None
    additions, deletions = counts if counts is not None else (None, None)
    old_path = entry.old_path if entry.old_path != entry.path else None
    diff = "".join(entry.blocks)
    if _SUBMODULE_MODE in (entry.old_mode, entry.new_mode):
        # The working-tree side of a raw line has no hash; the patch says which commit is checked out.
        said = {m.group(1): m.group(2) for m in _SUBPROJECT.finditer(diff)}
        pointer = (
            said.get("-") or (None if _NULL_SHA.match(entry.old_sha) else entry.old_sha),
            said.get("+") or (None if _NULL_SHA.match(entry.new_sha) else entry.new_sha),
        )
        return GitFileChange(entry.path, status, "submodule", old_path=old_path, submodule=pointer)
    binary = (counts is not None and additions is None) or "\nBinary files " in diff or "\nGIT binary patch" in diff
    if binary:
        return GitFileChange(entry.path, status, "binary", old_path=old_path, similarity=similarity)
    withheld = None
    if not diff and (additions or deletions):
        withheld = "diff not read: the whole diff is too large" if cut else "diff not available (changed while read)"
    return GitFileChange(
        entry.path,
        status,
        old_path=old_path,
        similarity=similarity,
        additions=additions,
        deletions=deletions,
        diff=diff,
        withheld=withheld,
    )


def _untracked(
    git: _Git, root: Path, max_file_bytes: int, max_files: int, max_bytes: int, notes: list[str]
) -> list[GitFileChange]:
    out = git.run("ls-files", "--others", "--exclude-standard", "--full-name", "-z", "--", ".")[1]
    paths = [p for p in out.decode("utf-8", "replace").split("\0") if p]
    changes: list[GitFileChange] = []
    read = 0
    for number, rel in enumerate(paths):
        where: tuple[Where, ...] = ("untracked",)
        if number >= max_files:
            notes.append(f"{len(paths) - max_files} more untracked files were not read (limit {max_files}).")
            break
        if rel.endswith("/"):  # a nested repository git does not enter
            changes.append(GitFileChange(rel.rstrip("/"), "added", "submodule", where, submodule=(None, None)))
            continue
        full = root / rel
        if is_secret(full):  # checked again by _screen; never read a secret's content at all
            changes.append(GitFileChange(rel, "added", where=where))
            continue
        try:
            info = full.lstat()
            if stat.S_ISLNK(info.st_mode):
                content = os.readlink(full)  # like git: a symlink's content is its target
            elif not stat.S_ISREG(info.st_mode):
                continue
            elif info.st_size > max_file_bytes:
                reason = f"too large ({info.st_size:,} bytes; the limit is {max_file_bytes:,})"
                changes.append(GitFileChange(rel, "added", where=where, withheld=reason))
                continue
            elif read + info.st_size > max_bytes:
                reason = f"not read: the untracked files exceed {max_bytes:,} bytes"
                changes.append(GitFileChange(rel, "added", where=where, withheld=reason))
                continue
            elif _is_binary(full):
                changes.append(GitFileChange(rel, "added", "binary", where))
                continue
            else:
                content = full.read_text(encoding="utf-8", errors="replace")
                read += info.st_size
        except OSError as exc:
            reason = f"cannot read: {exc.strerror or exc}"
            changes.append(GitFileChange(rel, "added", where=where, withheld=reason))
            continue
        lines = content.splitlines()
        changes.append(
            GitFileChange(
                rel, "added", where=where, additions=len(lines), deletions=0, diff=_new_file_diff(rel, content)
            )
        )
    return changes


def _new_file_diff(rel: str, content: str) -> str:
    """A file added in full, as git would show it."""
    a, b = _quote("a/" + rel), _quote("b/" + rel)
    lines = content.splitlines()
    out = [f"diff --git {a} {b}", "new file mode 100644", "--- /dev/null", f"+++ {b}"]
    if lines:
        out.append(f"@@ -0,0 +1{'' if len(lines) == 1 else f',{len(lines)}'} @@")
        out += ["+" + line for line in lines]
        if not content.endswith(("\n", "\r")):
            out.append("\\ No newline at end of file")
    return "\n".join(out) + "\n"


def _screen(
    change: GitFileChange, root: Path, denied: Sequence[tuple[Path, str]], max_file_bytes: int
) -> GitFileChange:
    """Withhold the diff of a secret file, a never-readable place, a credential-shaped value or a huge diff."""
    for rel in dict.fromkeys(p for p in (change.path, change.old_path) if p):
        full = Path(os.path.normpath(root / rel))
        secret = is_secret(full)
        if secret:
            return replace(change, diff="", secret=True, withheld=f"{secret}, to protect credentials")
        real = Path(os.path.realpath(full))
        for place, reason in denied:
            if _inside(real, [Path(place)]):
                return replace(change, diff="", withheld=reason)
    if not change.diff:
        return change
    found, added = credential_lines(change.diff)
    if found:
        where = f"added at line {', '.join(str(n) for n in added[:5])}" if added else "in removed or unchanged lines"
        return replace(
            change,
            diff="",
            secret=True,
            credential_lines=tuple(added),
            withheld=f"the diff holds a credential-shaped value (an API key or private key, {where})",
        )
    size = len(change.diff.encode("utf-8"))
    if size > max_file_bytes:
        return replace(change, diff="", withheld=f"diff too large ({size:,} bytes; the limit is {max_file_bytes:,})")
    return change


def credential_lines(diff: str) -> tuple[bool, list[int]]:
    """Whether ``diff`` holds a credential-shaped value anywhere, and the new-file line numbers of the added
    lines that hold one. Shapes: provider API keys (Zen's log redaction patterns) and private key blocks."""
    found = False
    added: list[int] = []
    if not _has_credential(diff):  # one scan of the whole text; line by line only when something is there
        return found, added
    for kind, new_no, text in _numbered(diff):
        if kind not in "+- " or not _has_credential(text):
            continue
        found = True
        if kind == "+" and new_no is not None:
            added.append(new_no)
    return found, added


def _has_credential(text: str) -> bool:
    if _PRIVATE_KEY.search(text):
        return True
    if not _KEY_PREFIX.search(text):  # a fast scan for the prefixes before the full patterns
        return False
    return any(
        m.group("bearer") is None and m.group("assign") is None
        for line in text.splitlines()
        if _KEY_PREFIX.search(line)
        for m in SECRET_VALUE.finditer(line)
    )


def _numbered(diff: str) -> Iterable[tuple[str, int | None, str]]:
    """``(kind, new line number, text)`` for each line of a diff: kind ``h`` for file headers, ``@`` for hunk
    headers, ``\\`` for no-newline markers, and ``+``, ``-``, `` `` for hunk lines (numbered on the new side)."""
    new_no: int | None = None
    for line in diff.splitlines():
        match = _HUNK.match(line)
        if match:
            new_no = int(match.group(2))
            yield "@", None, line
        elif line.startswith(_BLOCK_START) or new_no is None:
            new_no = None
            yield "h", None, line
        elif line.startswith("\\"):
            yield "\\", None, line
        elif line[:1] in ("+", " "):
            yield line[:1], new_no, line[1:]
            new_no += 1
        elif line[:1] == "-":
            yield "-", None, line[1:]
        else:  # the end of the hunks (another header)
            new_no = None
            yield "h", None, line


# -- rendering and fitting ---------------------------------------------------------------------
def format_change(change: GitFileChange) -> str:
    """A file's diff as the model sees it: git's headers (without ``index`` lines) and each hunk line
    with its line number in the new file."""
    lines = [f"--- BEGIN CHANGE: {change.describe()} ---"]
    body = list(_numbered(change.diff))
    width = max((len(str(n)) for _, n, _ in body if n is not None), default=1)
    for kind, number, text in body:
        if kind == "h":
            if not text.startswith(_HEADER_NOISE):
                lines.append(text)
        elif kind in ("@", "\\"):
            lines.append(text)
        else:
            lines.append(f"{'' if number is None or kind == '-' else number:>{width}} {kind} {text}")
    lines.append(f"--- END CHANGE: {change.path} ---")
    return "\n".join(lines)


def _listing_head(changes: GitChanges) -> str:
    where = f"branch {changes.branch}" if changes.branch else "detached HEAD"
    head = f"HEAD {changes.head[:12]}" if changes.head else "no commits yet"
    lines = [f"Repository: {changes.root} ({where}, {head})", f"Changes: {changes.scope}"]
    if changes.repo != changes.root:
        lines.append(f"Only changes below {changes.repo} are included.")
    lines += changes.notes
    lines.append(f"Changed files ({len(changes.files)}):" if changes.files else "No changes.")
    return "\n".join(lines)


def fit_changes(changes: GitChanges, *, budget_tokens: int, count_tokens: Callable[[str], int]) -> DiffContext:
    """The listing of every changed file (cut short with a count when it would take more than half the
    budget), then each sendable diff in git's order while it fits ``budget_tokens`` (a diff that does not
    fit is left out with its token count, and later smaller ones are still tried), then a note naming the
    diffs left out. ``count_tokens(result.text) <= budget_tokens``
    holds (checked on the final text; an empty text when not even the heading fits)."""
    separator = "\n\n"
    sep_cost = max(count_tokens(separator), 1)
    not_sent = [
        {"path": c.path, "reason": _not_sent_reason(c)} for c in changes.files if not c.sendable and _not_sent_reason(c)
    ]
    head = _listing_head(changes)
    used = count_tokens(head)
    if used > budget_tokens:
        reason = f"not even the heading of the changes fits the {budget_tokens:,}-token budget"
        return DiffContext("", [], [ExcludedFile(c.path, reason) for c in changes.files if c.sendable], not_sent)
    listing: list[str] = []
    listing_room = used + (budget_tokens - used) // 2  # the listing leaves at least half the budget to the diffs
    for change in changes.files:
        line = f"- {change.describe()}"
        cost = count_tokens(line) + 1
        if used + cost > listing_room - 32:  # room for the "… more" line
            listing.append(f"- … and {len(changes.files) - len(listing)} more changed files (not listed)")
            break
        listing.append(line)
        used += cost
    listed = sum(1 for line in listing if not line.startswith("- … and "))
    head = "\n".join([head, *listing])

    blocks: list[tuple[GitFileChange, str, int]] = []
    excluded: list[ExcludedFile] = []
    used = count_tokens(head)
    for change in changes.files:
        if not change.sendable:
            continue
        block = format_change(change)
        cost = count_tokens(block) + sep_cost
        left = budget_tokens - used
        if cost > left:
            excluded.append(ExcludedFile(change.path, _no_room(cost, left, budget_tokens), cost))
            continue
        blocks.append((change, block, cost))
        used += cost

    def render(chosen: list[tuple[GitFileChange, str, int]], left_out: list[ExcludedFile]) -> str:
        parts = [head, *(block for _, block, _ in chosen)]
        if left_out:
            names = "\n".join(f"- {e.path}" for e in left_out)
            parts.append(f"Changes left out to fit the context window (their diffs are not shown to you):\n{names}")
        return separator.join(parts)

    text = render(blocks, excluded)
    tokens = count_tokens(text)
    while tokens > budget_tokens and blocks:  # token counts need not add up exactly; the note costs tokens
        change, _, cost = blocks.pop()
        excluded.append(
            ExcludedFile(
                change.path,
                f"needs {cost:,} tokens; left out to keep the whole text within the {budget_tokens:,}-token budget",
                cost,
            )
        )
        text = render(blocks, excluded)
        tokens = count_tokens(text)
    if tokens > budget_tokens:  # the names of the left-out diffs alone are too many: count them instead
        text = separator.join([head, f"The diffs of {len(excluded)} changed files are left out to fit the context."])
        tokens = count_tokens(text)
        if tokens > budget_tokens:
            text, tokens, listed = "", 0, 0
    order = {c.path: n for n, c in enumerate(changes.files)}
    excluded.sort(key=lambda e: order.get(e.path, 0))
    return DiffContext(text, [c.path for c, _, _ in blocks], excluded, not_sent, listed, tokens)


def _no_room(cost: int, left: int, budget: int) -> str:
    return f"needs {cost:,} tokens but only {max(left, 0):,} of the {budget:,}-token budget were left"


def _not_sent_reason(change: GitFileChange) -> str:
    if change.withheld:
        return change.withheld
    if change.kind == "binary":
        return "binary file (listed, not sent)"
    if change.kind == "submodule":
        old, new = change.submodule or (None, None)
        return f"submodule pointer {_short(old)} -> {_short(new)} (not recursed into)"
    return ""


# -- small helpers -----------------------------------------------------------------------------
_ESCAPES = {7: "a", 8: "b", 9: "t", 10: "n", 11: "v", 12: "f", 13: "r", 34: '"', 92: "\\"}


def _quote(name: str) -> str:
    """``name`` as git writes it in a patch header with ``core.quotepath=false`` (C-quoted when needed)."""
    raw = name.encode("utf-8", "replace")
    if not any(b < 32 or b in (34, 92, 127) for b in raw):
        return name
    out = bytearray(b'"')
    for b in raw:
        if b in _ESCAPES:
            out += b"\\" + _ESCAPES[b].encode()
        elif b < 32 or b == 127:
            out += f"\\{b:03o}".encode()
        else:
            out.append(b)
    out += b'"'
    return out.decode("utf-8", "replace")


def _short(sha: str | None) -> str:
    return sha[:12] if sha else "(none)"
