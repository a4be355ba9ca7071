"""Screenshots of the Failures tab's DAgger panel for docs/failures.md: Run with the defaults.

Opens the Failures tab on LunarLander-v3, clicks Run with the panel's default settings (chosen
from bench/dagger_seeds.py), grabs the panel while the seeds fill in and again when they are
done, and prints the panel's verdict. Run under a real X server:

    QT_QPA_PLATFORM=xcb xvfb-run -s '-screen 0 1400x900x24' \\
        .venv/bin/python -m tools.screenshots_dagger
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import torch
from PySide6.QtWidgets import QApplication

from clonelab.app.failures.failures_view import FailuresView
from clonelab.app.window.workspace import Workspace
from tools.screenshots import grab, wait_until

ROOT = Path(__file__).resolve().parents[1]
ENV_ID = "LunarLander-v3"
SIZE = (1360, 820)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--midway", type=int, default=12,
                        help="points finished before the mid-run screenshot")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(1)
    app = QApplication(sys.argv)
    view = FailuresView(Workspace(ENV_ID))
    view.resize(*SIZE)
    view.show()
    view.tabs.setCurrentWidget(view.dagger)
    panel = view.dagger
    panel.controls.run_button.click()
    wait_until(app, lambda: len(panel.plot.points) >= args.midway or not panel.runner.busy,
               timeout=3600)
    grab(app, view, args.out / "failures-dagger-seeds-running.png")
    wait_until(app, lambda: not panel.runner.busy, timeout=3600)
    grab(app, view, args.out / "failures-dagger-seeds.png")
    print(f"dagger: {panel.summary.text()} {panel.message.text()}")
    view.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
