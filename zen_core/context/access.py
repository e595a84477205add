"""``ctx.files``: the files, images and history a tool may put in front of a model, for one caller.

Every tool goes through this one object, so one set of rules applies everywhere: the caller's allowed
roots, Zen's never-readable files, secrets (by name and by content), binaries, sizes, and token budgets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

from zen_core.context.files import FileContext, ResolvedPaths, fit_files, resolve_paths
from zen_core.context.gather import HISTORY_SHARE, PromptContext, gather
from zen_core.context.git import DEFAULT_TIMEOUT_S, GitChanges, check_repo, collect_changes
from zen_core.context.images import Image, load_images
from zen_core.context.policy import FilePolicy
from zen_core.errors import ToolError
from zen_core.llm.bound import Model
from zen_core.store.models import Thread

#: The rules passed on when a call reads no file, image or conversation (none of them is consulted).
NOTHING_TO_READ = FilePolicy(roots=(), off_reason="nothing is read")

#: Longest prompt prepared on the event loop when nothing else is read (counting it takes well under 1 ms).
INLINE_PROMPT_CHARS = 8_000


class Files:
    """``ctx.files``: read files and images under the caller's rules; build a model's context."""

    def __init__(self, policy: FilePolicy | Callable[[], FilePolicy]) -> None:
        self._policy = policy

    @property
    def _rules(self) -> FilePolicy:
        """The caller's rules, worked out on first use (resolving them costs file-system calls; most calls
        read no file)."""
        if not isinstance(self._policy, FilePolicy):
            self._policy = self._policy()
        return self._policy

    @property
    def enabled(self) -> bool:
        """Whether this caller may read any file (``False`` on an HTTP server without file roots)."""
        return self._rules.enabled

    @property
    def roots(self) -> tuple[Path, ...]:
        """The directories this caller may read below."""
        return self._rules.roots

    def _require(self) -> None:
        if not self._rules.enabled:
            raise ToolError(f"Files cannot be read: {self._rules.off_reason}.", code="file_access_off")

    def resolve(self, paths: Sequence[str], *, expand_dirs: bool = True) -> ResolvedPaths:
        """The readable files among ``paths`` (directories expanded) and the refused ones, with why.
        Blocking."""
        self._require()
        return resolve_paths(
            paths,
            allowed_roots=self._rules.roots,
            denied=self._rules.denied,
            expand_dirs=expand_dirs,
            max_file_bytes=self._rules.max_file_bytes,
            max_files=self._rules.max_files,
        )

    def fit(self, paths: Sequence[Path | str], *, budget_tokens: int, model: Model) -> FileContext:
        """Embed readable ``paths`` (from :meth:`resolve`) while they fit ``budget_tokens`` of ``model``.
        Blocking."""
        return fit_files(paths, budget_tokens=budget_tokens, count_tokens=model.count_tokens)

    def images(self, items: Sequence[str]) -> list[Image]:
        """Check and encode images (paths or ``data:`` URLs). Blocking."""
        return load_images(items, self._rules)

    async def gather(
        self,
        models: Model | Sequence[Model],
        *,
        prompt: str,
        system: str = "",
        files: Sequence[str] = (),
        images: Sequence[str] = (),
        thread: Thread | None = None,
        max_tokens: int | None = None,
        history_share: float = HISTORY_SHARE,
    ) -> PromptContext:
        """The user message for ``models``: earlier conversation, files and images fitted to the smallest
        context window, then ``prompt``; with the report of what was left out (see
        :mod:`zen_core.context.gather`). Runs in a worker thread unless there is nothing to read."""
        group = [models] if isinstance(models, Model) else list(models)
        reads = bool(files or images or (thread is not None and thread.turns))
        light = not reads and len(prompt) + len(system) <= INLINE_PROMPT_CHARS
        # with nothing to read, no rule is consulted: skip working them out
        policy = self._rules if reads else NOTHING_TO_READ

        def build() -> PromptContext:
            return gather(
                policy,
                models=group,
                prompt=prompt,
                system=system,
                files=files,
                images=images,
                thread=thread,
                max_tokens=max_tokens,
                history_share=history_share,
            )

        return build() if light else await asyncio.to_thread(build)

    async def git_changes(
        self,
        repo: str,
        *,
        staged: bool = True,
        unstaged: bool = True,
        compare_to: str | None = None,
        untracked: bool = False,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> GitChanges:
        """The changes of the git repository at ``repo`` (or below a directory inside one) as per-file diffs:
        staged, unstaged, since ``compare_to`` (a branch, tag or commit), untracked files on request (see
        :mod:`zen_core.context.git`). ``repo`` must pass the caller's file rules (``path_refused``); changed
        files that are secrets or never readable are listed with their diffs withheld. git runs in a worker
        thread (argv, no shell) within ``timeout_s``. Fit the result to a model with
        ``await asyncio.to_thread(changes.fit, budget_tokens=..., count_tokens=model.count_tokens)``."""
        self._require()
        real = check_repo(repo, roots=self._rules.roots, denied=self._rules.denied)
        return await asyncio.to_thread(
            collect_changes,
            real,
            staged=staged,
            unstaged=unstaged,
            compare_to=compare_to,
            untracked=untracked,
            denied=self._rules.denied,
            max_file_bytes=self._rules.max_file_bytes,
            max_files=self._rules.max_files,
            timeout_s=timeout_s,
        )
