"""Shared helpers of the zen-tool-planner tests: models on the fake LLM, calls and result access."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.llm_fixtures import TEST_LIMITS

#: A model the core can use that knows nothing of web search (the fake does not care).
PLAIN = {"context_window": 16000, "max_output_tokens": 2000}
#: models.yaml settings of a model that can search the web, without anything sent to the provider.
SEARCHES = {**PLAIN, "supports_web_search": True}


def configure(
    zen_config: Any,
    fake: FakeLLM,
    *,
    settings: dict[str, Any] | None = None,
    roots: list[Path] | None = None,
    **models: dict[str, Any],
) -> dict[str, str]:
    """Give each Zen model name (keyword) a fresh fake model: ``{"text": ..., "entry": {...}}`` or other
    fake behaviour. Returns Zen name → the fake's model name (what the fake records requests under)."""
    names: dict[str, str] = {}
    entries: dict[str, Any] = {}
    for alias, spec in models.items():
        spec = dict(spec)
        entry = spec.pop("entry", PLAIN)
        names[alias] = fake.model(alias, **spec)
        entries[alias] = fake.entry(names[alias], **entry)
    zen_config.write("models.yaml", {"models": entries})
    limits = {**TEST_LIMITS, "llm": {**TEST_LIMITS["llm"], "num_retries": 0}, "cache": {"enabled": False}}
    zen_config.write("limits.yaml", limits)
    if roots is not None:
        zen_config.write("files.yaml", {"files": {"allowed_roots": [str(r) for r in roots]}})
    if settings is not None:
        zen_config.write("plugins.yaml", {"plugins": {"zen-tool-planner": settings}})
    return names


def text(result: Any) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


def data(result: Any) -> dict[str, Any]:
    """The data of a successful call."""
    assert result.is_error is False, text(result)
    payload: dict[str, Any] = result.structured_content["data"]
    return payload


def error(result: Any) -> dict[str, Any]:
    """The error of a failed call (its code, message and details)."""
    assert result.is_error is True, text(result)
    payload: dict[str, Any] = result.structured_content["data"]["error"]
    return payload


def messages(body: dict[str, Any]) -> tuple[str, str]:
    """The system and the last user message of a request the fake received."""
    system = next(m["content"] for m in body["messages"] if m["role"] == "system")
    user = body["messages"][-1]
    assert user["role"] == "user"
    content = user["content"]
    return system, content if isinstance(content, str) else json.dumps(content)


def plan_answer(*steps: tuple[str, str, list[str]], goal: str = "", notes: str = "", fenced: bool = False) -> str:
    """A model answer holding a plan of ``(id, title, depends_on)`` steps."""
    body = json.dumps(
        {
            "goal": goal,
            "steps": [
                {"id": i, "title": title, "details": f"Details of {title.lower()}.", "depends_on": deps}
                for i, title, deps in steps
            ],
            "notes": notes,
        },
        indent=2,
    )
    return f"Here is the plan:\n```json\n{body}\n```\n" if fenced else body
