"""The guided expression check, without Qt: a timed script of asked-for expressions and the
confusion matrix it fills.

The app asks for each expression in turn: a countdown (time to pose), then N seconds in
which every frame's fused prediction of the primary face is counted against the asked-for
label. Time comes from the frames' own timestamps, so a scripted sequence of frames gives
the same counts every run, and a stalled camera pauses nothing it should not. The counts
are the training code's `ConfusionMatrix` (rows = asked-for label), so recall and accuracy
mean the same in the app as in the evaluation reports; the UI only renders them.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np

from app.atomic import atomic_open
from app.labels import EMOTIONS
from app.metrics import ConfusionMatrix
from app.settings_rules import require


class CheckPhase(StrEnum):
    """Where the guided check stands (a str, so it reads and logs as its name)."""

    IDLE = "idle"
    COUNTDOWN = "countdown"
    RECORDING = "recording"
    DONE = "done"


def write_check_csv(matrix: ConfusionMatrix, no_face: np.ndarray, path: str | Path) -> Path:
    """Counts with frames and recall columns (empty for a class never asked for), the frames
    without a face or prediction, and the accuracy; readable by any spreadsheet."""
    path = Path(path)
    recall, present = matrix.recall(), matrix.present
    with atomic_open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["asked \\ predicted", *matrix.labels, "frames", "recall",
                         "no face or prediction"])
        for i, name in enumerate(matrix.labels):
            row = matrix.counts[i]
            writer.writerow([name, *map(int, row), int(row.sum()),
                             f"{recall[i]:.4f}" if present[i] else "", int(no_face[i])])
        writer.writerow(["accuracy", f"{matrix.accuracy():.4f}" if matrix.n else ""])
    return path


@dataclass(frozen=True)
class CheckStatus:
    """Where the check stands: `phase` is idle, countdown, recording or done; `target` the
    asked-for label; `step` its position (0-based) of `total`; `remaining_s` the seconds
    left in the current phase."""

    phase: CheckPhase
    target: str | None
    step: int
    total: int
    remaining_s: float


class GuidedCheck:
    """Asks for each label of `order` for `countdown_s` + `seconds`, counting predictions."""

    def __init__(self, seconds: float = 4.0, countdown_s: float = 2.0,
                 order: Sequence[str] = EMOTIONS) -> None:
        require("ui.check_seconds", seconds)  # the settings' own rule (app.settings_rules)
        require("ui.check_countdown_s", countdown_s)
        unknown = [o for o in order if o not in EMOTIONS]
        if unknown or not order:
            raise ValueError(f"check order must be labels from {EMOTIONS}, got {list(order)}")
        self.seconds = float(seconds)
        self.countdown_s = float(countdown_s)
        self.order = tuple(order)
        self._counts = np.zeros((len(EMOTIONS), len(EMOTIONS)), dtype=np.int64)
        self.no_face = np.zeros(len(EMOTIONS), dtype=np.int64)  # frames without a prediction
        self._t0: float | None = None
        self._last = CheckStatus(CheckPhase.IDLE, None, 0, len(self.order), 0.0)

    @property
    def matrix(self) -> ConfusionMatrix:
        """The counts so far (a snapshot: later frames do not change it)."""
        return ConfusionMatrix(self._counts.copy())

    @property
    def frames(self) -> int:
        return int(self._counts.sum())

    def write_csv(self, path: str | Path) -> Path:
        return write_check_csv(self.matrix, self.no_face, path)

    @property
    def running(self) -> bool:
        return self._last.phase in (CheckPhase.COUNTDOWN, CheckPhase.RECORDING)

    def start(self, t: float) -> CheckStatus:
        """Clear the counts and begin with the first expression at time `t` (also: repeat)."""
        self._counts[:] = 0
        self.no_face[:] = 0
        self._t0 = t
        return self.status(t)

    def reset(self) -> CheckStatus:
        """Clear the counts and stop."""
        self._counts[:] = 0
        self.no_face[:] = 0
        self._t0 = None
        self._last = CheckStatus(CheckPhase.IDLE, None, 0, len(self.order), 0.0)
        return self._last

    def status(self, t: float) -> CheckStatus:
        """The phase at time `t` (does not count anything)."""
        if self._t0 is None:
            if self._last.phase == CheckPhase.DONE:
                return self._last
            return CheckStatus(CheckPhase.IDLE, None, 0, len(self.order), 0.0)
        period = self.countdown_s + self.seconds
        elapsed = max(0.0, t - self._t0)
        step = int(elapsed // period)
        if step >= len(self.order):
            self._t0 = None
            self._last = CheckStatus(CheckPhase.DONE, None, len(self.order), len(self.order), 0.0)
            return self._last
        within = elapsed - step * period
        target = self.order[step]
        if within < self.countdown_s:
            status = CheckStatus(CheckPhase.COUNTDOWN, target, step, len(self.order),
                                 self.countdown_s - within)
        else:
            status = CheckStatus(CheckPhase.RECORDING, target, step, len(self.order),
                                 period - within)
        self._last = status
        return status

    def update(self, pred_index: int | None, t: float) -> CheckStatus:
        """Advance to time `t`; while recording, count the frame's prediction (None = no
        face or no prediction, counted apart so it does not distort the recall)."""
        status = self.status(t)
        if status.phase == CheckPhase.RECORDING and status.target is not None:
            true = EMOTIONS.index(status.target)
            if pred_index is None:
                self.no_face[true] += 1
            else:
                if not 0 <= pred_index < len(EMOTIONS):
                    raise ValueError(f"predicted class {pred_index} is not one of "
                                     f"0..{len(EMOTIONS) - 1}")
                self._counts[true, int(pred_index)] += 1
        return status
