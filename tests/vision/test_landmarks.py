"""The face landmarker (shipped model on real faces), its ROI geometry and the FaceMesh record."""

from __future__ import annotations

import math
import zipfile

import numpy as np
import pytest

from app.paths import landmarker_model_path
from app.records import BLENDSHAPE_NAMES, NUM_LANDMARKS, FaceBox, FaceMesh
from app.vision.base import DetectorError
from app.vision.landmarks import (
    FixedLandmarker,
    OpenCVLandmarker,
    head_pose,
    roi_from_box,
    roi_from_landmarks,
)


def need_model():
    if not landmarker_model_path().is_file():
        pytest.skip(f"{landmarker_model_path()} is absent: run python "
                    "scripts/fetch_landmarker_model.py")


@pytest.fixture(scope="module")
def real_meshes(face_bank):
    """Mesh and box per emotion for a few real faces, through the app's own detector."""
    need_model()
    from app.capture.facevideo import compose_frame
    from app.vision.blazeface import BlazeFaceDetector

    out = {}
    with BlazeFaceDetector() as det:
        lm = OpenCVLandmarker(track=False)
        for emotion in ("neutral", "happy", "surprise"):
            rows = []
            for face in face_bank[emotion][:6]:
                frame = compose_frame(face, (640, 480), 0.0, 200)
                box = det.detect(frame)[0]
                rows.append((frame, box, lm.mesh(frame, box)))
            out[emotion] = rows
        lm.close()
    return out


def score(mesh: FaceMesh, *names: str) -> float:
    return float(np.mean([mesh.score(n) for n in names]))


def test_real_faces_give_a_mesh_inside_the_face(real_meshes):
    for rows in real_meshes.values():
        for _, box, mesh in rows:
            assert mesh is not None and mesh.presence > 0.5
            assert mesh.landmarks.shape == (NUM_LANDMARKS, 3)
            assert mesh.blendshapes.shape == (len(BLENDSHAPE_NAMES),)
            nose = mesh.landmarks[1, :2]  # the nose tip lies inside the detector's box
            assert box.x < nose[0] < box.x + box.w and box.y < nose[1] < box.y + box.h
            yaw, pitch, roll = mesh.pose
            assert abs(roll) < 20 and abs(yaw) < 40  # upright, roughly frontal faces


def test_blendshapes_tell_smiles_and_open_mouths_from_neutral(real_meshes):
    smile = {e: np.median([score(m, "mouthSmileLeft", "mouthSmileRight")
                           for _, _, m in rows]) for e, rows in real_meshes.items()}
    jaw = {e: np.median([m.score("jawOpen") for _, _, m in rows])
           for e, rows in real_meshes.items()}
    assert smile["happy"] > 0.6 > 0.2 > smile["neutral"]
    assert jaw["surprise"] > 0.3 > 0.15 > jaw["neutral"]


def test_tracking_follows_the_previous_mesh(real_meshes):
    frame, box, first = real_meshes["neutral"][0]
    lm = OpenCVLandmarker(track=True)
    a = lm.mesh(frame, box)
    b = lm.mesh(frame, box)  # the crop now comes from `a`'s landmarks
    assert lm.tracked == 1
    eyes = np.linalg.norm(a.landmarks[33, :2] - a.landmarks[263, :2])
    assert np.abs(a.landmarks[:, :2] - b.landmarks[:, :2]).mean() < 0.05 * eyes
    far = FaceBox(0, 0, 40, 40, 0.9)  # a box elsewhere: the old mesh is not reused
    lm.mesh(frame, far)
    assert lm.tracked == 1
    lm.close()
    with pytest.raises(DetectorError, match="closed"):
        lm.mesh(frame, box)


def test_no_face_gives_no_mesh():
    need_model()
    blank = np.full((480, 640, 3), 128, np.uint8)
    assert OpenCVLandmarker().mesh(blank, FaceBox(200, 140, 200, 200, 0.9)) is None


@pytest.mark.parametrize(("content", "match", "kind"), [
    (None, "fetch_landmarker_model", "MISSING"),
    (b"not a zip", "not a usable face_landmarker.task", "DAMAGED"),
    ("empty-zip", "not a usable face_landmarker.task", "DAMAGED"),
])
def test_bad_model_files_say_what_to_do(tmp_path, content, match, kind):
    path = tmp_path / "face_landmarker.task"
    if content == "empty-zip":
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("other.txt", "x")
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(DetectorError, match=match) as raised:
        OpenCVLandmarker(path)
    assert raised.value.kind.name == kind  # app.errors: the exit code a command returns


def test_roi_from_box_is_level_without_keypoints_and_follows_the_eyes():
    cx, cy, side, angle = roi_from_box(FaceBox(100, 50, 80, 100, 0.9))
    assert (cx, cy, side, angle) == (140.0, 100.0, 150.0, 0.0)
    tilted = FaceBox(100, 50, 100, 100, 0.9, ((120.0, 80.0), (180.0, 140.0)))
    assert math.degrees(roi_from_box(tilted)[3]) == pytest.approx(45.0)


def test_roi_from_landmarks_undoes_a_rotation():
    rng = np.random.default_rng(1)
    pts = np.zeros((NUM_LANDMARKS, 3))
    pts[:, :2] = rng.uniform(-50, 50, (NUM_LANDMARKS, 2))
    pts[33, :2], pts[263, :2] = (-40, 0), (40, 0)
    rot = math.radians(30)
    r = np.array([[math.cos(rot), -math.sin(rot)], [math.sin(rot), math.cos(rot)]])
    moved = pts.copy()
    moved[:, :2] = pts[:, :2] @ r.T + (300, 200)
    cx0, cy0, side0, a0 = roi_from_landmarks(pts)
    cx, cy, side, angle = roi_from_landmarks(moved)
    assert math.degrees(angle) == pytest.approx(30.0)
    assert side == pytest.approx(side0)
    centre = np.array([cx0, cy0]) @ r.T + (300, 200)
    assert (cx, cy) == pytest.approx(tuple(centre))


@pytest.mark.parametrize(("landmarks", "blendshapes", "presence", "match"), [
    (np.zeros((468, 3)), np.zeros(52), 1.0, "landmarks"),
    (np.zeros((478, 2)), np.zeros(52), 1.0, "landmarks"),
    (np.full((478, 3), np.nan), np.zeros(52), 1.0, "landmarks"),
    (np.zeros((478, 3)), np.zeros(51), 1.0, "blendshapes"),
    (np.zeros((478, 3)), np.zeros(52), 1.5, "presence"),
])
def test_face_mesh_refuses_bad_values(landmarks, blendshapes, presence, match):
    with pytest.raises(ValueError, match=match):
        FaceMesh(landmarks, blendshapes, presence=presence)


def test_normalised_landmarks_take_out_position_scale_and_roll():
    mesh = FixedLandmarker().mesh(np.zeros((10, 10, 3), np.uint8), FaceBox(100, 100, 200, 200, 1))
    norm = mesh.normalised()
    assert norm[33, :2] == pytest.approx((-0.5, 0.0), abs=1e-6)
    assert norm[263, :2] == pytest.approx((0.5, 0.0), abs=1e-6)
    moved = FaceMesh(mesh.landmarks * 2 + 37, mesh.blendshapes)
    assert np.allclose(moved.normalised()[:, :2], norm[:, :2], atol=1e-5)


@pytest.mark.parametrize(("across", "down", "expect"), [
    ((100, 0, 0), (0, 120, 0), (0, 0, 0)),
    ((100, 0, 40), (0, 120, 0), (21.8, 0, 0)),  # right cheek (image) farther: yaw > 0
    ((100, 0, 0), (0, 120, -50), (0, 22.6, 0)),  # chin nearer than the forehead: pitch > 0
    ((100, 30, 0), (-30, 120, 0), (0, 0, 16.7)),
])
def test_head_pose_signs(across, down, expect):
    lm = np.zeros((NUM_LANDMARKS, 3))
    lm[454] = across
    lm[152] = down
    assert head_pose(lm) == pytest.approx(expect, abs=0.1)
