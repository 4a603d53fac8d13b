"""Guided face-gesture calibration: thresholds from the user's own neutral face and tries.

The user holds a neutral face for a few seconds, then makes each chosen gesture as strongly
as they comfortably can. Per gesture (music/face_gestures.GESTURES scores):

- the *neutral* level is the median score over the neutral frames, its *spread* the 95th
  percentile's rise above that median (how much a resting face wobbles);
- the *peak* is the 75th percentile of the rise during that gesture's try (the strong part
  of the try, not its single best frame);
- a try whose peak does not clear the spread clearly (`MIN_PEAK_RISE`, and twice the
  spread plus `MIN_MARGIN`) is refused: the user did not make that gesture (or the camera
  could not see it), and a threshold inside the neutral wobble would fire on its own;
- the threshold lies between spread and peak (`SHARE` of the way up), so the deliberate
  movement clears it and the resting face does not.

Cross-talk: when the try of one chosen gesture also lifts another chosen gesture over that
one's threshold (a smile that also opens the mouth), a warning says so. The result is kept
in the profile (`Profile.face_gestures`, a plain dict) and overrides the settings' thresholds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from app.music.face_gestures import GESTURES, RIVALS, gesture_scores

MIN_PEAK_RISE = 0.1
MIN_MARGIN = 0.05
SHARE = 0.5
MIN_FRAMES = 5


class FaceCalibrationError(ValueError):
    """A calibration that cannot be used, saying which gesture and what to do."""


@dataclass(frozen=True)
class FaceCalibration:
    """Per gesture: the neutral level, the threshold (rise above it) and the peak rise."""

    neutral: dict[str, float]
    thresholds: dict[str, float]
    peaks: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"neutral": self.neutral, "thresholds": self.thresholds, "peaks": self.peaks,
                "warnings": list(self.warnings)}

    @classmethod
    def from_dict(cls, data: Mapping) -> FaceCalibration:
        """From a profile's meta; FaceCalibrationError when damaged."""
        try:
            neutral = {str(k): float(v) for k, v in data["neutral"].items()}
            thresholds = {str(k): float(v) for k, v in data["thresholds"].items()}
            peaks = {str(k): float(v) for k, v in data.get("peaks", {}).items()}
            warnings = tuple(str(w) for w in data.get("warnings", ()))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise FaceCalibrationError(f"damaged face-gesture calibration ({exc})") from exc
        bad = [n for n in (*neutral, *thresholds) if n not in GESTURES]
        if bad or any(not 0.0 < v <= 1.0 for v in thresholds.values()):
            raise FaceCalibrationError(f"face-gesture calibration names unknown gestures {bad} "
                                       "or thresholds outside (0, 1]; calibrate again")
        return cls(neutral, thresholds, peaks, warnings)


def _scores(frames: Sequence[np.ndarray], name: str) -> np.ndarray:
    return np.array([gesture_scores(f)[name] for f in frames], dtype=np.float64)


def fit_face_calibration(neutral: Sequence[np.ndarray],
                         tries: Mapping[str, Sequence[np.ndarray]]) -> FaceCalibration:
    """Thresholds from the neutral frames' and each try's blendshapes (52 per frame).

    FaceCalibrationError naming the gesture when a try is missing, too short, or shows no
    clear movement above the neutral face."""
    if len(neutral) < MIN_FRAMES:
        raise FaceCalibrationError(f"the neutral face was seen in {len(neutral)} frames; at "
                                   f"least {MIN_FRAMES} are needed: face the camera and repeat")
    unknown = [n for n in tries if n not in GESTURES]
    if unknown:
        raise FaceCalibrationError(f"unknown face gesture(s) {unknown}")
    levels, thresholds, peaks, spreads = {}, {}, {}, {}
    for name in GESTURES:
        rest = _scores(neutral, name)
        levels[name] = float(np.median(rest))
        spreads[name] = float(np.percentile(rest, 95) - levels[name])
    for name, frames in tries.items():
        if len(frames) < MIN_FRAMES:
            raise FaceCalibrationError(f"{name}: the face was seen in {len(frames)} frames of "
                                       "the try; repeat it facing the camera")
        rise = _scores(frames, name) - levels[name]
        peak = float(np.percentile(rise, 75))
        need = max(MIN_PEAK_RISE, 2 * spreads[name] + MIN_MARGIN)
        if peak < need:
            raise FaceCalibrationError(
                f"{name} ({GESTURES[name].what}) was not seen: it rose {peak:.2f} over the "
                f"neutral face, {need:.2f} is needed; make it bigger and repeat, or choose "
                "another gesture")
        peaks[name] = peak
        thresholds[name] = round(min(0.9, max(0.05, spreads[name] + SHARE *
                                              (peak - spreads[name]))), 3)
    warnings = []
    for name, frames in tries.items():
        for other in tries:
            if other == name:
                continue
            dragged = float(np.median(_scores(frames, other) - levels[other]))
            if dragged >= thresholds[other]:
                effect = ("only the stronger of the two counts while both are up"
                          if other in RIVALS[name] else "both would fire")
                warnings.append(f"your {name.replace('_', ' ')} also reaches the "
                                f"{other.replace('_', ' ')} threshold (cross-talk): {effect}; "
                                "keep the two movements apart or bind just one")
    chosen = set(tries)
    return FaceCalibration({n: round(v, 4) for n, v in levels.items() if n in chosen},
                           thresholds, {n: round(v, 4) for n, v in peaks.items()},
                           tuple(warnings))


__all__ = ["FaceCalibration", "FaceCalibrationError", "fit_face_calibration"]
