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
from PySide6.QtWidgets import QApplication

from clonelab.app.failures.failures_view import FailuresView
from clonelab.models.expert_demos import expert_episodes, record_expert
from tools.screenshots import grab, wait_until, window_on_tab

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
        window = window_on_tab(app, workdir, ENV_ID, dataset.path, "Failures")
        failures = window.views["Failures"]
        assert isinstance(failures, FailuresView)
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
