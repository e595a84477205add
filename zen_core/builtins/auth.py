"""API-key authentication for the HTTP transport, plus per-key tool and model allowlists.

Two parts:

- :func:`wrap_asgi`, a pure ASGI wrapper in front of the whole HTTP app: ``/mcp*``, ``/metrics``
  (unless ``auth.public_metrics`` is set) and any other path answer 401 without a valid
  ``Authorization: Bearer <key>``, before the MCP layer sees the request. ``/healthz`` stays open. A valid key puts
  ``scope["zen"] = {"key_name", "allowed_tools", "allowed_models", "file_roots"}``, which the MCP layer turns
  into the call's :class:`~zen_core.calls.context.Caller`.
- :func:`auth_middleware`, the outermost tool middleware: refuses tools outside the key's allowlist (the
  key's model allowlist and file roots are applied by ``ctx.llm`` and ``ctx.files``, which every tool
  goes through). Calls without a key (stdio, ``zen call``, HTTP with no keys configured) pass.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from zen_core.builtins.keys import KeyRing, load_keys
from zen_core.calls.middleware import CallNext, Middleware, ToolCall
from zen_core.calls.tool import ToolResponse
from zen_core.errors import ToolError
from zen_core.plugin.spec import AsgiWrapper, hookimpl
from zen_core.settings import ConfigError, Settings

log = logging.getLogger("zen.auth")

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
OPT_OUT_HINT = "set auth.allow_unauthenticated: true (or ZEN_AUTH__ALLOW_UNAUTHENTICATED=true)"


class UnsafeBindError(ConfigError):
    """Refusing to serve HTTP on a non-loopback address without any API key."""


def is_loopback(bind_host: str) -> bool:
    """Only these three names count: any other address, ``127.0.0.2`` included, is exposed (other users
    and containers on the machine reach it, and a wildcard or LAN address reaches further)."""
    return bind_host in LOOPBACK


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class BearerAuth:
    """Pure ASGI: every path except ``/healthz`` (and ``/metrics`` when public) needs a valid key.

    Streams pass through untouched; a refused request gets a 401 JSON body (a websocket is closed).
    """

    def __init__(self, app: ASGIApp, ring: KeyRing, *, public_metrics: bool = False) -> None:
        self.app = app
        self.ring = ring
        self.open_paths = {"/healthz", "/metrics"} if public_metrics else {"/healthz"}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or str(scope.get("path", "")).rstrip("/") in self.open_paths:
            await self.app(scope, receive, send)
            return
        presented = _bearer(scope)
        key = self.ring.verify(presented) if presented is not None else None
        if key is None:
            reason = "missing_key" if presented is None else "invalid_key"
            _refused(reason).inc()
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            elif presented is None:
                await _unauthorized(send, "missing API key: send 'Authorization: Bearer <key>' (see `zen keys add`)")
            else:
                await _unauthorized(send, "invalid API key")
            return
        scope["zen"] = {
            **scope.get("zen", {}),
            "key_name": key.name,
            "allowed_tools": list(key.tools) if key.tools is not None else None,
            "allowed_models": list(key.models) if key.models is not None else None,
            "file_roots": list(key.roots) if key.roots is not None else None,
        }
        await self.app(scope, receive, send)


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"authorization":
            text: str = bytes(value).decode("latin-1").strip()
            scheme, _, token = text.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
            return None
    return None


async def _unauthorized(send: Send, message: str) -> None:
    body = json.dumps({"error": "unauthorized", "message": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b'Bearer realm="zen"'),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def check_bind(settings: Settings, bind_host: str) -> KeyRing:
    """The configured keys; :class:`UnsafeBindError` when there are none and ``bind_host`` is exposed
    (not loopback) without ``auth.allow_unauthenticated``. Needs no socket: run it before binding."""
    ring = KeyRing(load_keys(settings))
    if not ring and not is_loopback(bind_host) and not _truthy(settings.get("auth.allow_unauthenticated", False)):
        raise UnsafeBindError(
            f"refusing to serve on {bind_host} without an API key: anyone who can reach it could spend your "
            f"provider credits. Create a key with `zen keys add NAME`, or {OPT_OUT_HINT} to run "
            "unauthenticated (e.g. behind an authenticating proxy)."
        )
    return ring


def wrap_asgi(app: ASGIApp, settings: Settings, bind_host: str = "127.0.0.1") -> ASGIApp:
    """Put the API-key check in front of ``app``.

    Without keys: loopback is served open; any other address raises :class:`UnsafeBindError` unless
    ``auth.allow_unauthenticated`` is true.
    """
    ring = check_bind(settings, bind_host)
    if not ring:
        if not is_loopback(bind_host):
            log.warning("serving on %s WITHOUT authentication (auth.allow_unauthenticated is set)", bind_host)
        return app
    return BearerAuth(app, ring, public_metrics=_truthy(settings.get("auth.public_metrics", False)))


# -- tool middleware ------------------------------------------------------------------------------


async def auth_middleware(call: ToolCall, call_next: CallNext) -> ToolResponse:
    """Refuse tools outside the calling key's allowlist. (Its model allowlist is applied by ``ctx.llm``,
    wherever a tool looks a model up, default model included.) ``jobs`` and ``cancel_job`` are always
    allowed: any key's call can become a job, and they show only the key's own jobs."""
    caller = call.ctx.caller
    if not caller.may_call(call.tool.name):
        _refused("forbidden_tool").inc()
        log.warning("key %s refused tool %s (trace %s)", caller.key_name, call.tool.name, call.ctx.trace_id)
        tools = caller.allowed_tools or ()
        raise ToolError(
            f"API key '{caller.key_name}' is not allowed to call tool '{call.tool.name}'. "
            f"Allowed tools for this key: {', '.join(tools) or 'none'}.",
            code="forbidden_tool",
            details={"key_name": caller.key_name, "tool": call.tool.name, "allowed_tools": list(tools)},
        )
    return await call_next(call)


@hookimpl(tryfirst=True)
def register_middleware(register: Callable[[Middleware], None]) -> None:
    register(auth_middleware)


@hookimpl(tryfirst=True)
def register_asgi_wrappers(register: Callable[[AsgiWrapper], None]) -> None:
    register(wrap_asgi)


def _refused(reason: str) -> Any:
    """The refusal counter for ``reason`` (imported lazily with the other instruments)."""
    from zen_core.builtins.instruments import AUTH_REFUSALS

    return AUTH_REFUSALS.labels(reason)
