"""Fakes for the UI tests: a list-of-frames source, a scripted processor, and results made
directly (for counting tests that must not depend on thread timing)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from app.labels import EMOTIONS, INDEX
from app.records import EmotionState, FaceBox, FaceResult, Frame, FrameResult, Prediction

T0 = 1000.0


def onehot(name: str, p: float = 0.9) -> np.ndarray:
    v = np.full(len(EMOTIONS), (1.0 - p) / (len(EMOTIONS) - 1))
    v[INDEX[name]] = p
    return v


def frame(index: int, t: float, size: tuple[int, int] = (160, 120)) -> Frame:
    image = np.full((size[1], size[0], 3), 90, dtype=np.uint8)
    return Frame(index, t, image, "fake")


class ListSource:
    """Plays `n` synthetic frames at `fps` (timestamps T0 + k / fps); `loop` never ends."""

    def __init__(self, n: int = 20, fps: float = 30.0, loop: bool = False) -> None:
        self.n, self.fps, self.loop = n, fps, loop
        self.description = "fake camera"
        self.k = 0
        self.closed = False

    def read(self) -> Frame | None:
        if self.closed or (self.k >= self.n and not self.loop):
            return None
        f = frame(self.k, T0 + self.k / self.fps)
        self.k += 1
        return f

    def close(self) -> None:
        self.closed = True


def face_result(box: FaceBox, emotion: str | None) -> FaceResult:
    if emotion is None:
        return FaceResult(box, None)
    probs = onehot(emotion)
    return FaceResult(box, Prediction(probs, {"cnn1": onehot(emotion, 0.7),
                                              "cnn2": onehot(emotion, 0.8)}))


BIG = FaceBox(10, 10, 60, 60, 0.9)
SMALL = FaceBox(100, 20, 30, 30, 0.8)


class ScriptedProcessor:
    """Shows what `script(frame)` says: an emotion (one face), None (no face), a list of
    emotions (one face each: big then small), or an exception to raise."""

    def __init__(self, script: Callable[[Frame], object]) -> None:
        self.script = script
        self.closed = False
        self.device = "cpu"

    def process(self, f: Frame, dropped: int = 0) -> FrameResult:
        shown = self.script(f)
        if isinstance(shown, Exception):
            raise shown
        if shown is None:
            faces = ()
        elif isinstance(shown, list):
            faces = tuple(face_result(b, e) for b, e in zip((BIG, SMALL), shown, strict=False))
        else:
            faces = (face_result(BIG, shown),)
        primary = 0 if faces else None
        timings = {"detect": 1.0, "crop": 0.1, "cnn1": 2.0, "cnn2": 3.0, "fusion": 0.1,
                   "total": 6.2}
        return FrameResult(f, faces, primary, timings, dropped=dropped, device="cpu")

    def close(self) -> None:
        self.closed = True


def direct_result(t: float, emotion: str | None, face_present: bool | None = None,
                  index: int = 0, state_emotion: str | None = None) -> FrameResult:
    """A finished result (with a smoothed state) as the worker would emit it."""
    faces = () if emotion is None else (face_result(BIG, emotion),)
    present = (emotion is not None) if face_present is None else face_present
    probs = onehot(state_emotion or emotion) if (state_emotion or emotion) else \
        np.full(7, 1 / 7)
    state = EmotionState(state_emotion, 0.9 if state_emotion else 0.0, probs, t - 1.0, present)
    return FrameResult(frame(index, t), faces, 0 if faces else None,
                       {"detect": 4.0, "cnn1": 3.0, "cnn2": 14.0, "total": 22.0},
                       dropped=2, device="cpu", state=state)


class PromptedPerson:
    """A 10 fps camera in front of a person (`bank`: faces per expression) who makes
    whatever the window's calibration asks for (its check, read only: a cooperative
    user); before the check no one sits there, after it the person shows `after`."""

    fps = 10.0
    description = "fake camera (a person following the prompts)"

    def __init__(self, bank, window, after: str | None = None, size=(320, 240),
                 face_px: int = 120) -> None:
        self.bank, self.window, self.after = bank, window, after
        self.size, self.face_px, self.k = size, face_px, 0

    def read(self) -> Frame:
        from app.capture.facevideo import compose_frame

        t = self.k / self.fps
        flow, check = self.window.calibration, self.window.check
        shown = None if flow.started_at is None else self.after
        if flow.started_at is not None and flow.state == "recording":
            step = int((t - flow.started_at) // (check.countdown_s + check.seconds))
            if 0 <= step < len(check.order):
                shown = check.order[step]
        faces = self.bank.get(shown)
        face = faces[int(t * 2) % len(faces)] if faces else None
        self.k += 1
        image = compose_frame(face, self.size, t, face_px=self.face_px)
        return Frame(self.k - 1, t, image, "fake")

    def close(self) -> None:
        pass
