"""Run the app's frame path on a source and measure it (no Qt): what `bench` reports.

The loop is the GUI worker's without the signals: the app's capture thread
(`capture.reader.CaptureThread`) reads (decodes) frames while the processing thread runs
detect -> crop -> CNN_1 -> CNN_2 -> fusion, then the caller's step after the processor
(`FrameSession.decide`: main face, smoothing, gestures; timed as "smooth"), so decoding
overlaps processing as in the app. Two ways of feeding frames:

- paced (`pace_fps > 0`): frames arrive at a camera's rate through the app's
  `LatestFrameSlot`; a frame replaced before it was taken is dropped and counted, exactly
  as in the app. This measures latency and drops at that camera rate.
- unpaced (`pace_fps = 0`): the capture thread hands over each frame as soon as the
  processor has taken the previous one (a one-place queue, nothing dropped). This measures
  the pipeline's capacity: the processed fps it can sustain.

Capture -> result latency is the time from a frame's capture timestamp (set when the
decoded frame left the source) to the end of its smoothing step.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from app.capture.reader import CaptureThread
from app.capture.source import FrameSource
from app.records import Frame, FrameResult

STAGE_ORDER = ("decode", "detect", "crop", "cnn1", "cnn2", "fusion", "smooth", "total")


def percentiles(values: list[float]) -> dict[str, float]:
    """p50 / p95 / mean / max of a list of milliseconds (zeros when empty)."""
    if not values:
        return {"p50": 0.0, "p95": 0.0, "mean": 0.0, "max": 0.0}
    arr = np.asarray(values, dtype=np.float64)
    return {"p50": round(float(np.percentile(arr, 50)), 3),
            "p95": round(float(np.percentile(arr, 95)), 3),
            "mean": round(float(arr.mean()), 3), "max": round(float(arr.max()), 3)}


def memory_mb() -> dict[str, float]:
    """Resident memory now and at its peak, from /proc (empty off Linux)."""
    out: dict[str, float] = {}
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out["rss_mb" if key == "VmRSS" else "peak_rss_mb"] = round(
                        int(rest.split()[0]) / 1024.0, 1)
    except OSError:
        pass
    return out


def seconds_since_launch() -> float | None:
    """Seconds since this process started (kernel's start time), None off Linux."""
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime", encoding="ascii") as fh:
            uptime = float(fh.read().split()[0])
        start_ticks = int(fields[19])  # field 22 of stat; 20th after the command name
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


@dataclass
class StreamStats:
    """What one run collected; `summary()` turns it into the bench report's numbers."""

    stage_ms: dict[str, list[float]] = field(default_factory=dict)
    e2e_ms: list[float] = field(default_factory=list)
    frames: int = 0
    frames_with_face: int = 0
    predictions: int = 0
    dropped: int = 0
    wall_s: float = 0.0
    emotions: dict[str, int] = field(default_factory=dict)

    def add(self, result: FrameResult, decode_ms: float, smooth_ms: float, done: float) -> None:
        self.frames += 1
        timings = dict(result.timings_ms)
        timings["decode"] = decode_ms
        timings["smooth"] = smooth_ms
        for key, value in timings.items():
            self.stage_ms.setdefault(key, []).append(float(value))
        self.e2e_ms.append((done - result.frame.timestamp) * 1000.0)
        face = result.primary_face
        if face is not None:
            self.frames_with_face += 1
            if face.prediction is not None:
                self.predictions += 1
                name = face.prediction.emotion
                self.emotions[name] = self.emotions.get(name, 0) + 1

    def summary(self) -> dict:
        stages = {k: percentiles(self.stage_ms[k]) for k in STAGE_ORDER if k in self.stage_ms}
        stages.update({k: percentiles(v) for k, v in self.stage_ms.items() if k not in stages})
        cnn = [a + b for a, b in zip(self.stage_ms.get("cnn1", []), self.stage_ms.get("cnn2", []),
                                     strict=False)]
        return {
            "frames": self.frames,
            "frames_with_face": self.frames_with_face,
            "predictions": self.predictions,
            "dropped": self.dropped,
            "wall_s": round(self.wall_s, 3),
            "processed_fps": round(self.frames / self.wall_s, 2) if self.wall_s > 0 else 0.0,
            "stages_ms": stages,
            "cnn1_plus_cnn2_ms": percentiles(cnn),
            "capture_to_result_ms": percentiles(self.e2e_ms),
            "emotions": dict(sorted(self.emotions.items())),
        }


def run_stream(source: FrameSource, process: Callable[[Frame, int], FrameResult],
               smooth: Callable[[FrameResult], FrameResult], seconds: float,
               pace_fps: float = 0.0, warmup_frames: int = 5,
               on_first_prediction: Callable[[], None] | None = None,
               stages=None) -> StreamStats:
    """Run frames through `process` then `smooth` for `seconds` after `warmup_frames`.

    With `stages` (from `app.bench.overlap.split_stages`), detection and classification
    run overlapped on two threads instead of `process` (see that module).
    """
    stats = StreamStats()
    stop = threading.Event()
    capture = CaptureThread(source, stop, pace_fps, handoff=pace_fps <= 0, time_decode=True)
    capture.start()
    state = {"seen": 0, "start": None, "dropped_at_start": 0, "first": on_first_prediction}

    def handle(result: FrameResult) -> bool:
        """Smooth and record one result; False once the measured time is over."""
        t_smooth = time.perf_counter()
        result = smooth(result)
        done = time.monotonic()
        smooth_ms = (time.perf_counter() - t_smooth) * 1000.0
        face = result.primary_face
        if state["first"] is not None and face is not None and face.prediction:
            state["first"]()
            state["first"] = None
        state["seen"] += 1
        if state["seen"] == warmup_frames:
            state["start"], state["dropped_at_start"] = time.monotonic(), capture.slot.dropped
        elif state["start"] is not None:
            stats.add(result, capture.decode_ms.pop(result.frame.index, 0.0), smooth_ms, done)
            if done - state["start"] >= seconds:
                return False
        return True

    def take() -> tuple[Frame, int] | None:
        frame = capture.take()
        return None if frame is None else (frame, capture.slot.dropped)

    try:
        if stages is not None:
            from app.bench.overlap import OverlappedLoop

            OverlappedLoop(stages).run(take, handle)
        else:
            while (item := take()) is not None:
                if not handle(process(*item)):
                    break
    finally:
        stop.set()
        capture.drain_and_join()
    if state["start"] is not None:
        stats.wall_s = time.monotonic() - state["start"]
        stats.dropped = capture.slot.dropped - state["dropped_at_start"]
    if capture.read_error:
        raise RuntimeError(capture.read_error)
    return stats


__all__ = ["STAGE_ORDER", "StreamStats", "memory_mb", "percentiles", "run_stream",
           "seconds_since_launch"]
