"""One face's geometry record: the 478 landmarks and 52 blendshapes of the face landmarker
(vision/landmarks.py), read by face gestures, profiles and the UI."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
