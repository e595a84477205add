"""A loopback fake of an OpenAI-compatible ``/v1/chat/completions`` endpoint, for tests and benchmarks.

Behaviour is chosen per model name, and every request is recorded::

    with FakeLLM() as fake:
        fake.behave("flaky", fail_times=2)              # two HTTP 500s, then success
        slow = fake.model(latency_s=0.2)                # a fresh, unique model name
        ...  # point LiteLLM at fake.base_url with model "openai/flaky"
        assert fake.calls("flaky") == 3

The server binds ``127.0.0.1`` on an ephemeral port and runs uvicorn in a daemon thread, so it works
from sync and async tests alike. Unknown model names get the default :class:`Behavior` (reply "ok").
Use a unique model name per test when one server is shared (LiteLLM's cache keys on the model name).

Broken providers, each answering a plain and a streamed request alike unless noted:

- ``status=503`` / ``fail_times=2``: HTTP errors (with ``error_message`` in an OpenAI-style error body);
- ``hang=True``: never answers; the request is held until the client gives up (a hung provider);
- ``html_body=True``: HTTP 200 with an HTML page (a proxy or login page behind a wrong ``api_base``);
- ``malformed=True``: HTTP 200 whose body is not valid JSON (streams: the same, not an event stream);
- ``stream_malformed=True``: streams only, an event stream whose events are not valid JSON;
- ``truncate_body=True``: plain requests only, the connection is dropped halfway through the JSON body;
- ``stream_cut_after=N``: streams only, the stream ends cleanly after N content chunks, without a
  finish chunk or ``[DONE]``;
- ``stream_cut_mid_json=N``: streams only, after N content chunks half an event is sent and the
  connection is dropped (the chunked body is never terminated).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

__all__ = ["Behavior", "FakeLLM"]

#: What ``html_body`` answers: the kind of page a proxy, a login wall or a web server's root gives.
HTML_PAGE = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><h1>Sign in</h1></body></html>\n"
#: A body cut off in the middle of a JSON document.
BROKEN_JSON = b'{"id": "chatcmpl-fake", "choices": ['


@dataclass(frozen=True)
class Behavior:
    """How the fake answers requests for one model name."""

    #: Reply text (ignored when ``echo`` is set).
    text: str = "ok"
    #: Delay before answering (and before the first stream chunk); cut short if the client disconnects.
    latency_s: float = 0.0
    #: Always answer with this HTTP error status.
    status: int | None = None
    #: Answer the first N requests with ``fail_status``, then succeed.
    fail_times: int = 0
    fail_status: int = 500
    #: Provider error message in the error body.
    error_message: str = "fake provider error"
    #: ``Retry-After`` header (seconds) on error responses.
    retry_after: float | None = None
    #: Stream these text chunks (default: the reply split into words).
    chunks: tuple[str, ...] | None = None
    #: Delay between stream chunks.
    chunk_delay_s: float = 0.0
    #: Close the stream cleanly after this many content chunks, without a finish chunk or ``[DONE]``.
    stream_cut_after: int | None = None
    #: After this many content chunks send half an event, then drop the connection mid-stream.
    stream_cut_mid_json: int | None = None
    #: Answer HTTP 200 with a body that is not valid JSON (a stream gets the same body, not events).
    malformed: bool = False
    #: Answer HTTP 200 with an HTML page (``text/html``), plain and streamed requests alike.
    html_body: bool = False
    #: Stream events whose data is not valid JSON (HTTP 200, ``text/event-stream``), then ``[DONE]``.
    stream_malformed: bool = False
    #: Plain requests: announce the whole JSON body's length, send half of it and drop the connection.
    truncate_body: bool = False
    #: Never answer: hold the request until the client disconnects (a hung provider).
    hang: bool = False
    #: Reply with the JSON of the request's ``messages`` as the text.
    echo: bool = False
    #: Usage to report; default: prompt = words in the messages, completion = words in the reply.
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str = "stop"


@dataclass
class _ModelState:
    behavior: Behavior = field(default_factory=Behavior)
    calls: int = 0
    failures_left: int = 0
    in_flight: int = 0
    peak: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)


def _words(value: Any) -> int:
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, list):
        return sum(_words(part.get("text", "")) for part in value if isinstance(part, dict))
    return 0


class FakeLLM:
    """The fake server. Start with ``with FakeLLM() as fake`` or :meth:`start` / :meth:`stop`.

    :param keep_requests: how many request bodies to keep per model (oldest dropped first).
    """

    def __init__(self, *, keep_requests: int = 50) -> None:
        self._keep = keep_requests
        self._lock = threading.Lock()
        self._models: dict[str, _ModelState] = defaultdict(_ModelState)
        self._in_flight = 0
        self._peak = 0
        self._names = itertools.count(1)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port = 0
        self._stopping = False

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeLLM:
        """Start serving; returns self. Blocks until the port accepts connections."""
        if self._server is not None:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit this: without it, uvicorn's separate header/body writes meet the
        # client's delayed ACK and every response takes ~40 ms longer (Nagle).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        app = Starlette(routes=[Route("/v1/chat/completions", self._handle, methods=["POST"])])
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False, backlog=2048)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="zen-fake-llm", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake LLM server did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop the server at once (answers still being delayed are cut) and wait for its thread."""
        if self._server is not None and self._thread is not None:
            self._stopping = True
            self._server.should_exit = True
            self._server.force_exit = True  # no grace for a hanging model's requests: they only sleep
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None
        self._stopping = False

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The loopback port the fake listens on (0 before :meth:`start`)."""
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1`` — the ``api_base`` for LiteLLM."""
        return f"http://127.0.0.1:{self._port}/v1"

    # -- behaviour ---------------------------------------------------------------------------
    def behave(self, model: str, behavior: Behavior | None = None, **changes: Any) -> str:
        """Set the behaviour of ``model`` (a :class:`Behavior` and/or its fields); returns ``model``."""
        new = replace(behavior or Behavior(), **changes)
        with self._lock:
            state = self._models[model]
            state.behavior = new
            state.failures_left = new.fail_times
        return model

    def model(self, prefix: str = "m", behavior: Behavior | None = None, **changes: Any) -> str:
        """A new unique model name (``<prefix>-<n>-<port>``) with the given behaviour."""
        return self.behave(f"{prefix}-{next(self._names)}-{self._port}", behavior, **changes)

    def entry(self, model: str, **extra: Any) -> dict[str, Any]:
        """A ``models.yaml`` entry pointing at this fake: ``model: openai/<model>``, ``api_base``, a dummy key."""
        return {"model": f"openai/{model}", "api_base": self.base_url, "api_key": "fake-key", **extra}

    # -- inspection --------------------------------------------------------------------------
    def calls(self, model: str) -> int:
        """Requests received for ``model``."""
        with self._lock:
            return self._models[model].calls if model in self._models else 0

    def requests(self, model: str) -> list[dict[str, Any]]:
        """The JSON bodies received for ``model``, oldest first (at most ``keep_requests``)."""
        with self._lock:
            return list(self._models[model].requests) if model in self._models else []

    def last_request(self, model: str) -> dict[str, Any]:
        """The last JSON body received for ``model``; ``KeyError`` if none."""
        bodies = self.requests(model)
        if not bodies:
            raise KeyError(f"no request received for model {model!r}")
        return bodies[-1]

    def peak_concurrency(self, model: str | None = None) -> int:
        """Most requests in flight at once, for ``model`` or over all models."""
        with self._lock:
            if model is None:
                return self._peak
            return self._models[model].peak if model in self._models else 0

    def in_flight(self, model: str | None = None) -> int:
        """Requests being answered now, for ``model`` or over all models (a delayed answer whose client
        went away is no longer in flight)."""
        with self._lock:
            if model is None:
                return self._in_flight
            return self._models[model].in_flight if model in self._models else 0

    def reset(self) -> None:
        """Forget all behaviours and recorded requests."""
        with self._lock:
            self._models.clear()
            self._in_flight = self._peak = 0

    # -- the endpoint ------------------------------------------------------------------------
    async def _handle(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body: dict[str, Any] = json.loads(raw)
        except ValueError:
            return JSONResponse({"error": {"message": "request is not JSON"}}, status_code=400)
        model = str(body.get("model", ""))
        with self._lock:
            state = self._models[model]
            state.calls += 1
            state.requests.append(body)
            del state.requests[: -self._keep]
            behavior = state.behavior
            failing = state.failures_left > 0
            if failing:
                state.failures_left -= 1
            state.in_flight += 1
            state.peak = max(state.peak, state.in_flight)
            self._in_flight += 1
            self._peak = max(self._peak, self._in_flight)
        try:
            if behavior.hang:
                await _client_gone(request)
                return Response(status_code=499)  # never sent: the client is gone
            if behavior.latency_s and await _client_left_within(request, behavior.latency_s):
                return Response(status_code=499)  # as a provider stops work on a dropped connection
            if behavior.status is not None or failing:
                return self._error(behavior, behavior.status or behavior.fail_status)
            if behavior.html_body:
                return Response(HTML_PAGE, media_type="text/html")
            if behavior.malformed:
                return Response(BROKEN_JSON, media_type="application/json")
            text = json.dumps(body.get("messages", [])) if behavior.echo else behavior.text
            prompt = behavior.prompt_tokens
            if prompt is None:
                prompt = sum(_words(m.get("content")) for m in body.get("messages", []) if isinstance(m, dict))
            completion = behavior.completion_tokens if behavior.completion_tokens is not None else _words(text)
            usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
            if body.get("stream"):
                return _RawResponse(self._stream(model, text, behavior, usage, body), "text/event-stream")
            answer = JSONResponse(
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": behavior.finish_reason,
                        }
                    ],
                    "usage": usage,
                }
            )
            if behavior.truncate_body:
                whole = bytes(answer.body)
                return _RawResponse(_parts(whole[: len(whole) // 2], None), "application/json", len(whole))
            return answer
        except asyncio.CancelledError:
            if self._stopping:  # stop() cuts what is still being answered: not an error worth a traceback
                return Response(status_code=503)
            raise
        finally:
            with self._lock:
                state.in_flight -= 1
                self._in_flight -= 1

    @staticmethod
    def _error(behavior: Behavior, status: int) -> Response:
        headers = {}
        if behavior.retry_after is not None:
            headers["retry-after"] = f"{behavior.retry_after:g}"
        error = {"message": behavior.error_message, "type": "fake_error", "code": str(status)}
        return JSONResponse({"error": error}, status_code=status, headers=headers)

    @staticmethod
    async def _stream(
        model: str, text: str, behavior: Behavior, usage: dict[str, int], body: dict[str, Any]
    ) -> AsyncIterator[bytes | None]:
        """The events of a stream; ``None`` drops the connection (see :class:`_RawResponse`)."""
        if behavior.stream_malformed:
            for _ in range(3):
                yield b"data: " + BROKEN_JSON + b"\n\n"
            yield b"data: [DONE]\n\n"
            return

        def event(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
            chunk = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **extra,
            }
            return f"data: {json.dumps(chunk)}\n\n".encode()

        pieces = list(behavior.chunks) if behavior.chunks is not None else [w + " " for w in text.split()]
        if pieces and behavior.chunks is None:
            pieces[-1] = pieces[-1].rstrip()
        yield event({"role": "assistant", "content": ""})
        for index, piece in enumerate(pieces):
            if behavior.stream_cut_after is not None and index >= behavior.stream_cut_after:
                return
            if behavior.stream_cut_mid_json is not None and index >= behavior.stream_cut_mid_json:
                whole = event({"content": piece})
                yield whole[: len(whole) // 2]
                yield None
                return
            if behavior.chunk_delay_s:
                await asyncio.sleep(behavior.chunk_delay_s)
            yield event({"content": piece})
        yield event({}, behavior.finish_reason)
        if (body.get("stream_options") or {}).get("include_usage"):
            final = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": model, "choices": []}
            yield f"data: {json.dumps({**final, 'created': int(time.time()), 'usage': usage})}\n\n".encode()
        yield b"data: [DONE]\n\n"


async def _parts(*parts: bytes | None) -> AsyncIterator[bytes | None]:
    for part in parts:
        yield part


class _RawResponse(Response):
    """A body sent part by part; a ``None`` part drops the connection there, leaving the body unfinished
    (uvicorn logs "ASGI callable returned without completing response" and closes the connection).

    ``content_length`` announces a length (else the body is chunked), so a dropped body is short of it.
    """

    def __init__(self, parts: AsyncIterator[bytes | None], media_type: str, content_length: int | None = None):
        super().__init__(media_type=media_type)
        self._parts = parts
        self._length = content_length

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", self.media_type.encode() if self.media_type else b"text/plain")]
        if self._length is not None:
            headers.append((b"content-length", str(self._length).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        async for part in self._parts:
            if part is None:
                return
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _client_gone(request: Request) -> None:
    """Return once the client has closed the connection."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def _client_left_within(request: Request, seconds: float) -> bool:
    """Wait ``seconds``, or less if the client goes away first (then ``True``)."""
    watch = asyncio.ensure_future(_client_gone(request))
    try:
        done, _ = await asyncio.wait({watch}, timeout=seconds)
    finally:
        watch.cancel()
    return bool(done)
