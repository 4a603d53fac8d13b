"""The message banner: one line, a "Details" expander and a close button.

A message is text whose first line is the headline and whose further lines are details
(the several bad settings, the file and the fault of a model that failed to load). The
headline never wraps: it is elided to the banner's width with the full text in its
tooltip, so a long message cannot push the window's panels off a 1366×768 screen (issue
#25). The details open in a scroll area of bounded height. The close button hides the
message until another one comes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
)

# Details taller than this scroll (about six lines at the large theme's 15 pt).
DETAILS_MAX_PX = 140


def split_message(text: str) -> tuple[str, list[str]]:
    """(headline, detail lines) of a message; blank lines dropped."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return (lines[0] if lines else ""), lines[1:]


class ElidedLabel(QLabel):
    """A one-line label that shortens its text with "…" instead of growing or wrapping."""

    def __init__(self) -> None:
        super().__init__()
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self.setAccessibleDescription(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def text(self) -> str:  # Python callers (tests, the panel) get the whole text;
        return self._full   # Qt paints the elided one it was given

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = max(40, self.width())
        self.setText(QFontMetrics(self.font()).elidedText(
            self._full, Qt.TextElideMode.ElideRight, width))


class MessageBanner(QFrame):
    """See the module docstring. `show_message("")` hides it; `text()` is the whole
    message (headline and details) for tests and screen readers."""

    closed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("banner")
        self.setAccessibleName("Messages")
        self.headline = ElidedLabel()
        self.headline.setObjectName("warning")
        self.toggle = QToolButton()
        self.toggle.setText("Details")
        self.toggle.setCheckable(True)
        self.toggle.setAccessibleName("Show the details of the message")
        self.toggle.toggled.connect(self._show_details)
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setToolTip("Close this message")
        self.close_button.setAccessibleName("Close the message")
        self.close_button.clicked.connect(self.dismiss)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.details)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setMaximumHeight(DETAILS_MAX_PX)
        self.scroll.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.headline, 1)
        row.addWidget(self.toggle)
        row.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.scroll)
        self._text = ""
        self.hide()

    def show_message(self, text: str) -> None:
        headline, details = split_message(text)
        self._text = text.strip()
        self.headline.set_full_text(headline)
        self.details.setText("\n".join(f"• {d}" for d in details))
        self.toggle.setVisible(bool(details))
        self.toggle.setChecked(False)
        self._show_details(False)
        self.setAccessibleDescription(self._text)
        self.setVisible(bool(self._text))

    def text(self) -> str:
        return self._text

    def dismiss(self) -> None:
        self.hide()
        self.closed.emit()

    def _show_details(self, on: bool) -> None:
        self.scroll.setVisible(on and bool(self.details.text()))
        self.toggle.setText("Hide details" if on else "Details")


def settings_message(problems: tuple[str, ...] | list[str]) -> str:
    """The banner text for settings that could not be used: one headline, each problem a
    detail line (they were one wrapped paragraph of four or five lines before #25)."""
    if len(problems) == 1 and len(problems[0]) <= 90:
        return f"Settings: {problems[0]}"
    return (f"Settings: {len(problems)} values could not be used; the defaults apply "
            "(fix them in Settings).\n" + "\n".join(problems))
