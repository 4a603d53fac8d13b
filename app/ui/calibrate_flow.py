"""Calibrate (make a profile) in the window: the guided check, recorded, fitted, shown, saved.

The user picks the expressions (any may be left out; neutral always). The running session
is asked, on its own thread (`FrameSession.call_soon`), to return embeddings and to set an
active profile aside (a head is fitted on the shipped weights' outputs). The window's
guided check then asks for each chosen expression while `CalibrationRecorder` keeps the
steady, prompted frames: the same recorder and guarded fit (`fit_recorded`) that `python
-m app calibrate` uses. When the check is done the fit runs on a QThread (the window keeps
painting), the before/after matrices of the held-out frames are shown with a name field,
and only Save writes a file; the saved profile becomes the session's at once. Discard (or
a guard that says no) leaves the disk untouched and puts the earlier profile back.
"""

from __future__ import annotations

import dataclasses
import time
from enum import StrEnum

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.pipeline.profile_use import use_profile
from app.profiles.calibration import (
    CalibrationRecorder,
    fit_recorded,
    offer_result,
    prepare_recording,
)
from app.profiles.profile import ProfileError
from app.profiles.store import ProfileStore
from app.records import CheckPhase
from app.ui.calibrate_dialogs import CalibrationResult, calibration_order


class FlowStep(StrEnum):
    """Where recording a profile stands (a str, so tests and logs read its name)."""

    IDLE = "idle"
    PREPARING = "preparing"
    RECORDING = "recording"
    FITTING = "fitting"
    REVIEW = "review"


class _FitJob(QObject):
    """The guarded fit on its own thread (hashing the weights and fitting take a while)."""

    done = Signal(object, object)  # Profile, GuardReport
    failed = Signal(str)
    finished = Signal()

    def __init__(self, recorder, predictor, gesture_cfg) -> None:
        super().__init__()
        self.args = (recorder, predictor, gesture_cfg)

    @Slot()
    def run(self) -> None:
        recorder, predictor, gesture_cfg = self.args
        try:
            name = time.strftime("Me %Y-%m-%d %H%M")
            self.done.emit(*fit_recorded(name, recorder, predictor, gesture_cfg))
        except (ValueError, ProfileError, OSError) as exc:
            self.failed.emit(str(exc))
        finally:
            self.finished.emit()


class CalibrationFlow(QObject):
    """Drives one calibration in `window` (module docstring); `state` says where it is."""

    _prepared = Signal(str)  # from the session's thread: "" = ready, else the error
    session_error = Signal(str)  # a profile could not be put to use in the session
    saved = Signal(str)  # the saved profile's path

    def __init__(self, window, store: ProfileStore | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.store = store or ProfileStore()
        self.state = FlowStep.IDLE
        self.order: tuple[str, ...] = ()
        self.started_at: float | None = None  # the check's start (frame time)
        self.recorder: CalibrationRecorder | None = None
        self.dialog: CalibrationResult | None = None
        self.profile = None
        self._ready = False
        self._run = 0  # the calibration check's run (`CheckState.run`)
        self._set_aside = None  # the session's profile hook before the calibration
        self._predictor = None
        self._thread: QThread | None = None
        self._job: _FitJob | None = None
        self._prepared.connect(self._on_prepared)
        self.session_error.connect(self._say)

    def _say(self, text: str, timeout_ms: int = 10000) -> None:
        self.window.statusBar().showMessage(text, timeout_ms)
        self.window.confusion.setToolTip(text)

    def _session(self):
        worker = self.window.runner.worker
        return worker.session if worker is not None else None

    def start(self, expressions) -> bool:
        """Begin with `expressions` (neutral is added); False (and a message) when no
        video runs yet or a calibration is already under way."""
        session = self._session()
        if self.state != FlowStep.IDLE:
            self._say("A calibration is already under way.")
            return False
        if session is None or getattr(session.processor, "predictor", None) is None:
            self._say("Calibration needs the camera (or a video) running with the trained "
                      "weights: start it first (Ctrl+K or Ctrl+O).")
            return False
        self.order = calibration_order(expressions)
        self.state, self._ready = FlowStep.PREPARING, False
        self._say("Preparing the calibration…")
        session.call_soon(self._prepare)
        return True

    def _prepare(self, session) -> None:  # on the session's thread
        try:
            self._set_aside, session.profile = session.profile, None
            session.pause_neutral(True)  # record the shipped weights' own readings
            prepare_recording(session.processor.predictor)
            self._predictor = session.processor.predictor
            self._prepared.emit("")
        except Exception as exc:  # noqa: BLE001 (reported to the user, never lost)
            self._prepared.emit(f"the calibration could not start: {exc}")

    @Slot(str)
    def _on_prepared(self, error: str) -> None:
        if self.state != FlowStep.PREPARING:
            return
        if error:
            self._finish(error)
            return
        self._ready = True

    def on_result(self, result) -> None:
        """Called by the window for each result (the session's check already counted it)."""
        if self.state == FlowStep.PREPARING and self._ready:
            self.window.right_stack.show_check()
            self.started_at = result.frame.timestamp
            # the session steps this check from the next frame on (app.pipeline.check)
            self._run = self.window.checks.start(self.order, self.started_at).run
            self.recorder = CalibrationRecorder()
            self.state = FlowStep.RECORDING
            self._say("Calibrating: show each expression asked for", 0)
        elif self.state == FlowStep.RECORDING:
            check = result.check
            if check is None or check.run != self._run:
                return  # processed before the session had the calibration's check
            status = check.status
            label = window = None
            if status.phase == CheckPhase.RECORDING:
                end = result.frame.timestamp + status.remaining_s
                label, window = status.target, (end - check.seconds, end)
            offer_result(self.recorder, result, label, window)
            if status.phase == CheckPhase.DONE:
                self._fit()

    def _fit(self) -> None:
        self.state = FlowStep.FITTING
        self._say("Fitting your profile…")
        self._thread, self._job = QThread(), _FitJob(self.recorder, self._predictor,
                                                     self.window.config.gestures)
        self._job.moveToThread(self._thread)
        self._thread.started.connect(self._job.run)
        self._job.done.connect(self._on_fitted)
        self._job.failed.connect(self._finish)
        self._job.finished.connect(self._thread.quit)
        self._thread.start()

    @Slot(object, object)
    def _on_fitted(self, profile, guard) -> None:
        self.state, self.profile = FlowStep.REVIEW, profile
        self.dialog = CalibrationResult(profile.guard, profile.name, self.window)
        self.dialog.save_requested.connect(self.save)
        self.dialog.rejected.connect(lambda: self._finish("Calibration discarded: nothing "
                                                          "was written."))
        self.dialog.open()
        self._say("Your profile " + ("beats" if guard.kept else "does not beat")
                  + " the shipped weights on the held-out frames.")

    def save(self, name: str) -> str | None:
        """Write the reviewed profile under `name` (a new name) and use it; the path."""
        if self.state != FlowStep.REVIEW or self.profile is None or self.dialog is None:
            return None
        if not name:
            self.dialog.message.setText("Give the profile a name.")
            return None
        profile = dataclasses.replace(self.profile, name=name)
        try:
            path = str(self.store.save(profile, overwrite=False))
        except (ProfileError, OSError) as exc:
            self.dialog.message.setText(str(exc))
            return None
        self._set_aside = None
        self.use(profile, path)
        self.dialog.accept()
        self._finish(f"Profile {name!r} saved and in use.")
        self.saved.emit(path)
        return path

    def use(self, profile, path: str | None) -> None:
        """Make `profile` the running session's (and the next pipeline's, via its path);
        None = no profile."""
        self.window.profile_path = path
        self.window.set_pause_shortcut(profile.pause_shortcut if profile else None)
        session = self._session()
        if session is not None:
            session.call_soon(lambda s: self._use_in(s, profile))

    def _use_in(self, session, profile) -> None:  # on the session's thread
        try:
            if profile is None:
                session.profile = None
            else:
                use_profile(session, profile)
        except ProfileError as exc:
            self.session_error.emit(f"personal profile not used: {exc}")

    def cancel(self) -> None:
        """The source changes or the check is restarted or reset mid-calibration: stop
        without writing anything."""
        if self.state in (FlowStep.PREPARING, FlowStep.RECORDING):
            self._finish("Calibration stopped; nothing written.")

    def close(self) -> None:
        """The window closes: let a fit in progress end (a running QThread must not be
        destroyed)."""
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait(5000)

    @Slot(str)
    def _finish(self, message: str) -> None:
        aside, self._set_aside = self._set_aside, None
        session = self._session()
        if session is not None:
            session.pause_neutral(False)
        if aside is not None and session is not None:
            session.call_soon(lambda s: setattr(s, "profile", aside))
        self.window.checks.reset()
        self.state, self.recorder, self.profile = FlowStep.IDLE, None, None
        self._say(message)
