"""precommit through a real MCP client: Zen collects the changes itself (staged, unstaged, against a branch,
untracked), lists binaries and submodules without sending them, withholds secrets, fits huge diffs with an
exact report, refuses option-like refs, and returns a go/no_go verdict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from review_helpers import ReviewServer, answer, data, error, finding, git, new_repo, ok, text, write

pytestmark = pytest.mark.zen_plugins("zen-tool-review", "zen-tool-chat")

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) + b"BINARY_MARKER"
OPENAI_KEY = "sk-proj-" + "Q1w2E3r4T5y6U7i8O9p0" * 2


def numbered(n: int, prefix: str = "line") -> str:
    return "".join(f"{prefix} {i}\n" for i in range(1, n + 1))


async def test_the_changes_with_rename_binary_and_submodule(review_server: ReviewServer, tmp_path: Path) -> None:
    srv = review_server
    upstream = new_repo(tmp_path / "upstream", {"dep.py": "VERSION = 1\n"})
    repo = srv.repo("full", {"app.py": numbered(10), "old_name.py": numbered(20, "keep"), "logo.png": PNG})
    git(repo, "submodule", "add", "-q", str(upstream), "libs/dep")
    git(repo, "commit", "-q", "-m", "dep")
    dep = repo / "libs" / "dep"
    write(dep / "dep.py", "VERSION = 2\nINSIDE_SUBMODULE = True\n")
    git(dep, "commit", "-q", "-am", "dep 2")
    git(repo, "mv", "old_name.py", "new_name.py")
    write(repo / "logo.png", PNG + b"v2")
    write(repo / "app.py", numbered(10) + "STAGED_MARKER = 1\n")
    git(repo, "add", "-A")
    write(repo / "app.py", numbered(10) + "STAGED_MARKER = 1\nUNSTAGED_MARKER = 2\n")
    write(repo / "scratch.py", "UNTRACKED_MARKER = 3\n")
    srv.answer(
        "alpha",
        answer(
            [finding("high", "app.py", 12, "UNSTAGED_MARKER is debug code.", "Remove it.")],
            summary="Debug code left in.",
            verdict="no_go",
        ),
    )

    result = await srv.call("precommit", path=str(repo), model="alpha", prompt="Bump dep to 2.")
    body = ok(result)
    user = srv.user_text("alpha")
    assert "Changes: staged and unstaged changes against HEAD" in user
    assert "- modified app.py (staged, unstaged, +2 -0)" in user
    assert "- modified libs/dep (staged, submodule " in user  # the pointer, not the submodule's content
    assert "- modified logo.png (staged, binary, not shown)" in user
    assert "- renamed old_name.py -> new_name.py (staged, 100% similar, +0 -0)" in user
    assert "11 + STAGED_MARKER = 1" in user and "12 + UNSTAGED_MARKER = 2" in user
    assert "BINARY_MARKER" not in user and "IHDR" not in user
    assert "INSIDE_SUBMODULE" not in user and "UNTRACKED_MARKER" not in user
    assert "The author says what the change is meant to do:\nBump dep to 2." in user
    assert '"verdict": "go" or "no_go"' in user

    assert (body["verdict"], body["blocking"]) == ("no_go", 1)
    assert body["findings"][0]["file"] == str(repo / "app.py")
    files = {f["path"]: f for f in body["changes"]["files"]}
    assert files["libs/dep"]["kind"] == "submodule" and files["logo.png"]["kind"] == "binary"
    assert files["new_name.py"]["old_path"] == "old_name.py"
    assert body["changes"]["diff"]["included"] == ["app.py", "new_name.py"]
    assert {n["path"] for n in body["changes"]["diff"]["not_sent"]} == {"libs/dep", "logo.png"}
    assert text(result).startswith("Pre-commit check: NO-GO — 1 blocking finding(s) (critical/high)\nChanges: ")
    assert "- Not sent: logo.png: binary file (listed, not sent)" in text(result)

    srv.answer("alpha", answer([], summary="Fine.", verdict="go"))
    staged = ok(await srv.call("precommit", path=str(repo), model="alpha", unstaged=False, untracked=True))
    user = srv.user_text("alpha")
    assert "STAGED_MARKER" in user and "UNSTAGED_MARKER" not in user and "UNTRACKED_MARKER = 3" in user
    assert (staged["verdict"], staged["blocking"], staged["findings"]) == ("go", 0, [])
    assert text(await srv.call("precommit", path=str(repo), model="alpha")).startswith(
        "Pre-commit check: GO — no blocking findings"
    )


async def test_compare_to_a_branch(review_server: ReviewServer) -> None:
    srv = review_server
    repo = srv.repo("branch", {"app.py": numbered(5)})
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo / "feature.py", "FEATURE_MARKER = 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "feature")
    srv.answer("alpha", answer([], verdict="go"))
    body = ok(await srv.call("precommit", path=str(repo), compare_to="main", model="alpha"))
    assert body["changes"]["base"] == git(repo, "rev-parse", "main")
    assert [f["path"] for f in body["changes"]["files"]] == ["feature.py"]
    assert "FEATURE_MARKER = 1" in srv.user_text("alpha")


@pytest.mark.parametrize("ref", ["--output=OUTFILE", "-p", "main..HEAD", "main@{1}", "HEAD:app.py", "no-such-branch"])
async def test_refs_that_are_options_or_not_revisions_are_refused(review_server: ReviewServer, ref: str) -> None:
    srv = review_server
    repo = srv.root / "refs"
    if not repo.exists():
        new_repo(repo, {"app.py": numbered(5)})
        write(repo / "app.py", numbered(6))
    outfile = srv.root / "owned.txt"
    before = srv.calls("alpha")
    refused = error(
        await srv.call("precommit", path=str(repo), model="alpha", compare_to=ref.replace("OUTFILE", str(outfile)))
    )
    assert refused["code"] == "invalid_ref"
    assert "compare_to" in refused["message"]
    assert not outfile.exists() and srv.calls("alpha") == before


async def test_a_huge_diff_is_fitted_with_an_exact_report(review_server: ReviewServer) -> None:
    srv = review_server
    repo = srv.repo("huge", {"app.py": numbered(5)})
    write(repo / "app.py", numbered(5) + "SMALL_CHANGE = 1\n")
    write(repo / "generated.py", "".join(f"GENERATED_{i} = {i}  # padding padding\n" for i in range(60_000)))
    git(repo, "add", "-A")
    assert (repo / "generated.py").stat().st_size > 2_000_000
    srv.answer("tiny", answer([], verdict="go"))

    result = await srv.call("precommit", path=str(repo), model="tiny")
    assert srv.fake.requests(srv.models["tiny"]), f"the model was never asked: {result}"
    body = data(result)
    user = srv.user_text("tiny")
    assert "SMALL_CHANGE = 1" in user and "GENERATED_1 " not in user
    assert "- added generated.py (staged, +60000 -0)" in user
    assert "Changes left out to fit the context window (their diffs are not shown to you):\n- generated.py" in user
    [left_out] = body["changes"]["diff"]["excluded"]
    assert left_out["path"] == "generated.py" and left_out["tokens"] > 100_000
    assert left_out["reason"].startswith(f"needs {left_out['tokens']:,} tokens but only ")
    assert "-token budget were left" in left_out["reason"]
    assert body["changes"]["diff"]["included"] == ["app.py"]
    assert body["complete"] is False and result.structured_content["status"] == "partial"
    assert f"- Left out (did not fit): generated.py: needs {left_out['tokens']:,} tokens" in text(result)
    assert "[incomplete: see below]" in text(result).splitlines()[0]


async def test_secrets_in_the_changes_are_withheld_and_block_the_commit(review_server: ReviewServer) -> None:
    srv = review_server
    repo = srv.repo("secrets", {"app.py": numbered(5)})
    write(repo / ".env", "DATABASE_PASSWORD=hunter2-prod\n")
    write(repo / "config.py", f"DEBUG = False\nOPENAI_API_KEY = '{OPENAI_KEY}'\n")
    write(repo / "app.py", numbered(5) + "import config\n")
    git(repo, "add", "-A")
    srv.answer("alpha", answer([], summary="Looks fine.", verdict="go"))

    result = await srv.call("precommit", path=str(repo), model="alpha")
    body = ok(result)
    sent = json.dumps(srv.messages("alpha"))
    assert "hunter2" not in sent and OPENAI_KEY not in sent
    assert "- added config.py (staged, +2 -0, withheld: the diff holds a credential-shaped value" in srv.user_text(
        "alpha"
    )
    assert (body["verdict"], body["blocking"]) == ("no_go", 1)  # the model said go; Zen's own scan blocks
    [key, env] = body["findings"]
    assert (key["severity"], key["file"], key["line"], key["models"]) == (
        "critical",
        str(repo / "config.py"),
        2,
        ["zen secret scan"],
    )
    assert (env["severity"], env["file"]) == ("medium", str(repo / ".env"))
    assert "looks like a secrets file" in env["issue"]
    assert OPENAI_KEY not in json.dumps(body) and OPENAI_KEY not in text(result)


async def test_no_changes_is_an_error_without_a_model_call(review_server: ReviewServer) -> None:
    srv = review_server
    repo = srv.repo("clean", {"app.py": numbered(5)})
    before = srv.calls("alpha")
    refused = error(await srv.call("precommit", path=str(repo), model="alpha"))
    assert refused["code"] == "no_changes" and "staged and unstaged changes against HEAD" in refused["message"]
    assert srv.calls("alpha") == before


async def test_an_unreadable_answer_gives_an_unknown_verdict(review_server: ReviewServer) -> None:
    srv = review_server
    repo = srv.repo("unknown", {"app.py": numbered(5)})
    write(repo / "app.py", numbered(6))
    srv.answer("alpha", "Looks good to me, ship it!")
    result = await srv.call("precommit", path=str(repo), model="alpha")
    body = data(result)
    assert body["verdict"] == "unknown" and body["models"][0]["raw"] == "Looks good to me, ship it!"
    assert text(result).startswith("Pre-commit check: verdict UNKNOWN — no answer could be read")


async def test_several_models_the_verdict_is_no_go_when_any_says_so(review_server: ReviewServer) -> None:
    srv = review_server
    repo = srv.repo("votes", {"app.py": numbered(5)})
    write(repo / "app.py", numbered(6))
    srv.answer("alpha", answer([], verdict="go"))
    srv.answer("beta", answer([finding("medium", "app.py", 6, "Unclear name.")], verdict="NO-GO"))
    body = ok(await srv.call("precommit", path=str(repo), models=["alpha", "beta"]))
    assert body["verdict"] == "no_go" and body["blocking"] == 0
    assert [(m["label"], m["verdict"]) for m in body["models"]] == [("alpha", "go"), ("beta", "no_go")]


async def test_the_repo_path_goes_through_the_file_rules(review_server: ReviewServer) -> None:
    srv = review_server
    outside = new_repo(srv.outside / "elsewhere", {"a.py": "a = 1\n"})
    write(outside / "a.py", "a = 2\n")
    for path, kind in (
        (str(outside), "outside_roots"),
        ("relative/repo", "relative"),
        (str(srv.root / "nope"), "missing"),
    ):
        refused = error(await srv.call("precommit", path=path, model="alpha"))
        assert refused["code"] == "path_refused"
        assert [r["kind"] for r in refused["refused"]] == [kind]
    plain = srv.root / "not-a-repo"
    plain.mkdir()
    refused = error(await srv.call("precommit", path=str(plain), model="alpha"))
    assert refused["code"] == "not_a_git_repository"


async def test_precommit_continued_by_chat(review_server: ReviewServer) -> None:
    srv = review_server
    repo = srv.repo("cont", {"app.py": numbered(5)})
    write(repo / "app.py", numbered(5) + "CONT_MARKER = 1\n")
    srv.answer("alpha", answer([finding("high", "app.py", 6, "CONT_FINDING")], verdict="no_go"))
    first = ok(await srv.call("precommit", path=str(repo), model="alpha"))
    srv.answer("beta", "Rename it.")
    ok(await srv.call("chat", prompt="What now?", model="beta", continuation_id=first["continuation_id"]))
    seen = srv.user_text("beta")
    assert "via precommit" in seen and "CONT_FINDING" in seen and "NO-GO" in seen
    assert "CONT_MARKER = 1" in seen  # the changed file, referenced by the stored turn, is read again


async def test_the_changes_report_of_a_very_large_commit_is_capped(review_server: ReviewServer) -> None:
    srv = review_server
    repo = srv.repo("many", {"README.md": "many\n"})
    for i in range(230):
        write(repo / "pkg" / f"mod{i:03}.py", f"VALUE_{i} = {i}\n")
    git(repo, "add", "-A")
    srv.answer("alpha", answer([], verdict="go"))
    body = data(await srv.call("precommit", path=str(repo), model="alpha"))
    report = body["changes"]
    assert len(report["files"]) == 200 and report["files"][0]["path"] == "pkg/mod000.py"
    assert report["omitted"]["files"] == 30
    listed = len(report["diff"]["included"]) + report["omitted"].get("diff.included", 0)
    excluded = len(report["diff"]["excluded"]) + report["omitted"].get("diff.excluded", 0)
    assert listed + excluded == 230
    assert "Changed files (230):" in srv.user_text("alpha")
