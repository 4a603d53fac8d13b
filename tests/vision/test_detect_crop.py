"""Detection and cropping on real faces pasted, scaled and rotated into 640 x 480 frames."""

import cv2
import numpy as np
import pytest

from app.records import FaceBox
from app.vision.crop import FaceCropper, eye_angle
from app.vision.detector import DetectorError, MediaPipeFaceDetector, create_detector
from app.vision.image import ensure_rgb
from tests.conftest import background, paste


@pytest.fixture(scope="module", params=["opencv", "mediapipe"])
def detector(request):
    det = create_detector(request.param, mode="image")
    yield det
    det.close()


def iou(a, b):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    return inter / (aw * ah + bw * bh - inter)


@pytest.mark.parametrize(("emotion", "x", "y", "height"), [
    ("happy", 220, 140, 200),
    ("surprise", 40, 60, 120),
    ("neutral", 400, 200, 160),
    ("angry", 300, 20, 120),
])
def test_pasted_face_is_found_where_it_was_put(detector, face_bank, emotion, x, y, height):
    frame = background()
    truth = paste(frame, face_bank[emotion][0], x, y, height)
    boxes = detector.detect(frame)
    assert len(boxes) == 1
    assert iou(boxes[0].as_list(), truth) > 0.4
    assert 0.5 <= boxes[0].score <= 1.0
    assert len(boxes[0].keypoints) == 6


def test_two_faces_give_two_boxes(detector, face_bank):
    frame = background()
    paste(frame, face_bank["happy"][1], 40, 120, 180)
    paste(frame, face_bank["sad"][0], 380, 140, 180)
    boxes = detector.detect(frame)
    assert len(boxes) == 2
    assert sorted(b.x < 320 for b in boxes) == [False, True]


def test_empty_frame_has_no_face(detector):
    assert detector.detect(background()) == []


def _rotated_frame(face, degrees):
    frame = background()
    paste(frame, face, 220, 140, 200)
    matrix = cv2.getRotationMatrix2D((320, 240), degrees, 1.0)
    return cv2.warpAffine(frame, matrix, (640, 480), borderMode=cv2.BORDER_REPLICATE)


@pytest.mark.parametrize("degrees", [-20, 15])
def test_crop_is_rotated_upright_by_the_eye_line(detector, face_bank, degrees):
    face = face_bank["happy"][2]
    upright = detector.detect(_rotated_frame(face, 0))[0]
    tilted = detector.detect(_rotated_frame(face, degrees))[0]
    # OpenCV rotates counter-clockwise for positive angles: the eye line tilts by -degrees.
    # BlazeFace sees a 128 x 128 letterbox: one input pixel of eye error is about 4 degrees.
    assert eye_angle(tilted) - eye_angle(upright) == pytest.approx(-degrees, abs=8)
    crop = FaceCropper(96).crop(_rotated_frame(face, degrees), tilted)
    assert crop.angle_deg == pytest.approx(eye_angle(tilted))
    # Re-detected in the upright crop, the eyes are level again.
    padded = cv2.copyMakeBorder(crop.image, 48, 48, 48, 48, cv2.BORDER_REPLICATE)
    again = detector.detect(cv2.resize(padded, (384, 384)))
    assert again and abs(eye_angle(again[0])) < 8


@pytest.mark.parametrize("size", [48, 64, 96])
def test_crop_size_and_type(detector, face_bank, size):
    frame = background()
    paste(frame, face_bank["fear"][0], 200, 100, 220)
    box = detector.detect(frame)[0]
    crop = FaceCropper(size, margin=0.2).crop(frame, box)
    assert crop.image.shape == (size, size, 3) and crop.image.dtype == np.uint8
    assert crop.box == box


def test_face_at_the_frame_edge_still_gives_a_full_crop(detector, face_bank):
    frame = background()
    truth = paste(frame, face_bank["surprise"][3], -30, 300, 200)  # cut at left and bottom
    boxes = detector.detect(frame)
    assert boxes, "a face mostly inside the frame must be found"
    box = boxes[0]
    assert box.x >= 0 and box.y >= 0 and box.x + box.w <= 640 and box.y + box.h <= 480
    assert iou(box.as_list(), truth) > 0.3
    crop = FaceCropper(64, margin=0.3).crop(frame, box)
    assert crop.image.shape == (64, 64, 3)


def test_gray_and_four_channel_frames(detector, face_bank):
    frame = background()
    paste(frame, face_bank["happy"][0], 220, 140, 200)
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    rgba = np.dstack([frame, np.full(frame.shape[:2], 255, np.uint8)])
    for image in (gray, rgba):
        boxes = detector.detect(image)
        assert len(boxes) == 1
        assert FaceCropper(48).crop(image, boxes[0]).image.shape == (48, 48, 3)


def test_tiny_faces_are_found_but_not_classified(detector, face_bank):
    frame = background()
    paste(frame, face_bank["happy"][0], 300, 220, 40)
    cropper = FaceCropper(48, min_face_px=48)
    boxes = detector.detect(frame)
    assert all(not cropper.accepts(b) for b in boxes)
    assert cropper.crop_all(frame, boxes) == []


def test_video_mode_tolerates_repeated_timestamps(face_bank):
    frame = background()
    paste(frame, face_bank["happy"][0], 220, 140, 200)
    with MediaPipeFaceDetector(mode="video") as det:
        assert len(det.detect(frame, 1000)) == 1
        assert len(det.detect(frame, 1000)) == 1  # a looping video restarts its clock
        assert len(det.detect(frame, 0)) == 1


@pytest.mark.parametrize("backend", ["opencv", "mediapipe"])
def test_closed_detector_says_so(backend):
    det = create_detector(backend)
    det.close()
    det.close()  # twice is fine
    with pytest.raises(DetectorError, match="closed"):
        det.detect(background())


def test_missing_model_file_is_explained(tmp_path):
    from app.vision.blazeface import BlazeFaceDetector

    for cls in (BlazeFaceDetector, MediaPipeFaceDetector):
        with pytest.raises(DetectorError, match="setup"):
            cls(model_path=tmp_path / "none.tflite")


def test_unknown_backend_is_named():
    with pytest.raises(DetectorError, match="dlib"):
        create_detector("dlib")


@pytest.mark.parametrize(("keypoints", "expected"), [
    (((10.0, 10.0), (20.0, 20.0)), 45.0),
    (((10.0, 10.0), (20.0, 10.0)), 0.0),
    (((20.0, 10.0), (10.0, 10.0)), 0.0),  # eyes swapped: not trusted
    (((10.0, 10.0), (11.0, 30.0)), 0.0),  # implausible tilt
    ((), 0.0),
])
def test_eye_angle(keypoints, expected):
    box = FaceBox(0, 0, 30, 30, 0.9, keypoints)
    assert eye_angle(box) == pytest.approx(expected)


@pytest.mark.parametrize(("shape", "dtype"), [((5, 5), np.uint8), ((5, 5, 1), np.uint8),
                                              ((5, 5, 4), np.uint8), ((5, 5, 3), np.float32)])
def test_ensure_rgb(shape, dtype):
    out = ensure_rgb(np.ones(shape, dtype))
    assert out.shape == (5, 5, 3) and out.dtype == np.uint8


def test_ensure_rgb_refuses_other_shapes():
    with pytest.raises(ValueError, match="shape"):
        ensure_rgb(np.ones((5, 5, 2), np.uint8))
