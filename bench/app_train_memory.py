"""The app's peak memory while it trains: the real MainWindow, offscreen, through the Train tab.

Builds `MainWindow` on `--env`, selects the dataset `--data` (as the Datasets tab does), sets
the Train form to `--steps` steps (no evaluation afterwards), presses Run and waits for the
checkpoint. A thread samples the process's resident memory (VmRSS) every 50 ms; the peak is
also read from the kernel's high-water mark (VmHWM), which no sample can miss. `--read-rows`
changes how many frames training reads and converts at a time (models.train_inputs.READ_ROWS).
Selecting a dataset also starts the Datasets tab's summary and the Watch tab's OOD fit, which
read the whole dataset; `--without-readers` stubs those two, to measure training alone.
`--cap-mib` ends the run (recorded, with every thread's stack) when resident memory passes it,
so a measurement cannot exhaust the shared machine. After training the run goes on until every
background job the window started (Compare's OOD timeline of the clone, Watch's OOD fit) has
ended and `--settle-s` seconds have passed: what the app does right after training (saving,
opening the policy, Compare reading its demo) is measured too, and its peak is given apart.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/app_train_memory.py \
        --env ALE/Pong-v5 --data /tmp/pong20 --out bench/results/app_train_memory_pong.json
"""

from __future__ import annotations

import argparse
import faulthandler
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchlib import finish, machine

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from clonelab.app.datasets import dataset_browser  # noqa: E402
from clonelab.app.datasets.summary_plots import DatasetSummary  # noqa: E402
from clonelab.app.watch import live_ood  # noqa: E402
from clonelab.app.widgets.job_runner import JobRunner  # noqa: E402
from clonelab.app.window.main_window import MainWindow  # noqa: E402
from clonelab.app.window.settings import Settings  # noqa: E402
from clonelab.app.window.workspace import Workspace  # noqa: E402
from clonelab.models import train_inputs  # noqa: E402
from clonelab.models.training import TrainConfig  # noqa: E402


def _status_mib(field: str) -> float:
    """A memory field of /proc/self/status (VmRSS, VmHWM) in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def _stub_readers() -> None:
    """Replace the Datasets summary and the Watch OOD fit by jobs that read nothing."""

    def no_summary(dataset: object, ids: object, *, seed: int = 0):  # noqa: ANN202
        yield 0
        return DatasetSummary(episode_ids=np.zeros(0, np.int64), returns=np.zeros(0),
                              actions=np.zeros(0, np.int64), observations=None,
                              action_space=dataset.action_space)  # type: ignore[attr-defined]

    dataset_browser.summarize = no_summary  # type: ignore[assignment]
    live_ood.demo_ood = lambda dataset: "no OOD fit (stubbed by the benchmark)"


class Sampler(threading.Thread):
    """Samples VmRSS until stopped: the peak and the (seconds, MiB) trace; past `cap_mib`
    it keeps every thread's stack and ends the process's work (`exceeded`)."""

    def __init__(self, cap_mib: float, every_s: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.every_s = every_s
        self.cap_mib = cap_mib
        self.exceeded = ""
        self.trace: list[tuple[float, float]] = []
        self._halt = threading.Event()
        self.t0 = time.perf_counter()

    def run(self) -> None:
        while not self._halt.is_set():
            self.trace.append((time.perf_counter() - self.t0, _status_mib("VmRSS")))
            if self.trace[-1][1] > self.cap_mib:
                with tempfile.TemporaryFile("w+") as stacks:
                    faulthandler.dump_traceback(stacks, all_threads=True)
                    stacks.seek(0)
                    self.exceeded = stacks.read()
                QApplication.quit()
                return
            time.sleep(self.every_s)

    def stop(self) -> float:
        self._halt.set()
        self.join()
        return max(rss for _, rss in self.trace)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="ALE/Pong-v5")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--read-rows", type=int, default=train_inputs.READ_ROWS)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--without-readers", action="store_true")
    parser.add_argument("--cap-mib", type=float, default=4000)
    parser.add_argument("--settle-s", type=float, default=2.0,
                        help="seconds to keep sampling after training once no job runs")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    train_inputs.READ_ROWS = args.read_rows
    if args.without_readers:
        _stub_readers()
    before = machine()
    app = QApplication.instance() or QApplication([])
    folder = Path(tempfile.mkdtemp(prefix="clonelab-memory-"))
    settings = Settings(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(Workspace(args.env), settings)
    window.show()
    window.workspace.select_dataset(args.data)
    app.processEvents()
    panel = window.views["Train"]
    panel.form.set_config(TrainConfig(steps=args.steps, log_every=max(1, args.steps // 4)))
    panel.eval_episodes.setValue(0)
    panel.save_edit.setText(str(folder / "clone.pt"))
    window.tabs.setCurrentIndex(2)
    app.processEvents()
    idle_mib = _status_mib("VmRSS")
    sampler = Sampler(args.cap_mib)
    sampler.start()
    outcome: dict[str, object] = {}
    started = time.perf_counter()
    runner = panel.start_training()
    if runner is None:
        raise SystemExit(f"training did not start: {panel.message.text()}")
    runner.progress.connect(lambda p: outcome.setdefault(
        "first_record_s", time.perf_counter() - started))
    runner.finished.connect(lambda r: outcome.setdefault("samples_per_s", r.samples_per_s))
    runner.failed.connect(lambda message: outcome.setdefault("failed", message))
    # Training's last record: what follows (saving, Compare's reload) is the after-training phase.
    trained_at: list[float] = []
    runner.busy_changed.connect(lambda busy: None if busy else trained_at.append(
        time.perf_counter() - sampler.t0))  # emitted before `finished` reaches the panel
    quiet_since: list[float] = []

    def poll_jobs() -> None:
        if runner.busy or any(job.busy for job in window.findChildren(JobRunner)):
            quiet_since.clear()
            return
        quiet_since.append(time.perf_counter())
        if quiet_since[-1] - quiet_since[0] >= args.settle_s:
            app.quit()

    poll = QTimer()
    poll.timeout.connect(poll_jobs)
    poll.start(100)
    app.exec()
    seconds = time.perf_counter() - started
    peak_sampled = sampler.stop()
    split = trained_at[0] if trained_at else float("inf")
    during = [mib for t, mib in sampler.trace if t < split] or [0.0]
    after = [mib for t, mib in sampler.trace if t >= split] or [0.0]
    results = {
        "env_id": args.env, "dataset": str(args.data),
        "steps": window.workspace.dataset.total_steps, "episodes": len(
            window.workspace.dataset.episode_ids),
        "train_steps": args.steps, "read_rows": args.read_rows, "threads": args.threads,
        "readers_stubbed": args.without_readers, "cap_mib": args.cap_mib,
        "stopped_at_cap_with_stacks": sampler.exceeded or None,
        "message": panel.message.text(), **outcome, "seconds": seconds,
        "rss_before_training_mib": idle_mib, "peak_rss_sampled_mib": peak_sampled,
        "peak_rss_hwm_mib": _status_mib("VmHWM"),
        "training_ended_s": trained_at[0] if trained_at else None,
        "peak_rss_training_mib": max(during), "peak_rss_after_training_mib": max(after),
        "settle_s": args.settle_s,
        "rss_trace_mib": [(round(t, 2), round(m)) for t, m in sampler.trace[::10]],
    }
    finish(args.out, before=before, results_key="results", results=results)


if __name__ == "__main__":
    main(sys.argv[1:])
