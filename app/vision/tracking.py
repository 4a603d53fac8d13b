"""Detect every k frames, track cheaply between: a `FaceDetector` that wraps another.

BlazeFace costs about 4 ms a 640 x 480 frame here, as much as both CNNs together, while a
face moves only a few pixels between frames. `TrackingDetector` runs the real detector on
every k-th frame and in between finds each face again by normalised cross-correlation of
a small grey template (the face at the last detection, shrunk to ~32 px) inside a window
around its last position (well under a millisecond). Only translation is tracked; scale
and tilt come back with the next detection, k frames later at most.

It stays correct by falling back: when any face's match is weak (occlusion, a turn, a cut
in the video) the real detector runs on that very frame, and the count restarts. A frame
whose detection found no face is detected again on the next frame, so a face that appears
is found at once. k = 1 is the plain detector.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from app.records import FaceBox
from app.vision.base import FaceDetector

TEMPLATE_PX = 32  # template width after shrinking: enough texture, trivial to match


@dataclass(frozen=True)
class _Track:
    box: FaceBox
    template: np.ndarray  # grey, shrunk by `scale`
    scale: float


def _grey(image: np.ndarray, x0: int, y0: int, x1: int, y1: int, scale: float) -> np.ndarray:
    patch = np.ascontiguousarray(image[y0:y1, x0:x1])
    grey = cv2.cvtColor(patch, cv2.COLOR_RGB2GRAY) if patch.ndim == 3 else patch
    w = max(1, round((x1 - x0) * scale))
    h = max(1, round((y1 - y0) * scale))
    return cv2.resize(grey, (w, h), interpolation=cv2.INTER_AREA)


class TrackingDetector:
    """Runs `detector` every `every` frames; tracks the boxes by template matching between.

    `search` is the margin (fraction of the box size) searched around the last position;
    `min_match` the normalised correlation below which tracking gives up and detects.
    Counters `detections` and `tracked` say how often each path ran.
    """

    def __init__(self, detector: FaceDetector, every: int = 3, search: float = 0.35,
                 min_match: float = 0.6) -> None:
        if every < 1:
            raise ValueError(f"every must be >= 1 (1 = detect every frame), got {every}")
        if not 0.0 < search <= 2.0:
            raise ValueError(f"search must lie in (0, 2], got {search}")
        if not -1.0 <= min_match <= 1.0:
            raise ValueError(f"min_match must lie in [-1, 1], got {min_match}")
        self.detector = detector
        self.every = every
        self.search = search
        self.min_match = min_match
        self._tracks: list[_Track] = []
        self._since_detect = 0
        self.detections = 0
        self.tracked = 0

    def detect(self, image: np.ndarray, timestamp_ms: int | None = None) -> list[FaceBox]:
        if self._tracks and self._since_detect < self.every - 1:
            boxes = self._track(image)
            if boxes is not None:
                self._since_detect += 1
                self.tracked += 1
                return boxes
        return self._detect(image, timestamp_ms)

    def _detect(self, image: np.ndarray, timestamp_ms: int | None) -> list[FaceBox]:
        boxes = self.detector.detect(image, timestamp_ms)
        self.detections += 1
        self._since_detect = 0
        height, width = image.shape[:2]
        self._tracks = []
        for box in boxes:
            scale = min(1.0, TEMPLATE_PX / max(box.w, 1))
            x1, y1 = min(width, box.x + box.w), min(height, box.y + box.h)
            if x1 - box.x < 4 or y1 - box.y < 4:
                continue
            self._tracks.append(_Track(box, _grey(image, box.x, box.y, x1, y1, scale), scale))
        return boxes

    def _track(self, image: np.ndarray) -> list[FaceBox] | None:
        """Boxes moved to their best match, or None when any face was lost."""
        height, width = image.shape[:2]
        moved: list[FaceBox] = []
        for track in self._tracks:
            box = track.box
            mx, my = int(box.w * self.search), int(box.h * self.search)
            x0, y0 = max(0, box.x - mx), max(0, box.y - my)
            x1, y1 = min(width, box.x + box.w + mx), min(height, box.y + box.h + my)
            window = _grey(image, x0, y0, x1, y1, track.scale)
            th, tw = track.template.shape
            if window.shape[0] < th or window.shape[1] < tw:
                return None
            scores = cv2.matchTemplate(window, track.template, cv2.TM_CCOEFF_NORMED)
            _, best, _, (bx, by) = cv2.minMaxLoc(scores)
            if not np.isfinite(best) or best < self.min_match:
                return None
            nx = int(round(x0 + bx / track.scale))
            ny = int(round(y0 + by / track.scale))
            nx = min(max(0, nx), max(0, width - box.w))
            ny = min(max(0, ny), max(0, height - box.h))
            dx, dy = nx - box.x, ny - box.y
            keypoints = tuple((kx + dx, ky + dy) for kx, ky in box.keypoints)
            moved.append(replace(box, x=nx, y=ny, keypoints=keypoints))
        return moved

    def close(self) -> None:
        self.detector.close()


__all__ = ["TrackingDetector"]
