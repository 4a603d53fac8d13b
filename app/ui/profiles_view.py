"""Personal profiles in the window: the before/after matrices and the Profiles section.

Renders what `app.profiles` computed, holds no maths: `BeforeAfterView` draws the guard's
two confusion matrices (the shipped weights and the profile on the held-out calibration
frames) side by side with the verdict; `ProfilesSection` lists the stored profiles
(use, rename, export, import, remove) and edits the selected profile's gestures: per
gesture an action, a threshold slider with a live bar of the current probability beside
it, a hold time, and the pause-all shortcut. Changes are written only on Save.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QKeySequenceEdit,
    QLabel,
    QListWidget,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from app.labels import EMOTIONS
from app.pipeline.check import counts_state
from app.profiles.profile import GestureBinding, Profile, ProfileError
from app.profiles.store import ProfileStore
from app.records import GESTURE_ACTIONS
from app.settings_rules import bounds
from app.ui.confusion_panel import MatrixCanvas


class BeforeAfterView(QWidget):
    """The guard's verdict and both matrices, from a profile's `guard` record."""

    def __init__(self, guard: dict, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        kept = guard.get("kept")
        verdict = QLabel(
            f"On the held-out calibration frames ({guard.get('frames_held_out', 0)}): shipped "
            f"weights {100 * guard.get('before_accuracy', 0):.0f} %, with your profile "
            f"{100 * guard.get('after_accuracy', 0):.0f} %. "
            + ("The profile is kept." if kept else
               "The profile does not beat the shipped weights and is not kept."))
        verdict.setWordWrap(True)
        layout.addWidget(verdict)
        advice = guard.get("advice") or []
        if advice:  # below 95 % on the held-out frames: which expressions mix up
            note = QLabel("\n".join(advice))
            note.setWordWrap(True)
            note.setAccessibleName("What the profile cannot tell apart")
            layout.addWidget(note)
        row = QHBoxLayout()
        for title, key in (("Shipped weights", "before_counts"),
                           ("With your profile", "after_counts")):
            col = QVBoxLayout()
            col.addWidget(QLabel(f"<b>{title}</b>"))
            counts = np.asarray(guard.get(key, np.zeros((7, 7))), dtype=np.int64)
            canvas = MatrixCanvas(counts_state(counts))
            canvas.setAccessibleName(f"{title}: confusion matrix")
            col.addWidget(canvas)
            row.addLayout(col)
        layout.addLayout(row)


class GestureRow(QWidget):
    """One gesture: emotion -> action, threshold slider with the live value, hold time."""

    def __init__(self, binding: GestureBinding, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.emotion = binding.emotion
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.action = QComboBox()
        self.action.addItems(GESTURE_ACTIONS)
        self.action.setCurrentText(binding.action)
        self.threshold = QSlider(Qt.Orientation.Horizontal)
        self.threshold.setRange(5, 99)
        self.threshold.setValue(round(binding.threshold * 100))
        self.threshold.setAccessibleName(f"{binding.emotion} threshold")
        self.live = QProgressBar()
        self.live.setRange(0, 100)
        self.live.setFormat("now %p %")
        self.live.setAccessibleName(f"{binding.emotion} current probability")
        self.hold = QDoubleSpinBox()
        self.hold.setRange(*bounds("gestures.hold_s"))  # the settings' rule
        self.hold.setSingleStep(0.1)
        self.hold.setSuffix(" s hold")
        self.hold.setValue(binding.hold_s)
        self.value = QLabel()
        self.threshold.valueChanged.connect(lambda v: self.value.setText(f"{v} %"))
        self.value.setText(f"{self.threshold.value()} %")
        for col, w in enumerate((QLabel(binding.emotion), self.action, self.threshold,
                                 self.value, self.live, self.hold)):
            grid.addWidget(w, 0, col)

    def set_live(self, probability: float | None) -> None:
        self.live.setValue(0 if probability is None else round(100 * probability))

    def binding(self) -> GestureBinding:
        return GestureBinding(self.emotion, self.action.currentText(),
                              self.threshold.value() / 100.0, self.hold.value())


class ProfilesSection(QWidget):
    """The stored profiles and the selected one's gestures (module docstring)."""

    use_requested = Signal(str)  # a profile name; "" = no profile

    def __init__(self, store: ProfileStore | None = None, parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self.store = store or ProfileStore()
        self.profile: Profile | None = None
        layout = QVBoxLayout(self)
        self.list = QListWidget()
        self.list.setAccessibleName("Personal profiles")
        self.list.currentTextChanged.connect(self.select)
        layout.addWidget(self.list)
        buttons = QHBoxLayout()
        for text, slot in (("Use", self._use), ("Rename…", self._rename),
                           ("Export…", self._export), ("Import…", self._import),
                           ("Remove", self._remove)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            buttons.addWidget(b)
        layout.addLayout(buttons)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.gesture_box = QVBoxLayout()
        layout.addLayout(self.gesture_box)
        self.rows: list[GestureRow] = []
        shortcut = QHBoxLayout()
        shortcut.addWidget(QLabel("Pause all gestures:"))
        self.shortcut = QKeySequenceEdit()
        shortcut.addWidget(self.shortcut)
        self.save_button = QPushButton("Save gestures")
        self.save_button.clicked.connect(self.save)
        shortcut.addWidget(self.save_button)
        layout.addLayout(shortcut)
        self.refresh()

    def refresh(self, select: str | None = None) -> None:
        self.list.clear()
        self.list.addItems(self.store.names())
        if self.list.count():
            names = [self.list.item(i).text() for i in range(self.list.count())]
            self.list.setCurrentRow(names.index(select) if select in names else 0)
        else:
            self.select("")

    def select(self, name: str) -> None:
        for row in self.rows:
            row.setParent(None)
        self.rows = []
        self.profile = None
        if not name:
            self.summary.setText("No profile yet: choose Check > Calibrate (make a "
                                 "profile) in the window, or import one.")
            return
        try:
            self.profile = self.store.load(name)
        except ProfileError as exc:
            self.summary.setText(str(exc))
            return
        g = self.profile.guard
        self.summary.setText(
            f"{name}: {', '.join(self.profile.classes)} · head {self.profile.head.kind} · "
            f"held-out {100 * g.get('before_accuracy', 0):.0f} % → "
            f"{100 * g.get('after_accuracy', 0):.0f} %")
        for binding in self.profile.gestures:
            row = GestureRow(binding)
            self.rows.append(row)
            self.gesture_box.addWidget(row)
        self.shortcut.setKeySequence(QKeySequence(self.profile.pause_shortcut))

    def set_live(self, probs: np.ndarray | None) -> None:
        """The newest smoothed probabilities (or None): each gesture's bar follows its own."""
        for row in self.rows:
            row.set_live(None if probs is None else float(probs[EMOTIONS.index(row.emotion)]))

    def save(self) -> None:
        if self.profile is None:
            return
        self.profile = dataclasses.replace(
            self.profile, gestures=tuple(r.binding() for r in self.rows),
            pause_shortcut=self.shortcut.keySequence().toString() or "Ctrl+Shift+P")
        self.store.save(self.profile)

    def _name(self) -> str:
        item = self.list.currentItem()
        return item.text() if item else ""

    def _use(self) -> None:
        self.use_requested.emit(self._name())

    def _rename(self) -> None:
        new, ok = QInputDialog.getText(self, "Rename profile", "New name:", text=self._name())
        if ok and new:
            self._guard(lambda: self.store.rename(self._name(), new), select=new)

    def _export(self) -> None:
        dest, _ = QFileDialog.getSaveFileName(self, "Export profile", self._name())
        if dest:
            self._guard(lambda: self.store.export(self._name(), dest))

    def _import(self) -> None:
        src, _ = QFileDialog.getOpenFileName(self, "Import profile", str(Path.home()))
        if src:
            self._guard(lambda: self.store.import_file(src))

    def _remove(self) -> None:
        if self._name():
            self._guard(lambda: self.store.remove(self._name()))

    def _guard(self, action, select: str | None = None) -> None:
        try:
            action()
        except (ProfileError, OSError) as exc:
            QMessageBox.warning(self, "Profiles", str(exc))
        self.refresh(select)
