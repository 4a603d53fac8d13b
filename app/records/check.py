"""The guided check's records, stepped by the session (pipeline/check.py), painted by the UI."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.labels import NUM_CLASSES


class CheckPhase(StrEnum):
    """Where the guided check stands (a str, so it reads and logs as its name)."""

    IDLE = "idle"
    COUNTDOWN = "countdown"
    RECORDING = "recording"
    DONE = "done"


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


@dataclass(frozen=True)
class CheckState:
    """The guided check as of one frame: its `status`, the asked-for `order` and timing,
    the counts (rows = asked-for label, columns = predicted, in `EMOTIONS` order), the
    frames without a face or prediction per asked-for label, and `run`, which numbers the
    checks handed to the session (a result of an earlier run is stale). Tuples, so two
    states compare equal exactly when every figure is the same."""

    status: CheckStatus
    order: tuple[str, ...]
    seconds: float
    countdown_s: float
    counts: tuple[tuple[int, ...], ...]
    no_face: tuple[int, ...]
    run: int = 0

    def __post_init__(self) -> None:
        if len(self.counts) != NUM_CLASSES or any(len(r) != NUM_CLASSES for r in self.counts) \
                or len(self.no_face) != NUM_CLASSES:
            raise ValueError(f"check counts must be {NUM_CLASSES} x {NUM_CLASSES} and no_face "
                             f"{NUM_CLASSES} long")

    @property
    def running(self) -> bool:
        return self.status.phase in (CheckPhase.COUNTDOWN, CheckPhase.RECORDING)

    @property
    def frames(self) -> int:
        return sum(map(sum, self.counts))
