"""Unit tests of zen_core.context.git against real temporary git repositories: staged, unstaged, untracked and
branch changes, renames, binary files, submodules, secrets, refs that are refused, and fitting a 2 MB diff."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from zen_core import ExcludedFile, Files, GitChanges, GitFileChange, ToolError
from zen_core.context.git import (
    check_repo,
    collect_changes,
    credential_lines,
    fit_changes,
    format_change,
)
from zen_core.context.policy import FilePolicy

#: A credential in a shape Zen's redaction knows (an OpenAI project key), and a private key block.
OPENAI_KEY = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0" * 2
PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----"
#: A PNG header and a NUL byte: binary by content.
BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))


def words(text: str) -> int:
    """A deterministic tokenizer for the tests: whitespace-separated words."""
    return len(text.split())


def git(repo: Path, *args: str) -> str:
    """Run git for the test's own setup, isolated from the user's git configuration."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }
    done = subprocess.run(
        ["git", "-c", "protocol.file.allow=always", "-c", "init.defaultBranch=main", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def numbered(n: int, prefix: str = "line") -> str:
    return "".join(f"{prefix} {i}\n" for i in range(1, n + 1))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with one commit: app.py (20 lines), old_name.py (30 lines), logo.png (binary)."""
    path = (tmp_path / "repo").resolve()
    path.mkdir()
    git(path, "init", "-q")
    write(path / "app.py", numbered(20))
    write(path / "old_name.py", numbered(30, "keep"))
    write(path / "logo.png", BINARY)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


def by_path(changes: GitChanges) -> dict[str, GitFileChange]:
    return {c.path: c for c in changes.files}


# -- staged, unstaged, both ------------------------------------------------------------------------
def test_staged_and_unstaged_changes_are_one_diff_per_file_marked_with_where(repo: Path) -> None:
    write(repo / "app.py", numbered(20) + "staged line\n")
    git(repo, "add", "app.py")
    write(repo / "app.py", numbered(20) + "staged line\nunstaged line\n")
    write(repo / "notes.md", "only in the working tree\n")  # untracked: not collected unless asked

    both = collect_changes(repo)
    assert [c.path for c in both.files] == ["app.py"]
    [app] = both.files
    assert (app.status, app.kind, app.where) == ("modified", "text", ("staged", "unstaged"))
    assert (app.additions, app.deletions) == (2, 0)
    assert "+staged line\n+unstaged line\n" in app.diff
    assert both.scope == "staged and unstaged changes against HEAD"
    assert both.head == git(repo, "rev-parse", "HEAD") and both.branch == "main" and both.root == str(repo)

    staged = collect_changes(repo, unstaged=False).files[0]
    assert "+staged line" in staged.diff and "unstaged line" not in staged.diff
    assert staged.where == ("staged",)

    unstaged = collect_changes(repo, staged=False).files[0]
    assert "+unstaged line" in unstaged.diff and "+staged line" not in unstaged.diff
    assert unstaged.where == ("unstaged",)


def test_nothing_to_collect_is_an_error(repo: Path) -> None:
    with pytest.raises(ToolError) as caught:
        collect_changes(repo, staged=False, unstaged=False)
    assert caught.value.code == "invalid_arguments"
    assert collect_changes(repo).files == []


def test_added_deleted_and_renamed_files(repo: Path) -> None:
    git(repo, "mv", "old_name.py", "new_name.py")
    write(repo / "new_name.py", numbered(30, "keep") + "one more\n")
    write(repo / "fresh.py", "print('new')\n")
    git(repo, "add", "-A")
    git(repo, "rm", "-q", "app.py")

    files = by_path(collect_changes(repo))
    renamed = files["new_name.py"]
    assert (renamed.status, renamed.old_path, renamed.additions, renamed.deletions) == ("renamed", "old_name.py", 1, 0)
    assert renamed.similarity is not None and 90 <= renamed.similarity < 100
    assert "rename from old_name.py\nrename to new_name.py" in renamed.diff
    assert files["fresh.py"].status == "added" and "+print('new')" in files["fresh.py"].diff
    assert files["app.py"].status == "deleted" and files["app.py"].deletions == 20
    assert renamed.describe() == (f"renamed old_name.py -> new_name.py (staged, {renamed.similarity}% similar, +1 -0)")


def test_binary_files_are_listed_never_sent(repo: Path) -> None:
    write(repo / "logo.png", BINARY + b"changed")
    write(repo / "icon.ico", BINARY)
    git(repo, "add", "-A")

    changes = collect_changes(repo)
    files = by_path(changes)
    assert {p: (c.status, c.kind) for p, c in files.items()} == {
        "icon.ico": ("added", "binary"),
        "logo.png": ("modified", "binary"),
    }
    assert all(c.diff == "" and c.additions is None and not c.sendable for c in files.values())
    fitted = changes.fit(budget_tokens=10_000, count_tokens=words)
    assert fitted.included == [] and fitted.excluded == []
    assert fitted.not_sent == [
        {"path": "icon.ico", "reason": "binary file (listed, not sent)"},
        {"path": "logo.png", "reason": "binary file (listed, not sent)"},
    ]
    assert "- modified logo.png (staged, binary, not shown)" in fitted.text
    assert "IHDR" not in fitted.text


def test_type_change_keeps_both_halves_of_the_diff(repo: Path) -> None:
    (repo / "link").symlink_to("app.py")
    git(repo, "add", "link")
    git(repo, "commit", "-q", "-m", "link")
    (repo / "link").unlink()
    write(repo / "link", "now a file\n")

    [change] = collect_changes(repo).files
    assert change.status == "type_changed"
    assert "deleted file mode 120000" in change.diff and "+now a file" in change.diff


def test_awkward_file_names_keep_their_diffs(repo: Path) -> None:
    names = ["with space.py", 'quote"d.py', "ünïcödé.py", "tab\there.py"]
    for name in names:
        write(repo / name, f"print({name!r})\n")
    git(repo, "add", "-A")

    files = by_path(collect_changes(repo))
    assert sorted(files) == sorted(names)
    for name in names:
        assert files[name].status == "added" and f"+print({name!r})" in files[name].diff, name


# -- submodules ------------------------------------------------------------------------------------
@pytest.fixture
def with_submodule(repo: Path, tmp_path: Path) -> tuple[Path, Path, str]:
    """``repo`` with a submodule ``libs/dep``; returns the repo, the submodule's checkout and its commit."""
    upstream = tmp_path / "dep"
    upstream.mkdir()
    git(upstream, "init", "-q")
    write(upstream / "dep.py", "VERSION = 1\n")
    git(upstream, "add", "-A")
    git(upstream, "commit", "-q", "-m", "dep 1")
    git(repo, "submodule", "add", "-q", str(upstream), "libs/dep")
    git(repo, "commit", "-q", "-m", "add dep")
    checkout = repo / "libs" / "dep"
    return repo, checkout, git(checkout, "rev-parse", "HEAD")


def test_a_submodule_pointer_change_is_reported_without_recursing(with_submodule: tuple[Path, Path, str]) -> None:
    repo, checkout, old = with_submodule
    write(checkout / "dep.py", "VERSION = 2\nSECRET_INSIDE_SUBMODULE = 1\n")
    git(checkout, "commit", "-q", "-am", "dep 2")
    new = git(checkout, "rev-parse", "HEAD")
    write(checkout / "dirty.py", "uncommitted inside the submodule\n")  # not recursed into
    write(repo / "app.py", numbered(20) + "uses dep 2\n")

    changes = collect_changes(repo, untracked=True)
    files = by_path(changes)
    assert sorted(files) == ["app.py", "libs/dep"]
    dep = files["libs/dep"]
    assert (dep.status, dep.kind, dep.submodule, dep.diff) == ("modified", "submodule", (old, new), "")
    assert dep.where == ("unstaged",)
    fitted = changes.fit(budget_tokens=10_000, count_tokens=words)
    assert f"- modified libs/dep (unstaged, submodule {old[:12]} -> {new[:12]})" in fitted.text
    assert {"path": "libs/dep", "reason": f"submodule pointer {old[:12]} -> {new[:12]} (not recursed into)"} in (
        fitted.not_sent
    )
    assert "SECRET_INSIDE_SUBMODULE" not in fitted.text and "dirty.py" not in fitted.text
    assert fitted.included == ["app.py"]


def test_a_new_submodule_and_an_untracked_nested_repository(repo: Path, tmp_path: Path) -> None:
    nested = repo / "vendor" / "thing"
    nested.mkdir(parents=True)
    git(nested, "init", "-q")
    write(nested / "x.py", "nested = True\n")
    files = by_path(collect_changes(repo, untracked=True))
    assert files["vendor/thing"].kind == "submodule" and files["vendor/thing"].where == ("untracked",)
    assert files["vendor/thing"].diff == ""


# -- untracked -------------------------------------------------------------------------------------
def test_untracked_files_on_request_honouring_gitignore(repo: Path) -> None:
    write(repo / ".gitignore", "build/\n*.log\n")
    git(repo, "add", ".gitignore")
    write(repo / "src" / "new.py", "def new():\n    return 1")  # no newline at the end
    write(repo / "build" / "out.py", "generated\n")
    write(repo / "debug.log", "noise\n")
    write(repo / "data.bin", BINARY)
    (repo / "alias.py").symlink_to("/etc/passwd")  # its content is the link target, never the file it points to

    assert "src/new.py" not in by_path(collect_changes(repo))
    files = by_path(collect_changes(repo, untracked=True))
    assert sorted(files) == [".gitignore", "alias.py", "data.bin", "src/new.py"]
    new = files["src/new.py"]
    assert (new.status, new.where, new.additions, new.deletions) == ("added", ("untracked",), 2, 0)
    assert new.diff == (
        "diff --git a/src/new.py b/src/new.py\nnew file mode 100644\n--- /dev/null\n+++ b/src/new.py\n"
        "@@ -0,0 +1,2 @@\n+def new():\n+    return 1\n\\ No newline at end of file\n"
    )
    assert files["data.bin"].kind == "binary"
    assert "+/etc/passwd" in files["alias.py"].diff and "root:" not in files["alias.py"].diff
    only_untracked = collect_changes(repo, staged=False, unstaged=False, untracked=True)
    assert only_untracked.scope == "untracked files only" and ".gitignore" not in by_path(only_untracked)


def test_a_subdirectory_shows_only_the_changes_below_it(repo: Path) -> None:
    write(repo / "pkg" / "inner.py", "inner = 1\n")
    write(repo / "app.py", numbered(21))
    git(repo, "add", "-A")
    write(repo / "pkg" / "loose.py", "loose = 1\n")
    write(repo / "top_loose.py", "top = 1\n")

    changes = collect_changes(repo / "pkg", untracked=True)
    assert [c.path for c in changes.files] == ["pkg/inner.py", "pkg/loose.py"]
    assert changes.repo == str(repo / "pkg") and changes.root == str(repo)
    assert f"Only changes below {repo / 'pkg'} are included." in changes.fit(budget_tokens=999, count_tokens=words).text


# -- compare_to ------------------------------------------------------------------------------------
def test_compare_to_a_branch_uses_the_merge_base(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo / "feature.py", "feature = 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "feature")
    git(repo, "checkout", "-q", "main")
    write(repo / "main_only.py", "moved on\n")  # main moves on after the branch point
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "main moves")
    git(repo, "checkout", "-q", "feature")
    write(repo / "app.py", numbered(20) + "staged\n")
    git(repo, "add", "app.py")
    write(repo / "app.py", numbered(20) + "staged\nunstaged\n")

    branch_point = git(repo, "merge-base", "main", "feature")
    everything = collect_changes(repo, compare_to="main")
    files = by_path(everything)
    assert sorted(files) == ["app.py", "feature.py"]  # main's own later commit is not shown reversed
    assert everything.base == branch_point and everything.compare_to == "main"
    assert files["feature.py"].where == ("committed",)
    assert files["app.py"].where == ("staged", "unstaged") and "+unstaged" in files["app.py"].diff
    assert everything.scope == f"changes since main ({branch_point[:12]}, the merge base) up to the working tree"

    index_only = by_path(collect_changes(repo, compare_to="main", unstaged=False))
    assert "+staged" in index_only["app.py"].diff and "unstaged" not in index_only["app.py"].diff
    committed = collect_changes(repo, compare_to="main", staged=False, unstaged=False)
    assert [c.path for c in committed.files] == ["feature.py"]
    assert [c.path for c in collect_changes(repo, compare_to="HEAD~1", staged=False, unstaged=False).files] == [
        "feature.py"
    ]
    sha = git(repo, "rev-parse", "main")
    assert collect_changes(repo, compare_to=sha[:10]).base == branch_point


@pytest.mark.parametrize(
    ("ref", "why"),
    [
        ("--output=/tmp/owned", "starts with '-'"),
        ("-p", "starts with '-'"),
        ("main..HEAD", "check-ref-format rejects it"),
        ("main@{1}", "check-ref-format rejects it"),
        ("HEAD:app.py", "check-ref-format rejects it"),
        ("main branch", "spaces or control characters"),
        ("", "it is empty"),
        ("no-such-branch", "does not name a commit"),
        ("x" * 300, "longer than 256"),
        ("~1", "no name before ~ or ^"),
    ],
)
def test_refs_that_are_not_plain_revisions_are_refused(repo: Path, ref: str, why: str) -> None:
    with pytest.raises(ToolError) as caught:
        collect_changes(repo, compare_to=ref)
    assert caught.value.code == "invalid_ref"
    assert why in caught.value.message
    assert not Path("/tmp/owned").exists()


# -- secrets and never-readable places ------------------------------------------------------------
def test_secret_files_and_credentials_in_a_diff_are_withheld(repo: Path) -> None:
    write(repo / ".env", "API_KEY=hunter2-very-secret\n")
    write(repo / "config" / "settings.py", f"DEBUG = True\nOPENAI_KEY = '{OPENAI_KEY}'\n")
    write(repo / "deploy" / "id_rsa", f"{PRIVATE_KEY}\nabc\n")
    write(repo / "notes" / "key.txt", f"{PRIVATE_KEY}\nabc\n")
    write(repo / "app.py", numbered(20) + "import os\nkey = os.environ['OPENAI_API_KEY']\n")
    git(repo, "add", "-A")
    write(repo / "untracked.env", "TOKEN=abc\n")

    changes = collect_changes(repo, untracked=True)
    files = by_path(changes)
    assert files[".env"].secret and files[".env"].diff == ""
    assert files[".env"].withheld == "secret file (matches '.env'), to protect credentials"
    assert files["deploy/id_rsa"].secret and "matches 'id_rsa'" in str(files["deploy/id_rsa"].withheld)
    assert files["untracked.env"].secret and files["untracked.env"].diff == ""
    settings = files["config/settings.py"]
    assert settings.secret and settings.diff == "" and settings.credential_lines == (2,)
    assert "credential-shaped value" in str(settings.withheld) and "line 2" in str(settings.withheld)
    assert files["notes/key.txt"].credential_lines == (1,)
    assert files["app.py"].sendable and not files["app.py"].secret  # reading a key from the environment is fine

    fitted = changes.fit(budget_tokens=10_000, count_tokens=words)
    assert fitted.included == ["app.py"]
    assert {n["path"] for n in fitted.not_sent} == {
        ".env",
        "config/settings.py",
        "deploy/id_rsa",
        "notes/key.txt",
        "untracked.env",
    }
    for leaked in ("hunter2", OPENAI_KEY, "abc\n", "TOKEN=abc"):
        assert leaked not in fitted.text
        assert all(leaked not in c.diff for c in changes.files)


def test_removing_a_credential_is_withheld_too_but_not_flagged_as_added(repo: Path) -> None:
    write(repo / "app.py", numbered(20) + f"KEY = '{OPENAI_KEY}'\n")
    git(repo, "commit", "-q", "-am", "oops")
    write(repo / "app.py", numbered(20))
    [change] = collect_changes(repo).files
    assert change.secret and change.diff == "" and change.credential_lines == ()


def test_credential_lines_are_new_file_line_numbers() -> None:
    diff = (
        "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -10,3 +10,4 @@ def f():\n"
        " context\n-old\n+new\n" + f"+KEY = '{OPENAI_KEY}'\n" + " tail\n"
    )
    assert credential_lines(diff) == (True, [12])
    assert credential_lines(diff.replace(OPENAI_KEY, "os.environ['KEY']")) == (False, [])
    assert credential_lines("@@ -1 +1 @@\n-" + PRIVATE_KEY + "\n+fine\n") == (True, [])


@pytest.mark.parametrize(
    "key",
    [
        "sk-ant-api03-" + "x" * 24,
        "AIza" + "B" * 35,
        "AKIA" + "ABCDEFGHIJKLMNOP",
        "ghp_" + "a" * 36,
        "github_pat_" + "b" * 30,
        "gsk_" + "c" * 24,
        "xai-" + "d" * 24,
        "zen_" + "e" * 24,
        OPENAI_KEY,
    ],
)
def test_every_key_shape_of_the_redaction_rules_is_found(key: str) -> None:
    assert credential_lines(f"@@ -1 +1,2 @@\n context\n+token = {key!r}\n") == (True, [2])


def test_files_in_never_readable_places_are_withheld(repo: Path) -> None:
    write(repo / "zen-config" / "models.yaml", "models: {}\n")
    git(repo, "add", "-A")
    reason = "Zen's own configuration directory; never readable through tools"
    [change] = collect_changes(repo, denied=[(repo / "zen-config", reason)]).files
    assert change.withheld == reason and change.diff == "" and not change.sendable


# -- checking the repository path ------------------------------------------------------------------
def test_the_repository_path_goes_through_the_file_rules(repo: Path, tmp_path: Path) -> None:
    outside = (tmp_path / "outside").resolve()
    outside.mkdir()
    git(outside, "init", "-q")
    (repo / "escape").symlink_to(outside, target_is_directory=True)
    cases = {
        str(outside): "outside_roots",
        str(repo / "escape"): "symlink_escape",
        "repo": "relative",
        str(repo / ".git"): "secret",
        str(repo / "missing"): "missing",
    }
    for raw, kind in cases.items():
        with pytest.raises(ToolError) as caught:
            check_repo(raw, roots=[repo])
        assert caught.value.code == "path_refused", raw
        assert [r["kind"] for r in caught.value.details["refused"]] == [kind], raw
    with pytest.raises(ToolError) as caught:
        check_repo(str(repo), roots=[repo], denied=[(repo, "Zen's own data directory")])
    assert caught.value.details["refused"][0]["kind"] == "denied"
    with pytest.raises(ToolError) as caught:
        check_repo(str(repo / "app.py"), roots=[repo])
    assert caught.value.code == "not_a_git_repository"
    assert check_repo(str(repo), roots=[repo]) == repo


def test_a_directory_that_is_no_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(ToolError) as caught:
        collect_changes(plain)
    assert caught.value.code == "not_a_git_repository" and str(plain) in caught.value.message


def test_the_callers_git_environment_is_ignored(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    write(repo / "app.py", numbered(21))
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))  # as when Zen runs inside a git hook
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    assert [c.path for c in collect_changes(repo).files] == ["app.py"]


def test_the_time_limit_is_enforced(repo: Path) -> None:
    with pytest.raises(ToolError) as caught:
        collect_changes(repo, timeout_s=0)
    assert caught.value.code == "git_timeout"


def test_a_repository_without_commits(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    git(fresh, "init", "-q")
    write(fresh / "first.py", "first = 1\n")
    git(fresh, "add", "first.py")
    changes = collect_changes(fresh)
    assert changes.head is None and [c.status for c in changes.files] == ["added"]
    assert "no commits yet" in changes.fit(budget_tokens=999, count_tokens=words).text


# -- fitting ---------------------------------------------------------------------------------------
def test_a_2mb_diff_is_left_out_with_its_exact_token_count(repo: Path) -> None:
    write(repo / "small.py", "small = 1\n")
    huge = "".join(f"generated_value_{i} = {i} * 7  # padding padding padding\n" for i in range(36_000))
    write(repo / "generated.py", huge)
    write(repo / "tail.py", "tail = 2\n")
    git(repo, "add", "-A")
    changes = collect_changes(repo)
    generated = by_path(changes)["generated.py"]
    assert len(generated.diff) > 2_000_000 and generated.sendable

    fitted = changes.fit(budget_tokens=500, count_tokens=words)
    assert fitted.included == ["small.py", "tail.py"]
    needed = words(format_change(generated)) + 1  # the block and the separator before it
    listing = fitted.text.split("\n\n--- BEGIN CHANGE")[0]  # generated.py comes first: only the listing was in
    assert fitted.excluded == [
        ExcludedFile(
            "generated.py",
            f"needs {needed:,} tokens but only {500 - words(listing)} of the 500-token budget were left",
            needed,
        )
    ]
    assert fitted.tokens == words(fitted.text) <= 500
    assert "generated_value_1 " not in fitted.text
    assert fitted.text.endswith(
        "Changes left out to fit the context window (their diffs are not shown to you):\n- generated.py"
    )
    assert "- added generated.py (staged, +36000 -0)" in fitted.text  # still listed

    roomy = changes.fit(budget_tokens=needed + 400, count_tokens=words)
    assert roomy.included == ["generated.py", "small.py", "tail.py"] and roomy.excluded == []


def test_a_file_over_the_size_limit_is_withheld(repo: Path) -> None:
    write(repo / "big.sql", "insert into t values (1);\n" * 2_000)
    git(repo, "add", "-A")
    [change] = collect_changes(repo, max_file_bytes=10_000).files
    assert change.diff == "" and change.withheld is not None and change.withheld.startswith("diff too large (")


def test_fitting_never_exceeds_the_budget(repo: Path) -> None:
    for i in range(12):
        write(repo / f"m{i:02}.py", numbered(5 + 9 * i, f"module {i} value"))
    git(repo, "add", "-A")
    changes = collect_changes(repo)
    sendable = [c.path for c in changes.files]
    for budget in (0, 10, 60, 150, 400, 900, 2_000, 5_000, 20_000):
        fitted = fit_changes(changes, budget_tokens=budget, count_tokens=words)
        assert words(fitted.text) == fitted.tokens <= budget, budget
        if fitted.text:
            assert sorted(fitted.included + [e.path for e in fitted.excluded]) == sorted(sendable), budget
            assert all(e.tokens and e.tokens > 0 for e in fitted.excluded)


def test_the_rendering_numbers_lines_of_the_new_file(repo: Path) -> None:
    write(repo / "app.py", numbered(20).replace("line 12\n", "line twelve\n"))
    [change] = collect_changes(repo).files
    assert format_change(change).splitlines() == [
        "--- BEGIN CHANGE: modified app.py (unstaged, +1 -1) ---",
        "@@ -9,7 +9,7 @@ line 8",
        " 9   line 9",
        "10   line 10",
        "11   line 11",
        "   - line 12",
        "12 + line twelve",
        "13   line 13",
        "14   line 14",
        "15   line 15",
        "--- END CHANGE: app.py ---",
    ]


# -- through ctx.files -----------------------------------------------------------------------------
async def test_files_git_changes_checks_the_callers_roots_first(repo: Path, tmp_path: Path) -> None:
    write(repo / "app.py", numbered(21))
    allowed = Files(FilePolicy(roots=(repo,)))
    changes = await allowed.git_changes(str(repo), staged=False)
    assert [c.path for c in changes.files] == ["app.py"]

    elsewhere = (tmp_path / "elsewhere").resolve()
    elsewhere.mkdir()
    with pytest.raises(ToolError) as caught:
        await Files(FilePolicy(roots=(elsewhere,))).git_changes(str(repo))
    assert caught.value.code == "path_refused" and "outside the allowed roots" in caught.value.message

    with pytest.raises(ToolError) as caught:
        await Files(FilePolicy(roots=(), off_reason="file access is off on this HTTP server")).git_changes(str(repo))
    assert caught.value.code == "file_access_off"


def test_a_long_listing_leaves_half_the_budget_to_the_diffs(repo: Path) -> None:
    for i in range(400):
        write(repo / "many" / f"file_{i:03}.py", f"value = {i}\n")
    git(repo, "add", "-A")
    changes = collect_changes(repo)
    fitted = changes.fit(budget_tokens=3_000, count_tokens=words)
    assert 0 < fitted.listed < 400 and fitted.tokens <= 3_000
    assert f"- … and {400 - fitted.listed} more changed files (not listed)" in fitted.text
    assert len(fitted.included) > 20  # diffs still got room
    assert len(fitted.included) + len(fitted.excluded) == 400
