"""The Train tab's multi-process run: `clonelab train --nproc 2` launched and read back."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from clonelab.app.train.process_training import process_command, train_in_processes
from clonelab.app.train.train_panel import TrainPanel
from clonelab.models.training import TrainConfig, TrainingError
from tests.app.demo_data import expert_dataset, workspace_on

ENV_ID = "CartPole-v1"
CONFIG = TrainConfig(steps=120, batch_size=32, hidden=(32,), log_every=40, device="cpu")


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return expert_dataset(tmp_path_factory.mktemp("processes") / "demos", ENV_ID,
                          seeds=(0, 1, 2), max_steps=80).path


@pytest.fixture(autouse=True)
def one_thread_each(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)


def test_the_command_is_what_a_person_would_type(tmp_path: Path) -> None:
    command = process_command(CONFIG, tmp_path / "d", tmp_path / "p.pt", 2, (0, 2))
    assert command[1:] == ["-m", "clonelab.app.cli", "train", str(tmp_path / "d"), "--out",
                           str(tmp_path / "p.pt"), "--nproc", "2", "--progress-json", "--json",
                           "--steps", "120", "--batch-size", "32", "--hidden", "32",
                           "--device", "cpu", "--log-every", "40", "--episode-ids", "0,2"]


def test_the_panel_trains_in_two_processes(qtbot, demos: Path, tmp_path: Path) -> None:
    panel = TrainPanel(workspace_on(demos, ENV_ID))
    qtbot.addWidget(panel)
    panel.save_edit.setText(str(tmp_path / "clone.pt"))
    panel.eval_episodes.setValue(0)
    panel.form.editor("steps").setValue(120)
    panel.form.editor("log_every").setValue(40)
    panel.form.editor("hidden").setText("32")
    panel.processes.setValue(2)
    records = []
    panel.runner.progress.connect(records.append)
    with qtbot.waitSignal(panel.runner.finished, timeout=180_000):
        assert panel.start_training() is panel.runner
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=10_000)
    assert [r.step for r in records] == [40, 80, 120]
    assert {r.world_size for r in records} == {2}
    assert panel.result is not None and panel.result.metrics.world_size == 2
    assert (tmp_path / "clone.pt").exists()
    assert "Trained 120 steps" in panel.message.text()
    panel.shutdown()


def test_cancel_ends_every_process_and_returns_nothing(demos: Path) -> None:
    cancel = threading.Event()
    config = TrainConfig(steps=1_000_000, batch_size=32, hidden=(32,), log_every=20,
                         device="cpu")
    run = train_in_processes(config, demos, 2, None, cancel)
    first = next(run)
    assert first.world_size == 2
    children_before = _children()
    assert children_before
    cancel.set()
    with pytest.raises(StopIteration) as stop:
        next(run)
    assert stop.value.value is None
    assert not _children() & children_before


def test_a_failing_run_raises_its_one_line_error(tmp_path: Path) -> None:
    run = train_in_processes(CONFIG, tmp_path / "no-such-dataset", 2, None, threading.Event())
    with pytest.raises(TrainingError, match="no-such-dataset"):
        next(run)


def _children() -> set[int]:
    """Pids of this process's live descendants (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {os.getpid()}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found
