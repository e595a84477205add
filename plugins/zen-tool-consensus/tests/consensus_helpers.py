"""Shared helpers of the consensus tests: models on the fake LLM, calls and result access."""

from __future__ import annotations

import json
from typing import Any

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.llm_fixtures import TEST_LIMITS


def configure(
    zen_config: Any, fake: FakeLLM, limits: dict[str, Any] | None = None, **models: dict[str, Any]
) -> dict[str, str]:
    """Give each Zen model name (keyword) a fresh fake model with the given behaviour.

    Returns Zen name → the fake's model name (what the fake server records requests under).
    """
    names = {alias: fake.model(alias, **behaviour) for alias, behaviour in models.items()}
    zen_config.write("models.yaml", {"models": {alias: fake.entry(name) for alias, name in names.items()}})
    zen_config.write("limits.yaml", {**TEST_LIMITS, **(limits or {})})
    return names


def answer(text: str, position: str) -> dict[str, Any]:
    """A fake behaviour answering ``text`` and declaring ``position``."""
    return {"text": f"{text}\nPOSITION: {position}"}


def data(result: Any) -> dict[str, Any]:
    """The consensus data of a successful (or partial) call."""
    assert result.is_error is False, result.content[0].text
    payload: dict[str, Any] = result.structured_content["data"]
    return payload


def by_label(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["label"]: m for m in payload["models"]}


def messages_text(body: dict[str, Any]) -> str:
    """All message contents of a recorded request body as one string."""
    return json.dumps(body["messages"])


def last_user(body: dict[str, Any]) -> str:
    content = body["messages"][-1]["content"]
    assert body["messages"][-1]["role"] == "user"
    return content if isinstance(content, str) else json.dumps(content)
