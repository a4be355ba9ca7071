"""Export a video from a view: a format choice, Export/Cancel, a progress bar and a message line.

Compare, Watch and the Datasets player each compose one `VideoExportBar` and give it a `job`:
`job(path) -> factory` builds the export (a `models.video_export` job) for the file chosen, or
raises ValueError with a one-line reason. The bar runs it on its own `JobRunner` and shows the
frames written of the most expected.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QWidget

from clonelab.app.widgets.job_controls import JobControls
from clonelab.app.widgets.job_runner import JobRunner
from clonelab.app.widgets.workers import WorkFactory
from clonelab.models.video_export import ExportError, VideoProgress
from clonelab.recorder.video_writer import video_formats

ExportJob = Callable[[Path], WorkFactory]


class VideoExportBar(QWidget):
    """MP4 or GIF, Export video..., Cancel and a progress bar, for one view's `job`."""

    def __init__(self, job: ExportJob, *, title: str, message_name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._job = job
        self._title = title
        self._available = False
        self.runner = JobRunner(self)
        self.format_combo = QComboBox()
        self.format_combo.addItems([f.upper() for f in video_formats()])
        self.format_combo.setToolTip("MP4 (H.264): small, plays anywhere; GIF: loops in a "
                                     "web page or a chat, larger")
        self.controls = JobControls(self.runner, "Export video...", message_name=message_name)
        self.controls.progress_bar.setMinimumWidth(120)
        self.controls.run_button.clicked.connect(self._on_run_clicked)
        self.runner.progress.connect(self._on_progress)
        self.runner.finished.connect(self._on_finished)
        # After JobControls' own handler, which enables Export whenever no job runs.
        self.runner.busy_changed.connect(self._on_busy_changed)
        self.message = self.controls.message
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.format_combo)
        layout.addWidget(self.controls, 1)
        self.set_available(False)

    def set_available(self, available: bool) -> None:
        """Whether there is something to export (an episode shown)."""
        self._available = available
        self._on_busy_changed(self.runner.busy)

    def export(self, path: str | Path) -> JobRunner | None:
        """Export to `path` (.mp4 or .gif) off the UI thread; None (and the reason in the
        message line) when it cannot start."""
        if not self._available or self.runner.busy:
            return None
        try:
            factory = self._job(Path(path))
        except (ValueError, ExportError) as exc:
            self.message.show_message(f"Cannot export: {exc}", "error")
            return None
        self.message.show_message("")
        self.runner.start(factory)
        return self.runner

    def shutdown(self, wait_ms: int = 10_000) -> None:
        """Stop an export (the view is going away); its file is removed."""
        self.runner.shutdown(wait_ms)

    def _on_run_clicked(self) -> None:
        suffix = self.format_combo.currentText().lower()
        path, _ = QFileDialog.getSaveFileName(self, self._title, "",
                                              f"{suffix.upper()} video (*.{suffix})")
        if path:
            if not path.lower().endswith(f".{suffix}"):
                path += f".{suffix}"
            self.export(path)

    def _on_progress(self, progress: VideoProgress) -> None:
        self.controls.set_progress(progress.frames, progress.limit)
        most = "" if progress.limit is None else f" of at most {progress.limit}"
        self.controls.set_status(f"frame {progress.frames}{most}")

    def _on_finished(self, result: Any) -> None:
        # Full: an episode that ended before the most expected frames is still all written.
        self.controls.set_progress(result.frames, result.frames)
        self.controls.set_status(f"{result.frames} frames")
        self.message.show_message(f"Saved {result.path}.", "good")

    def _on_busy_changed(self, busy: bool) -> None:
        self.controls.run_button.setEnabled(self._available and not busy)
