"""Turn a CLI's standard output into an answer, its session id and what it used.

Three parsers, chosen per CLI with ``parser:``:

- ``text``: the whole output is the answer.
- ``json``: one JSON object. Recognised shapes:
  - Gemini CLI ``--output-format json``: ``{"session_id", "response", "stats": {"models": {NAME: {"tokens":
    {"prompt", "candidates", "thoughts", "cached", "total"}}}}, "error": {"type", "message"}}``
    (geminicli.com/docs/cli/headless "JSON output"; field names from google-gemini/gemini-cli
    packages/core/src/output/types.ts ``JsonOutput`` and telemetry/uiTelemetry.ts ``ModelMetrics``).
  - Claude Code ``-p --output-format json``: ``{"type": "result", "subtype": "success", "is_error",
    "result", "session_id", "total_cost_usd", "usage": {"input_tokens", "cache_creation_input_tokens",
    "cache_read_input_tokens", "output_tokens"}, "modelUsage": {NAME: {...}}}``
    (docs.claude.com/docs/claude-code/headless "JSON output"; ``total_cost_usd`` replaced ``cost_usd``).
  - anything else with a string ``response``/``result``/``answer``/``text``/``content``.
- ``jsonl``: one JSON event per line (lines that are not JSON are skipped). Recognised events:
  - Codex ``exec --json``: ``thread.started`` (``thread_id``), ``item.completed`` with an item of type
    ``agent_message`` (``text``), ``turn.completed`` (``usage``: ``input_tokens``, ``cached_input_tokens``,
    ``output_tokens``), ``turn.failed`` (``error.message``) and ``error`` (``message``)
    (openai/codex docs/exec.md "JSON output mode"; codex-rs/exec/src/exec_events.rs).
  - opencode ``run --format json``: every event has ``type``, ``timestamp``, ``sessionID`` and a ``part``:
    ``text`` (``part.text``), ``step_start``, ``step_finish`` (``part.tokens``: ``input``, ``output``,
    ``reasoning``, ``cache.read``/``cache.write``; ``part.cost``) and ``error`` (``error.data.message``)
    (opencode.ai/docs/cli ``run``; the event writer in anomalyco/opencode packages/opencode/src/cli/cmd/run.ts).
  - Gemini CLI ``--output-format stream-json``: ``init`` (``session_id``, ``model``), ``message`` (assistant
    ``content``), ``result`` (``status``, ``stats``: ``input_tokens``, ``output_tokens``), ``error``
    (``severity``) (geminicli.com/docs/cli/headless "Streaming JSON output").
  - Claude Code ``--output-format stream-json``: the last line is the same ``result`` object as ``json``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
ANSWER_KEYS = ("response", "result", "answer", "text", "content", "output")


class ParseError(Exception):
    """The output does not have the shape the CLI's parser expects."""


@dataclass
class Parsed:
    """What the CLI said, as far as its output tells."""

    answer: str
    #: Which output shape was recognised (``gemini``, ``claude``, ``codex``, ``opencode``, ``text``, ``json``).
    shape: str = "text"
    session_id: str | None = None
    model: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None
    #: A failure the CLI reported in its output (even with exit code 0).
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def has_usage(self) -> bool:
        return self.prompt_tokens is not None or self.completion_tokens is not None or self.cost_usd is not None


def parse(kind: str, stdout: str) -> Parsed:
    if kind == "json":
        return parse_json(stdout)
    if kind == "jsonl":
        return parse_jsonl(stdout)
    return Parsed(answer=ANSI.sub("", stdout).strip())


# -- helpers -----------------------------------------------------------------------------------
def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _add(current: int | None, value: int) -> int:
    return (current or 0) + value


# -- one JSON object ---------------------------------------------------------------------------
def parse_json(stdout: str) -> Parsed:
    text = stdout.strip()
    obj: Any = None
    try:
        obj = json.loads(text)
    except ValueError:
        # Some CLIs print a warning line before the object: parse from the first line that opens one.
        lines = text.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("{"):
                try:
                    obj = json.loads("\n".join(lines[i:]))
                    break
                except ValueError:
                    continue
    if not isinstance(obj, dict):
        raise ParseError("expected one JSON object on standard output")
    if obj.get("type") == "result" or ("result" in obj and "session_id" in obj):
        return _claude(obj)
    if "response" in obj or "stats" in obj or ("error" in obj and "session_id" in obj):
        return _gemini(obj)
    for key in ANSWER_KEYS:
        if isinstance(obj.get(key), str):
            return Parsed(answer=obj[key].strip(), shape="json", session_id=_str(obj.get("session_id")))
    raise ParseError(f"no answer field in the JSON object (looked for {', '.join(ANSWER_KEYS)})")


def _gemini(obj: dict[str, Any]) -> Parsed:
    out = Parsed(answer=(_str(obj.get("response")) or "").strip(), shape="gemini")
    out.session_id = _str(obj.get("session_id"))
    error = _dict(obj.get("error"))
    if error:
        out.error = _str(error.get("message")) or _str(error.get("type")) or json.dumps(error)
    models = _dict(_dict(obj.get("stats")).get("models"))
    best = -1
    for name, metrics in models.items():
        tokens = _dict(_dict(metrics).get("tokens"))
        if not tokens:
            continue
        prompt = _int(tokens.get("prompt"))
        completion = _int(tokens.get("candidates")) + _int(tokens.get("thoughts"))
        out.prompt_tokens = _add(out.prompt_tokens, prompt)
        out.completion_tokens = _add(out.completion_tokens, completion)
        total = _int(tokens.get("total")) or prompt + completion
        if total > best:
            best, out.model = total, str(name)
    return out


def _claude(obj: dict[str, Any]) -> Parsed:
    result = obj.get("result")
    out = Parsed(answer=result.strip() if isinstance(result, str) else "", shape="claude")
    out.session_id = _str(obj.get("session_id"))
    out.cost_usd = _float(obj.get("total_cost_usd"))
    if out.cost_usd is None:
        out.cost_usd = _float(obj.get("cost_usd"))  # older releases
    usage = _dict(obj.get("usage"))
    if usage:
        out.prompt_tokens = (
            _int(usage.get("input_tokens"))
            + _int(usage.get("cache_creation_input_tokens"))
            + _int(usage.get("cache_read_input_tokens"))
        )
        out.completion_tokens = _int(usage.get("output_tokens"))
    model_usage = _dict(obj.get("modelUsage"))
    if model_usage:
        out.model = max(model_usage, key=lambda name: _float(_dict(model_usage[name]).get("costUSD")) or 0.0)
    subtype = str(obj.get("subtype") or "")
    if obj.get("is_error") is True or subtype.startswith("error"):
        errors = obj.get("errors")
        detail = "; ".join(str(e) for e in errors) if isinstance(errors, list) and errors else ""
        out.error = out.answer or detail or subtype or "is_error is true"
    return out


# -- JSON event lines --------------------------------------------------------------------------
def parse_jsonl(stdout: str) -> Parsed:
    events: list[dict[str, Any]] = []
    skipped = 0
    for line in stdout.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            event = json.loads(line)
        except ValueError:
            skipped += 1
            continue
        if isinstance(event, dict):
            events.append(event)
        else:
            skipped += 1
    if not events:
        raise ParseError("expected JSON event lines on standard output; found none")
    out = _events(events)
    if skipped:
        out.notes.append(f"{skipped} output line(s) were not JSON and were skipped")
    return out


def _events(events: list[dict[str, Any]]) -> Parsed:
    out = Parsed(answer="", shape="jsonl")
    codex_messages: list[str] = []
    steps: list[list[str]] = [[]]  # opencode: text parts per step
    gemini_parts: list[str] = []
    claude_result: dict[str, Any] | None = None
    for event in events:
        kind = str(event.get("type") or "")
        if ("sessionID" in event and isinstance(event.get("part"), dict)) or kind in ("step_start", "step_finish"):
            out.shape = "opencode"
            out.session_id = _str(event.get("sessionID")) or out.session_id
            part = _dict(event.get("part"))
            if kind == "step_start":
                steps.append([])
            elif kind == "text" and isinstance(part.get("text"), str):
                steps[-1].append(part["text"])
            elif kind == "step_finish":
                tokens = _dict(part.get("tokens"))
                cache = _dict(tokens.get("cache"))
                if tokens:
                    out.prompt_tokens = _add(
                        out.prompt_tokens,
                        _int(tokens.get("input")) + _int(cache.get("read")) + _int(cache.get("write")),
                    )
                    out.completion_tokens = _add(
                        out.completion_tokens, _int(tokens.get("output")) + _int(tokens.get("reasoning"))
                    )
                cost = _float(part.get("cost"))
                if cost is not None:
                    out.cost_usd = (out.cost_usd or 0.0) + cost
            continue
        if kind == "error" and "sessionID" in event:
            error = _dict(event.get("error"))
            out.error = _str(_dict(error.get("data")).get("message")) or _str(error.get("name")) or "error event"
            continue
        if kind == "thread.started":
            out.shape = "codex"
            out.session_id = _str(event.get("thread_id")) or out.session_id
        elif kind == "item.completed":
            out.shape = "codex"
            item = _dict(event.get("item"))
            if item.get("type") == "agent_message" and isinstance(item.get("text"), str):
                codex_messages.append(item["text"])
        elif kind == "turn.completed":
            usage = _dict(event.get("usage"))
            # input_tokens already includes cached_input_tokens (a breakdown, as in OpenAI's usage).
            out.prompt_tokens = _add(out.prompt_tokens, _int(usage.get("input_tokens")))
            out.completion_tokens = _add(out.completion_tokens, _int(usage.get("output_tokens")))
        elif kind == "turn.failed":
            out.error = _str(_dict(event.get("error")).get("message")) or "turn failed"
        elif kind == "init":
            out.shape = "gemini"
            out.session_id = _str(event.get("session_id")) or out.session_id
            out.model = _str(event.get("model")) or out.model
        elif kind == "message":
            if event.get("role") == "assistant" and isinstance(event.get("content"), str):
                gemini_parts.append(event["content"])
        elif kind == "result" and ("status" in event and "subtype" not in event):
            stats = _dict(event.get("stats"))
            if stats:
                out.prompt_tokens = _add(out.prompt_tokens, _int(stats.get("input_tokens")))
                out.completion_tokens = _add(out.completion_tokens, _int(stats.get("output_tokens")))
            if event.get("status") == "error":
                out.error = _str(_dict(event.get("error")).get("message")) or "result status error"
        elif kind == "result":
            claude_result = event
        elif kind == "system" and event.get("subtype") == "init":
            out.session_id = _str(event.get("session_id")) or out.session_id
        elif kind == "error":
            if event.get("severity") == "warning":
                out.notes.append(str(event.get("message") or "warning"))
            else:
                out.error = _str(event.get("message")) or _str(_dict(event.get("error")).get("message")) or "error"
    if claude_result is not None:
        parsed = _claude(claude_result)
        parsed.session_id = parsed.session_id or out.session_id
        return parsed
    if codex_messages:
        # The last agent message is the turn's answer (what `codex exec -o` writes); earlier ones are
        # progress commentary.
        out.answer = codex_messages[-1].strip()
    elif any(steps):
        # opencode: the text of the last step that said something (earlier steps led to tool calls).
        out.answer = "\n\n".join(p.strip() for p in next(s for s in reversed(steps) if s)).strip()
    elif gemini_parts:
        out.answer = "".join(gemini_parts).strip()
    return out
