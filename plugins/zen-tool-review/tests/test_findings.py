"""Reading models' answers and merging findings: the pure functions behind the three tools."""

from __future__ import annotations

import json

import pytest
from zen_tool_review.findings import normalize_owasp, normalize_verdict, parse_answer
from zen_tool_review.merge import merge, same_file, similarity
from zen_tool_review.results import Finding

ONE = {"severity": "high", "file": "app.py", "line": 3, "issue": "Null dereference.", "fix": "Check for None."}


def doc(*findings: dict, **extra: object) -> str:
    return json.dumps({"summary": "S.", "findings": list(findings), **extra})


@pytest.mark.parametrize(
    "answer",
    [
        doc(ONE),
        f"Sure! Here is the review:\n```json\n{doc(ONE)}\n```\nAnything else?",
        f"```\n{doc(ONE)}\n```",
        f"{doc(ONE)}\n\nNote: I only looked at app.py.",
        doc(ONE).replace("}]", "},]"),  # a trailing comma
        f'Example format: {{"summary": "", "findings": []}}\nActual review:\n{doc(ONE)}',  # the last review wins
    ],
    ids=["plain", "fenced-with-prose", "bare-fence", "trailing-prose", "trailing-comma", "example-then-answer"],
)
def test_the_review_is_found_wherever_it_is(answer: str) -> None:
    parsed = parse_answer(answer)
    assert parsed.readable and parsed.unparsed == [] and parsed.summary == "S."
    assert [(f.severity, f.file, f.line, f.issue, f.fix) for f in parsed.findings] == [
        ("high", "app.py", 3, "Null dereference.", "Check for None.")
    ]


def test_other_shapes_and_field_names_are_understood() -> None:
    bare_list = parse_answer(json.dumps([ONE]))
    assert [f.issue for f in bare_list.findings] == ["Null dereference."]
    grouped = parse_answer(json.dumps({"findings": {"critical": [{"description": "A"}], "low": [{"message": "B"}]}}))
    assert [(f.severity, f.issue) for f in grouped.findings] == [("critical", "A"), ("low", "B")]
    renamed = parse_answer(
        json.dumps(
            {
                "issues": [
                    {"level": "MAJOR", "location": "src/a.py:42", "problem": "P", "recommendation": "R"},
                    {"severity": "nit", "path": "b.py", "lines": "7-9", "title": "T", "suggestion": "S"},
                    {"severity": "warning", "file": "c.py", "line": [12, 14], "issue": "I"},
                ]
            }
        )
    )
    assert [(f.severity, f.file, f.line, f.issue, f.fix) for f in renamed.findings] == [
        ("high", "src/a.py", 42, "P", "R"),
        ("low", "b.py", 7, "T", "S"),
        ("medium", "c.py", 12, "I", ""),
    ]


def test_a_finding_that_cannot_be_read_is_reported_not_dropped() -> None:
    parsed = parse_answer(doc(ONE, {"severity": "high", "file": "x.py"}, {"severity": "apocalyptic", "issue": "I"}, 42))
    assert len(parsed.findings) == 1
    assert [u["reason"] for u in parsed.unparsed] == [
        'no "issue" text',
        "severity 'apocalyptic' is not critical/high/medium/low",
        "not a JSON object",
    ]
    assert parsed.unparsed[2]["text"] == "42"


def test_a_cut_off_answer_keeps_what_came_before_the_cut() -> None:
    whole = json.dumps({"verdict": "no_go", "summary": "S.", "findings": [ONE, {**ONE, "line": 9, "issue": "Second."}]})
    parsed = parse_answer(whole[: whole.index("Second") + 3])
    assert parsed.readable and [f.line for f in parsed.findings] == [3]
    assert parsed.unparsed[0]["reason"] == "incomplete JSON (the answer was cut off?)"
    assert parsed.summary == "S." and parsed.verdict == "no_go"
    assert parsed.note == "the answer was not one valid JSON object; 1 finding(s) were recovered from it"


def test_an_answer_without_json_is_not_readable() -> None:
    for answer in ("", "Looks great, ship it.", "Use {braces} and [brackets] freely."):
        parsed = parse_answer(answer)
        assert not parsed.readable and parsed.findings == [] and parsed.unparsed == []


def test_empty_findings_are_a_clean_review() -> None:
    parsed = parse_answer('{"verdict": "go", "summary": "Fine.", "findings": []}')
    assert parsed.readable and parsed.findings == [] and parsed.verdict == "go" and parsed.note is None


@pytest.mark.parametrize(
    ("said", "verdict"),
    [("go", "go"), ("GO", "go"), ("pass", "go"), ("no_go", "no_go"), ("No-Go", "no_go"), ("NO GO", "no_go"),
     ("block", "no_go"), ("maybe", None), (None, None)],
)  # fmt: skip
def test_verdicts_as_models_write_them(said: str | None, verdict: str | None) -> None:
    assert normalize_verdict(said) == verdict


@pytest.mark.parametrize(
    ("said", "category"),
    [
        ("A03", "A03:2021 Injection"),
        ("a3", "A03:2021 Injection"),
        ("A03:2021-Injection", "A03:2021 Injection"),
        ("SQL Injection", "A03:2021 Injection"),
        ("A10", "A10:2021 Server-Side Request Forgery"),
        ("SSRF", "A10:2021 Server-Side Request Forgery"),
        ("Broken Access Control", "A01:2021 Broken Access Control"),
        ("Insecure deserialization", "A08:2021 Software and Data Integrity Failures"),
        ("CWE-798 hard-coded password", "CWE-798 hard-coded password"),
        ("", None),
    ],
)
def test_owasp_categories_are_normalised(said: str, category: str | None) -> None:
    assert normalize_owasp(said) == category


def f(issue: str, line: int | None, file: str = "src/app.py", severity: str = "medium", **extra: object) -> Finding:
    return Finding(severity=severity, file=file, line=line, issue=issue, **extra)  # type: ignore[arg-type]


def test_the_same_problem_from_two_models_merges() -> None:
    merged = merge(
        [
            ("a", [f("SQL injection via f-string query with user input", 10, severity="high")]),
            ("b", [f("User input is formatted into the SQL query (SQL injection)", 12, "app.py", "critical")]),
        ]
    )
    [only] = merged
    assert only.models == ["a", "b"] and only.severity == "critical" and only.line == 10
    assert only.issue == "User input is formatted into the SQL query (SQL injection)"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (f("SQL injection in the query", 10), f("SQL injection in the query", 30)),  # far apart
        (f("SQL injection in the query", 10), f("SQL injection in the query", 10, "other.py")),  # another file
        (f("SQL injection in the query", 10), f("Missing error handling for the timeout", 11)),  # another problem
        (f("Injection", 10, owasp="A03:2021 Injection"), f("Injection", 10, owasp="A04:2021 Insecure Design")),
    ],
    ids=["far-apart", "other-file", "other-problem", "other-owasp-category"],
)
def test_different_problems_stay_apart(first: Finding, second: Finding) -> None:
    assert [m.models for m in merge([("a", [first]), ("b", [second])])] in ([["a"], ["b"]], [["b"], ["a"]])


def test_a_models_own_findings_never_merge_and_order_is_by_severity() -> None:
    merged = merge([("a", [f("Race on counter", 5, severity="low"), f("Race on counter", 5, severity="high")])])
    assert [(m.severity, m.models) for m in merged] == [("high", ["a"]), ("low", ["a"])]


def test_paths_and_words() -> None:
    assert same_file("/repo/src/app.py", "src/app.py") and same_file("b/src/app.py", "./src/app.py")
    assert not same_file("/repo/src/app.py", "pp.py") and not same_file("app.py", None)
    assert similarity("Users are not validated", "the user is not validated") == 1.0
    assert similarity("", "anything") == 0.0
