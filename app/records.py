"""The small frozen records that travel along the path of one frame.

camera -> Frame -> detector -> FaceBox -> cropper -> FaceCrop -> predictor -> Prediction
-> smoother -> EmotionState -> gestures -> GestureEvent -> music -> MusicAction, all
gathered in one FrameResult per processed frame (what the UI paints). Each is validated
once, where it is made, so later stages can trust shapes, dtypes and ranges. They live
together here, below every package, so no stage imports another stage for its messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

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


# MediaPipe Blendshape V2's 52 outputs, in its order (face_blendshapes_graph.cc).
BLENDSHAPE_NAMES: tuple[str, ...] = (
    "_neutral", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft",
    "browOuterUpRight", "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft",
    "eyeBlinkRight", "eyeLookDownLeft", "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight",
    "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight", "eyeSquintLeft",
    "eyeSquintRight", "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft", "jawOpen",
    "jawRight", "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft",
    "mouthFrownRight", "mouthFunnel", "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthPressLeft", "mouthPressRight", "mouthPucker", "mouthRight", "mouthRollLower",
    "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft", "mouthSmileRight",
    "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight",
    "noseSneerLeft", "noseSneerRight")
NUM_LANDMARKS = 478


@dataclass(frozen=True)
class FaceMesh:
    """One face's geometry, computed once per frame (vision/landmarks.py) and read by face
    gestures, profiles and the UI: `landmarks` (478, 3) float32 in frame pixels (z on the
    x scale, smaller = nearer), `blendshapes` (52,) float32 in [0, 1] in `BLENDSHAPE_NAMES`
    order, head `pose` (yaw, pitch, roll) in degrees, `presence` the model's face score."""

    landmarks: np.ndarray
    blendshapes: np.ndarray
    pose: tuple[float, float, float] = (0.0, 0.0, 0.0)
    presence: float = 1.0

    def __post_init__(self) -> None:
        lm = np.asarray(self.landmarks, dtype=np.float32)
        bs = np.asarray(self.blendshapes, dtype=np.float32)
        if lm.shape != (NUM_LANDMARKS, 3) or not np.all(np.isfinite(lm)):
            raise ValueError(f"FaceMesh.landmarks must be finite ({NUM_LANDMARKS}, 3), "
                             f"got {lm.shape}")
        if bs.shape != (len(BLENDSHAPE_NAMES),) or not np.all(np.isfinite(bs)):
            raise ValueError(f"FaceMesh.blendshapes must be finite ({len(BLENDSHAPE_NAMES)},), "
                             f"got {bs.shape}")
        if not 0.0 <= self.presence <= 1.0:
            raise ValueError(f"FaceMesh.presence must lie in [0, 1], got {self.presence}")
        bs = np.clip(bs, 0.0, 1.0)
        lm.setflags(write=False)
        bs.setflags(write=False)
        object.__setattr__(self, "landmarks", lm)
        object.__setattr__(self, "blendshapes", bs)
        object.__setattr__(self, "pose", tuple(float(v) for v in self.pose))

    def score(self, name: str) -> float:
        return float(self.blendshapes[BLENDSHAPE_NAMES.index(name)])

    def normalised(self) -> np.ndarray:
        """(478, 3) landmarks with position, scale and roll taken out: centred on the
        eyes' midpoint, the outer eye corners (33, 263) on the x axis one unit apart."""
        lm = self.landmarks.astype(np.float64)
        right, left = lm[33], lm[263]
        span = left[:2] - right[:2]
        dist = float(np.hypot(*span)) or 1.0
        cos, sin = span / dist
        rot = np.array([[cos, sin], [-sin, cos]])
        out = lm - (right + left) / 2.0
        out[:, :2] = out[:, :2] @ rot.T
        return (out / dist).astype(np.float32)


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


# Actions a gesture may be mapped to; the music controller executes them.
GESTURE_ACTIONS: tuple[str, ...] = (
    "next", "previous", "play_pause", "lock", "volume_up", "volume_down")


# Face gestures (music/face_gestures.py): names used in settings, profiles and scripts.
FACE_GESTURE_NAMES: tuple[str, ...] = (
    "mouth_open", "smile", "smile_left", "smile_right", "brows_up", "brow_left_up",
    "brow_right_up", "brows_down", "pucker", "roll_lower_lip", "blink", "blink_left",
    "blink_right")
# A face gesture measured but bound to nothing (bench-control's requested gestures): the
# session records it and never hands it to the music.
MARK_ACTION = "mark"
GESTURE_KINDS: tuple[str, ...] = ("expression", "face")


@dataclass(frozen=True)
class GestureEvent:
    """A fired gesture: the mapped `action`, what was held (`emotion`: an expression, or a
    face-gesture name when `kind` is "face") and the time `t` it fired."""

    action: str
    emotion: str
    t: float
    held_s: float = 0.0
    kind: str = "expression"

    def __post_init__(self) -> None:
        if self.kind not in GESTURE_KINDS:
            raise ValueError(f"unknown gesture kind {self.kind!r}; expected one of "
                             f"{GESTURE_KINDS}")
        allowed = GESTURE_ACTIONS + ((MARK_ACTION,) if self.kind == "face" else ())
        if self.action not in allowed:
            raise ValueError(f"unknown gesture action {self.action!r}; "
                             f"expected one of {allowed}")
        names = EMOTIONS if self.kind == "expression" else FACE_GESTURE_NAMES
        if self.emotion not in names:
            raise ValueError(f"unknown {self.kind} gesture {self.emotion!r}; "
                             f"expected one of {names}")

    @property
    def reason(self) -> str:
        return f"gesture: held {self.emotion} {self.held_s:.1f} s -> {self.action}"


HOLD_STATES: tuple[str, ...] = ("armed", "fired", "cancelled")


@dataclass(frozen=True)
class HoldProgress:
    """The face gesture being held, for the overlay: `fraction` of its hold time done;
    `state` armed (filling), fired (done, shown briefly) or cancelled (let go early)."""

    gesture: str
    fraction: float
    state: str
    action: str = ""

    def __post_init__(self) -> None:
        if self.gesture not in FACE_GESTURE_NAMES:
            raise ValueError(f"unknown face gesture {self.gesture!r}")
        if self.state not in HOLD_STATES:
            raise ValueError(f"hold state must be one of {HOLD_STATES}, got {self.state!r}")
        if not 0.0 <= self.fraction <= 1.0:
            raise ValueError(f"hold fraction must lie in [0, 1], got {self.fraction}")


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


# ---- the guided check, stepped by the session (pipeline/check.py), painted by the UI ------
class CheckPhase(StrEnum):
    """Where the guided check stands (a str, so it reads and logs as its name)."""

    IDLE = "idle"
    COUNTDOWN = "countdown"
    RECORDING = "recording"
    DONE = "done"


@dataclass(frozen=True)
class CheckStatus:
    """Where the check stands: `phase` is idle, countdown, recording or done; `target` the
    asked-for label; `step` its position (0-based) of `total`; `remaining_s` the seconds
    left in the current phase."""

    phase: CheckPhase
    target: str | None
    step: int
    total: int
    remaining_s: float


@dataclass(frozen=True)
class CheckState:
    """The guided check as of one frame: its `status`, the asked-for `order` and timing,
    the counts (rows = asked-for label, columns = predicted, in `EMOTIONS` order), the
    frames without a face or prediction per asked-for label, and `run`, which numbers the
    checks handed to the session (a result of an earlier run is stale). Tuples, so two
    states compare equal exactly when every figure is the same."""

    status: CheckStatus
    order: tuple[str, ...]
    seconds: float
    countdown_s: float
    counts: tuple[tuple[int, ...], ...]
    no_face: tuple[int, ...]
    run: int = 0

    def __post_init__(self) -> None:
        if len(self.counts) != NUM_CLASSES or any(len(r) != NUM_CLASSES for r in self.counts) \
                or len(self.no_face) != NUM_CLASSES:
            raise ValueError(f"check counts must be {NUM_CLASSES} x {NUM_CLASSES} and no_face "
                             f"{NUM_CLASSES} long")

    @property
    def running(self) -> bool:
        return self.status.phase in (CheckPhase.COUNTDOWN, CheckPhase.RECORDING)

    @property
    def frames(self) -> int:
        return sum(map(sum, self.counts))
