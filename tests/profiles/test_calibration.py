"""Calibration: frames the recorder keeps, the guard, and a user-study style run through
`FrameSession` (a fake processor stands in for the camera and the members)."""

import numpy as np
import pytest

from app.config import SmoothingConfig
from app.labels import EMOTIONS, INDEX
from app.pipeline.session import FrameSession
from app.profiles.apply import ProfileHook, prediction_features
from app.profiles.calibration import CalibrationRecorder, fit_profile, holdout_split
from app.records import FaceBox, FaceResult, Frame, FrameResult, Prediction

from .conftest import synthetic

PIXEL = np.zeros((1, 1, 3), np.uint8)
BOX = FaceBox(100, 100, 80, 80, 0.9)


class PersonProcessor:
    """A person whose shipped-weights answer is wrong (always angry-ish) but whose
    embeddings separate their expressions: frame k shows `shown[k]`."""

    device = "cpu"

    def __init__(self, shown, seed):
        labels = np.array([INDEX[e] for e in shown])
        self.feats = synthetic(labels, seed=seed, base_bias=INDEX["angry"])
        self.predictor = None

    def process(self, frame, dropped=0):
        f = self.feats.take([frame.index])
        pred = Prediction(np.exp(f.base_logp[0]), {k: np.exp(v[0]) for k, v in
                                                   f.member_logp.items()},
                          embeddings={k: v[0] for k, v in f.embeddings.items()})
        return FrameResult(frame, (FaceResult(BOX, pred),), None, {}, dropped=dropped)

    def close(self):
        pass


def _video(expressions, seconds=3.0, fps=10):
    shown, windows = [], []
    for i, e in enumerate(expressions):
        for _ in range(int(seconds * fps)):
            shown.append(e)
            windows.append((i * seconds, (i + 1) * seconds))
    return shown, windows, fps


def test_recorder_drops_transitions_missing_and_moving_faces():
    rec = CalibrationRecorder(settle_s=0.5, tail_s=0.2)
    feats = synthetic(np.array([INDEX["happy"]]))
    w = (0.0, 3.0)
    rows = [(0.1, "happy", w, feats, (0, 0, 80, 80)),     # settling
            (1.0, "happy", w, feats, (0, 0, 80, 80)),     # kept
            (1.1, "happy", w, None, None),                # no face
            (1.2, "happy", w, feats, (0, 0, 80, 80)),     # face back, motion unknown
            (1.3, "happy", w, feats, (40, 0, 80, 80)),    # moved half a face
            (1.4, "happy", w, feats, (41, 0, 80, 80)),    # kept
            (2.9, "happy", w, feats, (41, 0, 80, 80)),    # the tail
            (3.5, None, None, feats, (41, 0, 80, 80))]    # countdown / no prompt
    kept = [rec.add(*r) for r in rows]
    assert kept == [False, True, False, False, False, True, False, False]
    assert rec.dropped == {"no prompt": 1, "transition": 2, "no face": 1, "unsteady": 2}


def test_holdout_is_the_end_of_each_expression_in_time():
    labels = np.array([0, 0, 0, 0, 3, 3, 3, 3])
    times = np.array([4.0, 1.0, 2.0, 3.0, 5, 6, 7, 8])
    fit, held = holdout_split(labels, times, 0.25)
    assert list(held) == [0, 7] and sorted(fit) == [1, 2, 3, 4, 5, 6]


def _calibrate(expressions, seed):
    shown, windows, fps = _video(expressions)
    session = FrameSession(PersonProcessor(shown, seed))
    rec = CalibrationRecorder()
    for i, (e, w) in enumerate(zip(shown, windows, strict=True)):
        result = session.step(Frame(i, i / fps, PIXEL))
        face = result.primary_face
        rec.add(i / fps, e, w, prediction_features(face.prediction), tuple(face.box.as_list()))
    feats, labels, times = rec.dataset()
    return fit_profile("test", feats, labels, times, {"cnn1": "x", "cnn2": "y"})


def _state_accuracy(shown, seed, hook):
    fps = 10
    session = FrameSession(PersonProcessor(shown, seed), SmoothingConfig(), profile=hook)
    states = [session.step(Frame(i, i / fps, PIXEL)).state.emotion for i in range(len(shown))]
    return np.mean([s == e for s, e in zip(states, shown, strict=True)])


@pytest.mark.parametrize("expressions", [("neutral", "happy", "surprise"),
                                         ("neutral", "sad", "happy", "fear")])
def test_user_study_through_frame_session_beats_the_same_video_without(expressions):
    profile, guard = _calibrate(expressions, seed=1)
    assert guard.kept and guard.after.accuracy() > guard.before.accuracy()
    shown, _, _ = _video(expressions[::-1], seconds=4.0)  # another video of the person
    without = _state_accuracy(shown, 2, None)
    with_profile = _state_accuracy(shown, 2, ProfileHook(profile))
    assert with_profile >= 0.7 and with_profile > without + 0.3


def test_subset_profile_through_the_session_never_shows_other_expressions():
    profile, _ = _calibrate(("neutral", "happy", "surprise"), seed=1)
    shown = list(np.repeat(EMOTIONS, 10))  # every expression, also the uncalibrated ones
    session = FrameSession(PersonProcessor(shown, 3), profile=ProfileHook(profile))
    seen = {session.step(Frame(i, i / 10, PIXEL)).primary_face.prediction.emotion
            for i in range(len(shown))}
    assert seen <= {"neutral", "happy", "surprise"}


def test_guard_refuses_a_profile_that_does_not_beat_the_base():
    labels = np.repeat([INDEX["neutral"], INDEX["happy"]], 12)
    feats = synthetic(labels, seed=5)  # the base is already right: nothing to gain
    feats = type(feats)(feats.embeddings, feats.member_logp,
                        np.log(np.eye(7)[labels] * 0.99 + 0.01 / 7))
    rng = np.random.default_rng(0)
    shuffled = type(feats)({k: rng.permutation(v) for k, v in feats.embeddings.items()},
                           feats.member_logp, feats.base_logp)  # embeddings say nothing
    _, guard = fit_profile("x", shuffled, labels, np.arange(len(labels), dtype=float),
                           {}, kind="linear", lam=0.0)
    assert guard.before.accuracy() == 1.0 and not guard.kept
