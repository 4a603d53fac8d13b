"""The window's right-hand side: the probabilities above the guided check in a splitter, or,
in the high-contrast theme (large text), the two as tabs so neither is squeezed and the
video keeps its size (issue #17)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QStackedWidget, QTabWidget, QWidget


class RightPanels(QStackedWidget):
    """Holds `probs` and `check`; `arrange(tabs)` switches the layout, `show_check()`
    brings the check to the front when it is a tab."""

    def __init__(self, probs: QWidget, check: QWidget) -> None:
        super().__init__()
        self.probs, self.check = probs, check
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Expressions and guided check")
        self.addWidget(self.split)
        self.addWidget(self.tabs)
        self.arrange(tabs=False)

    def arrange(self, tabs: bool) -> None:
        """Probabilities and check stacked in a splitter, or as two tabs (large text)."""
        if tabs and self.currentWidget() is not self.tabs:
            self.tabs.addTab(self.probs, "&Expressions")
            self.tabs.addTab(self.check, "&Guided check")
            self.setCurrentWidget(self.tabs)
        elif not tabs and (self.currentWidget() is not self.split or self.split.count() == 0):
            self.split.addWidget(self.probs)
            self.split.addWidget(self.check)
            self.split.setStretchFactor(0, 2)
            self.split.setStretchFactor(1, 3)
            self.split.setSizes([330, 420])
            self.setCurrentWidget(self.split)

    def show_check(self) -> None:
        if self.currentWidget() is self.tabs:  # large text: two tabs
            self.tabs.setCurrentWidget(self.check)
