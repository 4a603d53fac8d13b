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

from app.errors import Kind, UserError, file_name, model_file_error
from app.paths import face_model_path
from app.records import FaceBox


class DetectorError(UserError, RuntimeError):
    """The face detector cannot start (missing package or model file); `kind` per
    app.errors (a missing model file by default)."""

    def __init__(self, message: str, kind: Kind = Kind.MISSING, detail: str = "") -> None:
        super().__init__(kind, message, detail)

    @classmethod
    def from_load(cls, path: Path | str, exc: BaseException) -> DetectorError:
        """A face model file the backend could not load: its kind, the library's text
        logged at debug level only."""
        kind = model_file_error(path, exc, role="face-detection model").kind
        return cls(f"The face-detection model {file_name(path)} is damaged or unreadable: run "
                   "scripts/fetch_face_model.py (or ./scripts/setup.sh) to restore it.", kind)


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

