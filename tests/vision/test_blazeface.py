"""The default detector: BlazeFace through cv2.dnn agrees with MediaPipe and stays offline."""

import shutil
import subprocess
import sys

import numpy as np
import pytest

from app.vision.blazeface import BlazeFaceDetector, ssd_anchors, weighted_nms
from app.vision.detector import MediaPipeFaceDetector
from tests.conftest import ROOT, background, paste


def test_anchor_layout():
    anchors = ssd_anchors()
    assert anchors.shape == (896, 2)
    # 16 x 16 cells with 2 anchors, then 8 x 8 cells with 6 anchors (strides 8, 16, 16, 16).
    np.testing.assert_allclose(anchors[0], [0.5 / 16, 0.5 / 16])
    np.testing.assert_allclose(anchors[1], anchors[0])
    np.testing.assert_allclose(anchors[512], [0.5 / 8, 0.5 / 8])
    np.testing.assert_allclose(anchors[517], anchors[512])
    np.testing.assert_allclose(anchors[518], [1.5 / 8, 0.5 / 8])
    assert anchors.min() > 0 and anchors.max() < 1


def test_weighted_nms_merges_overlaps_and_keeps_separate_faces():
    boxes = np.array([[0.1, 0.1, 0.3, 0.3], [0.12, 0.1, 0.32, 0.3], [0.6, 0.6, 0.8, 0.8]])
    kps = np.zeros((3, 6, 2))
    kps[1] += 1.0
    merged = weighted_nms(boxes, kps, np.array([0.9, 0.3, 0.8]))
    assert len(merged) == 2
    box, points, score = merged[0]
    assert score == pytest.approx(0.9)
    np.testing.assert_allclose(box[0], (0.1 * 0.9 + 0.12 * 0.3) / 1.2)
    np.testing.assert_allclose(points[0, 0], 0.3 / 1.2)
    np.testing.assert_allclose(merged[1][0], boxes[2])


def _iou(a, b):
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy / (a[2] * a[3] + b[2] * b[3] - ix * iy)


@pytest.mark.parametrize(("emotion", "x", "y", "height"), [
    ("happy", 220, 140, 200), ("surprise", 40, 60, 130), ("neutral", 400, 200, 160),
    ("disgust", 330, 10, 150), ("sad", 100, 250, 220),
])
def test_same_faces_as_mediapipe(face_bank, emotion, x, y, height):
    frame = background()
    paste(frame, face_bank[emotion][1], x, y, height)
    with BlazeFaceDetector() as ours, MediaPipeFaceDetector() as reference:
        a, b = ours.detect(frame), reference.detect(frame)
    assert len(a) == len(b) == 1
    # MediaPipe resamples the letterbox its own way: small faces differ by a few pixels.
    assert _iou(a[0].as_list(), b[0].as_list()) > 0.7
    assert a[0].score == pytest.approx(b[0].score, abs=0.1)
    # Eyes, nose and mouth within a tenth of the face width (the ear points are unstable).
    diff = np.abs(np.subtract(a[0].keypoints[:4], b[0].keypoints[:4]))
    assert diff.max() < 0.1 * a[0].w


def test_portrait_and_small_frames(face_bank):
    frame = background(300, 500)
    paste(frame, face_bank["happy"][0], 50, 150, 200)
    with BlazeFaceDetector() as det:
        (box,) = det.detect(frame)
        assert 30 <= box.x <= 110 and 120 <= box.y <= 220
        assert det.detect(np.zeros((1, 1, 3), np.uint8)) == []


PROBE = """
import numpy as np
from app.vision.detector import create_detector
det = create_detector("opencv")
det.detect(np.zeros((480, 640, 3), np.uint8))
det.close()
"""


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed "
                    "(scripts/setup.sh installs it as root); it watches for network calls")
def test_default_detector_makes_no_network_call(tmp_path):
    log = tmp_path / "trace"
    subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o",
                    str(log), sys.executable, "-c", PROBE], cwd=ROOT, check=True, timeout=120)
    calls = [line for line in log.read_text().splitlines()
             if "AF_INET" in line or "htons(53)" in line]
    assert calls == []
