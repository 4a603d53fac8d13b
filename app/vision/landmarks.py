"""Face mesh and blendshapes for one face: MediaPipe FaceLandmarker's graphs run by cv2.dnn.

The app already finds faces with BlazeFace (vision/blazeface.py); for the main face it then
runs two of the three graphs inside `models/face_landmarker.task` (a zip), as MediaPipe's
face-landmarker graph does, without the MediaPipe runtime (which looks up a logging host at
start-up and is not in the desktop bundle):

1. FaceMesh V2 on a 256 x 256 RGB [0, 1] crop of a square 1.5 x the face, rotated so the
   eyes are level: 478 landmarks (x, y, z in crop pixels) and a face-presence logit;
2. Blendshape V2 on 146 of those landmarks (x, y in frame pixels): 52 scores.

Between frames the crop follows the previous frame's landmarks (their bounding box and eye
line, as MediaPipe tracks in video mode) while they still fall inside the detector's box:
tighter and better aligned than the detector's box, at no extra cost. Head pose comes from
the mesh's 3-D axes (cheek to cheek, forehead to chin). Chosen over MediaPipe Tasks by
measurement: docs/GESTURES.md.
"""

from __future__ import annotations

import math
import os
import zipfile
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from app.errors import Kind, model_file_error
from app.paths import landmarker_model_path
from app.records import BLENDSHAPE_NAMES, NUM_LANDMARKS, FaceBox, FaceMesh
from app.vision.base import DetectorError
from app.vision.image import ensure_rgb

CROP = 256
ROI_SCALE = 1.5
MIN_PRESENCE = 0.5
# The 146 landmarks Blendshape V2 reads, in order (kLandmarksSubsetIdxs in MediaPipe's
# face_blendshapes_graph.cc): written as runs (start, stop) to keep them checkable.
_RUNS = ((0, 2), (4, 9), (10, 11), (13, 15), (17, 18), (21, 22), (33, 34), (37, 38), (39, 41),
         (46, 47), (52, 56), (58, 59), (61, 62), (63, 64), (65, 68), (70, 71), (78, 79),
         (80, 83), (84, 85), (87, 89), (91, 92), (93, 94), (95, 96), (103, 104), (105, 106),
         (107, 108), (109, 110), (127, 128), (132, 134), (136, 137), (144, 147), (148, 151),
         (152, 156), (157, 164), (168, 169), (172, 174), (176, 177), (178, 179), (181, 182),
         (185, 186), (191, 192), (195, 196), (197, 198), (234, 235), (246, 247), (249, 250),
         (251, 252), (263, 264), (267, 268), (269, 271), (276, 277), (282, 286), (288, 289),
         (291, 292), (293, 294), (295, 298), (300, 301), (308, 309), (310, 313), (314, 315),
         (317, 319), (321, 322), (323, 325), (332, 333), (334, 335), (336, 337), (338, 339),
         (356, 357), (361, 363), (365, 366), (373, 376), (377, 383), (384, 391), (397, 399),
         (400, 401), (402, 403), (405, 406), (409, 410), (415, 416), (454, 455), (466, 467),
         (468, 478))
BLENDSHAPE_SUBSET = np.array([i for a, b in _RUNS for i in range(a, b)], dtype=np.int64)
RIGHT_EYE_OUTER, LEFT_EYE_OUTER = 33, 263  # the subject's; the right one is on the image left
RIGHT_CHEEK, LEFT_CHEEK, FOREHEAD, CHIN = 234, 454, 10, 152


class FaceLandmarker(Protocol):
    """One face's mesh from an RGB frame and its detector box; None when no face is there."""

    def mesh(self, image: np.ndarray, box: FaceBox) -> FaceMesh | None: ...

    def reset(self) -> None: ...

    def close(self) -> None: ...


def head_pose(landmarks: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees from the mesh: yaw > 0 when the cheek on the image's
    right is farther away, pitch > 0 when the chin is nearer than the forehead, roll > 0
    when the face's cheek-to-cheek line runs down to the image's right."""
    across = landmarks[LEFT_CHEEK] - landmarks[RIGHT_CHEEK]
    down = landmarks[CHIN] - landmarks[FOREHEAD]
    yaw = math.degrees(math.atan2(float(across[2]), float(np.hypot(across[0], across[1]))))
    pitch = -math.degrees(math.atan2(float(down[2]), float(np.hypot(down[0], down[1]))))
    roll = math.degrees(math.atan2(float(across[1]), float(across[0])))
    return yaw, pitch, roll


def roi_from_box(box: FaceBox) -> tuple[float, float, float, float]:
    """(centre x, centre y, side, angle in radians) of the landmark crop for a detector box:
    1.5 x the box's long side, rotated by the eye line of the first two keypoints."""
    angle = 0.0
    if len(box.keypoints) >= 2:
        (rx, ry), (lx, ly) = box.keypoints[0], box.keypoints[1]
        if lx > rx:
            angle = math.atan2(ly - ry, lx - rx)
    return box.x + box.w / 2.0, box.y + box.h / 2.0, ROI_SCALE * max(box.w, box.h), angle


def roi_from_landmarks(landmarks: np.ndarray) -> tuple[float, float, float, float]:
    """The crop for the next frame from this frame's mesh: its bounding box in the frame
    rotated level with the outer eye corners, 1.5 x its long side."""
    pts = landmarks[:, :2].astype(np.float64)
    dx, dy = pts[LEFT_EYE_OUTER] - pts[RIGHT_EYE_OUTER]
    angle = math.atan2(dy, dx)
    cos, sin = math.cos(angle), math.sin(angle)
    centre = pts.mean(axis=0)
    local = (pts - centre) @ np.array([[cos, -sin], [sin, cos]])  # into the level frame
    lo, hi = local.min(axis=0), local.max(axis=0)
    mid = (lo + hi) / 2.0
    cx = centre[0] + cos * mid[0] - sin * mid[1]
    cy = centre[1] + sin * mid[0] + cos * mid[1]
    return float(cx), float(cy), ROI_SCALE * float(max(hi - lo)), angle


def _affine(cx: float, cy: float, side: float, angle: float) -> np.ndarray:
    """Crop pixel (u, v) -> frame point, for warpAffine's inverse map and back-projection."""
    scale = side / CROP
    cos, sin = math.cos(angle) * scale, math.sin(angle) * scale
    half = CROP / 2.0
    return np.array([[cos, -sin, cx - cos * half + sin * half],
                     [sin, cos, cy - sin * half - cos * half]], dtype=np.float64)


def _inside(point: np.ndarray, box: FaceBox) -> bool:
    return box.x <= point[0] <= box.x + box.w and box.y <= point[1] <= box.y + box.h


def read_task_graphs(path: str | os.PathLike | None = None) -> dict[str, bytes]:
    """The .tflite graphs inside the .task zip; DetectorError saying how to restore it."""
    path = Path(path) if path else landmarker_model_path()
    if not path.is_file():
        raise DetectorError(f"the face-landmarker model (face gestures) is missing at {path}; "
                            "run ./scripts/setup.sh (or python scripts/fetch_landmarker_model.py"
                            ") to restore it, or turn face gestures off in Settings")
    try:
        with zipfile.ZipFile(path) as zf:
            return {n: zf.read(n) for n in ("face_landmarks_detector.tflite",
                                             "face_blendshapes.tflite")}
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        kind = model_file_error(path, exc, role="face-landmarker model").kind
        raise DetectorError(f"{path} is not a usable face_landmarker.task (damaged or "
                            "unreadable); run python scripts/fetch_landmarker_model.py to "
                            "fetch it again", kind if kind != Kind.MISSING else Kind.DAMAGED
                            ) from exc


class OpenCVLandmarker:
    """The app's `FaceLandmarker`: FaceMesh V2 + Blendshape V2 via cv2.dnn, offline."""

    def __init__(self, model_path: str | os.PathLike | None = None,
                 track: bool = True) -> None:
        graphs = read_task_graphs(model_path)
        try:
            self._mesh = cv2.dnn.readNetFromTFLite(
                np.frombuffer(graphs["face_landmarks_detector.tflite"], np.uint8))
            self._shapes = cv2.dnn.readNetFromTFLite(
                np.frombuffer(graphs["face_blendshapes.tflite"], np.uint8))
        except cv2.error as exc:
            model_file_error(model_path or landmarker_model_path(), exc,  # logs OpenCV's text
                             role="face-landmarker model")
            raise DetectorError("OpenCV could not load the face-landmarker graphs: run python "
                                "scripts/fetch_landmarker_model.py to fetch the model again",
                                Kind.DAMAGED) from exc
        self._mesh_out = ["Identity", "Identity_1"]
        self.track = track
        self.tracked = 0  # frames whose crop came from the previous mesh (for the bench)
        self._last: np.ndarray | None = None

    def reset(self) -> None:
        self._last = None

    def mesh(self, image: np.ndarray, box: FaceBox) -> FaceMesh | None:
        if self._mesh is None:
            raise DetectorError("the face landmarker was closed", Kind.UNEXPECTED)
        rgb = ensure_rgb(image)
        last = self._last
        if self.track and last is not None and _inside(last[:, :2].mean(axis=0), box):
            roi = roi_from_landmarks(last)
            self.tracked += 1
        else:
            roi = roi_from_box(box)
        matrix = _affine(*roi)
        crop = cv2.warpAffine(rgb, matrix, (CROP, CROP), flags=cv2.INTER_LINEAR
                              | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT)
        self._mesh.setInput(cv2.dnn.blobFromImage(crop, 1.0 / 255.0))
        raw, logit = self._mesh.forward(self._mesh_out)
        presence = 1.0 / (1.0 + math.exp(-max(-80.0, min(80.0, float(logit.reshape(-1)[0])))))
        if presence < MIN_PRESENCE:
            self._last = None
            return None
        pts = raw.reshape(NUM_LANDMARKS, 3).astype(np.float64)
        frame = np.empty_like(pts)
        frame[:, :2] = pts[:, :2] @ matrix[:, :2].T + matrix[:, 2]
        frame[:, 2] = pts[:, 2] * roi[2] / CROP
        self._shapes.setInput(frame[BLENDSHAPE_SUBSET, :2][None].astype(np.float32))
        scores = self._shapes.forward().reshape(-1)
        if scores.shape != (len(BLENDSHAPE_NAMES),):
            raise DetectorError(f"the blendshape graph gave {scores.shape[0]} scores, "
                                f"expected {len(BLENDSHAPE_NAMES)}")
        self._last = frame
        return FaceMesh(frame, scores, head_pose(frame), presence)

    def close(self) -> None:
        self._mesh = self._shapes = None
        self._last = None


class FixedLandmarker:
    """A fake for tests and screenshots: every face gets the next scripted blendshapes
    (a dict of name -> score, others 0) on a flat, frontal mesh inside its box."""

    def __init__(self, scripted: list[dict[str, float]] | None = None) -> None:
        self.scripted = list(scripted or [{}])
        self.calls = 0

    def mesh(self, image: np.ndarray, box: FaceBox) -> FaceMesh | None:
        scores = self.scripted[min(self.calls, len(self.scripted) - 1)]
        self.calls += 1
        if scores is None:
            return None
        shapes = np.zeros(len(BLENDSHAPE_NAMES), np.float32)
        for name, value in scores.items():
            shapes[BLENDSHAPE_NAMES.index(name)] = value
        rng = np.random.default_rng(0)
        pts = rng.uniform(0.2, 0.8, (NUM_LANDMARKS, 3)) * [box.w, box.h, 0] + [box.x, box.y, 0]
        pts[RIGHT_EYE_OUTER, :2] = box.x + 0.3 * box.w, box.y + 0.4 * box.h
        pts[LEFT_EYE_OUTER, :2] = box.x + 0.7 * box.w, box.y + 0.4 * box.h
        return FaceMesh(pts.astype(np.float32), shapes)

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


def create_landmarker(model_path: str | os.PathLike | None = None) -> FaceLandmarker:
    return OpenCVLandmarker(model_path)


__all__ = ["BLENDSHAPE_SUBSET", "FaceLandmarker", "FixedLandmarker", "OpenCVLandmarker",
           "create_landmarker", "head_pose", "read_task_graphs", "roi_from_box",
           "roi_from_landmarks"]
