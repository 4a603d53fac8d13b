"""Gesture records: the actions a gesture may trigger, the face-gesture names, one fired
gesture (`GestureEvent`) and a hold in progress (`HoldProgress`)."""

from __future__ import annotations

from dataclasses import dataclass

from app.labels import EMOTIONS

# Actions a gesture may be mapped to; the music controller executes them.
GESTURE_ACTIONS: tuple[str, ...] = (
    "next", "previous", "play_pause", "lock", "volume_up", "volume_down")


# Face gestures (music/face_gestures.py): names used in settings, profiles and scripts.
FACE_GESTURE_NAMES: tuple[str, ...] = (
    "mouth_open", "smile", "smile_left", "smile_right", "brows_up", "brow_left_up",
    "brow_right_up", "brows_down", "pucker", "roll_lower_lip", "blink", "blink_left",
    "blink_right")
# A face gesture measured but bound to nothing (bench-control's requested gestures): the
# session records it and never hands it to the music.
MARK_ACTION = "mark"
GESTURE_KINDS: tuple[str, ...] = ("expression", "face")


@dataclass(frozen=True)
class GestureEvent:
    """A fired gesture: the mapped `action`, what was held (`emotion`: an expression, or a
    face-gesture name when `kind` is "face") and the time `t` it fired."""

    action: str
    emotion: str
    t: float
    held_s: float = 0.0
    kind: str = "expression"

    def __post_init__(self) -> None:
        if self.kind not in GESTURE_KINDS:
            raise ValueError(f"unknown gesture kind {self.kind!r}; expected one of "
                             f"{GESTURE_KINDS}")
        allowed = GESTURE_ACTIONS + ((MARK_ACTION,) if self.kind == "face" else ())
        if self.action not in allowed:
            raise ValueError(f"unknown gesture action {self.action!r}; "
                             f"expected one of {allowed}")
        names = EMOTIONS if self.kind == "expression" else FACE_GESTURE_NAMES
        if self.emotion not in names:
            raise ValueError(f"unknown {self.kind} gesture {self.emotion!r}; "
                             f"expected one of {names}")

    @property
    def reason(self) -> str:
        return f"gesture: held {self.emotion} {self.held_s:.1f} s -> {self.action}"


HOLD_STATES: tuple[str, ...] = ("armed", "fired", "cancelled")


@dataclass(frozen=True)
class HoldProgress:
    """The face gesture being held, for the overlay: `fraction` of its hold time done;
    `state` armed (filling), fired (done, shown briefly) or cancelled (let go early)."""

    gesture: str
    fraction: float
    state: str
    action: str = ""

    def __post_init__(self) -> None:
        if self.gesture not in FACE_GESTURE_NAMES:
            raise ValueError(f"unknown face gesture {self.gesture!r}")
        if self.state not in HOLD_STATES:
            raise ValueError(f"hold state must be one of {HOLD_STATES}, got {self.state!r}")
        if not 0.0 <= self.fraction <= 1.0:
            raise ValueError(f"hold fraction must lie in [0, 1], got {self.fraction}")
