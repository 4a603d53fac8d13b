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
    i = 0
    for duration, emotion, p in segments:
        for _ in range(round(duration * fps)):
            yield i / fps, emotion, p  # from a frame count: no float drift
            i += 1


def states(segments: list[tuple[float, str | None, float]], fps: float = 10.0):
    """Yield (t, EmotionState) per frame for segments of (duration_s, emotion, confidence).

    The emotion is taken as the smoother's stable state as given (None = no face), so
    policy tests exercise the policy's own rules, not the smoother's.
    """
    from app.records import EmotionState

    since = 0.0
    previous = "start"
    for t, emotion, conf in stream(segments, fps):
        if emotion != previous:
            since, previous = t, emotion
        probs = probs_of(emotion or "neutral", conf if emotion else 1 / NUM_CLASSES)
        yield t, EmotionState(emotion, conf if emotion else 0.0, probs, since,
                              emotion is not None)
