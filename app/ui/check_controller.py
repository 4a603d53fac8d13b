"""The guided check in the window: hand checks to the session, show the state results
bring, export it.

The check itself steps inside the session (`pipeline.check.SessionCheck`, one per window,
given to every worker it starts): it counts the main face of every frame the session
processes, including the ones a busy window never receives, and its `CheckState` arrives in
each `FrameResult`. This object only starts and resets checks (showing their first state at
once), keeps the newest state of the current run, paints it on the window's timer, and
writes the PNG and CSV.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtWidgets import QFileDialog

from app.atomic import atomic_write_bytes
from app.labels import EMOTIONS
from app.pipeline.check import GuidedCheck, SessionCheck, write_state_csv
from app.records import CheckState, FrameResult


def save_image_atomically(image, path: str) -> bool:
    """Encode a QImage in memory, then write it with `app.atomic` (a crash mid-export never
    leaves a truncated PNG over an earlier one)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    fmt = Path(path).suffix.lstrip(".").upper() or "PNG"
    if not image.save(buffer, fmt):
        return False
    try:
        atomic_write_bytes(path, bytes(data.data()))
    except OSError:
        return False
    return True


class CheckController:
    """The window's guided check (Check menu, the panel's buttons, the calibration's)."""

    def __init__(self, window) -> None:
        self.window = window
        self.steps = SessionCheck()  # the session steps it; start_pipeline gives it on
        check = self._new(EMOTIONS)
        self.state: CheckState = check.state(check.reset(), 0)
        self._run = 0  # results of an earlier run are stale (a restart, a reset)

    def _new(self, order) -> GuidedCheck:
        cfg = self.window.config.ui
        return GuidedCheck(cfg.check_seconds, cfg.check_countdown_s, order)

    def start(self, order=EMOTIONS, t: float | None = None) -> CheckState:
        """Hand the session a check of `order` started at `t` (None: the latest frame's
        time, or the next frame's when none came yet) and show it."""
        if t is None and self.window.latest is not None:
            t = self.window.latest.frame.timestamp
        return self._show(self.steps.start(self._new(order), t))

    def reset(self) -> CheckState:
        """Hand the session an idle check with the settings' timing (counts cleared)."""
        return self._show(self.steps.reset(self._new(EMOTIONS)))

    def _show(self, state: CheckState) -> CheckState:
        self._run = state.run
        self.state = state
        self.refresh()
        return state

    def on_result(self, result: FrameResult) -> None:
        if result.check is not None and result.check.run >= self._run:
            self.state = result.check

    def refresh(self) -> None:
        panel = self.window.confusion
        panel.set_check(self.state)
        panel.set_status(self.state.status)

    # -- the Check menu's handlers (app.ui.actions.ACTIONS) ------------------------------
    def start_check(self) -> None:
        w = self.window
        w.calibration.cancel()  # the plain check replaces a calibration under way
        w.right_stack.show_check()
        self.start()

    def reset_check(self) -> None:
        self.window.calibration.cancel()
        self.reset()

    def export_png(self, path: str | None = None) -> str | None:
        w = self.window
        path = path or QFileDialog.getSaveFileName(w, "Export the confusion matrix",
                                                   "emotune-check.png", "PNG (*.png)")[0]
        if path and save_image_atomically(w.confusion.render_image(), path):
            w.statusBar().showMessage(f"Saved {path}", 5000)
            return path
        return None

    def export_csv(self, path: str | None = None) -> str | None:
        w = self.window
        path = path or QFileDialog.getSaveFileName(w, "Export the counts",
                                                   "emotune-check.csv", "CSV (*.csv)")[0]
        if path:
            write_state_csv(self.state, path)
            w.statusBar().showMessage(f"Saved {path}", 5000)
            return path
        return None
