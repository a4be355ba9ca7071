"""Screenshots of the Play tab for the docs: open the window, play a few steps, grab it.

Run under a real X server so fonts and styles are the ones users see:

    QT_QPA_PLATFORM=xcb xvfb-run -s '-screen 0 1400x900x24' \\
        .venv/bin/python -m tools.screenshots --out docs/screenshots

Settings and the dataset live in a temporary directory: the user's settings are not touched.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from clonelab.app.window.main_window import MainWindow
from clonelab.app.window.settings import Settings
from clonelab.app.window.workspace import Workspace
from clonelab.models.expert_demos import record_expert


def settle(app: QApplication, ms: int = 200) -> None:
    """Let Qt lay out and paint."""
    QTest.qWait(ms)
    app.processEvents()


def wait_until(app: QApplication, condition: Callable[[], bool], timeout: float = 900.0) -> None:
    """Run the event loop until `condition()` holds (sleeping, so worker threads get the GIL)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the view did not get ready in time")
        app.processEvents()
        time.sleep(0.01)


def grab(app: QApplication, widget: QWidget, path: Path) -> None:
    """Let layouts settle, then save what the widget shows."""
    settle(app, 400)
    widget.grab().save(str(path))
    print(f"wrote {path}")


def expert_dataset(path: Path, env_id: str) -> Path:
    """A dataset holding one scripted-expert episode (what a session of recording leaves)."""
    return record_expert(path, env_id, seeds=(0,), operator="screenshots").path


def window_on_tab(app: QApplication, workdir: Path, env_id: str, dataset: Path, tab: str,
                  size: tuple[int, int] = (1360, 860)) -> MainWindow:
    """A shown window of `size` with its own settings, `dataset` opened and `tab` current."""
    settings = Settings(QSettings(str(workdir / "shots.ini"), QSettings.Format.IniFormat))
    window = MainWindow(Workspace(env_id), settings)
    window.resize(*size)
    window.show()
    settle(app)
    window.open_dataset(dataset)
    titles = [window.tabs.tabText(index) for index in range(window.tabs.count())]
    window.tabs.setCurrentIndex(titles.index(tab))
    return window


def recording_window(app: QApplication, workdir: Path, name: str, env_id: str) -> MainWindow:
    """A 1280x800 window with its own settings `<name>.ini`, recording into a fresh expert
    dataset `<name>-demos` of `env_id`."""
    settings = Settings(QSettings(str(workdir / f"{name}.ini"), QSettings.Format.IniFormat))
    settings.operator = "screenshots"
    window = MainWindow(Workspace(env_id), settings)
    window.resize(1280, 800)
    window.show()
    settle(app)
    window.open_dataset(expert_dataset(workdir / f"{name}-demos", env_id))
    window.play.set_recording(True)
    return window


def play_screenshot(app: QApplication, out: Path, workdir: Path, env_id: str) -> Path:
    """The Play tab of `env_id`, recording, a few steps into an episode."""
    window = recording_window(app, workdir, "play", env_id)
    play = window.play
    # Fire the main engine in bursts, through the view's own key events, at the real rate.
    play.toggle_pause()
    for key, ms in ((None, 600), (Qt.Key.Key_Up, 250), (Qt.Key.Key_Left, 150), (None, 300)):
        if key is not None:
            QTest.keyPress(play, key)
        QTest.qWait(ms)
        if key is not None:
            QTest.keyRelease(play, key)
    path = out / "play.png"
    window.grab().save(str(path))  # while playing: the HUD shows the achieved rate
    window.close()
    return path


def review_screenshot(app: QApplication, out: Path, workdir: Path) -> Path:
    """The keep/discard strip after a recorded MiniGrid episode (pixel art, scaled crisp)."""
    window = recording_window(app, workdir, "review", "MiniGrid-Empty-5x5-v0")
    play = window.play
    # Forward twice, turn right, forward twice: the goal ends the episode by itself.
    for key in (Qt.Key.Key_Up, Qt.Key.Key_Up, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Up):
        QTest.keyClick(play, key)
        settle(app, 150)
    play.review.set_tags("grid, first try")
    settle(app, 300)
    path = out / "play_review.png"
    window.grab().save(str(path))
    window.close()
    return path


def named_controls_screenshot(app: QApplication, out: Path, workdir: Path, env_id: str,
                              name: str) -> Path:
    """The Play tab of `env_id` a second into an episode: the controls panel names each key's
    action, and the HUD sits beside or above the frame, off the game's score and gauges."""
    settings = Settings(QSettings(str(workdir / f"{name}.ini"), QSettings.Format.IniFormat))
    window = MainWindow(Workspace(env_id), settings)
    window.resize(1280, 800)
    window.show()
    settle(app)
    play = window.play
    play.toggle_pause()
    QTest.keyPress(play, Qt.Key.Key_Up)
    QTest.qWait(1200)
    QTest.keyRelease(play, Qt.Key.Key_Up)
    path = out / f"{name}.png"
    window.grab().save(str(path))
    window.close()
    return path


def main(argv: list[str] | None = None) -> int:
    """Write the screenshots and print their paths."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--env", default="LunarLander-v3")
    args = parser.parse_args(argv)
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as workdir:
        print(play_screenshot(app, args.out, Path(workdir), args.env))
        print(review_screenshot(app, args.out, Path(workdir)))
        for env_id, name in (("ALE/Pong-v5", "play_pong"), ("CarRacing-v3", "play_car_racing")):
            print(named_controls_screenshot(app, args.out, Path(workdir), env_id, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
