"""The face-gesture hold bar drawn under the main face in the video (no widget of its own).

While a face gesture is held the bar fills over its hold time ("armed"); when it fires it
shows full with a tick ("fired"), when the face lets go early it shows how far it got,
struck through ("cancelled"). The text names the gesture and its action, so a user sees
what is about to happen and can stop in time. State is shown by text and pattern as well as
colour (high-contrast themes, colour-blind users).
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainter, QPen

from app.records import HoldProgress
from app.ui.theme import Theme

WORDS = {"armed": "hold…", "fired": "done ✓", "cancelled": "let go ✗"}


def hold_text(hold: HoldProgress) -> str:
    action = hold.action.replace("_", "/") if hold.action != "mark" else "(no action)"
    return f"{hold.gesture.replace('_', ' ')} → {action}  {WORDS[hold.state]}"


def paint_hold(p: QPainter, theme: Theme, face: QRectF, hold: HoldProgress,
               bottom: float) -> None:
    """The bar under `face` (widget coordinates), kept above `bottom`."""
    p.setFont(theme.font(1.0, bold=True))
    text = hold_text(hold)
    height = p.fontMetrics().height() + 8
    width = max(face.width(), p.fontMetrics().horizontalAdvance(text) + 16)
    top = min(face.bottom() + 4, bottom - height - 2)
    bar = QRectF(face.center().x() - width / 2, top, width, height)
    p.fillRect(bar, theme.color("panel", 220))
    fill = QRectF(bar.left(), bar.top(), bar.width() * hold.fraction, bar.height())
    colour = theme.color("warning" if hold.state == "cancelled" else "accent",
                         150 if hold.state == "armed" else 220)
    p.fillRect(fill, colour)
    p.setPen(QPen(theme.color("text"), theme.line_px))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(bar)
    if hold.state == "cancelled":
        p.drawLine(bar.topLeft(), bar.bottomRight())
    p.drawText(bar, Qt.AlignmentFlag.AlignCenter, text)
