"""A dataset's workspace folder: where it is, what goes where; naming it creates nothing."""

from __future__ import annotations

from pathlib import Path

from clonelab.recorder.workspace_folder import WorkspaceFolder


def _listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_the_default_folder_sits_beside_the_dataset_and_holds_takeover_clones_and_runs(
    tmp_path: Path
) -> None:
    (tmp_path / "demos").mkdir()
    folder = WorkspaceFolder.of(tmp_path / "demos")
    assert folder.path == tmp_path / "demos.clonelab"
    assert folder.takeover == tmp_path / "demos.clonelab" / "takeover"
    clone = folder.new_clone()
    assert clone.parent == folder.path / "clones" and clone.name.startswith("bc-")
    assert clone.suffix == ".pt"
    run = folder.new_run("airl")
    assert run.parent == folder.path / "runs" and run.name.startswith("airl-")
    assert _listing(tmp_path) == ["demos"]  # naming paths makes no folder


def test_under_a_root_datasets_of_the_same_name_get_their_own_folders(tmp_path: Path) -> None:
    root = tmp_path / "work"
    first = WorkspaceFolder.of(tmp_path / "a" / "demos", root)
    second = WorkspaceFolder.of(tmp_path / "b" / "demos", root)
    assert first.path.parent == root == second.path.parent
    assert first.path.name.startswith("demos-") and first.path.name.endswith(".clonelab")
    assert first.path != second.path
    assert WorkspaceFolder.of(tmp_path / "a" / "demos", root) == first  # stable
    assert not root.exists()


def test_an_older_versions_takeover_sibling_is_still_the_takeover_dataset(tmp_path: Path) -> None:
    legacy = tmp_path / "demos-takeover"
    (legacy / "data").mkdir(parents=True)
    folder = WorkspaceFolder.of(tmp_path / "demos")
    assert folder.legacy_takeover == legacy
    assert folder.takeover == legacy
    (folder.path / "takeover").mkdir(parents=True)  # once the new one exists, it wins
    assert folder.takeover == folder.path / "takeover"


def test_a_folder_that_merely_ends_in_takeover_is_not_taken_for_takeover_episodes(
    tmp_path: Path
) -> None:
    (tmp_path / "demos-takeover").mkdir()  # no dataset inside
    assert WorkspaceFolder.of(tmp_path / "demos").takeover == (
        tmp_path / "demos.clonelab" / "takeover")
