"""Face gestures: a blendshape held above its threshold for its hold time (pure, no Qt).

Expression gestures (music/gestures.py) ride on seven-way recognition, which is unreliable
on people the weights never saw. Face gestures read MediaPipe's blendshapes instead, as
Project Gameface and FaceCommander do: each gesture in `GESTURES` is a score computed from
the 52 blendshapes (one-sided gestures subtract the other side, so a symmetric smile is not
a left smile and an ordinary blink is not a wink). Every score is read relative to the
person's neutral face, because resting values differ a lot between people (browInnerUp
0.2-0.9 on neutral faces): the neutral comes from a calibration (`neutral=`) or, without
one, from a running floor that follows the score down at once and up only slowly
(`FLOOR_RISE_PER_S`), so a held gesture stands out while a resting face settles to 0.

A gesture is *held* while its rise above neutral is at least its threshold and none of its
rivals (`RIVALS`: movements that drag it along, e.g. a broad smile opens the jaw a little)
is further above its own; unrelated gestures (brows and mouth) may be held together. It
fires once after its hold time; then it is latched until its rise falls below `RELEASE` x
threshold, and cannot fire again within its cooldown. Blinks must last `blink_min_s` at
least (involuntary blinks last 0.1-0.3 s). Only watched gestures (bound to an action, or
requested by a bench script) take part. `hold` describes the hold in progress for the
overlay: armed, fired, cancelled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from app.config import FaceGestureConfig
from app.records import (
    BLENDSHAPE_NAMES,
    FACE_GESTURE_NAMES,
    MARK_ACTION,
    GestureEvent,
    HoldProgress,
)
from app.settings_rules import check_section

FLOOR_RISE_PER_S = 0.02  # how fast an uncalibrated neutral creeps up towards the score
RELEASE = 0.5  # a fired gesture re-arms once its rise falls below this share of threshold
GAP_S = 0.15  # a dip this short (a dropped frame) does not restart a hold
SHOW_S = 0.6  # how long "fired" / "cancelled" stays on the overlay
MIN_CANCEL_S = 0.15  # a hold shorter than this was noise, not a cancelled try
EPS_S = 1e-6  # frame times are sums of 1/fps: 3.8 - 3.2 must count as the 0.6 s hold
FACE_LOST_S = 1.0  # no face this long: forget the uncalibrated neutral (maybe a new person)

_IDX = {n: i for i, n in enumerate(BLENDSHAPE_NAMES)}


def _b(name: str) -> Callable[[np.ndarray], float]:
    i = _IDX[name]
    return lambda s: float(s[i])


def _mean(*names: str) -> Callable[[np.ndarray], float]:
    idx = [_IDX[n] for n in names]
    return lambda s: float(np.mean(s[idx]))


def _minus(a: str, b: str) -> Callable[[np.ndarray], float]:
    i, j = _IDX[a], _IDX[b]
    return lambda s: max(0.0, float(s[i] - s[j]))


@dataclass(frozen=True)
class GestureSpec:
    """One face gesture: its score from the blendshapes and its default threshold (the
    rise above neutral needed); `blink` ones obey the involuntary-blink filter."""

    name: str
    score: Callable[[np.ndarray], float]
    threshold: float
    what: str
    blink: bool = False


# "Left"/"right" are MediaPipe's blendshape sides: the subject's own (docs/GESTURES.md).
GESTURES: dict[str, GestureSpec] = {g.name: g for g in (
    GestureSpec("mouth_open", _b("jawOpen"), 0.25, "open the mouth wide"),
    GestureSpec("smile", _mean("mouthSmileLeft", "mouthSmileRight"), 0.3, "smile broadly"),
    GestureSpec("smile_left", _minus("mouthSmileLeft", "mouthSmileRight"), 0.25,
                "smile with the left corner of the mouth only"),
    GestureSpec("smile_right", _minus("mouthSmileRight", "mouthSmileLeft"), 0.25,
                "smile with the right corner of the mouth only"),
    GestureSpec("brows_up", _mean("browInnerUp", "browOuterUpLeft", "browOuterUpRight"), 0.25,
                "raise both eyebrows"),
    GestureSpec("brow_left_up", _minus("browOuterUpLeft", "browOuterUpRight"), 0.2,
                "raise the left eyebrow only"),
    GestureSpec("brow_right_up", _minus("browOuterUpRight", "browOuterUpLeft"), 0.2,
                "raise the right eyebrow only"),
    GestureSpec("brows_down", _mean("browDownLeft", "browDownRight"), 0.25, "frown: brows down"),
    GestureSpec("pucker", _b("mouthPucker"), 0.35, "pucker the lips (a kiss)"),
    GestureSpec("roll_lower_lip", _b("mouthRollLower"), 0.3, "roll the lower lip in"),
    GestureSpec("blink", lambda s: float(min(s[_IDX["eyeBlinkLeft"]], s[_IDX["eyeBlinkRight"]])),
                0.4, "close both eyes (longer than a blink)", blink=True),
    GestureSpec("blink_left", _minus("eyeBlinkLeft", "eyeBlinkRight"), 0.35,
                "close the left eye only (a wink)", blink=True),
    GestureSpec("blink_right", _minus("eyeBlinkRight", "eyeBlinkLeft"), 0.35,
                "close the right eye only (a wink)", blink=True),
)}
assert tuple(GESTURES) == FACE_GESTURE_NAMES

# Movements that drag each other along (cross-talk): while a rival is further above its own
# threshold, a gesture does not count as held. A broad smile opens the jaw a little; a
# one-sided smile is part of a smile; a blink closes both eyes.
_PAIRS = (("smile", "mouth_open"), ("smile", "smile_left"), ("smile", "smile_right"),
          ("smile_left", "smile_right"), ("brows_up", "brow_left_up"),
          ("brows_up", "brow_right_up"), ("brow_left_up", "brow_right_up"),
          ("brows_up", "brows_down"), ("blink", "blink_left"), ("blink", "blink_right"),
          ("blink_left", "blink_right"), ("pucker", "mouth_open"),
          ("pucker", "roll_lower_lip"))
RIVALS: dict[str, tuple[str, ...]] = {
    n: tuple(b if a == n else a for a, b in _PAIRS if n in (a, b)) for n in GESTURES}


def gesture_scores(blendshapes: np.ndarray) -> dict[str, float]:
    """Every face gesture's raw score for one face's 52 blendshapes."""
    s = np.asarray(blendshapes, dtype=np.float64)
    if s.shape != (len(BLENDSHAPE_NAMES),):
        raise ValueError(f"blendshapes must have shape ({len(BLENDSHAPE_NAMES)},), got {s.shape}")
    return {name: spec.score(s) for name, spec in GESTURES.items()}


def check_face_gesture_config(cfg: FaceGestureConfig) -> None:
    """ValueError naming the setting when a face-gesture value is outside its rule (the
    one table, `app.settings_rules`, that the settings loader also applies)."""
    check_section("face_gestures", cfg)


class FaceGestureDetector:
    """Blendshapes per frame -> `GestureEvent`s (kind "face"); see the module docstring.

    `extra` names gestures to watch although unbound (they fire the no-op `MARK_ACTION`);
    `neutral` and `thresholds` (a profile's calibration) override the running floor and the
    settings' thresholds per gesture."""

    def __init__(self, cfg: FaceGestureConfig | None = None, extra: tuple[str, ...] = (),
                 neutral: Mapping[str, float] | None = None,
                 thresholds: Mapping[str, float] | None = None) -> None:
        self.cfg = cfg or FaceGestureConfig()
        check_face_gesture_config(self.cfg)
        unknown = [n for n in (*extra, *(neutral or {}), *(thresholds or {})) if n not in GESTURES]
        if unknown:
            raise ValueError(f"unknown face gesture(s) {unknown}; use {', '.join(GESTURES)}")
        self.actions = {n: MARK_ACTION for n in extra}
        self.actions.update(self.cfg.mapping)
        self.thresholds = {n: GESTURES[n].threshold for n in GESTURES}
        self.thresholds.update(self.cfg.thresholds)
        self.thresholds.update(thresholds or {})
        self.fixed_neutral = dict(neutral or {})
        self.holds = {n: self.cfg.holds.get(n, self.cfg.hold_s) for n in GESTURES}
        for n, spec in GESTURES.items():
            if spec.blink:
                self.holds[n] = max(self.holds[n], self.cfg.blink_min_s)
        self.cooldowns = {n: self.cfg.cooldowns.get(n, self.cfg.cooldown_s) for n in GESTURES}
        self.reset()

    def reset(self) -> None:
        """Forget holds, latches, cooldowns and the running neutral (a new source)."""
        self._floor: dict[str, float] = {}
        self._last_t: float | None = None
        self._last_face_t: float | None = None
        self._since: dict[str, float] = {}  # gesture -> start of its hold in progress
        self._last_ok: dict[str, float] = {}
        self._latched: set[str] = set()
        self._fired_at: dict[str, float] = {}
        self._shown: tuple[HoldProgress, float] | None = None
        self.levels: dict[str, tuple[float, float]] = {}  # name -> (rise, threshold)
        self.hold: HoldProgress | None = None

    def neutral(self, name: str) -> float | None:
        return self.fixed_neutral.get(name, self._floor.get(name))

    def _rises(self, blendshapes: np.ndarray, t: float) -> dict[str, float]:
        scores = gesture_scores(blendshapes)
        dt = 0.0 if self._last_t is None else max(0.0, t - self._last_t)
        self._last_t = t
        rises = {}
        for name, value in scores.items():
            if name in self.fixed_neutral:
                base = self.fixed_neutral[name]
            else:
                prev = self._floor.get(name, value)
                base = min(value, prev + FLOOR_RISE_PER_S * dt)
                self._floor[name] = base
            rises[name] = max(0.0, value - base)
        return rises

    def update(self, blendshapes: np.ndarray | None, t: float) -> GestureEvent | None:
        """Feed the main face's blendshapes (None: no face) at time `t` seconds. (With
        `face_gestures.enabled` off no landmarker runs, so none ever arrive.)"""
        if blendshapes is None:
            if self._last_face_t is not None and t - self._last_face_t > FACE_LOST_S:
                self._floor.clear()
                self._last_t = None
            for name in list(self._since):
                self._end_hold(name, t)
            self._latched.clear()
            self.levels = {}
            self.hold = self._showing(t)
            return None
        self._last_face_t = t
        rises = self._rises(blendshapes, t)
        self.levels = {n: (rises[n], self.thresholds[n]) for n in GESTURES}
        self._latched = {n for n in self._latched if rises[n] >= RELEASE * self.thresholds[n]}
        margin = {n: rises[n] / self.thresholds[n] for n in GESTURES}
        event = None
        for name in self.actions:
            beaten = any(margin[r] > margin[name] for r in RIVALS.get(name, ()))
            if margin[name] >= 1.0 and not beaten and name not in self._latched:
                if name not in self._since or t - self._last_ok[name] > GAP_S:
                    self._since[name] = t
                self._last_ok[name] = t
            elif name in self._since and t - self._last_ok[name] > GAP_S:
                self._end_hold(name, t)
            since = self._since.get(name)
            if event is None and since is not None and self._last_ok[name] == t \
                    and t - since >= self.holds[name] - EPS_S:
                last = self._fired_at.get(name)
                if last is None or t - last >= self.cooldowns[name] - EPS_S:
                    event = GestureEvent(self.actions[name], name, t, t - since, kind="face")
                    self._fired_at[name] = t
                    self._latched.add(name)
                    del self._since[name]
                    self._shown = (HoldProgress(name, 1.0, "fired", self.actions[name]), t)
        self.hold = self._progress(t) or self._showing(t)
        return event

    def _progress(self, t: float) -> HoldProgress | None:
        """The hold in progress furthest along (the overlay shows one bar)."""
        best = None
        for name, since in self._since.items():
            frac = min(1.0, (t - since) / max(self.holds[name], 1e-6))
            if best is None or frac > best.fraction:
                best = HoldProgress(name, frac, "armed", self.actions[name])
        return best

    def _end_hold(self, name: str, t: float) -> None:
        """A hold let go before it fired: shown cancelled for a moment (unless it was noise)."""
        since = self._since.pop(name)
        held = self._last_ok[name] - since
        if held >= MIN_CANCEL_S:
            frac = min(1.0, held / max(self.holds[name], 1e-6))
            self._shown = (HoldProgress(name, frac, "cancelled", self.actions[name]), t)

    def _showing(self, t: float) -> HoldProgress | None:
        if self._shown is not None and t - self._shown[1] <= SHOW_S:
            return self._shown[0]
        return None


__all__ = ["GESTURES", "RIVALS", "FaceGestureDetector", "GestureSpec", "check_face_gesture_config",
           "gesture_scores"]
