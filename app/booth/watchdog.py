"""The booth watchdog: restart the pipeline when frames stop coming (no Qt).

A booth has no one to press F5. The window feeds `Watchdog.frame(t)` on every processed
frame and calls `check(t)` from a timer; when nothing arrived for `stall_s` (a hung
camera driver, a pipeline that failed to start or whose source ended), `check` returns a
reason and the window restarts the pipeline and logs the fault; a pipeline that stopped
by itself (`failed`) is restarted after a quarter of that. Restarts back off
(`stall_s`, then twice that, ... up to `MAX_BACKOFF_S`) so a broken camera is not
hammered; a frame resets the backoff.
"""

from __future__ import annotations

MAX_BACKOFF_S = 120.0


class Watchdog:
    def __init__(self, stall_s: float, t0: float) -> None:
        self.stall_s = stall_s
        self.restarts = 0
        self._last = t0
        self._wait = stall_s
        self._reason: str | None = None

    def frame(self, t: float) -> None:
        self._last = t
        self._wait = self.stall_s
        self._reason = None

    def failed(self, reason: str) -> None:
        """The pipeline stopped (failed to start, source ended): restart at the next check."""
        self._reason = reason

    def check(self, t: float) -> str | None:
        """A reason to restart now, or None."""
        if self._reason is not None and t - self._last >= self._wait / 4:
            why, self._reason = self._reason, None
        elif t - self._last >= self._wait:
            why = f"no frame processed for {t - self._last:.0f} s"
        else:
            return None
        self.restarts += 1
        self._last = t
        self._wait = min(self._wait * 2, MAX_BACKOFF_S)
        return why
