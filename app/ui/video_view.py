"""The live video: the latest processed frame with a box, label and confidence on every
face; the primary face is drawn in the accent colour. A click on a face pins it as primary
(right-click or Esc unpins). When there is no video, the view shows a message and, for a
missing camera, a button to open a video file instead.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QPushButton, QSizePolicy, QVBoxLayout, QWidget

from app.records import FrameResult
from app.ui.hold_overlay import paint_hold
from app.ui.theme import Theme, get_theme


def to_qimage(image) -> QImage:
    """An RGB uint8 numpy frame as a QImage that owns its pixels."""
    h, w = image.shape[:2]
    return QImage(image.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class VideoView(QWidget):
    face_clicked = Signal(float, float)  # frame pixels
    unpin_requested = Signal()
    open_file_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Live video")
        self.setAccessibleDescription(
            "The camera picture with a box, expression and confidence on every face. Click a "
            "face to make it the one that drives the panels; right-click to unpin.")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.theme: Theme = get_theme("light")
        self.result: FrameResult | None = None
        self.pinned = False
        self.message: str | None = "Starting…"
        self._image: QImage | None = None
        self.open_button = QPushButton("Open a video file… (Ctrl+O)", self)
        self.open_button.setAccessibleName("Open a video file")
        self.open_button.setAccessibleDescription("Play a video file instead of the camera")
        self.open_button.clicked.connect(self.open_file_requested)
        self.open_button.hide()
        self.files_allowed = True  # booth mode: no file dialog a visitor could reach
        layout = QVBoxLayout(self)
        layout.addStretch(3)
        layout.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)

    @property
    def offering_file(self) -> bool:
        """Whether the message offers to open a video file (no camera, video ended)."""
        return not self.open_button.isHidden()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.update()

    def set_message(self, text: str | None, offer_file: bool = False) -> None:
        """Show `text` instead of (or over) the video; None clears it."""
        self.message = text
        self.open_button.setVisible(offer_file and self.files_allowed)
        if text:
            self.setAccessibleDescription(text)
        self.update()

    def set_result(self, result: FrameResult, pinned: bool = False) -> None:
        self.result = result
        self.pinned = pinned
        self._image = to_qimage(result.frame.image)
        self.update()

    def _geometry(self) -> tuple[float, float, float]:
        """(scale, x offset, y offset) mapping frame pixels into the widget."""
        if self._image is None:
            return 1.0, 0.0, 0.0
        iw, ih = self._image.width(), self._image.height()
        scale = min(self.width() / iw, self.height() / ih)
        return scale, (self.width() - iw * scale) / 2, (self.height() - ih * scale) / 2

    def to_frame(self, x: float, y: float) -> tuple[float, float]:
        scale, ox, oy = self._geometry()
        return (x - ox) / scale, (y - oy) / scale

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        p = QPainter(self)
        try:  # a painter left open after an exception aborts Qt
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            t = self.theme
            p.fillRect(self.rect(),
                       t.color("window") if self._image is None else Qt.GlobalColor.black)
            if self._image is not None:
                scale, ox, oy = self._geometry()
                target = QRectF(ox, oy, self._image.width() * scale, self._image.height() * scale)
                p.drawImage(target, self._image)
                if self.result is not None:
                    self._paint_faces(p, scale, ox, oy)
            if self.message:
                self._paint_message(p)
        finally:
            p.end()

    def _paint_faces(self, p: QPainter, scale: float, ox: float, oy: float) -> None:
        t = self.theme
        p.setFont(t.font(1.1, bold=True))
        metrics = p.fontMetrics()
        for i, face in enumerate(self.result.faces):
            primary = i == self.result.primary
            b = face.box
            rect = QRectF(ox + b.x * scale, oy + b.y * scale, b.w * scale, b.h * scale)
            colour = t.color("accent") if primary else t.color("box")
            p.setPen(QPen(colour, t.line_px * (2 if primary else 1)))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(rect)
            pred = face.prediction
            label = f"{pred.emotion} {pred.confidence:.0%}" if pred else "face"
            if primary and self.pinned:
                label += "  [pinned]"
            tw, th = metrics.horizontalAdvance(label) + 10, metrics.height() + 4
            top = rect.top() - th if rect.top() - th >= 0 else rect.bottom()
            tag = QRectF(rect.left(), top, tw, th)
            p.fillRect(tag, colour)
            p.setPen(Qt.GlobalColor.black)
            p.drawText(tag, Qt.AlignmentFlag.AlignCenter, label)
            if primary and self.result.hold is not None:  # face-gesture hold progress
                paint_hold(p, t, rect, self.result.hold, float(self.height()))
                p.setFont(t.font(1.1, bold=True))

    def _paint_message(self, p: QPainter) -> None:
        t = self.theme
        box = QRectF(self.rect()).adjusted(20, 20, -20, -20)
        box.setHeight(min(box.height(), max(120.0, box.height() * 0.55)))
        p.fillRect(box, t.color("panel", 235))
        p.setPen(QPen(t.color("warning"), t.line_px))
        p.drawRect(box)
        p.setPen(t.color("text"))
        p.setFont(t.font(1.3))
        p.drawText(box.adjusted(16, 12, -16, -12),
                   Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.RightButton:
            self.unpin_requested.emit()
            return
        if self._image is not None and event.button() == Qt.MouseButton.LeftButton:
            pos: QPointF = event.position()
            self.face_clicked.emit(*self.to_frame(pos.x(), pos.y()))

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape:
            self.unpin_requested.emit()
        else:
            super().keyPressEvent(event)
