"""A horizontal step slider that can mark one step (the first mismatch or divergence) in red."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSlider, QStyle, QStyleOptionSlider, QWidget

MARK_COLOR = QColor(220, 40, 40)


class MarkerSlider(QSlider):
    """A QSlider with an optional red tick drawn across the groove at `marker()`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self._marker: int | None = None

    def set_marker(self, value: int | None) -> None:
        """Mark the step `value`, or remove the mark with None."""
        self._marker = value
        self.update()

    def marker(self) -> int | None:
        """The marked step, or None."""
        return self._marker

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        super().paintEvent(event)
        if self._marker is None or self.maximum() <= self.minimum():
            return
        option = QStyleOptionSlider()
        self.initStyleOption(option)
        style = self.style()
        groove = style.subControlRect(
            QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderGroove, self
        )
        handle = style.subControlRect(
            QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderHandle, self
        )
        # The handle's centre travels from groove.left + handle/2 to groove.right - handle/2.
        span = groove.width() - handle.width()
        offset = QStyle.sliderPositionFromValue(
            self.minimum(), self.maximum(), self._marker, span
        )
        x = groove.left() + handle.width() // 2 + offset
        painter = QPainter(self)
        painter.setPen(QPen(MARK_COLOR, 3))
        painter.drawLine(x, 1, x, self.height() - 2)
        painter.end()
