"""Face gestures: thresholds over the neutral, hold, cooldown, rivals, blink filter."""

from __future__ import annotations

import numpy as np
import pytest

from app.config import FaceGestureConfig, config_from_dict
from app.music.face_gestures import GESTURES, RIVALS, FaceGestureDetector, gesture_scores
from app.records import BLENDSHAPE_NAMES, FACE_GESTURE_NAMES, MARK_ACTION

FPS = 30.0
REST = {"browInnerUp": 0.1, "eyeBlinkLeft": 0.05, "eyeBlinkRight": 0.05}


def shapes(values: dict[str, float]) -> np.ndarray:
    out = np.zeros(len(BLENDSHAPE_NAMES), np.float32)
    for name, v in {**REST, **values}.items():
        out[BLENDSHAPE_NAMES.index(name)] = v
    return out


class Counted(FaceGestureDetector):
    frames = 0  # video time = frame index / FPS, carried across calls of `run`


def run(detector: FaceGestureDetector, steps: list[tuple[float, dict | None]]):
    """Feed (seconds, blendshapes or None = no face) at 30 fps; (gesture, action, t) fired."""
    fired = []
    for seconds, values in steps:
        for _ in range(int(round(seconds * FPS))):
            t = detector.frames / FPS
            detector.frames += 1
            ev = detector.update(None if values is None else shapes(values), t)
            if ev is not None:
                fired.append((ev.emotion, ev.action, round(ev.t, 2)))
    return fired


JAW = {"jawOpen": 0.6}
SMILE = {"mouthSmileLeft": 0.8, "mouthSmileRight": 0.8, "jawOpen": 0.3}
BROWS = {"browInnerUp": 0.7, "browOuterUpLeft": 0.6, "browOuterUpRight": 0.6}
MAP = {"mouth_open": "next", "smile": "play_pause", "brows_up": "volume_up"}


@pytest.mark.parametrize(("steps", "mapping", "expected"), [
    # held for the hold time (0.6 s) after a neutral second: fires once, 0.6 s in
    ([(1, {}), (1, JAW)], MAP, [("mouth_open", "next", 1.6)]),
    # shorter than the hold: nothing
    ([(1, {}), (0.4, JAW), (1, {})], MAP, []),
    # held on for 3 s: still one press (latched until released)
    ([(1, {}), (3, JAW)], MAP, [("mouth_open", "next", 1.6)]),
    # released and made again within the cooldown (1.5 s): the second is swallowed
    ([(1, {}), (0.7, JAW), (0.3, {}), (0.7, JAW)], MAP, [("mouth_open", "next", 1.6)]),
    # ... and after the cooldown it fires again
    ([(1, {}), (0.7, JAW), (1.5, {}), (0.7, JAW)], MAP,
     [("mouth_open", "next", 1.6), ("mouth_open", "next", 3.8)]),
    # a broad smile opens the jaw too: only the smile counts (rivals)
    ([(1, {}), (1, SMILE)], MAP, [("smile", "play_pause", 1.6)]),
    # a gesture bound to nothing never fires
    ([(1, {}), (1, JAW)], {"smile": "next"}, []),
    # the face leaves in the middle of a hold: the hold starts over
    ([(1, {}), (0.4, JAW), (0.3, None), (0.4, JAW), (1, {})], MAP, []),
])
def test_gesture_sequences(steps, mapping, expected):
    cfg = FaceGestureConfig(mapping=mapping)
    assert run(Counted(cfg), steps) == expected


def test_unrelated_gestures_fire_one_per_frame_in_turn():
    """Two held at once: one event per frame, so the second fires on the next frame."""
    fired = run(Counted(FaceGestureConfig(mapping=MAP)),
                [(1, {}), (1, {**JAW, **BROWS})])
    assert {g for g, _, _ in fired} == {"mouth_open", "brows_up"}
    assert fired[1][2] - fired[0][2] == pytest.approx(1 / FPS, abs=0.01)


@pytest.mark.parametrize(("closed_s", "gesture", "fires"), [
    (0.15, "blink", False),  # an involuntary blink (shorter than blink_min_s) never counts
    (0.3, "blink", False),
    (0.8, "blink", True),  # a deliberate long closure does
    (0.8, "blink_left", False),  # both eyes closed is no wink
])
def test_blink_filter(closed_s, gesture, fires):
    cfg = FaceGestureConfig(mapping={gesture: "next"}, hold_s=0.2, blink_min_s=0.5)
    closed = {"eyeBlinkLeft": 0.9, "eyeBlinkRight": 0.9}
    fired = run(Counted(cfg), [(1, {}), (closed_s, closed), (1, {})])
    assert bool(fired) is fires


def test_wink_fires_only_with_the_other_eye_open():
    cfg = FaceGestureConfig(mapping={"blink_left": "next", "blink_right": "previous"})
    fired = run(Counted(cfg),
                [(1, {}), (1, {"eyeBlinkLeft": 0.9, "eyeBlinkRight": 0.1})])
    assert [g for g, _, _ in fired] == ["blink_left"]


def test_threshold_is_read_over_the_persons_neutral():
    """Brows that rest high (browInnerUp 0.7) do not fire brows_up; raising them does."""
    high_rest = {"browInnerUp": 0.7, "browOuterUpLeft": 0.4, "browOuterUpRight": 0.4}
    raised = {"browInnerUp": 1.0, "browOuterUpLeft": 0.8, "browOuterUpRight": 0.8}
    det = Counted(FaceGestureConfig(mapping={"brows_up": "play_pause"}))
    assert run(det, [(5, high_rest)]) == []
    assert [g for g, _, _ in run(det, [(1, raised)])] == ["brows_up"]


@pytest.mark.parametrize(("jaw", "fires"), [(0.45, False), (0.55, True)])
def test_calibrated_neutral_and_threshold(jaw, fires):
    det = Counted(FaceGestureConfig(mapping={"mouth_open": "next"}),
                              neutral={"mouth_open": 0.3}, thresholds={"mouth_open": 0.2})
    assert bool(run(det, [(1, {"jawOpen": jaw})])) is fires


def test_extra_gestures_fire_the_mark_action():
    det = Counted(FaceGestureConfig(mapping={}), extra=("mouth_open",))
    assert run(det, [(1, {}), (1, JAW)]) == [("mouth_open", MARK_ACTION, 1.6)]


def test_hold_progress_armed_fired_cancelled():
    det = Counted(FaceGestureConfig(mapping={"mouth_open": "next"}, hold_s=1.0))
    run(det, [(1, {}), (0.5, JAW)])
    assert det.hold.state == "armed" and 0.4 < det.hold.fraction < 0.6
    run(det, [(0.6, JAW)])
    assert det.hold.state == "fired" and det.hold.fraction == 1.0
    run(det, [(2, {}), (0.5, JAW), (0.2, {})])
    assert det.hold.state == "cancelled" and det.hold.gesture == "mouth_open"
    run(det, [(1, {})])
    assert det.hold is None
    assert det.levels["mouth_open"][1] == GESTURES["mouth_open"].threshold


@pytest.mark.parametrize("enabled", [False, True])
def test_the_setting_decides_whether_the_landmarker_runs(enabled):
    import dataclasses

    from app.config import AppConfig
    from app.paths import landmarker_model_path
    from app.pipeline.engine import build_processor

    if enabled and not landmarker_model_path().is_file():
        pytest.skip("models/face_landmarker.task is absent")
    base = AppConfig()
    config = dataclasses.replace(base, face_gestures=dataclasses.replace(
        base.face_gestures, enabled=enabled))
    processor = build_processor(config, require_weights=False)
    try:
        assert (processor.landmarker is not None) is enabled
    finally:
        processor.close()


@pytest.mark.parametrize(("cfg", "extra", "match"), [
    (FaceGestureConfig(mapping={"wink": "next"}), (), "face_gestures.mapping"),
    (FaceGestureConfig(mapping={"smile": "dance"}), (), "face_gestures.mapping"),
    (FaceGestureConfig(thresholds={"smile": 0.0}), (), "face_gestures.thresholds"),
    (FaceGestureConfig(holds={"smile": -1.0}), (), "face_gestures.holds"),
    (FaceGestureConfig(cooldowns={"nod": 1.0}), (), "face_gestures.cooldowns"),
    (FaceGestureConfig(hold_s=-0.1), (), "face_gestures.hold_s"),
    (FaceGestureConfig(), ("frown",), "unknown face gesture"),
])
def test_bad_settings_are_refused_with_the_key(cfg, extra, match):
    with pytest.raises(ValueError, match=match):
        Counted(cfg, extra=extra)


def test_bad_blendshape_shape_is_refused():
    with pytest.raises(ValueError, match="shape"):
        FaceGestureDetector().update(np.zeros(7), 0.0)


@pytest.mark.parametrize(("section", "problem"), [
    ({"mapping": {"brows_up": "next", "pucker": "lock"}}, None),
    ({"thresholds": {"smile": 0.2}, "holds": {"blink": 1}}, None),
    ({"mapping": {"brows_up": "explode"}}, "face_gestures.mapping"),
    ({"mapping": {"wink": "next"}}, "face_gestures.mapping"),
    ({"thresholds": {"smile": 1.5}}, "face_gestures.thresholds"),
    ({"thresholds": {"smile": "high"}}, "face_gestures.thresholds"),
    ({"holds": {"smile": 0.01}}, "face_gestures.holds"),
    ({"cooldown_s": -1}, "face_gestures.cooldown_s"),
])
def test_settings_file_rows(section, problem):
    config, problems = config_from_dict({"face_gestures": section})
    if problem is None:
        assert problems == []
        for key, value in section.items():
            got = getattr(config.face_gestures, key)
            assert got == {k: (float(v) if not isinstance(v, str) else v)
                           for k, v in value.items()}
    else:
        assert len(problems) == 1 and problem in problems[0]
        assert config.face_gestures == FaceGestureConfig()


def test_every_name_has_a_score_and_symmetric_rivals():
    scores = gesture_scores(shapes({}))
    assert tuple(scores) == FACE_GESTURE_NAMES
    for name, rivals in RIVALS.items():
        assert all(name in RIVALS[r] for r in rivals)


def test_default_binding_is_not_a_mood_movement():
    """No default face gesture is a smile or an open mouth (the mood music follows them);
    the landmarker is off until the user turns face gestures on (the speed target)."""
    assert set(FaceGestureConfig().mapping) == {"brows_up"}
    assert FaceGestureConfig().enabled is False
