"""Overlapped detection/classification gives the same results, in order, as the plain
FrameProcessor; errors in the detection thread reach the caller; the loop stops on request."""

from __future__ import annotations

import time

import numpy as np
import pytest

from app.bench.overlap import OverlappedLoop, split_stages
from app.model.predictor import Predictor
from app.pipeline.engine import FrameProcessor
from app.records import FaceBox, Frame
from app.vision.crop import FaceCropper


class BoxDetector:
    """One face whose box moves with the frame index; every 4th frame has none."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.fail_at = fail_at

    def detect(self, image, timestamp_ms=None):
        index = int(image[0, 0, 0])
        if index == self.fail_at:
            raise RuntimeError(f"detector broke on frame {index}")
        if index % 4 == 3:
            return []
        return [FaceBox(20 + index, 30, 60, 60, 0.9)]

    def close(self):
        pass


def _frames(n: int) -> list[Frame]:
    rng = np.random.default_rng(0)
    frames = []
    for i in range(n):
        image = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
        image[0, 0, 0] = i  # the detector reads the index from here
        frames.append(Frame(i, time.monotonic(), image))
    return frames


@pytest.fixture(scope="module")
def processor(tiny_checkpoints):
    predictor = Predictor.from_checkpoints(tiny_checkpoints, device="cpu", threads=1)
    return FrameProcessor(BoxDetector(), FaceCropper(size=48), predictor)


def _feed(frames):
    it = iter(frames)
    return lambda: next(((f, 0) for f in it), None)


def test_overlapped_results_match_the_plain_processor(processor):
    frames = _frames(10)
    plain = [processor.process(f) for f in frames]
    got = []
    OverlappedLoop(split_stages(processor)).run(_feed(frames), got.append)
    assert [r.frame.index for r in got] == list(range(10))
    for a, b in zip(plain, got, strict=True):
        assert [f.box for f in a.faces] == [f.box for f in b.faces]
        assert a.primary is None and b.primary is None  # the session picks the main face
        for fa, fb in zip(a.faces, b.faces, strict=True):
            np.testing.assert_allclose(fa.prediction.probs, fb.prediction.probs, atol=1e-6)
        assert set(a.timings_ms) == set(b.timings_ms)


@pytest.mark.parametrize("stop_after", [1, 4])
def test_emit_false_stops_the_loop(processor, stop_after):
    got = []

    def emit(result):
        got.append(result)
        return len(got) < stop_after

    OverlappedLoop(split_stages(processor)).run(_feed(_frames(10)), emit)
    assert len(got) == stop_after


def test_a_detection_error_reaches_the_caller(tiny_checkpoints):
    predictor = Predictor.from_checkpoints(tiny_checkpoints, device="cpu", threads=1)
    broken = FrameProcessor(BoxDetector(fail_at=2), FaceCropper(size=48), predictor)
    got = []
    with pytest.raises(RuntimeError, match="detector broke on frame 2"):
        OverlappedLoop(split_stages(broken)).run(_feed(_frames(6)), got.append)
    assert [r.frame.index for r in got] == [0, 1]
