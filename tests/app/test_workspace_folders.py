"""One workspace folder per dataset, made only when used (issue 9, item 11).

Opening a dataset and showing the Takeover tab leave the disk as it was; the first committed
takeover round makes `<dataset>.clonelab/takeover`; clones and IRL runs go inside the same folder
by default; an older version's `<dataset>-takeover` sibling is still read and added to.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from clonelab.app.irl.irl_adversarial_panel import AdversarialPanel
from clonelab.app.takeover.takeover_form import TakeoverSettings
from clonelab.app.takeover.takeover_view import TakeoverView
from clonelab.app.train.train_panel import TrainPanel
from clonelab.app.window.dialogs import PreferencesDialog
from clonelab.app.window.main_window import MainWindow
from clonelab.app.window.settings import Settings
from clonelab.app.window.workspace import Workspace
from clonelab.models.failures.ensemble import EnsembleConfig
from clonelab.models.failures.takeover_training import TAKEOVER_ROUNDS, open_takeovers
from clonelab.models.training import TrainConfig
from clonelab.recorder.dataset import DemoDataset
from tests.app.demo_data import expert_dataset, play_expert, workspace_on

ENV_ID = "CartPole-v1"
TRAIN_TIMEOUT_MS = 60_000


def _listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def _quick(episodes_per_round: int = 1) -> TakeoverSettings:
    train = TrainConfig(epochs=1, batch_size=64, hidden=(16,), seed=0, device="cpu",
                        log_every=10**6)
    rounds = replace(TAKEOVER_ROUNDS, ensemble=EnsembleConfig(members=2, train=train),
                     episodes_per_round=episodes_per_round, max_episode_steps=15)
    return TakeoverSettings(mode="gate", rounds=rounds)  # step_once: no countdown


def _takeover_view(qtbot: QtBot, demos: Path) -> TakeoverView:
    workspace = workspace_on(demos, ENV_ID)
    view = TakeoverView(workspace)
    qtbot.addWidget(view)
    view.configure(_quick())
    return view


def _play_one_round(qtbot: QtBot, view: TakeoverView) -> None:
    with qtbot.waitSignal(view.retrained, timeout=TRAIN_TIMEOUT_MS):
        while True:
            view.step_once()
            if view.retrainer.busy:
                break


def test_opening_a_dataset_in_the_window_and_showing_the_takeover_tab_creates_nothing(
    qtbot: QtBot, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    demos = expert_dataset(data / "demos", ENV_ID, seeds=(0, 1), max_steps=30).path
    before = _listing(data)
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(Workspace(ENV_ID), settings)
    qtbot.addWidget(window)
    window.show()
    assert window.open_dataset(demos)
    window.tabs.setCurrentIndex(window.tabs.indexOf(window.views["Takeover"].parentWidget()
                                                    .parentWidget()))
    takeover = window.views["Takeover"]
    qtbot.waitUntil(takeover.isVisible)
    assert takeover.loop is not None  # the tab loaded the dataset
    qtbot.wait(200)
    assert _listing(data) == before
    assert "demos.clonelab" in takeover.message.text()  # and says where episodes will go
    window.close()


def test_the_first_takeover_round_creates_the_workspace_folder(
    qtbot: QtBot, tmp_path: Path
) -> None:
    demos = expert_dataset(tmp_path / "demos", ENV_ID, seeds=(0, 1), max_steps=30).path
    view = _takeover_view(qtbot, demos)
    before = _listing(tmp_path)
    with qtbot.waitSignal(view.retrained, timeout=TRAIN_TIMEOUT_MS):
        view.prepare()  # the first clone trains on the demos alone: nothing to keep yet
    assert _listing(tmp_path) == before and view.takeovers is None
    _play_one_round(qtbot, view)
    stored = DemoDataset.open(tmp_path / "demos.clonelab" / "takeover")
    assert len(stored) == 1 and view.takeovers is not None and len(view.takeovers) == 1
    assert not (tmp_path / "demos-takeover").exists()
    view.shutdown()


def test_an_older_versions_takeover_folder_is_read_and_added_to(
    qtbot: QtBot, tmp_path: Path
) -> None:
    demos = expert_dataset(tmp_path / "demos", ENV_ID, seeds=(0, 1), max_steps=30)
    legacy = open_takeovers(demos, tmp_path / "demos-takeover")
    human = play_expert(ENV_ID, 7, max_steps=12)
    legacy.append(replace(human, actors=("human",) * human.steps), tags=("takeover",))
    view = _takeover_view(qtbot, demos.path)
    assert view.takeovers is not None and view.takeovers.path == tmp_path / "demos-takeover"
    with qtbot.waitSignal(view.retrained, timeout=TRAIN_TIMEOUT_MS) as signal:
        view.prepare()
    assert signal.args[0].labels == 12  # the old human labels train the clone
    _play_one_round(qtbot, view)
    assert len(DemoDataset.open(tmp_path / "demos-takeover")) == 2
    assert not (tmp_path / "demos.clonelab").exists()
    view.shutdown()


def test_a_trained_clone_is_saved_in_the_workspace_folder_by_default(
    qtbot: QtBot, tmp_path: Path
) -> None:
    demos = expert_dataset(tmp_path / "demos", ENV_ID, seeds=(0, 1), max_steps=30).path
    workspace = workspace_on(demos, ENV_ID)
    panel = TrainPanel(workspace)
    qtbot.addWidget(panel)
    panel.form.editor("steps").setValue(20)
    panel.eval_episodes.setValue(0)
    panel.start_training()
    with qtbot.waitSignal(workspace.policy_changed, timeout=30_000):
        pass
    saved = workspace.policy_path
    assert saved is not None and saved.parent == tmp_path / "demos.clonelab" / "clones"
    assert saved.name.startswith("bc-") and saved.is_file()
    assert _listing(tmp_path).count("demos.clonelab") == 1  # nothing else beside the dataset
    panel.shutdown()


def test_an_airl_run_writes_into_the_workspace_folder_by_default(
    qtbot: QtBot, tmp_path: Path
) -> None:
    demos = expert_dataset(tmp_path / "demos", ENV_ID, seeds=(0, 1), max_steps=30).path
    workspace = workspace_on(demos, ENV_ID)
    panel = AdversarialPanel(workspace)
    qtbot.addWidget(panel)
    panel.method_combo.setCurrentText("airl")
    runner = panel.start()
    assert runner is not None
    with qtbot.waitSignal(runner.cancelled, timeout=60_000):
        panel.cancel()  # a cancelled run keeps what it learned, where it was writing
    (run,) = (tmp_path / "demos.clonelab" / "runs").iterdir()
    assert run.name.startswith("airl-") and (run / "policy.pt").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demos", "demos.clonelab"]
    panel.shutdown()


def test_under_a_preferred_root_the_folders_go_there(qtbot: QtBot, tmp_path: Path) -> None:
    demos = expert_dataset(tmp_path / "demos", ENV_ID, seeds=(0, 1), max_steps=30).path
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    settings.workspace_root = tmp_path / "work"
    window = MainWindow(Workspace(ENV_ID), settings)
    qtbot.addWidget(window)
    assert window.open_dataset(demos)
    folder = window.workspace.dataset_folder
    assert folder is not None and folder.path.parent == tmp_path / "work"
    assert folder.takeover.is_relative_to(folder.path) and not folder.path.exists()
    window.close()


def test_preferences_show_where_workspace_folders_go_and_remember_a_root(
    qtbot: QtBot, tmp_path: Path
) -> None:
    dialog = PreferencesDialog("ann", None)
    qtbot.addWidget(dialog)
    assert dialog.root.text() == "" and ".clonelab" in dialog.root.placeholderText()
    assert dialog.workspace_root is None  # beside each dataset
    dialog.root.setText(str(tmp_path / "work"))
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    settings.workspace_root = dialog.workspace_root
    assert settings.workspace_root == tmp_path / "work"
    assert PreferencesDialog("ann", settings.workspace_root).root.text() == str(tmp_path / "work")
    settings.workspace_root = None
    assert settings.workspace_root is None
