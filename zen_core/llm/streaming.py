"""Collecting a LiteLLM stream: its text, usage, finish reason and hidden params, and the checks that
tell a finished answer from a broken one.

LiteLLM turns some broken answers into streams that look fine: an HTML page or a JSON body sent with
HTTP 200 to a stream request becomes an empty stream with a made-up ``finish_reason="stop"``. A chunk
counts as *data* only when it carries something from the provider (a role, text, tool calls,
reasoning or usage); :meth:`StreamCollector.check` fails a stream without any, or without a finish.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from zen_core.llm.errors import IncompleteResponse, MalformedResponse

#: Delta fields that only the provider fills (LiteLLM's own closing chunk leaves them all ``None``).
_DATA_FIELDS = ("content", "role", "tool_calls", "function_call", "reasoning_content", "thinking_blocks")


@dataclass
class StreamCollector:
    """What a stream delivered so far. Feed it every chunk (:meth:`add`), then :meth:`check` it."""

    hidden: dict[str, Any] = field(default_factory=dict)
    parts: list[str] = field(default_factory=list)
    usage: Any = None
    finish_reason: str | None = None
    data_chunks: int = 0

    @classmethod
    def of(cls, response: Any) -> StreamCollector:
        """A collector for ``response`` (a LiteLLM stream), starting from its hidden params."""
        return cls(hidden=dict(getattr(response, "_hidden_params", None) or {}))

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def add(self, chunk: Any) -> str:
        """Take one chunk; returns its text delta (``""`` when it has none)."""
        chunk_hidden: Mapping[str, Any] = getattr(chunk, "_hidden_params", None) or {}
        self.hidden.update({k: v for k, v in chunk_hidden.items() if v is not None})
        usage = getattr(chunk, "usage", None)
        data = usage is not None
        self.usage = usage or self.usage
        text: list[str] = []
        for choice in getattr(chunk, "choices", None) or []:
            self.finish_reason = getattr(choice, "finish_reason", None) or self.finish_reason
            delta = getattr(choice, "delta", None)
            data = data or any(getattr(delta, name, None) is not None for name in _DATA_FIELDS)
            content = getattr(delta, "content", None)
            if content:
                text.append(str(content))
        self.data_chunks += data
        self.parts.extend(text)
        return "".join(text)

    def check(self) -> None:
        """Raise :class:`MalformedResponse` when no chunk carried data, :class:`IncompleteResponse`
        when data came but no finish reason."""
        if not self.data_chunks:
            raise MalformedResponse(self._body_kind(), self._no_data_detail())
        if self.finish_reason is None:
            raise IncompleteResponse("the stream ended before a finish reason was received")

    def _content_type(self) -> str:
        headers: Mapping[str, Any] = self.hidden.get("additional_headers") or {}
        return str(headers.get("llm_provider-content-type") or headers.get("content-type") or "")

    def _body_kind(self) -> str:
        content_type = self._content_type().lower()
        if "html" in content_type:
            return "an HTML page"
        if "json" in content_type:
            return "a JSON body, not an event stream"
        if "event-stream" in content_type:
            return "an event stream without data"
        return "no stream events"

    def _no_data_detail(self) -> str:
        content_type = self._content_type() or "not given"
        return f"The stream request got no answer data (content type: {content_type})."
