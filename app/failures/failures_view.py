"""The Failures tab: why a clone fails, and what fixes it.

Three panels, each running its work on a `GeneratorWorker` with progress and cancel:
compounding error (the clone drifting from the demos' starts, and its accuracy on demo states
next to its agreement with the expert on its own), imperfect experts (a clone per subset of the
demos), and DAgger with the scripted expert against BC at equal labels. Where along an episode
the clone leaves the demos' states is drawn in the Watch and Compare tabs (`app.watch.ood_plot`).
"""

from __future__ import annotations

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from clonelab.app.failures.compounding_panel import CompoundingPanel
from clonelab.app.failures.dagger_panel import DaggerPanel
from clonelab.app.failures.subsets_panel import SubsetsPanel
from clonelab.app.window.state import AppState


class FailuresView(QWidget):
    """Compounding error, subsets of imperfect demos, and DAgger, on the state's selection."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self.selection = QLabel()
        self.compounding = CompoundingPanel(state)
        self.subsets = SubsetsPanel(state)
        self.dagger = DaggerPanel(state)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.compounding, "Compounding error")
        self.tabs.addTab(self.subsets, "Imperfect experts")
        self.tabs.addTab(self.dagger, "DAgger")
        layout = QVBoxLayout(self)
        layout.addWidget(self.selection)
        layout.addWidget(self.tabs, 1)
        for signal in (state.dataset_changed, state.policy_changed, state.env_changed):
            signal.connect(lambda *_: self._show_selection())
        self._show_selection()

    @property
    def panels(self) -> tuple[CompoundingPanel, SubsetsPanel, DaggerPanel]:
        """The three panels, in tab order."""
        return self.compounding, self.subsets, self.dagger

    def shutdown(self) -> None:
        """Stop any running work (the view is going away)."""
        for panel in self.panels:
            panel.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.shutdown()
        super().closeEvent(event)

    def _show_selection(self) -> None:
        state = self._state
        dataset = state.dataset_path.name if state.dataset_path else "none (Datasets tab)"
        policy = state.policy_path.name if state.policy_path else "none (Train or Watch tab)"
        self.selection.setText(f"Env {state.env_id}; dataset {dataset}; policy {policy}")
