"""The Inverse RL tab: learn the reward a demonstrator was maximising.

Two panels: MaxEnt IRL on small grid worlds, with the learned reward as a heatmap under the
demos' paths (`app.irl.irl_maxent_panel`), and AIRL or GAIL on vector envs from the state's
dataset, with live curves, a saved policy, and the learned reward along an episode
(`app.irl.irl_adversarial_panel`). The panel that fits the open dataset is shown first (a grid
world's dataset also becomes the MaxEnt demos).
"""

from __future__ import annotations

import logging

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from clonelab.app.irl.irl_adversarial_panel import AdversarialPanel
from clonelab.app.irl.irl_maxent_panel import FROM_DATASET, MaxEntPanel
from clonelab.app.window.workspace import Workspace
from clonelab.models.policy import observation_kind

log = logging.getLogger(__name__)


class IrlView(QWidget):
    """MaxEnt IRL for grid worlds and AIRL/GAIL for vector envs, side by side as sub-tabs."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self.maxent = MaxEntPanel(workspace)
        self.adversarial = AdversarialPanel(workspace)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.adversarial, "AIRL / GAIL (vector envs)")
        self.tabs.addTab(self.maxent, "MaxEnt (grid worlds)")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        workspace.dataset_changed.connect(self._on_dataset_changed)
        self._on_dataset_changed()

    def shutdown(self) -> None:
        """Cancel and wait for both panels' runs."""
        self.maxent.shutdown()
        self.adversarial.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.shutdown()
        super().closeEvent(event)

    def _on_dataset_changed(self) -> None:
        dataset = self._workspace.dataset
        if dataset is None:  # none, or a bad one the adversarial panel reports
            return
        kind = observation_kind(dataset.observation_space)
        if kind == "vector":
            self.tabs.setCurrentWidget(self.adversarial)
        else:
            self.tabs.setCurrentWidget(self.maxent)
            self.maxent.source_combo.setCurrentText(FROM_DATASET)
