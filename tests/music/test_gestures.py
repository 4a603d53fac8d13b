"""GestureDetector: held expressions fire once; flicker, short holds and repeats do not."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from musichelp import probs_of, stream

from app.config import GestureConfig
from app.music.gestures import GestureDetector, probs_for_gestures
from app.records import GestureEvent

# threshold 0.7, hold 1.0 s, refractory 2.5 s; the expression bindings once the default
CFG = GestureConfig(mapping={"surprise": "next", "happy": "play_pause"})


def run(segments, cfg=CFG, fps=30.0):
    det = GestureDetector(cfg)
    return [ev for t, e, p in stream(segments, fps)
            if (ev := det.update(probs_of(e, p), t)) is not None]


@pytest.mark.parametrize("segments, expected", [
    # a held surprise fires "next" once, about hold_s after it began
    ([(2, "neutral", 0.9), (3, "surprise", 0.9)], [("next", "surprise", 3.0)]),
    # a held smile fires play_pause
    ([(1, "neutral", 0.9), (2, "happy", 0.85)], [("play_pause", "happy", 2.0)]),
    # an unmapped expression never fires
    ([(5, "sad", 0.95)], []),
    # held too briefly
    ([(0.8, "surprise", 0.95), (2, "neutral", 0.9)], []),
    # below the threshold
    ([(5, "surprise", 0.65)], []),
    # a long hold fires only once (latched)
    ([(10, "happy", 0.9)], [("play_pause", "happy", 1.0)]),
    # flicker surprise/neutral every 0.3 s never builds a hold
    ([(0.3, "surprise", 0.9), (0.3, "neutral", 0.9)] * 10, []),
    # two separate holds with a release between them fire twice
    ([(1.5, "surprise", 0.9), (2.5, "neutral", 0.9), (1.5, "surprise", 0.9)],
     [("next", "surprise", 1.0), ("next", "surprise", 5.0)]),
    # a second hold inside the refractory period waits for it to end
    ([(1.2, "surprise", 0.9), (0.3, "neutral", 0.9), (3.0, "happy", 0.9)],
     [("next", "surprise", 1.0), ("play_pause", "happy", 3.5)]),
    # no face resets the hold
    ([(0.7, "happy", 0.9), (0.5, None, 0), (0.7, "happy", 0.9)], []),
])
def test_gesture_sequences(segments, expected):
    events = run(segments)
    assert [(e.action, e.emotion) for e in events] == [(a, m) for a, m, _ in expected]
    for event, (_, _, t) in zip(events, expected, strict=True):
        assert event.t == pytest.approx(t, abs=0.1)  # one frame either way


def test_wobble_around_threshold_fires_once():
    """A long hold whose probability wobbles across the threshold must not fire twice."""
    det = GestureDetector(CFG)
    events = []
    for i in range(300):  # 10 s at 30 fps; prob wobbles 0.66 .. 0.78 every 5 frames
        p = 0.78 if (i // 5) % 2 == 0 else 0.66
        ev = det.update(probs_of("surprise", p), i / 30)
        events += [ev] if ev else []
    assert len(events) == 1


def test_short_dip_keeps_hold_but_long_dip_restarts():
    cfg = dataclasses.replace(CFG, gap_s=0.2)
    det = GestureDetector(cfg)
    seq = [("surprise", 0.9)] * 15 + [("neutral", 0.9)] * 3 + [("surprise", 0.9)] * 15
    fired = [det.update(probs_of(e, p), i / 30) for i, (e, p) in enumerate(seq)]
    assert any(fired)  # 0.1 s dip bridged: 1.1 s hold in all
    det = GestureDetector(cfg)
    seq = [("surprise", 0.9)] * 15 + [("neutral", 0.9)] * 12 + [("surprise", 0.9)] * 15
    fired = [det.update(probs_of(e, p), i / 30) for i, (e, p) in enumerate(seq)]
    assert not any(fired)


def test_disabled_never_fires():
    assert run([(5, "surprise", 0.95)], dataclasses.replace(CFG, enabled=False)) == []


def test_custom_mapping():
    cfg = dataclasses.replace(CFG, mapping={"sad": "previous"})
    events = run([(3, "sad", 0.9), (3, "surprise", 0.9)], cfg)
    assert [(e.action, e.emotion) for e in events] == [("previous", "sad")]


@pytest.mark.parametrize("change, message", [
    ({"threshold": 0.0}, "threshold"),
    ({"hold_s": -1.0}, "hold_s"),
    ({"release_margin": 0.9}, "release_margin"),
    ({"mapping": {"joyful": "next"}}, "gestures.mapping = {'joyful'"),
    ({"mapping": {"happy": "explode"}}, "gestures.mapping = .*explode"),
    ({"hold_s": 0.05}, "gestures.hold_s"),  # the settings' own rule: >= 0.1 s
])
def test_bad_config_is_refused(change, message):
    with pytest.raises(ValueError, match=message):
        GestureDetector(dataclasses.replace(CFG, **change))


def test_bad_input_shape_is_refused():
    with pytest.raises(ValueError, match="shape"):
        GestureDetector(CFG).update(np.ones(3) / 3, 0.0)


def test_event_reason_and_validation():
    assert "surprise" in GestureEvent("next", "surprise", 1.0, 1.0).reason
    with pytest.raises(ValueError):
        GestureEvent("jump", "surprise", 1.0)


def test_probs_for_gestures_uses_smoothed_state():
    class State:
        face_present = True
        probs = probs_of("happy")
    assert probs_for_gestures(State()) is State.probs or np.allclose(
        probs_for_gestures(State()), State.probs)
    State.face_present = False
    assert probs_for_gestures(State()) is None
