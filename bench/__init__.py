"""Zen's benchmarks: ``python -m bench`` runs every ``bench_*`` module and prints one table.

Each module exposes ``async def run(report)`` where ``report(name, value, unit, reference,
reference_name, target)`` records one figure (see :mod:`bench.__main__`). Shared helpers live here:
a fake LLM in its own process (so it never competes with the measured code for the GIL),
percentiles, and a process's resident memory.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parent.parent


class Report(Protocol):
    def __call__(
        self, name: str, value: float, unit: str, reference: float | None, reference_name: str, target: str
    ) -> None: ...


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by nearest rank; ``nan`` for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def rss_mb(pid: int) -> float:
    """Resident set size of process ``pid`` in MiB (from ``/proc/<pid>/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def fd_count(pid: int) -> int:
    """Open file descriptors of process ``pid``."""
    return len(os.listdir(f"/proc/{pid}/fd"))


class FakeLLMProcess:
    """:class:`zen_core.testing.fake_llm.FakeLLM` in a subprocess; behaviours are fixed at start.

    ``behaviours`` maps model name → :class:`~zen_core.testing.fake_llm.Behavior` fields. Use as a
    context manager; ``base_url`` and :meth:`entry` work like the in-process fake's.
    """

    def __init__(self, behaviours: Mapping[str, Mapping[str, Any]]) -> None:
        self.behaviours = {name: dict(fields) for name, fields in behaviours.items()}
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""

    def __enter__(self) -> FakeLLMProcess:
        code = "from bench import _serve_fake_llm; _serve_fake_llm()"
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, json.dumps(self.behaviours)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()
        if not self.base_url.startswith("http://127.0.0.1:"):
            self.__exit__()
            raise RuntimeError("fake LLM process did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            if self.process.stdin is not None:
                self.process.stdin.close()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def entry(self, model: str) -> dict[str, Any]:
        return {"model": f"openai/{model}", "api_base": self.base_url, "api_key": "fake-key"}


def _serve_fake_llm() -> None:
    """Subprocess entry: serve the fake with ``argv[1]`` behaviours until stdin closes (a process of
    its own, so the fake does not share the measured process's CPU and GIL)."""
    from zen_core.testing.fake_llm import FakeLLM

    with FakeLLM(keep_requests=1) as fake:
        for name, fields in json.loads(sys.argv[1]).items():
            fake.behave(name, **fields)
        print(fake.base_url, flush=True)
        sys.stdin.read()
