"""The automatic neutral (app.pipeline.neutral): a constant resting bias is shifted away, a
held real expression is not, the estimate starts over for a new person, and the setting
turns it off."""

from __future__ import annotations

import numpy as np
import pytest

from app.bench.replay import ProbsProcessor, replay_frame
from app.config import SmoothingConfig
from app.labels import EMOTIONS, INDEX
from app.pipeline.neutral import AutoNeutral, resting_face, status_text
from app.pipeline.session import FrameSession
from app.records import FaceBox, Prediction

FPS = 10.0


def reading(**probs: float) -> np.ndarray:
    """Probabilities with the named classes set, the rest sharing what is left."""
    v = np.full(len(EMOTIONS), (1.0 - sum(probs.values())) / (len(EMOTIONS) - len(probs)))
    for k, p in probs.items():
        v[INDEX[k]] = p
    return v


def feed(stage: AutoNeutral, rows, t0: float = 0.0, box: FaceBox | None = None):
    return [stage(Prediction(r), t0 + i / FPS, box) for i, r in enumerate(rows)]


RESTING_HAPPY = reading(happy=0.87, neutral=0.10)  # the man at rest
SMILE = reading(happy=0.9995)  # what the members say of a real smile (log-odds ~ 9)
SURPRISE = reading(surprise=0.999)


def test_a_constant_resting_bias_is_shifted_away():
    out = feed(AutoNeutral(), [RESTING_HAPPY] * 60)
    assert out[0].emotion == "happy"  # nothing learnt yet: the reading passes unchanged
    assert out[0].probs == pytest.approx(RESTING_HAPPY)
    assert [p.emotion for p in out[-30:]] == ["neutral"] * 30
    assert out[-1].fusion.endswith("+neutral")


@pytest.mark.parametrize("cap", [1.0, 2.5, 4.0])
def test_a_smile_held_from_the_start_stays_happy(cap):
    out = feed(AutoNeutral(cap=cap), [SMILE] * 300)  # 30 s of smiling, never resting
    assert all(p.emotion == "happy" for p in out)
    assert out[-1].probs[INDEX["happy"]] > 0.9


def test_after_a_biased_rest_a_real_expression_still_reads():
    stage = AutoNeutral()
    out = feed(stage, [RESTING_HAPPY] * 60 + [SURPRISE] * 20 + [SMILE] * 20)
    assert out[59].emotion == "neutral"
    assert out[79].emotion == "surprise"
    assert out[99].emotion == "happy"


def test_unsteady_frames_teach_nothing():
    stage = AutoNeutral()
    flicker = [RESTING_HAPPY if i % 2 else SURPRISE for i in range(60)]
    feed(stage, flicker)
    assert stage.samples == 0 and not stage.shift.any()


@pytest.mark.parametrize("gap_s, box2, new_person", [
    (0.1, FaceBox(100, 100, 80, 80, 1.0), False),  # same place, next frame
    (5.0, FaceBox(100, 100, 80, 80, 1.0), True),  # the face was gone for 5 s
    (0.1, FaceBox(400, 100, 80, 80, 1.0), True),  # another face, far off, took over
])
def test_a_new_person_starts_over(gap_s, box2, new_person):
    stage = AutoNeutral()
    feed(stage, [RESTING_HAPPY] * 40, box=FaceBox(100, 100, 80, 80, 1.0))
    learnt = stage.samples
    stage(Prediction(RESTING_HAPPY), 3.9 + gap_s, box2)
    assert (stage.samples < learnt) == new_person
    assert (stage.resets == 1) == new_person


def test_resting_face_takes_the_calmest_samples():
    rows = np.log(np.stack([reading(neutral=0.6)] * 3 + [reading(surprise=0.99)] * 7))
    rest = resting_face(rows, 0.3)
    assert np.argmax(rest) == INDEX["neutral"]
    assert np.argmax(resting_face(rows, 1.0)) == INDEX["surprise"]  # a plain median


@pytest.mark.parametrize("kwargs", [{"cap": -1}, {"sample_s": 0}, {"history": 0},
                                    {"warmup": 0}])
def test_bad_parameters_are_refused(kwargs):
    with pytest.raises(ValueError):
        AutoNeutral(**kwargs)


ON = SmoothingConfig(auto_neutral=True)


def _session_emotions(rows, smoothing=ON, profile=None):
    session = FrameSession(ProbsProcessor(rows), smoothing, profile=profile)
    return [session.step(replay_frame(i, i / FPS)) for i in range(len(rows))]


def test_the_session_reads_relative_to_the_resting_face_and_the_setting_turns_it_off():
    assert SmoothingConfig().auto_neutral is False  # measured not to pay (docs/PROFILES.md)
    rows = [RESTING_HAPPY] * 80
    on = _session_emotions(rows)
    off = _session_emotions(rows, SmoothingConfig(auto_neutral=False))
    assert on[-1].state.emotion == "neutral"
    assert on[-1].primary_face.prediction.fusion.endswith("+neutral")
    assert off[-1].state.emotion == "happy"
    assert off[-1].primary_face.prediction.probs == pytest.approx(RESTING_HAPPY)


def test_a_profile_replaces_the_automatic_neutral():
    rows = [RESTING_HAPPY] * 80
    seen = []

    def profile(prediction):
        seen.append(prediction.probs)
        return prediction

    out = _session_emotions(rows, profile=profile)
    assert out[-1].state.emotion == "happy"
    assert all(p == pytest.approx(RESTING_HAPPY) for p in seen)


def test_session_reset_forgets_the_person():
    session = FrameSession(ProbsProcessor([RESTING_HAPPY] * 80), ON)
    for i in range(60):
        session.step(replay_frame(i, i / FPS))
    assert session.neutral.samples > 0
    session.reset()
    assert session.neutral.samples == 0


@pytest.mark.parametrize("enabled, fusion, profile, text", [
    (False, "product+neutral", False, "auto neutral off"),
    (True, "product", True, "auto neutral: profile in use"),
    (True, "product+neutral", False, "auto neutral on"),
    (True, "product", False, "auto neutral learning"),
])
def test_status_text(enabled, fusion, profile, text):
    pred = Prediction(RESTING_HAPPY, fusion=fusion)
    assert status_text(enabled, pred, profile) == text


def test_a_calibration_pauses_it_and_records_the_raw_readings():
    session = FrameSession(ProbsProcessor([RESTING_HAPPY] * 80), ON)
    session.pause_neutral(True)
    out = [session.step(replay_frame(i, i / FPS)) for i in range(60)]
    assert all(r.primary_face.prediction.probs == pytest.approx(RESTING_HAPPY) for r in out)
    assert session.neutral.samples == 0
    session.pause_neutral(False)
    out = [session.step(replay_frame(i, i / FPS)) for i in range(60, 80)]
    assert out[-1].primary_face.prediction.fusion.endswith("+neutral")
