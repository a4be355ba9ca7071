"""Screenshots of the Datasets, Train, Watch and Compare tabs with real data.

Records a CartPole expert dataset (plus two noisy demos), trains a clone briefly, builds each
view on it and saves `widget.grab()` PNGs to docs/screenshots/. Run under a real X server:

    QT_QPA_PLATFORM=xcb xvfb-run -s '-screen 0 1400x900x24' \
        .venv/bin/python -m tools.screenshots_views
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

import torch
from PySide6.QtWidgets import QApplication

from clonelab.app.datasets.dataset_browser import DatasetBrowser
from clonelab.app.train.train_panel import TrainPanel
from clonelab.app.watch.compare_view import CompareView
from clonelab.app.watch.watch_view import WatchView
from clonelab.app.window.workspace import Workspace
from clonelab.models.checkpoint import save_policy
from clonelab.models.expert_demos import expert_episodes, record_expert
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain
from tools.screenshots import grab, wait_until

ROOT = Path(__file__).resolve().parents[1]
ENV_ID = "CartPole-v1"
SIZE = (1360, 860)





def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(1)
    app = QApplication(sys.argv)
    work = Path(tempfile.mkdtemp(prefix="clonelab-shots-"))

    demos = record_expert(work / "cartpole-demos", ENV_ID, seeds=range(8), max_steps=200)
    for episode in expert_episodes(ENV_ID, (20, 21), noise=0.6, max_steps=200):
        demos.append(episode, tags=("noisy",))
    config = TrainConfig(steps=1500, hidden=(64, 64), log_every=50)
    result = drain(train_bc(config, demos))
    policy_path = save_policy(work / "cartpole-clone.pt", result.policy, config,
                              dataset_fingerprint=result.dataset_fingerprint)

    state = Workspace(ENV_ID)
    state.select_dataset(demos.path)

    browser = DatasetBrowser(state)
    browser.resize(*SIZE)
    browser.show()
    browser.select_episode(8)
    wait_until(app, lambda: browser.timeline.replay_result() is not None)
    browser.timeline.set_step(40)
    wait_until(app, lambda: browser.plots.summary() is not None)
    grab(app, browser, args.out / "datasets.png")
    browser.tabs.setCurrentIndex(1)
    grab(app, browser, work / "datasets-plots.png")

    panel = TrainPanel(state)
    panel.resize(*SIZE)
    panel.show()
    panel.form.editor("steps").setValue(1500)
    panel.form.editor("hidden").setText("64, 64")
    panel.form.editor("log_every").setValue(50)
    panel.save_edit.setText(str(work / "panel-clone.pt"))
    panel.start_training()
    wait_until(app, lambda: panel.evaluation is not None or not panel.is_busy())
    grab(app, panel, args.out / "train.png")

    state.open_policy(policy_path)
    watch = WatchView(state)
    watch.resize(*SIZE)
    watch.show()
    watch.new_episode(seed=3)
    for _ in range(40):
        watch.step_once()
    grab(app, watch, args.out / "watch.png")

    compare = CompareView(state)
    compare.resize(*SIZE)
    compare.show()
    compare.choose_episode(8)
    divergence = compare.comparison.first_divergence if compare.comparison else None
    compare.lockstep.seek((divergence or 0) + 15)
    grab(app, compare, args.out / "compare.png")
    print(f"extra shots and data in {work}")

    for view in (browser, panel, watch, compare):
        view.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
