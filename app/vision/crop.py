"""Upright, margin-padded N x N face crops: the paper's normalisation step.

For each detected face the crop is a square around the box centre, enlarged by a margin on
every side, rotated so the eye line is horizontal, and resampled bilinearly to N x N in one
affine warp. Parts of the square outside the frame (faces at the edge) are filled by
replicating the border, so an edge face still gives a full crop. Large faces are first
warped to an intermediate size and then area-averaged, so strong downscaling does not alias.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from app.records import FaceBox, FaceCrop
from app.vision.image import ensure_rgb

RIGHT_EYE, LEFT_EYE = 0, 1  # BlazeFace keypoint order (the subject's right eye comes first)
MAX_TILT_DEG = 45.0  # beyond this the eye keypoints are more likely wrong than the head


def eye_angle(box: FaceBox) -> float:
    """Tilt of the eye line in degrees (0 = level); 0 when keypoints are missing or implausible."""
    if len(box.keypoints) <= LEFT_EYE:
        return 0.0
    (rx, ry), (lx, ly) = box.keypoints[RIGHT_EYE], box.keypoints[LEFT_EYE]
    if lx - rx <= 0:  # eyes swapped or profile view: do not trust the line
        return 0.0
    angle = math.degrees(math.atan2(ly - ry, lx - rx))
    return angle if abs(angle) <= MAX_TILT_DEG else 0.0


class FaceCropper:
    """Makes `FaceCrop`s of side `size` from an RGB frame and detector boxes."""

    def __init__(self, size: int = 96, margin: float = 0.2, min_face_px: int = 0,
                 align: bool = True) -> None:
        if size < 8:
            raise ValueError(f"crop size must be at least 8 pixels, got {size}")
        if not 0.0 <= margin <= 1.0:
            raise ValueError(f"margin must lie in [0, 1], got {margin}")
        self.size = size
        self.margin = margin
        self.min_face_px = min_face_px
        self.align = align

    def accepts(self, box: FaceBox) -> bool:
        """Whether a box is large enough to be worth classifying."""
        return min(box.w, box.h) >= self.min_face_px

    def crop(self, image: np.ndarray, box: FaceBox) -> FaceCrop:
        image = ensure_rgb(image)
        angle = eye_angle(box) if self.align else 0.0
        side = max(box.w, box.h) * (1.0 + 2.0 * self.margin)
        cx, cy = box.x + box.w / 2.0, box.y + box.h / 2.0
        # Warp to at most 2N first, then area-average down to N (anti-aliasing).
        out = self.size if side <= 2 * self.size else 2 * self.size
        scale = side / out
        rad = math.radians(angle)
        cos, sin = math.cos(rad) * scale, math.sin(rad) * scale
        half = out / 2.0
        # Inverse map: output pixel (u, v) -> source point (rotation by the eye angle).
        matrix = np.array([[cos, -sin, cx - cos * half + sin * half],
                           [sin, cos, cy - sin * half - cos * half]], dtype=np.float64)
        crop = cv2.warpAffine(image, matrix, (out, out), flags=cv2.INTER_LINEAR
                              | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
        if out != self.size:
            crop = cv2.resize(crop, (self.size, self.size), interpolation=cv2.INTER_AREA)
        return FaceCrop(box=box, image=np.ascontiguousarray(crop), angle_deg=angle)

    def crop_all(self, image: np.ndarray, boxes: list[FaceBox]) -> list[FaceCrop]:
        """Crops for the boxes large enough to classify, in the order given."""
        image = ensure_rgb(image)
        return [self.crop(image, b) for b in boxes if self.accepts(b)]
