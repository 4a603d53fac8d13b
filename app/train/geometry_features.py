"""Geometry features of labelled faces for the geometry member (issue 27, part 4).

Every face of a dataset split, as the dataset readers give it (the app-framed crop: the
detector box plus `ModelConfig.crop_margin` on each side, eye line level; 48 or 64 px gray
for FER+, CK+, RAF-DB, ExpW, IMFDB; SFEW's own colour crops), goes through the app's face
landmarker (FaceMesh V2 + Blendshape V2, app/vision/landmarks.py) with a box that undoes
the margin. Kept per face: the 52 blendshapes and 136 of the 146 landmarks the blendshape
graph reads (not the iris), normalised for position, scale and roll
(`normalise_landmarks`). A face without a mesh (presence < 0.5) is marked `ok` False.

Cached as .npz in the dataset cache (`faceset.cache_dir()`) by set, sample and landmarker
file, so the (slow: ~17 ms a face on one core) pass runs once.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from app.hashing import file_sha256
from app.records import BLENDSHAPE_NAMES, FaceBox
from app.train.faceset import cache_dir
from app.vision.landmarks import BLENDSHAPE_SUBSET, LEFT_EYE_OUTER, RIGHT_EYE_OUTER

FEATURE_VERSION = 1
# The normalised points: the blendshape graph's subset without the ten iris points (which
# add gaze, not expression).
POINTS = np.array([i for i in BLENDSHAPE_SUBSET if i < 468], dtype=np.int64)
N_BLEND = len(BLENDSHAPE_NAMES)
N_FEATURES = N_BLEND + 2 * len(POINTS)


def normalise_landmarks(landmarks: np.ndarray) -> np.ndarray:
    """(478, >=2) frame-pixel landmarks -> (len(POINTS), 2): origin at the midpoint of the
    outer eye corners, x along the eye line, unit = the corners' distance. No position,
    size or roll is left for the classifier to learn."""
    pts = np.asarray(landmarks, dtype=np.float64)[:, :2]
    right, left = pts[RIGHT_EYE_OUTER], pts[LEFT_EYE_OUTER]
    axis = left - right
    dist = float(np.hypot(*axis))
    if not dist > 1e-6:
        raise ValueError("the eye corners coincide: not a usable face mesh")
    cos, sin = axis / dist
    rot = np.array([[cos, -sin], [sin, cos]])  # rotates the eye line onto +x
    return ((pts[POINTS] - (right + left) / 2.0) @ rot) / dist


def features(blendshapes: np.ndarray, landmarks_norm: np.ndarray) -> np.ndarray:
    """The member's input vector(s): blendshapes then the flattened normalised points."""
    b = np.asarray(blendshapes, dtype=np.float32)
    p = np.asarray(landmarks_norm, dtype=np.float32)
    return np.concatenate([b, p.reshape(*b.shape[:-1], -1)], axis=-1)

__all__ = ["N_FEATURES", "POINTS", "crop_box", "extract", "features", "normalise_landmarks",
           "sample_index", "set_features"]


def crop_box(h: int, w: int, margin: float) -> FaceBox:
    """The detector box inside an app-framed crop: the square the margin was added around."""
    side = min(h, w) / (1.0 + 2.0 * margin)
    return FaceBox(int(round((w - side) / 2)), int(round((h - side) / 2)),
                   max(1, int(round(side))), max(1, int(round(side))), 1.0)


def extract(images, landmarker, margin: float) -> dict[str, np.ndarray]:
    """Blendshapes, normalised points and the ok mask for a sequence of crops."""
    n = len(images)
    blend = np.zeros((n, N_BLEND), np.float32)
    points = np.zeros((n, len(POINTS), 2), np.float32)
    ok = np.zeros(n, bool)
    for i, image in enumerate(images):
        h, w = image.shape[:2]
        mesh = landmarker.mesh(image, crop_box(h, w, margin))
        if mesh is None:
            continue
        try:
            points[i] = normalise_landmarks(mesh.landmarks)
        except ValueError:
            continue
        blend[i], ok[i] = mesh.blendshapes, True
    return {"blendshapes": blend, "points": points, "ok": ok}


def sample_index(n: int, limit: int | None, seed: int = 27) -> np.ndarray:
    """All rows, or a seeded sorted sample of `limit` of them."""
    if limit is None or limit >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, limit, replace=False))


def cache_path(kind: str, split: str, n: int, limit: int | None, model: Path) -> Path:
    digest = file_sha256(model)[:12]
    key = f"{kind}|{split}|{n}|{limit}|{digest}|v{FEATURE_VERSION}"
    name = hashlib.sha256(key.encode()).hexdigest()[:16]
    return cache_dir() / f"geometry-{kind}-{split}-{name}.npz"


def set_features(kind: str, split: str, limit: int | None = None, faces=None,
                 landmarker=None) -> dict[str, np.ndarray]:
    """A split's geometry (cached): {"index" (rows of the set), "labels", "blendshapes",
    "points", "ok"}."""
    from app.atomic import atomic_open
    from app.config import ModelConfig
    from app.paths import landmarker_model_path
    from app.train.datasets import load_faces

    faces = faces if faces is not None else load_faces(kind, None, split)
    path = cache_path(kind, split, len(faces), limit, landmarker_model_path())
    if path.is_file():
        with np.load(path) as z:
            return {k: z[k] for k in z.files}
    if landmarker is None:
        from app.vision.landmarks import OpenCVLandmarker

        landmarker = OpenCVLandmarker(track=False)  # stills: no tracking between faces
    index = sample_index(len(faces), limit)
    out = extract([faces.image(int(i)) for i in index], landmarker, ModelConfig().crop_margin)
    out |= {"index": index, "labels": np.asarray(faces.labels)[index]}
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path, "wb") as fh:
        np.savez_compressed(fh, **out)
    return out
