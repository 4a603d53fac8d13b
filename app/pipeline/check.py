"""The guided expression check, without Qt: a timed script of asked-for expressions and the
confusion matrix it fills.

The app asks for each expression in turn: a countdown (time to pose), then N seconds in
which every frame's fused prediction of the primary face is counted against the asked-for
label. Time comes from the frames' own timestamps, so a scripted sequence of frames gives
the same counts every run, and a stalled camera pauses nothing it should not. The counts
are the training code's `ConfusionMatrix` (rows = asked-for label), so recall and accuracy
mean the same in the app as in the evaluation reports; the UI only renders them.

The check runs inside the session (`SessionCheck`): it counts every frame the session
processes (also those a busy window never receives), pauses the gestures while it runs, and
its `CheckState` (`app.records`) travels in each `FrameResult` to the window.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from app.atomic import atomic_open
from app.labels import EMOTIONS
from app.metrics import ConfusionMatrix
from app.records import CheckPhase, CheckState, CheckStatus
from app.settings_rules import require


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

    def state(self, status: CheckStatus, run: int = 0) -> CheckState:
        """A frozen snapshot of the check with `status` (what a `FrameResult` carries)."""
        return CheckState(status, self.order, self.seconds, self.countdown_s,
                          tuple(tuple(int(v) for v in row) for row in self._counts),
                          tuple(int(v) for v in self.no_face), run)

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


def check_matrix(state: CheckState) -> ConfusionMatrix:
    """The confusion matrix of a check's state (what the panel, the PNG and the CSV show)."""
    return ConfusionMatrix(np.array(state.counts, dtype=np.int64))


def counts_state(counts) -> CheckState:
    """An idle check's state holding `counts` (a 7 x 7 matrix the panel's canvas draws, e.g.
    a profile's before/after matrices)."""
    idle = CheckStatus(CheckPhase.IDLE, None, 0, len(EMOTIONS), 0.0)
    rows = tuple(tuple(int(v) for v in row) for row in np.asarray(counts, dtype=np.int64))
    return CheckState(idle, EMOTIONS, 0.0, 0.0, rows, (0,) * len(EMOTIONS))


def write_state_csv(state: CheckState, path: str | Path) -> Path:
    return write_check_csv(check_matrix(state), np.array(state.no_face, dtype=np.int64), path)


class SessionCheck:
    """The guided check as the session runs it: the window (any thread) hands a check over
    with `start` or `reset`; the session's thread `step`s it once a frame with the main
    face's prediction, and the state it returns travels in the `FrameResult`. The window
    keeps one of these for its whole life and gives it to every worker it starts, so a
    finished check survives a pause (F5) or a new source, as it always did."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._check: GuidedCheck | None = None
        self._run = 0  # the run of the check in use
        self._runs = 0  # runs handed over so far
        self._pending: tuple[GuidedCheck, bool, int] | None = None  # (check, start, run)

    def start(self, check: GuidedCheck, t: float | None = None) -> CheckState:
        """Use `check`, started at time `t` (None: at the next frame's time), in place of any
        other; returns its first state for the window to show at once."""
        return self._hand_over(check, t, start=True)

    def reset(self, check: GuidedCheck) -> CheckState:
        """Use `check`, idle (the counts cleared); returns its state."""
        return self._hand_over(check, None, start=False)

    def _hand_over(self, check: GuidedCheck, t: float | None, start: bool) -> CheckState:
        with self._lock:  # `check` is not the session's yet: the caller's thread may set it
            self._runs += 1
            status = check.start(t) if start and t is not None else check.reset()
            self._pending = (check, start and t is None, self._runs)
            return check.state(status, self._runs)

    def step(self, pred_index: int | None, t: float) -> CheckState | None:
        """Count one frame (the session's thread); None while no check was ever handed over.
        Under the lock: a stopping worker's last frame may overlap the next worker's first."""
        with self._lock:
            if self._pending is not None:
                (self._check, start_now, self._run), self._pending = self._pending, None
                if start_now:
                    self._check.start(t)
            if self._check is None:
                return None
            return self._check.state(self._check.update(pred_index, t), self._run)
