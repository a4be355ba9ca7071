"""The Takeover tab with a scripted person at the keys: human-gated DAgger and ask-for-help.

The stand-in human is `models.failures.takeover.ScriptedHuman` around CartPole's scripted expert;
the
test turns its choices into real key presses on the view (Shift to take over, left/right to
drive), so the view's key handling, its loop, the dataset commit and the retraining all run.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from clonelab.app.play.qt_keys import qt_key
from clonelab.app.takeover.takeover_form import TakeoverSettings, takeover_hint
from clonelab.app.takeover.takeover_loop import takeovers
from clonelab.app.takeover.takeover_view import TakeoverView
from clonelab.app.window.workspace import Workspace
from clonelab.models.failures.ensemble import EnsembleConfig
from clonelab.models.failures.takeover import HumanGate, ScriptedHuman, intervention_flags
from clonelab.models.failures.takeover_training import TAKEOVER_ROUNDS, takeover_path
from clonelab.models.training import TrainConfig
from clonelab.recorder.catalog import make_env
from clonelab.recorder.experts import make_expert
from clonelab.recorder.gamepad import GamepadState
from clonelab.recorder.takeover_human import TAKEOVER_BUTTON, TAKEOVER_KEY
from tests.app.demo_data import expert_dataset, workspace_on

ENV_ID = "CartPole-v1"
ACTION_KEYS = {0: "left", 1: "right"}  # CartPole's catalog keys
TRAIN_TIMEOUT_MS = 60_000


class KeyDriver:
    """Presses and releases real keys on the view so its held keys match a wanted set."""

    def __init__(self, qtbot: QtBot, view: TakeoverView) -> None:
        self.qtbot, self.view = qtbot, view
        self.held: set[str] = set()

    def hold(self, wanted: set[str]) -> None:
        for name in sorted(self.held - wanted):
            self.qtbot.keyRelease(self.view, _QT_KEYS[name])
        for name in sorted(wanted - self.held):
            self.qtbot.keyPress(self.view, _QT_KEYS[name])
        self.held = set(wanted)


_QT_KEYS = {"left": Qt.Key.Key_Left, "right": Qt.Key.Key_Right, "shift": Qt.Key.Key_Shift}


def _tilted(observation: np.ndarray) -> bool:
    return abs(float(observation[2])) > 0.05


def _view(qtbot: QtBot, tmp_path: Path, settings: TakeoverSettings) -> TakeoverView:
    expert_dataset(tmp_path / "demos", ENV_ID, seeds=(0, 1), max_steps=None)
    state = workspace_on(tmp_path / "demos", ENV_ID)
    view = TakeoverView(state)
    qtbot.addWidget(view)
    view.configure(settings)
    with qtbot.waitSignal(view.retrained, timeout=TRAIN_TIMEOUT_MS):
        view.prepare()
    return view


def _settings(mode: str, *, epochs: int, members: int = 2, pause_on_request: bool = True,
              countdown: int = 0, **changes: object) -> TakeoverSettings:
    train = TrainConfig(epochs=epochs, batch_size=64, hidden=(32, 32), seed=0, device="cpu",
                        log_every=10**6)
    rounds = replace(TAKEOVER_ROUNDS, ensemble=EnsembleConfig(members=members, train=train),
                     **changes)
    return TakeoverSettings(mode=mode, rounds=rounds, pause_on_request=pause_on_request,
                            countdown=countdown)


def _play_round(view: TakeoverView, human: ScriptedHuman, keys: KeyDriver, *,
                gate: bool) -> list[list[bool]]:
    """Play one round step by step; returns, per episode, whether Shift was held at each step."""
    finished: list[int] = []
    view.round_finished.connect(lambda index, _counts: finished.append(index))
    shift_held: list[list[bool]] = []
    while not finished:
        if not view.loop.in_episode:
            view.step_once()  # starts the next episode
            shift_held.append([])
            continue
        observation = view.loop.observation
        wanted = {ACTION_KEYS[int(human.act(observation))]}
        if gate and human.wants_control(observation):
            wanted.add(TAKEOVER_KEY)
        keys.hold(wanted)
        steps_before = view.loop.session.steps
        view.step_once()
        if view.loop.in_episode and view.loop.session.steps == steps_before:
            continue  # paused at a help request: nothing stepped
        shift_held[-1].append(TAKEOVER_KEY in keys.held)
    return shift_held


def test_held_shift_takes_over_and_the_takeover_steps_become_human_labels(
    qtbot: QtBot, tmp_path: Path
) -> None:
    view = _view(qtbot, tmp_path, _settings("gate", epochs=2, episodes_per_round=2,
                                             max_episode_steps=120))
    first = view.loop.controller
    env = make_env(ENV_ID)
    human = ScriptedHuman(make_expert(env), looks_bad=_tilted)
    keys = KeyDriver(qtbot, view)
    with qtbot.waitSignal(view.retrained, timeout=TRAIN_TIMEOUT_MS) as signal:
        shift_held = _play_round(view, human, keys, gate=True)
    env.close()
    keys.hold(set())

    stored = view.takeovers
    assert stored is not None and len(stored) == 2
    assert takeover_path(tmp_path / "demos").exists()
    for episode_id, held in zip(stored.episode_ids, shift_held, strict=True):
        episode = stored.load_episode(episode_id)
        flags = intervention_flags(episode)
        assert flags.tolist() == held  # human exactly where Shift was held, agent elsewhere
        assert set(episode.actors) == {"human", "agent"}
        assert "round=0" in stored.episode_info(episode_id).tags
    human_steps = sum(sum(held) for held in shift_held)
    assert human_steps > 0
    assert signal.args[0].labels == human_steps
    assert view.round == 1
    assert view.plot.round_means() == [np.mean([takeovers(np.array(h)) for h in shift_held])]

    view.step_once()  # play resumes with the retrained clone
    assert isinstance(view.loop.controller, HumanGate) and view.loop.controller is not first
    assert view.loop.controller.agent is signal.args[0].ensemble


def test_the_clone_asks_for_help_less_as_rounds_go_on(qtbot: QtBot, tmp_path: Path) -> None:
    view = _view(qtbot, tmp_path, _settings("ask", epochs=8, episodes_per_round=3,
                                             max_episode_steps=200))
    env = make_env(ENV_ID)
    human = ScriptedHuman(make_expert(env))
    keys = KeyDriver(qtbot, view)
    requested: list[object] = []
    view.loop.help_requested.connect(requested.append)
    for _round in range(2):
        with qtbot.waitSignal(view.retrained, timeout=TRAIN_TIMEOUT_MS):
            _play_round(view, human, keys, gate=False)
    _play_round(view, human, keys, gate=False)  # the last round's retraining is not needed
    env.close()

    means = view.plot.round_means()
    assert len(means) == 3 and means[0] >= 1.0
    assert means[-1] <= 0.5 * means[0]
    assert len(requested) == round(sum(means) * 3)
    stored = view.takeovers
    human_steps = sum(stored.episode_info(i).actor_steps.get("human", 0)
                      for i in stored.episode_ids)
    assert len(stored) == 6 and human_steps > 0  # the first two rounds, committed


def test_a_help_request_pauses_with_a_banner_until_a_key_is_pressed(
    qtbot: QtBot, tmp_path: Path
) -> None:
    view = _view(qtbot, tmp_path, _settings("ask", epochs=2, threshold=0.1,
                                             max_episode_steps=100))
    view.show()
    with qtbot.waitSignal(view.loop.help_requested, timeout=10_000):
        view.toggle()
    assert not view.loop.running
    assert "asks for help" in view.frame.banner()
    assert "ASKING FOR HELP" in view.status.text()
    assert view.form.done_button.isEnabled()
    with qtbot.waitSignal(view.loop.stepped, timeout=5_000) as signal:
        qtbot.keyPress(view, Qt.Key.Key_Right)
    qtbot.keyRelease(view, Qt.Key.Key_Right)
    assert signal.args[1].actor == "human"
    assert view.frame.banner() == ""
    view.done_helping()
    view.toggle()
    assert not view.loop.running


def test_without_a_dataset_the_tab_says_what_to_do(qtbot: QtBot) -> None:
    view = TakeoverView(Workspace(ENV_ID))
    qtbot.addWidget(view)
    assert view.loop is None
    assert "demo dataset" in view.message.text()
    view.toggle()
    view.step_once()
    assert not view.form.start_button.isEnabled()


def test_the_pad_shoulder_button_takes_over_and_the_pad_drives(
    qtbot: QtBot, tmp_path: Path
) -> None:
    view = _view(qtbot, tmp_path, _settings("gate", epochs=2, max_episode_steps=50))
    view.step_once()  # starts an episode
    buttons = tuple(i == TAKEOVER_BUTTON for i in range(8))
    view.poller.polled.emit(GamepadState(axes=(0.0, 0.0), buttons=buttons, hats=((1, 0),)))
    assert "YOU are in control" in view.status.text()
    with qtbot.waitSignal(view.loop.stepped) as signal:
        view.step_once()
    _outcome, decision = signal.args
    assert (decision.actor, decision.device, decision.action) == ("human", "gamepad", 1)
    view.poller.polled.emit(GamepadState(axes=(0.0, 0.0), buttons=(False,) * 8, hats=((0, 0),)))
    with qtbot.waitSignal(view.loop.stepped) as signal:
        view.step_once()
    assert signal.args[1].actor == "agent"


def test_in_slow_down_mode_a_request_slows_play_until_the_clone_takes_back(
    qtbot: QtBot, tmp_path: Path
) -> None:
    view = _view(qtbot, tmp_path, _settings("ask", epochs=2, threshold=0.1, agree_steps=2,
                                             pause_on_request=False, max_episode_steps=100))
    view.step_once()  # starts an episode
    requests: list[object] = []
    view.loop.help_requested.connect(requests.append)
    while not requests:
        before = view.loop.session.steps
        view.step_once()
    assert view.loop.session.steps == before + 1  # the request's step was taken, not paused
    assert view.loop.speed == view.settings.slow_speed
    assert "HELPING" in view.status.text()
    view.done_helping()
    assert view.loop.speed == view.settings.speed and "HELPING" not in view.status.text()


def test_a_takeover_episode_starts_slowed_down_after_a_countdown_that_says_how_to_take_over(
    qtbot: QtBot, tmp_path: Path
) -> None:
    defaults = TakeoverSettings()
    assert defaults.speed <= 0.5 and defaults.countdown >= 3  # a person can follow
    view = _view(qtbot, tmp_path, replace(defaults, rounds=_settings(
        "gate", epochs=1, max_episode_steps=30).rounds))
    view.show()
    counted: list[int] = []
    banners: list[str] = []
    view.loop.counting.connect(counted.append)
    view.loop.counting.connect(lambda _seconds: banners.append(view.frame.banner()))
    steps_at_count: list[int] = []
    view.loop.counting.connect(lambda _seconds: steps_at_count.append(view.loop.session.steps))
    view.toggle()
    assert view.loop.speed == defaults.speed  # slow from the start
    assert view.loop.running and view.loop.seconds_left == defaults.countdown
    assert view.form.speed.value() == defaults.speed and "speed 0.5x" in view.frame.hud()[0]
    with qtbot.waitSignal(view.loop.stepped, timeout=defaults.countdown * 1000 + 3000):
        pass
    assert counted == [*range(defaults.countdown, 0, -1), 0]
    assert steps_at_count == [0] * len(counted)  # no step before the countdown ended
    assert banners[0].startswith(f"Starting in {defaults.countdown}")
    hint = takeover_hint(view.human.key)
    assert "Hold Shift" in hint  # CartPole leaves Shift free
    assert hint in banners[0]  # how to take over, before the episode...
    assert hint in view.status.text()  # ...and during it
    view.toggle()


def test_the_takeover_hint_names_the_key_that_takes_over(qtbot: QtBot, tmp_path: Path) -> None:
    view = _view(qtbot, tmp_path, _settings("gate", epochs=1, max_episode_steps=30))
    hint = takeover_hint(view.human.key)
    named = re.match(r"Hold (\w+)", hint)
    assert named is not None and hint in view.status.text()
    view.step_once()  # starts an episode
    qtbot.keyPress(view, Qt.Key(qt_key(named.group(1).lower())))
    assert view.human.holding and "YOU are in control" in view.status.text()
    with qtbot.waitSignal(view.loop.stepped) as signal:
        view.step_once()
    assert signal.args[1].actor == "human"
    qtbot.keyRelease(view, Qt.Key(qt_key(named.group(1).lower())))
    assert not view.human.holding


def test_pausing_during_the_countdown_takes_no_step_and_clears_the_banner(
    qtbot: QtBot, tmp_path: Path
) -> None:
    view = _view(qtbot, tmp_path, _settings("gate", epochs=1, countdown=2,
                                             max_episode_steps=30))
    view.show()
    view.toggle()
    assert view.frame.banner().startswith("Starting in 2")
    view.toggle()  # pause
    qtbot.wait(2500)
    assert view.loop.session.steps == 0 and view.frame.banner() == ""
    assert not view.loop.running
