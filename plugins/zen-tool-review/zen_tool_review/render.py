"""The readable text of a review result (the structured ``data`` holds the same, in full)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zen_core import DiffContext, PromptContext

if TYPE_CHECKING:
    from zen_tool_review.call import Attempt, Job

#: Most "not reviewed" lines in the text.
MAX_NOTES = 50
TITLES = {"codereview": "Code review", "precommit": "Pre-commit check", "secaudit": "Security audit"}


def render_text(
    job: Job,
    data: dict[str, Any],
    attempts: list[Attempt],
    fitted: DiffContext | None,
    prepared: PromptContext | None,
) -> str:
    findings: list[dict[str, Any]] = data["findings"]
    lines = [_headline(job, data)]
    changes = data.get("changes")
    if changes:
        lines.append(_changes_line(changes, fitted))
    lines.append("Reviewed by: " + ", ".join(_model_line(a) for a in attempts))
    if data["summary"]:
        lines += ["", "Summary: " + data["summary"] if "\n" not in data["summary"] else "Summary:\n" + data["summary"]]
    lines.append("")
    hidden = data["hidden_below_min_severity"]
    hidden_note = f"; {hidden} below min_severity={job.min_severity} not shown" if hidden else ""
    if findings:
        lines.append(f"Findings ({len(findings)}{hidden_note}):")
        for number, finding in enumerate(findings, start=1):
            lines += _finding_lines(number, finding, several=len(attempts) > 1)
    else:
        lines.append(f"No findings{hidden_note}.")
    if data["unparsed"]:
        lines += ["", "Findings that could not be read (as the model wrote them):"]
        lines += [f"- {u['model']}: {u['reason']}: {u['text']}" for u in data["unparsed"]]
    for report in data["models"]:
        if report.get("status") == "unparsed":
            lines += ["", f"Answer of {report['label']} ({report.get('note')}):", report.get("raw") or "(empty)"]
        elif report.get("status") == "partly_parsed" and report.get("note"):
            lines += ["", f"Note on {report['label']}: {report['note']}"]
        elif report.get("status") == "error":
            error = report.get("error") or {}
            lines += ["", f"{report['label']} FAILED: {error.get('message', 'unknown error')}"]
    not_reviewed = (fitted.notes() if fitted else []) + (prepared.notes() if prepared else [])
    if not_reviewed:
        lines += ["", "Not reviewed:"] + [f"- {note}" for note in not_reviewed[:MAX_NOTES]]
        if len(not_reviewed) > MAX_NOTES:
            lines.append(f"- … and {len(not_reviewed) - MAX_NOTES} more (see the structured result)")
    usage = data["usage"]
    cost = f"${data['cost_usd']:.6f}" + ("" if data["cost_known"] else " (some prices unknown)")
    lines += [
        "",
        f"Tokens: {usage['total_tokens']:,} (prompt {usage['prompt_tokens']:,}, completion "
        f"{usage['completion_tokens']:,}); cost {cost}",
    ]
    return "\n".join(lines)


def _headline(job: Job, data: dict[str, Any]) -> str:
    counts = ", ".join(f"{n} {s}" for s, n in data["counts"].items() if n)
    title = TITLES[job.tool]
    if job.tool == "precommit":
        verdict, blocking = data["verdict"], data["blocking"]
        if verdict == "no_go":
            why = f"{blocking} blocking finding(s) (critical/high)" if blocking else "a model says no_go"
            head = f"{title}: NO-GO — {why}"
        elif verdict == "go":
            head = f"{title}: GO — no blocking findings"
        else:
            head = f"{title}: verdict UNKNOWN — no answer could be read"
    else:
        head = f"{title}: {len(data['findings'])} finding(s)" + (f" ({counts})" if counts else "")
    if not data["complete"]:
        head += " [incomplete: see below]"
    return head


def _changes_line(changes: dict[str, Any], fitted: DiffContext | None) -> str:
    where = f"branch {changes['branch']}" if changes.get("branch") else "detached HEAD"
    total = len(changes["files"])
    parts = [f"{len(fitted.included) if fitted else 0} reviewed"]
    if fitted and fitted.excluded:
        parts.append(f"{len(fitted.excluded)} left out (did not fit)")
    if fitted and fitted.not_sent:
        parts.append(f"{len(fitted.not_sent)} not sent")
    return f"Changes: {changes['root']} ({where}): {changes['scope']}; {total} file(s): {', '.join(parts)}"


def _model_line(attempt: Attempt) -> str:
    if attempt.completion is None:
        return f"{attempt.label} (failed)"
    parsed = attempt.parsed
    if parsed is None or not parsed.readable:
        return f"{attempt.label} (answer not readable)"
    return f"{attempt.label} ({len(parsed.findings)} finding(s))"


def _finding_lines(number: int, finding: dict[str, Any], *, several: bool) -> list[str]:
    where = finding.get("file") or "(no file)"
    if finding.get("line"):
        where += f":{finding['line']}"
    head = f"{number}. [{finding['severity'].upper()}] {where} — {finding['issue']}"
    if finding.get("owasp"):
        head += f" [{finding['owasp']}]"
    if several or finding.get("models") == ["zen secret scan"]:
        head += f" (raised by: {', '.join(finding.get('models', []))})"
    out = [head]
    if finding.get("fix"):
        out.append(f"   Fix: {finding['fix']}")
    return out
