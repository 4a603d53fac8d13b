"""The probability panel: a bar per emotion for the primary face (fused, with CNN_1 and
CNN_2 beside it to compare), a tick at the smoothed value, and the stable state that drives
the music. It only draws what the `FrameResult` carries; when there is no face or no
prediction it says so instead of keeping the last bars.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.labels import EMOTIONS
from app.records import FrameResult
from app.ui.theme import Theme, get_theme

MEMBER_LABELS = {"cnn1": "CNN_1", "cnn2": "CNN_2"}


class ProbabilityPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Expression probabilities")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(300, 300)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.theme: Theme = get_theme("light")
        self.show_members = True
        self.result: FrameResult | None = None
        self.notice: str | None = None  # e.g. no trained weights
        self.headline = "Waiting for video…"
        self._update_description()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        # Room for the headline, a notice, seven rows of two text lines and the legend,
        # so large text never overlaps the next row.
        self._fit()
        self.update()

    def _fit(self) -> None:
        fh = QFontMetrics(self.theme.font()).height()
        notice = 3.4 if self.notice else 0.0
        self.setMinimumHeight(int(fh * (2.4 + notice + 7 * 1.45 + 1.4)) + 20)
        self.updateGeometry()

    def set_show_members(self, show: bool) -> None:
        self.show_members = show
        self.update()

    def set_notice(self, text: str | None) -> None:
        # Only a message's headline: its details belong to the banner's expander.
        self.notice = text.strip().splitlines()[0] if text and text.strip() else None
        self._fit()
        self.update()

    def set_result(self, result: FrameResult | None) -> None:
        self.result = result
        self.headline = self._headline()
        self._update_description()
        self.update()

    def _prediction(self):
        face = self.result.primary_face if self.result is not None else None
        return face.prediction if face is not None else None

    def _headline(self) -> str:
        r = self.result
        if r is None:
            return "Waiting for video…"
        state = r.state
        if r.primary is None:
            if state is not None and getattr(state, "face_present", False):
                return f"Face lost for a moment · holding {state.emotion or 'no state'}"
            return "No face in view"
        if self._prediction() is None:
            face = r.primary_face
            if self.notice:  # the worker said why (no weights, ...)
                return "Face found · no prediction (see the note below)"
            size = int(min(face.box.w, face.box.h)) if face is not None else 0
            return (f"Face found · too small to classify ({size} px; Settings > Smallest "
                    "face sets the limit)")
        if state is None or state.emotion is None:
            return "Settling… (no stable expression yet)"
        held = max(0.0, r.frame.timestamp - state.since)
        pred = self._prediction()
        if pred.emotion != state.emotion:
            # The stable state lags by design (dwell); "Stable: HAPPY 4 %" beside a face
            # at neutral 98 % read as a contradiction (issue #25): say it is changing, or,
            # when the face reads nothing clearly, that the old state is only being held.
            if pred.confidence >= 0.5:
                return (f"Changing to {pred.emotion.upper()} {pred.confidence:.0%} · "
                        f"was {state.emotion.upper()} for {held:.1f} s")
            return (f"Holding {state.emotion.upper()} ({held:.1f} s) · the face reads "
                    f"nothing clearly now (at most {pred.emotion} {pred.confidence:.0%})")
        return f"Stable: {state.emotion.upper()} {state.confidence:.0%} · for {held:.1f} s"

    def _update_description(self) -> None:
        pred = self._prediction()
        text = self.headline
        if pred is not None:
            text += ". Fused: " + ", ".join(f"{e} {p:.0%}" for e, p in zip(EMOTIONS, pred.probs,
                                                                           strict=True))
        self.setAccessibleDescription(text)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        p = QPainter(self)
        try:  # a painter left open after an exception aborts Qt
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            t = self.theme
            p.fillRect(self.rect(), t.color("panel"))
            pad = 10.0
            width = self.width() - 2 * pad
            p.setFont(t.font(1.25, bold=True))
            head_h = p.fontMetrics().height() * 1.9
            p.setPen(t.color("text"))
            p.drawText(QRectF(pad, pad, width, head_h),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
                       | Qt.TextFlag.TextWordWrap, self.headline)
            y = pad + head_h
            if self.notice:
                p.setFont(t.font(0.95))
                note_h = p.fontMetrics().height() * 3.4
                p.setPen(t.color("warning"))
                # Three lines at most, elided: a long notice must not run over the bars.
                fm = p.fontMetrics()
                note = fm.elidedText(self.notice, Qt.TextElideMode.ElideRight,
                                     int(width * 3 - fm.averageCharWidth() * 12))
                p.drawText(QRectF(pad, y, width, note_h), Qt.TextFlag.TextWordWrap
                           | Qt.AlignmentFlag.AlignTop, note)
                y += note_h
            p.setFont(t.font())
            legend_h = p.fontMetrics().height() + 8
            rows_h = max(10.0, self.height() - y - legend_h - pad)
            row_h = rows_h / len(EMOTIONS)
            self._paint_rows(p, pad, y, width, row_h)
            self._paint_legend(p, pad, self.height() - legend_h - pad / 2)
        finally:
            p.end()

    def _paint_rows(self, p: QPainter, x: float, y: float, width: float, row_h: float) -> None:
        t = self.theme
        pred = self._prediction()
        state = self.result.state if self.result is not None else None
        smoothed = state.probs if state is not None and pred is not None else None
        members = [m for m in ("cnn1", "cnn2") if pred is not None and m in pred.members]
        if not self.show_members:
            members = []
        label_w = p.fontMetrics().horizontalAdvance("surprise") + 14
        value_w = p.fontMetrics().horizontalAdvance("100%") + 10
        bar_x, bar_w = x + label_w, max(10.0, width - label_w - value_w)
        fh = p.fontMetrics().height()
        fused_h = min(row_h * (0.45 if members else 0.7), fh * 1.2)
        member_h = min(row_h * 0.14, fh * 0.4)
        for i, name in enumerate(EMOTIONS):
            top = y + i * row_h + max(1.0, (row_h - fused_h - 2 * (member_h + 2)) / 2
                                      if members else (row_h - fused_h) / 2)
            stable = state is not None and state.emotion == name and pred is not None
            p.setPen(t.color("accent" if stable else "text"))
            p.setFont(t.font(1.0, bold=stable))
            p.drawText(QRectF(x, y + i * row_h, label_w, row_h),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
            track = QRectF(bar_x, top, bar_w, fused_h)
            p.setPen(QPen(t.color("muted"), 1))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(track)
            if pred is None:
                continue
            p.fillRect(QRectF(bar_x, top, bar_w * float(pred.probs[i]), fused_h),
                       t.color("accent"))
            p.setPen(t.color("text"))
            p.drawText(QRectF(bar_x + bar_w + 4, top, value_w, fused_h),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                       f"{pred.probs[i]:.0%}")
            if smoothed is not None:
                sx = bar_x + bar_w * float(smoothed[i])
                p.setPen(QPen(t.color("text"), t.line_px + 1))
                p.drawLine(int(sx), int(top - 2), int(sx), int(top + fused_h + 2))
            for k, member in enumerate(members):
                my = top + fused_h + 2 + k * (member_h + 2)
                colour = t.color("member1" if member == "cnn1" else "member2")
                p.fillRect(QRectF(bar_x, my, bar_w * float(pred.members[member][i]), member_h),
                           colour)

    def _paint_legend(self, p: QPainter, x: float, y: float) -> None:
        t = self.theme
        items = [("fused", "accent")]
        if self.show_members:
            items += [("CNN_1", "member1"), ("CNN_2", "member2")]
        h = p.fontMetrics().height()
        for text, colour in items:
            p.fillRect(QRectF(x, y + h * 0.2, h * 0.8, h * 0.6), t.color(colour))
            x += h
            p.setPen(t.color("text"))
            p.drawText(QRectF(x, y, 80, h), Qt.AlignmentFlag.AlignVCenter, text)
            x += p.fontMetrics().horizontalAdvance(text) + 16
        p.setPen(QPen(t.color("text"), t.line_px + 1))
        p.drawLine(int(x), int(y + 2), int(x), int(y + h - 2))
        p.drawText(QRectF(x + 8, y, 120, h), Qt.AlignmentFlag.AlignVCenter, "smoothed")
