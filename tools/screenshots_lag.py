"""Screenshot of the Datasets tab's Reaction lag view for docs/failures.md ("Reaction lag").

Records 20 LunarLander episodes of the heuristic expert reacting 5 steps late, opens them in
the window, runs the lag estimate (expert reference, shifts 0..12) and grabs the window.
Run under a real X server:

    QT_QPA_PLATFORM=xcb xvfb-run -s '-screen 0 1400x900x24' \\
        .venv/bin/python -m tools.screenshots_lag
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QApplication

from clonelab.app.datasets.dataset_browser import DatasetBrowser
from clonelab.models.expert_demos import record_expert
from tools.screenshots import grab, wait_until, window_on_tab

ROOT = Path(__file__).resolve().parents[1]
ENV_ID = "LunarLander-v3"
LAG = 5


def main() -> None:
    """Record, estimate, grab docs/screenshots/datasets-lag.png."""
    app = QApplication.instance() or QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        dataset = record_expert(workdir / "lagged-lander", ENV_ID, seeds=range(1000, 1020),
                                lag=LAG, tags=("expert", f"lag={LAG}"), operator="screenshots")
        window = window_on_tab(app, workdir, ENV_ID, dataset.path, "Datasets")
        browser = window.views["Datasets"]
        assert isinstance(browser, DatasetBrowser)
        browser.tabs.setCurrentWidget(browser.lag)
        browser.select_episode(0)
        results: list[object] = []
        browser.lag.done.connect(results.append)
        browser.lag.run()
        wait_until(app, lambda: bool(results))
        print(browser.lag.summary.text())
        grab(app, window, ROOT / "docs" / "screenshots" / "datasets-lag.png")
        window.close()


if __name__ == "__main__":
    main()
