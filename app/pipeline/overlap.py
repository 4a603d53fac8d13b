"""Detection and classification overlapped across the two cores (no Qt).

With torch on one thread, a frame's work is two halves of similar size: face detection and
cropping (MediaPipe, ~3-4 ms) and CNN_1 + CNN_2 + fusion (~4-5 ms at 48 px). Run one after
the other, a core idles while the other works; run as a two-stage pipeline, the detector
finds the faces of frame t+1 while the CNNs score frame t, and throughput approaches one
frame per slower half. Latency per frame does not shrink (each frame still goes through
both halves), so this is for sources faster than one frame per sequential processing
time; with a 30 fps webcam the plain loop already keeps up.

`split_stages(processor)` cuts the app's `FrameProcessor` into those halves (same
detector, cropper, predictor and the same FrameResult, timings included), and
`OverlappedLoop` runs them on two threads with a one-place hand-over between them.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.records import FaceBox, FaceCrop, FaceResult, Frame, FrameResult


@dataclass(frozen=True)
class Detected:
    """The first half's output: a frame with its faces found and cropped."""

    frame: Frame
    dropped: int
    boxes: tuple[FaceBox, ...]
    wanted: tuple[FaceBox, ...]
    crops: tuple[FaceCrop, ...]
    timings_ms: dict[str, float]
    started: float  # perf_counter at the start of detection


class Stages:
    """The two halves of `FrameProcessor.process`, callable from different threads."""

    def __init__(self, processor) -> None:
        self.processor = processor

    def detect(self, frame: Frame, dropped: int = 0) -> Detected:
        p = self.processor
        t0 = time.perf_counter()
        boxes = p.detector.detect(frame.image, int(frame.timestamp * 1000))
        t1 = time.perf_counter()
        wanted = [b for b in boxes if p.cropper.accepts(b)]
        crops = p.cropper.crop_all(frame.image, wanted)
        t2 = time.perf_counter()
        return Detected(frame, dropped, tuple(boxes), tuple(wanted), tuple(crops),
                        {"detect": (t1 - t0) * 1000.0, "crop": (t2 - t1) * 1000.0}, t0)

    def classify(self, d: Detected) -> FrameResult:
        p = self.processor
        t0 = time.perf_counter()
        timings = dict(d.timings_ms)
        predictions: dict[int, object] = {}
        if p.predictor is not None and d.crops:
            out = p.predictor.predict_batch([c.image for c in d.crops])
            timings.update(out.timings_ms)
            predictions = {id(b): q for b, q in zip(d.wanted, out.predictions, strict=True)}
        faces = tuple(FaceResult(b, predictions.get(id(b))) for b in d.boxes)
        primary = max(range(len(faces)), key=lambda i: faces[i].box.area) if faces else None
        # "total" is the work done on this frame (both halves), not the wall time between.
        timings["total"] = d.timings_ms["detect"] + d.timings_ms["crop"] + \
            (time.perf_counter() - t0) * 1000.0
        return FrameResult(frame=d.frame, faces=faces, primary=primary, timings_ms=timings,
                           dropped=d.dropped, device=p.device)


def split_stages(processor) -> Stages:
    """The detect/crop and classify halves of a `FrameProcessor`."""
    return Stages(processor)


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
