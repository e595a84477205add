"""One structured log line per tool call, through the ``zen.calls`` logger.

Configured from the ``logging`` settings section on the first call::

    logging:
      format: json        # or text
      file: null          # a path: rotating file (max_bytes, backups) instead of stderr
      level: INFO         # DEBUG adds the redacted arguments, headers and response
      max_bytes: 10485760
      backups: 5

Lines are handed to a queue and written by a background thread, so the event loop never waits on
the disk or a slow stderr reader. Output never goes to stdout (the stdio protocol channel).
"""

from __future__ import annotations

import atexit
import json
import logging
import logging.handlers
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from zen_core.calls.middleware import CallNext, Middleware, ToolCall
from zen_core.calls.tool import ToolResponse
from zen_core.errors import ToolError
from zen_core.llm.usage import summarize
from zen_core.plugin.spec import hookimpl
from zen_core.redact import redact
from zen_core.settings import Settings

CALL_LOGGER = "zen.calls"
MAX_BODY_CHARS = 20_000
OPTIONS = ("format", "file", "level", "max_bytes", "backups")
call_log = logging.getLogger(CALL_LOGGER)


class JsonFormatter(logging.Formatter):
    """A JSON object per line: time, level, logger, message, plus the record's ``zen`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "zen", None)
        if isinstance(fields, Mapping):
            data.update(fields)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str, ensure_ascii=False, separators=(",", ":"))


class TextFormatter(logging.Formatter):
    """``time level message key=value …`` for people reading a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
        parts = [ts, record.levelname, record.getMessage()]
        fields = getattr(record, "zen", None)
        if isinstance(fields, Mapping):
            parts += [f"{k}={json.dumps(v, default=str, ensure_ascii=False)}" for k, v in fields.items()]
        return " ".join(parts)


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file created readable by its owner only (0600), as is each file after a rotation:
    at DEBUG the lines hold prompts and answers. (Rotation renames files, so their mode carries over.)"""

    def _open(self) -> Any:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return open(fd, self.mode, encoding=self.encoding, errors=self.errors)


class _CallLogConfig:
    """The process-wide handler setup of ``zen.calls`` (replaced when the settings change)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.key: tuple[Any, ...] | None = None
        self.listener: logging.handlers.QueueListener | None = None
        #: A level that wins over ``logging.level`` (the CLI's own, for one-shot commands).
        self.level_override: str | None = None

    def ensure(self, settings: Settings) -> None:
        section = {name: settings.get(f"logging.{name}") for name in OPTIONS}
        if self.level_override is not None:
            section["level"] = self.level_override
        key = tuple(sorted((k, str(v)) for k, v in section.items()))
        if key == self.key:
            return
        with self.lock:
            if key == self.key:
                return
            self._install(section)
            self.key = key

    def _install(self, section: Mapping[str, Any]) -> None:
        self.stop()
        level = str(section.get("level") or "INFO").upper()
        formatter = TextFormatter() if str(section.get("format") or "json").lower() == "text" else JsonFormatter()
        target: logging.Handler
        if section.get("file"):
            path = Path(str(section["file"])).expanduser()
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            target = PrivateRotatingFileHandler(
                path,
                maxBytes=int(section.get("max_bytes") or 10 * 1024 * 1024),
                backupCount=int(section.get("backups") or 5),
                encoding="utf-8",
                delay=True,
            )
        else:
            target = logging.StreamHandler(sys.stderr)
        target.setFormatter(formatter)
        q: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        self.listener = logging.handlers.QueueListener(q, target, respect_handler_level=False)
        self.listener.start()
        for old in list(call_log.handlers):
            call_log.removeHandler(old)
        call_log.addHandler(logging.handlers.QueueHandler(q))
        call_log.setLevel(level)
        call_log.propagate = False

    def stop(self) -> None:
        """Flush and stop the writer thread (also run at exit)."""
        listener, self.listener = self.listener, None
        if listener is not None:
            listener.stop()
            for handler in listener.handlers:
                handler.close()


_config = _CallLogConfig()
atexit.register(_config.stop)


def configure(settings: Settings) -> None:
    """Set up ``zen.calls`` from ``settings`` (idempotent; done on the first tool call anyway)."""
    _config.ensure(settings)


def override_level(level: str | None) -> None:
    """Log calls at ``level`` whatever ``logging.level`` says (``None``: follow the settings again).

    ``zen call`` and the other one-shot commands pass the CLI's ``--log-level`` (WARNING unless asked),
    so a terminal shows the result only; ``zen serve`` keeps the configured call log.
    """
    _config.level_override = level.upper() if level else None


def error_code(response: ToolResponse) -> str | None:
    if response.status != "error":
        return None
    data = response.data
    if isinstance(data, Mapping) and isinstance(data.get("error"), Mapping):
        return str(data["error"].get("code") or "error")
    return "error"


def _body(value: Any) -> Any:
    cleaned = redact(value)
    text = json.dumps(cleaned, default=str, ensure_ascii=False)
    return cleaned if len(text) <= MAX_BODY_CHARS else text[:MAX_BODY_CHARS] + "…(truncated)"


def call_record(
    call: ToolCall, status: str, error: str | None, latency_ms: float, response: ToolResponse | None
) -> dict[str, Any]:
    ctx = call.ctx
    record: dict[str, Any] = {
        "trace_id": ctx.trace_id,
        "request_id": ctx.request_id,
        "tool": call.tool.name,
        "key_name": ctx.key_name,
        "transport": call.transport,
        "status": status,
        "error": error,
        "latency_ms": round(latency_ms, 2),
    }
    record.update(summarize(ctx.usage))
    if call_log.isEnabledFor(logging.DEBUG):
        record["arguments"] = _body(call.arguments)
        record["headers"] = _body(call.headers)
        record["response"] = _body(response.structured()) if response is not None else None
    return record


async def logging_middleware(call: ToolCall, call_next: CallNext) -> ToolResponse:
    """Log the call once it has finished (or failed), with its trace id, usage and status."""
    if call.settings is not None:
        configure(call.settings)
    start = time.perf_counter()
    try:
        response = await call_next(call)
    except ToolError as exc:
        _emit(call, "error", exc.code, start, None)
        raise
    except BaseException as exc:
        _emit(call, "error", type(exc).__name__, start, None)
        raise
    _emit(call, response.status, error_code(response), start, response)
    return response


def _emit(call: ToolCall, status: str, error: str | None, start: float, response: ToolResponse | None) -> None:
    level = logging.WARNING if status == "error" else logging.INFO
    if not call_log.isEnabledFor(level):
        return
    record = call_record(call, status, error, (time.perf_counter() - start) * 1000, response)
    call_log.log(level, "tool_call", extra={"zen": record})


@hookimpl(tryfirst=True)
def register_middleware(register: Callable[[Middleware], None]) -> None:
    register(logging_middleware)
