"""``python -m bench``: run every benchmark in one process, print one table, write ``bench/results.json``.

Each ``bench/bench_*.py`` module exposes ``async def run(report)`` (``run(report, quick=...)`` when it
takes a ``quick`` flag; ``ZEN_BENCH_QUICK=1`` is also set for ``--quick``). ``report(name, value, unit,
reference, reference_name, target)`` records one figure. A target is a string: ``"< 5"`` / ``"<= 5"``
/ ``"> 5"`` compare the value, ``"<= 1.2x reference"`` compares value/reference; anything else (or
``""``) is informational. A module that fails is reported and the others still run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import importlib
import inspect
import json
import math
import os
import platform
import re
import sys
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MODULES = ("bench_mcp", "bench_llm", "bench_consensus", "bench_store", "bench_files")
_CMP = re.compile(r"^\s*(<=|>=|==|<|>|=|≤|≥)\s*([0-9][0-9_,.]*)\s*(x|×)?")


@dataclass
class Figure:
    module: str
    name: str
    value: float
    unit: str
    reference: float | None
    reference_name: str
    ratio: float | None
    target: str
    ok: bool | None


def judge(value: float, ratio: float | None, target: str) -> bool | None:
    """Whether ``target`` is met; ``None`` when it is informational or cannot be judged."""
    match = _CMP.match(target)
    if not match or math.isnan(value):
        return None
    op, number, times = match.group(1), float(match.group(2).replace(",", "").replace("_", "")), match.group(3)
    subject = ratio if times else value
    if subject is None:
        return None
    return {
        "<": subject < number,
        "<=": subject <= number,
        "≤": subject <= number,
        ">": subject > number,
        ">=": subject >= number,
        "≥": subject >= number,
        "=": subject == number,
        "==": subject == number,
    }[op]


class Collector:
    def __init__(self) -> None:
        self.figures: list[Figure] = []
        self.module = ""

    def __call__(
        self,
        name: str,
        value: float,
        unit: str,
        reference: float | None = None,
        reference_name: str = "",
        target: str = "",
    ) -> None:
        value = float(value)
        ratio = value / reference if reference else None
        ok = judge(value, ratio, target)
        self.figures.append(Figure(self.module, name, value, unit, reference, reference_name, ratio, target, ok))
        print(f"  {name}: {_num(value)} {unit}", file=sys.stderr, flush=True)


async def run_module(name: str, collector: Collector, quick: bool) -> dict[str, Any]:
    started = time.perf_counter()
    collector.module = name
    try:
        module = importlib.import_module(f"bench.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"bench.{name}":
            return {"status": "missing", "seconds": 0.0}
        raise
    run = module.run
    kwargs = {"quick": quick} if "quick" in inspect.signature(run).parameters else {}
    print(f"[bench] {name}…", file=sys.stderr, flush=True)
    try:
        await run(collector, **kwargs)
    except Exception as exc:
        traceback.print_exc()
        return {"status": "error", "error": f"{type(exc).__name__}: {exc}", "seconds": time.perf_counter() - started}
    return {"status": "ok", "seconds": round(time.perf_counter() - started, 1)}


def _num(value: float | None) -> str:
    if value is None:
        return "—"
    if math.isnan(value):
        return "nan"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def table(figures: list[Figure]) -> str:
    head = ("figure", "value", "reference", "ratio", "target", "ok?")
    rows = [
        (
            f.name,
            f"{_num(f.value)} {f.unit}",
            f"{_num(f.reference)} ({f.reference_name})" if f.reference is not None else "—",
            f"{f.ratio:.2f}x" if f.ratio is not None else "—",
            f.target or "—",
            {True: "yes", False: "NO", None: "—"}[f.ok],
        )
        for f in figures
    ]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [head, *rows]]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run with small counts (figures not meaningful)")
    parser.add_argument("--only", action="append", choices=MODULES, help="run only this module (repeatable)")
    parser.add_argument("--output", type=Path, default=HERE / "results.json", help="where to write the JSON")
    args = parser.parse_args(argv)
    if args.quick:
        os.environ["ZEN_BENCH_QUICK"] = "1"
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_OFFLINE_MODE", "true")
    # Every server a full run measures is a fresh process (cold start, its memory). A quick run's figures
    # mean nothing: its servers are forked from a preloaded Zen (zen_core.testing.preload; under
    # pytest-xdist, the test run's own), which spares a LiteLLM import per server.
    if not args.quick:
        os.environ["ZEN_TEST_PRELOAD"] = "0"
    collector = Collector()
    modules: dict[str, Any] = {}

    async def run_all() -> None:
        for name in args.only or MODULES:
            modules[name] = await run_module(name, collector, args.quick)

    started = time.perf_counter()
    asyncio.run(run_all())
    results = {
        "generated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "quick": args.quick,
        "seconds": round(time.perf_counter() - started, 1),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "modules": modules,
        "figures": [{k: _finite(v) for k, v in asdict(f).items()} for f in collector.figures],
    }
    args.output.write_text(json.dumps(results, indent=2, allow_nan=False, default=_json_default) + "\n")
    print(table(collector.figures))
    for name, info in modules.items():
        if info["status"] != "ok":
            print(f"module {name}: {info['status']} {info.get('error', '')}".rstrip())
    print(f"results: {args.output}")
    return 1 if any(info["status"] == "error" for info in modules.values()) else 0


def _json_default(value: object) -> Any:
    return str(value)


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


if __name__ == "__main__":
    sys.exit(main())
