"""The Takeover tab's settings and its control bar (mode, start, done helping, speed, gate
settings), and the words that tell a person how to take over."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from clonelab.app.takeover.takeover_loop import MIN_SPEED
from clonelab.app.widgets.paced_timer import MAX_SPEED
from clonelab.models.failures.ood import CalibratedScore
from clonelab.models.failures.rounds import RoundsConfig
from clonelab.models.failures.takeover import AskForHelp, Controller, Human, HumanGate
from clonelab.models.failures.takeover_training import TAKEOVER_ROUNDS

Mode = Literal["gate", "ask"]
MODES: dict[Mode, str] = {"gate": "Human-gated: hold a key to take over",
                          "ask": "The clone asks for help"}


def key_title(key: str | None) -> str:
    """The takeover key as the screen names it ("Shift"); the pad's button when there is none."""
    return key.capitalize() if key is not None else "the pad's right shoulder button"


def takeover_hint(key: str | None) -> str:
    """How to take over, naming the key `TakeoverHuman.key` watches (and the pad's button)."""
    if key is None:
        return f"Hold {key_title(None)} to take over"
    return f"Hold {key_title(key)} (or the pad's right shoulder button) to take over"


@dataclass(frozen=True, kw_only=True)
class TakeoverSettings:
    """The Takeover tab's settings (the form edits them; tests and tools pass their own)."""

    mode: Mode = "gate"
    """Who decides when the person takes over: the person ("gate") or the clone ("ask")."""
    rounds: RoundsConfig = field(default_factory=lambda: TAKEOVER_ROUNDS)
    """Episodes per round, the retraining, the risk and its threshold, seeds: as
    `clonelab.models.failures.rounds.help_rounds` reads them."""
    pause_on_request: bool = True
    """Pause when the clone asks (else slow down to `slow_speed`)."""
    slow_speed: float = 0.25
    """Play speed while the clone waits for help, when it does not pause."""
    speed: float = 0.5
    """Play speed of takeover episodes (1: the env's own fps). Slow by default: at full speed a
    LunarLander episode is over before a person has seen what goes wrong."""
    countdown: int = 3
    """Seconds counted down on screen before each episode starts (0: none)."""

    def controller(self, agent: Any, human: Human, scores: Sequence[CalibratedScore] | None,
                   action_space: Any) -> Controller:
        """Who acts at each step of an episode played with these settings; ask-for-help needs
        the trained ensemble's calibrated `scores`."""
        if self.mode == "gate":
            return HumanGate(agent, human)
        if scores is None:
            raise RuntimeError("ask-for-help needs a trained ensemble")
        return AskForHelp(agent, human, scores, action_space=action_space,
                          threshold=self.rounds.threshold, agree_steps=self.rounds.agree_steps,
                          human_device="keyboard")


class TakeoverForm(QWidget):
    """One row of controls; `changed(TakeoverSettings)` after every edit.

    The buttons are the view's to connect (`start_button`, `done_button`). Every control takes
    focus only on a click, so the arrow keys and Shift keep driving the game.
    """

    changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = TakeoverSettings()
        self.mode_box = QComboBox()
        for mode, title in MODES.items():
            self.mode_box.addItem(title, mode)
        self.mode_box.currentIndexChanged.connect(
            lambda _i: self._update(mode=self.mode_box.currentData()))
        self.start_button = QPushButton("Start")
        self.done_button = QPushButton("Done helping")
        self.done_button.setToolTip("Hand control back to the clone now")
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.1, 10.0)
        self.threshold.setSingleStep(0.1)
        self.threshold.setToolTip("Ask when the calibrated risk passes this; 1 is the 95% "
                                  "quantile on held-out demo states")
        self.threshold.valueChanged.connect(lambda v: self._update_rounds(threshold=float(v)))
        self.risk_box = QComboBox()
        self.risk_box.addItems(["ood", "disagreement", "both"])
        self.risk_box.setToolTip("ood: distance to the labelled states; disagreement: the "
                                 "ensemble's (asks at every switching point on bang-bang envs)")
        self.risk_box.currentTextChanged.connect(lambda r: self._update_rounds(risk=r))
        self.episodes = QSpinBox()
        self.episodes.setRange(1, 50)
        self.episodes.valueChanged.connect(
            lambda v: self._update_rounds(episodes_per_round=int(v)))
        self.on_request = QComboBox()
        self.on_request.addItems(["pause", "slow down"])
        self.on_request.currentIndexChanged.connect(
            lambda i: self._update(pause_on_request=i == 0))
        self.speed = QDoubleSpinBox()
        self.speed.setRange(MIN_SPEED, MAX_SPEED)
        self.speed.setSingleStep(0.25)
        self.speed.setSuffix("x")
        self.speed.setToolTip("Play speed of the episodes (1x: the env's own speed)")
        self.speed.valueChanged.connect(lambda v: self._update(speed=float(v)))
        bar = QHBoxLayout(self)
        bar.setContentsMargins(0, 0, 0, 0)
        for widget in (self.mode_box, self.start_button, self.done_button, QLabel("speed"),
                       self.speed, QLabel("episodes/round"), self.episodes, QLabel("risk"),
                       self.risk_box, QLabel("threshold"), self.threshold,
                       QLabel("on request"), self.on_request):
            bar.addWidget(widget)
            widget.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        bar.addStretch(1)
        self.set_settings(self._settings)

    @property
    def settings(self) -> TakeoverSettings:
        """The settings as edited."""
        return self._settings

    def set_settings(self, settings: TakeoverSettings) -> None:
        """Show `settings` (emits `changed` once)."""
        self._settings = settings
        editors = (self.mode_box, self.threshold, self.risk_box, self.episodes, self.on_request,
                   self.speed)
        for widget in editors:
            widget.blockSignals(True)
        self.mode_box.setCurrentIndex(list(MODES).index(settings.mode))
        self.threshold.setValue(settings.rounds.threshold)
        self.risk_box.setCurrentText(settings.rounds.risk)
        self.episodes.setValue(settings.rounds.episodes_per_round)
        self.on_request.setCurrentIndex(0 if settings.pause_on_request else 1)
        self.speed.setValue(settings.speed)
        for widget in editors:
            widget.blockSignals(False)
        self._update()

    def _update_rounds(self, **changes: Any) -> None:
        self._update(rounds=replace(self._settings.rounds, **changes))

    def _update(self, **changes: Any) -> None:
        self._settings = replace(self._settings, **changes)
        asking = self._settings.mode == "ask"
        for widget in (self.threshold, self.risk_box, self.on_request):
            widget.setEnabled(asking)
        self.changed.emit(self._settings)
