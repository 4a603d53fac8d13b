"""A tiny video file for the fault tests that run the real capture path (booth, privacy)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def grey_video(path: Path, frames: int) -> Path:
    """`frames` frames of 160x120 MJPG at 10 fps, each a shade brighter than the last (no
    face: these tests need frames flowing, not expressions)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (160, 120))
    for i in range(frames):
        writer.write(np.full((120, 160, 3), 40 + i, np.uint8))
    writer.release()
    return path
