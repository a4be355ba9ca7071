"""The Play tab: play an env with keyboard or gamepad, and record the episodes to a dataset."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import gymnasium
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QScrollArea, QVBoxLayout, QWidget

from clonelab.app.play.controls_panel import ControlsPanel
from clonelab.app.play.gamepad_poller import GamepadPoller
from clonelab.app.play.play_actions import SPEEDS, make_play_actions
from clonelab.app.play.play_hud import banner_text, hud_lines
from clonelab.app.play.play_keys import PlayKeys
from clonelab.app.play.play_loop import PlayLoop
from clonelab.app.play.recording import Recorder
from clonelab.app.play.review_panel import ReviewPanel
from clonelab.app.widgets.frame_view import FrameView
from clonelab.app.window.errors import show_error
from clonelab.app.window.questions import Answer, ask
from clonelab.app.window.settings import Settings
from clonelab.app.window.workspace import Workspace
from clonelab.recorder.catalog import EnvBuildError, EnvEntry, UnknownEnvError, make_env
from clonelab.recorder.dataset import EpisodeData
from clonelab.recorder.human_source import HumanSource
from clonelab.recorder.keyboard import APP_SHORTCUTS
from clonelab.recorder.session import PlaySession, StepOutcome
from clonelab.recorder.wording import plural

log = logging.getLogger(__name__)


class PlayView(QWidget):
    """Plays `workspace.env_id`: the frame with its HUD, the controls panel and the review strip.

    Keys bound by the env's map go to the game; no map binds a one-key shortcut's key
    (recorder.keyboard.APP_KEYS). `recorder.dataset_needed()` asks the window to create or
    choose a dataset when recording starts without one.
    """

    def __init__(self, workspace: Workspace, settings: Settings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self._settings = settings or Settings()
        self.entry: EnvEntry | None = None
        self.env: gymnasium.Env | None = None
        self.loop: PlayLoop | None = None
        self.source: HumanSource | None = None
        self._episodes = 0
        self._fps = math.nan
        self._last: StepOutcome | None = None
        self._pad_note = ""  # a gamepad message for the banner while paused

        self.actions = make_play_actions(self)
        self.frame = FrameView()
        self.frame.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.review = ReviewPanel()
        self.controls = ControlsPanel(self._settings)
        self.recorder = Recorder(workspace, self)
        self.committer = self.recorder.committer
        # Undoes the last deletion, this tab's or the Datasets tab's: one undo stack.
        self.undo_delete = workspace.deletions.stack.createUndoAction(self, "Undo")
        self.undo_delete.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_delete.setStatusTip("Bring back the episodes deleted last")
        self.poller = GamepadPoller(parent=self)
        self.keys = PlayKeys(self)
        scroll = QScrollArea()
        scroll.setWidget(self.controls)
        scroll.setWidgetResizable(True)
        scroll.setFixedWidth(340)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._controls_scroll = scroll
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.frame, 1)
        left.addWidget(self.review)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(left, 1)
        layout.addWidget(scroll)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._connect()
        workspace.use_saved_controls(self._settings.control_map)
        self.load_env(workspace.env_id)
        self.poller.start()

    # --- public commands --------------------------------------------------------------------

    def load_env(self, env_id: str) -> bool:
        """Build `env_id` and show its first frame; on failure say why and keep the old env.

        An episode awaiting keep or discard is asked about first; Cancel keeps the old env.
        """
        if not self.settle_review(f"switching to {env_id}"):
            self._workspace.select_env(self.entry.env_id)  # the selection follows what plays
            return False
        try:
            resolved = self._workspace.resolve_entry(env_id)
            env = make_env(env_id, render_mode="rgb_array")
        except (UnknownEnvError, EnvBuildError) as exc:
            self._fail(f"Cannot play {env_id}", str(exc))
            if self.entry is not None:
                self._workspace.select_env(self.entry.env_id)  # the selection follows what plays
            else:
                self.frame.set_banner(f"Cannot play {env_id}")
            return False
        self._close_env()
        self.env, self.entry = env, self.controls.show_env(resolved, env)
        self._workspace.set_entry(self.entry)
        self.source = HumanSource(self.entry.keyboard, self.entry.gamepad)
        self.loop = PlayLoop(PlaySession(env, env_id=env_id), self.source, self.entry.fps,
                             parent=self)
        self.loop.stepped.connect(self._on_stepped)
        self.loop.episode_started.connect(self._on_episode_started)
        self.loop.episode_finished.connect(self._on_episode_finished)
        self.loop.achieved_fps.connect(self._on_fps)
        self.loop.running_changed.connect(self._sync)
        # Speed and wait-for-input are the env's own, as last set for it.
        speed, wait = self._settings.play_options(env_id)
        self.set_speed(speed)
        self.loop.set_turn_based(self.entry.turn_based)
        self.set_wait_for_input(self.entry.turn_based or wait)
        self._settings.last_env = env_id
        self.recorder.set_env(env_id)
        self._episodes = 0
        self.loop.reset()
        if self.entry.turn_based:
            self.loop.start()  # it only steps when a key is pressed
        self._sync()
        self._workspace.show_status(f"Playing {self.entry.title}")
        return True

    def toggle_pause(self) -> None:
        """Pause or resume (a new episode starts if the last one ended)."""
        if self.loop is None or self.pending_episode is not None:
            self._sync()
            return
        self._pad_note = ""
        self.loop.toggle()
        self.setFocus()

    def step_once(self) -> None:
        """Advance exactly one step."""
        if self.loop is not None and self.pending_episode is None:
            self.loop.step_once()

    def restart(self) -> None:
        """Drop the running episode and reset."""
        if self.loop is not None and self.pending_episode is None:
            self.loop.pause()
            self.loop.reset()

    def set_speed(self, factor: float) -> None:
        """Play at `factor` times the env's speed."""
        nearest = min(SPEEDS, key=lambda s: abs(s - factor))
        self.actions.speed_action(nearest).setChecked(True)
        if self.loop is not None:
            self.loop.set_speed(nearest)
        if self.entry is not None:
            self._settings.set_play_option(self.entry.env_id, "speed", nearest)
        self._update_hud()

    def set_wait_for_input(self, enabled: bool) -> None:
        """Advance only while the player presses something."""
        self.actions.wait_for_input.setChecked(enabled)
        if self.loop is not None:
            self.loop.set_wait_for_input(enabled)
        if self.entry is not None and not self.entry.turn_based:  # those always wait
            self._settings.set_play_option(self.entry.env_id, "wait_for_input", enabled)
        self._update_hud()

    def set_recording(self, enabled: bool) -> bool:
        """Start or stop recording; starting needs a dataset of this env (False if none)."""
        return self.recorder.set_enabled(enabled)

    @property
    def recording(self) -> bool:
        """Whether finished episodes are offered for the dataset."""
        return self.recorder.enabled

    @property
    def dataset(self) -> Any:
        """The DemoDataset recorded into (None when none fits this env)."""
        return self.recorder.dataset

    @property
    def pending_episode(self) -> EpisodeData | None:
        """The finished episode waiting for keep or discard."""
        return self.recorder.pending

    def keep_episode(self) -> None:
        """Commit the finished episode (off the UI thread) with the panel's tags and note."""
        self.recorder.keep(self.review.tags(), self.review.notes())

    def discard_episode(self) -> None:
        """Throw the finished episode away."""
        self.recorder.discard()

    def delete_last_episode(self) -> None:
        """Delete the last episode of the dataset on screen (undoable: `undo_delete`)."""
        self.recorder.delete_last()

    def create_dataset(self, path: Path) -> bool:
        """Create an empty dataset for the current env at `path` and select it."""
        return self.env is not None and self.recorder.create(
            path, self.env, operator=self._settings.operator)

    def pause(self) -> None:
        """Stop stepping (the episode and its buffer stay)."""
        if self.loop is not None:
            self.loop.pause()

    def settle_review(self, before: str) -> bool:
        """Ask whether to keep the episode under review (Keep / Discard / Cancel) before
        `before` ("quitting"); False when the person cancels. Nothing to ask: True."""
        episode = self.pending_episode
        if episode is None:
            return True
        dataset = self.dataset
        where = f" in {dataset.path.name}" if dataset is not None else ""
        answer = ask(self.window(), "Keep the last episode?",
                     f"The episode just played ({plural(len(episode.actions), 'step')}) is not "
                     f"kept or discarded yet. Keep it{where} before {before}?",
                     {Answer.Save: "Keep", Answer.Discard: "Discard", Answer.Cancel: "Cancel"})
        if answer == Answer.Save:
            self.keep_episode()
        elif answer == Answer.Discard:
            self.discard_episode()
        return answer != Answer.Cancel

    def finish_recording(self) -> int:
        """Before quitting: finish every commit; returns how many kept episodes could not be
        saved (still in memory for a retry). An episode under review is kept only when the
        person says so (MainWindow.may_quit asks)."""
        self.pause()
        self.committer.drain()
        return len(self.committer.failed_jobs)

    def shutdown(self) -> None:
        """Stop the gamepad poller, finish commits and close the env (the window closes)."""
        self.poller.stop()
        self.finish_recording()
        self._close_env()

    # --- internals --------------------------------------------------------------------------

    def _connect(self) -> None:
        a = self.actions
        a.record.triggered.connect(lambda: self.set_recording(a.record.isChecked()))
        a.pause.triggered.connect(self.toggle_pause)
        a.step.triggered.connect(self.step_once)
        a.restart.triggered.connect(self.restart)
        a.wait_for_input.triggered.connect(
            lambda: self.set_wait_for_input(a.wait_for_input.isChecked()))
        a.speeds.triggered.connect(lambda action: self.set_speed(action.data()))
        a.slower.triggered.connect(lambda: self.set_speed(a.nudged_speed(-1)))
        a.faster.triggered.connect(lambda: self.set_speed(a.nudged_speed(+1)))
        a.keep.triggered.connect(self.keep_episode)
        a.discard.triggered.connect(self.discard_episode)
        a.delete_last.triggered.connect(self.delete_last_episode)
        a.retry.triggered.connect(self.committer.retry)
        a.controls.toggled.connect(self._controls_scroll.setVisible)
        a.controls.setChecked(True)
        a.speed_action(1.0).setChecked(True)
        # Added here too, so the shortcuts work wherever the view is shown.
        self.addActions([a.record, a.pause, a.step, a.restart, a.wait_for_input, a.slower,
                         a.faster, a.keep, a.discard, a.delete_last, a.controls,
                         self.undo_delete])
        self.review.keep_requested.connect(self.keep_episode)
        self.review.discard_requested.connect(self.discard_episode)
        self.controls.entry_changed.connect(self._on_controls_changed)
        self.recorder.changed.connect(self._on_recorder_changed)
        self.recorder.problem.connect(self._fail)
        self.poller.polled.connect(self._on_pad)
        self.poller.connected.connect(self._on_pad_connected)
        self.poller.disconnected.connect(self._on_pad_disconnected)
        self.poller.unavailable.connect(
            lambda message: self._workspace.show_status(f"No gamepads: {message}"))
        self._workspace.env_changed.connect(self._on_env_changed)
        self._workspace.dataset_changed.connect(self._on_env_changed)  # its env may come with it

    def _on_env_changed(self) -> None:
        env_id = self._workspace.env_id
        if self.entry is None or env_id != self.entry.env_id:
            self.load_env(env_id)

    def _on_controls_changed(self, entry: EnvEntry) -> None:
        self.entry = entry
        self._workspace.set_entry(entry)
        if self.source is not None:
            self.source.keyboard_map = entry.keyboard
            self.source.gamepad_map = entry.gamepad

    def _on_episode_started(self, _observation: Any) -> None:
        self._episodes += 1
        self._last = None
        self._render()

    def _on_stepped(self, outcome: StepOutcome) -> None:
        self._last = outcome
        self._render()

    def _on_fps(self, fps: float) -> None:
        self._fps = fps

    def _on_episode_finished(self, episode: EpisodeData) -> None:
        if self.recorder.offer(episode):
            self.review.ask(episode)
        self._sync()

    def _on_recorder_changed(self) -> None:
        if self.recorder.pending is None and self.review.isVisible():
            self.review.hide()  # kept or discarded: on to the next episode
            if self.loop is not None and not self.loop.in_episode:
                self.loop.reset()
            self.setFocus()
        self.actions.record.setChecked(self.recorder.enabled)
        self.frame.set_recording(self.recorder.enabled)
        self._sync()

    def _on_pad(self, state: Any) -> None:
        if self.source is not None:
            self.source.set_gamepad_state(state)
        self.controls.feed_gamepad(state)

    def _on_pad_connected(self, name: str) -> None:
        self._workspace.show_status(f"Gamepad connected: {name}")
        if self._pad_note:
            self._pad_note = f"Gamepad {name} is back\n{APP_SHORTCUTS['pause']}: resume"
            self._sync()

    def _on_pad_disconnected(self, name: str) -> None:
        self._workspace.show_status(f"Gamepad unplugged: {name}")
        if self.loop is not None and self.loop.running and self.source is not None \
                and self.source.device == "gamepad":
            self._pad_note = ("Gamepad unplugged: play paused\nPlug it back in (or use the "
                              f"keyboard), then {APP_SHORTCUTS['pause']}")
            self.loop.pause()

    def _render(self) -> None:
        if self.env is not None:
            frame = self.env.render()
            if frame is not None:
                self.frame.set_frame(frame)
        self._update_hud()

    def _update_hud(self) -> None:
        if self.entry is None or self.loop is None or self.source is None:
            return
        # Recording, episodes carry the number the dataset gives them (the Datasets tab's and
        # "Saved episode N"); else they are counted from 1 in this session.
        upcoming = self.recorder.upcoming_episode_id()
        self.frame.set_hud(hud_lines(
            self.entry.title, self.loop, episode=self._episodes if upcoming is None else upcoming,
            last=self._last, fps=self._fps,
            device=self.source.device, recording_to=self.dataset if self.recording else None,
            reviewing=self.pending_episode is not None))

    def _sync(self) -> None:
        """Bring the actions and the banner in line with the loop and the review state."""
        a, loop = self.actions, self.loop
        reviewing = self.pending_episode is not None
        running = loop is not None and loop.running
        a.pause.setText("Pause" if running else "Play")
        for action in (a.pause, a.step, a.restart):
            action.setEnabled(loop is not None and not reviewing)
        a.keep.setEnabled(reviewing)
        a.discard.setEnabled(reviewing)
        a.delete_last.setEnabled(self.recorder.last_episode() is not None)
        a.retry.setEnabled(bool(self.committer.failed_jobs))
        self.frame.set_banner(banner_text(loop, reviewing=reviewing, pad_note=self._pad_note))
        self._update_hud()

    def _fail(self, title: str, message: str) -> None:
        log.warning("%s: %s", title, message)
        self._workspace.show_status(f"{title}: {message.splitlines()[0]}")
        show_error(self.window(), title, message)

    def _close_env(self) -> None:
        if self.loop is not None:
            self.loop.pause()
            self.loop.deleteLater()
            self.loop = None
        if self.env is not None:
            self.env.close()
            self.env = None
