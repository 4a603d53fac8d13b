"""MusicPolicy: dwell, confidence, cooldown, lift mapping, queueing and lock, table-driven."""

from __future__ import annotations

import dataclasses

import pytest
from musichelp import states

from app.config import MusicConfig
from app.labels import EMOTIONS
from app.music.fades import ramp_volume
from app.music.policy import MusicPolicy, target_playlist
from app.records import MusicAction

CFG = MusicConfig()  # match, min_confidence 0.5, dwell 2 s, cooldown 8 s


def run(segments, cfg=CFG, available=EMOTIONS, fps=10.0):
    policy = MusicPolicy(cfg, available)
    return [a for t, s in states(segments, fps) if (a := policy.observe(s, t)) is not None]


def summary(actions):
    return [(a.kind, a.playlist, round(a.t, 1)) for a in actions]


@pytest.mark.parametrize("segments, expected", [
    # the first stable mood starts its playlist after the dwell
    ([(5, "happy", 0.8)], [("switch", "happy", 2.0)]),
    # a mood shorter than the dwell does nothing
    ([(1.5, "sad", 0.9), (3, None, 0)], []),
    # under the confidence threshold nothing happens
    ([(10, "sad", 0.45)], []),
    # flicker between two moods every 0.5 s never switches
    ([(0.5, "happy", 0.9), (0.5, "sad", 0.9)] * 12, []),
    # flicker between confident and unsure never completes a dwell
    ([(1.5, "angry", 0.8), (0.2, "angry", 0.3)] * 6, []),
    # a face lost for a moment restarts the count
    ([(1.5, "happy", 0.9), (0.3, None, 0), (1.5, "happy", 0.9)], []),
    # two moods, far enough apart: two switches
    ([(10, "neutral", 0.8), (5, "happy", 0.8)], [("switch", "neutral", 2.0),
                                                 ("switch", "happy", 12.0)]),
    # a change inside the cooldown waits for it, then switches if still held
    ([(4, "neutral", 0.8), (8, "sad", 0.8)], [("switch", "neutral", 2.0),
                                               ("switch", "sad", 10.0)]),
    # a change inside the cooldown that is gone by then does not switch
    ([(4, "neutral", 0.8), (3, "sad", 0.8), (5, "neutral", 0.8)],
     [("switch", "neutral", 2.0)]),
    # returning to the playing mood is not a switch
    ([(10, "happy", 0.8), (1, "sad", 0.8), (10, "happy", 0.8)], [("switch", "happy", 2.0)]),
])
def test_match_mode_sequences(segments, expected):
    assert summary(run(segments)) == expected


@pytest.mark.parametrize("segments, expected", [
    ([(5, "sad", 0.8)], [("switch", "happy", 2.0)]),
    ([(5, "angry", 0.8)], [("switch", "neutral", 2.0)]),
    ([(5, "surprise", 0.8)], [("switch", "surprise", 2.0)]),  # not negative: matched
    # sad then happy both ask for "happy": one switch only
    ([(10, "sad", 0.8), (10, "happy", 0.8)], [("switch", "happy", 2.0)]),
])
def test_lift_mode_sequences(segments, expected):
    actions = run(segments, dataclasses.replace(CFG, mode="lift"))
    assert summary(actions) == expected
    if expected and expected[0][1] != segments[0][1]:
        assert "lift" in actions[0].reason


def test_reason_names_mood_time_and_confidence():
    (action,) = run([(5, "happy", 0.8)])
    assert "happy" in action.reason and "2.0 s" in action.reason and "80%" in action.reason
    assert action.ramp_s == CFG.ramp_s


def test_missing_playlist_never_switches():
    assert run([(5, "fear", 0.9)], available=("happy", "neutral")) == []


def test_disabled_policy_never_switches():
    assert run([(5, "happy", 0.9)], dataclasses.replace(CFG, enabled=False)) == []


def test_lock_wins_and_unlock_resumes():
    policy = MusicPolicy(CFG)
    actions = []
    for t, s in states([(5, "happy", 0.8), (12, "sad", 0.8)]):
        if round(t, 1) == 4.0:
            actions.append(policy.set_locked(True, t))
        if round(t, 1) == 15.0:
            actions.append(policy.set_locked(False, t))
        a = policy.observe(s, t)
        actions += [a] if a else []
    assert summary(actions) == [("switch", "happy", 2.0), ("lock", "happy", 4.0),
                                ("unlock", "happy", 15.0), ("switch", "sad", 15.0)]


def test_manual_select_locks():
    policy = MusicPolicy(CFG)
    action = policy.select("neutral", 0.0)
    assert action.source == "manual" and policy.locked and policy.playlist == "neutral"
    assert all(policy.observe(s, t) is None for t, s in states([(10, "sad", 0.9)]))


def test_let_track_finish_queues_then_switches_on_track_end():
    cfg = dataclasses.replace(CFG, let_track_finish=True)
    policy = MusicPolicy(cfg)
    out = []
    for t, s in states([(3, "happy", 0.8), (12, "sad", 0.8)]):
        ended = round(t, 1) == 14.0
        a = policy.observe(s, t, playing=True, track_ended=ended)
        out += [a] if a else []
    assert summary(out) == [("switch", "happy", 2.0), ("queue", "sad", 10.0),
                            ("switch", "sad", 14.0)]


def test_queued_switch_is_cancelled_when_mood_returns():
    cfg = dataclasses.replace(CFG, let_track_finish=True)
    policy = MusicPolicy(cfg)
    out = []
    for t, s in states([(3, "happy", 0.8), (12, "sad", 0.8), (3, "happy", 0.8)]):
        a = policy.observe(s, t, track_ended=round(t, 1) == 17.0)
        out += [a] if a else []
    assert [a.kind for a in out] == ["switch", "queue"]
    assert policy.pending is None and policy.playlist == "happy"


@pytest.mark.parametrize("start, end, t, expected", [
    (0, 70, 0.0, 0), (0, 70, 0.5, 35), (0, 70, 1.0, 70), (0, 70, 5.0, 70),
    (70, 0, 0.25, 52), (70, 0, -1.0, 70),
])
def test_ramp_volume(start, end, t, expected):
    assert ramp_volume(start, end, 0.0, 1.0, t) == expected


def test_zero_length_ramp_jumps():
    assert ramp_volume(0, 70, 0.0, 0.0, 0.0) == 70


@pytest.mark.parametrize("mode, emotion, expected", [
    ("match", "sad", "sad"), ("lift", "sad", "happy"), ("lift", "happy", "happy"),
    ("lift", "fear", "neutral"),
])
def test_target_playlist(mode, emotion, expected):
    assert target_playlist(emotion, mode, CFG.lift_map) == expected


@pytest.mark.parametrize("change, message", [
    ({"mode": "shuffle"}, "music.mode"),
    ({"lift_map": {"sad": "ecstatic"}}, "lift_map"),
    ({"dwell_s": -1.0}, "dwell_s"),
    ({"min_confidence": 1.5}, "min_confidence"),
    ({"volume": 150}, "volume"),
])
def test_bad_config_is_refused(change, message):
    with pytest.raises(ValueError, match=message):
        MusicPolicy(dataclasses.replace(CFG, **change))


@pytest.mark.parametrize("kwargs", [
    {"kind": "explode"}, {"source": "cat"}, {"playlist": "joy"}, {"volume": 101},
])
def test_bad_action_is_refused(kwargs):
    base = {"kind": "switch", "t": 0.0, "reason": "x"}
    with pytest.raises(ValueError):
        MusicAction(**{**base, **kwargs})


def test_waits_for_the_smoother_but_counts_dwell_from_the_lead():
    """Probabilities lead from t=0 but the stable state says happy only from t=3: the
    switch comes at 3.0 (not 0 + 2.0, not 3 + 2.0)."""
    from musichelp import probs_of

    from app.records import EmotionState

    policy = MusicPolicy(CFG)
    out = []
    for i in range(50):
        t = i / 10
        stable = "happy" if t >= 3.0 else None
        state = EmotionState(stable, 0.8 if stable else 0.0, probs_of("happy", 0.8), 0.0, True)
        out += [a] if (a := policy.observe(state, t)) else []
    assert summary(out) == [("switch", "happy", 3.0)]
