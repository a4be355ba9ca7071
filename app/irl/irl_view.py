"""The Inverse RL tab: learn the reward a demonstrator was maximising.

Two panels: MaxEnt IRL on small grid worlds, with the learned reward as a heatmap under the
demos' paths (`app.irl.irl_maxent_panel`), and AIRL or GAIL on vector envs from the state's
dataset, with live curves, a saved policy, and the learned reward along an episode
(`app.irl.irl_adversarial_panel`). The panel that fits the open dataset is shown first (a grid
world's dataset also becomes the MaxEnt demos).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from clonelab.app.irl.irl_adversarial_panel import AdversarialPanel
from clonelab.app.irl.irl_maxent_panel import FROM_DATASET, MaxEntPanel
from clonelab.app.window.state import AppState
from clonelab.models.policy import observation_kind
from clonelab.recorder.dataset import DemoDataset

log = logging.getLogger(__name__)


class IrlView(QWidget):
    """MaxEnt IRL for grid worlds and AIRL/GAIL for vector envs, side by side as sub-tabs."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.maxent = MaxEntPanel(state)
        self.adversarial = AdversarialPanel(state)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.adversarial, "AIRL / GAIL (vector envs)")
        self.tabs.addTab(self.maxent, "MaxEnt (grid worlds)")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        state.dataset_changed.connect(self._on_dataset_changed)
        self._on_dataset_changed(state.dataset_path)

    def shutdown(self) -> None:
        """Cancel and wait for both panels' runs."""
        self.maxent.shutdown()
        self.adversarial.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.shutdown()
        super().closeEvent(event)

    def _on_dataset_changed(self, path: Path | None) -> None:
        if path is None:
            return
        try:
            kind = observation_kind(DemoDataset.open(path).observation_space)
        except Exception:  # noqa: BLE001 - the adversarial panel reports a bad dataset
            return
        if kind == "vector":
            self.tabs.setCurrentWidget(self.adversarial)
        else:
            self.tabs.setCurrentWidget(self.maxent)
            self.maxent.source_combo.setCurrentText(FROM_DATASET)
