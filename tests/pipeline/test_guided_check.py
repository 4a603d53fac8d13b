"""The guided check's timeline and confusion counts (Qt-free), driven by frame timestamps."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from app.labels import EMOTIONS, INDEX
from app.metrics import ConfusionMatrix
from app.pipeline.check import CheckPhase, GuidedCheck, SessionCheck, write_check_csv


@pytest.mark.parametrize(("t", "phase", "target", "remaining"), [
    (-1.0, CheckPhase.COUNTDOWN, "angry", 0.5),  # before the start counts as the start
    (0.0, CheckPhase.COUNTDOWN, "angry", 0.5),
    (0.25, CheckPhase.COUNTDOWN, "angry", 0.25),
    (0.5, CheckPhase.RECORDING, "angry", 1.0),
    (1.4, CheckPhase.RECORDING, "angry", 0.1),
    (1.5, CheckPhase.COUNTDOWN, "disgust", 0.5),
    (2.1, CheckPhase.RECORDING, "disgust", 0.9),
    (6 * 1.5 + 0.7, CheckPhase.RECORDING, "surprise", 0.8),
    (7 * 1.5, CheckPhase.DONE, None, 0.0),
])
def test_timeline(t, phase, target, remaining):
    check = GuidedCheck(seconds=1.0, countdown_s=0.5)
    check.start(0.0)
    status = check.status(t)
    assert (status.phase, status.target) == (phase, target)
    assert status.remaining_s == pytest.approx(remaining)


def test_idle_until_started_and_after_reset():
    check = GuidedCheck()
    assert check.update(3, 10.0).phase == CheckPhase.IDLE
    assert check.frames == 0
    check.start(0.0)
    check.update(0, 3.0)  # recording angry
    assert check.frames == 1
    assert check.reset().phase == CheckPhase.IDLE and check.frames == 0


def shown_sequence(fps: float = 10.0, seconds: float = 1.0, countdown: float = 0.5):
    """A scripted user: which label the predictor reports at each frame time. Angry is
    mistaken for disgust in its first 3 recorded frames; the face is lost for 2 frames of
    sad; everything else is recognised."""
    period = seconds + countdown
    frames = []
    for k in range(int(len(EMOTIONS) * period * fps) + 5):
        t = 0.05 + k / fps  # off the phase boundaries
        step = int(t // period)
        within = t - step * period
        target = EMOTIONS[step] if step < len(EMOTIONS) else None
        pred = INDEX[target] if target else 4
        rec = within >= countdown
        if target == "angry" and rec and within < countdown + 0.3:
            pred = INDEX["disgust"]
        if target == "sad" and rec and within >= countdown + 0.8:
            pred = None
        frames.append((t, pred))
    return frames


def test_scripted_sequence_gives_the_expected_counts():
    check = GuidedCheck(seconds=1.0, countdown_s=0.5)
    check.start(0.0)
    for t, pred in shown_sequence():
        status = check.update(pred, t)
    assert status.phase == CheckPhase.DONE
    expected = np.diag([10] * 7)
    expected[INDEX["angry"], INDEX["angry"]] = 7
    expected[INDEX["angry"], INDEX["disgust"]] = 3
    expected[INDEX["sad"], INDEX["sad"]] = 8
    np.testing.assert_array_equal(check.matrix.counts, expected)
    assert check.no_face[INDEX["sad"]] == 2 and check.no_face.sum() == 2
    assert check.matrix.recall()[INDEX["angry"]] == pytest.approx(0.7)
    assert check.matrix.accuracy() == pytest.approx(65 / 68)
    # repeat: the same run again gives the same counts, not double
    check.start(100.0)
    for t, pred in shown_sequence():
        check.update(pred, 100.0 + t)
    np.testing.assert_array_equal(check.matrix.counts, expected)


def test_csv_export(tmp_path):
    counts = np.zeros((7, 7), dtype=np.int64)
    counts[0, 0], counts[0, 1], counts[3, 3] = 2, 1, 1
    no_face = np.zeros(7, dtype=np.int64)
    no_face[0] = 5
    path = write_check_csv(ConfusionMatrix(counts), no_face, tmp_path / "m.csv")
    rows = list(csv.reader(path.open()))
    assert rows[0][1:8] == list(EMOTIONS)
    assert rows[1] == ["angry", "2", "1", "0", "0", "0", "0", "0", "3", "0.6667", "5"]
    assert rows[2][-2:] == ["", "0"]  # disgust never asked: no recall rather than 0
    assert rows[-1] == ["accuracy", "0.7500"]
    empty = write_check_csv(ConfusionMatrix(np.zeros((7, 7), int)), no_face, tmp_path / "e.csv")
    assert list(csv.reader(empty.open()))[-1] == ["accuracy", ""]


@pytest.mark.parametrize("pred", [-1, 7])
def test_a_prediction_outside_the_classes_is_refused(pred):
    check = GuidedCheck(seconds=1.0, countdown_s=0.0)
    check.start(0.0)
    with pytest.raises(ValueError, match="predicted class"):
        check.update(pred, 0.5)


def test_matrix_is_a_snapshot():
    check = GuidedCheck(seconds=1.0, countdown_s=0.0)
    check.start(0.0)
    check.update(2, 0.1)
    snap = check.matrix
    check.update(2, 0.2)
    assert snap.n == 1 and check.matrix.n == 2


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"seconds": 0}, "check_seconds"), ({"countdown_s": -1}, "check_countdown_s"),
    ({"order": ("happy", "bored")}, "order"), ({"order": ()}, "order"),
])
def test_bad_check_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GuidedCheck(**kwargs)


# ---- the check steps inside the session (issue 23, move 5) ---------------------------------
def _session_rows(name: str, n: int):
    from app.bench.replay import ProbsProcessor

    probs = np.full(len(EMOTIONS), 0.05 / (len(EMOTIONS) - 1))
    probs[EMOTIONS.index(name)] = 0.95
    return ProbsProcessor([probs] * n)


def test_the_session_counts_its_main_face_and_pauses_gestures_while_the_check_runs():
    from app.bench.replay import replay_frame
    from app.config import GestureConfig
    from app.pipeline.session import FrameSession

    session = FrameSession(_session_rows("surprise", 40),  # surprise held: the "next" gesture
                           gestures=GestureConfig(mapping={"surprise": "next"}))
    first = session.step(replay_frame(0, 0.0))
    assert first.check is None  # no check handed over yet: nothing in the result
    handed = session.check.start(GuidedCheck(1.0, 0.5, order=("surprise",)))  # any thread
    assert handed.status.phase == CheckPhase.IDLE and handed.run == 1
    results = [session.step(replay_frame(i, i / 10)) for i in range(1, 40)]
    assert results[0].check.status.phase == CheckPhase.COUNTDOWN  # started at this frame
    done = results[-1].check
    # started at t = 0.1: recording from 0.6 to 1.6 s counts 10 frames, all surprise
    assert done.status.phase == CheckPhase.DONE and done.run == 1 and done.frames == 10
    assert done.counts[EMOTIONS.index("surprise")][EMOTIONS.index("surprise")] == 10
    running = [r for r in results if r.check.running]
    assert len(running) == 15 and all(r.gesture is None for r in running)
    assert any(r.gesture is not None for r in results if not r.check.running)


@pytest.mark.parametrize(("start_t", "first_phase", "counted"), [
    (None, CheckPhase.COUNTDOWN, 10),  # from the next frame's time (10.0)
    (9.5, CheckPhase.RECORDING, 10),  # from a time the window saw: already recording
    (5.0, CheckPhase.DONE, 0),  # long over by the next frame
])
def test_a_handed_over_check_starts_where_it_was_asked(start_t, first_phase, counted):
    steps = SessionCheck()
    steps.start(GuidedCheck(1.0, 0.5, order=("angry",)), t=start_t)
    states = [steps.step(3, 10.0 + k / 10) for k in range(16)]  # frames 10.0 .. 11.5 s
    assert states[0].status.phase == first_phase
    assert states[-1].status.phase == CheckPhase.DONE and states[-1].counts[0][3] == counted
    assert states[-1].frames == counted


def test_reset_and_restart_number_the_runs_so_stale_results_can_be_told():
    steps = SessionCheck()
    a = steps.start(GuidedCheck(1.0, 0.0), t=0.0)
    assert a.run == 1 and a.status.phase == CheckPhase.RECORDING  # shown at once
    assert steps.step(0, 0.1).frames == 1
    b = steps.reset(GuidedCheck(2.0, 0.0))
    after = steps.step(0, 0.2)
    assert b.run == after.run == 2 and after.frames == 0 and after.seconds == 2.0
    assert after.status.phase == CheckPhase.IDLE and not after.running
