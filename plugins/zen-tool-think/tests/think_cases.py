"""One case per tool: the arguments, the JSON the fake model answers, and what the agent and the model
must see. The answers are written the way real models deviate (fences, prose, numbers for strings,
bare strings for objects, a wrong order) so the happy path also exercises the lenient parser."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Prices set on every test model, so that cost is known and checkable.
INPUT_PRICE = 0.000001
OUTPUT_PRICE = 0.000002

SOURCE = """\
import json


def load(path):
    with open(path) as fh:
        data = json.load(fh)
    return data["items"]  # THINK_MARKER
"""


@dataclass(frozen=True)
class Case:
    tool: str
    #: The tool's own arguments (``files`` and ``model`` are added by the test).
    args: dict[str, Any]
    #: What the fake model answers (a dict is sent as fenced JSON inside prose).
    answer: Any
    #: Fields of ``data`` and their parsed values.
    data: dict[str, Any]
    #: Text the agent reads.
    text: list[str]
    #: Text of the system prompt, and of the user message, the model must receive.
    system: str
    user: list[str]
    #: thinking_mode → reasoning_effort sent (the models support thinking).
    effort: str | None = None
    temperature: float | None = None
    files_required: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def reply(self) -> str:
        if isinstance(self.answer, str):
            return self.answer
        return "Here is my analysis.\n\n```json\n" + json.dumps(self.answer, indent=1) + "\n```\nHope it helps."


CASES: list[Case] = [
    Case(
        tool="debug",
        args={
            "prompt": "load() raises KeyError on some inputs",
            "error": "Traceback (most recent call last):\nKeyError: 'items'",
            "thinking_mode": "medium",
        },
        answer={
            "summary": "The input file has no 'items' key.",
            "hypotheses": [
                {"cause": "Cache file is stale", "confidence": "low", "evidence": [], "confirm": "", "fix": ""},
                {
                    "cause": "The JSON lacks 'items' for empty exports",
                    "confidence": "High",
                    "evidence": [{"file": "app.py", "line": 7, "detail": "indexes items unconditionally"}],
                    "confirm": "Load an empty export",
                    "fix": "Use data.get('items', [])",
                },
            ],
            "missing": "an example of a failing input",
        },
        data={
            "summary": "The input file has no 'items' key.",
            "hypotheses": [
                {
                    "cause": "The JSON lacks 'items' for empty exports",
                    "confidence": "high",
                    "evidence": [{"location": "app.py:7", "detail": "indexes items unconditionally"}],
                    "confirm": "Load an empty export",
                    "fix": "Use data.get('items', [])",
                },
                {"cause": "Cache file is stale", "confidence": "low", "evidence": [], "confirm": "", "fix": ""},
            ],
            "missing": ["an example of a failing input"],
        },
        text=[
            "The input file has no 'items' key.\n\nHypotheses (most likely first):\n"
            "1. [high] The JSON lacks 'items' for empty exports\n"
            "   - app.py:7: indexes items unconditionally\n"
            "   Confirm: Load an empty export\n"
            "   Fix: Use data.get('items', [])\n"
            "2. [low] Cache file is stale",
            "Would help to know:\n- an example of a failing input",
        ],
        system="root cause of a bug",
        user=[
            "Problem:\nload() raises KeyError on some inputs\n\nError output:\nTraceback (most recent call last):\n"
            "KeyError: 'items'"
        ],
        effort="medium",
        temperature=0.2,
        files_required=False,
    ),
    Case(
        tool="thinkdeep",
        args={"prompt": "Plan: cache load() results in a module-level dict keyed by path."},
        answer={
            "summary": "Workable, but the cache never invalidates.",
            "right": ["Keying by path is simple"],
            "missing": ["Invalidation when the file changes", "Memory bound"],
            "risks": [{"risk": "Stale data after edits", "severity": "high", "mitigation": "Key by (path, mtime)"}],
            "alternatives": ["functools.lru_cache with a size limit"],
            "recommendation": "Key the cache by (path, mtime) and bound it.",
        },
        data={
            "summary": "Workable, but the cache never invalidates.",
            "right": ["Keying by path is simple"],
            "missing": ["Invalidation when the file changes", "Memory bound"],
            "risks": [{"risk": "Stale data after edits", "severity": "high", "mitigation": "Key by (path, mtime)"}],
            "alternatives": [{"option": "functools.lru_cache with a size limit", "tradeoffs": ""}],
            "recommendation": "Key the cache by (path, mtime) and bound it.",
        },
        text=[
            "What holds up:\n- Keying by path is simple",
            "Risks:\n- [high] Stale data after edits → Key by (path, mtime)",
            "Alternatives:\n- functools.lru_cache with a size limit",
            "Recommendation: Key the cache by (path, mtime) and bound it.",
        ],
        system="extend\nand test its thinking",
        user=["=== REQUEST ===\nPlan: cache load() results in a module-level dict keyed by path."],
        effort="high",  # thinkdeep's default, without thinking_mode in the arguments
        files_required=False,
    ),
    Case(
        tool="analyze",
        args={"focus": "security", "prompt": "Is the loader safe with untrusted paths?"},
        answer={
            "summary": "One module with a single loader function.",
            "components": [{"name": "load", "location": "app.py:4", "role": "reads a JSON export"}],
            "findings": [
                {
                    "severity": "medium",
                    "location": "app.py:5",
                    "issue": "Opens any path",
                    "recommendation": "Check roots",
                },
                {
                    "severity": "critical",
                    "location": "app.py:6",
                    "issue": "Trusts JSON shape",
                    "recommendation": "Validate",
                },
            ],
        },
        data={
            "summary": "One module with a single loader function.",
            "components": [{"name": "load", "location": "app.py:4", "role": "reads a JSON export"}],
            "findings": [
                {
                    "severity": "critical",
                    "location": "app.py:6",
                    "issue": "Trusts JSON shape",
                    "recommendation": "Validate",
                },
                {
                    "severity": "medium",
                    "location": "app.py:5",
                    "issue": "Opens any path",
                    "recommendation": "Check roots",
                },
            ],
        },
        text=[
            "Structure:\n- load (app.py:4): reads a JSON export",
            "Findings (most severe first):\n- [critical] app.py:6: Trusts JSON shape\n  → Validate\n"
            "- [medium] app.py:5: Opens any path\n  → Check roots",
        ],
        system="analysing a codebase",
        user=["Focus: security — input validation, injection", "Is the loader safe with untrusted paths?"],
        temperature=0.2,
    ),
    Case(
        tool="refactor",
        args={"kind": "modernize"},
        answer={
            "summary": "Small modernisations.",
            "refactorings": [
                {
                    "title": "Use pathlib",
                    "location": "app.py:4-7",
                    "impact": "medium",
                    "why": "Clearer I/O",
                    "sketch": ["def load(path: Path) -> list:", "    return json.loads(path.read_text())['items']"],
                }
            ],
        },
        data={
            "summary": "Small modernisations.",
            "refactorings": [
                {
                    "title": "Use pathlib",
                    "location": "app.py:4-7",
                    "impact": "medium",
                    "why": "Clearer I/O",
                    "sketch": "def load(path: Path) -> list:\n    return json.loads(path.read_text())['items']",
                }
            ],
        },
        text=[
            "1. [medium] Use pathlib (app.py:4-7)\n   Why: Clearer I/O\n   Sketch:\n"
            "      def load(path: Path) -> list:\n          return json.loads(path.read_text())['items']"
        ],
        system="proposing refactorings",
        user=["Kind: modernize — idioms and library features", "Propose refactorings for these files."],
        temperature=0.3,
    ),
    Case(
        tool="testgen",
        args={"prompt": "Test load() including a missing key"},
        answer={
            "framework": "pytest",
            "summary": "Covers the happy path and a missing key.",
            "test_file": "tests/test_app.py",
            "cases": [
                {"name": "test_load_items", "checks": "returns the items list", "edge": ""},
                {"name": "test_load_missing_key", "checks": "raises KeyError", "edge": "export without items"},
            ],
            "code": "import pytest\n\ndef test_load_items(tmp_path):\n    ...\n",
        },
        data={
            "framework": "pytest",
            "test_file": "tests/test_app.py",
            "cases": [
                {"name": "test_load_items", "checks": "returns the items list", "edge": ""},
                {"name": "test_load_missing_key", "checks": "raises KeyError", "edge": "export without items"},
            ],
            "code": "import pytest\n\ndef test_load_items(tmp_path):\n    ...\n",
        },
        text=[
            "Framework: pytest",
            "Cases:\n- test_load_items: returns the items list\n- test_load_missing_key: raises KeyError "
            "(edge: export without items)",
            "Test file: tests/test_app.py",
            "```\nimport pytest\n\ndef test_load_items(tmp_path):\n    ...\n```",
        ],
        system="Detect the test framework",
        user=["=== REQUEST ===\nTest load() including a missing key"],
        temperature=0.2,
    ),
    Case(
        tool="docgen",
        args={},
        answer={
            "style": "Google",
            "summary": "load() has no docstring.",
            "docs": [
                {
                    "location": "app.py:4",
                    "symbol": "load",
                    "kind": "function",
                    "reason": "missing",
                    "doc": "Read a JSON export.\n\nRaises:\n    KeyError: without 'items'.",
                }
            ],
        },
        data={
            "style": "Google",
            "docs": [
                {
                    "location": "app.py:4",
                    "symbol": "load",
                    "kind": "function",
                    "reason": "missing",
                    "doc": "Read a JSON export.\n\nRaises:\n    KeyError: without 'items'.",
                }
            ],
        },
        text=[
            "Style: Google",
            "Suggested documentation:\napp.py:4 function load (missing):\n    Read a JSON export.\n\n"
            "    Raises:\n        KeyError: without 'items'.",
        ],
        system="documenting code",
        user=["=== REQUEST ===\nDocument what is undocumented or unclear in these files."],
        temperature=0.2,
    ),
    Case(
        tool="tracer",
        args={"symbol": "load", "mode": "callers", "prompt": "Who relies on the KeyError?"},
        answer={
            "summary": "load is called from main.",
            "entry": "app.py:4",
            "steps": [
                {"depth": "1", "location": "main.py:10", "symbol": "main", "action": "calls load(cfg)"},
                {"depth": 2, "file": "cli.py", "line": 3, "symbol": "cli", "action": "calls main()"},
            ],
            "unresolved": ["plugins loaded at runtime"],
        },
        data={
            "entry": "app.py:4",
            "steps": [
                {"depth": 1, "location": "main.py:10", "symbol": "main", "action": "calls load(cfg)"},
                {"depth": 2, "location": "cli.py:3", "symbol": "cli", "action": "calls main()"},
            ],
            "unresolved": ["plugins loaded at runtime"],
        },
        text=[
            "Entry: app.py:4",
            "Steps:\n  - main (main.py:10): calls load(cfg)\n    - cli (cli.py:3): calls main()",
            "Unresolved (not in the files given):\n- plugins loaded at runtime",
        ],
        system="tracing code",
        user=["Symbol: load\n\nMode: callers — trace every place that calls", "Who relies on the KeyError?"],
        temperature=0.1,
    ),
]

BY_TOOL = {case.tool: case for case in CASES}
TOOLS = [case.tool for case in CASES]


def make_file(path: Path, content: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    return path


def user_text(request: dict[str, Any]) -> str:
    content = request["messages"][-1]["content"]
    assert request["messages"][-1]["role"] == "user"
    return content if isinstance(content, str) else json.dumps(content)


def data(result: Any) -> dict[str, Any]:
    assert result.structured_content is not None, result
    payload: dict[str, Any] = result.structured_content["data"]
    return payload


def text(result: Any) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


def ok(result: Any) -> dict[str, Any]:
    assert not result.is_error, text(result)
    return data(result)
