"""A dependency-free progress line with ETA on stderr.

On a terminal the line is redrawn in place; into a log file (nohup) one line is written
every `log_every_s` seconds and at each epoch's end, so logs stay readable.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    """Tracks steps within epochs and prints progress with the epoch's and the run's ETA."""

    def __init__(self, total_epochs: int, steps_per_epoch: int, quiet: bool = False,
                 stream: TextIO | None = None, log_every_s: float = 30.0) -> None:
        self.total_epochs = total_epochs
        self.steps = max(1, steps_per_epoch)
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.log_every_s = log_every_s
        self.epoch = 0
        self._t0 = time.monotonic()
        self._last = 0.0
        self._epoch_times: list[float] = []

    def start_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        self._t0 = time.monotonic()

    def line(self, step: int, loss: float, acc: float) -> str:
        elapsed = time.monotonic() - self._t0
        per_step = elapsed / max(1, step)
        left_epoch = per_step * (self.steps - step)
        per_epoch = per_step * self.steps
        left_run = left_epoch + per_epoch * (self.total_epochs - self.epoch - 1)
        filled = int(20 * step / self.steps)
        return (f"epoch {self.epoch + 1}/{self.total_epochs} [{'#' * filled}{'.' * (20 - filled)}]"
                f" {step}/{self.steps} loss {loss:.4f} acc {acc:.3f} "
                f"ETA epoch {_clock(left_epoch)} run {_clock(left_run)}")

    def step(self, step: int, loss: float, acc: float) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if self.tty:
            if now - self._last >= 0.2 or step == self.steps:
                self.stream.write("\r" + self.line(step, loss, acc))
                self.stream.flush()
                self._last = now
        elif now - self._last >= self.log_every_s:
            self.stream.write(self.line(step, loss, acc) + "\n")
            self.stream.flush()
            self._last = now

    def end_epoch(self, row: dict[str, Any]) -> None:
        if self.quiet:
            return
        shown = ", ".join(f"{k} {v}" for k, v in row.items())
        self.stream.write(("\n" if self.tty else "") + f"done: {shown}\n")
        self.stream.flush()

    def note(self, message: str) -> None:
        if not self.quiet:
            self.stream.write(("\n" if self.tty else "") + message + "\n")
            self.stream.flush()
