"""LiteLLM exceptions mapped to one short, actionable :class:`LLMError` (the cause stays chained)."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Sequence
from typing import Any

from zen_core.errors import ToolError
from zen_core.redact import redact_text

_PREFIX = re.compile(r"^(?:litellm\.\w+:\s*|\w+ ?Error:\s*|\w+Exception\s*-\s*)+")
_ADVICE = {
    400: "check the request (parameters, message format, context size) against the model's limits",
    401: "check the API key{env}",
    403: "the key{env} lacks access to this model; check the account's permissions",
    404: "check the model id (`model:` in models.yaml) and api_base",
    408: "the provider timed the request out on its side; retry later or configure fallbacks",
    413: "the request is too large; shorten the input",
    422: "check the request parameters",
    429: "the provider is rate limiting; wait and retry, lower rate_limits, or configure fallbacks",
    500: "provider error; retry later or configure fallbacks in models.yaml",
    502: "provider unreachable or erroring; retry later or configure fallbacks",
    503: "provider overloaded or unavailable; retry later or configure fallbacks",
}


class LLMError(ToolError):
    """A model call failed. ``__cause__`` is the original LiteLLM/HTTP exception.

    ``provider_reached`` is ``False`` when nothing was sent to the provider (no connection,
    parameters refused by LiteLLM): the rate limiter then gives the call's reservation back.
    """

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
        provider_reached: bool = True,
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
        self.provider_reached = provider_reached


def provider_message(exc: BaseException, *, secrets: Sequence[str] = ()) -> str:
    """The provider's own words, without LiteLLM's prefixes and the fallback trailer, and with any
    credential masked (providers echo keys and headers; ``secrets`` are the model's own keys)."""
    text = str(getattr(exc, "message", None) or exc or type(exc).__name__)
    text = text.split("\n\nLiteLLM: model group", 1)[0].split("\nReceived Model Group", 1)[0]
    text = text.split(" Original exception: ", 1)[0]  # LiteLLM's mid-stream errors repeat themselves
    text = redact_text(_PREFIX.sub("", text.strip()).strip(), secrets=secrets)  # before cutting: no key halves
    return (text[:500] + "…") if len(text) > 500 else text or type(exc).__name__


def _status(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return status
    if isinstance(exc, TimeoutError | asyncio.TimeoutError) or "Timeout" in type(exc).__name__:
        return 408
    return None


class MalformedResponse(Exception):
    """The provider answered with a success status (2xx) but its body is no OpenAI-compatible answer.

    ``what`` names the body, e.g. "an HTML page" or "invalid JSON". LiteLLM raises its own errors for
    a plain call; Zen's stream collector raises this one for a stream that carried no data.
    """

    def __init__(self, what: str, detail: str) -> None:
        super().__init__(detail)
        self.what = what


class IncompleteResponse(Exception):
    """The answer stopped before its end: the connection closed before a finish reason came."""


class DeadlineExceeded(Exception):
    """A call's total time limit ran out (see :class:`~zen_core.llm.limits.Deadline`).

    ``limit`` names it as the user sets it: "the timeout_s argument" or "llm.total_timeout_s".
    """

    def __init__(self, seconds: float, limit: str) -> None:
        super().__init__(f"No answer within {seconds:g} s ({limit}), over all attempts, retries and fallbacks.")
        self.seconds = seconds
        self.limit = limit


ARGUMENT_LIMIT = "the timeout_s argument"
SETTING_LIMIT = "llm.total_timeout_s"


#: Exception names (anywhere in the cause chain) of a connection that was never made: nothing was sent.
_NOT_CONNECTED = frozenset(
    {
        "ConnectError",
        "ConnectTimeout",
        "ConnectionRefusedError",
        "ClientConnectorError",
        "ClientConnectorDNSError",
        "ClientConnectorSSLError",
        "ClientConnectorCertificateError",
        "gaierror",
    }
)
#: Names of a connection that was made, then lost before the whole answer arrived.
_DROPPED = frozenset(
    {
        "ReadError",
        "RemoteProtocolError",
        "ClientPayloadError",
        "ContentLengthError",
        "TransferEncodingError",
        "ServerDisconnectedError",
        "ConnectionResetError",
        "IncompleteRead",
        "IncompleteResponse",
    }
)
#: Names of a timeout on Zen's side (no answer came in time), as opposed to an HTTP 408 reply.
_CLIENT_TIMEOUT = frozenset(
    {"APITimeoutError", "ReadTimeout", "WriteTimeout", "PoolTimeout", "SocketTimeoutError", "ServerTimeoutError"}
)
_HTML = re.compile(r"<(!doctype\s+html|html|head|body)\b", re.IGNORECASE)


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and its causes (explicit or implicit), outermost first."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(seen) < 10 and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _malformed(exc: BaseException) -> str | None:
    """What a 2xx answer that was no OpenAI-compatible body was ("an HTML page" …), else ``None``.

    The OpenAI client parses a body only after a success status (it raises status errors first), so a
    body that fails to parse came with a 2xx, whatever status LiteLLM then labels it with (500)."""
    for seen in _chain(exc):
        if isinstance(seen, MalformedResponse):
            return seen.what
    text = str(getattr(exc, "message", None) or exc)
    if "Empty or invalid response from LLM endpoint" in text:
        return "an HTML page" if _HTML.search(text) else "an empty or non-JSON body"
    if any(type(seen).__name__ == "JSONDecodeError" for seen in _chain(exc)):
        return "invalid JSON"
    return None


def _connection(exc: BaseException) -> str | None:
    """``"not_connected"`` (nothing sent), ``"dropped"`` (closed mid-answer) or ``None``."""
    names = {type(seen).__name__ for seen in _chain(exc)}
    if names & _NOT_CONNECTED:
        return "not_connected"
    if names & _DROPPED or "Stream ended before a finish_reason" in str(exc):
        return "dropped"
    return "not_connected" if is_connection_error(exc) else None


def _refused_locally(exc: BaseException) -> bool:
    """Whether the OpenAI client refused the call before sending it (no key, a bad option): its bare
    ``OpenAIError``, which LiteLLM then labels "HTTP 500" although no provider saw anything."""
    return any(type(seen).__name__ == "OpenAIError" and type(seen).__module__ == "openai" for seen in _chain(exc))


def is_client_timeout(exc: BaseException) -> bool:
    """Whether ``exc`` is Zen giving up waiting (LiteLLM calls that "HTTP 408" too; no reply came)."""
    return any(isinstance(seen, TimeoutError) or type(seen).__name__ in _CLIENT_TIMEOUT for seen in _chain(exc))


def _deadline_advice(exc: DeadlineExceeded) -> str:
    if exc.limit == ARGUMENT_LIMIT:
        return f"pass a larger timeout_s (up to {SETTING_LIMIT}, which caps it), or retry later"
    return (
        f"raise {SETTING_LIMIT} in limits.yaml (keep it under the client's tool timeout: Codex allows 300 s), "
        "or retry later"
    )


def provider_reached(exc: BaseException) -> bool:
    """Whether the request may have reached the provider (``False``: refused before anything was sent)."""
    if "UnsupportedParams" in type(exc).__name__ or _refused_locally(exc):
        return False  # LiteLLM (or the OpenAI client) checks parameters and keys before sending
    return _connection(exc) != "not_connected"


def map_error(
    exc: BaseException,
    *,
    model: str,
    provider: str | None,
    fallbacks: Sequence[str] = (),
    key_env: Sequence[str] = (),
) -> LLMError:
    """One LLMError for ``exc`` raised while calling ``model`` (raise it ``from exc``).

    The status named is the provider's real one: LiteLLM labels a connection failure, a dropped
    connection and an unparsable 2xx body alike "HTTP 500", and none of them is.
    """
    name = type(exc).__name__
    deadline = isinstance(exc, DeadlineExceeded)
    local = not deadline and _refused_locally(exc)
    malformed = None if (deadline or local) else _malformed(exc)
    connection = None if (deadline or local or malformed) else _connection(exc)
    timed_out = deadline or (not (local or malformed or connection) and is_client_timeout(exc))
    status = None if (local or malformed or connection or timed_out) else _status(exc)
    said = provider_message(exc, secrets=[os.environ.get(var, "") for var in key_env])
    env = f" ({' or '.join(key_env)})" if key_env else ""
    where = f"HTTP {status} from provider" if status else name
    if isinstance(exc, DeadlineExceeded):  # (also for mypy)
        where = "time limit reached"
        advice = _deadline_advice(exc)
    elif local:
        where = "not sent (refused by the client before reaching the provider)"
        also = "".join(f" or {var}" for var in key_env)
        advice = f"set api_key for this model in models.yaml{also}; a local server that needs no key accepts any value"
    elif "ContextWindowExceeded" in name:
        advice = "the input is longer than the model's context window; shorten it or use a larger model"
    elif "UnsupportedParams" in name:
        advice = "remove the unsupported parameter, or set drop_params (llm.drop_params) in limits.yaml"
    elif malformed:
        where = f"the provider returned a malformed response ({malformed}) with HTTP 2xx"
        advice = "check api_base points at an OpenAI-compatible /v1 endpoint"
    elif connection == "dropped":
        where = "connection closed mid-answer"
        advice = "the provider closed the connection before the answer was complete; retry"
    elif connection:
        where = "no connection"
        advice = "cannot reach the provider; check api_base and that the server is running"
    elif timed_out:
        where = "no answer in time"
        advice = (
            "the provider did not answer within the per-attempt timeout (llm.timeout_s, or the model's own "
            "timeout in its extra_params); retry, or raise that timeout"
        )
    else:
        default = "retry later; if it persists check the provider's status"
        advice = _ADVICE.get(status or 0, default).format(env=env)
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
        code="llm_timeout" if status == 408 or timed_out else "llm_error",
        details={"fallbacks_tried": list(fallbacks), "exception": name},
        provider_reached=provider_reached(exc),
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
    """Transient failures worth retrying: timeouts, rate limits, 5xx, lost connections. Not a 2xx
    answer that is no API answer (a wrong api_base does not fix itself), nor a spent time limit."""
    if isinstance(exc, DeadlineExceeded) or _refused_locally(exc) or _malformed(exc):
        return False
    if is_client_timeout(exc):
        return True
    if _connection(exc):
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
