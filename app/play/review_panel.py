"""The keep/discard strip shown when a recorded episode ends."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from clonelab.recorder.dataset import EpisodeData
from clonelab.recorder.wording import plural


class ReviewPanel(QFrame):
    """A small non-modal strip shown when a recorded episode ends: keep (K) or discard (D),
    with optional comma-separated tags and a note."""

    keep_requested = Signal()
    discard_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._summary = QLabel()
        self._tags = QLineEdit()
        self._tags.setPlaceholderText("tags, comma separated")
        self._tags.setToolTip("Optional tags stored with the episode (e.g. good, crash, test)")
        self._notes = QLineEdit()
        self._notes.setPlaceholderText("note")
        self._notes.setToolTip("An optional note stored with the episode")
        keep = QPushButton("Keep (K)")
        keep.setToolTip("Commit this episode to the dataset")
        keep.clicked.connect(self.keep_requested)
        discard = QPushButton("Discard (D)")
        discard.setToolTip("Throw this episode away")
        discard.clicked.connect(self.discard_requested)
        for button in (keep, discard):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self._summary)
        layout.addWidget(self._tags, 2)
        layout.addWidget(self._notes, 3)
        layout.addWidget(keep)
        layout.addWidget(discard)
        self.hide()

    def ask(self, episode: EpisodeData) -> None:
        """Show the panel for a finished episode (tags and note start empty)."""
        self._summary.setText(
            f"Episode over: {plural(episode.steps, 'step')}, return {episode.episode_return:.1f}"
        )
        self._tags.clear()
        self._notes.clear()
        self.show()

    def tags(self) -> tuple[str, ...]:
        """The tags typed, stripped, empty ones dropped."""
        return tuple(tag.strip() for tag in self._tags.text().split(",") if tag.strip())

    def notes(self) -> str:
        """The note typed."""
        return self._notes.text().strip()

    def set_tags(self, text: str) -> None:
        """Fill the tags field (as typed)."""
        self._tags.setText(text)

    def set_notes(self, text: str) -> None:
        """Fill the note field."""
        self._notes.setText(text)
