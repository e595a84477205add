"""Provider errors as the caller sees them: no secrets, the real status, the right advice."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from zen_core.llm import LLMError, LLMService
from zen_core.redact import redact_text

USER = [{"role": "user", "content": "hello there"}]
OneModel = Callable[..., tuple[LLMService, str]]

#: Key shapes providers use, as a provider error body might echo them.
KEYS = [
    "sk-live-abcdef0123456789ABCDEF",
    "sk-proj-Abc123_def456-GHI789jkl012",
    "sk-ant-api03-abcdefghijklmnop0123",
    "AIzaSyA1234567890abcdefghijklmnopqrstu",
    "gsk_abcdefghijklmnopqrstuvwxyz0123",
    "xai-abcdefghijklmnopqrstuvwx0123",
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
]


def _everything(err: LLMError) -> str:
    """All the text a tool result can carry from the error: message and details."""
    return str(err) + json.dumps(err.details, default=str)


@pytest.mark.parametrize("key", KEYS)
def test_redact_text_masks_provider_key_shapes(key: str) -> None:
    text = f"request failed for key {key} (see docs)"
    assert key not in redact_text(text)
    assert redact_text(text).startswith("request failed for key ***")


def test_redact_text_masks_key_assignments_and_keeps_ordinary_words() -> None:
    text = 'api_key="Zq8vN3mK0pL2xR7w" x-api-key: Zq8vN3mK0pL2xR7w; max_tokens=100 prompt_tokens: 12'
    out = redact_text(text)
    assert "Zq8vN3mK0pL2xR7w" not in out
    assert "max_tokens=100 prompt_tokens: 12" in out


async def test_provider_error_echoing_a_bearer_key_is_redacted(one_model: OneModel) -> None:
    said = "Invalid credentials. Authorization: Bearer sk-live-abcdef0123456789ABCDEF was rejected"
    llm, _ = one_model(status=401, error_message=said, limits={"llm": {"num_retries": 0}})
    with pytest.raises(LLMError) as info:
        await llm.complete("m", USER)
    err = info.value
    assert "abcdef0123456789" not in _everything(err)
    assert "Bearer ***" in err.provider_message and "Bearer ***" in str(err)
    assert "Invalid credentials" in err.provider_message  # the provider's words are kept, only the key goes
    assert err.status_code == 401


async def test_provider_error_echoing_any_key_shape_is_redacted(one_model: OneModel) -> None:
    llm, _ = one_model(status=400, error_message="keys seen: " + ", ".join(KEYS), limits={"llm": {"num_retries": 0}})
    with pytest.raises(LLMError) as info:
        await llm.complete("m", USER)
    leaked = [key for key in KEYS if key in _everything(info.value)]
    assert leaked == []


async def test_provider_error_echoing_the_configured_key_is_redacted(
    one_model: OneModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key of no known shape is still masked when it is the model's own key (from its variable)."""
    monkeypatch.setenv("ZEN_ODD_KEY", "plain0dd5ecret9value")
    llm, _ = one_model(
        status=401,
        error_message="key plain0dd5ecret9value is not valid here",
        entry={"api_key": "os.environ/ZEN_ODD_KEY"},
        limits={"llm": {"num_retries": 0}},
    )
    with pytest.raises(LLMError) as info:
        await llm.complete("m", USER)
    assert "plain0dd5ecret9value" not in _everything(info.value)
    assert "key *** is not valid here" in info.value.provider_message


async def test_stream_error_is_redacted(one_model: OneModel) -> None:
    said = "denied: Authorization: Bearer sk-live-abcdef0123456789ABCDEF"
    llm, _ = one_model(status=403, error_message=said, limits={"llm": {"num_retries": 0}})
    with pytest.raises(LLMError) as info:
        await llm.stream("m", USER).collect()
    assert "abcdef0123456789" not in _everything(info.value)
