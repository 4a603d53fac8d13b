"""The guided-check panel: the prompt and countdown, and the live confusion matrix (counts
and row-normalised colours with the numbers written in every cell, so colour is never the
only cue), per-class recall and overall accuracy. All figures come from
the `CheckState` the session stepped (`app.pipeline.check`); this module only draws them,
on screen and into the exported PNG.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QImage, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from app.labels import EMOTIONS
from app.pipeline.check import check_matrix
from app.records import CheckPhase, CheckState, CheckStatus
from app.ui.theme import Theme, get_theme

SHORT = {"angry": "ang", "disgust": "dis", "fear": "fear", "happy": "hap", "neutral": "neu",
         "sad": "sad", "surprise": "sur"}


def prompt_text(status: CheckStatus, check: CheckState) -> str:
    if status.phase == CheckPhase.IDLE:
        return ("Guided check: press Start (Ctrl+G) and show each expression when asked "
                f"({check.seconds:g} s each).")
    if status.phase == CheckPhase.COUNTDOWN:
        return (f"{status.step + 1}/{status.total} · Get ready: show {status.target.upper()} "
                f"in {math.ceil(status.remaining_s)} s")
    if status.phase == CheckPhase.RECORDING:
        return (f"{status.step + 1}/{status.total} · Show {status.target.upper()} now · "
                f"{status.remaining_s:.1f} s left")
    m = check_matrix(check)
    acc_text = f"accuracy {m.accuracy():.0%}" if m.n else "no frames counted"
    return f"Done · {acc_text} · Ctrl+G repeats"


def _mix(a: QColor, b: QColor, f: float) -> QColor:
    f = min(1.0, max(0.0, f))
    return QColor(round(a.red() + (b.red() - a.red()) * f),
                  round(a.green() + (b.green() - a.green()) * f),
                  round(a.blue() + (b.blue() - a.blue()) * f))


def ink_for(fill: QColor) -> QColor:
    """Black or white text, whichever reads better on `fill` (by perceived luminance)."""
    luminance = 0.299 * fill.red() + 0.587 * fill.green() + 0.114 * fill.blue()
    return QColor("black") if luminance > 150 else QColor("white")


def paint_matrix(p: QPainter, rect: QRectF, check: CheckState, theme: Theme,
                 target: str | None = None) -> None:
    """Draw the matrix, recall column and accuracy line of `check` into `rect`."""
    m = check_matrix(check)
    counts, norm, recall, was_asked = m.counts, m.normalized(), m.recall(), m.present
    n = len(EMOTIONS)
    p.fillRect(rect, theme.color("panel"))
    p.setFont(theme.font(0.9))
    fm = p.fontMetrics()
    label_w = fm.horizontalAdvance("surprise") + 12
    foot_h = fm.height() * 1.8
    head_h = fm.height() * 2.2
    cols = n + 1  # + recall
    cell_w = max(18.0, (rect.width() - label_w) / cols)
    cell_h = max(8.0, (rect.height() - head_h - foot_h) / n)
    x0, y0 = rect.left() + label_w, rect.top() + head_h
    p.setPen(theme.color("muted"))
    p.drawText(QRectF(x0, rect.top(), cell_w * n, fm.height()), Qt.AlignmentFlag.AlignCenter,
               "predicted →")
    p.drawText(QRectF(rect.left(), rect.top(), label_w, head_h), Qt.AlignmentFlag.AlignBottom
               | Qt.AlignmentFlag.AlignLeft, "asked ↓")
    p.setPen(theme.color("text"))
    for j, name in enumerate(EMOTIONS):
        p.drawText(QRectF(x0 + j * cell_w, rect.top() + fm.height(), cell_w, head_h - fm.height()),
                   Qt.AlignmentFlag.AlignCenter, SHORT[name])
    p.drawText(QRectF(x0 + n * cell_w, rect.top() + fm.height(), cell_w, head_h - fm.height()),
               Qt.AlignmentFlag.AlignCenter, "recall")
    low, high = theme.color("cell_low"), theme.color("cell_high")
    for i, name in enumerate(EMOTIONS):
        y = y0 + i * cell_h
        asked = name == target
        p.setFont(theme.font(0.9, bold=asked))
        p.setPen(theme.color("accent" if asked else "text"))
        p.drawText(QRectF(rect.left(), y, label_w - 4, cell_h),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        p.setFont(theme.font(0.85))
        for j in range(n):
            cell = QRectF(x0 + j * cell_w, y, cell_w, cell_h)
            fill = _mix(low, high, float(norm[i, j]))
            p.fillRect(cell, fill)
            p.setPen(QPen(theme.color("muted"), 1))
            p.drawRect(cell)
            if counts[i].sum() == 0:
                continue
            if counts[i, j] == 0:  # a bare 0: the share adds nothing but noise
                p.setPen(ink_for(fill))
                p.drawText(cell, Qt.AlignmentFlag.AlignCenter, "0")
                continue
            p.setPen(ink_for(fill))
            # count and row share; on one line when two do not fit, count alone if narrow
            one_line = f"{counts[i, j]} · {norm[i, j]:.0%}"
            if cell_h > 2.2 * fm.height():
                text = f"{counts[i, j]}\n{norm[i, j]:.0%}"
            elif fm.horizontalAdvance(one_line) + 6 <= cell_w:
                text = one_line
            else:
                text = f"{counts[i, j]}"
            p.drawText(cell, Qt.AlignmentFlag.AlignCenter, text)
        rec = QRectF(x0 + n * cell_w, y, cell_w, cell_h)
        p.setPen(theme.color("text"))
        p.drawText(rec, Qt.AlignmentFlag.AlignCenter,
                   f"{recall[i]:.0%}" if was_asked[i] else "–")
    no_face = sum(check.no_face)
    foot = (f"accuracy {m.accuracy():.1%}" if m.n else "accuracy –") + \
        f" over {m.n} frames · {no_face} frames without a face or prediction"
    p.setFont(theme.font(0.95, bold=True))
    p.setPen(theme.color("text"))
    foot = p.fontMetrics().elidedText(foot, Qt.TextElideMode.ElideRight, int(rect.width()))
    p.drawText(QRectF(rect.left(), y0 + n * cell_h + 2, rect.width(), foot_h),
               Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, foot)


class MatrixCanvas(QWidget):
    def __init__(self, check: CheckState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check = check
        self.theme = get_theme("light")
        self.target: str | None = None
        self.setMinimumSize(360, 250)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Confusion matrix")

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(520, 340)

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        try:  # a painter left open after an exception aborts Qt
            paint_matrix(p, QRectF(self.rect()).adjusted(4, 4, -4, -4), self.check, self.theme,
                         self.target)
        finally:
            p.end()


class ConfusionPanel(QWidget):
    start_requested = Signal()
    reset_requested = Signal()
    export_png_requested = Signal()
    export_csv_requested = Signal()

    def __init__(self, check: CheckState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check = check
        self.setAccessibleName("Guided expression check")
        self.prompt = QLabel()
        self.prompt.setWordWrap(True)
        self.prompt.setAccessibleName("Check prompt")
        self.canvas = MatrixCanvas(check)
        self.start_button = QPushButton("Start check (Ctrl+G)")
        self.reset_button = QPushButton("Reset (Ctrl+R)")
        self.png_button = QPushButton("PNG (Ctrl+E)")
        self.csv_button = QPushButton("CSV (Ctrl+Shift+E)")
        for button, signal, name, what in (
                (self.start_button, self.start_requested, "Start check",
                 "Start or repeat the guided check"),
                (self.reset_button, self.reset_requested, "Reset",
                 "Stop the check and clear the counts"),
                (self.png_button, self.export_png_requested, "Export PNG",
                 "Save the matrix as a PNG image"),
                (self.csv_button, self.export_csv_requested, "Export CSV",
                 "Save the counts as a CSV file")):
            button.clicked.connect(signal)
            button.setAccessibleName(name)
            button.setAccessibleDescription(what)
            button.setToolTip(what)
        buttons = QHBoxLayout()
        for b in (self.start_button, self.reset_button, self.png_button, self.csv_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.prompt)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(buttons)
        self._shown: tuple | None = None
        self.set_status(CheckStatus(CheckPhase.IDLE, None, 0, len(check.order), 0.0))

    def set_check(self, check: CheckState) -> None:
        """The state to draw (a new one every frame; `set_status` decides on repainting)."""
        self.check = self.canvas.check = check

    def set_theme(self, theme: Theme) -> None:
        self._shown = None
        self.canvas.theme = theme
        self.prompt.setFont(theme.font(1.3, bold=True))
        # header, seven rows with a count, and the accuracy line must fit at any text size
        fh = QFontMetrics(theme.font(0.9)).height()
        self.canvas.setMinimumHeight(int(fh * (2.2 + 7 * 1.2 + 1.8)) + 10)
        self.canvas.updateGeometry()
        self.canvas.update()

    def set_status(self, status: CheckStatus) -> None:
        """Show `status`; repaints only when the prompt or the counts changed (this runs on
        every paint tick)."""
        text = prompt_text(status, self.check)
        target = status.target if status.phase == CheckPhase.RECORDING else None
        key = (text, target, self.check.run, self.check.frames, sum(self.check.no_face))
        if key == self._shown:
            return
        self._shown = key
        self.prompt.setText(text)
        self.prompt.setAccessibleDescription(text)
        running = status.phase in (CheckPhase.COUNTDOWN, CheckPhase.RECORDING)
        done = status.phase == CheckPhase.DONE
        self.start_button.setText(("Restart check" if running else
                                   "Repeat check" if done else "Start check") + " (Ctrl+G)")
        self.canvas.target = target
        self.canvas.update()

    def render_image(self, size: QSize | None = None) -> QImage:
        """The matrix as an image (the PNG export), drawn at a fixed size."""
        size = size or QSize(900, 620)
        image = QImage(size, QImage.Format.Format_RGB32)
        theme = self.canvas.theme
        image.fill(theme.color("panel"))
        p = QPainter(image)
        try:  # a painter left open after an exception aborts Qt
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.setPen(theme.color("text"))
            p.setFont(theme.font(1.2, bold=True))
            p.drawText(QRectF(12, 6, size.width() - 24, 34), Qt.AlignmentFlag.AlignVCenter,
                       "Emotune guided expression check")
            paint_matrix(p, QRectF(12, 44, size.width() - 24, size.height() - 56), self.check,
                         theme)
        finally:
            p.end()
        return image
