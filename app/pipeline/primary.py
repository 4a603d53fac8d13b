"""Which face drives the app: the largest, or the one the user pinned by clicking (no Qt).

A pin is a point in frame pixels. Each frame the face whose centre is nearest the pin (and
within about one face size of it) becomes primary, and the pin follows that face's centre,
so a pinned face stays pinned while it moves. When the pinned face is gone the largest face
drives meanwhile, and the pin waits for its face to come back.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from app.records import FaceBox, FaceResult, FrameResult

Point = tuple[float, float]


def centre(box: FaceBox) -> Point:
    return (box.x + box.w / 2.0, box.y + box.h / 2.0)


def face_at(faces: Sequence[FaceResult], x: float, y: float) -> int | None:
    """Index of the face whose box holds (x, y) (the smallest when boxes overlap), or None."""
    hits = [i for i, f in enumerate(faces)
            if f.box.x <= x < f.box.x + f.box.w and f.box.y <= y < f.box.y + f.box.h]
    return min(hits, key=lambda i: faces[i].box.area) if hits else None


def pick_primary(faces: Sequence[FaceResult], pin: Point | None) -> tuple[int | None,
                                                                           Point | None]:
    """(primary index, updated pin) for one frame's faces."""
    if not faces:
        return None, pin
    largest = max(range(len(faces)), key=lambda i: faces[i].box.area)
    if pin is None:
        return largest, None

    def distance(i: int) -> float:
        cx, cy = centre(faces[i].box)
        return math.hypot(cx - pin[0], cy - pin[1])

    nearest = min(range(len(faces)), key=distance)
    box = faces[nearest].box
    if distance(nearest) <= max(box.w, box.h):
        return nearest, centre(box)
    return largest, pin


def with_primary(result: FrameResult, primary: int | None) -> FrameResult:
    """The same result with another primary face."""
    if primary == result.primary:
        return result
    return dataclasses.replace(result, primary=primary)
