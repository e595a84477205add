"""Reading a model's review: the JSON object the prompt asks for, found and read robustly.

Models wrap JSON in code fences, add prose before or after it, stop halfway through, or name fields a
little differently. The reader:

1. takes the last JSON object with a ``findings`` key (or a bare list of findings) found in fenced blocks
   or anywhere in the text (prose around it is ignored; trailing commas are forgiven);
2. failing that, recovers every complete finding-shaped object it can find (an answer cut off mid-way
   keeps the findings before the cut, and the cut one is reported);
3. failing that, the answer is not in the format: the caller shows it as is, with a note.

Every finding is checked on its own. One that cannot be read (no issue text, an unknown severity, not an
object) is kept in ``unparsed`` with the reason: reported, never silently dropped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from zen_tool_review.prompts import OWASP_2021
from zen_tool_review.requests import Severity
from zen_tool_review.results import Finding

SEVERITY_RANK: dict[str, int] = {"critical": 0, "high": 1, "medium": 2, "low": 3}
_SEVERITY_WORDS: dict[str, Severity] = {
    **dict.fromkeys(("critical", "blocker", "crit", "p0", "sev0", "sev1"), "critical"),
    **dict.fromkeys(("high", "major", "severe", "error", "serious", "p1", "sev2"), "high"),
    **dict.fromkeys(("medium", "moderate", "med", "warning", "warn", "p2", "sev3"), "medium"),
    **dict.fromkeys(("low", "minor", "info", "informational", "nit", "trivial", "suggestion", "p3", "note"), "low"),
}
_ISSUE_KEYS = ("issue", "description", "problem", "message", "title", "finding", "summary")
_FIX_KEYS = ("fix", "recommendation", "suggestion", "remediation", "solution", "suggested_fix")
_FILE_KEYS = ("file", "path", "filename", "file_path", "location")
_LINE_KEYS = ("line", "line_number", "lineno", "start_line", "lines", "line_start")
_OWASP_KEYS = ("owasp", "owasp_category", "category")
_FENCE = re.compile(r"```[ \t]*(?:json|JSON|javascript|js)?[ \t]*\n(.*?)```", re.DOTALL)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
_INT = re.compile(r"\d+")
_LOCATION = re.compile(r"^(.*?):(\d+)(?:[-:]\d+)?$")
_VERDICT = re.compile(r'"verdict"\s*:\s*"([^"]*)"')
_SUMMARY = re.compile(r'"summary"\s*:\s*"((?:[^"\\]|\\.)*)"')
#: Words that name an OWASP Top 10 (2021) category when a model gives a name instead of its number.
_OWASP_WORDS: dict[int, tuple[str, ...]] = {
    10: ("ssrf", "server-side request", "server side request", "request forgery"),
    1: ("access control", "authorization", "authorisation", "idor"),
    2: ("crypto", "encryption"),
    3: ("injection", "xss", "cross-site scripting"),
    4: ("insecure design",),
    5: ("misconfiguration", "misconfigured"),
    6: ("outdated", "vulnerable component", "dependenc"),
    7: ("authentication", "identification", "session"),
    8: ("integrity", "deserializ", "deserialis"),
    9: ("logging", "monitoring"),
}
#: Longest raw text kept for an unparsed finding or answer.
MAX_RAW = 4000


@dataclass
class Parsed:
    """What was read from one answer."""

    findings: list[Finding] = field(default_factory=list)
    #: Findings that could not be read: ``{"text": the raw finding, "reason": why}``.
    unparsed: list[dict[str, str]] = field(default_factory=list)
    summary: str = ""
    #: ``go`` / ``no_go`` as the model said it (``precommit``); ``None`` when absent or not understood.
    verdict: str | None = None
    #: False when no JSON in the format was found at all: show the answer as is.
    readable: bool = True
    #: How the answer was read, when not cleanly (``recovered 3 findings from an incomplete answer``).
    note: str | None = None


def parse_answer(text: str, *, security: bool = False) -> Parsed:
    """Read one model's answer (see the module docstring)."""
    document = _document(text)
    if document is not None:
        parsed = Parsed()
        if isinstance(document, dict):
            parsed.summary = _text(document.get("summary") or document.get("overall") or "")
            parsed.verdict = normalize_verdict(document.get("verdict"))
            items = _items(document.get("findings", document.get("issues")))
        else:
            items = _items(document)
        _read_items(items, parsed, security)
        return parsed
    salvaged = _salvage(text, security)
    if salvaged is not None:
        return salvaged
    return Parsed(readable=False, note="the answer is not in the requested JSON format; it is shown as is")


def _document(text: str) -> Any:
    """The last JSON value in ``text`` that is a review (a dict with findings, or a list of findings)."""
    candidates: list[Any] = []
    for block in _FENCE.findall(text):
        value = _loads(block.strip())
        if value is not None:
            candidates.append(value)
    candidates += list(_values(text))
    reviews = [c for c in candidates if _is_review(c)]
    return reviews[-1] if reviews else None


def _is_review(value: Any) -> bool:
    if isinstance(value, dict):
        return "findings" in value or "issues" in value
    return (
        isinstance(value, list) and bool(value) and all(isinstance(v, dict) and _looks_like_finding(v) for v in value)
    )


def _loads(text: str) -> Any:
    for attempt in (text, _TRAILING_COMMA.sub(r"\1", text)):
        try:
            return json.loads(attempt)
        except ValueError:
            continue
    return None


def _values(text: str) -> list[Any]:
    """Top-level JSON objects and arrays anywhere in ``text`` (each position tried once, nested ones skipped)."""
    decoder = json.JSONDecoder()
    found: list[Any] = []
    at = 0
    while True:
        starts = [i for i in (text.find("{", at), text.find("[", at)) if i != -1]
        if not starts:
            return found
        start = min(starts)
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            value, end = _repaired(text, start)
        if value is None:
            at = start + 1
            continue
        found.append(value)
        at = end


def _repaired(text: str, start: int) -> tuple[Any, int]:
    """Decode at ``start`` after removing trailing commas (up to the last closing bracket); ``(None, 0)``."""
    end = max(text.rfind("}"), text.rfind("]"))
    if end <= start:
        return None, 0
    value = _loads(text[start : end + 1])
    return (value, end + 1) if value is not None else (None, 0)


def _items(findings: Any) -> list[Any]:
    """The findings as a list; ``{"high": [...], "low": [...]}`` (grouped by severity) is flattened."""
    if findings is None:
        return []
    if isinstance(findings, dict):
        grouped = [k for k in findings if str(k).strip().lower() in _SEVERITY_WORDS]
        if grouped and all(isinstance(findings[k], list) for k in grouped):
            return [
                {**item, "severity": item.get("severity", key)} if isinstance(item, dict) else item
                for key in grouped
                for item in findings[key]
            ]
        return [findings]
    if isinstance(findings, list):
        return findings
    return [findings]


def _read_items(items: list[Any], parsed: Parsed, security: bool) -> None:
    for item in items:
        finding, reason = read_finding(item, security=security)
        if finding is not None:
            parsed.findings.append(finding)
        else:
            parsed.unparsed.append({"text": _raw(item), "reason": reason or "not a finding"})


def read_finding(item: Any, *, security: bool = False) -> tuple[Finding | None, str | None]:
    """One finding from a JSON value, or ``(None, why not)``."""
    if not isinstance(item, dict):
        return None, "not a JSON object"
    issue = _first(item, _ISSUE_KEYS)
    if not issue:
        return None, 'no "issue" text'
    raw_severity = item.get("severity", item.get("level", item.get("priority")))
    severity = normalize_severity(raw_severity)
    if severity is None:
        shown = "missing" if raw_severity in (None, "") else f"{raw_severity!r} is not critical/high/medium/low"
        return None, f"severity {shown}"
    path = _first(item, _FILE_KEYS) or None
    line = _line(_first_value(item, _LINE_KEYS))
    if path:
        match = _LOCATION.match(path)
        if match:  # "app.py:12"
            path, line = match.group(1), line if line is not None else int(match.group(2))
    owasp = normalize_owasp(_first(item, _OWASP_KEYS)) if security else None
    return Finding(severity=severity, file=path, line=line, issue=issue, fix=_first(item, _FIX_KEYS), owasp=owasp), None


def normalize_severity(value: Any) -> Severity | None:
    if not isinstance(value, str):
        return None
    return _SEVERITY_WORDS.get(value.strip().lower())


def normalize_verdict(value: Any) -> str | None:
    """``go`` / ``no_go`` from how models write it (``no-go``, ``NO GO``, ``block``, ``pass`` …)."""
    if not isinstance(value, str):
        return None
    word = re.sub(r"[\s\-]+", "_", value.strip().lower()).strip("_.!")
    if word in ("go", "pass", "approve", "approved", "ok", "ship", "yes", "commit"):
        return "go"
    if word in ("no_go", "nogo", "block", "blocked", "fail", "reject", "rejected", "no", "do_not_commit"):
        return "no_go"
    return None


def normalize_owasp(value: str) -> str | None:
    """``A03:2021 Injection`` from ``A03``, ``a3``, ``A03:2021-Injection`` or ``Injection``; other text as is."""
    if not value:
        return None
    match = re.search(r"\bA\s*0?(\d{1,2})\b", value, re.IGNORECASE)
    number = int(match.group(1)) if match else None
    if number is None:
        lowered = value.lower()
        number = next((n for n, words in _OWASP_WORDS.items() if any(w in lowered for w in words)), None)
    if number in OWASP_2021:
        return f"A{number:02d}:2021 {OWASP_2021[number]}"
    return value.strip()[:80]


def _salvage(text: str, security: bool) -> Parsed | None:
    """Every complete finding-shaped object in ``text`` (an answer cut off, or not one document)."""
    parsed = Parsed()
    decoder = json.JSONDecoder()
    at = 0
    cut_at: int | None = None
    while (start := text.find("{", at)) != -1:
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            at = start + 1
            if cut_at is None or start > cut_at:
                cut_at = start
            continue
        if isinstance(value, dict) and _looks_like_finding(value):
            _read_items([value], parsed, security)
            at = end
        else:
            at = start + 1
    if not parsed.findings and not parsed.unparsed:
        return None
    last_end = text.rfind("}")
    tail = text[cut_at:] if cut_at is not None and cut_at > last_end - 1 else ""
    if tail.strip() and _looks_like_finding_text(tail):
        parsed.unparsed.append({"text": tail[:MAX_RAW], "reason": "incomplete JSON (the answer was cut off?)"})
    summary = _SUMMARY.search(text)
    if summary:
        parsed.summary = _loads(f'"{summary.group(1)}"') or ""
    verdict = _VERDICT.search(text)
    parsed.verdict = normalize_verdict(verdict.group(1)) if verdict else None
    parsed.note = f"the answer was not one valid JSON object; {len(parsed.findings)} finding(s) were recovered from it"
    return parsed


def _looks_like_finding(value: dict[str, Any]) -> bool:
    return any(k in value for k in _ISSUE_KEYS) and any(k in value for k in ("severity", "level", "priority", "fix"))


def _looks_like_finding_text(text: str) -> bool:
    return any(f'"{k}"' in text for k in ("severity", "issue"))


def _first(item: dict[str, Any], keys: tuple[str, ...]) -> str:
    value = _first_value(item, keys)
    return _text(value) if value is not None else ""


def _first_value(item: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if item.get(key) not in (None, ""):
            return item[key]
    return None


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (list, tuple)):
        return "\n".join(_text(v) for v in value if v not in (None, ""))
    return json.dumps(value, ensure_ascii=False) if value is not None else ""


def _line(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, float) and value.is_integer():
        return int(value) if value > 0 else None
    if isinstance(value, (list, tuple)) and value:
        return _line(value[0])
    if isinstance(value, str):
        match = _INT.search(value)
        return int(match.group()) if match and int(match.group()) > 0 else None
    return None


def _raw(item: Any) -> str:
    text = item if isinstance(item, str) else json.dumps(item, ensure_ascii=False)
    return text[:MAX_RAW]
