"""secaudit through a real MCP client: the OWASP checklist reaches the model, categories come back normalised,
findings of several models merge within a category, refused files stop the call."""

from __future__ import annotations

import json

import pytest
from review_helpers import ReviewServer, answer, error, finding, ok, text, write

pytestmark = pytest.mark.zen_plugins("zen-tool-review", "zen-tool-chat")

HANDLER = """import subprocess


def ping(request):
    host = request.args["host"]
    return subprocess.check_output(f"ping -c 1 {host}", shell=True)


def fetch(request):
    import urllib.request
    return urllib.request.urlopen(request.args["url"]).read()
"""


async def test_an_audit_with_owasp_categories(review_server: ReviewServer) -> None:
    srv = review_server
    handler = str(write(srv.root / "audit" / "handler.py", HANDLER))
    srv.answer(
        "alpha",
        "```json\n"
        + answer(
            [
                finding("critical", handler, 6, "Command injection through host.", "Pass an argv list.", owasp="A03"),
                finding("high", handler, 11, "SSRF: any URL is fetched.", "Allow-list hosts.", owasp="a10:2021-SSRF"),
                finding("low", handler, 1, "No audit logging.", "Log requests.", owasp="Security Logging"),
            ],
            summary="Two injectable endpoints.",
        )
        + "\n```",
    )
    result = await srv.call("secaudit", files=[handler], model="alpha", prompt="Internet-facing admin API.")
    body = ok(result)

    system, user = srv.messages("alpha")
    assert "application security auditor" in system["content"]
    assert "A03 Injection; A04 Insecure Design" in user["content"]
    assert '"owasp": "A01".."A10"' in user["content"]
    assert "Context from the agent:\nInternet-facing admin API." in user["content"]
    assert [(f["severity"], f["line"], f["owasp"]) for f in body["findings"]] == [
        ("critical", 6, "A03:2021 Injection"),
        ("high", 11, "A10:2021 Server-Side Request Forgery"),
        ("low", 1, "A09:2021 Security Logging and Monitoring Failures"),
    ]
    assert text(result).startswith("Security audit: 3 finding(s) (1 critical, 1 high, 1 low)")
    assert "[A03:2021 Injection]" in text(result)


async def test_two_auditors_merge_within_a_category_only(review_server: ReviewServer) -> None:
    srv = review_server
    handler = str(write(srv.root / "audit2" / "handler.py", HANDLER))
    srv.answer(
        "alpha",
        answer(
            [
                finding("critical", handler, 6, "Shell command injection via host parameter", owasp="A03"),
                finding("medium", handler, 6, "Host parameter is not validated", owasp="A04"),
            ]
        ),
    )
    srv.answer(
        "beta", answer([finding("high", handler, 5, "OS command injection: host reaches the shell", owasp="A03")])
    )
    body = ok(await srv.call("secaudit", files=[handler], models=["alpha", "beta"]))
    assert [(f["owasp"][:3], f["models"]) for f in body["findings"]] == [("A03", ["alpha", "beta"]), ("A04", ["alpha"])]


async def test_secaudit_needs_files_and_refuses_secrets(review_server: ReviewServer) -> None:
    srv = review_server
    missing = error(await srv.call("secaudit", model="alpha"))
    assert "files" in missing["message"]
    empty = error(await srv.call("secaudit", files=[], model="alpha"))
    assert "files" in empty["message"] and "at least 1" in empty["message"]
    key = write(srv.root / "audit3" / "server.pem", "-----BEGIN PRIVATE KEY-----\nabc\n")
    before = srv.calls("alpha")
    refused = error(await srv.call("secaudit", files=[str(key)], model="alpha"))
    assert refused["code"] == "path_refused" and "secret file" in refused["message"]
    assert srv.calls("alpha") == before
    assert "abc" not in json.dumps(refused)
