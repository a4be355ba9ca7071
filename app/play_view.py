"""The Play tab: play an env with keyboard or gamepad, and record the episodes to a dataset."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import gymnasium
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QHBoxLayout, QScrollArea, QVBoxLayout, QWidget

from app import pyside_fixes
from app.controls_panel import ControlsPanel, with_saved_controls
from app.errors import show_error
from app.frame_view import FrameView
from app.gamepad_poller import GamepadPoller
from app.human_source import HumanSource
from app.play_actions import SPEEDS, make_play_actions
from app.play_loop import PlayLoop
from app.qt_keys import key_name
from app.recording import CommitJob, EpisodeCommitter, ReviewPanel
from app.settings import Settings
from app.state import AppState
from recorder.catalog import CATALOG, EnvBuildError, EnvEntry, UnknownEnvError, make_env
from recorder.controls import BindingError, control_map_to_dict
from recorder.dataset import DatasetError, DemoDataset, EpisodeData
from recorder.session import PlaySession, StepOutcome

pyside_fixes.install()
log = logging.getLogger(__name__)


class PlayView(QWidget):
    """Plays `state.env_id`: the frame with its HUD, the controls panel and the review strip.

    Keys bound by the env's map go to the game even when they are also shortcuts (MiniGrid
    binds P and D); the toolbar and menus always work. `dataset_needed()` asks the window to
    create or choose a dataset when recording starts without one.
    """

    dataset_needed = Signal()

    def __init__(self, state: AppState, settings: Settings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self._settings = settings or Settings()
        self._custom: dict[str, EnvEntry] = {}
        self.entry: EnvEntry | None = None
        self.env: gymnasium.Env | None = None
        self.loop: PlayLoop | None = None
        self.source: HumanSource | None = None
        self.dataset: DemoDataset | None = None
        self._pending: EpisodeData | None = None
        self._recording = False
        self._episodes = 0
        self._fps = math.nan
        self._last: StepOutcome | None = None
        self._pad_note = ""  # a gamepad message for the banner while paused

        self.actions = make_play_actions(self)
        self.frame = FrameView()
        self.frame.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.review = ReviewPanel()
        self.controls = ControlsPanel()
        self.committer = EpisodeCommitter(self)
        self.poller = GamepadPoller(parent=self)
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
        self.load_env(state.env_id)
        self.poller.start()

    # --- public commands --------------------------------------------------------------------

    def load_env(self, env_id: str) -> bool:
        """Build `env_id` and show its first frame; on failure say why and keep the old env."""
        try:
            entry = self._custom.get(env_id) or CATALOG.get(env_id)
            if entry is None:
                raise UnknownEnvError(f"{env_id!r} is not in the catalog; choose Environment > "
                                      "Other environment… and give it a JSON control map")
            env = make_env(env_id, render_mode="rgb_array")
        except (UnknownEnvError, EnvBuildError) as exc:
            self._fail(f"Cannot play {env_id}", str(exc))
            if self.entry is not None:
                self._state.set_env_id(self.entry.env_id)  # the selection follows what plays
            else:
                self.frame.set_banner(f"Cannot play {env_id}")
            return False
        self._close_env()
        self.env, self.entry = env, self._restore_controls(entry)
        self.source = HumanSource(self.entry.keyboard, self.entry.gamepad)
        self.loop = PlayLoop(PlaySession(env, env_id=env_id), self.source, self.entry.fps,
                             parent=self)
        self.loop.stepped.connect(self._on_stepped)
        self.loop.episode_started.connect(self._on_episode_started)
        self.loop.episode_finished.connect(self._on_episode_finished)
        self.loop.achieved_fps.connect(self._on_fps)
        self.loop.running_changed.connect(self._sync)
        self.loop.set_speed(self._checked_speed())
        self.set_wait_for_input(self.entry.turn_based or self.actions.wait_for_input.isChecked())
        self.controls.set_entry(self.entry, _action_names(env))
        self._settings.last_env = env_id
        self._open_dataset(self._state.dataset_path, quiet=True)
        self._episodes = 0
        self.loop.reset()
        if self.entry.turn_based:
            self.loop.start()  # it only steps when a key is pressed
        self._sync()
        self._state.show_status(f"Playing {self.entry.title}")
        return True

    def add_custom_entry(self, entry: EnvEntry) -> None:
        """Make an id outside the catalog playable (an entry from a JSON control map)."""
        self._custom[entry.env_id] = entry

    def toggle_pause(self) -> None:
        """Pause or resume (a new episode starts if the last one ended)."""
        if self.loop is None or self._pending is not None:
            self._sync()
            return
        self._pad_note = ""
        self.loop.toggle()
        self.setFocus()

    def step_once(self) -> None:
        """Advance exactly one step."""
        if self.loop is not None and self._pending is None:
            self.loop.step_once()

    def restart(self) -> None:
        """Drop the running episode and reset."""
        if self.loop is not None and self._pending is None:
            self.loop.pause()
            self.loop.reset()

    def set_speed(self, factor: float) -> None:
        """Play at `factor` times the env's speed."""
        nearest = min(SPEEDS, key=lambda s: abs(s - factor))
        self.actions.speed_action(nearest).setChecked(True)
        if self.loop is not None:
            self.loop.set_speed(nearest)
        self._update_hud()

    def set_wait_for_input(self, enabled: bool) -> None:
        """Advance only while the player presses something."""
        self.actions.wait_for_input.setChecked(enabled)
        if self.loop is not None:
            self.loop.set_wait_for_input(enabled)
        self._update_hud()

    def set_recording(self, enabled: bool) -> bool:
        """Start or stop recording; starting needs a dataset of this env (False if none)."""
        if enabled and not self._ensure_dataset():
            enabled = False
        self._recording = enabled
        self.actions.record.setChecked(enabled)
        self.frame.set_recording(enabled)
        self._update_hud()
        return enabled

    @property
    def recording(self) -> bool:
        """Whether finished episodes are offered for the dataset."""
        return self._recording

    @property
    def pending_episode(self) -> EpisodeData | None:
        """The finished episode waiting for keep or discard."""
        return self._pending

    def keep_episode(self) -> None:
        """Commit the finished episode (off the UI thread) with the panel's tags and note."""
        if self._pending is None or self.dataset is None:
            return
        self.committer.commit(CommitJob(dataset=self.dataset, episode=self._pending,
                                        tags=self.review.tags(), notes=self.review.notes()))
        self._state.show_status(f"Saving the episode to {self.dataset.path.name}…")
        self._after_review()

    def discard_episode(self) -> None:
        """Throw the finished episode away."""
        if self._pending is not None:
            self._state.show_status("Episode discarded")
            self._after_review()

    def delete_last_episode(self) -> None:
        """Delete the episode committed last."""
        try:
            episode_id = self.committer.delete_last()
        except (LookupError, DatasetError) as exc:
            self._fail("Cannot delete the last episode", str(exc))
            return
        self._state.show_status(f"Deleted episode {episode_id}")
        self._refresh_dataset_views()

    def create_dataset(self, path: Path) -> bool:
        """Create an empty dataset for the current env at `path` and select it."""
        if self.env is None or self.entry is None:
            return False
        try:
            DemoDataset.create(path, env_id=self.entry.env_id,
                               observation_space=self.env.observation_space,
                               action_space=self.env.action_space,
                               operator=self._settings.operator)
        except DatasetError as exc:
            self._fail("Cannot create the dataset", str(exc))
            return False
        self._state.set_dataset_path(path)
        return True

    def pause(self) -> None:
        """Stop stepping (the episode and its buffer stay)."""
        if self.loop is not None:
            self.loop.pause()

    def shutdown(self) -> None:
        """Stop timers, finish commits and close the env (the window is closing)."""
        self.poller.stop()
        self.committer.wait()
        self._close_env()

    # --- events -----------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        # Keys the game uses beat single-key shortcuts, except while an episode awaits review.
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            name = key_name(event.key())
            if name is not None and (self.controls.capturing_key or (
                    self._pending is None and self.source is not None
                    and self.source.binds(name))):
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        name = key_name(event.key())
        if name is not None and self.controls.capturing_key:
            self.controls.capture_key(name)
        elif name is not None and self.source is not None and self.source.binds(name):
            if not event.isAutoRepeat():
                self.source.press(name)
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        name = key_name(event.key())
        if name is not None and self.source is not None and not event.isAutoRepeat():
            self.source.release(name)
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        if self.source is not None:
            self.source.release_all()  # the key-ups will go to another widget
        super().focusOutEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self.setFocus()
        super().mousePressEvent(event)

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
        a.slower.triggered.connect(lambda: self._nudge_speed(-1))
        a.faster.triggered.connect(lambda: self._nudge_speed(+1))
        a.keep.triggered.connect(self.keep_episode)
        a.discard.triggered.connect(self.discard_episode)
        a.delete_last.triggered.connect(self.delete_last_episode)
        a.retry.triggered.connect(self.committer.retry)
        a.controls.toggled.connect(self._controls_scroll.setVisible)
        a.controls.setChecked(True)
        a.speed_action(1.0).setChecked(True)
        # Added here too, so the shortcuts work wherever the view is shown.
        self.addActions([a.record, a.pause, a.step, a.restart, a.wait_for_input, a.slower,
                         a.faster, a.keep, a.discard, a.delete_last, a.controls])
        self.review.keep_requested.connect(self.keep_episode)
        self.review.discard_requested.connect(self.discard_episode)
        self.controls.entry_changed.connect(self._on_controls_changed)
        self.controls.reset_requested.connect(self._on_controls_reset)
        self.committer.committed.connect(self._on_committed)
        self.committer.failed.connect(self._on_commit_failed)
        self.committer.changed.connect(self._sync)
        self.poller.polled.connect(self._on_pad)
        self.poller.connected.connect(self._on_pad_connected)
        self.poller.disconnected.connect(self._on_pad_disconnected)
        self.poller.unavailable.connect(
            lambda message: self._state.show_status(f"No gamepads: {message}"))
        self._state.env_changed.connect(self._on_env_changed)
        self._state.dataset_changed.connect(lambda path: self._open_dataset(path, quiet=True))

    def _on_env_changed(self, env_id: str) -> None:
        if self.entry is None or env_id != self.entry.env_id:
            self.load_env(env_id)

    def _restore_controls(self, entry: EnvEntry) -> EnvEntry:
        saved = self._settings.control_map(entry.env_id)
        if saved is None:
            return entry
        try:
            return with_saved_controls(entry, saved)
        except BindingError as exc:
            self._state.show_status(f"Saved controls for {entry.env_id} ignored: {exc}")
            return entry

    def _on_controls_changed(self, entry: EnvEntry) -> None:
        self.entry = entry
        if self.source is not None:
            self.source.keyboard_map = entry.keyboard
            self.source.gamepad_map = entry.gamepad
        self._settings.set_control_map(entry.env_id, control_map_to_dict(entry))

    def _on_controls_reset(self) -> None:
        if self.entry is None:
            return
        self._settings.set_control_map(self.entry.env_id, None)
        default = self._custom.get(self.entry.env_id) or CATALOG[self.entry.env_id]
        self._on_controls_changed(default)
        self.controls.set_entry(default, _action_names(self.env))

    def _on_episode_started(self, _observation: Any) -> None:
        self._last = None
        self._render()

    def _on_stepped(self, outcome: StepOutcome) -> None:
        self._last = outcome
        self._render()

    def _on_fps(self, fps: float) -> None:
        self._fps = fps

    def _on_episode_finished(self, episode: EpisodeData) -> None:
        self._episodes += 1
        if self._recording and self.dataset is not None:
            self._pending = episode
            self.review.ask(episode)
        self._sync()

    def _after_review(self) -> None:
        self._pending = None
        self.review.hide()
        if self.loop is not None:
            self.loop.reset()
        self._sync()
        self.setFocus()

    def _on_committed(self, episode_id: int) -> None:
        self._state.show_status(f"Saved episode {episode_id}")
        self._refresh_dataset_views()

    def _on_commit_failed(self, message: str) -> None:
        self._fail("The episode was not saved",
                   f"{message}\n\nIt is kept in memory: Play > Retry failed commits.")

    def _refresh_dataset_views(self) -> None:
        if self.dataset is not None:
            self._state.set_dataset_path(self.dataset.path)  # the browser reloads
        self._update_hud()

    def _on_pad(self, state: Any) -> None:
        if self.source is not None:
            self.source.set_gamepad_state(state)
        self.controls.feed_gamepad(state)

    def _on_pad_connected(self, name: str) -> None:
        self._state.show_status(f"Gamepad connected: {name}")
        if self._pad_note:
            self._pad_note = f"Gamepad {name} is back\nP: resume"
            self._sync()

    def _on_pad_disconnected(self, name: str) -> None:
        self._state.show_status(f"Gamepad unplugged: {name}")
        if self.loop is not None and self.loop.running and self.source is not None \
                and self.source.device == "gamepad":
            self._pad_note = ("Gamepad unplugged: play paused\n"
                              "Plug it back in (or use the keyboard), then P")
            self.loop.pause()

    def _ensure_dataset(self) -> bool:
        if self._state.dataset_path is None:
            self._state.show_status("Recording needs a dataset: File > New dataset…")
            self.dataset_needed.emit()
            return self.dataset is not None
        if self.dataset is None or self.dataset.path != self._state.dataset_path:
            self._open_dataset(self._state.dataset_path, quiet=False)
        return self.dataset is not None

    def _open_dataset(self, path: Path | None, *, quiet: bool) -> None:
        if self.dataset is not None and path == self.dataset.path:
            self._update_hud()
            return
        self.dataset = None
        if path is not None and self.entry is not None:
            try:
                dataset = DemoDataset.open(path, env_id=self.entry.env_id)
                if dataset.read_only:
                    raise DatasetError(path, "is read-only (an exported file or a Minari "
                                             "dataset); record into a dataset directory")
                self.dataset = dataset
            except DatasetError as exc:
                if quiet:
                    self._state.show_status(f"Recording unavailable: {exc}")
                else:
                    self._fail("Cannot record into this dataset", str(exc))
        if self.dataset is None and self._recording:
            self.set_recording(False)
        self._update_hud()

    def _nudge_speed(self, notches: int) -> None:
        index = SPEEDS.index(self._checked_speed()) + notches
        self.set_speed(SPEEDS[max(0, min(len(SPEEDS) - 1, index))])

    def _checked_speed(self) -> float:
        checked = self.actions.speeds.checkedAction()
        return float(checked.data()) if checked is not None else 1.0

    def _render(self) -> None:
        if self.env is not None:
            frame = self.env.render()
            if frame is not None:
                self.frame.set_frame(frame)
        self._update_hud()

    def _update_hud(self) -> None:
        if self.entry is None or self.loop is None or self.source is None:
            return
        step = self._last.step if self._last else 0
        total = self._last.episode_return if self._last else 0.0
        fps = "–" if math.isnan(self._fps) else f"{self._fps:.0f}"
        lines = [
            self.entry.title,
            f"Episode {self._episodes + 1}   Step {step}   Return {total:.1f}",
            f"FPS {fps} / {self.loop.target_fps:g}   Speed {self.loop.speed:g}x"
            + ("   Wait for input" if self.loop.wait_for_input else ""),
            f"Control: human ({self.source.device})",
        ]
        if self._recording and self.dataset is not None:
            lines.append(f"Dataset: {self.dataset.path.name} ({len(self.dataset)} episodes)")
        if not self.loop.running and self._pending is None and self.loop.in_episode:
            lines.append("PAUSED")
        self.frame.set_hud(lines)

    def _sync(self) -> None:
        """Bring the actions and the banner in line with the loop and the review state."""
        a, loop = self.actions, self.loop
        reviewing = self._pending is not None
        running = loop is not None and loop.running
        a.pause.setChecked(not running)
        for action in (a.pause, a.step, a.restart):
            action.setEnabled(loop is not None and not reviewing)
        a.keep.setEnabled(reviewing)
        a.discard.setEnabled(reviewing)
        a.delete_last.setEnabled(self.committer.last_committed is not None
                                 and not self.committer.busy)
        a.retry.setEnabled(bool(self.committer.failed_jobs))
        self.frame.set_banner(self._banner_text())
        self._update_hud()

    def _banner_text(self) -> str:
        loop = self.loop
        if loop is None or loop.running:
            return ""
        if self._pending is not None:
            return "Episode over\nK: keep    D: discard"
        if self._pad_note:
            return self._pad_note
        if not loop.in_episode:
            return "Episode over\nP: play again"
        return "P: play"

    def _fail(self, title: str, message: str) -> None:
        log.warning("%s: %s", title, message)
        self._state.show_status(f"{title}: {message.splitlines()[0]}")
        show_error(self.window(), title, message)

    def _close_env(self) -> None:
        if self.loop is not None:
            self.loop.pause()
            self.loop.deleteLater()
            self.loop = None
        if self._pending is not None:
            self.keep_episode()  # played to its end: keep rather than lose it
        if self.env is not None:
            self.env.close()
            self.env = None


def _action_names(env: gymnasium.Env | None) -> list[str]:
    """Names of discrete actions when the env knows them (Atari), else none."""
    meanings = getattr(env.unwrapped, "get_action_meanings", None) if env is not None else None
    return list(meanings()) if callable(meanings) else []
