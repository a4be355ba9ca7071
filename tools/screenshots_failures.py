"""Screenshots and numbers for docs/walkthrough-failures.md: one imitation failure, found and fixed.

Records two LunarLander expert demos, trains a BC clone on them, and shows in turn: the Compare
view's OOD timeline (where the clone leaves the demos' states), the Watch view's live timeline,
the Failures tab's compounding error, DAgger against BC at equal labels, and the Compare view
again with DAgger's clone. A second, CartPole dataset of experts at three noise levels fills the
subsets panel. PNGs go to docs/screenshots/, the numbers to stdout. Run under a real X server:

    QT_QPA_PLATFORM=xcb xvfb-run -s '-screen 0 1400x900x24' \
        .venv/bin/python -m tools.screenshots_failures
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

import torch
from PySide6.QtWidgets import QApplication

from clonelab.app.failures.failures_view import FailuresView
from clonelab.app.watch.compare_view import CompareView
from clonelab.app.watch.watch_view import WatchView
from clonelab.app.window.workspace import Workspace
from clonelab.models.checkpoint import save_policy
from clonelab.models.expert_demos import expert_episodes, record_expert
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain
from tools.screenshots import grab, wait_until

ROOT = Path(__file__).resolve().parents[1]
ENV_ID = "LunarLander-v3"
SIZE = (1360, 860)
# A deliberately small clone (as in bench/dagger_curve.py): cheap to train, and its small action
# errors compound quickly. BC and DAgger train with exactly this config.
TRAIN = TrainConfig(steps=1000, hidden=(4,))




def compare_shot(app: QApplication, state: Workspace, path: Path) -> int | None:
    """The Compare view on episode 0, scrubbed to where the clone leaves the demos."""
    view = CompareView(state)
    view.resize(*SIZE)
    view.show()
    view.choose_episode(0)
    wait_until(app, lambda: view.ood_plot.timeline is not None)
    first = view.ood_plot.timeline.first_ood
    view.lockstep.seek(min((first or 0) + 10, view.slider.maximum()))
    grab(app, view, path)
    print(f"{path.stem}: {view.ood_plot.getPlotItem().titleLabel.text}")
    view.shutdown()
    view.close()
    view.deleteLater()
    return first


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--iterations", type=int, default=8, help="DAgger iterations")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(1)
    app = QApplication(sys.argv)
    work = Path(tempfile.mkdtemp(prefix="clonelab-failures-"))

    demos = record_expert(work / "lander-demos", ENV_ID, seeds=(0, 1))
    result = drain(train_bc(TRAIN, demos))
    bc_path = save_policy(work / "bc.pt", result.policy, TRAIN,
                          dataset_fingerprint=result.dataset_fingerprint)
    print(f"demos: {len(demos)} episodes, {demos.total_steps} steps")
    state = Workspace(ENV_ID)
    state.select_dataset(demos.path)
    state.open_policy(bc_path)

    compare_shot(app, state, args.out / "failures-compare-bc.png")

    watch = WatchView(state)
    watch.resize(*SIZE)
    watch.show()
    wait_until(app, lambda: watch.ood_plot.score is not None)
    watch.new_episode(seed=0)
    for _ in range(75):  # the clone crashes at about step 90 from this start
        watch.step_once()
    grab(app, watch, args.out / "failures-watch.png")
    watch.shutdown()
    watch.close()
    watch.deleteLater()  # it would refit its OOD score when the env changes below

    view = FailuresView(state)
    view.resize(*SIZE)
    view.show()
    compounding = view.compounding
    compounding.run()
    wait_until(app, lambda: not compounding.runner.busy)
    grab(app, view, args.out / "failures-compounding.png")
    print(f"compounding: {compounding.summary.text()}")

    view.tabs.setCurrentWidget(view.dagger)
    dagger = view.dagger
    dagger.form.editor("iterations").setValue(args.iterations)
    dagger.form.editor("episodes_per_iter").setValue(1)
    dagger.seeds_form.editor("seeds").setValue(1)  # the walkthrough follows one run
    dagger.train_form.editor("steps").setValue(TRAIN.total_steps(0))
    dagger.train_form.editor("hidden").setText(", ".join(str(size) for size in TRAIN.hidden))
    dagger.run()
    wait_until(app, lambda: not dagger.runner.busy)
    grab(app, view, args.out / "failures-dagger.png")
    print(f"dagger: {dagger.summary.text()} {dagger.message.text()}")
    if dagger.result is not None:
        print(f"dagger summary: {dagger.result.summary()}")
        dagger.save_clone(work / "dagger.pt")  # becomes the state's policy
        compare_shot(app, state, args.out / "failures-compare-dagger.png")

    cartpole = record_expert(work / "cartpole-noise", "CartPole-v1", seeds=(0, 1),
                             max_steps=200, tags=("noise=0",))
    for noise, seeds in ((0.2, (2, 3)), (0.5, (4, 5))):
        for episode in expert_episodes("CartPole-v1", seeds, noise=noise, max_steps=200):
            cartpole.append(episode, tags=(f"noise={noise}",))
    state.select_env("CartPole-v1")
    state.select_dataset(cartpole.path)
    view.tabs.setCurrentWidget(view.subsets)
    subsets = view.subsets
    subsets.form.editor("group_by").setCurrentText("noise")
    subsets.train_steps.setValue(1000)
    subsets.run()
    wait_until(app, lambda: not subsets.runner.busy)
    grab(app, view, args.out / "failures-subsets.png")
    print(f"subsets: {subsets.summary.text()} {subsets.message.text()}")
    view.shutdown()
    view.close()
    print(f"data in {work}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
