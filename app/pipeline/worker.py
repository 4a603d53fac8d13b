"""Qt glue between the frame pipeline and the window: a worker object on a QThread.

A plain capture thread (`capture.reader.CaptureThread`) reads the source into a
`LatestFrameSlot` (the newest frame wins; replaced frames are counted as dropped), and the
worker loop takes the newest frame, runs it through its `FrameSession` (processor, main
face, smoother, gestures, music decision) and emits the `FrameResult`. The worker holds no
frame logic of its own: it only moves frames in and results out. Opening the source and
loading the models happen inside the worker thread, so the window never freezes. A stop
flag is checked every loop; an exception on one frame is emitted as `error` and the loop
goes on. `finished` -> the thread
quits -> both are deleted later (superqt's worker pattern).
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from app.capture.reader import CaptureThread
from app.capture.source import FrameSource, LatestFrameSlot, list_cameras
from app.config import FaceGestureConfig, GestureConfig, SmoothingConfig
from app.errors import from_exception, message
from app.music.face_gestures import FaceGestureDetector
from app.pipeline.check import SessionCheck
from app.pipeline.factories import (
    ProcessorFactory,
    SourceFactory,
    app_processor_factory,
    app_source_factory,
    with_profile,
)
from app.pipeline.primary import Point
from app.pipeline.session import FrameSession, MusicSink, PredictionHook, Processor

# Results queued to the GUI thread at most: when the window falls behind (a busy paint, a
# dialog), further results are processed (state, gestures and music stay right) but not
# sent, so its event queue and memory never grow with the backlog (the booth soak saw
# RSS steps of ~10 MB from transient queues of ~300 results before this bound).
MAX_IN_FLIGHT = 8

class PipelineWorker(QObject):
    """Runs the pipeline loop in its thread; control it with `stop()` and `set_pin()`."""

    result = Signal(object)  # FrameResult, with state, gesture and music actions
    error = Signal(str)  # one frame failed; the loop goes on
    notice = Signal(str)  # the pipeline runs, with a limitation the user must know
    failed = Signal(str, str)  # ("source" | "pipeline", message): could not start
    source_opened = Signal(str, float)  # description, fps
    ended = Signal(str)  # the source ended (or failed mid-run); the message says which
    source_status = Signal(str)  # a camera fault and its reconnection; "" once it is over
    finished = Signal()

    def __init__(self, source_factory: SourceFactory, processor_factory: ProcessorFactory,
                 smoothing: SmoothingConfig | None = None, pace: bool = True,
                 gestures: GestureConfig | None = None, music: MusicSink | None = None,
                 profile: PredictionHook | None = None,
                 face_gestures: FaceGestureConfig | FaceGestureDetector | None = None) -> None:
        super().__init__()
        self._face_gestures = face_gestures
        self._source_factory = source_factory
        self._processor_factory = processor_factory
        # The session is made with its processor inside the worker thread; what the window
        # sets before that (pin, gesture pause or settings) waits in the session's settings.
        self._session_args = (smoothing or SmoothingConfig(), gestures, music, profile)
        self.session: FrameSession | None = None
        self._pace = pace
        self._stop = threading.Event()
        self._slot = LatestFrameSlot()
        self._early = threading.Lock()
        self._pin: Point | None = None
        self._gestures_paused = False
        self._source: FrameSource | None = None
        self._status = ""  # the last camera status sent (see _report_status)
        self._flight_lock = threading.Lock()
        self._in_flight = 0  # results emitted, not yet taken by the window
        # True when the receiver calls result_taken() for every result (the window does);
        # then at most MAX_IN_FLIGHT results wait in its queue.
        self.bounded = False
        self.unsent = 0  # results processed but not sent because the window was behind
        # The guided check the session steps; the window gives its own (it outlives workers).
        self.check = SessionCheck()

    def stop(self) -> None:
        """Ask the loop to end (any thread); it does within one frame's processing time."""
        self._stop.set()
        self._slot.close()
        with self._early:  # frames after this no longer count in the window's check
            self.check = SessionCheck()
            if self.session is not None:
                self.session.check = self.check

    def result_taken(self) -> None:
        """The window booked a result (GUI thread): one more may be queued to it."""
        with self._flight_lock:
            self._in_flight = max(0, self._in_flight - 1)

    def reset_state(self) -> None:
        """Forget the smoothed state, gesture holds and pin before the next frame (a new
        booth visitor); any thread."""
        with self._early:
            self._pin = None
            if self.session is not None:
                self.session.reset_soon()

    def set_pin(self, point: Point | None) -> None:
        """Pin the face nearest `point` (frame pixels) as primary; None = largest face."""
        with self._early:
            self._pin = point
            if self.session is not None:
                self.session.set_pin(point)

    @property
    def pin(self) -> Point | None:
        with self._early:
            return self.session.pin if self.session is not None else self._pin

    def pause_gestures(self, paused: bool) -> None:
        """No gestures while paused (any thread); see `FrameSession.pause_gestures`."""
        with self._early:
            self._gestures_paused = paused
            if self.session is not None:
                self.session.pause_gestures(paused)

    def set_gesture_config(self, cfg: GestureConfig) -> None:
        """New gesture settings from the next frame (any thread)."""
        with self._early:
            smoothing, _, music, profile = self._session_args
            self._session_args = (smoothing, cfg, music, profile)
            if self.session is not None:
                self.session.set_gesture_config(cfg)

    def set_face_gestures(self, detector: FaceGestureDetector) -> None:
        """A new face-gesture detector (settings, calibration) from the next frame."""
        with self._early:
            self._face_gestures = detector
            if self.session is not None:
                self.session.set_face_gestures(detector)

    @Slot()
    def run(self) -> None:
        processor: Processor | None = None
        capture: CaptureThread | None = None
        try:
            try:
                source = self._source_factory()
            except Exception as exc:  # the message: headline, then details (app.errors)
                self.failed.emit("source", message(from_exception(exc, "opening the source")))
                return
            self._source = source
            self.source_opened.emit(getattr(source, "description", ""), float(source.fps))
            try:
                processor, notice = self._processor_factory()
            except Exception as exc:
                source.close()
                err = from_exception(exc, "starting the recognition pipeline")
                self.failed.emit("pipeline",
                                 message(err, "The recognition pipeline could not start."))
                return
            if notice:
                self.notice.emit(notice)
            session = self._make_session(processor)
            pace_fps = float(source.fps) if self._pace else 0.0
            capture = CaptureThread(source, self._stop, pace_fps, slot=self._slot,
                                    close_source=True)
            capture.start()
            self._loop(session, capture)
        finally:
            self._stop.set()
            self._slot.close()
            if capture is not None:
                capture.join(timeout=1.0)
            if processor is not None:
                try:
                    processor.close()
                except Exception as exc:
                    self.error.emit(f"closing the pipeline failed: {exc}")
            # Hand the worker back to the GUI thread before `finished` (-> deleteLater): it is
            # then deleted there, after every signal it queued for the window, whose slots
            # ask sender() whether a result is the current worker's. Deleted here, in its own
            # thread, a still-queued signal's sender() pointed at freed memory (a segfault in
            # CI when a settings change restarted the pipeline).
            app = QCoreApplication.instance()
            if app is not None:
                self.moveToThread(app.thread())
            self.finished.emit()

    def _make_session(self, processor: Processor) -> FrameSession:
        with self._early:
            smoothing, gestures, music, profile = self._session_args
            session = FrameSession(processor, smoothing, gestures, music, profile,
                                   self._face_gestures)
            session.set_pin(self._pin)
            session.pause_gestures(self._gestures_paused)
            session.check = self.check
            self.session = session
        return session

    def _report_status(self) -> None:
        """A reconnecting camera's fault text, polled here in the worker thread: its own
        reading thread is no Qt thread, and a signal emitted from it never arrived."""
        status = getattr(self._source, "status", None)
        if status is not None and status != self._status:
            self._status = status
            self.source_status.emit(status)

    def _loop(self, session: FrameSession, capture: CaptureThread) -> None:
        while not self._stop.is_set():
            frame = self._slot.take(timeout=0.1)
            self._report_status()
            if frame is None:
                if self._slot.closed:
                    if not self._stop.is_set():  # ended by itself, not by stop()
                        self.ended.emit(capture.read_error or "the source has no more frames")
                    return
                continue
            try:
                result = session.step(frame, dropped=self._slot.dropped)
                with self._flight_lock:  # the GUI is behind: keep its queue short
                    send = not self.bounded or self._in_flight < MAX_IN_FLIGHT
                    self._in_flight += int(send)
                    self.unsent += int(not send)
                if send:
                    self.result.emit(result)
            except Exception as exc:
                self.error.emit(f"frame {frame.index}: {type(exc).__name__}: {exc}")


class PipelineRunner(QObject):
    """Owns one worker and its thread at a time; the window calls start() and stop()."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker: PipelineWorker | None = None
        self.thread: QThread | None = None
        # Threads that outlived stop()'s wait: kept referenced, since destroying a running
        # QThread aborts the process.
        self._lingering: list[tuple[QThread, PipelineWorker]] = []

    def start(self, worker: PipelineWorker) -> PipelineWorker:
        """Run `worker` in a new thread (stopping the previous one first)."""
        self.stop()
        thread = QThread()
        thread.setObjectName("emotune-pipeline")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.finished.connect(thread.quit)
        worker.finished.connect(worker.deleteLater)
        self.worker, self.thread = worker, thread
        thread.start()
        return worker

    def stop(self, wait: bool = True, timeout_ms: int = 3000) -> bool:
        """Stop the worker; with `wait`, block until its thread ended (True when it did in
        time). Without, return at once: the UI never waits on a model that is loading."""
        worker, thread = self.worker, self.thread
        self.worker = self.thread = None
        if worker is None or thread is None:
            return True
        worker.stop()
        # finished -> quit is a queued call into this (the UI) thread, which would not run
        # while we block in wait(); quit() is thread-safe, so ask directly as well.
        thread.quit()
        done = thread.wait(timeout_ms) if wait else thread.isFinished()
        if not done:
            self._lingering.append((thread, worker))
        self._prune()
        return done

    def _prune(self) -> None:
        self._lingering = [(t, w) for t, w in self._lingering if t.isRunning()]

    def wait_all(self, timeout_ms: int = 3000) -> bool:
        """Wait for threads of earlier, already stopped workers (before the app quits)."""
        done = all(t.wait(timeout_ms) for t, _ in self._lingering)
        self._prune()
        return done

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.isRunning()


# The window reaches capture only through this module (an import-linter contract).
__all__ = ["PipelineRunner", "PipelineWorker", "ProcessorFactory", "SourceFactory",
           "app_processor_factory", "app_source_factory", "list_cameras", "with_profile"]
