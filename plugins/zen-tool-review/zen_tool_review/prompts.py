"""The tools' prompts.

The system prompts say who the reviewer is; users override them with ``prompts.<tool>.system`` in
prompts.yaml. The answer format (the JSON the tools parse) is part of the request and is not
overridable, so an overridden persona cannot break parsing.
"""

from __future__ import annotations

from zen_tool_review.requests import Severity

SYSTEM = {
    "codereview": """\
You are a senior software engineer reviewing code for another AI coding agent, who will act on your
findings. Report real, specific problems: bugs, security holes, data loss, races, resource leaks,
performance traps, and maintainability problems that matter. Point to the file and line, say why it is
a problem, and give a concrete fix. Do not pad the review with style nits or praise: an empty list is
the right answer for good code.""",
    "precommit": """\
You are a senior engineer doing the last check before a commit, for another AI coding agent. Judge
whether these changes are safe to commit: bugs they introduce, broken behaviour, security holes,
leftover debug code or credentials, missing pieces the change needs (call sites, migrations, tests,
docs), and changes that do not do what the author says they do. Be precise and do not invent
problems: an empty list and "go" is the right answer for a good change.""",
    "secaudit": """\
You are an application security auditor working for another AI coding agent. Find exploitable
weaknesses in the code: for each, say how an attacker would reach and exploit it, what they gain, and
the concrete fix. Use the OWASP Top 10 (2021) as your checklist, and think about trust boundaries,
input handling, authentication and authorization, secrets, cryptography, dependencies and error
handling. Report only real weaknesses with a plausible path to exploitation, not generic advice.""",
}

FOCUS = {
    "all": "Cover correctness, security, performance and maintainability.",
    "security": (
        "Focus on security: injection, authentication and authorization, secrets, unsafe deserialization, "
        "input validation, path traversal, SSRF, cryptography."
    ),
    "performance": (
        "Focus on performance: algorithmic complexity, N+1 queries, needless I/O or allocations, blocking "
        "calls in async code, missing caching or batching."
    ),
    "quality": (
        "Focus on correctness and maintainability: bugs, error handling, edge cases, unclear code, "
        "duplication, testability."
    ),
}

OWASP_2021 = {
    1: "Broken Access Control",
    2: "Cryptographic Failures",
    3: "Injection",
    4: "Insecure Design",
    5: "Security Misconfiguration",
    6: "Vulnerable and Outdated Components",
    7: "Identification and Authentication Failures",
    8: "Software and Data Integrity Failures",
    9: "Security Logging and Monitoring Failures",
    10: "Server-Side Request Forgery",
}

SEVERITY_GUIDE = """\
Severities: "critical" = exploitable security hole, data loss or corruption, or a crash on a main path;
"high" = a bug users will hit or a serious weakness; "medium" = a real problem in edge cases, or a
notable performance or maintainability cost; "low" = a minor improvement."""


def answer_format(tool: str) -> str:
    """The JSON the tool parses, with the rules for filling it in."""
    owasp = ', "owasp": "A01".."A10"' if tool == "secaudit" else ""
    verdict = '"verdict": "go" or "no_go", ' if tool == "precommit" else ""
    lines = [
        "Answer with one JSON object and nothing else (no text before or after it):",
        "{" + verdict + '"summary": "<2-4 sentences: your overall assessment>", "findings": [{"severity": '
        '"critical|high|medium|low", "file": "<path as shown>", "line": <line number or null>, "issue": '
        '"<what is wrong and why it matters>", "fix": "<the concrete change to make>"' + owasp + "}]}",
        SEVERITY_GUIDE,
        'One finding per distinct problem; "line" is the line in the file where the problem is.',
    ]
    if tool == "precommit":
        lines.append(
            'Findings that must be fixed before committing are "critical" or "high"; "verdict" is "no_go" '
            'when there is any, else "go".'
        )
    if tool == "secaudit":
        categories = "; ".join(f"A{n:02d} {name}" for n, name in OWASP_2021.items())
        lines.append(f'"owasp" is the OWASP Top 10 (2021) category of the finding: {categories}.')
    return "\n".join(lines)


def instructions(
    tool: str, *, focus: str, min_severity: Severity, prompt: str | None, has_changes: bool, has_files: bool
) -> str:
    """The request: what to review, how, and the answer format."""
    what = {
        "codereview": "Review the code above.",
        "precommit": "Decide whether the changes above can be committed.",
        "secaudit": "Audit the code above for security weaknesses.",
    }[tool]
    lines = [what]
    if tool != "secaudit":
        lines.append(FOCUS.get(focus, FOCUS["all"]))
    if has_changes:
        lines.append(
            "In the changes, each line of a hunk shows its number in the new file, then '+' (added), '-' "
            "(removed) or ' ' (unchanged). Review the changed lines, and the code around them where the "
            'change affects it; use those numbers as "line" and the paths as listed as "file".'
        )
        if has_files:
            lines.append("The files are context for the changes; report problems in them too.")
    if min_severity != "low":
        lines.append(f'Report only findings of severity "{min_severity}" or worse.')
    if prompt and prompt.strip():
        who = "The author says what the change is meant to do" if tool == "precommit" else "Context from the agent"
        lines.append(f"{who}:\n{prompt.strip()}")
    lines.append(answer_format(tool))
    return "\n\n".join(lines)
