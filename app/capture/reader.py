"""The capture thread: reads a source so decoding overlaps processing (no Qt).

One class for the GUI worker and the `bench` harness, so the bench feeds frames exactly as
the window does. Two ways of handing frames over:

- the latest-frame slot (the app, and the bench when paced): a frame replaced before it
  was taken is dropped and counted; with `pace_fps > 0` frames are put at that rate, so a
  file plays like a camera (and drops frames like one);
- a one-place queue (`handoff=True`, the bench's unpaced capacity run): each frame waits
  until the consumer took the previous one, nothing is dropped.
"""

from __future__ import annotations

import queue
import threading
import time

from app.capture.source import FrameSource, LatestFrameSlot
from app.records import Frame


class CaptureThread(threading.Thread):
    """Reads frames until `stop` is set or the source ends; then closes the slot (and the
    source, with `close_source`). A read error ends the thread and is kept in `read_error`
    (a camera unplugged mid-run must not kill the app)."""

    def __init__(self, source: FrameSource, stop: threading.Event, pace_fps: float = 0.0,
                 slot: LatestFrameSlot | None = None, handoff: bool = False,
                 close_source: bool = False, time_decode: bool = False) -> None:
        super().__init__(name="emotune-capture", daemon=True)
        self.source, self.stop_event, self.pace_fps = source, stop, pace_fps
        self.slot = slot if slot is not None else LatestFrameSlot()
        self.handoff: queue.Queue | None = queue.Queue(maxsize=1) if handoff else None
        self.close_source = close_source
        # frame index -> decode ms; the bench pops them, so only it asks for them
        self.decode_ms: dict[int, float] | None = {} if time_decode else None
        self.read_error: str | None = None

    def run(self) -> None:
        period = 1.0 / self.pace_fps if self.pace_fps > 0 else 0.0
        next_t = time.monotonic()
        try:
            while not self.stop_event.is_set():
                t0 = time.perf_counter()
                frame = self.source.read()
                if frame is None:
                    break
                if self.decode_ms is not None:
                    self.decode_ms[frame.index] = (time.perf_counter() - t0) * 1000.0
                if self.handoff is None:
                    self.slot.put(frame)
                else:
                    self._hand_over(frame)
                if period:
                    next_t += period
                    delay = next_t - time.monotonic()
                    if delay > 0:
                        self.stop_event.wait(delay)
                    else:
                        next_t = time.monotonic()  # behind: do not burst to catch up
        except Exception as exc:
            self.read_error = f"reading {self.source.description} failed: {exc}"
        finally:
            self.slot.close()
            if self.handoff is not None:
                self.handoff.put(None)
            if self.close_source:
                self.source.close()

    def _hand_over(self, frame: Frame) -> None:
        while not self.stop_event.is_set():
            try:
                self.handoff.put(frame, timeout=0.1)
                return
            except queue.Full:
                continue

    def take(self) -> Frame | None:
        """The next frame for the consumer; None once the source ended or was stopped."""
        if self.handoff is not None:
            return self.handoff.get()
        while True:
            frame = self.slot.take(timeout=0.1)
            if frame is not None or self.slot.closed:
                return frame

    def drain_and_join(self) -> None:
        """Unblock a thread waiting on a full hand-off queue, then wait for it to end."""
        while self.is_alive():
            if self.handoff is not None:
                try:
                    self.handoff.get_nowait()
                except queue.Empty:
                    pass
            self.join(timeout=0.05)
