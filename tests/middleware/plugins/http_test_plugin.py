"""Test plugin for the HTTP hooks: a route, an ASGI wrapper that stamps a header, and a broken wrapper hook."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Route

from zen_core import AsgiWrapper, Settings, hookimpl


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello from a plugin route")


def stamp(app: Any, settings: Settings, bind_host: str) -> Any:
    """Add ``x-zen-test-wrapper: <bind host>`` to every HTTP response."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        async def send_stamped(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-zen-test-wrapper", bind_host.encode())]
            await send(message)

        await app(scope, receive, send_stamped if scope["type"] == "http" else send)

    return wrapped


@hookimpl
def register_routes(register: Callable[[BaseRoute], None]) -> None:
    register(Route("/hello", hello))


@hookimpl
def register_asgi_wrappers(register: Callable[[AsgiWrapper], None]) -> None:
    register(stamp)
