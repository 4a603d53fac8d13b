"""The guided expression check, without Qt: a timed script of asked-for expressions and the
confusion matrix it fills.

The app asks for each expression in turn: a countdown (time to pose), then N seconds in
which every frame's fused prediction of the primary face is counted against the asked-for
label. Time comes from the frames' own timestamps, so a scripted sequence of frames gives
the same counts every run, and a stalled camera pauses nothing it should not. The UI only
renders `CheckStatus` and `ConfusionMatrix`; all arithmetic lives here.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.labels import EMOTIONS

IDLE, COUNTDOWN, RECORDING, DONE = "idle", "countdown", "recording", "done"


class ConfusionMatrix:
    """Counts of (asked-for label, predicted label); rows are the truth."""

    def __init__(self, labels: Sequence[str] = EMOTIONS) -> None:
        self.labels = tuple(labels)
        self.counts = np.zeros((len(self.labels), len(self.labels)), dtype=np.int64)

    def add(self, true: int, pred: int) -> None:
        n = len(self.labels)
        if not (0 <= true < n and 0 <= pred < n):
            raise ValueError(f"class indices must lie in [0, {n}), got true={true} pred={pred}")
        self.counts[true, pred] += 1

    def reset(self) -> None:
        self.counts[:] = 0

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def row_normalised(self) -> np.ndarray:
        """Each row divided by its sum (rows with no frames stay 0)."""
        rows = self.counts.sum(axis=1, keepdims=True)
        return np.divide(self.counts, rows, out=np.zeros(self.counts.shape), where=rows > 0)

    def recall(self) -> np.ndarray:
        """Per-class recall; NaN for a class that was never asked for (no frames)."""
        rows = self.counts.sum(axis=1)
        diag = np.diag(self.counts).astype(np.float64)
        return np.divide(diag, rows, out=np.full(len(rows), np.nan), where=rows > 0)

    def accuracy(self) -> float:
        """Correct frames over all frames; NaN before any frame was counted."""
        total = self.total
        return float(np.trace(self.counts) / total) if total else math.nan

    def write_csv(self, path: str | Path) -> Path:
        """Counts with a recall column, and an accuracy line, readable by any spreadsheet."""
        path = Path(path)
        recall = self.recall()
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["asked \\ predicted", *self.labels, "frames", "recall"])
            for i, name in enumerate(self.labels):
                r = "" if math.isnan(recall[i]) else f"{recall[i]:.4f}"
                writer.writerow([name, *map(int, self.counts[i]), int(self.counts[i].sum()), r])
            acc = self.accuracy()
            writer.writerow(["accuracy", "" if math.isnan(acc) else f"{acc:.4f}"])
        return path


@dataclass(frozen=True)
class CheckStatus:
    """Where the check stands: `phase` is idle, countdown, recording or done; `target` the
    asked-for label; `step` its position (0-based) of `total`; `remaining_s` the seconds
    left in the current phase."""

    phase: str
    target: str | None
    step: int
    total: int
    remaining_s: float


class GuidedCheck:
    """Asks for each label of `order` for `countdown_s` + `seconds`, counting predictions."""

    def __init__(self, seconds: float = 4.0, countdown_s: float = 2.0,
                 order: Sequence[str] = EMOTIONS) -> None:
        if seconds <= 0:
            raise ValueError(f"ui.check_seconds must be > 0, got {seconds}")
        if countdown_s < 0:
            raise ValueError(f"ui.check_countdown_s must be >= 0, got {countdown_s}")
        unknown = [o for o in order if o not in EMOTIONS]
        if unknown or not order:
            raise ValueError(f"check order must be labels from {EMOTIONS}, got {list(order)}")
        self.seconds = float(seconds)
        self.countdown_s = float(countdown_s)
        self.order = tuple(order)
        self.matrix = ConfusionMatrix()
        self.no_face = np.zeros(len(EMOTIONS), dtype=np.int64)  # frames without a prediction
        self._t0: float | None = None
        self._last = CheckStatus(IDLE, None, 0, len(self.order), 0.0)

    @property
    def running(self) -> bool:
        return self._last.phase in (COUNTDOWN, RECORDING)

    def start(self, t: float) -> CheckStatus:
        """Clear the counts and begin with the first expression at time `t` (also: repeat)."""
        self.matrix.reset()
        self.no_face[:] = 0
        self._t0 = t
        return self.status(t)

    def reset(self) -> CheckStatus:
        """Clear the counts and stop."""
        self.matrix.reset()
        self.no_face[:] = 0
        self._t0 = None
        self._last = CheckStatus(IDLE, None, 0, len(self.order), 0.0)
        return self._last

    def status(self, t: float) -> CheckStatus:
        """The phase at time `t` (does not count anything)."""
        if self._t0 is None:
            if self._last.phase == DONE:
                return self._last
            return CheckStatus(IDLE, None, 0, len(self.order), 0.0)
        period = self.countdown_s + self.seconds
        elapsed = max(0.0, t - self._t0)
        step = int(elapsed // period)
        if step >= len(self.order):
            self._t0 = None
            self._last = CheckStatus(DONE, None, len(self.order), len(self.order), 0.0)
            return self._last
        within = elapsed - step * period
        target = self.order[step]
        if within < self.countdown_s:
            status = CheckStatus(COUNTDOWN, target, step, len(self.order),
                                 self.countdown_s - within)
        else:
            status = CheckStatus(RECORDING, target, step, len(self.order), period - within)
        self._last = status
        return status

    def update(self, pred_index: int | None, t: float) -> CheckStatus:
        """Advance to time `t`; while recording, count the frame's prediction (None = no
        face or no prediction, counted apart so it does not distort the recall)."""
        status = self.status(t)
        if status.phase == RECORDING and status.target is not None:
            true = EMOTIONS.index(status.target)
            if pred_index is None:
                self.no_face[true] += 1
            else:
                self.matrix.add(true, int(pred_index))
        return status
