"""Scoring of bench-control: requested switches and gestures, matching, latency from due time."""

from __future__ import annotations

import pytest

from app.bench.scoring import (
    requested_gestures,
    requested_switches,
    score_control,
    segment_diagnostics,
)
from app.capture.facevideo import VideoScript
from app.config import GestureConfig, MusicConfig
from app.records import GestureEvent, MusicAction

MUSIC = MusicConfig()  # dwell 2 s, cooldown 8 s
GEST = GestureConfig(mapping={"surprise": "next", "happy": "play_pause"})  # hold 1 s


def script(*segs):
    t, out = 0.0, []
    for dur, emotion in segs:
        out.append({"start_s": t, "end_s": t + dur, "emotion": emotion})
        t += dur
    return VideoScript.from_dict({"fps": 30, "segments": out})


def sw(playlist, t):
    return MusicAction("switch", t, "test", playlist=playlist)


@pytest.mark.parametrize("segs, mode, expected", [
    ([(10, "neutral"), (1.5, "happy"), (10, "neutral")], "match", ["neutral"]),
    ([(10, "neutral"), (5, "happy"), (5, "happy")], "match", ["neutral", "happy"]),
    ([(10, "sad"), (10, "happy"), (10, None), (10, "angry")], "lift",
     ["happy", "neutral"]),
    ([(3, None), (1.9, "sad")], "match", []),
])
def test_requested_switches(segs, mode, expected):
    music = MusicConfig(mode=mode)
    assert [r.what for r in requested_switches(script(*segs), music)] == expected


def test_requested_gestures_merge_adjacent_and_respect_hold():
    s = script((5, "neutral"), (0.9, "surprise"), (3, "neutral"), (1, "surprise"),
               (1, "surprise"), (4, "happy"), (2, "sad"))
    reqs = requested_gestures(s, GEST)
    assert [(r.what, r.start_s) for r in reqs] == [("surprise", 8.9), ("happy", 10.9)]
    assert requested_gestures(s, GestureConfig(enabled=False)) == []


def test_perfect_run_scores_latency_from_due_time():
    s = script((10, "neutral"), (1.5, "surprise"), (10, "happy"))
    report = score_control(
        s, [sw("neutral", 3.0), sw("happy", 14.0)],
        [GestureEvent("next", "surprise", 11.3), GestureEvent("play_pause", "happy", 12.9)],
        MUSIC, GEST)
    assert report["switch_latency_s_median"] == pytest.approx(0.75)  # (1.0 + 0.5) / 2
    assert report["switch_latency_s_max"] == pytest.approx(1.0)
    assert report["unrequested_switches"] == 0 and report["switches_missed"] == 0
    assert report["gesture_precision"] == 1.0 and report["gesture_recall"] == 1.0
    assert report["gesture_latency_s_max"] == pytest.approx(0.3)


def test_wrong_late_and_extra_actions_are_counted():
    s = script((10, "neutral"), (10, "sad"))
    report = score_control(
        s, [sw("neutral", 3.0), sw("angry", 6.0), sw("sad", 25.0)],
        [GestureEvent("next", "surprise", 5.0)], MUSIC, GEST)
    assert report["unrequested_switches"] == 2  # angry never shown; sad too late (grace 2 s)
    assert report["switches_missed"] == 1
    assert report["gesture_precision"] == 0.0 and report["gesture_recall"] is None


def test_cooldown_moves_the_due_time():
    s = script((5, "neutral"), (10, "happy"))
    report = score_control(s, [sw("neutral", 2.05), sw("happy", 10.15)], [], MUSIC, GEST)
    # happy due at max(5 + 2, 2.05 + 8) = 10.05
    assert report["switch_latency_s_max"] == pytest.approx(0.1)


def test_segment_diagnostics():
    import numpy as np

    s = script((1, "happy"), (1, None), (1, "sad"))
    happy = np.array([0, 0, 0, 0.8, 0.2, 0, 0])
    samples = [(0.0, happy), (0.5, happy), (1.5, None), (2.2, happy)]
    diag = segment_diagnostics(s, samples)
    assert [d["frames_with_face"] for d in diag] == [2, 0, 1]
    assert diag[0]["top"] == "happy" and diag[0]["mean_prob_shown"] == 0.8
    assert diag[2]["top"] == "happy" and diag[2]["mean_prob_shown"] == 0.0


@pytest.mark.parametrize("t, cause", [
    (8.0, "misrecognised steady face"),  # sad shown throughout the 2 s before
    (10.5, "expression changed during the wait"),  # sad -> neutral at 10.0
])
def test_unrequested_switches_say_what_was_shown(t, cause):
    s = script((10, "sad"), (10, "neutral"))
    report = score_control(s, [sw("sad", 2.5), sw("angry", t)], [], MUSIC, GEST)
    (bad,) = [x for x in report["switches"] if x.get("unrequested")]
    assert bad["cause"] == cause
    assert report["unrequested_switches_on_steady_face"] == int(cause.startswith("mis"))
