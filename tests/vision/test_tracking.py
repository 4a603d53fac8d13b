"""TrackingDetector: detect every k frames, follow the face by template matching between,
and fall back to the real detector whenever the match is lost."""

from __future__ import annotations

import numpy as np
import pytest

from app.records import FaceBox
from app.vision.tracking import TrackingDetector

FACE = 64


def _texture(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    return np.kron(small, np.ones((4, 4, 1), dtype=np.uint8))  # 64 x 64, blocky like a face


class FakeDetector:
    """Knows where the textured face is (or that none is shown) and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.where: tuple[int, int] | None = None

    def detect(self, image, timestamp_ms=None):
        self.calls += 1
        if self.where is None:
            return []
        x, y = self.where
        return [FaceBox(x, y, FACE, FACE, 0.9, ((x + 20.0, y + 24.0), (x + 44.0, y + 24.0)))]

    def close(self):
        self.closed = True


def _frame(where: tuple[int, int] | None, texture: np.ndarray) -> np.ndarray:
    frame = np.full((240, 320, 3), 110, dtype=np.uint8)
    if where is not None:
        x, y = where
        frame[y:y + FACE, x:x + FACE] = texture
    return frame


@pytest.mark.parametrize("every,expected_calls", [(1, 9), (3, 3), (5, 2)])
def test_detector_runs_every_k_frames_and_boxes_follow_the_face(every, expected_calls):
    fake, texture = FakeDetector(), _texture()
    tracker = TrackingDetector(fake, every=every)
    for i in range(9):
        fake.where = (100 + 2 * i, 80 + i)  # the face drifts 2 px right, 1 px down a frame
        boxes = tracker.detect(_frame(fake.where, texture), i)
        assert len(boxes) == 1
        assert abs(boxes[0].x - fake.where[0]) <= 2 and abs(boxes[0].y - fake.where[1]) <= 2
        dx = boxes[0].x - boxes[0].keypoints[0][0]
        assert dx == pytest.approx(-20.0)  # keypoints moved with the box
    assert fake.calls == expected_calls
    assert tracker.detections + tracker.tracked == 9


def test_a_lost_match_falls_back_to_detection_on_that_frame():
    fake, texture = FakeDetector(), _texture()
    tracker = TrackingDetector(fake, every=10)
    fake.where = (100, 80)
    tracker.detect(_frame(fake.where, texture), 0)
    fake.where = None  # the face leaves: template matching finds only flat background
    assert tracker.detect(_frame(None, texture), 1) == []
    assert fake.calls == 2


def test_after_a_frame_without_faces_the_next_frame_is_detected():
    fake, texture = FakeDetector(), _texture()
    tracker = TrackingDetector(fake, every=10)
    tracker.detect(_frame(None, texture), 0)
    fake.where = (50, 50)
    assert len(tracker.detect(_frame(fake.where, texture), 1)) == 1
    assert fake.calls == 2


def test_a_different_face_at_the_same_place_is_not_tracked_as_the_old_one():
    fake = FakeDetector()
    tracker = TrackingDetector(fake, every=10)
    fake.where = (100, 80)
    tracker.detect(_frame(fake.where, _texture(1)), 0)
    tracker.detect(_frame(fake.where, _texture(2)), 1)  # a cut: new texture, weak match
    assert fake.calls == 2


@pytest.mark.parametrize("kwargs,match", [
    ({"every": 0}, "every"), ({"search": 0.0}, "search"), ({"min_match": 1.5}, "min_match"),
])
def test_invalid_settings_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TrackingDetector(FakeDetector(), **kwargs)


def test_close_closes_the_wrapped_detector():
    fake = FakeDetector()
    TrackingDetector(fake).close()
    assert fake.closed
