"""Qt glue between the frame pipeline and the window: a worker object on a QThread.

A plain capture thread reads the source into a `LatestFrameSlot` (the newest frame wins;
replaced frames are counted as dropped), and the worker loop takes the newest frame, runs
the `FrameProcessor`, picks the primary face (largest or pinned), smooths it and emits one
`FrameResult` per processed frame. Opening the source and loading the models happen inside
the worker thread, so the window never freezes. A stop flag is checked every loop; an
exception on one frame is emitted as `error` and the loop goes on. `finished` -> the thread
quits -> both are deleted later (superqt's worker pattern).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.capture.source import FrameSource, LatestFrameSlot
from app.config import AppConfig, SmoothingConfig
from app.pipeline.primary import Point, pick_primary
from app.pipeline.smoothing import EmotionSmoother
from app.records import Frame, FrameResult


class Processor(Protocol):
    def process(self, frame: Frame, dropped: int = 0) -> FrameResult: ...

    def close(self) -> None: ...


SourceFactory = Callable[[], FrameSource]
# Returns the processor and a notice for the user (e.g. "no trained weights") or None.
ProcessorFactory = Callable[[], tuple[Processor, str | None]]


def app_processor_factory(config: AppConfig) -> ProcessorFactory:
    """The real pipeline from settings. Without weights, faces are still found and boxed but
    not classified, and the notice says why (the app never shows random predictions)."""

    def build() -> tuple[Processor, str | None]:
        from app.pipeline.engine import NoWeightsError, build_processor

        try:
            processor = build_processor(config, mode="video")
        except NoWeightsError as exc:
            return build_processor(config, mode="video", require_weights=False), str(exc)
        notes = processor.predictor.optimize_notes if processor.predictor else []
        # An int8 file that exists but is stale or unreadable: still correct, only slower;
        # say so and how to fix it. (A checkpoint of your own without one is normal.)
        stale = [n for n in notes if "using level full" in n and "no static int8 file" not in n]
        if stale:
            return processor, ("the int8 model files do not match the weights ("
                               + "; ".join(stale) + "); running the float models, which "
                               "is slower. Remake them with scripts/quantize_members.py.")
        return processor, None

    return build


def app_source_factory(spec: str, config: AppConfig) -> SourceFactory:
    """Opens what `spec` names; a camera reconnects by itself after a fault (and, in booth
    mode, waits for a camera that is not there yet instead of failing)."""

    def open_it() -> FrameSource:
        from app.capture.source import CameraSource, open_source

        if str(spec).strip().isdigit():
            from app.capture.reconnect import ReconnectingSource

            index, c = int(str(spec).strip()), config.capture
            return ReconnectingSource(lambda: CameraSource(index, c.width, c.height),
                                      f"camera {index}", wait_for_first=config.booth.enabled)
        return open_source(spec, loop=config.capture.loop_video, width=config.capture.width,
                           height=config.capture.height)

    return open_it


class CaptureThread(threading.Thread):
    """Reads frames into the slot until stopped or the source ends; a file or folder is
    paced at its own fps so it plays like a camera (and drops frames like one)."""

    def __init__(self, source: FrameSource, slot: LatestFrameSlot, stop: threading.Event,
                 pace: bool) -> None:
        super().__init__(name="emotune-capture", daemon=True)
        self.source, self.slot, self.stop_event, self.pace = source, slot, stop, pace
        self.read_error: str | None = None

    def run(self) -> None:
        period = 1.0 / self.source.fps if self.pace and self.source.fps > 0 else 0.0
        next_t = time.monotonic()
        try:
            while not self.stop_event.is_set():
                frame = self.source.read()
                if frame is None:
                    break
                self.slot.put(frame)
                if period:
                    next_t += period
                    delay = next_t - time.monotonic()
                    if delay > 0:
                        self.stop_event.wait(delay)
                    else:
                        next_t = time.monotonic()  # behind: do not burst to catch up
        except Exception as exc:  # a camera unplugged mid-run must not kill the app
            self.read_error = f"reading {self.source.description} failed: {exc}"
        finally:
            self.slot.close()
            self.source.close()


class PipelineWorker(QObject):
    """Runs the pipeline loop in its thread; control it with `stop()` and `set_pin()`."""

    result = Signal(object)  # FrameResult, state = EmotionState
    error = Signal(str)  # one frame failed; the loop goes on
    notice = Signal(str)  # the pipeline runs, with a limitation the user must know
    failed = Signal(str, str)  # ("source" | "pipeline", message): could not start
    source_opened = Signal(str, float)  # description, fps
    ended = Signal(str)  # the source ended (or failed mid-run); the message says which
    source_status = Signal(str)  # a camera fault and its reconnection; "" once it is over
    finished = Signal()

    def __init__(self, source_factory: SourceFactory, processor_factory: ProcessorFactory,
                 smoothing: SmoothingConfig | None = None, pace: bool = True) -> None:
        super().__init__()
        self._source_factory = source_factory
        self._processor_factory = processor_factory
        self._smoothing = smoothing or SmoothingConfig()
        self._smoother = EmotionSmoother(self._smoothing)
        self._reset = threading.Event()
        self._source: FrameSource | None = None
        self._status = ""
        self._pace = pace
        self._stop = threading.Event()
        self._slot = LatestFrameSlot()
        self._pin_lock = threading.Lock()
        self._pin: Point | None = None

    def stop(self) -> None:
        """Ask the loop to end (any thread); it does within one frame's processing time."""
        self._stop.set()
        self._slot.close()

    def reset_state(self) -> None:
        """Forget the smoothed state before the next frame (a new booth visitor)."""
        self._reset.set()

    def set_pin(self, point: Point | None) -> None:
        """Pin the face nearest `point` (frame pixels) as primary; None = largest face."""
        with self._pin_lock:
            self._pin = point

    @property
    def pin(self) -> Point | None:
        with self._pin_lock:
            return self._pin

    @Slot()
    def run(self) -> None:
        processor: Processor | None = None
        capture: CaptureThread | None = None
        try:
            try:
                source = self._source_factory()
            except Exception as exc:
                self.failed.emit("source", str(exc))
                return
            self._source = source
            self.source_opened.emit(getattr(source, "description", ""), float(source.fps))
            try:
                processor, notice = self._processor_factory()
            except Exception as exc:
                source.close()
                self.failed.emit("pipeline", f"the recognition pipeline could not start: {exc}")
                return
            if notice:
                self.notice.emit(notice)
            capture = CaptureThread(source, self._slot, self._stop, self._pace)
            capture.start()
            self._loop(processor, capture)
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
            self.finished.emit()

    def _report_status(self) -> None:
        """A reconnecting camera's fault text (read here: its reading thread is no Qt
        thread, and a signal emitted from it never arrived)."""
        status = getattr(self._source, "status", None)
        if status is not None and status != self._status:
            self._status = status
            self.source_status.emit(status)

    def _loop(self, processor: Processor, capture: CaptureThread) -> None:
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
                self.result.emit(self._process(processor, frame))
            except Exception as exc:
                self.error.emit(f"frame {frame.index}: {type(exc).__name__}: {exc}")

    def _process(self, processor: Processor, frame: Frame) -> FrameResult:
        if self._reset.is_set():
            self._reset.clear()
            self._smoother = EmotionSmoother(self._smoothing)
            with self._pin_lock:
                self._pin = None
        result = processor.process(frame, dropped=self._slot.dropped)
        with self._pin_lock:
            primary, self._pin = pick_primary(result.faces, self._pin)
        face = result.faces[primary] if primary is not None else None
        probs = face.prediction.probs if face is not None and face.prediction else None
        state = self._smoother.update(probs, frame.timestamp)
        return dataclasses.replace(result, primary=primary, state=state)


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
