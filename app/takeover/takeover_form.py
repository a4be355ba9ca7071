"""The Takeover tab's settings and its control bar (mode, start, done helping, gate settings)."""

from __future__ import annotations

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

from clonelab.models.failures.rounds import RoundsConfig
from clonelab.models.failures.takeover_training import TAKEOVER_ROUNDS

Mode = Literal["gate", "ask"]
MODES: dict[Mode, str] = {"gate": "Human-gated: hold Shift to take over",
                          "ask": "The clone asks for help"}


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
        bar = QHBoxLayout(self)
        bar.setContentsMargins(0, 0, 0, 0)
        for widget in (self.mode_box, self.start_button, self.done_button,
                       QLabel("episodes/round"), self.episodes, QLabel("risk"), self.risk_box,
                       QLabel("threshold"), self.threshold, QLabel("on request"),
                       self.on_request):
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
        for widget in (self.mode_box, self.threshold, self.risk_box, self.episodes,
                       self.on_request):
            widget.blockSignals(True)
        self.mode_box.setCurrentIndex(list(MODES).index(settings.mode))
        self.threshold.setValue(settings.rounds.threshold)
        self.risk_box.setCurrentText(settings.rounds.risk)
        self.episodes.setValue(settings.rounds.episodes_per_round)
        self.on_request.setCurrentIndex(0 if settings.pause_on_request else 1)
        for widget in (self.mode_box, self.threshold, self.risk_box, self.episodes,
                       self.on_request):
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
