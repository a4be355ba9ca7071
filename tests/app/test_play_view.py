"""PlayView: keyboard play recorded into a real dataset, review, remapping, bad input."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from clonelab.app.play.play_view import PlayView
from clonelab.app.play.qt_keys import qt_key
from clonelab.recorder.catalog import EnvBuildError
from clonelab.recorder.dataset import DatasetError, DemoDataset

KEY_RIGHT, KEY_LEFT = Qt.Key.Key_Right, Qt.Key.Key_Left


def error_boxes(view: PlayView) -> list[str]:
    return [box.text() for box in view.window().findChildren(QMessageBox) if box.isVisible()]


def play_until_over(qtbot, view: PlayView, pattern: list[int | None]) -> list[int]:
    """Step once per entry: a Qt key held for that step (None: nothing); hold right at the end.

    Returns the actions the keys map to, per step, for comparison with the recording."""
    keymap = view.entry.keyboard
    expected: list[int] = []
    for key in pattern:
        if key is not None:
            qtbot.keyPress(view, key)
        view.step_once()
        if key is not None:
            qtbot.keyRelease(view, key)
        held = [] if key is None else [
            name for name in keymap.bound_names if qt_key(name) == int(key)]
        expected.append(keymap.action(held))
    qtbot.keyPress(view, KEY_RIGHT)
    while view.pending_episode is None:
        view.step_once()
        expected.append(keymap.action(["right"]))
    qtbot.keyRelease(view, KEY_RIGHT)
    return expected


def recording_view(make_view, tmp_path) -> tuple[PlayView, object]:
    view = make_view("CartPole-v1")
    path = tmp_path / "demos"
    assert view.create_dataset(path)
    assert view.set_recording(True)
    return view, path


def test_keyboard_play_records_the_pressed_actions(qtbot, make_view, tmp_path):
    view, path = recording_view(make_view, tmp_path)
    assert view.frame.is_recording()
    expected = play_until_over(qtbot, view, [KEY_LEFT, KEY_LEFT, None, KEY_RIGHT, KEY_LEFT])
    assert "K: keep" in view.frame.banner() and view.review.isVisible()
    view.review.set_tags("good, keyboard")
    view.review.set_notes("first try")
    with qtbot.waitSignal(view.committer.committed, timeout=10_000) as committed:
        qtbot.keyClick(view, Qt.Key.Key_K)  # K keeps, off the UI thread
    assert view.pending_episode is None and not view.review.isVisible()

    dataset = DemoDataset.open(path)
    episode_id = committed.args[0]
    assert dataset.episode_ids == (episode_id,)
    episode = dataset.load_episode(episode_id)
    assert episode.actions.tolist() == expected
    assert expected[:5] == [0, 0, 0, 1, 0]
    assert set(episode.devices) == {"keyboard"} and set(episode.actors) == {"human"}
    info = dataset.episode_info(episode_id)
    assert info.tags == ("good", "keyboard") and info.notes == "first try"


def test_a_tap_between_ticks_still_counts(qtbot, make_view):
    view = make_view("CartPole-v1")
    qtbot.keyClick(view, KEY_RIGHT)  # press and release before the step
    view.step_once()
    view.step_once()
    actions = view.loop.session.finish_episode().actions.tolist()
    assert actions == [1, 0]


def test_wait_for_input_advances_only_on_keys(qtbot, make_view):
    view = make_view("CartPole-v1")
    view.set_wait_for_input(True)
    steps = []
    view.loop.stepped.connect(steps.append)
    view.toggle_pause()
    qtbot.wait(300)
    assert steps == [] and view.loop.running
    qtbot.keyClick(view, KEY_LEFT)
    qtbot.waitUntil(lambda: len(steps) == 1, timeout=5000)
    qtbot.wait(200)
    assert len(steps) == 1
    assert "Wait for input" in "\n".join(view.frame.hud())


def test_discard_and_delete_last_leave_the_dataset_empty(qtbot, make_view, tmp_path):
    view, path = recording_view(make_view, tmp_path)
    play_until_over(qtbot, view, [])
    qtbot.keyClick(view, Qt.Key.Key_D)
    assert view.pending_episode is None
    assert len(DemoDataset.open(path)) == 0

    play_until_over(qtbot, view, [])
    with qtbot.waitSignal(view.committer.committed, timeout=10_000):
        view.keep_episode()
    assert len(DemoDataset.open(path)) == 1
    assert view.actions.delete_last.isEnabled()
    view.actions.delete_last.trigger()
    assert not view.actions.delete_last.isEnabled()
    view._workspace.deletions.commit()  # the undo window closes
    assert len(DemoDataset.open(path)) == 0


def test_a_failed_commit_keeps_the_episode_for_retry(qtbot, make_view, tmp_path, monkeypatch):
    view, path = recording_view(make_view, tmp_path)
    expected = play_until_over(qtbot, view, [KEY_LEFT])
    real_append = DemoDataset.append
    monkeypatch.setattr(DemoDataset, "append", lambda *a, **k: (_ for _ in ()).throw(
        DatasetError(path, "disk full")))
    with qtbot.waitSignal(view.committer.failed, timeout=10_000):
        view.keep_episode()
    assert any("disk full" in text for text in error_boxes(view))
    assert len(view.committer.failed_jobs) == 1 and view.actions.retry.isEnabled()

    monkeypatch.setattr(DemoDataset, "append", real_append)
    with qtbot.waitSignal(view.committer.committed, timeout=10_000):
        view.actions.retry.trigger()
    episode = DemoDataset.open(path).load_episode(0)
    assert episode.actions.tolist() == expected


def test_recording_into_a_corrupt_dataset_says_so(qtbot, make_view, tmp_path):
    broken = tmp_path / "broken"
    (broken / "data").mkdir(parents=True)
    (broken / "data" / "metadata.json").write_text("{ not json")
    view = make_view("CartPole-v1")
    view._workspace.select_dataset(broken)
    assert not view.set_recording(True)
    assert not view.recording and not view.frame.is_recording()
    assert any(str(broken) in text for text in error_boxes(view))


def test_new_datasets_carry_the_operator(make_view, settings, tmp_path):
    settings.operator = "ada"
    view = make_view("CartPole-v1")
    assert view.create_dataset(tmp_path / "by-ada")
    assert DemoDataset.open(tmp_path / "by-ada").operator == "ada"
    assert view._workspace.dataset_path == tmp_path / "by-ada"


def test_recording_without_a_dataset_asks_for_one(qtbot, make_view):
    view = make_view("CartPole-v1")
    with qtbot.waitSignal(view.recorder.dataset_needed, timeout=1000):
        assert not view.set_recording(True)


def test_rebinding_a_key_plays_and_is_remembered(qtbot, make_view, settings):
    view = make_view("CartPole-v1")
    view.controls.select_key("right")
    view.controls._on_rebind_key_clicked()
    qtbot.keyClick(view, Qt.Key.Key_L)  # the next key press is the new binding
    assert "'right' is now 'l'" in view.controls.message()
    qtbot.keyPress(view, Qt.Key.Key_L)
    view.step_once()
    qtbot.keyRelease(view, Qt.Key.Key_L)
    assert view.loop.session.finish_episode().actions.tolist() == [1]

    again = make_view("CartPole-v1")  # same settings: the map comes back
    assert "l" in again.entry.keyboard.bound_names
    assert "right" not in again.entry.keyboard.bound_names

    again.controls.restore_defaults()
    assert again.source.keyboard_map.action(["right"]) == 1
    assert settings.control_map("CartPole-v1") is None


def test_rebinding_onto_a_bound_key_is_refused_inline(qtbot, make_view):
    view = make_view("CartPole-v1")
    view.controls.select_key("right")
    view.controls._on_rebind_key_clicked()
    qtbot.keyClick(view, KEY_LEFT)
    assert "already bound" in view.controls.message()
    assert view.entry.keyboard.action(["right"]) == 1


def test_the_hud_tells_step_return_rate_and_who_plays(qtbot, make_view):
    view = make_view("CartPole-v1")
    view.step_once()
    view.step_once()
    hud = "\n".join(view.frame.hud())
    assert "Episode 1   Step 2   Return 2.00" in hud
    assert "/ 30" in hud and "Control: human (keyboard)" in hud
    assert view.frame.frame_size() is not None
    view.set_speed(2.0)
    assert "Speed 2x" in "\n".join(view.frame.hud()) and view.loop.target_fps == 60


def test_turn_based_envs_wait_for_input(qtbot, make_view):
    view = make_view("MiniGrid-Empty-5x5-v0")
    assert view.loop.wait_for_input and view.loop.running
    frame = view.frame.frame_size()
    assert frame is not None and frame.width() == frame.height()
    steps = []
    view.loop.stepped.connect(steps.append)
    qtbot.keyClick(view, Qt.Key.Key_Up)  # forward
    qtbot.waitUntil(lambda: len(steps) == 1, timeout=5000)
    assert np.asarray(view.loop.session.finish_episode().actions).tolist() == [2]


def test_an_env_that_fails_to_build_is_a_message(qtbot, make_view, monkeypatch):
    view = make_view("CartPole-v1")

    def failing(env_id, **kwargs):
        raise EnvBuildError(f"cannot build environment {env_id!r}: Box2D is missing")

    monkeypatch.setattr("clonelab.app.play.play_view.make_env", failing)
    view._workspace.select_env("LunarLander-v3")
    assert any("Box2D is missing" in text for text in error_boxes(view))
    assert view.entry.env_id == "CartPole-v1" and view._workspace.env_id == "CartPole-v1"
    view.step_once()  # the old env still plays
    assert view.loop.session.steps == 1
