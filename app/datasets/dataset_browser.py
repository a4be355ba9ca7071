"""The Datasets tab: open or create a dataset, browse its episodes, scrub one, plot the lot.

Episodes are listed in a sortable, filterable table. Deleting hides episodes behind an undo
window (the workspace's `EpisodeDeletions`, shared with the Play tab) before anything leaves the
disk. Merging appends another dataset of the same env in the background. Every failure (a
corrupt dataset, a foreign env, a failing env) ends up as a message in the view.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from clonelab.app.datasets.dataset_edits import merge_into
from clonelab.app.datasets.episode_table import ID_ROLE, EpisodeFilterProxy, EpisodeTableModel
from clonelab.app.datasets.episode_timeline import EpisodeTimeline
from clonelab.app.datasets.lag_panel import LagPanel
from clonelab.app.datasets.summary_plots import SummaryPlots, summarize
from clonelab.app.widgets.job_runner import JobRunner
from clonelab.app.widgets.message_line import MessageLine
from clonelab.app.window.episode_deletions import UNDO_WINDOW_MS
from clonelab.app.window.errors import one_line
from clonelab.app.window.workspace import Workspace
from clonelab.recorder.action_names import EnvNames, env_names
from clonelab.recorder.catalog import make_env, observation_kind_of
from clonelab.recorder.dataset import DatasetError, DemoDataset
from clonelab.recorder.wording import plural

log = logging.getLogger(__name__)

_SUMMARY_DELAY_MS = 300


class DatasetBrowser(QWidget):
    """Browse the workspace's dataset: table, filters, delete/undo, merge, timeline, plots."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self._dataset: DemoDataset | None = None
        # Merging and summarizing run one job each; a new summary replaces a running one.
        self._merger = JobRunner(self)
        self._merger.progress.connect(
            lambda p: self.message.show_message(f"Merging: {p[0]}/{p[1]} episodes"))
        self._merger.finished.connect(
            lambda count: self._on_merged(f"Merged {plural(count, 'episode')}."))
        self._merger.failed.connect(lambda msg: self._on_merged(f"Merge failed: {msg}", error=True))
        self._summarizer = JobRunner(self)
        self._summarizer.progress.connect(lambda done: self.plots.set_status(
            f"reading {done}/{self._summarizer.tag} episodes..."))
        self._summarizer.finished.connect(self._on_summary)
        self._summarizer.failed.connect(lambda msg: self.plots.set_status(f"cannot plot: {msg}"))
        self._deletions = workspace.deletions
        self._deletions.changed.connect(self._on_hidden_changed)

        self.model = EpisodeTableModel(self)
        self.proxy = EpisodeFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row)

        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("filter by tag or operator")
        self.filter_edit.textChanged.connect(self.proxy.set_text)
        self.min_return_check = QCheckBox("min return")
        self.min_return_spin = QDoubleSpinBox()
        self.min_return_spin.setRange(-1e9, 1e9)
        self.min_return_spin.setDecimals(1)
        self.min_return_spin.setEnabled(False)
        self.min_return_check.toggled.connect(self.min_return_spin.setEnabled)
        self.min_return_check.toggled.connect(self._on_min_return_changed)
        self.min_return_spin.valueChanged.connect(self._on_min_return_changed)

        open_button = QToolButton()
        open_button.setText("Open")
        open_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        open_menu = QMenu(open_button)
        open_menu.addAction("Dataset folder...", self._on_open_folder_triggered)
        open_menu.addAction("Exported .hdf5 file...", self._on_open_file_triggered)
        open_button.setMenu(open_menu)
        self.new_button = QPushButton("New...")
        self.new_button.clicked.connect(self._on_new_clicked)
        self.merge_button = QPushButton("Merge...")
        self.merge_button.setToolTip("Append every episode of another dataset of the same env")
        self.merge_button.clicked.connect(self._on_merge_clicked)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setShortcut(QKeySequence.StandardKey.Delete)
        self.delete_button.clicked.connect(self.delete_selected)
        self.undo_button = QPushButton("Undo")
        # Ctrl+Z is the Play menu's "Undo delete", for every tab: the same undo stack.
        self.undo_button.setToolTip("Bring back the episodes deleted last (Ctrl+Z)")
        self.undo_button.clicked.connect(self._deletions.undo)
        self._deletions.stack.canUndoChanged.connect(self.undo_button.setEnabled)
        self.undo_button.setEnabled(self._deletions.stack.canUndo())
        self.save_plots_button = QPushButton("Save plots as PNG...")
        self.save_plots_button.clicked.connect(self._on_save_plots_clicked)

        self.path_label = QLabel("No dataset open")
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message = MessageLine("browserMessage")
        self._deletions.committed.connect(self.message.show_message)
        self._deletions.failed.connect(lambda text: self.message.show_message(text, "error"))
        self.timeline = EpisodeTimeline()
        self.plots = SummaryPlots()
        self.lag = LagPanel(workspace)
        self._summary_timer = QTimer(self)
        self._summary_timer.setSingleShot(True)
        self._summary_timer.timeout.connect(self._on_summary_timeout)
        for signal in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset,
                       self.proxy.layoutChanged):
            signal.connect(lambda *_: self._summary_timer.start(_SUMMARY_DELAY_MS))

        self._build_layout(open_button)
        self._set_dataset_actions(False)
        workspace.dataset_changed.connect(self._on_dataset_changed)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        if workspace.dataset_path is not None:
            self._on_dataset_changed()

    def _build_layout(self, open_button: QToolButton) -> None:
        bar = QHBoxLayout()
        for widget in (open_button, self.new_button, self.merge_button, self.delete_button,
                       self.undo_button):
            bar.addWidget(widget)
        bar.addSpacing(16)
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.min_return_check)
        bar.addWidget(self.min_return_spin)
        plots_page = QWidget()
        plots_layout = QVBoxLayout(plots_page)
        plots_layout.addWidget(self.plots, 1)
        plots_layout.addWidget(self.save_plots_button, 0, Qt.AlignmentFlag.AlignRight)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.timeline, "Episode")
        self.tabs.addTab(plots_page, "Summary plots")
        self.tabs.addTab(self.lag, "Reaction lag")
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([560, 840])  # the table's columns readable from the start
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.path_label)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)

    # -- public API ---------------------------------------------------------------------------

    @property
    def dataset(self) -> DemoDataset | None:
        """The dataset shown, or None."""
        return self._dataset

    @property
    def undo_stack(self) -> Any:
        """The QUndoStack of pending deletions (the workspace's, shared with the Play tab)."""
        return self._deletions.stack

    def open_dataset(self, path: str | Path) -> bool:
        """Open the dataset at `path` in the workspace; on failure keep the old one, say why."""
        try:
            self._workspace.open_dataset(Path(path))
        except Exception as exc:  # noqa: BLE001 - any unreadable input becomes a message
            self.message.show_message(f"Cannot open {path}: {one_line(exc)}", "error")
            return False
        return True

    def create_dataset(self, path: str | Path) -> bool:
        """Create an empty dataset of the workspace's env at `path` and select it."""
        env_id = self._workspace.env_id
        try:
            env = make_env(env_id)
            try:
                dataset = DemoDataset.create(path, env_id=env_id,
                                             observation_space=env.observation_space,
                                             action_space=env.action_space)
            finally:
                env.close()
        except Exception as exc:  # noqa: BLE001
            self.message.show_message(f"Cannot create a dataset at {path}: {one_line(exc)}",
                                      "error")
            return False
        self._workspace.set_dataset(dataset)
        return True

    def reload(self) -> None:
        """Re-read the episode list from the dataset."""
        dataset = self._dataset
        if dataset is None:
            self.model.set_infos([])
            return
        self.model.set_infos([dataset.episode_info(i) for i in dataset.episode_ids])
        self.timeline.clear()

    def visible_ids(self) -> list[int]:
        """The episode ids shown in the table, in view order."""
        return self.proxy.visible_ids()

    def select_episode(self, episode_id: int) -> None:
        """Select the row of `episode_id` (shows it on the timeline)."""
        for row in range(self.proxy.rowCount()):
            if self.proxy.data(self.proxy.index(row, 0), ID_ROLE) == episode_id:
                self.table.selectRow(row)
                return

    def delete_selected(self) -> None:
        """Hide the selected episodes; they are deleted when the undo window closes."""
        rows = self.table.selectionModel().selectedRows()
        self.delete_episodes([self.proxy.data(index, ID_ROLE) for index in rows])

    def delete_episodes(self, ids: list[int]) -> None:
        """Hide `ids` now, delete them for real after UNDO_WINDOW_MS unless undone."""
        if not ids or self._dataset is None:
            return
        try:
            self._deletions.delete(self._dataset, ids)
        except DatasetError as exc:
            self.message.show_message(one_line(exc), "error")
            return
        self.message.show_message(f"Deleted {len(ids)} episode(s). Undo within "
                                  f"{UNDO_WINDOW_MS // 1000} s (Ctrl+Z).")

    def commit_deletions(self) -> None:
        """Delete the hidden episodes from disk now (the undo window closes)."""
        self._deletions.commit()

    def merge_from(self, path: str | Path) -> JobRunner | None:
        """Append every episode of the dataset at `path` in the background; returns the runner
        (None: no dataset, or a merge is running)."""
        if self._dataset is None or self._merger.busy:
            return None
        self.commit_deletions()
        target = self._dataset
        self._merger.start(lambda cancel: merge_into(target, path, cancel=cancel))
        self.merge_button.setEnabled(False)
        return self._merger

    def shutdown(self) -> None:
        """Commit pending deletions and stop background work (the view is going away)."""
        self._deletions.commit(announce=False)  # the other views are closing too
        self.timeline.shutdown()
        self._merger.shutdown(5000)
        self._summarizer.shutdown(5000)
        self.lag.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.shutdown()
        super().closeEvent(event)

    # -- handlers -----------------------------------------------------------------------------

    def _on_dataset_changed(self) -> None:
        dataset = self._workspace.dataset
        if dataset is not None and dataset is self._dataset:
            self.reload()  # the Play view appended, or a merge finished
            return
        self._dataset = dataset
        error = self._workspace.dataset_error
        if dataset is None:
            self._set_dataset_actions(False)
            self.path_label.setText("No dataset open")
            if error is not None:
                self.message.show_message(
                    f"Cannot open {self._workspace.dataset_path}: {one_line(error)}", "error")
            self.reload()
            return
        kind = "read-only" if dataset.read_only else "writable"
        self.path_label.setText(f"{dataset.path}  ({dataset.env_id}, {kind})")
        self._set_dataset_actions(True)
        self.message.show_message("")
        self.reload()

    def _on_current_row(self, current: Any, _previous: Any) -> None:
        dataset = self._dataset
        if dataset is None or not current.isValid():
            return
        episode_id = self.proxy.data(current, ID_ROLE)
        try:
            episode = dataset.load_episode(episode_id)
        except Exception as exc:  # noqa: BLE001
            self.timeline.clear(f"Episode {episode_id} is unreadable")
            self.message.show_message(one_line(exc), "error")
            return
        image = observation_kind_of(dataset.observation_space) == "image"
        self.timeline.set_episode(dataset.env_id, episode, image_observations=image,
                                  names=self._names(dataset.env_id))

    def _on_hidden_changed(self) -> None:
        ids = self._deletions.hidden_ids(self._dataset)
        self.proxy.set_hidden_ids(ids)
        if not ids and self._deletions.stack.canRedo():
            self.message.show_message("")  # undone

    def _on_min_return_changed(self, *_: Any) -> None:
        enabled = self.min_return_check.isChecked()
        self.proxy.set_min_return(self.min_return_spin.value() if enabled else None)

    def _on_merged(self, message: str, *, error: bool = False) -> None:
        self.merge_button.setEnabled(self._dataset is not None)
        self.message.show_message(message, "error" if error else "note")
        self._workspace.dataset_edited()

    def _on_summary_timeout(self) -> None:
        dataset = self._dataset
        if dataset is None:
            self._summarizer.drop()
            self.plots.set_summary(None)
            return
        ids = self.visible_ids()
        self._summarizer.start(lambda _cancel: summarize(dataset, sorted(ids)), tag=len(ids),
                               replace=True)

    def _on_summary(self, summary: Any) -> None:
        self.plots.set_summary(summary, self._names(self._dataset.env_id if self._dataset
                                                    else self._workspace.env_id))
        self.plots.set_status(f"{plural(len(summary.episode_ids), 'episode')}, "
                              f"{plural(len(summary.actions), 'step')}")

    # -- helpers ------------------------------------------------------------------------------

    def _names(self, env_id: str) -> EnvNames:
        # The workspace's entry carries a control map's own names for its env.
        return env_names(env_id, entry=self._workspace.entry)

    def _set_dataset_actions(self, enabled: bool) -> None:
        writable = enabled and self._dataset is not None and not self._dataset.read_only
        for widget in (self.merge_button, self.delete_button):
            widget.setEnabled(writable)
        self.save_plots_button.setEnabled(enabled)


    def _on_open_folder_triggered(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a dataset folder")
        if path:
            self.open_dataset(path)

    def _on_open_file_triggered(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open an exported dataset", "",
                                              "HDF5 datasets (*.hdf5 *.h5)")
        if path:
            self.open_dataset(path)

    def _on_new_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "New dataset folder")
        if path:
            self.create_dataset(path)

    def _on_merge_clicked(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Merge episodes from a dataset folder")
        if path:
            self.merge_from(path)

    def _on_save_plots_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Save the plots as PNG into")
        if folder:
            try:
                paths = self.plots.save_png(folder)
            except Exception as exc:  # noqa: BLE001
                self.message.show_message(f"Cannot save the plots: {one_line(exc)}", "error")
                return
            self.message.show_message(f"Saved {', '.join(p.name for p in paths)} in {folder}.")
