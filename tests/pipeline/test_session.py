"""FrameSession: the one path after the processor (main face, profile, smoother, gestures,
music), driven by replayed probabilities so each step's effect is visible."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from app.bench.replay import ProbsProcessor, replay_frame
from app.config import GestureConfig, SmoothingConfig
from app.labels import EMOTIONS, INDEX
from app.pipeline.session import FrameSession
from app.records import FaceBox, FaceResult, Frame, FrameResult, Prediction

FPS = 10.0


def onehot(name: str, p: float = 0.9) -> np.ndarray:
    v = np.full(len(EMOTIONS), (1.0 - p) / (len(EMOTIONS) - 1))
    v[INDEX[name]] = p
    return v


def run(session: FrameSession, rows) -> list[FrameResult]:
    return [session.step(replay_frame(i, i / FPS)) for i in range(len(rows))]


class RecordingMusic:
    """A music sink that records what the session hands it."""

    def __init__(self) -> None:
        self.calls = []

    def update(self, state, gesture, t):
        self.calls.append((state, gesture, t))
        return []


def test_results_carry_state_gesture_and_the_music_it_was_given():
    rows = [onehot("surprise", 0.95)] * 30
    music = RecordingMusic()
    cfg = GestureConfig(mapping={"surprise": "next"})  # no expression is bound by default
    results = run(FrameSession(ProbsProcessor(rows), gestures=cfg, music=music), rows)
    assert all(r.primary == 0 and r.state is not None for r in results)
    assert results[-1].state.emotion == "surprise"
    fired = [r.gesture for r in results if r.gesture is not None]
    assert [g.action for g in fired] == ["next"]  # one hold, one fire (latched after)
    assert [c[1] for c in music.calls if c[1] is not None] == fired
    assert [c[0] for c in music.calls] == [r.state for r in results]


def test_gestures_get_the_smoothed_probabilities():
    """A single confident frame inside a neutral stretch moves the raw argmax but not the
    smoothed one, so no hold starts (the window used to feed raw probabilities)."""
    rows = [onehot("neutral")] * 10 + [onehot("surprise", 0.99)] * 2 + [onehot("neutral")] * 20
    cfg = GestureConfig(hold_s=0.1)
    results = run(FrameSession(ProbsProcessor(rows), SmoothingConfig(ema_alpha=0.2), cfg),
                  rows)
    assert all(r.gesture is None for r in results)


def test_paused_gestures_see_no_face_and_settings_apply_next_frame():
    rows = [onehot("happy", 0.95)] * 40
    session = FrameSession(ProbsProcessor(rows))
    session.pause_gestures(True)
    first = [session.step(replay_frame(i, i / FPS)) for i in range(20)]
    assert all(r.gesture is None for r in first)
    session.pause_gestures(False)
    session.set_gesture_config(GestureConfig(mapping={"happy": "lock"}))
    rest = [session.step(replay_frame(i, i / FPS)) for i in range(20, 40)]
    assert [r.gesture.action for r in rest if r.gesture] == ["lock"]


@pytest.mark.parametrize("pin, expected", [(None, 0), ((115.0, 35.0), 1), ((500.0, 500.0), 0)])
def test_main_face_is_the_largest_or_the_pinned_one(pin, expected):
    big, small = FaceBox(10, 10, 60, 60, 0.9), FaceBox(100, 20, 30, 30, 0.8)

    class TwoFaces:
        def process(self, frame, dropped=0):
            faces = (FaceResult(big, Prediction(onehot("happy"))),
                     FaceResult(small, Prediction(onehot("sad"))))
            return FrameResult(frame, faces, None, {}, dropped=dropped)

        def close(self):
            pass

    session = FrameSession(TwoFaces())
    session.set_pin(pin)
    result = session.step(Frame(0, 0.0, np.zeros((4, 4, 3), np.uint8)), dropped=2)
    assert result.primary == expected and result.dropped == 2


def test_the_profile_transforms_only_the_main_face_before_the_smoother():
    seen = []

    def profile(prediction: Prediction) -> Prediction:
        seen.append(prediction.emotion)
        return Prediction(onehot("sad", 0.97), prediction.members, prediction.fusion)

    rows = [onehot("happy")] * 5 + [None] * 2
    results = run(FrameSession(ProbsProcessor(rows), profile=profile), rows)
    assert seen == ["happy"] * 5  # called once per frame with a face, never without
    assert results[4].primary_face.prediction.emotion == "sad"  # what the UI shows
    assert int(np.argmax(results[4].state.probs)) == INDEX["sad"]  # what the smoother saw


def test_close_closes_the_processor():
    class Closing(ProbsProcessor):
        closed = False

        def close(self):
            self.closed = True

    processor = Closing([])
    FrameSession(processor).close()
    assert processor.closed


class MeshProcessor:
    """One face per frame whose mesh carries the scripted blendshapes (no predictor)."""

    def __init__(self, scripted) -> None:
        from app.vision.landmarks import FixedLandmarker

        self.landmarker = FixedLandmarker(scripted)

    def process(self, frame, dropped=0):
        box = FaceBox(10, 10, 50, 50, 0.9)
        mesh = self.landmarker.mesh(frame.image, box)
        return FrameResult(frame, (FaceResult(box, None, mesh),), None, {}, dropped)

    def mesh(self, image, box):
        return self.landmarker.mesh(image, box)

    def close(self) -> None:
        pass


@pytest.mark.parametrize(("mapping", "extra", "action", "to_music"), [
    ({"mouth_open": "next"}, (), "next", True),  # bound: the music gets it
    ({}, ("mouth_open",), "mark", False),  # watched for a bench script only: recorded, inert
])
def test_face_gestures_reach_the_music_unless_only_marked(mapping, extra, action, to_music):
    from app.config import FaceGestureConfig
    from app.music.face_gestures import FaceGestureDetector

    scripted = [{}] * 10 + [{"jawOpen": 0.7}] * 20
    music = RecordingMusic()
    faces = FaceGestureDetector(FaceGestureConfig(mapping=mapping), extra=extra)
    session = FrameSession(MeshProcessor(scripted), music=music, face_gestures=faces)
    results = run(session, scripted)
    fired = [r.gesture for r in results if r.gesture is not None]
    assert [(g.kind, g.emotion, g.action) for g in fired] == [("face", "mouth_open", action)]
    handed = [c[1] for c in music.calls if c[1] is not None]
    assert handed == (fired if to_music else [])
    assert results[12].hold is not None and results[12].hold.state == "armed"
    # the rise over the resting face (its floor creeps up 0.02 / s while held)
    assert results[12].face_levels["mouth_open"][0] == pytest.approx(0.7, abs=0.01)


def test_paused_gestures_pause_face_gestures_too():
    scripted = [{}] * 10 + [{"jawOpen": 0.7}] * 20
    from app.config import FaceGestureConfig

    session = FrameSession(MeshProcessor(scripted),
                           face_gestures=FaceGestureConfig(mapping={"mouth_open": "next"}))
    session.pause_gestures(True)
    assert all(r.gesture is None for r in run(session, scripted))


def test_the_main_face_keeps_its_mesh_when_a_profile_transforms_it():
    from app.config import FaceGestureConfig

    class WithPrediction(MeshProcessor):
        def process(self, frame, dropped=0):
            r = super().process(frame, dropped)
            face = r.faces[0]
            return dataclasses.replace(r, faces=(FaceResult(face.box, Prediction(onehot("happy")),
                                                            face.mesh),))

    scripted = [{"jawOpen": 0.1}] * 5
    session = FrameSession(WithPrediction(scripted), profile=lambda p: p,
                           face_gestures=FaceGestureConfig(enabled=True))
    results = run(session, scripted)
    assert all(r.primary_face.mesh is not None for r in results)
