"""Replay recognised probabilities through a `FrameSession` (no video, no model).

`bench-control --from-probs` compares control settings on one recognition pass, and tests
drive the control chain with a synthetic classifier; both must still run the app's own
session (main face, smoother, gestures, music), so the recognition is replaced, not the
session: `ProbsProcessor` is a processor whose "faces" are given probability rows.
"""

from __future__ import annotations

import numpy as np

from app.records import FaceBox, FaceResult, Frame, FrameResult, Prediction

_BOX = FaceBox(0, 0, 1, 1, 1.0)
_PIXEL = np.zeros((1, 1, 3), dtype=np.uint8)


def replay_frame(index: int, t: float) -> Frame:
    """A stand-in frame at video time `t` (one black pixel: nothing looks at the image)."""
    return Frame(index, float(t), _PIXEL, "replay")


class ProbsProcessor:
    """Answers frame k with one face whose fused prediction is `rows[k]` (a NaN row or
    None = no face); frames are matched by their index."""

    device = "cpu"

    def __init__(self, rows) -> None:
        self.rows = rows

    def process(self, frame: Frame, dropped: int = 0) -> FrameResult:
        row = self.rows[frame.index]
        if row is None or np.isnan(row).any():
            faces: tuple[FaceResult, ...] = ()
        else:
            faces = (FaceResult(_BOX, Prediction(np.asarray(row, dtype=np.float64))),)
        return FrameResult(frame, faces, None, {}, dropped=dropped)

    def close(self) -> None:
        pass
