"""Settings > Gestures: face gestures on or off, gesture-only mode, and per gesture its
action, a threshold slider beside a live bar of the main face's rise over its neutral, and
the hold in progress. It edits `FaceGestureConfig` only; the live values are the session's
own (`FrameResult.face_levels`, `.hold`), so the bar shows exactly what the detector reads.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QProgressBar,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from app.config import AppConfig, FaceGestureConfig
from app.music.face_gestures import GESTURES
from app.records import GESTURE_ACTIONS, HoldProgress
from app.ui.hold_overlay import hold_text
from app.ui.rule_spin import rule_spin

NONE = "(none)"
# The status bar's first-start tip: short enough to fit beside the bar's permanent fields
# at 1366 px (the longer text, with why smiles are left free, is INTRO on the page).
FIRST_RUN = "Hands-free: tick Settings > Gestures, raise both brows and hold to play/pause"
FIRST_RUN_MORE = ("Smiling never controls the music: the mood music follows your smile. Face "
                  "gestures are off until you tick them (the face landmarker costs time).")
INTRO = ("Face gestures read your face's movements, not your mood: raise your eyebrows, open "
         "your mouth, wink… and hold. They are off until you tick the box below (the face "
         "landmarker costs time on slow machines). Only one is bound at first: raise both "
         "eyebrows and hold to play or pause. Smiles and an open mouth are left free because "
         "the mood music follows them; bind them here if you want them. The bars show how far "
         "each movement rises over your resting face; the slider is where it counts. Check > "
         "Calibrate face gestures sets the sliders from your own face.")


class GestureLine:
    """One gesture's widgets in the page's grid."""

    def __init__(self, grid: QGridLayout, row: int, name: str, cfg: FaceGestureConfig) -> None:
        spec = GESTURES[name]
        self.name = name
        label = QLabel(name.replace("_", " "))
        label.setToolTip(spec.what)
        self.action = QComboBox()
        self.action.addItems([NONE, *GESTURE_ACTIONS])
        self.action.setCurrentText(cfg.mapping.get(name, NONE))
        self.action.setAccessibleName(f"{name} action")
        self.threshold = QSlider(Qt.Orientation.Horizontal)
        self.threshold.setRange(2, 90)
        self.threshold.setValue(round(100 * cfg.thresholds.get(name, spec.threshold)))
        self.threshold.setAccessibleName(f"{name} threshold over the neutral face")
        self.value = QLabel()
        self.threshold.valueChanged.connect(self._show_value)
        self._show_value(self.threshold.value())
        self.live = QProgressBar()
        self.live.setRange(0, 100)
        self.live.setFormat("now %p %")
        self.live.setAccessibleName(f"{name} current rise over the neutral face")
        for col, widget in enumerate((label, self.action, self.threshold, self.value,
                                      self.live)):
            grid.addWidget(widget, row, col)

    def _show_value(self, v: int) -> None:
        self.value.setText(f"{v} %")

    def set_live(self, rise: float | None, threshold: float | None = None) -> None:
        self.live.setValue(0 if rise is None else min(100, round(100 * rise)))
        over = rise is not None and rise >= self.threshold.value() / 100.0
        self.live.setFormat("now %p %  ✓ over" if over else "now %p %")


class GesturesPage(QWidget):
    def __init__(self, config: AppConfig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        f = config.face_gestures
        self._base = f
        self.setAccessibleName("Face gesture settings")
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.enabled = QCheckBox("Face gestures (runs the face landmarker on the main face)")
        self.enabled.setChecked(f.enabled)
        self.only = QCheckBox("Gesture-only mode: the music ignores the mood")
        self.only.setChecked(f.only)
        self.hold_s = rule_spin(f.hold_s, "face_gestures.hold_s", 0.1, "Hold time (s)")
        self.cooldown_s = rule_spin(f.cooldown_s, "face_gestures.cooldown_s", 0.1,
                                    "Cooldown (s)")
        self.blink_min_s = rule_spin(f.blink_min_s, "face_gestures.blink_min_s", 0.1,
                                     "Shortest blink that counts (s)")
        form = QFormLayout()
        form.addRow(self.enabled)
        form.addRow(self.only)
        form.addRow("&Hold time (s)", self.hold_s)
        form.addRow("&Cooldown (s)", self.cooldown_s)
        form.addRow("Shortest &blink (s)", self.blink_min_s)
        self.hold = QLabel("No gesture held")
        self.hold.setObjectName("warning")
        self.hold.setAccessibleName("Gesture hold in progress")
        rows = QWidget()
        grid = QGridLayout(rows)
        for col, title in enumerate(("gesture", "action", "threshold", "", "your face now")):
            grid.addWidget(QLabel(f"<b>{title}</b>"), 0, col)
        self.lines = [GestureLine(grid, i + 1, name, f) for i, name in enumerate(GESTURES)]
        scroll = QScrollArea()
        scroll.setWidget(rows)
        scroll.setWidgetResizable(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.hold)
        layout.addWidget(scroll, 1)

    def set_live(self, levels: dict[str, tuple[float, float]] | None,
                 hold: HoldProgress | None) -> None:
        """The newest result's levels (rise, threshold) per gesture and hold progress."""
        for line in self.lines:
            level = (levels or {}).get(line.name)
            line.set_live(None if level is None else level[0])
        if hold is None:
            self.hold.setText("No gesture held" if levels else "No face seen")
        else:
            self.hold.setText(f"{hold_text(hold)}  {hold.fraction:.0%}")

    def apply(self, config: AppConfig) -> AppConfig:
        """`config` with this page's face-gesture settings. A threshold left at its default
        is not written, so a later change of the default still reaches the user."""
        mapping = {ln.name: ln.action.currentText() for ln in self.lines
                   if ln.action.currentText() != NONE}
        thresholds = {ln.name: ln.threshold.value() / 100.0 for ln in self.lines
                      if ln.threshold.value() != round(100 * GESTURES[ln.name].threshold)}
        return dataclasses.replace(config, face_gestures=dataclasses.replace(
            self._base, enabled=self.enabled.isChecked(), only=self.only.isChecked(),
            mapping=mapping, thresholds=thresholds, hold_s=self.hold_s.value(),
            cooldown_s=self.cooldown_s.value(), blink_min_s=self.blink_min_s.value()))
