"""The Failures tab: why a clone fails, and what fixes it.

Five panels, each running its work on a `JobRunner` with progress and cancel:
compounding error (the clone drifting from the demos' starts, and its accuracy on demo states
next to its agreement with the expert on its own), imperfect experts (a clone per subset of the
demos), mixed quality (clones on all the demos, the best half and all weighted, their learning
curves side by side), DAgger with the scripted expert against BC at equal labels, and several
good ways (the demos' actions near a state against each head's distribution there, and a
Gaussian and a mixture clone from the same seeds). Where along an episode the clone leaves
the demos' states is drawn in the Watch and Compare tabs (`app.watch.ood_plot`).
"""

from __future__ import annotations

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from clonelab.app.failures.compounding_panel import CompoundingPanel
from clonelab.app.failures.dagger_panel import DaggerPanel
from clonelab.app.failures.quality_panel import QualityPanel
from clonelab.app.failures.several_ways_panel import SeveralWaysPanel
from clonelab.app.failures.subsets_panel import SubsetsPanel
from clonelab.app.window.workspace import Workspace


class FailuresView(QWidget):
    """Compounding error, subsets of imperfect demos, DAgger and several good ways, on the
    workspace's selection."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self.selection = QLabel()
        self.compounding = CompoundingPanel(workspace)
        self.subsets = SubsetsPanel(workspace)
        self.quality = QualityPanel(workspace)
        self.dagger = DaggerPanel(workspace)
        self.several_ways = SeveralWaysPanel(workspace)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.compounding, "Compounding error")
        self.tabs.addTab(self.subsets, "Imperfect experts")
        self.tabs.addTab(self.quality, "Mixed quality")
        self.tabs.addTab(self.dagger, "DAgger")
        self.tabs.addTab(self.several_ways, "Several ways")
        layout = QVBoxLayout(self)
        layout.addWidget(self.selection)
        layout.addWidget(self.tabs, 1)
        for signal in (workspace.dataset_changed, workspace.policy_changed,
                       workspace.env_changed):
            signal.connect(self._on_selection_changed)
        self._on_selection_changed()

    @property
    def panels(self) -> tuple[CompoundingPanel, SubsetsPanel, QualityPanel, DaggerPanel,
                              SeveralWaysPanel]:
        """The panels, in tab order."""
        return self.compounding, self.subsets, self.quality, self.dagger, self.several_ways

    def shutdown(self) -> None:
        """Stop any running work (the view is going away)."""
        for panel in self.panels:
            panel.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.shutdown()
        super().closeEvent(event)

    def _on_selection_changed(self) -> None:
        ws = self._workspace
        dataset = ws.dataset_path.name if ws.dataset_path else "none (Datasets tab)"
        policy = ws.policy_path.name if ws.policy_path else "none (Train or Watch tab)"
        self.selection.setText(f"Env {ws.env_id}; dataset {dataset}; policy {policy}")
