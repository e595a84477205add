"""Consensus wall time: five models at 500 ms each, asked in parallel through a real ``zen serve``.

``run(report)`` is the harness entry point; ``python bench/bench_consensus.py`` prints the figures.
The fake LLM runs in this process (a uvicorn thread, so its peak concurrency can be read); Zen runs as
``zen serve`` over stdio with the ``zen-tool-consensus`` plugin, as an agent would start it. Wall times
are measured by the MCP client around ``tools/call`` (median of a few runs, after one warm-up call).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml

from bench import Report
from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import stdio_client

LATENCY_S = 0.5
MODELS = 5
#: Retry settings for the failing-model figure: attempts = 1 + NUM_RETRIES, backoff doubles from INITIAL.
NUM_RETRIES = 2
RETRY_INITIAL_S = 0.2
FAIL_LATENCY_S = 0.1
TIMEOUT_S = 1.0
TIMEOUT_GRACE_S = 1.0  # zen_tool_consensus.runner.HARD_BOUND_GRACE_S


def _retry_budget_s() -> float:
    """Time a failing model may take: every attempt's latency plus LiteLLM's backoff between attempts
    (``retry_initial_delay_s · 2^n`` for retry n = 1…num_retries, jitter 0 — an upper bound)."""
    backoff = sum(RETRY_INITIAL_S * 2.0**n for n in range(1, NUM_RETRIES + 1))
    return (1 + NUM_RETRIES) * FAIL_LATENCY_S + backoff


def _write_config(config_dir: Path, fake: FakeLLM) -> dict[str, list[str]]:
    names = {
        # positions differ, so a requested cross-feedback round runs (agreeing answers would skip it)
        "ok": [
            fake.model("ok", text=f"Answer {i}.\nPOSITION: {('support', 'oppose')[i % 2]}", latency_s=LATENCY_S)
            for i in range(MODELS)
        ],
        "fail": [fake.model("fail", status=500, error_message="bench failure", latency_s=FAIL_LATENCY_S)],
        "slow": [fake.model("slow", text="late\nPOSITION: oppose", latency_s=30.0)],
        "warm": [fake.model("warm", text="warm\nPOSITION: neutral")],
    }
    models = {name: fake.entry(name) for group in names.values() for name in group}
    (config_dir / "models.yaml").write_text(yaml.safe_dump({"models": models}))
    limits = {
        "llm": {
            "timeout_s": 60,
            "num_retries": NUM_RETRIES,
            "retry_initial_delay_s": RETRY_INITIAL_S,
            "retry_max_delay_s": 5,
            "retry_jitter_s": 0,
            "cooldown_s": 0,
            "allowed_fails": 1000,
        },
        "cache": {"enabled": True, "backend": "local"},
    }
    (config_dir / "limits.yaml").write_text(yaml.safe_dump(limits))
    # the per-call log line is part of the cost; to a file, so the bench's output stays a table
    (config_dir / "logging.yaml").write_text(yaml.safe_dump({"logging": {"file": str(config_dir / "calls.log")}}))
    return names


async def _timed_call(client: Any, arguments: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    result = await client.call_tool("consensus", arguments)
    elapsed = (time.perf_counter() - started) * 1000
    if result.is_error:
        raise RuntimeError(f"consensus failed: {result.content[0].text}")
    return elapsed, result.structured_content["data"]


async def _median(client: Any, arguments: dict[str, Any], repeats: int) -> float:
    """Median wall time of ``repeats`` calls; each must run the cross-feedback rounds it asked for."""
    times = []
    for i in range(repeats):
        elapsed, data = await _timed_call(client, {**arguments, "prompt": f"{arguments['prompt']} (run {i})"})
        feedback = data["cross_feedback"]
        if feedback["rounds_run"] != arguments["rounds"]:
            raise RuntimeError(f"asked for {arguments['rounds']} feedback round(s), ran: {feedback}")
        times.append(elapsed)
    return statistics.median(times)


async def run(report: Report, quick: bool = False) -> None:
    repeats = 1 if quick or os.environ.get("ZEN_BENCH_QUICK") else 5
    one_ms = LATENCY_S * 1000
    with tempfile.TemporaryDirectory(prefix="zen-bench-consensus-") as tmp, FakeLLM() as fake:
        config_dir, data_dir = Path(tmp) / "config", Path(tmp) / "data"
        config_dir.mkdir()
        data_dir.mkdir()
        names = _write_config(config_dir, fake)
        env = {
            "ZEN_CONFIG_DIR": str(config_dir),
            "ZEN_DATA_DIR": str(data_dir),
            "ZEN_LOG_LEVEL": "WARNING",
            "ZEN_LOAD_PLUGINS": "zen-tool-consensus",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_OFFLINE_MODE": "true",
        }
        async with stdio_client(env) as client:
            await _timed_call(client, {"prompt": "warm up", "models": names["warm"] * 2})
            base = {"prompt": "Adopt the proposal?", "models": names["ok"]}
            await _timed_call(client, {**base, "prompt": "warm up all", "rounds": 0})

            plain = await _median(client, {**base, "rounds": 0}, repeats)
            peak = fake.peak_concurrency()
            report("consensus.5x500ms.no_feedback", plain, "ms", one_ms, "one model's latency", "<= 1.2x")
            report(
                "consensus.5x500ms.no_feedback_vs_sequential",
                plain,
                "ms",
                MODELS * one_ms,
                f"sequential {MODELS}×500 ms",
                "< 0.5x",
            )

            refined = await _median(client, {**base, "rounds": 1}, repeats)
            report("consensus.5x500ms.one_feedback_round", refined, "ms", one_ms, "one model's latency", "<= 2.4x")
            report(
                "consensus.5x500ms.one_feedback_round_vs_sequential",
                refined,
                "ms",
                2 * MODELS * one_ms,
                f"sequential {2 * MODELS}×500 ms",
                "< 0.5x",
            )
            report("consensus.fake_llm_peak_concurrency", peak, "requests", None, "", f">= {MODELS}")

            budget_ms = max(_retry_budget_s() * 1000, one_ms)
            failing = {
                "prompt": "Adopt it with a failing model?",
                "models": [*names["ok"][:4], *names["fail"]],
                "rounds": 0,
            }
            elapsed, data = await _timed_call(client, failing)
            failed = [m for m in data["models"] if m["status"] != "ok"]
            if len(failed) != 1:
                raise RuntimeError(f"expected one failed model, got {failed}")
            report(
                "consensus.failing_model_wall",
                elapsed,
                "ms",
                budget_ms,
                f"retry budget ({1 + NUM_RETRIES} attempts + backoff)",
                "<= 1.2x",
            )

            bounded_ms = (TIMEOUT_S + TIMEOUT_GRACE_S) * 1000
            slow = {
                "prompt": "Adopt it with a hanging model?",
                "models": [*names["ok"][:4], *names["slow"]],
                "rounds": 0,
                "timeout_s": TIMEOUT_S,
            }
            elapsed, data = await _timed_call(client, slow)
            if [m["status"] for m in data["models"]][-1] != "timeout":
                raise RuntimeError(f"expected the hanging model to time out: {data['models'][-1]}")
            report("consensus.hanging_model_wall", elapsed, "ms", bounded_ms, "timeout_s + grace", "<= 1.2x")


def _print(name: str, value: float, unit: str, reference: float | None, reference_name: str, target: str) -> None:
    ref = f"  (vs {reference_name}: {reference:.0f} {unit}, x{value / reference:.2f})" if reference else ""
    print(f"{name:52} {value:9.1f} {unit}{ref}  target {target}")


if __name__ == "__main__":
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_OFFLINE_MODE", "true")
    asyncio.run(run(_print))
