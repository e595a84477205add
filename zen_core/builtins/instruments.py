"""The Prometheus instruments of tool and LLM calls, in a registry owned by this module.

Imported on first use (the first tool call, or ``/metrics``), so starting the server does not pay for
``prometheus_client``. Each server exposes its own numbers (aggregate instances in Prometheus); the worker
processes of one ``zen serve --http --workers N`` share theirs through ``PROMETHEUS_MULTIPROC_DIR``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from zen_core.llm.usage import UsageRecord

REGISTRY = CollectorRegistry(auto_describe=True)
#: Distinct model label values kept before new names are counted as "other" (unknown names in errors).
MAX_MODEL_LABELS = 200
SLOW_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0)

TOOL_CALLS = Counter("zen_tool_calls", "Tool calls by tool and final status.", ["tool", "status"], registry=REGISTRY)
TOOL_LATENCY = Histogram(
    "zen_tool_call_duration_seconds",
    "Tool call latency, middleware included.",
    ["tool"],
    buckets=SLOW_BUCKETS,
    registry=REGISTRY,
)
TOOL_IN_FLIGHT = Gauge(
    "zen_tool_calls_in_flight",
    "Tool calls currently running.",
    ["tool"],
    registry=REGISTRY,
    multiprocess_mode="livesum",  # a worker pool reports the sum over its live workers
)
TOOL_ERRORS = Counter("zen_tool_errors", "Failed tool calls by error code.", ["tool", "error"], registry=REGISTRY)
LLM_CALLS = Counter(
    "zen_llm_calls", "Provider calls by model and outcome (ok/error).", ["model", "status"], registry=REGISTRY
)
LLM_LATENCY = Histogram(
    "zen_llm_call_duration_seconds", "Provider call latency.", ["model"], buckets=SLOW_BUCKETS, registry=REGISTRY
)
LLM_TOKENS = Counter(
    "zen_llm_tokens", "Tokens by model and kind (prompt/completion).", ["model", "kind"], registry=REGISTRY
)
LLM_COST = Counter(
    "zen_llm_cost_usd", "Provider cost in US dollars (calls with a known price).", ["model"], registry=REGISTRY
)
LLM_ERRORS = Counter("zen_llm_errors", "Failed provider calls by error type.", ["model", "error"], registry=REGISTRY)
LLM_CACHE_HITS = Counter(
    "zen_llm_cache_hits", "LLM calls answered from the response cache.", ["model"], registry=REGISTRY
)
LLM_RATE_LIMIT_WAIT = Histogram(
    "zen_llm_rate_limit_wait_seconds",
    "Time calls waited for a rate-limit slot (only calls that waited).",
    ["model"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0),
    registry=REGISTRY,
)
AUTH_REFUSALS = Counter(
    "zen_auth_refusals", "Requests or calls refused by auth, by reason.", ["reason"], registry=REGISTRY
)

_models_seen: set[str] = set()
_models_lock = threading.Lock()


def model_label(name: Any) -> str:
    """A bounded label value for a model name."""
    label = str(name or "unknown")
    with _models_lock:
        if label in _models_seen:
            return label
        if len(_models_seen) >= MAX_MODEL_LABELS:
            return "other"
        _models_seen.add(label)
        return label


def record_llm_metrics(records: Sequence[UsageRecord]) -> None:
    """Count the model calls a tool made (``ctx.usage``)."""
    for rec in records:
        model = model_label(rec.model_used or rec.model)
        LLM_CALLS.labels(model, "error" if rec.error else "ok").inc()
        if rec.error:
            LLM_ERRORS.labels(model, rec.error).inc()
        LLM_LATENCY.labels(model).observe(max(0.0, rec.latency_ms) / 1000)
        if rec.prompt_tokens > 0:
            LLM_TOKENS.labels(model, "prompt").inc(rec.prompt_tokens)
        if rec.completion_tokens > 0:
            LLM_TOKENS.labels(model, "completion").inc(rec.completion_tokens)
        if rec.cost_usd > 0:
            LLM_COST.labels(model).inc(rec.cost_usd)
        if rec.cache_hit:
            LLM_CACHE_HITS.labels(model).inc()
        if rec.rate_limit_wait_s > 0:
            LLM_RATE_LIMIT_WAIT.labels(model).observe(rec.rate_limit_wait_s)
