"""Screenshot of the Takeover tab in the middle of an ask-for-help request, for the docs.

Two rounds of ask-for-help on CartPole are answered by the scripted expert at the keys (so the
plot has history), then the third round plays until the clone asks again, and the view is
grabbed there. Run under a real X server:

    QT_QPA_PLATFORM=xcb xvfb-run -s '-screen 0 1400x900x24' \\
        .venv/bin/python -m tools.screenshots_takeover --out docs/screenshots
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QEventLoop, Qt, QTimer, SignalInstance
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from clonelab.app.play.qt_keys import qt_key
from clonelab.app.takeover.takeover_view import TakeoverSettings, TakeoverView
from clonelab.app.window.workspace import Workspace
from clonelab.models.failures.ensemble import EnsembleConfig
from clonelab.models.failures.takeover_training import TAKEOVER_ROUNDS
from clonelab.models.training import TrainConfig
from clonelab.recorder.experts import make_expert
from tools.screenshots import expert_dataset, settle

ENV_ID = "CartPole-v1"


def wait_for(signal: SignalInstance, timeout_ms: int = 180_000) -> None:
    """Run the event loop until `signal` fires (or the timeout passes)."""
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    signal.disconnect(loop.quit)


class ScriptedKeys:
    """The scripted expert at the keyboard: holds the key of the expert's action."""

    def __init__(self, view: TakeoverView) -> None:
        self.view = view
        self.expert = make_expert(view.loop.session.env)
        keymap = view.human.source.keyboard_map
        self.key_of = {int(keymap.action({name})): name for name in keymap.bound_names}
        self.held: str | None = None

    def answer(self) -> None:
        """Hold the key of what the expert would do now."""
        wanted = self.key_of[int(self.expert.act(self.view.loop.observation))]
        if wanted != self.held:
            if self.held is not None:
                QTest.keyRelease(self.view, Qt.Key(qt_key(self.held)))
            QTest.keyPress(self.view, Qt.Key(qt_key(wanted)))
            self.held = wanted


def play_until(view: TakeoverView, keys: ScriptedKeys, done: list[object]) -> None:
    """Step, with the expert's key held, until something lands in `done`."""
    while not done:
        if view.loop.in_episode:
            keys.answer()
        view.step_once()
        QApplication.processEvents()  # delivers the retrained clone between rounds


def takeover_screenshot(app: QApplication, out: Path, workdir: Path) -> Path:
    """The tab paused at a help request in round 3, with rounds 1 and 2 plotted."""
    state = Workspace(ENV_ID)
    state.select_dataset(expert_dataset(workdir / "demos", ENV_ID))
    view = TakeoverView(state)
    view.resize(1300, 760)
    train = TrainConfig(epochs=10, batch_size=64, hidden=(32, 32), seed=0, device="cpu",
                        log_every=10**6)
    view.configure(TakeoverSettings(mode="ask", rounds=replace(
        TAKEOVER_ROUNDS, episodes_per_round=3, max_episode_steps=200,
        ensemble=EnsembleConfig(members=3, train=train))))
    view.show()
    settle(app)
    view.prepare()
    wait_for(view.retrained)
    keys = ScriptedKeys(view)
    for _round in range(2):
        finished: list[object] = []
        view.round_finished.connect(lambda *_args, finished=finished: finished.append(1))
        play_until(view, keys, finished)
        wait_for(view.retrained)
    asked: list[object] = []
    # A request some way into an episode (the first steps' states are the demos' own).
    view.loop.help_requested.connect(
        lambda decision: asked.append(decision) if view.loop.session.steps >= 20 else None)
    play_until(view, keys, asked)
    settle(app, 400)
    path = out / "takeover.png"
    view.grab().save(str(path))
    view.close()
    return path


def main(argv: list[str] | None = None) -> int:
    """Write the screenshot and print its path."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args(argv)
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as workdir:
        print(takeover_screenshot(app, args.out, Path(workdir)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
