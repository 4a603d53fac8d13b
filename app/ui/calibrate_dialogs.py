"""The two dialogs of Check > Calibrate: which expressions to record, and the review of the
fitted profile (the guard's before/after matrices, a name, Save only when kept)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.labels import EMOTIONS
from app.ui.profiles_view import BeforeAfterView


def calibration_order(chosen) -> tuple[str, ...]:
    """Neutral first (always), then the chosen expressions in label order."""
    chosen = set(chosen)  # once: a generator would be used up by the first label
    return ("neutral",) + tuple(e for e in EMOTIONS if e in chosen and e != "neutral")


class ChooseExpressions(QDialog):
    """Which expressions to calibrate: many users can make only two or three."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Calibrate: which expressions can you make?")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Tick the expressions you want the app to learn from you "
                                "(leave out any you cannot or do not want to make). "
                                "Neutral is always recorded."))
        self.boxes = {}
        for e in EMOTIONS:
            box = QCheckBox(e)
            box.setChecked(e in ("neutral", "happy", "surprise"))
            box.setEnabled(e != "neutral")
            self.boxes[e] = box
            layout.addWidget(box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def chosen(self) -> tuple[str, ...]:
        return calibration_order(e for e, b in self.boxes.items() if b.isChecked())


class CalibrationResult(QDialog):
    """The guard's before/after matrices and a name; Save only when the guard kept it."""

    save_requested = Signal(str)

    def __init__(self, guard: dict, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Your profile: before and after")
        layout = QVBoxLayout(self)
        layout.addWidget(BeforeAfterView(guard))
        row = QHBoxLayout()
        row.addWidget(QLabel("Name:"))
        self.name = QLineEdit(name)
        self.name.setAccessibleName("Profile name")
        row.addWidget(self.name, 1)
        layout.addLayout(row)
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton("Save and use",
                                                  QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setEnabled(bool(guard.get("kept")))
        self.buttons.addButton("Discard", QDialogButtonBox.ButtonRole.RejectRole)
        self.save_button.clicked.connect(lambda: self.save_requested.emit(
            self.name.text().strip()))
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
