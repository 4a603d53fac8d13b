"""Shared helpers for the music tests: probability vectors and scripted streams."""

from __future__ import annotations

import numpy as np

from app.labels import EMOTIONS, NUM_CLASSES


def probs_of(emotion: str | None, p: float = 0.9) -> np.ndarray | None:
    """A probability vector with `p` on `emotion` and the rest spread evenly (None = no face)."""
    if emotion is None:
        return None
    v = np.full(NUM_CLASSES, (1.0 - p) / (NUM_CLASSES - 1))
    v[EMOTIONS.index(emotion)] = p
    return v


def stream(segments: list[tuple[float, str | None, float]], fps: float = 30.0):
    """Yield (t, emotion, p) per frame for segments of (duration_s, emotion, prob)."""
    t = 0.0
    for duration, emotion, p in segments:
        for _ in range(round(duration * fps)):
            yield t, emotion, p
            t += 1.0 / fps
