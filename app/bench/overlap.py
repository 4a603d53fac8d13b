"""Detection and classification overlapped across the two cores (no Qt).

With torch on one thread, a frame's work is two halves of similar size: face detection and
cropping (MediaPipe, ~3-4 ms) and CNN_1 + CNN_2 + fusion (~4-5 ms at 48 px). Run one after
the other, a core idles while the other works; run as a two-stage pipeline, the detector
finds the faces of frame t+1 while the CNNs score frame t, and throughput approaches one
frame per slower half. Latency per frame does not shrink (each frame still goes through
both halves), so this is for sources faster than one frame per sequential processing
time; with a 30 fps webcam the plain loop already keeps up.

`split_stages(processor)` gives the app's `FrameProcessor` as those halves (its `detect`
and `classify`, the very code `process` runs, timings included), and
`OverlappedLoop` runs them on two threads with a one-place hand-over between them.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Protocol

from app.pipeline.engine import Detected, FrameProcessor
from app.records import Frame, FrameResult


class Stages(Protocol):
    """The two halves of a frame's work (`pipeline.engine.FrameProcessor` has them)."""

    def detect(self, frame: Frame, dropped: int = 0) -> Detected: ...

    def classify(self, d: Detected) -> FrameResult: ...


def split_stages(processor: FrameProcessor) -> Stages:
    """The detect/crop and classify halves of a `FrameProcessor`: the processor itself,
    whose `process` is exactly `classify(detect(frame))`."""
    return processor


class OverlappedLoop:
    """Runs `take() -> Frame | None` through detection on a helper thread and
    classification on the calling thread; `emit(result)` gets each FrameResult in order.

    `take` returns None when the source has ended; `stop()` ends the loop from any thread.
    An exception in the detection thread is re-raised in the caller.
    """

    def __init__(self, stages: Stages) -> None:
        self.stages = stages
        self._stop = threading.Event()
        self._handoff: queue.Queue = queue.Queue(maxsize=1)
        self._error: BaseException | None = None

    def stop(self) -> None:
        self._stop.set()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._handoff.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _detect_loop(self, take: Callable[[], tuple[Frame, int] | None]) -> None:
        try:
            while not self._stop.is_set():
                item = take()
                if item is None:
                    break
                frame, dropped = item
                if not self._put(self.stages.detect(frame, dropped)):
                    return
        except BaseException as exc:  # hand it to the caller
            self._error = exc
        finally:
            self._put(None)

    def run(self, take: Callable[[], tuple[Frame, int] | None],
            emit: Callable[[FrameResult], bool | None]) -> None:
        """Loop until the source ends, `stop()` is called or `emit` returns False."""
        worker = threading.Thread(target=self._detect_loop, args=(take,),
                                  name="emotune-detect", daemon=True)
        worker.start()
        try:
            while not self._stop.is_set():
                try:
                    detected = self._handoff.get(timeout=0.1)
                except queue.Empty:
                    continue
                if detected is None:
                    break
                if emit(self.stages.classify(detected)) is False:
                    break
        finally:
            self._stop.set()
            while worker.is_alive():
                try:
                    self._handoff.get_nowait()
                except queue.Empty:
                    pass
                worker.join(timeout=0.05)
        if self._error is not None:
            raise self._error


__all__ = ["Detected", "OverlappedLoop", "Stages", "split_stages"]
