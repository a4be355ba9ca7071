"""Screenshots of the Inverse RL tab for the docs: the MaxEnt heatmap and the AIRL curves.

Run under a real X server so fonts and styles are the ones users see:

    QT_QPA_PLATFORM=xcb xvfb-run -s '-screen 0 1400x900x24' \\
        .venv/bin/python -m tools.screenshots_irl --out docs/screenshots

The dataset and the trained files live in a temporary directory.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from clonelab.app.irl.irl_view import IrlView
from clonelab.app.widgets.job_runner import JobRunner
from clonelab.app.window.workspace import Workspace
from tools.screenshots import expert_dataset, settle


def wait_for(runner: JobRunner | None, timeout_ms: int) -> None:
    """Run the event loop until the runner's job ends (or the timeout passes)."""
    if runner is None:
        return
    loop = QEventLoop()
    for signal in (runner.finished, runner.failed, runner.cancelled):
        signal.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()


def main(argv: list[str] | None = None) -> int:
    """Write irl_maxent.png and irl_adversarial.png into --out."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--steps", type=int, default=20_480,
                        help="AIRL env steps on CartPole (default 20480)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as workdir:
        state = Workspace("CartPole-v1")
        state.select_dataset(expert_dataset(Path(workdir) / "cartpole", "CartPole-v1"))
        view = IrlView(state)
        view.resize(1280, 760)
        view.show()
        settle(app)

        maxent = view.maxent
        view.tabs.setCurrentWidget(maxent)
        maxent.source_combo.setCurrentText("MiniGrid empty room 8x8")
        maxent.episodes_spin.setValue(6)
        maxent.iterations_spin.setValue(300)
        wait_for(maxent.start(), 120_000)
        settle(app, 400)
        view.grab().save(str(args.out / "irl_maxent.png"))

        adversarial = view.adversarial
        view.tabs.setCurrentWidget(adversarial)
        adversarial.steps_spin.setValue(args.steps)
        adversarial.save_edit.setText(str(Path(workdir) / "airl"))
        wait_for(adversarial.start(), 600_000)
        settle(app, 400)
        view.grab().save(str(args.out / "irl_adversarial.png"))
        view.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
