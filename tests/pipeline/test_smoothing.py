"""EmotionSmoother: EMA, dwell, hysteresis and the face-lost timeout, table-driven."""

from __future__ import annotations

import numpy as np
import pytest

from app.config import SmoothingConfig
from app.labels import EMOTIONS, INDEX
from app.pipeline.smoothing import EmotionSmoother, EmotionState


def onehot(name: str, p: float = 0.9) -> np.ndarray:
    """A probability vector with `p` on `name` and the rest spread evenly."""
    v = np.full(len(EMOTIONS), (1.0 - p) / (len(EMOTIONS) - 1))
    v[INDEX[name]] = p
    return v


def run(cfg: SmoothingConfig, seq: list[str | None], dt: float = 0.1) -> list[EmotionState]:
    smoother = EmotionSmoother(cfg)
    return [smoother.update(None if s is None else onehot(s), i * dt)
            for i, s in enumerate(seq)]


def emotions(states: list[EmotionState]) -> list[str | None]:
    return [s.emotion for s in states]


def switches(states: list[EmotionState]) -> int:
    names = emotions(states)
    return sum(1 for a, b in zip(names, names[1:], strict=False) if a != b)


FAST = SmoothingConfig(ema_alpha=1.0, dwell_s=0.0, enter_threshold=0.45, hysteresis=0.0,
                       face_lost_s=0.25)


@pytest.mark.parametrize(("cfg", "seq", "expected_last"), [
    # no smoothing at all: follows each frame
    (FAST, ["happy", "sad", "angry"], "angry"),
    # a steady expression wins after the dwell time (0.3 s = 4 frames at 0.1 s)
    (SmoothingConfig(ema_alpha=0.5, dwell_s=0.3), ["happy"] * 6, "happy"),
    # not yet: the dwell has not passed
    (SmoothingConfig(ema_alpha=0.5, dwell_s=0.3), ["happy"] * 3, None),
    # a single-frame blip does not replace a settled state
    (SmoothingConfig(ema_alpha=0.35, dwell_s=0.3), ["happy"] * 8 + ["sad"] + ["happy"] * 2,
     "happy"),
    # a lasting change does replace it
    (SmoothingConfig(ema_alpha=0.35, dwell_s=0.3), ["happy"] * 8 + ["sad"] * 12, "sad"),
    # face gone longer than face_lost_s -> no emotion
    (SmoothingConfig(ema_alpha=1.0, dwell_s=0.0, face_lost_s=0.25), ["happy"] * 3 + [None] * 4,
     None),
    # a short drop-out (shorter than face_lost_s) holds the state
    (SmoothingConfig(ema_alpha=1.0, dwell_s=0.0, face_lost_s=0.5), ["happy"] * 3 + [None] * 3,
     "happy"),
])
def test_final_state(cfg, seq, expected_last):
    assert run(cfg, seq)[-1].emotion == expected_last


@pytest.mark.parametrize(("cfg", "max_switches"), [
    (SmoothingConfig(), 1),  # defaults: the first settle only, no flicker
    # hysteresis alone: the EMA swings by ~0.19 on this sequence, so a 0.25 margin holds
    (SmoothingConfig(ema_alpha=0.35, dwell_s=0.0, hysteresis=0.25), 1),
    (SmoothingConfig(ema_alpha=1.0, dwell_s=0.5, hysteresis=0.0), 0),  # dwell alone
])
def test_alternating_flicker_is_suppressed(cfg, max_switches):
    # happy / neutral alternating every frame (0.9 each time), the worst flicker
    seq = ["happy", "neutral"] * 20
    states = run(cfg, seq)
    assert switches(states) <= max_switches


def test_without_smoothing_the_same_flicker_switches_every_frame():
    # guards the flicker test above: the sequence really flickers when nothing smooths it
    states = run(FAST, ["happy", "neutral"] * 10)
    assert switches(states) == 19


def test_hysteresis_blocks_a_narrow_lead_and_allows_a_clear_one():
    cfg = SmoothingConfig(ema_alpha=1.0, dwell_s=0.0, enter_threshold=0.3, hysteresis=0.2)
    s = EmotionSmoother(cfg)
    assert s.update(onehot("happy", 0.6), 0.0).emotion == "happy"
    narrow = np.full(7, 0.0)
    narrow[INDEX["happy"]], narrow[INDEX["sad"]] = 0.4, 0.5
    narrow[INDEX["neutral"]] = 0.1
    assert s.update(narrow, 0.1).emotion == "happy"  # sad leads by 0.1 < 0.2
    clear = np.full(7, 0.0)
    clear[INDEX["happy"]], clear[INDEX["sad"]], clear[INDEX["neutral"]] = 0.2, 0.7, 0.1
    assert s.update(clear, 0.2).emotion == "sad"  # leads by 0.5


def test_below_enter_threshold_never_becomes_state():
    cfg = SmoothingConfig(ema_alpha=1.0, dwell_s=0.0, enter_threshold=0.6)
    states = run(cfg, ["happy"] * 5)  # onehot gives 0.9: fine
    assert states[-1].emotion == "happy"
    s = EmotionSmoother(cfg)
    weak = onehot("happy", 0.5)
    assert all(s.update(weak, i * 0.1).emotion is None for i in range(10))


def test_ema_values_and_since():
    cfg = SmoothingConfig(ema_alpha=0.5, dwell_s=0.0, enter_threshold=0.0, hysteresis=0.0)
    s = EmotionSmoother(cfg)
    a, b = onehot("happy", 1.0 - 6e-6), onehot("sad", 1.0 - 6e-6)
    s.update(a, 1.0)
    st = s.update(b, 2.0)
    np.testing.assert_allclose(st.probs, 0.5 * a + 0.5 * b)
    st = s.update(b, 3.0)
    np.testing.assert_allclose(st.probs, 0.25 * a + 0.75 * b)
    assert st.emotion == "sad"
    assert st.since == 3.0  # sad became the state at t=3 (tie at t=2 keeps happy)
    assert st.confidence == pytest.approx(st.probs[INDEX["sad"]])


def test_face_lost_state_and_fresh_restart():
    cfg = SmoothingConfig(ema_alpha=0.2, dwell_s=0.0, face_lost_s=0.3)
    s = EmotionSmoother(cfg)
    for i in range(20):
        s.update(onehot("happy"), i * 0.1)
    lost = None
    for i in range(20, 25):
        lost = s.update(None, i * 0.1)
    assert lost is not None and not lost.face_present and lost.emotion is None
    assert lost.confidence == 0.0
    np.testing.assert_allclose(lost.probs, np.full(7, 1 / 7))
    assert lost.since == pytest.approx(2.2)  # 0.3 s after the last face at 1.9 s
    # the returning face starts from its own probabilities, not the stale happy average
    back = s.update(onehot("sad"), 2.6)
    assert back.face_present and back.emotion == "sad"
    assert back.probs[INDEX["sad"]] == pytest.approx(0.9)


def test_no_face_from_the_start():
    st = EmotionSmoother().update(None, 5.0)
    assert (st.emotion, st.face_present, st.since) == (None, False, 5.0)


@pytest.mark.parametrize(("field", "value"), [
    ("ema_alpha", 0.0), ("ema_alpha", 1.5), ("dwell_s", -1.0), ("enter_threshold", 1.2),
    ("hysteresis", 1.0), ("face_lost_s", -0.1),
])
def test_bad_config_is_refused_with_the_setting_named(field, value):
    cfg = SmoothingConfig(**{field: value})
    with pytest.raises(ValueError, match=field):
        EmotionSmoother(cfg)


@pytest.mark.parametrize("probs", [
    np.ones(6) / 6, np.full(7, np.nan), -np.ones(7), np.zeros(7),
])
def test_bad_probabilities_are_refused(probs):
    with pytest.raises(ValueError, match="probabilities"):
        EmotionSmoother().update(probs, 0.0)


def test_time_going_backwards_is_refused_and_reset_allows_restart():
    s = EmotionSmoother()
    s.update(onehot("happy"), 10.0)
    with pytest.raises(ValueError, match="backwards"):
        s.update(onehot("happy"), 9.0)
    s.reset()
    assert s.update(onehot("happy"), 0.0).face_present


def test_state_is_frozen():
    st = EmotionSmoother().update(onehot("happy"), 0.0)
    with pytest.raises(AttributeError):
        st.emotion = "sad"  # type: ignore[misc]
    with pytest.raises(ValueError):
        st.probs[0] = 1.0
