"""The Takeover tab: the clone plays, the human takes over, the clone learns from it (DAgger).

Two ways to hand control to the human, both round by round: *human-gated* (the human holds the
takeover key the env leaves free, Shift or Ctrl, drives with the env's keys until the situation
is recovered, and lets go) and *ask for help* (an ensemble of clones pauses, or slows, and asks
when its calibrated risk passes the threshold, and takes back once the human's actions and its
own agree again). Each episode starts slowed down, after a countdown that says how to take over.
After each round the played episodes go to `takeover/` in the demos' workspace folder
(`recorder.workspace_folder`) with actor "human" at the intervention steps, an ensemble is
retrained in the background on the demos plus every human label, and play resumes with it. The
plot shows the interventions per episode (takeovers, or help requests) falling from round to
round.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QHideEvent, QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from clonelab.app.play.game_keys import GameKeys
from clonelab.app.play.gamepad_poller import GamepadPoller
from clonelab.app.takeover.takeover_display import Control, TakeoverScreen, banner, hud_lines
from clonelab.app.takeover.takeover_form import TakeoverSettings
from clonelab.app.takeover.takeover_loop import TakeoverLoop, takeovers
from clonelab.app.takeover.takeover_retrainer import Retrainer
from clonelab.app.widgets.message_line import Tone
from clonelab.app.window.errors import one_line
from clonelab.app.window.workspace import Workspace
from clonelab.models.agent import PolicyAgent
from clonelab.models.failures.takeover import Decision
from clonelab.models.failures.takeover_training import Retrained, TakeoverRounds, read_takeovers
from clonelab.recorder.catalog import env_fps, make_env
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.human_source import HumanSource
from clonelab.recorder.session import GuardedSession, PlaySession, StepOutcome
from clonelab.recorder.sources import ActionSource
from clonelab.recorder.takeover_human import TakeoverHuman

log = logging.getLogger(__name__)


class TakeoverView(QWidget):
    """Play the clone with a human ready to take over; retrain between rounds."""

    retrained = Signal(object)  # Retrained
    round_finished = Signal(int, object)  # round index, tuple of counts per episode

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self.settings = TakeoverSettings()
        """The settings in use (the form's, or `configure`'s)."""
        self.loop: TakeoverLoop | None = None
        self.human: TakeoverHuman | None = None
        self.demos: DemoDataset | None = None
        self.takeovers: DemoDataset | None = None
        """The takeover episodes so far (None until the first round is committed)."""
        self._takeover_path: Path | None = None
        self._env: Any = None
        self._agent: ActionSource | None = None
        self._retrained: Retrained | None = None
        self._rounds = TakeoverRounds()
        self._playing = False
        self._asking = False
        """The clone asked and the human is in control."""
        self._awaiting = False
        """Paused at a help request until the human presses a key."""
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._build()
        for signal in (workspace.env_changed, workspace.dataset_changed,
                       workspace.policy_changed):
            signal.connect(self.load)
        self.load()

    # -- layout -------------------------------------------------------------------------------

    def _build(self) -> None:
        screen = self.screen = TakeoverScreen()
        self.frame, self.plot, self.form = screen.frame, screen.plot, screen.form
        self.status, self.message = screen.status, screen.message
        QVBoxLayout(self).addWidget(screen)
        self.poller = GamepadPoller(parent=self)
        self.poller.polled.connect(self._on_pad)
        self.keys = GameKeys(self, plays=self._plays_key)  # the game's keys beat shortcuts
        self.keys.pressed.connect(self._on_key_pressed)
        self.keys.released.connect(self._on_key_released)
        self.keys.focus_lost.connect(self._on_focus_lost)
        self.form.changed.connect(self._on_form_changed)
        self.form.start_button.clicked.connect(self.toggle)
        self.form.done_button.clicked.connect(self.done_helping)
        self.retrainer = Retrainer(self)
        self.retrainer.progress.connect(self.status.setText)
        self.retrainer.done.connect(self._on_retrainer_done)
        self.retrainer.failed.connect(self._on_retrainer_failed)
        self._on_form_changed(self.form.settings)

    # -- public API ---------------------------------------------------------------------------

    def configure(self, settings: TakeoverSettings) -> None:
        """Use `settings` (the form shows them); they take effect from the next episode."""
        self.form.set_settings(settings)

    def load(self) -> bool:
        """(Re)build the workspace's env over its dataset; the clone is made at start."""
        self._teardown()
        path = self._workspace.dataset_path
        if path is None:
            self._show("Open a demo dataset (Datasets tab) to train the clone and take over.")
            return False
        env_id = self._workspace.env_id
        try:
            entry = self._workspace.entry_for(env_id)
            self.demos = self._workspace.dataset_for(env_id)
            folder = self._workspace.dataset_folder
            assert self.demos is not None and folder is not None  # a dataset is selected
            self._takeover_path = folder.takeover  # read here, created by the first commit
            self.takeovers = read_takeovers(self.demos, self._takeover_path)
            self._env = make_env(env_id, render_mode="rgb_array")
        except Exception as exc:  # noqa: BLE001 - foreign env, damaged file, failing env
            self._teardown()
            self._show(one_line(exc), "error")
            return False
        self.human = TakeoverHuman(HumanSource(entry.keyboard, entry.gamepad))
        if self.isVisible():
            self.poller.start()
        session = GuardedSession(PlaySession(self._env, env_id=env_id),
                                 lambda text: self._show(text, "error"))
        self.loop = TakeoverLoop(session, None, env_fps(env_id, self._env),
                                 max_steps=self.settings.rounds.max_episode_steps, parent=self)
        self.loop.pause_on_request = self.settings.pause_on_request
        self.loop.stepped.connect(self._on_stepped)
        self.loop.help_requested.connect(self._on_help_requested)
        self.loop.episode_finished.connect(self._on_episode_finished)
        self.loop.running_changed.connect(self._sync)
        self.loop.counting.connect(self._sync)
        self._show(f"Takeover episodes go to {self._takeover_path}; press Start.", "note")
        self._sync()
        return True

    def prepare(self) -> None:
        """Get a clone to play: the workspace's policy (human-gated only) or a fresh ensemble."""
        if self.loop is None or self.retrainer.busy:
            return
        policy_path = self._workspace.policy_path
        if self._ready():
            return
        if self.settings.mode == "gate" and policy_path is not None and self._agent is None:
            try:
                policy = self._workspace.policy_for(self._workspace.env_id)
                assert policy is not None  # a selected path holds a policy or raises
                self._agent = PolicyAgent(policy)
            except Exception as exc:  # noqa: BLE001 - wrong env or damaged file
                self._show(one_line(exc), "error")
                return
            self._show(f"Playing {Path(policy_path).name}.", "note")
            self._sync()
            return
        self._start_retraining()

    def toggle(self) -> None:
        """Start (training a clone first when there is none) or pause."""
        if self.loop is None:
            return
        if self._playing:
            self._playing = False
            self.loop.pause()
            self._sync()
            return
        self._playing = True
        if not self._ready():
            self.prepare()  # plays on when the clone is ready (at once, or once trained)
        if self._ready():
            self._play()

    def step_once(self) -> None:
        """Take one step; with no episode running, start one (showing its first frame).

        Nothing happens while the clone retrains. At a help request this steps on with the
        human in control, as a key press does.
        """
        if self.loop is None or not self._ready():
            return
        if not self.loop.in_episode:
            self._begin_episode()
            return
        self._awaiting = False
        self.loop.step_once()

    def done_helping(self) -> None:
        """Hand control back to the clone now (ask-for-help)."""
        if self.loop is not None:
            self.loop.hand_back(resume=self._playing)
        self._asking = self._awaiting = False
        self._sync()

    @property
    def round(self) -> int:
        """The round being played (0-based)."""
        return self._rounds.round

    def shutdown(self) -> None:
        """Stop playing and training, close the env."""
        self._teardown()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        # The pad is read only while the tab shows: the Play tab's reader polls it otherwise
        # (two readers would share SDL's hot-plug events).
        if self.human is not None:
            self.poller.start()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt's name
        self.poller.stop()
        if self._playing:
            self.toggle()  # nobody is watching or at the keys
        super().hideEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.shutdown()
        super().closeEvent(event)

    # -- keys -----------------------------------------------------------------------------

    def _on_key_pressed(self, name: str) -> None:
        self.human.press(name)
        if self._awaiting:
            self._answer()
        self._sync()

    def _on_key_released(self, name: str) -> None:
        if self._plays_key(name):
            self.human.release(name)
            self._sync()

    def _on_focus_lost(self) -> None:
        if self.human is not None:
            self.human.release_all()

    def _on_pad(self, state: Any) -> None:
        if self.human is None:
            return
        holding = self.human.holding
        self.human.set_gamepad_state(state)
        if self._awaiting and self.human.source.has_input():  # the human answers on the pad
            self._answer()
        if holding != self.human.holding:
            self._sync()

    def _answer(self) -> None:
        """The human took the controls after a help request: play on."""
        self._awaiting = False
        if self._playing:
            self.loop.start()

    def _plays_key(self, name: str) -> bool:
        return self.human is not None and self.human.plays(name)

    # -- rounds -------------------------------------------------------------------------------

    def _ready(self) -> bool:
        trained = self.settings.mode == "gate" or self._retrained is not None
        return self._agent is not None and trained and not self.retrainer.busy

    def _begin_episode(self) -> None:
        settings = self.settings
        scores = self._retrained.scores if self._retrained is not None else None
        controller = settings.controller(self._agent, self.human, scores, self._env.action_space)
        self.loop.begin(controller, self._rounds.next_seed(settings.rounds.seed),
                        max_steps=settings.rounds.max_episode_steps,
                        pause_on_request=settings.pause_on_request, speed=settings.speed,
                        countdown=settings.countdown)
        self._render()

    def _play(self) -> None:
        if not self.loop.in_episode:
            self._begin_episode()
        self.setFocus()
        self.loop.start()
        self._sync()

    def _start_retraining(self) -> None:
        rounds = self._rounds
        self.retrainer.start(self.settings.rounds, self.demos, self._takeover_path, rounds.pending,
                             tags=rounds.tags(self.settings.mode),
                             first_scores=rounds.first_scores)
        self._show(f"Retraining the clone on the demos and {len(rounds.pending)} new takeover "
                   f"episode(s)...", "note")
        self._sync()

    def _on_retrainer_failed(self, message: str) -> None:
        self._playing = False
        self._show(f"Retraining failed: {message}", "error")
        self._sync()

    def _on_retrainer_done(self, result: Retrained | None, committed: int) -> None:
        if result is None:
            self._sync()
            return
        self._rounds.retrained(result, committed)
        self._retrained, self._agent = result, result.ensemble
        self.takeovers = result.takeovers
        self._show(f"Round {self._rounds.round + 1}: the clone trained on {result.rows} rows, "
                   f"{result.labels} of them human labels.", "good")
        self.retrained.emit(result)
        if self._playing:
            self._play()
        self._sync()

    # -- play ---------------------------------------------------------------------------------

    def _on_stepped(self, outcome: StepOutcome, decision: Decision) -> None:
        controller = self.loop.controller
        if self._asking and getattr(controller, "mode", "agent") == "agent":
            self._asking = False  # the clone took back control
            self.loop.set_speed(self.loop.episode_speed)
        self._render(decision)
        self._sync()

    def _on_help_requested(self, decision: Decision) -> None:
        self._asking = True
        if self.settings.pause_on_request:
            self._awaiting = True
        else:
            self.loop.set_speed(min(self.settings.slow_speed, self.loop.episode_speed))
        self._render(decision)
        self._sync()

    def _on_episode_finished(self, played: Any) -> None:
        count = played.requests if self.settings.mode == "ask" else takeovers(
            played.interventions)
        self._asking = self._awaiting = False
        rounds = self._rounds
        self.plot.add_episode(rounds.round, count)
        if rounds.add_episode(played.episode, count,
                              episodes_per_round=self.settings.rounds.episodes_per_round):
            self.round_finished.emit(rounds.round, tuple(rounds.counts))
            self._start_retraining()
        elif self._playing:
            self._play()
        self._sync()

    # -- display ------------------------------------------------------------------------------

    def _render(self, decision: Decision | None = None) -> None:
        if not self.isVisible():
            return  # a hidden tab draws nothing (rendering costs as much as stepping)
        session, rounds = self.loop.session, self._rounds
        self.screen.show_frame(self._env, hud_lines(
            rounds.round, len(rounds.counts) + 1, session.steps, session.episode_return,
            decision, self.settings.rounds.threshold, self.loop.speed))

    def _sync(self) -> None:
        """Buttons, the status line, the banner and the frame's cue follow the state of play."""
        loop, gated = self.loop, self.settings.mode == "gate"
        human = self.human
        self.screen.show_play(loaded=loop is not None, playing=loop is not None and self._playing,
                              can_finish=not gated and self._asking, cue=self._asking,
                              banner=banner(loop, human, gated=gated, asking=self._asking,
                                            awaiting=self._awaiting))
        if self.retrainer.busy:
            return  # the training progress owns the status line
        self.screen.show_control(Control(
            awaiting=self._awaiting, asking=self._asking, round=self._rounds.round,
            holding=gated and human is not None and human.holding,
            has_clone=self._agent is not None, gated=gated,
            key=human.key if human is not None else None))

    def _show(self, text: str, tone: Tone = "note") -> None:
        self.screen.show_message(text, tone)

    def _on_form_changed(self, settings: TakeoverSettings) -> None:
        measure = "help requests" if settings.mode == "ask" else "takeovers"
        if self.settings.mode != settings.mode or not self.plot.round_means():
            self.plot.set_measure(measure)
        self.settings = settings
        if self.loop is not None and not self._asking:
            self.loop.set_speed(settings.speed)  # a person slowing down wants it now
            self.loop.episode_speed = self.loop.speed
        self._sync()

    def _teardown(self) -> None:
        self.retrainer.cancel()
        if self.loop is not None:
            self.loop.pause()
            self.loop.deleteLater()
        self.loop = None
        if self._env is not None:
            self._env.close()
        self._env = None
        self.poller.stop()
        self.human = self._agent = self._retrained = None
        self.demos = self.takeovers = self._takeover_path = None
        self._rounds = TakeoverRounds()
        self._playing, self._asking, self._awaiting = False, False, False
