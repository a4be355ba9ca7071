"""Screenshot of the Failures tab's Several ways view for docs/failures.md ("Several good ways").

Records 30 PointMaze_TwoWays-v3 episodes of the scripted expert (seeds 0..29, each going round
the block on the left or the right), opens them in the window, trains the three clones with the
view's defaults, picks the start of episode 0 (where the demos split) and grabs
the Failures tab. Run under a real X server:

    QT_QPA_PLATFORM=xcb xvfb-run -s '-screen 0 1400x900x24' \\
        .venv/bin/python -m tools.screenshots_several_ways
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import torch
from PySide6.QtWidgets import QApplication

from clonelab.app.failures.failures_view import FailuresView
from clonelab.models.expert_demos import record_expert
from clonelab.recorder.maze_envs import TWO_WAYS_ID
from tools.screenshots import grab, wait_until, window_on_tab

ROOT = Path(__file__).resolve().parents[1]
STEP = 0  # the start, below the block: the demos go both ways from here


def main() -> None:
    """Record, train, pick a state, grab docs/screenshots/failures-several-ways.png."""
    torch.set_num_threads(1)  # the machine is shared
    app = QApplication.instance() or QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        dataset = record_expert(workdir / "two-ways", TWO_WAYS_ID, seeds=range(30),
                                operator="screenshots")
        window = window_on_tab(app, workdir, TWO_WAYS_ID, dataset.path, "Failures",
                               size=(1360, 900))
        failures = window.views["Failures"]
        assert isinstance(failures, FailuresView)
        panel = failures.several_ways
        failures.tabs.setCurrentWidget(panel)
        results: list[object] = []
        panel.done.connect(results.append)
        panel.run()
        wait_until(app, lambda: bool(results))
        replayed: list[object] = []
        panel.timeline.replay_checked.connect(replayed.append)
        panel.episode.setValue(1)
        panel.episode.setValue(0)
        wait_until(app, lambda: bool(replayed))
        panel.timeline.set_step(STEP)
        print(panel.summary.text())
        # The Failures tab is as large as its largest panel (DAgger's) and scrolls in the
        # window; its own grab shows all of it.
        grab(app, failures, ROOT / "docs" / "screenshots" / "failures-several-ways.png")
        window.close()


if __name__ == "__main__":
    main()
