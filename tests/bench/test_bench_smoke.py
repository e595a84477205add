"""Keep the benchmark runner from rotting: ``python -m bench --quick`` runs every module end to end.

Only the structure of ``results.json`` is checked (each figure has a finite value); the figures of a
quick run on a shared test machine mean nothing, so targets are not asserted here.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_bench_writes_one_table_and_results_json(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--output", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads(out.read_text())
    assert results["quick"] is True
    assert set(results) >= {"generated_at", "machine", "modules", "figures", "seconds"}
    assert results["modules"]["bench_mcp"]["status"] == "ok"
    assert all(info["status"] in ("ok", "missing") for info in results["modules"].values()), results["modules"]
    figures = results["figures"]
    names = {f["name"] for f in figures}
    for prefix in (
        "cold_start.",
        "schema.tools_list_tokens",
        "per_call.stdio.",
        "per_call.http.",
        "concurrency.http.",
        "memory.rss_idle",
        "memory.growth_",
    ):
        assert any(n.startswith(prefix) for n in names), (prefix, sorted(names))
    for fig in figures:
        assert set(fig) == {"module", "name", "value", "unit", "reference", "reference_name", "ratio", "target", "ok"}
        assert isinstance(fig["value"], float) and math.isfinite(fig["value"]), fig
        assert fig["unit"], fig
        if fig["reference"] is not None:
            assert fig["ratio"] == fig["value"] / fig["reference"], fig
    # one table on stdout with a row per figure
    header = next(line for line in proc.stdout.splitlines() if line.startswith("figure"))
    assert header.split(" | ")[1:] == ["value", "reference", "ratio", "target", "ok?"] or "ok?" in header
    for fig in figures:
        assert fig["name"] in proc.stdout
