"""Guided face-gesture calibration: thresholds between neutral and peak, refusals, storage."""

from __future__ import annotations

import numpy as np
import pytest

from app.music.face_calibration import (
    FaceCalibration,
    FaceCalibrationError,
    fit_face_calibration,
)
from app.records import BLENDSHAPE_NAMES


def frames(n: int, seed: int = 0, **values: float) -> list[np.ndarray]:
    """n frames of blendshapes around `values` (others near 0) with a little wobble."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        b = np.abs(rng.normal(0.0, 0.01, len(BLENDSHAPE_NAMES)))
        for name, v in values.items():
            b[BLENDSHAPE_NAMES.index(name)] = v + rng.normal(0.0, 0.02)
        out.append(np.clip(b, 0, 1))
    return out


NEUTRAL = frames(60, browInnerUp=0.6, jawOpen=0.05)  # a face whose brows rest high


@pytest.mark.parametrize(("gesture", "try_values", "lo", "hi"), [
    ("mouth_open", {"jawOpen": 0.65, "browInnerUp": 0.6}, 0.05, 0.6),
    ("smile", {"mouthSmileLeft": 0.8, "mouthSmileRight": 0.7, "browInnerUp": 0.6}, 0.05, 0.75),
    ("brows_up", {"browInnerUp": 0.95, "browOuterUpLeft": 0.6, "browOuterUpRight": 0.6,
                  "jawOpen": 0.05}, 0.05, 0.55),
])
def test_threshold_lies_between_neutral_spread_and_peak(gesture, try_values, lo, hi):
    cal = fit_face_calibration(NEUTRAL, {gesture: frames(40, 1, **try_values)})
    assert lo < cal.thresholds[gesture] < hi
    assert cal.thresholds[gesture] < cal.peaks[gesture]
    assert cal.warnings == ()
    assert set(cal.neutral) == {gesture}  # only the chosen gestures are stored


def test_the_persons_neutral_is_the_reference():
    """brows_up over a high resting browInnerUp: the neutral level carries it."""
    cal = fit_face_calibration(NEUTRAL, {"brows_up": frames(40, 1, browInnerUp=0.95,
                                                            browOuterUpLeft=0.6,
                                                            browOuterUpRight=0.6)})
    assert cal.neutral["brows_up"] == pytest.approx(0.2, abs=0.03)  # mean of 0.6, 0, 0


@pytest.mark.parametrize(("neutral", "tries", "match"), [
    (NEUTRAL, {"mouth_open": frames(40, 1, jawOpen=0.1, browInnerUp=0.6)},
     "mouth_open .* was not seen"),  # the user did not really open the mouth
    (NEUTRAL, {"smile": frames(3, 1, mouthSmileLeft=0.9, mouthSmileRight=0.9)}, "3 frames"),
    (NEUTRAL[:2], {"smile": frames(40, 1, mouthSmileLeft=0.9)}, "neutral face"),
    (NEUTRAL, {"grin": frames(40, 1)}, "unknown face gesture"),
])
def test_refusals_name_the_gesture_and_what_to_do(neutral, tries, match):
    with pytest.raises(FaceCalibrationError, match=match):
        fit_face_calibration(neutral, tries)


def test_a_wobbly_neutral_needs_a_bigger_try():
    wobbly = frames(60, 3, jawOpen=0.2)
    rng = np.random.default_rng(5)
    for b in wobbly:  # a talking face: jawOpen 0.0-0.4 at rest
        b[BLENDSHAPE_NAMES.index("jawOpen")] = rng.uniform(0.0, 0.4)
    with pytest.raises(FaceCalibrationError, match="mouth_open"):
        fit_face_calibration(wobbly, {"mouth_open": frames(40, 1, jawOpen=0.5)})
    cal = fit_face_calibration(wobbly, {"mouth_open": frames(40, 1, jawOpen=0.95)})
    assert cal.thresholds["mouth_open"] > 0.3  # above the talking wobble


def test_cross_talk_is_warned():
    smile_opens_mouth = frames(40, 1, mouthSmileLeft=0.8, mouthSmileRight=0.8, jawOpen=0.6,
                               browInnerUp=0.6)
    cal = fit_face_calibration(NEUTRAL, {
        "smile": smile_opens_mouth,
        "mouth_open": frames(40, 2, jawOpen=0.7, browInnerUp=0.6)})
    assert any("smile also reaches the mouth open" in w for w in cal.warnings)


@pytest.mark.parametrize(("data", "ok"), [
    ({"neutral": {"smile": 0.1}, "thresholds": {"smile": 0.3}}, True),
    ({"neutral": {}, "thresholds": {}, "peaks": {}, "warnings": []}, True),
    ({"neutral": {"smile": 0.1}}, False),
    ({"neutral": {"grin": 0.1}, "thresholds": {"grin": 0.3}}, False),
    ({"neutral": {}, "thresholds": {"smile": 1.5}}, False),
    ({"neutral": {}, "thresholds": {"smile": "x"}}, False),
    ([], False),
])
def test_stored_calibration_rows(data, ok):
    if ok:
        cal = FaceCalibration.from_dict(data)
        assert FaceCalibration.from_dict(cal.to_dict()) == cal
    else:
        with pytest.raises(FaceCalibrationError):
            FaceCalibration.from_dict(data)
