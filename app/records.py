"""The small frozen records that travel along the path of one frame.

camera -> Frame -> detector -> FaceBox -> cropper -> FaceCrop -> predictor -> Prediction
-> FrameResult (one per processed frame, what the UI paints). Each is validated once, where
it is made, so later stages can trust shapes, dtypes and ranges.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from app.labels import EMOTIONS, NUM_CLASSES


def _check_image(image: np.ndarray, what: str) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise ValueError(f"{what} must be a uint8 numpy array, got {type(image).__name__}"
                         f" {getattr(image, 'dtype', '')}")
    if image.ndim != 3 or image.shape[2] != 3 or image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"{what} must be H x W x 3 (RGB), got shape {image.shape}")


@dataclass(frozen=True)
class Frame:
    """One RGB video frame; `timestamp` is `time.monotonic()` seconds at capture."""

    index: int
    timestamp: float
    image: np.ndarray
    source: str = ""

    def __post_init__(self) -> None:
        _check_image(self.image, "Frame.image")


@dataclass(frozen=True)
class FaceBox:
    """A detected face: box in frame pixels, detector score in [0, 1], keypoints (x, y).

    BlazeFace keypoints, in order: right eye, left eye (the subject's), nose tip, mouth
    centre, right ear tragion, left ear tragion.
    """

    x: int
    y: int
    w: int
    h: int
    score: float
    keypoints: tuple[tuple[float, float], ...] = ()

    def __post_init__(self) -> None:
        if self.w <= 0 or self.h <= 0:
            raise ValueError(f"FaceBox needs a positive size, got {self.w} x {self.h}")
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"FaceBox score must lie in [0, 1], got {self.score}")

    @property
    def area(self) -> int:
        return self.w * self.h

    def as_list(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]


@dataclass(frozen=True)
class FaceCrop:
    """An upright, margin-padded face resized bilinearly to N x N (RGB uint8)."""

    box: FaceBox
    image: np.ndarray
    angle_deg: float = 0.0

    def __post_init__(self) -> None:
        _check_image(self.image, "FaceCrop.image")
        if self.image.shape[0] != self.image.shape[1]:
            raise ValueError(f"FaceCrop.image must be square, got {self.image.shape}")


def _check_probs(p: np.ndarray, what: str) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    if p.shape != (NUM_CLASSES,):
        raise ValueError(f"{what} must have shape ({NUM_CLASSES},), got {p.shape}")
    if not np.all(np.isfinite(p)) or np.any(p < -1e-9) or abs(p.sum() - 1.0) > 1e-4:
        raise ValueError(f"{what} must be a probability vector, got {p}")
    return p


@dataclass(frozen=True)
class Prediction:
    """Fused class probabilities for one face, and each member model's own."""

    probs: np.ndarray
    members: dict[str, np.ndarray] = field(default_factory=dict)
    fusion: str = "product"

    def __post_init__(self) -> None:
        object.__setattr__(self, "probs", _check_probs(self.probs, "Prediction.probs"))
        checked = {k: _check_probs(v, f"Prediction.members[{k!r}]")
                   for k, v in self.members.items()}
        object.__setattr__(self, "members", checked)

    @property
    def index(self) -> int:
        return int(np.argmax(self.probs))

    @property
    def emotion(self) -> str:
        return EMOTIONS[self.index]

    @property
    def confidence(self) -> float:
        return float(self.probs[self.index])

    def as_dict(self, p: np.ndarray | None = None) -> dict[str, float]:
        """The probabilities keyed by label (fused ones unless `p` is given)."""
        vec = self.probs if p is None else p
        return {name: round(float(v), 6) for name, v in zip(EMOTIONS, vec, strict=True)}


@dataclass(frozen=True)
class FaceResult:
    """One face of a processed frame."""

    box: FaceBox
    prediction: Prediction | None


@dataclass(frozen=True)
class FrameResult:
    """Everything the UI needs to paint one processed frame; `timings_ms` per stage."""

    frame: Frame
    faces: tuple[FaceResult, ...]
    primary: int | None
    timings_ms: dict[str, float]
    dropped: int = 0
    device: str = "cpu"
    state: object | None = None  # pipeline.smoothing.EmotionState, kept loose to avoid a cycle

    def __post_init__(self) -> None:
        if self.primary is not None and not 0 <= self.primary < len(self.faces):
            raise ValueError(f"primary face {self.primary} out of range ({len(self.faces)} faces)")

    @property
    def primary_face(self) -> FaceResult | None:
        return None if self.primary is None else self.faces[self.primary]
