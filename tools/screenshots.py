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
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.main_window import MainWindow
from app.settings import Settings
from app.state import AppState


def settle(app: QApplication, ms: int = 200) -> None:
    """Let Qt lay out and paint."""
    QTest.qWait(ms)
    app.processEvents()


def play_screenshot(app: QApplication, out: Path, workdir: Path, env_id: str) -> Path:
    """The Play tab of `env_id`, recording, a few steps into an episode."""
    settings = Settings(QSettings(str(workdir / "settings.ini"), QSettings.Format.IniFormat))
    settings.operator = "screenshots"
    window = MainWindow(AppState(env_id), settings)
    window.resize(1280, 800)
    window.show()
    settle(app)
    play = window.play
    play.create_dataset(workdir / "demos")
    play.set_recording(True)
    # Fire the main engine in bursts, through the view's own key events, at the real rate.
    play.toggle_pause()
    for key, ms in ((Qt.Key.Key_Up, 500), (None, 300), (Qt.Key.Key_Up, 400), (None, 300)):
        if key is not None:
            QTest.keyPress(play, key)
        QTest.qWait(ms)
        if key is not None:
            QTest.keyRelease(play, key)
    path = out / "play.png"
    window.grab().save(str(path))  # while playing: the HUD shows the achieved rate
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
