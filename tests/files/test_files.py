"""Unit tests of zen_core.context.files against real temporary files, directories and symlinks."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zen_core.context.files import (
    fit_files,
    format_file,
    is_secret,
    resolve_paths,
)


def words(text: str) -> int:
    return len(text.split())


@pytest.fixture
def root(tmp_path: Path) -> Path:
    base = tmp_path / "root"
    base.mkdir()
    return base.resolve()


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    other = tmp_path / "outside"
    other.mkdir()
    (other / "notes.txt").write_text("outside the root\n")
    return other.resolve()


def kinds(refused: list) -> dict[str, str]:
    return {r.path: r.kind for r in refused}


def test_plain_files_are_accepted_in_request_order_once(root: Path) -> None:
    a, b = root / "a.py", root / "b.py"
    a.write_text("print('a')\n")
    b.write_text("print('b')\n")
    accepted, refused = resolve_paths([str(b), str(a), str(b)], allowed_roots=[root])
    assert accepted == [b, a]
    assert refused == []


def test_relative_path_is_refused(root: Path) -> None:
    accepted, refused = resolve_paths(["src/app.py", "~/x.py"], allowed_roots=[root])
    assert accepted == []
    assert kinds(refused) == {"src/app.py": "relative", "~/x.py": "relative"}
    assert "absolute" in refused[0].reason


def test_missing_file_is_refused(root: Path) -> None:
    missing = str(root / "nope.py")
    accepted, refused = resolve_paths([missing], allowed_roots=[root])
    assert accepted == []
    assert kinds(refused) == {missing: "missing"}


def test_file_outside_roots_is_refused_with_the_fix(root: Path, outside: Path) -> None:
    path = str(outside / "notes.txt")
    _, refused = resolve_paths([path], allowed_roots=[root])
    assert kinds(refused) == {path: "outside_roots"}
    assert "files.allowed_roots" in refused[0].reason
    assert str(root) in refused[0].reason


def test_dotdot_cannot_escape_a_root(root: Path, outside: Path) -> None:
    path = f"{root}/../outside/notes.txt"
    accepted, refused = resolve_paths([path], allowed_roots=[root])
    assert accepted == []
    assert kinds(refused) == {path: "outside_roots"}


def test_symlink_to_outside_is_refused(root: Path, outside: Path) -> None:
    link = root / "link.txt"
    link.symlink_to(outside / "notes.txt")
    dir_link = root / "elsewhere"
    dir_link.symlink_to(outside, target_is_directory=True)
    accepted, refused = resolve_paths([str(link), str(dir_link / "notes.txt")], allowed_roots=[root])
    assert accepted == []
    assert set(kinds(refused).values()) == {"symlink_escape"}
    assert str(outside / "notes.txt") in refused[0].reason


def test_symlink_inside_roots_is_followed(root: Path) -> None:
    target = root / "real.py"
    target.write_text("x = 1\n")
    link = root / "alias.py"
    link.symlink_to(target)
    accepted, refused = resolve_paths([str(link)], allowed_roots=[root])
    assert accepted == [target]
    assert refused == []


def test_symlink_with_innocent_name_to_a_secret_is_refused(root: Path) -> None:
    (root / ".env").write_text("API_KEY=sk-secret\n")
    link = root / "settings.txt"
    link.symlink_to(root / ".env")
    accepted, refused = resolve_paths([str(link)], allowed_roots=[root])
    assert accepted == []
    assert kinds(refused) == {str(link): "secret"}


SECRETS = [
    ".env",
    ".env.local",
    "prod.env",
    ".npmrc",
    ".pypirc",
    ".netrc",
    "id_rsa",
    "id_ed25519.pub",
    "server.pem",
    "tls.key",
    ".aws/credentials",
    ".docker/config.json",
    "gcp-credentials.json",
    ".git/config",
    ".ssh/known_hosts",
    "secrets.yaml",
]


@pytest.mark.parametrize("name", SECRETS)
def test_secret_files_are_refused(root: Path, name: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("secret=1\n")
    accepted, refused = resolve_paths([str(path)], allowed_roots=[root])
    assert accepted == []
    assert kinds(refused) == {str(path): "secret"}, refused


@pytest.mark.parametrize("name", ["credentials.py", "secrets.py", "environment.md", "keyboard.txt", "monkey.py"])
def test_ordinary_files_with_secret_like_names_are_not_refused(name: str) -> None:
    assert is_secret(f"/src/{name}") is None


def test_secrets_can_be_allowed_explicitly(root: Path) -> None:
    env = root / ".env"
    env.write_text("A=1\n")
    accepted, _ = resolve_paths([str(env)], allowed_roots=[root], allow_secrets=True)
    assert accepted == [env]


def test_binary_file_is_skipped_with_a_note(root: Path) -> None:
    blob = root / "image.bin"
    blob.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    accepted, refused = resolve_paths([str(blob)], allowed_roots=[root])
    assert accepted == []
    assert kinds(refused) == {str(blob): "binary"}
    accepted, refused = resolve_paths([str(blob)], allowed_roots=[root], skip_binary=False)
    assert accepted == [blob]


def test_utf8_text_is_not_mistaken_for_binary(root: Path) -> None:
    text = root / "unicode.md"
    text.write_text("héllo — naïve ✓\n" * 2000, encoding="utf-8")
    accepted, _ = resolve_paths([str(text)], allowed_roots=[root])
    assert accepted == [text]


def test_too_large_file_is_refused(root: Path) -> None:
    big = root / "big.txt"
    big.write_text("x" * 2000)
    _, refused = resolve_paths([str(big)], allowed_roots=[root], max_file_bytes=1000)
    assert kinds(refused) == {str(big): "too_large"}
    assert "2,000 bytes" in refused[0].reason


def make_tree(base: Path, files: dict[str, str]) -> None:
    for rel, content in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


def test_directory_expansion_honours_gitignore_and_skips_noise(root: Path) -> None:
    project = root / "project"
    make_tree(
        project,
        {
            ".gitignore": "*.log\nbuild/\n!keep.log\n",
            "src/app.py": "app\n",
            "src/.gitignore": "generated.py\n",
            "src/generated.py": "gen\n",
            "src/util.py": "util\n",
            "debug.log": "log\n",
            "keep.log": "kept\n",
            "build/out.py": "out\n",
            "node_modules/pkg/index.js": "js\n",
            ".venv/lib/site.py": "venv\n",
            ".github/workflows/ci.yml": "ci\n",
            ".env": "SECRET=1\n",
            "README.md": "readme\n",
        },
    )
    (project / "logo.png").write_bytes(b"\x89PNG\x00\x00")
    accepted, refused = resolve_paths([str(project)], allowed_roots=[root])
    rel = [p.relative_to(project).as_posix() for p in accepted]
    assert rel == [".gitignore", "README.md", "keep.log", "src/.gitignore", "src/app.py", "src/util.py"]
    assert kinds(refused) == {str(project / ".env"): "secret", str(project / "logo.png"): "binary"}
    assert all(not r.requested for r in refused)


def test_repository_gitignore_applies_when_expanding_a_subdirectory(root: Path) -> None:
    repo = root / "repo"
    make_tree(repo, {".gitignore": "*.tmp\n", "pkg/mod.py": "m\n", "pkg/scratch.tmp": "t\n"})
    (repo / ".git").mkdir()
    accepted, _ = resolve_paths([str(repo / "pkg")], allowed_roots=[root])
    assert [p.name for p in accepted] == ["mod.py"]


def test_symlinked_file_inside_a_directory_that_escapes_is_refused(root: Path, outside: Path) -> None:
    project = root / "p"
    make_tree(project, {"a.py": "a\n"})
    (project / "leak.txt").symlink_to(outside / "notes.txt")
    accepted, refused = resolve_paths([str(project)], allowed_roots=[root])
    assert accepted == [project / "a.py"]
    assert kinds(refused) == {str(project / "leak.txt"): "symlink_escape"}


def test_file_limit_stops_expansion_with_one_note(root: Path) -> None:
    make_tree(root / "many", {f"f{i:02}.txt": "x\n" for i in range(10)})
    accepted, refused = resolve_paths([str(root / "many")], allowed_roots=[root], max_files=3)
    assert len(accepted) == 3
    assert [r.kind for r in refused] == ["limit"]


def test_directories_refused_when_expansion_is_off(root: Path) -> None:
    _, refused = resolve_paths([str(root)], allowed_roots=[root], expand_dirs=False)
    assert [r.kind for r in refused] == ["unreadable"]


def test_server_roots_from_yaml_list_or_comma_separated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from zen_core.context.policy import default_roots, file_policy
    from zen_core.settings import Settings

    config = tmp_path / "config"
    config.mkdir()
    (config / "files.yaml").write_text(f"files:\n  allowed_roots: [{tmp_path / 'from-yaml'}, relative/dir]\n")
    assert file_policy(Settings(config), transport="http").roots == ((tmp_path / "from-yaml").resolve(),)
    monkeypatch.setenv("ZEN_FILES__ALLOWED_ROOTS", f"{tmp_path / 'x'}, {tmp_path / 'y'}")
    both = ((tmp_path / "x").resolve(), (tmp_path / "y").resolve())
    assert file_policy(Settings(config), transport="http").roots == both
    monkeypatch.setenv("ZEN_FILES__ALLOWED_ROOTS", "relative/only")
    assert file_policy(Settings(config), transport="stdio").roots == tuple(default_roots())
    assert not file_policy(Settings(config), transport="http").enabled


# -- fit_files ---------------------------------------------------------------------------------
def test_files_within_budget_are_all_embedded(root: Path) -> None:
    a, b = root / "a.py", root / "b.py"
    a.write_text("alpha beta\n")
    b.write_text("gamma\n")
    ctx = fit_files([a, b], budget_tokens=1000, count_tokens=words)
    assert ctx.included == [str(a), str(b)]
    assert ctx.excluded == []
    assert "--- BEGIN FILE: " + str(a) in ctx.text
    assert "1| alpha beta" in ctx.text
    assert ctx.text.index(str(a)) < ctx.text.index(str(b))
    assert ctx.tokens <= 1000


def test_files_over_budget_are_reported_exactly(root: Path) -> None:
    new, big, small = root / "new.py", root / "big.py", root / "small.py"
    new.write_text("one two three\n")
    big.write_text("word " * 200 + "\n")
    small.write_text("tiny\n")
    new_cost = words(format_file(new, new.read_text()))
    big_cost = words(format_file(big, big.read_text()))
    budget = new_cost + 30
    ctx = fit_files([new, big, small], budget_tokens=budget, count_tokens=words)
    assert ctx.included == [str(new), str(small)]
    [excluded] = ctx.excluded
    assert excluded.path == str(big)
    assert excluded.tokens == big_cost + 1
    assert excluded.reason == (
        f"needs {big_cost + 1:,} tokens but only {budget - new_cost:,} of the {budget:,}-token file budget were left"
    )


def test_unreadable_file_is_excluded_with_reason(root: Path) -> None:
    ctx = fit_files([root / "gone.py"], budget_tokens=100, count_tokens=words)
    assert ctx.included == []
    assert ctx.excluded[0].reason.startswith("cannot read")


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.integers(min_value=0, max_value=60), max_size=8), budget=st.integers(0, 200))
def test_fit_never_exceeds_budget_and_accounts_for_every_file(
    tmp_path_factory: pytest.TempPathFactory, sizes: list[int], budget: int
) -> None:
    base = tmp_path_factory.mktemp("fit")
    paths = []
    for i, size in enumerate(sizes):
        path = base / f"f{i}.txt"
        path.write_text("w " * size)
        paths.append(path)
    ctx = fit_files(paths, budget_tokens=budget, count_tokens=words)
    assert words(ctx.text) <= ctx.tokens <= budget
    assert sorted(ctx.included + [e.path for e in ctx.excluded]) == sorted(str(p) for p in paths)


def test_a_callers_file_rules_are_worked_out_once_and_only_when_used(root: Path) -> None:
    """Working the rules out costs file-system calls (realpath of every never-readable path); most tool
    calls read no file, so ``ctx.files`` defers it to first use."""
    from zen_core.context.access import Files
    from zen_core.context.policy import FilePolicy

    worked_out: list[FilePolicy] = []

    def rules() -> FilePolicy:
        worked_out.append(FilePolicy(roots=(root,)))
        return worked_out[-1]

    files = Files(rules)
    assert worked_out == []
    assert files.enabled and files.roots == (root,)
    assert files.resolve([str(root / "nothing-here.txt")]).refused
    assert len(worked_out) == 1
