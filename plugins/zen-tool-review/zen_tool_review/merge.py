"""Merging the findings of several models: one finding per problem, marked with every model that raised it.

Two findings of different models are the same problem when they name the same file (paths compared
after normalisation, or one is a suffix of the other at a ``/``), lie near each other, and say much the
same thing: the share of the shorter issue's significant words that the other issue also uses must be
at least 0.2 on the same line, 0.34 within 3 lines, 0.5 when a line is missing; for ``secaudit``, two
different OWASP categories are never the same problem. A model's own findings are never merged with each
other. The merged finding has the most severe severity given, in the words of the first model that gave it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from zen_tool_review.findings import SEVERITY_RANK
from zen_tool_review.results import Finding

#: Lines apart that still count as "near".
LINE_WINDOW = 3
SAME_LINE_SIMILARITY = 0.2
NEAR_SIMILARITY = 0.34
NO_LINE_SIMILARITY = 0.5
_WORD = re.compile(r"[a-z0-9_]+")
_STOP = frozenset(
    "the and for with that this from into when then than are was were has have not but can may might "
    "should would could will its it's use used using via any all one two per out off onto upon also only "
    "which while where there here their they them been being does did just more most less very such".split()
)


def words(text: str) -> frozenset[str]:
    """Significant words of an issue: lower-case, 3+ letters, no stop words, a plural ``s`` removed."""
    out = set()
    for word in _WORD.findall(text.lower()):
        if len(word) < 3 or word in _STOP:
            continue
        out.add(word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith("ss") else word)
    return frozenset(out)


def similarity(a: str, b: str) -> float:
    """Overlap of significant words: shared words / words of the shorter text (0 when either has none)."""
    wa, wb = words(a), words(b)
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))


def normalize_path(path: str | None) -> str:
    if not path:
        return ""
    text = path.strip().replace("\\", "/")
    for prefix in ("a/", "b/", "./"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return text.rstrip("/")


def same_file(a: str | None, b: str | None) -> bool:
    x, y = normalize_path(a), normalize_path(b)
    if not x or not y:
        return x == y
    return x == y or x.endswith("/" + y) or y.endswith("/" + x)


def same_problem(a: Finding, b: Finding) -> bool:
    if not same_file(a.file, b.file):
        return False
    if a.owasp and b.owasp and a.owasp != b.owasp:
        return False
    score = similarity(a.issue, b.issue)
    if a.line is None or b.line is None:
        return score >= NO_LINE_SIMILARITY
    distance = abs(a.line - b.line)
    if distance == 0:
        return score >= SAME_LINE_SIMILARITY
    return distance <= LINE_WINDOW and score >= NEAR_SIMILARITY


def merge(per_model: Sequence[tuple[str, Sequence[Finding]]]) -> list[Finding]:
    """One finding per problem over all models' findings (see the module docstring), most severe first."""
    merged: list[Finding] = []
    for label, findings in per_model:
        for finding in findings:
            match = next((n for n, m in enumerate(merged) if label not in m.models and same_problem(m, finding)), None)
            if match is None:
                merged.append(finding.model_copy(update={"models": [label]}))
                continue
            current = merged[match]
            update: dict[str, object] = {"models": [*current.models, label]}
            if SEVERITY_RANK[finding.severity] < SEVERITY_RANK[current.severity]:
                update.update(severity=finding.severity, issue=finding.issue, fix=finding.fix or current.fix)
            if current.line is None and finding.line is not None:
                update["line"] = finding.line
            if not current.fix and finding.fix:
                update["fix"] = finding.fix
            merged[match] = current.model_copy(update=update)
    return sort_findings(merged)


def sort_findings(findings: Sequence[Finding]) -> list[Finding]:
    """Most severe first; then raised by more models; then by file and line."""
    return sorted(
        findings,
        key=lambda f: (SEVERITY_RANK[f.severity], -len(f.models), normalize_path(f.file), f.line or 0),
    )
