"""Figures for the status bar, computed off the painting code (no Qt): processed frames per
second over a sliding window, and the per-stage latency text."""

from __future__ import annotations

from collections import deque

STAGES = (("detect", "detect"), ("cnn1", "CNN_1"), ("cnn2", "CNN_2"))


class RateMeter:
    """Events per second over the last `window_s` seconds of event times."""

    def __init__(self, window_s: float = 2.0) -> None:
        if window_s <= 0:
            raise ValueError(f"window_s must be > 0, got {window_s}")
        self.window_s = window_s
        self._times: deque[float] = deque()

    def tick(self, t: float) -> float:
        self._times.append(t)
        while self._times and self._times[0] < t - self.window_s:
            self._times.popleft()
        return self.rate()

    def rate(self) -> float:
        if len(self._times) < 2:
            return 0.0
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0

    def reset(self) -> None:
        self._times.clear()


def latency_text(timings_ms: dict[str, float]) -> str:
    """'detect 4.1 ms · CNN_1 3.0 ms · CNN_2 14.2 ms' for the stages present."""
    parts = [f"{label} {timings_ms[key]:.1f} ms" for key, label in STAGES if key in timings_ms]
    return " · ".join(parts) if parts else "no timings yet"
