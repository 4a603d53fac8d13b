"""Primary face choice (largest or pinned), hit-testing clicks, and the status figures."""

from __future__ import annotations

import pytest

from app.pipeline.primary import face_at, pick_primary
from app.pipeline.stats import RateMeter, latency_text
from app.records import FaceBox, FaceResult


def faces(*boxes):
    return tuple(FaceResult(FaceBox(x, y, w, h, 0.9), None) for x, y, w, h in boxes)


TWO = faces((0, 0, 100, 100), (300, 50, 60, 60))  # centres (50, 50) and (330, 80)


@pytest.mark.parametrize(("pin", "primary", "new_pin"), [
    (None, 0, None),  # largest
    ((320.0, 70.0), 1, (330.0, 80.0)),  # pinned small face wins; pin follows its centre
    ((45.0, 40.0), 0, (50.0, 50.0)),
    ((600.0, 400.0), 0, (600.0, 400.0)),  # pinned face gone: largest drives, pin waits
])
def test_pick_primary(pin, primary, new_pin):
    assert pick_primary(TWO, pin) == (primary, new_pin)


def test_pick_primary_without_faces_keeps_the_pin():
    assert pick_primary((), (5.0, 5.0)) == (None, (5.0, 5.0))


@pytest.mark.parametrize(("x", "y", "hit"), [
    (10, 10, 0), (330, 80, 1), (200, 200, None), (100, 50, None),  # right edge is outside
])
def test_face_at(x, y, hit):
    assert face_at(TWO, x, y) == hit


def test_face_at_prefers_the_smaller_of_overlapping_boxes():
    nested = faces((0, 0, 200, 200), (50, 50, 40, 40))
    assert face_at(nested, 60, 60) == 1


@pytest.mark.parametrize(("times", "rate"), [
    ([], 0.0), ([1.0], 0.0), ([0.0, 0.1, 0.2, 0.3], 10.0), ([0.0, 0.5, 3.0, 3.5], 2.0),
])
def test_rate_meter(times, rate):
    meter = RateMeter(window_s=2.0)
    for t in times:
        meter.tick(t)
    assert meter.rate() == pytest.approx(rate)


def test_latency_text():
    assert latency_text({"detect": 4.04, "cnn1": 3.0, "cnn2": 14.25, "total": 30}) == \
        "detect 4.0 ms · CNN_1 3.0 ms · CNN_2 14.2 ms"
    assert latency_text({}) == "no timings yet"
