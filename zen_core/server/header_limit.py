"""A cap on the size of a request's header section, enforced while the bytes arrive.

uvicorn's httptools protocol keeps every header byte it is sent until the header section ends, with
no limit: ten requests carrying 50 MB headers grew a server by 600 MB before auth ever ran. The
protocol here counts the bytes of a header section as they are parsed and, past the limit, answers
431 and closes the connection. (uvicorn's h11 protocol, used when httptools is missing, has a limit
of its own, ``h11_max_incomplete_event_size``, set to the same value.)
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from zen_core.settings import ConfigError, Settings

SETTING = "server.max_header_bytes"
DEFAULT_MAX_HEADER_BYTES = 64 * 1024

log = logging.getLogger("zen.http")


def header_limited_protocol(limit: int) -> type[asyncio.Protocol] | str:
    """uvicorn's ``http`` setting: httptools with the header cap, or ``"h11"`` when httptools is missing."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # pragma: no cover - httptools is a dependency of zen-core
        return "h11"

    class HeaderLimitedProtocol(HttpToolsProtocol):
        """httptools, refusing a request once its header section exceeds ``limit`` bytes.

        Two counts: the header bytes the parser reports (URL, names and values), and, while a header
        section is still incomplete after a chunk, the whole chunk (the parser holds those bytes until
        the section ends, out of the first count's sight). Once refused, the connection's remaining
        bytes are ignored and it is closed after the 431.
        """

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._in_headers = False
            self._pending_bytes = 0  # bytes of chunks that ended inside the header section
            self._parsed_bytes = 0  # URL, header names and values the parser has reported
            self._refused = False

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return
            super().data_received(data)
            if self._in_headers and not self._refused:
                self._pending_bytes += len(data)
                self._refused = self._pending_bytes > limit
            if self._refused and not self.transport.is_closing():
                self._send_431()

        def on_message_begin(self) -> None:
            if self._refused:
                return
            super().on_message_begin()
            self._in_headers = True
            self._pending_bytes = self._parsed_bytes = 0

        def on_url(self, url: bytes) -> None:
            if not self._counted(len(url)):
                super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            if not self._counted(len(name) + len(value)):
                super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._in_headers = False
            if not self._refused:
                super().on_headers_complete()

        def on_body(self, body: bytes) -> None:
            if not self._refused:
                super().on_body(body)

        def on_message_complete(self) -> None:
            if not self._refused:
                super().on_message_complete()

        def _counted(self, size: int) -> bool:
            """Add ``size`` parsed header bytes; whether the request is (now) refused."""
            self._parsed_bytes += size
            self._refused = self._refused or self._parsed_bytes > limit
            return self._refused

        def _send_431(self) -> None:
            client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
            log.warning("refused a request from %s: headers larger than %d bytes (%s)", client, limit, SETTING)
            body = f"Request headers larger than {limit} bytes; the server's limit is {SETTING}.\n".encode()
            head = (
                "HTTP/1.1 431 Request Header Fields Too Large\r\n"
                "content-type: text/plain; charset=utf-8\r\n"
                f"content-length: {len(body)}\r\n"
                "connection: close\r\n\r\n"
            )
            self.transport.write(head.encode() + body)
            self.transport.close()

    return HeaderLimitedProtocol


def max_header_bytes(settings: Settings) -> int:
    """``server.max_header_bytes`` (validated: a whole number of at least 1024)."""
    value = settings.get(SETTING, DEFAULT_MAX_HEADER_BYTES)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1024:
        raise ConfigError(
            f"expected a whole number of bytes, at least 1024, got {value!r}: fix it in server.yaml or "
            "ZEN_SERVER__MAX_HEADER_BYTES",
            source=settings.source_of(SETTING),
            key=SETTING,
        )
    return value
