"""Check > Calibrate face gestures: rest, then each chosen gesture as strongly as is
comfortable, a few seconds each; thresholds from the user's own face.

A small window guides (prompt, countdown, a bar of the seconds left) while the main face's
blendshapes from the running session (`FrameResult.primary_face.mesh`) are kept for each
step; gestures are paused meanwhile so the tries do not drive the music. The fit is
`app.music.face_calibration.fit_face_calibration` (the same as `calibrate --face-only`):
a gesture the user did not make is refused by name, cross-talk is warned about. Save puts
the result in the active personal profile (else the thresholds go to the settings) and
into the running session at once; Discard changes nothing.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from app.music.face_calibration import FaceCalibrationError, fit_face_calibration
from app.music.face_gestures import GESTURES

COUNTDOWN_S = 1.5  # the face changes: not recorded
STEP_S = 3.0


class ChooseGestures(QDialog):
    """Which gestures to calibrate (the bound ones ticked)."""

    def __init__(self, bound, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Calibrate face gestures")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Tick the gestures you will use. You will rest your face, "
                                "then make each one as strongly as is comfortable, "
                                f"{STEP_S:g} s each."))
        self.boxes = {}
        for name, spec in GESTURES.items():
            box = QCheckBox(f"{name.replace('_', ' ')}: {spec.what}")
            box.setChecked(name in bound)
            layout.addWidget(box)
            self.boxes[name] = box
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def chosen(self) -> list[str]:
        return [n for n, b in self.boxes.items() if b.isChecked()]


class FaceCalibrationFlow(QObject):
    """One face-gesture calibration in `window` (module docstring)."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.steps: list[str] = []
        self.samples: dict[str, list] = {}
        self.t0: float | None = None
        self.running = False
        self._worker = None  # the worker whose results it records
        self.prompt = QDialog(window)
        self.prompt.setWindowTitle("Calibrating face gestures")
        self.prompt.setWindowModality(Qt.WindowModality.NonModal)
        layout = QVBoxLayout(self.prompt)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setAccessibleName("What to do now")
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        layout.addWidget(self.text)
        layout.addWidget(self.bar)
        self.prompt.rejected.connect(self.cancel)

    def start(self, gestures: list[str]) -> bool:
        worker = self.window.runner.worker
        if worker is None or not gestures or self.running:
            self.window.statusBar().showMessage(
                "Face-gesture calibration needs the camera (or a video) running and at least "
                "one gesture chosen.", 8000)
            return False
        self.steps = ["neutral", *gestures]
        self.samples = {s: [] for s in self.steps}
        self.t0, self.running = None, True
        self._worker = worker  # the one it listens to (a restart brings another)
        worker.pause_gestures(True)  # the tries must not drive the music
        worker.result.connect(self.on_result)
        self.prompt.show()
        return True

    @Slot(object)
    def on_result(self, result) -> None:
        if not self.running:
            return
        t = result.frame.timestamp
        self.t0 = t if self.t0 is None else self.t0
        step, within = divmod(t - self.t0, COUNTDOWN_S + STEP_S)
        if step >= len(self.steps):
            self._finish()
            return
        name = self.steps[int(step)]
        what = "Rest your face: look at the camera" if name == "neutral" else \
            f"{GESTURES[name].what[0].upper()}{GESTURES[name].what[1:]}, as strongly as is " \
            "comfortable, and hold"
        face = result.primary_face
        if within < COUNTDOWN_S:
            self.text.setText(f"Next ({int(step) + 1} of {len(self.steps)}): {what}")
            self.bar.setValue(0)
        else:
            self.text.setText(f"Now: {what}" + ("" if face and face.mesh else
                                                " (no face seen: face the camera)"))
            self.bar.setValue(round(100 * (within - COUNTDOWN_S) / STEP_S))
            if face is not None and face.mesh is not None:
                self.samples[name].append(face.mesh.blendshapes)

    def cancel(self) -> None:
        if self.running:
            self._stop()
            self.window.statusBar().showMessage("Face-gesture calibration cancelled", 5000)

    def _stop(self) -> None:
        self.running = False
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.result.disconnect(self.on_result)
            worker.pause_gestures(False)
        self.prompt.hide()

    def _finish(self) -> None:
        self._stop()
        tries = {n: self.samples[n] for n in self.steps[1:]}
        try:
            cal = fit_face_calibration(self.samples["neutral"], tries)
        except FaceCalibrationError as exc:
            QMessageBox.warning(self.window, "Face-gesture calibration", str(exc))
            return
        lines = [f"{n.replace('_', ' ')}: threshold {cal.thresholds[n]:.2f} over your "
                 f"resting {cal.neutral[n]:.2f} (your try reached +{cal.peaks[n]:.2f})"
                 for n in tries]
        text = "\n".join(lines + ["", *cal.warnings])
        answer = QMessageBox.question(self.window, "Face-gesture calibration",
                                      text + "\n\nSave and use these thresholds?")
        if answer == QMessageBox.StandardButton.Yes:
            self.window.face_actions.save_face_calibration(cal)
