"""Directory expansion cost: a wide tree with a ``.gitignore``, as ``files=[project]`` sends it.

Each file is matched only against the ``.gitignore`` files of its own ancestors; an earlier version
compared every file with every directory seen so far (about 13 s for this tree). The reference is a bare
``os.walk`` + ``stat`` of the same tree, measured alternately in the same run.
``python bench/bench_files.py`` prints the figures.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import Report
from zen_core.context.files import resolve_paths

DIRECTORIES, FILES_PER_DIRECTORY, ROUNDS = 300, 10, 5


def _tree(root: Path) -> Path:
    project = root / "wide"
    for d in range(DIRECTORIES):
        (project / f"d{d:03}").mkdir(parents=True)
        for f in range(FILES_PER_DIRECTORY):
            (project / f"d{d:03}" / f"f{f}.py").write_text("x\n")
    (project / ".gitignore").write_text("d000/f0.py\n")
    return project


def _bare_walk(project: Path) -> int:
    count = 0
    for directory, _, names in os.walk(project):
        for name in names:
            os.stat(os.path.join(directory, name))
            count += 1
    return count


async def run(report: Report) -> None:
    await asyncio.to_thread(_measure, report)  # file system work: off the event loop


def _measure(report: Report) -> None:
    with tempfile.TemporaryDirectory(prefix="zen-bench-files-") as tmp:
        root = Path(tmp).resolve()
        project = _tree(root)
        zen_ms: list[float] = []
        walk_ms: list[float] = []
        for _ in range(ROUNDS):  # alternate, so machine noise hits both alike
            started = time.perf_counter()
            accepted, _ = resolve_paths([str(project)], allowed_roots=[root], max_files=5000)
            zen_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            _bare_walk(project)
            walk_ms.append((time.perf_counter() - started) * 1000)
        expected = DIRECTORIES * FILES_PER_DIRECTORY  # every file but the ignored one, and the .gitignore
        if len(accepted) != expected:
            raise RuntimeError(f"expanded {len(accepted)} files, expected {expected}")
        report(
            f"files.expand_{DIRECTORIES}x{FILES_PER_DIRECTORY}_tree_p50",
            statistics.median(zen_ms),
            "ms",
            statistics.median(walk_ms),
            "bare os.walk + stat of the tree",
            "< 2000",  # each file is also checked for secrets by name and content; the quadratic walk took 13 s
        )


def _print(name: str, value: float, unit: str, reference: float | None, reference_name: str, target: str) -> None:
    shown = f" (reference {reference:.4g}: {reference_name})" if reference is not None else ""
    print(f"{name}: {value:.4g} {unit}{shown} target {target or '—'}")


if __name__ == "__main__":
    asyncio.run(run(_print))
