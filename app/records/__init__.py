"""The small frozen records that travel along the path of one frame.

camera -> Frame -> detector -> FaceBox -> cropper -> FaceCrop -> predictor -> Prediction
-> smoother -> EmotionState -> gestures -> GestureEvent -> music -> MusicAction, all
gathered in one FrameResult per processed frame (what the UI paints). Each is validated
once, where it is made, so later stages can trust shapes, dtypes and ranges. They live
together here, below every package, so no stage imports another stage for its messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from app.labels import EMOTIONS, NUM_CLASSES
from app.records.check import CheckPhase, CheckState, CheckStatus
from app.records.gestures import (
    FACE_GESTURE_NAMES,
    GESTURE_ACTIONS,
    GESTURE_KINDS,
    HOLD_STATES,
    MARK_ACTION,
    GestureEvent,
    HoldProgress,
)
from app.records.mesh import BLENDSHAPE_NAMES, NUM_LANDMARKS, FaceMesh

__all__ = ["BLENDSHAPE_NAMES", "FACE_GESTURE_NAMES", "GESTURE_ACTIONS", "GESTURE_KINDS",
           "HOLD_STATES", "MARK_ACTION",
           "NUM_LANDMARKS", "CheckPhase", "CheckState", "CheckStatus", "EmotionState",
           "FaceBox", "FaceCrop", "FaceMesh", "FaceResult", "Frame", "FrameResult",
           "GestureEvent", "HoldProgress", "MusicAction", "Prediction", "check_probs"]


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


def check_probs(p: np.ndarray, what: str, normalise: bool = False) -> np.ndarray:
    """`p` as float64 after checking it is a probability vector over the classes.

    With `normalise`, any finite, non-negative, not-all-zero vector is accepted and scaled
    to sum to 1 (what the smoother takes); without, it must already sum to 1.
    """
    p = np.asarray(p, dtype=np.float64)
    if p.shape != (NUM_CLASSES,):
        raise ValueError(f"{what} must have shape ({NUM_CLASSES},), got {p.shape}")
    if normalise:
        if not np.all(np.isfinite(p)) or np.any(p < 0) or p.sum() <= 0:
            raise ValueError(f"{what} must be finite, non-negative and not all zero: {p}")
        return p / p.sum()
    if not np.all(np.isfinite(p)) or np.any(p < -1e-9) or abs(p.sum() - 1.0) > 1e-4:
        raise ValueError(f"{what} must be a probability vector, got {p}")
    return p


@dataclass(frozen=True)
class Prediction:
    """Fused class probabilities for one face, and each member model's own."""

    probs: np.ndarray
    members: dict[str, np.ndarray] = field(default_factory=dict)
    fusion: str = "product"
    # Each member's penultimate activations, only while a personal profile needs them
    # (`Predictor.embed`); the profile's head reads them (app/profiles).
    embeddings: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "probs", check_probs(self.probs, "Prediction.probs"))
        checked = {k: check_probs(v, f"Prediction.members[{k!r}]")
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
    """One face of a processed frame; `mesh` only where the landmarker ran (the main face)."""

    box: FaceBox
    prediction: Prediction | None
    mesh: FaceMesh | None = None


@dataclass(frozen=True)
class EmotionState:
    """The smoothed state after one update (made by `pipeline.smoothing.EmotionSmoother`).

    `emotion` is None while no emotion has won yet or after the face was lost;
    `confidence` is the smoothed probability of `emotion` (0 when None); `probs` the
    smoothed probabilities (uniform when no face); `since` the time the current
    `emotion` (or "no face") began; `face_present` False once the face-lost timeout passed.
    """

    emotion: str | None
    confidence: float
    probs: np.ndarray
    since: float
    face_present: bool

    def __post_init__(self) -> None:
        probs = np.asarray(self.probs, dtype=np.float64)
        if probs.shape != (NUM_CLASSES,):
            raise ValueError(f"EmotionState.probs must have shape ({NUM_CLASSES},), "
                             f"got {probs.shape}")
        probs.setflags(write=False)
        object.__setattr__(self, "probs", probs)
        if self.emotion is not None and self.emotion not in EMOTIONS:
            raise ValueError(f"unknown emotion {self.emotion!r}; expected one of {EMOTIONS}")
        if not 0.0 <= self.confidence <= 1.0 + 1e-9:
            raise ValueError(f"confidence must lie in [0, 1], got {self.confidence}")


ACTION_KINDS: tuple[str, ...] = (
    "switch", "queue", "play", "pause", "next", "previous", "volume", "lock", "unlock",
    "skip", "reset")
ACTION_SOURCES: tuple[str, ...] = ("policy", "manual", "gesture", "player", "booth")


@dataclass(frozen=True)
class MusicAction:
    """One thing the music did, and why; `playlist` is the emotion whose playlist is meant."""

    kind: str
    t: float
    reason: str
    source: str = "policy"
    playlist: str | None = None
    volume: int | None = None
    ramp_s: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in ACTION_KINDS:
            raise ValueError(f"unknown music action {self.kind!r}; expected one of {ACTION_KINDS}")
        if self.source not in ACTION_SOURCES:
            raise ValueError(f"unknown action source {self.source!r}")
        if self.playlist is not None and self.playlist not in EMOTIONS:
            raise ValueError(f"unknown playlist {self.playlist!r}; expected one of {EMOTIONS}")
        if self.volume is not None and not 0 <= self.volume <= 100:
            raise ValueError(f"volume must lie in 0..100, got {self.volume}")


@dataclass(frozen=True)
class FrameResult:
    """Everything the UI needs to paint one processed frame; `timings_ms` per stage.

    `primary` is the main face; `state` the smoothed state, `gesture` the gesture fired
    on this frame and `actions` what the music did for it (all filled by
    `pipeline.session.FrameSession`; a bare `FrameProcessor` result leaves them empty).
    """

    frame: Frame
    faces: tuple[FaceResult, ...]
    primary: int | None
    timings_ms: dict[str, float]
    dropped: int = 0
    device: str = "cpu"
    state: EmotionState | None = None
    gesture: GestureEvent | None = None
    actions: tuple[MusicAction, ...] = ()
    check: CheckState | None = None  # the guided check as of this frame (issue 23, move 5)
    hold: HoldProgress | None = None  # the face gesture being held (overlay, gestures page)
    # Each face gesture's (rise above neutral, threshold) as the detector saw them.
    face_levels: dict[str, tuple[float, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.primary is not None and not 0 <= self.primary < len(self.faces):
            raise ValueError(f"primary face {self.primary} out of range ({len(self.faces)} faces)")

    @property
    def primary_face(self) -> FaceResult | None:
        return None if self.primary is None else self.faces[self.primary]
