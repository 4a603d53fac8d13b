"""What every face detector shares: the protocol, its error and the model-file check.

Kept apart from the implementations so `detector.py` (the factory and the MediaPipe
backend) and `blazeface.py` (the cv2.dnn backend) both import this module and never each
other: no import loop, and a new backend needs only this file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import numpy as np

from app.paths import face_model_path
from app.records import FaceBox


class DetectorError(RuntimeError):
    """The face detector cannot start (missing package or model file)."""


class FaceDetector(Protocol):
    """Finds faces in an RGB frame; returns boxes in frame pixels, best score first."""

    def detect(self, image: np.ndarray, timestamp_ms: int | None = None) -> list[FaceBox]: ...

    def close(self) -> None: ...


def checked_model_path(model_path: str | os.PathLike | None, mode: str) -> Path:
    """The BlazeFace model file a detector will load (the shipped one by default), after
    checking the mode; DetectorError saying how to restore a missing file."""
    if mode not in ("image", "video"):
        raise ValueError(f"mode must be 'image' or 'video', got {mode!r}")
    path = Path(model_path) if model_path else face_model_path()
    if not path.is_file():
        raise DetectorError(f"face-detection model not found at {path}; run "
                            "./scripts/setup.sh (or scripts/fetch_face_model.py) to restore it")
    return path
