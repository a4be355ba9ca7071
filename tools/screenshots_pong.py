"""Screenshots of the Train and Compare tabs on Pong, in the main window, with real data.

Give it a Pong dataset and a policy trained on it (a few hundred steps are enough for the
picture; docs/screenshots/compare_pong.png shows bench/atari_clone.py's seed-1 clone of 20
expert games cut at 5,000 steps and recorded with `--noise 0.2 --clean-labels`, on those
demos, `--compare-step 400`, docs/benchmarks.md section 11), made in a scratch folder as a
person would:

    clonelab expert ALE/Pong-v5 --episodes 3 --max-steps 600 --out /tmp/shots/pong-demos
    clonelab train /tmp/shots/pong-demos --out /tmp/shots/pong.pt --steps 200 --batch 32
    QT_QPA_PLATFORM=xcb xvfb-run -s '-screen 0 1400x1300x24' .venv/bin/python \\
        -m tools.screenshots_pong --dataset /tmp/shots/pong-demos --policy /tmp/shots/pong.pt

The window's settings live next to the dataset, not in the user's. The Train tab shows a short
run on the dataset (the preprocessing line under the form, the loss curves); Compare shows
episode 0 a while in, the demo on the left and the clone on the right.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

import torch
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from clonelab.app.train.train_panel import TrainPanel
from clonelab.app.watch.compare_view import CompareView
from clonelab.app.window.main_window import MainWindow
from clonelab.app.window.settings import Settings
from clonelab.app.window.workspace import Workspace
from tools.screenshots import grab, settle, wait_until

ROOT = Path(__file__).resolve().parents[1]
ENV_ID = "ALE/Pong-v5"
SIZE = (1360, 860)
TRAIN_SIZE = (1360, 1260)  # the whole form, down to the preprocessing line and the output


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--policy", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--train-steps", type=int, default=120)
    parser.add_argument("--compare-step", type=int, default=180)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    torch.set_num_threads(1)
    app = QApplication.instance() or QApplication(sys.argv)
    work = args.dataset.parent
    settings = Settings(QSettings(str(work / "shots.ini"), QSettings.Format.IniFormat))
    window = MainWindow(Workspace(ENV_ID), settings)
    window.resize(*SIZE)
    window.show()
    settle(app)
    window.open_dataset(args.dataset)

    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    panel = window.views["Train"]
    assert isinstance(panel, TrainPanel)
    window.tabs.setCurrentIndex(titles.index("Train"))
    panel.form.editor("steps").setValue(args.train_steps)
    panel.form.editor("batch_size").setValue(32)
    panel.form.editor("log_every").setValue(10)
    panel.form.editor("random_shift").setValue(4)  # benchmarks.md section 11's Pong recipe
    panel.form.editor("action_balance").setText("1")
    panel.eval_episodes.setValue(0)  # a Pong evaluation plays whole games: minutes
    panel.save_edit.setText(str(work / "panel-clone.pt"))
    panel.start_training()
    wait_until(app, lambda: not panel.is_busy(), timeout=1800)
    window.resize(*TRAIN_SIZE)
    grab(app, window, args.out / "train_pong.png")
    window.resize(*SIZE)

    window.open_policy(args.policy)
    compare = window.views["Compare"]
    assert isinstance(compare, CompareView)
    window.tabs.setCurrentIndex(titles.index("Compare"))
    settle(app, 500)
    compare.choose_episode(0)
    wait_until(app, lambda: compare.lockstep is not None)
    compare.lockstep.seek(args.compare_step)
    wait_until(app, lambda: "computing" not in compare.ood_plot.plotItem.titleLabel.text,
               timeout=1800)  # the OOD score's background fit
    grab(app, window, args.out / "compare_pong.png")
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
