"""The allowed range of every setting, checked once where settings are loaded.

A value of the right type can still be one the app cannot use (`ui.check_seconds = 0`
divides by zero, `model.device = "tpu"` reaches torch's raw error, `music.volume = 9999`
switched music off silently). `app.config` runs `check_value` on each loaded value; a value
outside its rule falls back to the default with a message naming the key, the value and
the range, exactly as a wrong type does. The tables live here, not in the subsystems, so
the config layer needs no torch, Qt or VLC; tests check they agree with the subsystems'
own lists (gesture actions, fusion rules, optimisation levels, themes).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

EMOTION_NAMES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
MEMBER_NAMES = ("cnn1", "cnn2")
GESTURE_ACTION_NAMES = ("play_pause", "next", "previous", "volume_up", "volume_down", "lock")
FUSION_RULES = ("product", "sum")
OPTIMIZE_LEVELS = ("none", "fold", "freeze", "int8", "full", "static")
THEME_NAMES = ("light", "dark", "high-contrast")
MUSIC_MODES = ("match", "lift")
FACE_GESTURE_NAMES = ("mouth_open", "smile", "smile_left", "smile_right", "brows_up",
                      "brow_left_up", "brow_right_up", "brows_down", "pucker",
                      "roll_lower_lip", "blink", "blink_left", "blink_right")
_DEVICE = re.compile(r"^(auto|cpu|cuda(:\d+)?|mps)$")


@dataclass(frozen=True)
class Range:
    """low <= value <= high (low excluded when `open_low`)."""

    low: float
    high: float
    open_low: bool = False

    def ok(self, value: Any) -> bool:
        if isinstance(value, float) and not math.isfinite(value):
            return False
        above = value > self.low if self.open_low else value >= self.low
        return above and value <= self.high

    def text(self) -> str:
        return f"{'(' if self.open_low else '['}{self.low:g}, {self.high:g}]"


@dataclass(frozen=True)
class OneOf:
    choices: tuple[str, ...]

    def ok(self, value: Any) -> bool:
        return value in self.choices

    def text(self) -> str:
        return "one of " + ", ".join(self.choices)


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern
    what: str

    def ok(self, value: Any) -> bool:
        return bool(self.regex.match(value))

    def text(self) -> str:
        return self.what


@dataclass(frozen=True)
class SubsetOf:
    """A non-empty list of distinct names from `choices`."""

    choices: tuple[str, ...]

    def ok(self, value: Any) -> bool:
        return bool(value) and len(set(value)) == len(value) and set(value) <= set(self.choices)

    def text(self) -> str:
        return "a non-empty list of distinct names from " + ", ".join(self.choices)


@dataclass(frozen=True)
class MapOf:
    """A table whose keys come from `keys` and values from `values`."""

    keys: tuple[str, ...]
    values: tuple[str, ...]

    def ok(self, value: Any) -> bool:
        return all(k in self.keys and v in self.values for k, v in value.items())

    def text(self) -> str:
        return (f"a table from ({', '.join(self.keys)}) to ({', '.join(self.values)})")


@dataclass(frozen=True)
class NumbersOf:
    """A table from `keys` to numbers within `range` (per-gesture thresholds, holds)."""

    keys: tuple[str, ...]
    range: Range

    def ok(self, value: Any) -> bool:
        return all(k in self.keys and isinstance(v, float) and self.range.ok(v)
                   for k, v in value.items())

    def text(self) -> str:
        return f"a table from ({', '.join(self.keys)}) to numbers in {self.range.text()}"


Rule = Range | OneOf | Pattern | SubsetOf | MapOf | NumbersOf

RULES: dict[str, Rule] = {
    "capture.source": Pattern(re.compile(r"^\s*\S"), "a camera index, video file or folder"),
    "capture.width": Range(16, 7680),
    "capture.height": Range(16, 4320),
    "model.members": SubsetOf(MEMBER_NAMES),
    "model.fusion": OneOf(FUSION_RULES),
    "model.device": Pattern(_DEVICE, "auto, cpu, cuda, cuda:N or mps"),
    "model.threads": Range(1, 64),
    "model.optimize": OneOf(OPTIMIZE_LEVELS),
    "model.detect_every": Range(1, 30),
    "model.detector": OneOf(("opencv", "mediapipe")),
    "model.crop_margin": Range(0.0, 0.5),
    "model.min_face_px": Range(0, 2000),
    "model.detect_score": Range(0.0, 1.0, open_low=True),
    "model.max_faces": Range(1, 32),
    "smoothing.ema_alpha": Range(0.0, 1.0, open_low=True),
    "smoothing.dwell_s": Range(0.0, 60.0),
    "smoothing.enter_threshold": Range(0.0, 1.0),
    "smoothing.hysteresis": Range(0.0, 0.95),
    "smoothing.face_lost_s": Range(0.0, 60.0),
    "music.mode": OneOf(MUSIC_MODES),
    "music.lift_map": MapOf(EMOTION_NAMES, EMOTION_NAMES),
    "music.min_confidence": Range(0.0, 1.0),
    "music.dwell_s": Range(0.0, 600.0),
    "music.cooldown_s": Range(0.0, 3600.0),
    "music.volume": Range(0, 100),
    "music.ramp_s": Range(0.0, 30.0),
    "gestures.threshold": Range(0.0, 1.0, open_low=True),
    "gestures.hold_s": Range(0.1, 30.0),
    "gestures.refractory_s": Range(0.0, 60.0),
    "gestures.mapping": MapOf(EMOTION_NAMES, GESTURE_ACTION_NAMES),
    "gestures.release_margin": Range(0.0, 1.0),
    "gestures.gap_s": Range(0.0, 10.0),
    "face_gestures.mapping": MapOf(FACE_GESTURE_NAMES, GESTURE_ACTION_NAMES),
    "face_gestures.thresholds": NumbersOf(FACE_GESTURE_NAMES, Range(0.0, 1.0, open_low=True)),
    "face_gestures.holds": NumbersOf(FACE_GESTURE_NAMES, Range(0.1, 30.0)),
    "face_gestures.cooldowns": NumbersOf(FACE_GESTURE_NAMES, Range(0.0, 60.0)),
    "face_gestures.hold_s": Range(0.1, 30.0),
    "face_gestures.cooldown_s": Range(0.0, 60.0),
    "face_gestures.blink_min_s": Range(0.0, 5.0),
    "ui.theme": OneOf(THEME_NAMES),
    "ui.check_seconds": Range(0.5, 600.0),
    "ui.check_countdown_s": Range(0.0, 60.0),
    "booth.pin": Pattern(re.compile(r"^(\d{4,12})?$"), "empty or 4 to 12 digits"),
    "booth.visitor_gone_s": Range(1.0, 600.0),
    "booth.attract_after_s": Range(1.0, 3600.0),
    "booth.watchdog_stall_s": Range(2.0, 600.0),
}


def check_value(key: str, value: Any) -> str | None:
    """None when `value` is allowed for `key` (or `key` has no rule), else the range text."""
    rule = RULES.get(key)
    if rule is None or rule.ok(value):
        return None
    return rule.text()
