"""An env frame scaled to the widget with its aspect kept, crisp, under a heads-up display."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QSplitter, QWidget

_HUD_BACKGROUND = QColor(0, 0, 0, 170)
_HUD_TEXT = QColor(240, 240, 240)
_REC_RED = QColor(230, 30, 30)
_BANNER_BACKGROUND = QColor(20, 20, 20, 215)
_BANNER_TEXT = QColor(255, 215, 0)
_MARGIN = 8


class FrameView(QWidget):
    """Shows `env.render()` frames: nearest-neighbour scaling (pixels stay sharp), letterboxed.

    The HUD (text lines) and the recording indicator (red dot and "REC", under the HUD) sit in
    the top-left corner, outside the frame: the frame is scaled into what is left beside or
    below them, whichever shows it larger, so they never hide a game's score or gauges. An
    optional banner (centre, for "gamepad unplugged" and the like) is painted over the frame.
    """

    def __init__(self, parent: QWidget | None = None, *, preferred: QSize | None = None) -> None:
        """`preferred` replaces the size hint (the frame's size, at least 480x360): a view
        that must fit a small window asks for less; the frame still grows into any room."""
        super().__init__(parent)
        self._preferred = preferred
        self._image: QImage | None = None
        self._hud: list[str] = []
        self._recording = False
        self._banner = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 120)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def set_frame(self, rgb: np.ndarray) -> None:
        """Show an (H, W, 3) uint8 frame."""
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"a frame must be (H, W, 3) RGB, got shape {rgb.shape}")
        frame = np.ascontiguousarray(rgb, dtype=np.uint8)
        height, width, _ = frame.shape
        # QImage borrows the buffer; copy() detaches it so the array can be reused by the env.
        image = QImage(frame.data, width, height, 3 * width, QImage.Format.Format_RGB888)
        self._image = image.copy()
        self.update()

    def frame_size(self) -> QSize | None:
        """The size of the current frame in env pixels, or None before the first frame."""
        return None if self._image is None else self._image.size()

    def set_hud(self, lines: list[str]) -> None:
        """Replace the heads-up display's text lines."""
        self._hud = list(lines)
        self.update()

    def hud(self) -> list[str]:
        """The HUD's current lines."""
        return list(self._hud)

    def set_recording(self, recording: bool) -> None:
        """Show or hide the red "REC" indicator."""
        self._recording = recording
        self.update()

    def is_recording(self) -> bool:
        """Whether the REC indicator is shown."""
        return self._recording

    def set_banner(self, text: str) -> None:
        """Show a message across the frame; an empty string hides it."""
        self._banner = text
        self.update()

    def banner(self) -> str:
        """The banner's text ("" when hidden)."""
        return self._banner

    def frame_rect(self) -> QRect:
        """Where the frame is drawn: the largest rectangle of the frame's aspect that fits beside
        or below the HUD."""
        if self._image is None:
            return QRect()
        hud = self.hud_rect()
        if hud.isEmpty():
            return self._fit(self.rect())
        right = self.rect().adjusted(hud.right() + _MARGIN, 0, 0, 0)
        below = self.rect().adjusted(0, hud.bottom() + _MARGIN, 0, 0)
        return max(self._fit(right), self._fit(below),
                   key=lambda rect: rect.width() * rect.height())

    def hud_rect(self) -> QRect:
        """The top-left corner the HUD and the REC indicator take (empty when both are off)."""
        if not self._hud and not self._recording:
            return QRect()
        metrics = QFontMetrics(self._hud_font())
        boxes = [self._hud_box(metrics), self._rec_box(metrics)]
        width = max(box.right() for box in boxes if box.isValid())
        height = max(box.bottom() for box in boxes if box.isValid())
        return QRect(0, 0, int(width) + 1, int(height) + 1)

    def _fit(self, area: QRect) -> QRect:
        assert self._image is not None
        scaled = self._image.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
        left = area.left() + (area.width() - scaled.width()) // 2
        top = area.top() + (area.height() - scaled.height()) // 2
        return QRect(left, top, scaled.width(), scaled.height())

    def _hud_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(max(9.0, min(13.0, self.height() / 55)))
        font.setBold(True)
        return font

    def _hud_box(self, metrics: QFontMetrics) -> QRectF:
        if not self._hud:
            return QRectF()
        width = max(metrics.horizontalAdvance(line) for line in self._hud) + 2 * _MARGIN
        return QRectF(_MARGIN, _MARGIN, width, metrics.height() * len(self._hud) + _MARGIN)

    def _rec_box(self, metrics: QFontMetrics) -> QRectF:
        if not self._recording:
            return QRectF()
        width = metrics.ascent() + 3 * _MARGIN + metrics.horizontalAdvance("REC")
        hud = self._hud_box(metrics)
        top = hud.bottom() + _MARGIN if hud.isValid() else _MARGIN
        return QRectF(_MARGIN, top, width, metrics.height() + _MARGIN)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        if self._preferred is not None:
            return self._preferred
        if self._image is None:
            return QSize(600, 400)
        return self._image.size().expandedTo(QSize(480, 360))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        if self._image is not None:
            # No SmoothPixmapTransform: nearest neighbour keeps pixel art and grids crisp.
            painter.drawImage(self.frame_rect(), self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = self._hud_font()
        painter.setFont(font)
        metrics = QFontMetrics(font)
        self._paint_hud(painter, metrics)
        if self._recording:
            self._paint_rec(painter, metrics)
        if self._banner:
            self._paint_banner(painter, metrics)
        painter.end()

    def _paint_hud(self, painter: QPainter, metrics: QFontMetrics) -> None:
        if not self._hud:
            return
        line_height = metrics.height()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_HUD_BACKGROUND)
        painter.drawRoundedRect(self._hud_box(metrics), 6, 6)
        painter.setPen(_HUD_TEXT)
        for row, line in enumerate(self._hud):
            baseline = _MARGIN + _MARGIN // 2 + metrics.ascent() + row * line_height
            painter.drawText(QPointF(2 * _MARGIN, baseline), line)

    def _paint_rec(self, painter: QPainter, metrics: QFontMetrics) -> None:
        label = "REC"
        dot = metrics.ascent()
        box = self._rec_box(metrics)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_HUD_BACKGROUND)
        painter.drawRoundedRect(box, 6, 6)
        painter.setBrush(_REC_RED)
        centre_y = box.center().y()
        painter.drawEllipse(QPointF(box.left() + _MARGIN + dot / 2, centre_y), dot / 2, dot / 2)
        painter.setPen(_REC_RED)
        text_x = box.left() + 2 * _MARGIN + dot
        painter.drawText(QPointF(text_x, centre_y + metrics.ascent() / 2 - 1), label)

    def _paint_banner(self, painter: QPainter, metrics: QFontMetrics) -> None:
        lines = self._banner.splitlines()
        width = max(metrics.horizontalAdvance(line) for line in lines) + 4 * _MARGIN
        height = metrics.height() * len(lines) + 2 * _MARGIN
        box = QRectF((self.width() - width) / 2, (self.height() - height) / 2, width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_BANNER_BACKGROUND)
        painter.drawRoundedRect(box, 8, 8)
        painter.setPen(_BANNER_TEXT)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self._banner)


def beside_plot(frame: QWidget, plot: QWidget) -> QSplitter:
    """The env's frame and a plot side by side, the frame taking 3/5 of the width."""
    splitter = QSplitter(Qt.Orientation.Horizontal)
    splitter.addWidget(frame)
    splitter.addWidget(plot)
    splitter.setStretchFactor(0, 3)
    splitter.setStretchFactor(1, 2)
    return splitter
