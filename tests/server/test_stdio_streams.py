"""The stdio server's own stdin/stdout threads: order, backpressure, a closed pipe, nothing lost on close.

The whole path (a real MCP client over stdio) is tested everywhere else; these pin what the threads
promise on real pipes.
"""

from __future__ import annotations

import asyncio
import os
import threading

import pytest

from zen_core.server.stdio_streams import StdinLines, StdoutLines


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


async def test_messages_reach_the_pipe_whole_and_in_order() -> None:
    read_fd, write_fd = os.pipe()
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(_read_all(read_fd)))
    reader.start()
    out = StdoutLines(write_fd, max_pending=8)  # far fewer than the messages: write must wait, not drop
    messages = [f'{{"id": {i}, "pad": "{"x" * (i % 7000)}"}}\n' for i in range(400)]
    for message in messages:
        await out.write(message)
        await out.flush()
    await out.aclose()
    os.close(write_fd)
    await asyncio.to_thread(reader.join, 30)
    assert received[0].decode() == "".join(messages)
    os.close(read_fd)


async def test_write_does_not_wait_for_the_pipe() -> None:
    read_fd, write_fd = os.pipe()
    out = StdoutLines(write_fd)
    big = "y" * 200_000 + "\n"  # more than a pipe holds: the writer thread blocks until it is read
    await asyncio.wait_for(out.write(big), timeout=5)  # returned although nothing was read yet
    await asyncio.wait_for(out.write("after\n"), timeout=5)
    received = await asyncio.to_thread(_read_exactly, read_fd, len(big) + len("after\n"))
    assert received.decode() == big + "after\n"
    await out.aclose()
    os.close(write_fd)
    os.close(read_fd)


def _read_exactly(fd: int, size: int) -> bytes:
    data = b""
    while len(data) < size:
        data += os.read(fd, size - len(data))
    return data


async def test_a_closed_pipe_is_raised_by_a_later_write() -> None:
    read_fd, write_fd = os.pipe()
    os.close(read_fd)  # the client went away
    out = StdoutLines(write_fd)
    with pytest.raises(BrokenPipeError):
        for _ in range(100):
            await out.write("hello\n")
            await asyncio.sleep(0.01)
    await out.aclose()  # returns although nothing could be written
    os.close(write_fd)


async def test_lines_arrive_in_order_and_end_at_eof() -> None:
    read_fd, write_fd = os.pipe()
    lines = StdinLines(read_fd, max_pending=2)  # fewer than the lines: the reader thread waits for room
    sent = [f"line {i}\n" for i in range(50)]
    writer = threading.Thread(target=lambda: (os.write(write_fd, "".join(sent).encode()), os.close(write_fd)))
    writer.start()
    got = [line async for line in lines]
    assert got == sent
    writer.join(10)
    os.close(read_fd)
