"""codereview through a real MCP client against ``zen serve --http`` and the loopback fake LLM: files and git
changes, several models merged, answers that are not clean JSON, refusals, errors, continuation with chat."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from review_helpers import ReviewServer, answer, data, error, finding, git, ok, text, write

from zen_core.testing.mcp import tool_progress

pytestmark = pytest.mark.zen_plugins("zen-tool-review", "zen-tool-chat")

APP = """import sqlite3


def find_user(db, name):
    cur = db.cursor()
    cur.execute(f"SELECT * FROM users WHERE name = '{name}'")
    return cur.fetchone()
"""


def project(srv: ReviewServer, name: str) -> tuple[str, str]:
    app = write(srv.root / name / "app.py", APP)
    util = write(srv.root / name / "util.py", "def add(a, b):\n    return a - b\n")
    return str(app), str(util)


async def test_files_are_reviewed_and_findings_come_back_structured(review_server: ReviewServer) -> None:
    srv = review_server
    app, util = project(srv, "happy")
    reply = answer(
        [
            finding("critical", app, 6, "SQL injection: name is formatted into the query.", "Use a parameter."),
            finding("medium", "util.py", 2, "add() subtracts.", "Return a + b."),
        ],
        summary="One injection, one logic bug.",
    )
    srv.answer("alpha", f"Here is my review.\n```json\n{reply}\n```\nLet me know if you need more.")
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total, message))

    async with srv.client() as client:
        result = await client.call_tool(
            "codereview",
            {"files": [app, util], "model": "alpha", "focus": "security", "prompt": "A user lookup service."},
            progress_callback=on_progress,
        )
    body = ok(result)

    system, user = srv.messages("alpha")
    assert system["role"] == "system" and "senior software engineer reviewing code" in system["content"]
    assert f"--- BEGIN FILE: {app} (7 lines) ---" in user["content"]
    assert "6|     cur.execute(f\"SELECT * FROM users WHERE name = '{name}'\")" in user["content"]
    assert "Focus on security: injection" in user["content"]
    assert "Context from the agent:\nA user lookup service." in user["content"]
    assert '"severity": "critical|high|medium|low"' in user["content"]

    assert body["summary"] == "One injection, one logic bug."
    assert body["findings"] == [
        {
            "severity": "critical",
            "file": app,
            "line": 6,
            "issue": "SQL injection: name is formatted into the query.",
            "fix": "Use a parameter.",
            "models": ["alpha"],
        },
        {  # the relative path the model wrote is the reviewed file's absolute path
            "severity": "medium",
            "file": util,
            "line": 2,
            "issue": "add() subtracts.",
            "fix": "Return a + b.",
            "models": ["alpha"],
        },
    ]
    assert body["counts"] == {"critical": 1, "high": 0, "medium": 1, "low": 0}
    assert body["complete"] is True and body["unparsed"] == []
    assert body["model_used"] == "alpha" and body["usage"]["total_tokens"] > 0
    assert body["files"]["included"] == [app, util]
    assert [m["status"] for m in body["models"]] == ["ok"]
    assert result.structured_content["status"] == "success"
    shown = text(result)
    assert shown.startswith("Code review: 2 finding(s) (1 critical, 1 medium)\nReviewed by: alpha (2 finding(s))")
    assert (
        f"1. [CRITICAL] {app}:6 — SQL injection: name is formatted into the query.\n   Fix: Use a parameter." in shown
    )
    assert f"continuation_id: {body['continuation_id']}" in shown
    progress = tool_progress(progress, "codereview")
    assert [m for _, _, m in progress] == [
        "reading the files",
        "asking 1 model(s)",
        "alpha answered",
        "merging the findings",
    ]
    assert [d for d, _, _ in progress] == [1, 2, 3, 4] and {t for _, t, _ in progress} == {4}


async def test_a_diff_against_a_branch_is_reviewed_with_new_file_line_numbers(review_server: ReviewServer) -> None:
    srv = review_server
    repo = srv.repo("diffrepo", {"app.py": "def f():\n    return 1\n"})
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo / "app.py", "def f():\n    return 2\n\n\ndef g():\n    return f() / 0\n")
    git(repo, "commit", "-q", "-am", "feature")
    srv.answer("alpha", answer([finding("high", "app.py", 6, "Division by zero.")]))

    body = ok(await srv.call("codereview", diff={"repo": str(repo), "base": "main"}, model="alpha"))
    user = srv.user_text("alpha")
    assert "Changes: changes since main" in user and "- modified app.py (committed, +5 -1)" in user
    assert "6 +     return f() / 0" in user
    assert "each line of a hunk shows its number in the new file" in user
    assert body["findings"][0]["file"] == str(repo / "app.py") and body["findings"][0]["line"] == 6
    assert body["changes"]["compare_to"] == "main" and body["changes"]["diff"]["included"] == ["app.py"]
    assert "files" not in body


async def test_several_models_review_in_parallel_and_their_findings_merge(review_server: ReviewServer) -> None:
    srv = review_server
    app, util = project(srv, "merge")
    srv.answer(
        "alpha",
        answer(
            [
                finding("high", app, 6, "SQL injection via f-string query with user input", "Parameterise."),
                finding("low", util, 1, "Missing docstring."),
            ],
            summary="Alpha: injection.",
        ),
        latency_s=0.3,
    )
    srv.answer(
        "beta",
        answer(
            [
                finding("critical", "app.py", 5, "User input formatted into the SQL query (SQL injection).", "Use ?"),
                finding("medium", util, 2, "add() returns a - b instead of a + b."),
            ],
            summary="Beta: injection and a bug.",
        ),
        latency_s=0.3,
    )
    result = await srv.call("codereview", files=[app, util], models=["alpha", "beta"])
    body = ok(result)

    [injection, bug, docstring] = body["findings"]
    assert injection["models"] == ["alpha", "beta"] and injection["severity"] == "critical"
    assert injection["issue"] == "User input formatted into the SQL query (SQL injection)."  # the most severe wording
    assert injection["file"] == app and injection["line"] == 6
    assert (bug["models"], bug["severity"]) == (["beta"], "medium")
    assert (docstring["models"], docstring["severity"]) == (["alpha"], "low")
    assert body["summary"] == "alpha: Alpha: injection.\nbeta: Beta: injection and a bug."
    assert [(m["label"], m["findings"]) for m in body["models"]] == [("alpha", 2), ("beta", 2)]
    assert body["model_used"] == "alpha, beta"
    assert (
        f"1. [CRITICAL] {app}:6 — User input formatted into the SQL query (SQL injection). (raised by: alpha, beta)"
        in (text(result))
    )


async def test_the_same_model_twice_gives_two_labelled_reviewers(review_server: ReviewServer) -> None:
    srv = review_server
    app, _ = project(srv, "twice")
    srv.answer("gamma", answer([finding("high", app, 6, "SQL injection.")]), latency_s=0.3)
    body = ok(await srv.call("codereview", files=[app], models=["gamma", "gamma"]))
    assert [m["label"] for m in body["models"]] == ["gamma#1", "gamma#2"]
    assert body["findings"][0]["models"] == ["gamma#1", "gamma#2"]
    assert srv.fake.peak_concurrency(srv.models["gamma"]) == 2  # both asked at once (asyncio.gather)
    assert all(r.get("cache") is None for r in srv.fake.requests(srv.models["gamma"]))


async def test_a_failed_model_is_reported_in_place(review_server: ReviewServer) -> None:
    srv = review_server
    app, _ = project(srv, "onefails")
    srv.answer("alpha", answer([finding("high", app, 6, "SQL injection.")]))
    srv.answer("beta", status=503, error_message="beta is overloaded")
    result = await srv.call("codereview", files=[app], models=["alpha", "beta"])
    body = data(result)
    assert result.structured_content["status"] == "partial" and body["complete"] is False
    assert [f["models"] for f in body["findings"]] == [["alpha"]]
    failed = next(m for m in body["models"] if m["label"] == "beta")
    assert failed["status"] == "error" and "beta is overloaded" in failed["error"]["provider_message"]
    assert failed["error"]["status_code"] == 503
    assert "beta FAILED: " in text(result) and "beta (failed)" in text(result)


async def test_every_model_failing_is_an_error(review_server: ReviewServer) -> None:
    srv = review_server
    app, _ = project(srv, "allfail")
    srv.answer("alpha", status=500, error_message="alpha exploded")
    srv.answer("beta", status=500, error_message="beta exploded")
    refused = error(await srv.call("codereview", files=[app], models=["alpha", "beta"]))
    assert refused["code"] == "all_models_failed"
    assert "- alpha: " in refused["message"] and "- beta: " in refused["message"]


async def test_a_provider_error_of_one_model_names_model_status_and_cause(review_server: ReviewServer) -> None:
    srv = review_server
    app, _ = project(srv, "provider")
    srv.answer("alpha", status=500, error_message="upstream exploded")
    result = await srv.call("codereview", files=[app], model="alpha")
    failure = error(result)
    assert failure["code"] == "llm_error" and failure["status_code"] == 500
    assert "Model 'alpha'" in failure["message"] and "HTTP 500" in failure["message"]
    assert "upstream exploded" in failure["provider_message"]


async def test_an_answer_with_an_unreadable_finding_reports_it(review_server: ReviewServer) -> None:
    srv = review_server
    app, _ = project(srv, "badfinding")
    reply = json.dumps(
        {
            "summary": "Two problems.",
            "findings": [
                {"severity": "HIGH", "file": f"{app}:6", "issue": "SQL injection.", "fix": "Parameterise."},
                {"severity": "catastrophic", "file": app, "line": 1, "issue": "Imports sqlite3."},
                "also the naming is bad",
            ],
        }
    )
    srv.answer("alpha", reply + ",\n")  # and a stray trailing comma
    result = await srv.call("codereview", files=[app], model="alpha")
    body = data(result)
    assert [(f["severity"], f["file"], f["line"]) for f in body["findings"]] == [("high", app, 6)]
    assert body["unparsed"] == [
        {
            "model": "alpha",
            "text": json.dumps({"severity": "catastrophic", "file": app, "line": 1, "issue": "Imports sqlite3."}),
            "reason": "severity 'catastrophic' is not critical/high/medium/low",
        },
        {"model": "alpha", "text": "also the naming is bad", "reason": "not a JSON object"},
    ]
    assert result.structured_content["status"] == "partial"
    assert "Findings that could not be read (as the model wrote them):" in text(result)
    assert "- alpha: not a JSON object: also the naming is bad" in text(result)


async def test_an_answer_cut_off_keeps_the_findings_before_the_cut(review_server: ReviewServer) -> None:
    srv = review_server
    app, _ = project(srv, "cutoff")
    whole = answer([finding("high", app, 6, "SQL injection."), finding("low", app, 1, "Unused import sqlite3.")])
    srv.answer("alpha", whole[: whole.index("Unused") + 6])
    body = data(await srv.call("codereview", files=[app], model="alpha"))
    assert [f["issue"] for f in body["findings"]] == ["SQL injection."]
    assert body["unparsed"][0]["reason"] == "incomplete JSON (the answer was cut off?)"
    assert '"issue": "Unused' in body["unparsed"][0]["text"]
    assert body["models"][0]["status"] == "partly_parsed"
    assert body["models"][0]["note"] == "the answer was not one valid JSON object; 1 finding(s) were recovered from it"


async def test_an_answer_that_is_not_json_is_shown_as_is(review_server: ReviewServer) -> None:
    srv = review_server
    app, _ = project(srv, "prose")
    srv.answer("alpha", "The code looks fine to me, but consider parameterising the query on line 6.")
    result = await srv.call("codereview", files=[app], model="alpha")
    body = data(result)
    assert body["findings"] == [] and body["complete"] is False
    report = body["models"][0]
    assert report["status"] == "unparsed"
    assert report["raw"] == "The code looks fine to me, but consider parameterising the query on line 6."
    assert "Answer of alpha (the answer is not in the requested JSON format; it is shown as is):\nThe code" in text(
        result
    )


async def test_min_severity_hides_lesser_findings_and_says_how_many(review_server: ReviewServer) -> None:
    srv = review_server
    app, _ = project(srv, "minsev")
    srv.answer(
        "alpha",
        answer([finding("high", app, 6, "SQL injection."), finding("low", app, 1, "Unused import.")]),
    )
    body = ok(await srv.call("codereview", files=[app], model="alpha", min_severity="high"))
    assert [f["severity"] for f in body["findings"]] == ["high"]
    assert body["hidden_below_min_severity"] == 1
    assert 'Report only findings of severity "high" or worse.' in srv.user_text("alpha")


async def test_refused_paths_stop_the_call_before_any_model(review_server: ReviewServer) -> None:
    srv = review_server
    secret = write(srv.root / "refuse" / ".env.production", "TOKEN=abc\n")
    outside = write(srv.outside / "private.py", "private = 1\n")
    fine = write(srv.root / "refuse" / "ok.py", "ok = 1\n")
    before = srv.calls("alpha")
    for path, kind in ((secret, "secret"), (outside, "outside_roots")):
        refused = error(await srv.call("codereview", files=[str(fine), str(path)], model="alpha"))
        assert refused["code"] == "path_refused"
        assert [r["kind"] for r in refused["refused"]] == [kind]
    repo_outside = srv.outside / "repo"
    repo_outside.mkdir()
    git(repo_outside, "init", "-q")
    refused = error(await srv.call("codereview", diff={"repo": str(repo_outside)}, model="alpha"))
    assert refused["code"] == "path_refused" and "outside the allowed roots" in refused["message"]
    assert srv.calls("alpha") == before


@pytest.mark.parametrize(
    ("arguments", "field", "expected"),
    [
        ({"model": "alpha"}, None, 'pass "files" (absolute paths) and/or "diff"'),
        ({"files": ["/x.py"], "focus": "style"}, "focus", "'all', 'security', 'performance' or 'quality'"),
        ({"files": ["/x.py"], "min_severity": "urgent"}, "min_severity", "'critical', 'high', 'medium' or 'low'"),
        ({"diff": {"path": "/repo"}}, "diff", "repo"),
        ({"files": ["/x.py"], "models": ["alpha"] * 6}, None, '"models" takes at most 5 models'),
        ({"files": "/x.py"}, "files", "list"),
    ],
)
async def test_bad_arguments_name_the_field(
    review_server: ReviewServer, arguments: dict[str, Any], field: str | None, expected: str
) -> None:
    result = await review_server.call("codereview", **arguments)
    failure = error(result)
    assert expected in failure["message"], failure["message"]
    if field is not None:
        assert field in failure["message"]


async def test_codereview_continued_by_chat_and_chat_continued_by_codereview(review_server: ReviewServer) -> None:
    srv = review_server
    app, _ = project(srv, "continue")
    srv.answer("alpha", answer([finding("critical", app, 6, "SQL injection REVIEW_MARKER.")]))
    first = ok(await srv.call("codereview", files=[app], model="alpha"))
    cid = first["continuation_id"]
    srv.answer("beta", "Use a parameterised query.")
    followup = ok(await srv.call("chat", prompt="How do I fix finding 1?", model="beta", continuation_id=cid))
    assert followup["continuation_id"] == cid
    seen = srv.user_text("beta")
    assert "via codereview" in seen and "SQL injection REVIEW_MARKER." in seen and "codereview request" in seen
    assert seen.count("cur.execute(f") == 1  # the reviewed file comes back once, from the conversation

    srv.answer("gamma", "Start with the query builder.")
    talk = ok(await srv.call("chat", prompt="CHAT_MARKER: which part is riskiest?", model="gamma"))
    srv.answer("gamma", answer([]))
    again = ok(await srv.call("codereview", files=[app], continuation_id=talk["continuation_id"]))
    assert again["continuation_id"] == talk["continuation_id"]
    assert again["model_used"] == "gamma"  # the conversation's model when none is given
    assert "CHAT_MARKER" in srv.user_text("gamma") and "=== CONVERSATION SO FAR ===" in srv.user_text("gamma")
    async with srv.client() as client:
        turns = await client.call_tool("threads", {})
    assert any(t["id"] == cid and t["tool"] == "codereview" for t in data(turns)["threads"])


async def test_concurrent_reviews_keep_separate_results(review_server: ReviewServer) -> None:
    srv = review_server
    app, util = project(srv, "concurrent")
    srv.answer("alpha", answer([finding("high", app, 6, "ALPHA_ONLY")]), latency_s=0.2)
    srv.answer("gamma", answer([finding("low", util, 2, "GAMMA_ONLY")]), latency_s=0.2)
    one, two = await asyncio.gather(
        srv.call("codereview", files=[app], model="alpha"), srv.call("codereview", files=[util], model="gamma")
    )
    assert [f["issue"] for f in ok(one)["findings"]] == ["ALPHA_ONLY"]
    assert [f["issue"] for f in ok(two)["findings"]] == ["GAMMA_ONLY"]
    assert ok(one)["continuation_id"] != ok(two)["continuation_id"]
