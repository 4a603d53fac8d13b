"""The one allowed range of every setting, read by the loader, the dialog and the components.

A value of the right type can still be one the app cannot use (`ui.check_seconds = 0`
divides by zero, `model.device = "tpu"` reaches torch's raw error, `music.volume = 9999`
switched music off silently). `app.config` runs `check_value` on each loaded value; a value
outside its rule falls back to the default with a message naming the key, the value and
the range, exactly as a wrong type does. The components (smoother, gestures, policy, guided
check, a profile's gestures) refuse the same values with `check_section`/`require`, and the
Settings dialog takes its spin-box limits from `bounds`, so the three never disagree.

Name lists come from where they are defined (`labels.EMOTIONS`, `records.GESTURE_ACTIONS`,
`model.fusion.RULES`). The music modes and the theme names are defined here because their
users sit above the config layer (`music.policy` imports `app.config`; `ui.theme` is Qt);
those modules import them from here. `OPTIMIZE_LEVELS` is the one copy: its home,
`app.model.optimize`, imports torch, which settings must not (a test keeps them equal).
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from typing import Any

from app.labels import EMOTIONS
from app.model import fusion
from app.records import FACE_GESTURE_NAMES, GESTURE_ACTIONS

MEMBER_NAMES = ("cnn1", "cnn2")
OPTIMIZE_LEVELS = ("none", "fold", "freeze", "int8", "full", "static")
THEME_NAMES = ("light", "dark", "high-contrast")
MUSIC_MODES = ("match", "lift")
MUSIC_BACKENDS = ("builtin", "external")
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
        return all(k in self.keys and isinstance(v, int | float) and not isinstance(v, bool)
                   and self.range.ok(v) for k, v in value.items())

    def text(self) -> str:
        return f"a table from ({', '.join(self.keys)}) to numbers in {self.range.text()}"


@dataclass(frozen=True)
class NamesFor:
    """A table from names in `keys` to any non-empty text (a player's playlist names)."""

    keys: tuple[str, ...]

    def ok(self, value: Any) -> bool:
        return all(k in self.keys and isinstance(v, str) and v.strip()
                   for k, v in value.items())

    def text(self) -> str:
        return f"a table from ({', '.join(self.keys)}) to non-empty names"


Rule = Range | OneOf | Pattern | SubsetOf | MapOf | NumbersOf | NamesFor

RULES: dict[str, Rule] = {
    "capture.source": Pattern(re.compile(r"^\s*\S"), "a camera index, video file or folder"),
    "capture.width": Range(16, 7680),
    "capture.height": Range(16, 4320),
    "capture.image_seconds": Range(0.05, 60.0),
    "model.members": SubsetOf(MEMBER_NAMES),
    "model.fusion": OneOf(fusion.RULES),
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
    "smoothing.neutral_cap": Range(0.0, 12.0),
    "music.mode": OneOf(MUSIC_MODES),
    "music.lift_map": MapOf(EMOTIONS, EMOTIONS),
    "music.min_confidence": Range(0.0, 1.0),
    "music.dwell_s": Range(0.0, 600.0),
    "music.cooldown_s": Range(0.0, 3600.0),
    "music.volume": Range(0, 100),
    "music.ramp_s": Range(0.0, 30.0),
    "music.backend": OneOf(MUSIC_BACKENDS),
    "music.playlists": NamesFor(EMOTIONS),
    "gestures.threshold": Range(0.0, 1.0, open_low=True),
    "gestures.hold_s": Range(0.1, 30.0),
    "gestures.refractory_s": Range(0.0, 60.0),
    "gestures.mapping": MapOf(EMOTIONS, GESTURE_ACTIONS),
    "gestures.release_margin": Range(0.0, 1.0),
    "gestures.gap_s": Range(0.0, 10.0),
    "face_gestures.mapping": MapOf(FACE_GESTURE_NAMES, GESTURE_ACTIONS),
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


def require(key: str, value: Any) -> None:
    """Raise ValueError naming the key, the value and the allowed range when `value` is
    outside `key`'s rule (the components' check: the same words as the loader's message)."""
    allowed = check_value(key, value)
    if allowed is not None:
        raise ValueError(f"{key} = {value!r} is out of range (allowed: {allowed})")


def check_section(section: str, cfg: Any) -> None:
    """`require` for every field of one settings section (a dataclass of `app.config`)."""
    for f in dataclasses.fields(cfg):
        require(f"{section}.{f.name}", getattr(cfg, f.name))


def bounds(key: str, decimals: int = 2) -> tuple[float, float]:
    """The (low, high) a spin box may offer for a numeric `key`: the rule's range, an open
    low end raised by one step of the box's precision."""
    rule = RULES[key]
    if not isinstance(rule, Range):
        raise TypeError(f"{key} has no numeric range")
    low = rule.low + 10.0 ** -decimals if rule.open_low else rule.low
    return low, rule.high
