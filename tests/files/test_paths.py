"""resolve_paths: invalid paths, containment, denied paths and the skipped-files listing (real files in tmp_path)."""

from __future__ import annotations

from pathlib import Path

import pytest

from zen_core.context.files import RefusedPath, resolve_paths


@pytest.fixture
def root(tmp_path: Path) -> Path:
    base = tmp_path / "root"
    base.mkdir()
    return base.resolve()


def kinds(refused: list[RefusedPath]) -> dict[str, str]:
    return {r.path: r.kind for r in refused}


# -- invalid paths -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("{root}/a\x00b.py", "NUL"),
        ("", "empty"),
        ("/" + "d/" * 2100 + "f.py", "4,096"),
        ("{root}/" + "n" * 300 + ".py", "255"),
    ],
    ids=["nul", "empty", "overlong", "long-component"],
)
def test_invalid_paths_are_refused_not_raised(root: Path, raw: str, words: str) -> None:
    (root / "ok.py").write_text("ok = 1\n")
    path = raw.format(root=root)
    accepted, refused = resolve_paths([path, str(root / "ok.py")], allowed_roots=[root])
    assert accepted == [root / "ok.py"]
    [refusal] = refused
    assert refusal.kind == "invalid"
    assert refusal.requested
    assert words in refusal.reason
    assert "\x00" not in refusal.reason
    assert len(refusal.path) <= 300  # an overlong path is shown shortened


def test_invalid_path_inside_an_expanded_directory_never_raises(root: Path) -> None:
    project = root / "p"
    project.mkdir()
    (project / "a.py").write_text("a = 1\n")
    accepted, refused = resolve_paths([str(project), "x\x00"], allowed_roots=[root])
    assert accepted == [project / "a.py"]
    assert kinds(refused) == {"x\\x00": "invalid"}


# -- containment -------------------------------------------------------------------------------
def test_root_is_not_a_string_prefix_of_its_neighbour(tmp_path: Path) -> None:
    """A containment check by string prefix would admit /tmp/x/ab/file for root /tmp/x/a."""
    base = tmp_path.resolve() / "x"
    (base / "a").mkdir(parents=True)
    (base / "ab").mkdir()
    inside, neighbour = base / "a" / "file", base / "ab" / "file"
    inside.write_text("in\n")
    neighbour.write_text("out\n")
    accepted, refused = resolve_paths([str(inside), str(neighbour)], allowed_roots=[base / "a"])
    assert accepted == [inside]
    assert kinds(refused) == {str(neighbour): "outside_roots"}


def test_root_given_with_a_trailing_slash_is_not_a_prefix_either(tmp_path: Path) -> None:
    base = tmp_path.resolve() / "x"
    (base / "a").mkdir(parents=True)
    (base / "a-evil").mkdir()
    (base / "a-evil" / "f.py").write_text("evil\n")
    accepted, refused = resolve_paths([str(base / "a-evil" / "f.py")], allowed_roots=[f"{base / 'a'}/"])
    assert accepted == []
    assert [r.kind for r in refused] == ["outside_roots"]


def test_dotdot_segments_are_resolved_before_the_root_check(root: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("outside\n")
    (root / "sub").mkdir()
    (root / "sub" / "in.py").write_text("in\n")
    escaping = f"{root}/sub/../../secret.txt"
    staying = f"{root}/sub/../sub/./in.py"
    accepted, refused = resolve_paths([escaping, staying], allowed_roots=[root])
    assert accepted == [root / "sub" / "in.py"]
    assert kinds(refused) == {escaping: "outside_roots"}


def test_dotdot_through_a_symlinked_directory_follows_the_link(root: Path, tmp_path: Path) -> None:
    """``link/..`` is the link target's parent (as the kernel resolves it), not the directory holding the link."""
    deep = tmp_path / "elsewhere" / "deep"
    deep.mkdir(parents=True)
    (tmp_path / "elsewhere" / "loot.txt").write_text("outside\n")
    (root / "link").symlink_to(deep, target_is_directory=True)
    (root / "loot.txt").write_text("inside\n")
    path = f"{root}/link/../loot.txt"
    accepted, refused = resolve_paths([path], allowed_roots=[root])
    assert accepted == []
    assert kinds(refused) == {path: "symlink_escape"}
    assert str((tmp_path / "elsewhere" / "loot.txt").resolve()) in refused[0].reason


def test_symlink_chain_leaving_the_root_is_refused(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("outside\n")
    (root / "hop2").symlink_to(outside)
    (root / "hop1").symlink_to(root / "hop2")
    accepted, refused = resolve_paths([str(root / "hop1")], allowed_roots=[root])
    assert accepted == []
    assert kinds(refused) == {str(root / "hop1"): "symlink_escape"}
    assert str(outside.resolve()) in refused[0].reason


def test_symlinked_directory_inside_an_expanded_tree_is_not_entered(root: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "loot.py").write_text("outside\n")
    project = root / "p"
    project.mkdir()
    (project / "a.py").write_text("a\n")
    (project / "door").symlink_to(elsewhere, target_is_directory=True)
    accepted, refused = resolve_paths([str(project)], allowed_roots=[root])
    assert accepted == [project / "a.py"]
    assert refused == []


def test_root_that_is_a_symlink_is_resolved(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "f.py").write_text("f\n")
    alias = tmp_path / "alias"
    alias.symlink_to(real, target_is_directory=True)
    accepted, refused = resolve_paths([str(alias / "f.py")], allowed_roots=[alias])
    assert accepted == [(real / "f.py").resolve()]
    assert refused == []


# -- denied paths ------------------------------------------------------------------------------
DENIED = "Zen's own data directory; never readable through tools"


@pytest.fixture
def data(root: Path) -> Path:
    """A denied directory inside the allowed root, with files that would otherwise be accepted."""
    directory = root / "zen-data"
    directory.mkdir()
    (directory / "threads.db").write_text("conversation\n")
    (directory / "notes.md").write_text("notes\n")
    return directory


def test_named_file_in_a_denied_directory_is_refused_with_the_given_reason(root: Path, data: Path) -> None:
    path = str(data / "notes.md")
    accepted, refused = resolve_paths([path], allowed_roots=[root], denied=[(data, DENIED)])
    assert accepted == []
    assert kinds(refused) == {path: "denied"}
    assert refused[0].reason == DENIED
    assert refused[0].requested


def test_denied_directory_itself_is_refused(root: Path, data: Path) -> None:
    accepted, refused = resolve_paths([str(data)], allowed_roots=[root], denied=[(str(data), DENIED)])
    assert accepted == []
    assert kinds(refused) == {str(data): "denied"}


def test_denied_is_checked_before_every_other_rule(root: Path, tmp_path: Path, data: Path) -> None:
    """A secret, a missing file and a file outside the roots in a denied directory are all refused as denied."""
    (data / ".env").write_text("A=1\n")
    outside = tmp_path / "zen-logs"
    outside.mkdir()
    (outside / "server.log").write_text("log\n")
    paths = [str(data / ".env"), str(data / "missing.py"), str(outside / "server.log")]
    accepted, refused = resolve_paths(
        paths, allowed_roots=[root], denied=[(data, DENIED), (outside, "Zen's log directory")]
    )
    assert accepted == []
    assert kinds(refused) == dict.fromkeys(paths, "denied")
    assert [r.reason for r in refused] == [DENIED, DENIED, "Zen's log directory"]


def test_denied_applies_to_the_real_path_after_symlinks(root: Path, data: Path) -> None:
    (root / "innocent.md").symlink_to(data / "notes.md")
    (root / "door").symlink_to(data, target_is_directory=True)
    paths = [str(root / "innocent.md"), str(root / "door" / "threads.db")]
    accepted, refused = resolve_paths(paths, allowed_roots=[root], denied=[(data, DENIED)])
    assert accepted == []
    assert kinds(refused) == dict.fromkeys(paths, "denied")


def test_denied_path_given_through_a_symlink_is_resolved(root: Path, tmp_path: Path, data: Path) -> None:
    alias = tmp_path / "data-alias"
    alias.symlink_to(data, target_is_directory=True)
    path = str(data / "notes.md")
    _, refused = resolve_paths([path], allowed_roots=[root], denied=[(alias, DENIED)])
    assert kinds(refused) == {path: "denied"}


def test_a_denied_file(root: Path, data: Path) -> None:
    accepted, refused = resolve_paths(
        [str(data / "notes.md"), str(data / "threads.db")],
        allowed_roots=[root],
        denied=[(data / "threads.db", "Zen's conversation store")],
    )
    assert accepted == [data / "notes.md"]
    assert kinds(refused) == {str(data / "threads.db"): "denied"}


def test_denied_directory_is_not_entered_during_expansion(root: Path, data: Path) -> None:
    (root / "app.py").write_text("app\n")
    (data / "nested").mkdir()
    (data / "nested" / "more.md").write_text("more\n")
    accepted, refused = resolve_paths([str(root)], allowed_roots=[root], denied=[(data, DENIED)])
    assert accepted == [root / "app.py"]
    assert [(r.path, r.kind, r.reason, r.requested) for r in refused] == [(str(data), "denied", DENIED, False)]


def test_file_found_by_expansion_that_links_into_a_denied_directory_is_refused(root: Path, data: Path) -> None:
    project = root / "project"
    project.mkdir()
    (project / "a.py").write_text("a\n")
    (project / "shortcut.md").symlink_to(data / "notes.md")
    accepted, refused = resolve_paths([str(project)], allowed_roots=[root], denied=[(data, DENIED)])
    assert accepted == [project / "a.py"]
    assert kinds(refused) == {str(project / "shortcut.md"): "denied"}
    assert not refused[0].requested


def test_sibling_with_a_common_prefix_is_not_denied(root: Path, data: Path) -> None:
    sibling = root / "zen-data-export"
    sibling.mkdir()
    (sibling / "x.md").write_text("x\n")
    accepted, refused = resolve_paths([str(sibling / "x.md")], allowed_roots=[root], denied=[(data, DENIED)])
    assert accepted == [sibling / "x.md"]
    assert refused == []


# -- the skipped-files listing -----------------------------------------------------------------
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


def test_skipped_files_of_an_expansion_are_listed_up_to_a_cap_then_counted_by_kind(root: Path) -> None:
    project = root / "assets"
    project.mkdir()
    for i in range(1200):
        (project / f"img{i:04}.png").write_bytes(PNG)
    for i in range(3):
        (project / f"zz{i}.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    (project / "main.py").write_text("main\n")
    accepted, refused = resolve_paths([str(project)], allowed_roots=[root])
    assert accepted == [project / "main.py"]
    listed, summary = refused[:50], refused[50:]
    assert [r.path for r in listed] == [str(project / f"img{i:04}.png") for i in range(50)]
    assert [(r.path, r.kind, r.reason, r.requested) for r in summary] == [
        (str(project), "binary", "+1,150 more binary files skipped", False),
        (str(project), "secret", "+3 more files that look like secrets skipped", False),
    ]


def test_the_cap_is_a_parameter_and_applies_to_the_whole_call(root: Path) -> None:
    for name in ("a", "b"):
        (root / name).mkdir()
        for i in range(4):
            (root / name / f"{i}.bin").write_bytes(PNG)
    _, refused = resolve_paths([str(root / "a"), str(root / "b")], allowed_roots=[root], max_listed_skips=3)
    assert [(Path(r.path).relative_to(root).as_posix(), r.reason) for r in refused] == [
        ("a/0.bin", "binary file, skipped (only text files are sent)"),
        ("a/1.bin", "binary file, skipped (only text files are sent)"),
        ("a/2.bin", "binary file, skipped (only text files are sent)"),
        ("a", "+1 more binary files skipped"),
        ("b", "+4 more binary files skipped"),
    ]


def test_files_named_by_the_caller_are_always_listed(root: Path) -> None:
    named = []
    for i in range(60):
        path = root / f"named{i}.bin"
        path.write_bytes(PNG)
        named.append(str(path))
    (root / "dir").mkdir()
    for i in range(60):
        (root / "dir" / f"found{i}.bin").write_bytes(PNG)
    _, refused = resolve_paths([*named, str(root / "dir")], allowed_roots=[root])
    assert [r.path for r in refused if r.requested] == named
    expansion = [r for r in refused if not r.requested]
    assert len(expansion) == 51
    assert expansion[-1].reason == "+10 more binary files skipped"


def test_the_file_limit_note_is_listed_even_past_the_cap(root: Path) -> None:
    (root / "d").mkdir()
    for i in range(5):
        (root / "d" / f"{i}.bin").write_bytes(PNG)
    for i in range(5):
        (root / "d" / f"t{i}.txt").write_text("t\n")
    accepted, refused = resolve_paths([str(root / "d")], allowed_roots=[root], max_listed_skips=2, max_files=3)
    assert len(accepted) == 3
    assert [r.kind for r in refused] == ["binary", "binary", "limit", "binary"]
    assert refused[-1].reason == "+3 more binary files skipped"


# -- expansion cost ----------------------------------------------------------------------------
def test_expanding_a_wide_tree_honours_its_gitignore(root: Path) -> None:
    """A wide tree (its expansion time is a figure of `make bench`: bench/bench_files.py)."""
    project = root / "wide"
    for d in range(300):
        (project / f"d{d:03}").mkdir(parents=True)
        for f in range(10):
            (project / f"d{d:03}" / f"f{f}.py").write_text("x\n")
    (project / ".gitignore").write_text("d000/f0.py\n")
    accepted, _ = resolve_paths([str(project)], allowed_roots=[root], max_files=5000)
    assert len(accepted) == 2999 + 1  # every file but the ignored one, and the .gitignore
    assert project / "d000" / "f0.py" not in accepted
