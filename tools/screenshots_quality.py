"""Screenshot of the Failures tab's Mixed quality view for docs/failures.md ("Mixed quality").

Records LunarLander demos of 3 expert and 6 noisy-expert episodes (a random action half the
time), opens them in the window, runs the comparison with its defaults (all, best half,
weighted; seed 0) and grabs the window. Run under a real X server:

    QT_QPA_PLATFORM=xcb xvfb-run -s '-screen 0 1400x900x24' \\
        .venv/bin/python -m tools.screenshots_quality
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import torch
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from clonelab.app.failures.failures_view import FailuresView
from clonelab.app.window.main_window import MainWindow
from clonelab.app.window.settings import Settings
from clonelab.app.window.workspace import Workspace
from clonelab.models.expert_demos import expert_episodes, record_expert
from tools.screenshots import grab, settle, wait_until

ROOT = Path(__file__).resolve().parents[1]
ENV_ID = "LunarLander-v3"


def main() -> None:
    """Record, compare, grab docs/screenshots/failures-mixed-quality.png."""
    torch.set_num_threads(1)
    app = QApplication.instance() or QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        dataset = record_expert(workdir / "mixed-lander", ENV_ID, seeds=range(3),
                                tags=("expert",), operator="screenshots")
        for episode in expert_episodes(ENV_ID, range(100, 106), noise=0.5):
            dataset.append(episode, tags=("noisy",))
        settings = Settings(QSettings(str(workdir / "quality.ini"), QSettings.Format.IniFormat))
        window = MainWindow(Workspace(ENV_ID), settings)
        window.resize(1360, 860)
        window.show()
        settle(app)
        window.open_dataset(dataset.path)
        failures = window.views["Failures"]
        assert isinstance(failures, FailuresView)
        titles = [window.tabs.tabText(index) for index in range(window.tabs.count())]
        window.tabs.setCurrentIndex(titles.index("Failures"))
        failures.tabs.setCurrentWidget(failures.quality)
        results: list[object] = []
        failures.quality.done.connect(results.append)
        failures.quality.run()
        wait_until(app, lambda: bool(results))
        print(failures.quality.summary.text())
        # The Several ways panel makes the tab taller than the window (it scrolls there);
        # the view's own grab shows all of it.
        grab(app, failures, ROOT / "docs" / "screenshots" / "failures-mixed-quality.png")
        window.close()


if __name__ == "__main__":
    main()
