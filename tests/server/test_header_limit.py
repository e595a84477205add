"""Request headers are capped (``server.max_header_bytes``, 64 KiB by default): a request whose header
section is larger is refused (431, or the connection is closed) while it arrives, before any of it
reaches the app or auth, so huge headers cannot grow the server's memory."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx

from zen_core.testing.mcp import HTTPServerProcess, http_client

MIB = 1 << 20


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def send_header(server: HTTPServerProcess, header_bytes: int) -> bytes:
    """POST /mcp with one header of ``header_bytes`` over a raw socket; the server's reply (b"" if it
    closed the connection without one)."""
    address, port = server.base_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((address, int(port)), timeout=60) as sock:
        try:
            sock.sendall(f"POST /mcp HTTP/1.1\r\nHost: {address}:{port}\r\nX-Padding: ".encode())
            for _ in range(header_bytes // MIB):
                sock.sendall(b"a" * MIB)
            sock.sendall(b"a" * (header_bytes % MIB) + b"\r\nContent-Length: 0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused while sending
        try:
            return sock.recv(65536)
        except ConnectionResetError:
            return b""


async def test_huge_headers_are_refused_and_memory_stays_flat(zen_env: dict[str, str]) -> None:
    async with HTTPServerProcess(zen_env) as server, httpx.AsyncClient(timeout=30) as http:
        assert server.process is not None
        pid = server.pid  # the server's own (behind the launcher when it was forked from the preloaded Zen)
        assert (await http.get(f"{server.base_url}/healthz")).status_code == 200
        before = rss_kib(pid)
        for _ in range(5):
            reply = await asyncio.to_thread(send_header, server, 16 * MIB)
            assert reply == b"" or reply.startswith(b"HTTP/1.1 431 "), reply[:200]
        grown_kib = rss_kib(pid) - before
        assert grown_kib < 8 * 1024, f"the server grew by {grown_kib} KiB"
        assert (await http.get(f"{server.base_url}/healthz")).status_code == 200
        async with http_client(server.url) as client:
            assert (await client.call_tool("version", {})).is_error is False


def test_headers_up_to_the_limit_are_served(zen_env: dict[str, str]) -> None:
    with HTTPServerProcess(zen_env) as server:
        big = {"X-Padding": "a" * 48 * 1024}  # within 64 KiB with the other headers
        assert httpx.get(f"{server.base_url}/healthz", headers=big, timeout=30).status_code == 200
        reply = send_header(server, 80 * 1024)
        assert reply.startswith(b"HTTP/1.1 431 "), reply[:200]
        assert b"server.max_header_bytes" in reply
