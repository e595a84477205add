"""LiteLLM exceptions mapped to one short, actionable :class:`LLMError` (the cause stays chained)."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Sequence
from typing import Any

from zen_core.calls.tool import ToolError
from zen_core.redact import redact_text

_PREFIX = re.compile(r"^(litellm\.\w+:\s*)?(\w+Error:\s*)?(\w+Exception\s*-\s*)?")
_ADVICE = {
    400: "check the request (parameters, message format, context size) against the model's limits",
    401: "check the API key{env}",
    403: "the key{env} lacks access to this model; check the account's permissions",
    404: "check the model id (`model:` in models.yaml) and api_base",
    408: "the provider did not answer in time; retry, or raise timeout_s / llm.timeout_s",
    413: "the request is too large; shorten the input",
    422: "check the request parameters",
    429: "the provider is rate limiting; wait and retry, lower rate_limits, or configure fallbacks",
    500: "provider error; retry later or configure fallbacks in models.yaml",
    502: "provider unreachable or erroring; retry later or configure fallbacks",
    503: "provider overloaded or unavailable; retry later or configure fallbacks",
}


class LLMError(ToolError):
    """A model call failed. ``__cause__`` is the original LiteLLM/HTTP exception."""

    def __init__(
        self,
        message: str,
        *,
        model: str,
        provider: str | None,
        status_code: int | None,
        provider_message: str,
        code: str = "llm_error",
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            message,
            code=code,
            details={
                "model": model,
                "provider": provider,
                "status_code": status_code,
                "provider_message": provider_message,
                **(details or {}),
            },
        )
        self.model = model
        self.provider = provider
        self.status_code = status_code
        self.provider_message = provider_message


def provider_message(exc: BaseException, *, secrets: Sequence[str] = ()) -> str:
    """The provider's own words, without LiteLLM's prefixes and the fallback trailer, and with any
    credential masked (providers echo keys and headers; ``secrets`` are the model's own keys)."""
    text = str(getattr(exc, "message", None) or exc or type(exc).__name__)
    text = text.split("\n\nLiteLLM: model group", 1)[0].split("\nReceived Model Group", 1)[0]
    text = redact_text(_PREFIX.sub("", text.strip()).strip(), secrets=secrets)  # before cutting: no key halves
    return (text[:500] + "…") if len(text) > 500 else text or type(exc).__name__


def _status(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return status
    if isinstance(exc, TimeoutError | asyncio.TimeoutError) or "Timeout" in type(exc).__name__:
        return 408
    return None


def map_error(
    exc: BaseException,
    *,
    model: str,
    provider: str | None,
    fallbacks: Sequence[str] = (),
    key_env: Sequence[str] = (),
) -> LLMError:
    """One LLMError for ``exc`` raised while calling ``model`` (raise it ``from exc``)."""
    name = type(exc).__name__
    connection = is_connection_error(exc)
    status = None if connection else _status(exc)  # LiteLLM labels connection errors HTTP 500: no reply came
    said = provider_message(exc, secrets=[os.environ.get(name, "") for name in key_env])
    env = f" ({' or '.join(key_env)})" if key_env else ""
    if "ContextWindowExceeded" in name:
        advice = "the input is longer than the model's context window; shorten it or use a larger model"
    elif "UnsupportedParams" in name:
        advice = "remove the unsupported parameter, or set drop_params (llm.drop_params) in limits.yaml"
    elif connection:
        advice = "cannot reach the provider; check api_base and that the server is running"
    elif "JSON" in said or "Expecting" in said or "decode" in said.lower():
        advice = "the provider returned a malformed response; retry later or configure fallbacks"
    else:
        default = "retry later; if it persists check the provider's status"
        advice = _ADVICE.get(status or 0, default).format(env=env)
    where = f"HTTP {status} from provider" if status else f"{name}"
    tried = f" Tried fallbacks: {', '.join(fallbacks)}." if fallbacks else ""
    said_end = said if said.endswith((".", "!", "?", "…")) else f"{said}."
    message = (
        f"Model '{model}' ({provider or 'unknown provider'}) failed: {where}: {said_end}{tried} What to do: {advice}."
    )
    return LLMError(
        message,
        model=model,
        provider=provider,
        status_code=status,
        provider_message=said,
        code="llm_timeout" if status == 408 else "llm_error",
        details={"fallbacks_tried": list(fallbacks), "exception": name},
    )


def is_connection_error(exc: BaseException) -> bool:
    """No answer came from the provider (refused, reset, DNS): LiteLLM may still wrap it as a 500."""
    seen: BaseException | None = exc
    for _ in range(6):  # the exception and its causes
        if seen is None:
            return False
        name = type(seen).__name__
        if name == "ConnectError" or "Connection" in name or str(seen).strip().startswith("Connection error"):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


def is_retryable(exc: BaseException) -> bool:
    """Transient failures worth retrying: timeouts, rate limits, 5xx, lost connections."""
    if is_connection_error(exc):
        return True
    return _status(exc) in RETRYABLE_STATUS


def retry_after_s(exc: BaseException) -> float | None:
    """The provider's ``Retry-After`` (seconds) from the failed response, if any."""
    headers = getattr(exc, "litellm_response_headers", None)
    if headers is None:
        headers = getattr(getattr(exc, "response", None), "headers", None)
    try:
        value = headers.get("retry-after") if headers is not None else None
        return max(float(value), 0.0) if value is not None else None
    except (TypeError, ValueError, AttributeError):
        return None


def backoff_s(attempt: int, exc: BaseException, *, initial: float, maximum: float, jitter: float) -> float:
    """Delay before retry ``attempt`` (0-based): Retry-After when given, else ``initial·2^attempt``;
    capped at ``maximum``, plus up to ``jitter`` seconds at random."""
    import random

    hinted = retry_after_s(exc)
    base = hinted if hinted is not None else initial * (2**attempt)
    return min(base, maximum) + jitter * random.random()
