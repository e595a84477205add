"""Directory expansion: walk a directory in sorted order, honouring ``.gitignore`` and skipping noise."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pathspec

__all__ = ["SKIPPED_DIRS", "walk"]

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


def walk(top: Path, roots: Sequence[Path], skip: Callable[[Path], bool]) -> Iterator[Path]:
    """Files under the real directory ``top``, directory by directory in sorted order, that ``.gitignore``
    does not ignore. Symlinked directories are not entered, nor hidden ones, :data:`SKIPPED_DIRS`, ignored
    ones, or those for which ``skip`` (called first, with each directory met) returns ``True``.
    """
    ignores = _Gitignores(top, roots)
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        here = Path(dirpath)
        ignores.load(here)
        dirnames[:] = [
            d
            for d in sorted(dirnames)
            if not skip(here / d)
            and not d.startswith(".")
            and d not in SKIPPED_DIRS
            and not ignores.ignored(here / d, True)
        ]
        for name in sorted(filenames):
            path = here / name
            if not ignores.ignored(path, False):
                yield path


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
        for base in reversed(path.parents):  # outermost first; only the path's own ancestors
            spec = self.specs.get(base)
            if spec is not None:
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
