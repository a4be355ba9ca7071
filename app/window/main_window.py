"""The main window: tabs, menus, toolbar, status bar, recent files, drag and drop, settings."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QMainWindow,
    QMenu,
    QMessageBox,
    QScrollArea,
    QTabWidget,
    QWidget,
)

from clonelab.app.datasets.dataset_browser import DatasetBrowser
from clonelab.app.failures.failures_view import FailuresView
from clonelab.app.irl.irl_view import IrlView
from clonelab.app.play.play_view import PlayView
from clonelab.app.takeover.takeover_view import TakeoverView
from clonelab.app.train.train_panel import TrainPanel
from clonelab.app.watch.compare_view import CompareView
from clonelab.app.watch.watch_view import WatchView
from clonelab.app.widgets.job_controls import JobControls
from clonelab.app.window.dialogs import OtherEnvDialog, PreferencesDialog, shortcuts_text, show_info
from clonelab.app.window.errors import ExceptionHook, show_error
from clonelab.app.window.game_focus import GameFocus
from clonelab.app.window.play_toolbar import build_play_toolbar
from clonelab.app.window.questions import Answer, ask
from clonelab.app.window.settings import Settings
from clonelab.app.window.workspace import Workspace
from clonelab.models.checkpoint import CheckpointError
from clonelab.recorder.catalog import CATALOG, UnknownEnvError
from clonelab.recorder.controls import ControlMapError, load_control_map
from clonelab.recorder.dataset import DatasetError
from clonelab.recorder.errors import one_line
from clonelab.recorder.keyboard import APP_SHORTCUTS as KEY
from clonelab.recorder.wording import plural

log = logging.getLogger(__name__)

# The tabs after Play, in order: (title, view class built with the workspace).
OTHER_VIEWS = (
    ("Datasets", DatasetBrowser),
    ("Train", TrainPanel),
    ("Watch", WatchView),
    ("Compare", CompareView),
    ("Failures", FailuresView),
    ("Takeover", TakeoverView),
    ("Inverse RL", IrlView),
)
DATASET_SUFFIXES = {".hdf5", ".h5"}
POLICY_SUFFIXES = {".pt"}
STATUS_MS = 8000


class MainWindow(QMainWindow):
    """CloneLab's window; a tab per view, all sharing `workspace`."""

    def __init__(self, workspace: Workspace, settings: Settings | None = None) -> None:
        super().__init__()
        self.workspace = workspace
        self.settings = settings or Settings()
        workspace.folder_root = self.settings.workspace_root
        self.setWindowTitle("CloneLab")
        self.setAcceptDrops(True)
        self.play = PlayView(workspace, self.settings, self)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.play, "Play")
        self.views: dict[str, QWidget] = {"Play": self.play}
        self._build_tabs()
        self.setCentralWidget(self.tabs)
        self.game_focus = GameFocus(self, self.tabs, self.views)
        self._build_menus()
        self.env_combo = build_play_toolbar(self, self.play.actions, self._on_env_chosen)
        workspace.status_message.connect(
            lambda text: self.statusBar().showMessage(text, STATUS_MS))
        workspace.env_changed.connect(self._on_env_changed)
        workspace.dataset_changed.connect(self._on_env_changed)  # its env may come with it
        workspace.dataset_changed.connect(self._on_dataset_changed)
        self.play.recorder.dataset_needed.connect(self.new_dataset)
        self.hook = ExceptionHook(before_report=self.play.pause, parent=self)
        self.hook.raised.connect(self._on_unexpected)
        self.hook.install()
        geometry = self.settings.geometry
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 800)
        self._on_env_changed()
        self.statusBar().showMessage(f"Ready: press {KEY['pause']} to play, {KEY['record']} "
                                     "to record", STATUS_MS)
        self.play.setFocus()

    # --- commands ---------------------------------------------------------------------------

    def new_dataset(self) -> None:
        """Ask where to create a dataset for the current env, then record into it."""
        default = str(Path.home() / f"{self.workspace.env_id.replace('/', '_')}-demos")
        path, _ = QFileDialog.getSaveFileName(self, "New dataset (a folder)", default)
        if path and self.play.create_dataset(Path(path)):
            self.settings.add_recent("dataset", Path(path))
            self.play.set_recording(True)

    def choose_dataset(self) -> None:
        """Pick a dataset directory to open."""
        path = QFileDialog.getExistingDirectory(self, "Open dataset")
        if path:
            self.open_dataset(Path(path))

    def open_dataset(self, path: Path) -> bool:
        """Select a dataset (a directory or an exported .hdf5); its env becomes the current one."""
        try:
            dataset = self.workspace.open_dataset(path)
        except DatasetError as exc:
            self._error("Cannot open the dataset", str(exc))
            return False
        self.settings.add_recent("dataset", path)
        count = len(dataset)
        note = f"; {dataset.repair_note}" if dataset.repair_note else ""  # an index rebuilt
        self.statusBar().showMessage(f"Dataset {path.name}: {count} episode"
                                     f"{'' if count == 1 else 's'} of {dataset.env_id}{note}",
                                     STATUS_MS)
        return True

    def reopen_last_dataset(self) -> bool:
        """Open the dataset that was open when CloneLab last quit. One that is gone or does
        not open is a line in the status bar (no dialog at start) and nothing opens."""
        path = self.settings.last_dataset
        if path is None:
            return False
        problem = "is gone" if not path.exists() else ""
        if not problem:
            try:
                dataset = self.workspace.open_dataset(path)
            except DatasetError as exc:
                problem = f"does not open: {one_line(exc)}"
        if problem:
            self.settings.last_dataset = None  # said once; the next start opens nothing
            self.statusBar().showMessage(f"The last dataset, {path}, {problem}; none opened",
                                         STATUS_MS)
            return False
        self.statusBar().showMessage(f"Reopened dataset {path.name}: "
                                     f"{plural(len(dataset), 'episode')} of {dataset.env_id}",
                                     STATUS_MS)
        return True

    def choose_policy(self) -> None:
        """Pick a policy checkpoint."""
        path, _ = QFileDialog.getOpenFileName(self, "Open policy", "", "Policies (*.pt)")
        if path:
            self.open_policy(Path(path))

    def open_policy(self, path: Path) -> bool:
        """Load a policy file for the Watch and Compare tabs; one that does not load is a
        dialog and changes nothing (the policy, Recent policies, the status bar)."""
        try:
            policy = self.workspace.open_policy(path)
        except CheckpointError as exc:
            self._error("Cannot open the policy", str(exc))
            return False
        assert policy is not None
        self.settings.add_recent("policy", path)
        self.statusBar().showMessage(f"Policy {path.name} ({policy.spec.env_id})", STATUS_MS)
        return True

    def open_other_env(self, env_id: str, map_path: Path) -> bool:
        """Play any gymnasium id with a JSON control map (`env_id` may be empty)."""
        try:
            control_map = load_control_map(map_path)
        except ControlMapError as exc:
            self._error("Bad control map", str(exc))
            return False
        entry = control_map.entry
        if env_id and env_id != entry.env_id:
            self._error("Bad control map",
                        f"{map_path}: env_id: the map is for {entry.env_id}, not {env_id}")
            return False
        self.workspace.add_entry(entry)
        self.select_env(entry.env_id)
        return self.play.entry is not None and self.play.entry.env_id == entry.env_id

    def select_env(self, env_id: str) -> None:
        """Play `env_id`; an id without an entry is a message and the env stays."""
        try:
            self.workspace.select_env(env_id)
        except UnknownEnvError as exc:
            self._error(f"Cannot play {env_id}", str(exc))

    def edit_preferences(self) -> None:
        """The Preferences dialog (operator name, where workspace folders go)."""
        dialog = PreferencesDialog(self.settings.operator, self.settings.workspace_root, self)
        if dialog.exec():
            self.settings.operator = dialog.operator.text()
            self.settings.workspace_root = self.workspace.folder_root = dialog.workspace_root
            self.statusBar().showMessage(f"Operator: {self.settings.operator or '(none)'}",
                                         STATUS_MS)

    # --- building ---------------------------------------------------------------------------

    def _build_tabs(self) -> None:
        for title, view_class in OTHER_VIEWS:
            view = view_class(self.workspace, parent=self)
            # A scroll area, so that no view's minimum size can force the window's.
            scroll = QScrollArea()
            scroll.setWidget(view)
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            self.tabs.addTab(scroll, title)
            self.views[title] = view
        browser = self.views["Datasets"]
        assert isinstance(browser, DatasetBrowser)
        browser.lag.shift_chosen.connect(self._on_shift_chosen)

    def _on_shift_chosen(self, shift: int) -> None:
        """The Datasets tab's suggested action shift goes into the Train form, shown."""
        train = self.views["Train"]
        assert isinstance(train, TrainPanel)
        train.form.editor("action_shift").setValue(shift)
        titles = [self.tabs.tabText(index) for index in range(self.tabs.count())]
        self.tabs.setCurrentIndex(titles.index("Train"))
        self.statusBar().showMessage(f"Train form: action shift {shift}", STATUS_MS)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._add(file_menu, "&New dataset…", "Ctrl+N", "Create a dataset to record into",
                  self.new_dataset)
        self._add(file_menu, "&Open dataset…", "Ctrl+O", "Open a dataset directory",
                  self.choose_dataset)
        self._add(file_menu, "Open &policy…", "Ctrl+Shift+O", "Open a policy checkpoint (.pt)",
                  self.choose_policy)
        self._recent_datasets = file_menu.addMenu("Recent datasets")
        self._recent_datasets.aboutToShow.connect(
            lambda: self._fill_recent(self._recent_datasets, "dataset", self.open_dataset))
        self._recent_policies = file_menu.addMenu("Recent policies")
        self._recent_policies.aboutToShow.connect(
            lambda: self._fill_recent(self._recent_policies, "policy", self.open_policy))
        file_menu.addSeparator()
        self._add(file_menu, "P&references…", "Ctrl+,", "Operator name, workspace folders",
                  self.edit_preferences)
        self._add(file_menu, "&Quit", "Ctrl+Q", "Quit CloneLab", self.close)

        env_menu = bar.addMenu("&Environment")
        self._env_group = QActionGroup(self)
        for env_id, entry in CATALOG.items():
            action = env_menu.addAction(entry.title)
            action.setCheckable(True)
            action.setData(env_id)
            action.setStatusTip(env_id)
            self._env_group.addAction(action)
        self._env_group.triggered.connect(lambda action: self._on_env_chosen(action.data()))
        env_menu.addSeparator()
        self._add(env_menu, "&Other environment…", "Ctrl+E",
                  "Any gymnasium id with a JSON control map", self._ask_other_env)

        a = self.play.actions
        play_menu = bar.addMenu("&Play")
        play_menu.addActions([a.pause, a.step, a.restart, a.record, a.wait_for_input])
        speed_menu = play_menu.addMenu("&Speed")
        speed_menu.addActions([a.slower, a.faster])
        speed_menu.addSeparator()
        speed_menu.addActions(a.speeds.actions())
        play_menu.addSeparator()
        play_menu.addActions([a.keep, a.discard, a.delete_last, self.play.undo_delete, a.retry])
        play_menu.addSeparator()
        play_menu.addAction(a.controls)

        help_menu = bar.addMenu("&Help")
        self._add(help_menu, "&Keyboard shortcuts", "F1", "Keys and shortcuts",
                  lambda: show_info(self, "Keyboard shortcuts", shortcuts_text(a)))
        self._add(help_menu, "&About CloneLab", "", "About",
                  lambda: show_info(self, "About CloneLab",
                                    "<b>CloneLab</b><p>Record human demonstrations of gymnasium "
                                    "environments, clone them with behavioral cloning, and "
                                    "watch where the clone goes wrong.</p>"))

    def _add(self, menu: QMenu, text: str, keys: str, tip: str, slot) -> QAction:
        action = menu.addAction(text)
        if keys:
            action.setShortcut(keys)
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(slot)
        return action

    def _fill_recent(self, menu: QMenu, kind: str, open_path) -> None:
        menu.clear()
        paths = self.settings.recent(kind)
        for path in paths:
            menu.addAction(str(path)).triggered.connect(lambda _=False, p=path: open_path(p))
        if not paths:
            menu.addAction("(none)").setEnabled(False)

    # --- reactions --------------------------------------------------------------------------

    def _on_env_chosen(self, env_id: str) -> None:
        self.select_env(env_id)
        self.play.setFocus()

    def _ask_other_env(self) -> None:
        dialog = OtherEnvDialog(self)
        if dialog.exec():
            self.open_other_env(*dialog.choice())

    def _on_env_changed(self) -> None:
        # Read when called: a failed switch reverts the env inside the emission.
        env_id = self.workspace.env_id
        index = self.env_combo.findData(env_id)
        if index < 0:
            self.env_combo.addItem(env_id, env_id)
            index = self.env_combo.count() - 1
        self.env_combo.setCurrentIndex(index)
        for action in self._env_group.actions():
            action.setChecked(action.data() == env_id)
        self.setWindowTitle(f"CloneLab: {env_id}")

    def _on_unexpected(self, summary: str) -> None:
        self._error("Unexpected error",
                    f"{summary}\n\nPlay is paused and the running episode is kept; press "
                    f"{KEY['pause']} to go on. Details are in the log.")

    def _error(self, title: str, message: str) -> None:
        self.statusBar().showMessage(f"{title}: {message.splitlines()[0]}", STATUS_MS)
        show_error(self, title, message)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        if any(_dropped_kind(Path(url.toLocalFile())) for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        for url in event.mimeData().urls():
            path = Path(url.toLocalFile())
            kind = _dropped_kind(path)
            if kind == "dataset":
                self.open_dataset(path)
            elif kind == "policy":
                self.open_policy(path)
            elif kind == "controls":
                self.open_other_env("", path)
        event.acceptProposedAction()

    def _on_dataset_changed(self) -> None:
        # Remember what is open now (not a selection that failed to open) for the next start.
        dataset = self.workspace.dataset
        self.settings.last_dataset = dataset.path if dataset is not None else None

    def may_quit(self) -> bool:
        """Ask before quitting loses or keeps something unasked: the episode under review
        (Keep / Discard / Cancel), a job still running (Quit / Cancel). False: stay."""
        self.play.pause()
        if not self.play.settle_review("quitting"):
            return False
        running = [f"{controls.run_button.text()} in the {title} tab"
                   for title, view in self.views.items()
                   for controls in view.findChildren(JobControls) if controls.runner.busy]
        if running:
            answer = ask(self, "Stop the running work?",
                         f"Still running: {', '.join(running)}. Quitting stops it and its "
                         "results so far are lost.",
                         {Answer.Yes: "Quit and stop it", Answer.Cancel: "Cancel"})
            if answer != Answer.Yes:
                return False
        return True

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if not self.may_quit():
            event.ignore()
            return
        unsaved = self.play.finish_recording()
        if unsaved:
            answer = QMessageBox.question(
                self, "Unsaved episodes",
                f"{unsaved} kept episode(s) could not be saved. Quit and lose them?")
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        for view in self.views.values():
            if view is not self.play:
                view.close()
        self.play.shutdown()
        self.settings.geometry = self.saveGeometry()
        self.settings.sync()
        self.hook.uninstall()
        super().closeEvent(event)


def _dropped_kind(path: Path) -> str | None:
    if path.is_dir() or path.suffix.lower() in DATASET_SUFFIXES:
        return "dataset"
    if path.suffix.lower() in POLICY_SUFFIXES:
        return "policy"
    if path.suffix.lower() == ".json":
        return "controls"
    return None
