"""Every setting has one rule (app/settings_rules.py), and the loader, the components and the
Settings dialog all apply that rule: one valid and one invalid row per key, read by each."""

from __future__ import annotations

import dataclasses

import pytest

from app.config import (
    AppConfig,
    FaceGestureConfig,
    GestureConfig,
    MusicConfig,
    SmoothingConfig,
    config_from_dict,
)
from app.settings_rules import RULES, bounds, check_section, check_value, require

pytestmark = pytest.mark.faults

# key -> (a value inside its range, ideally at an edge; a value just outside it)
ROWS: dict[str, tuple[object, object]] = {
    "capture.source": ("video.mp4", " "),
    "capture.width": (16, 15),
    "capture.height": (4320, 4321),
    "capture.image_seconds": (1.0, 0.0),
    "model.members": (("cnn2",), ("cnn1", "cnn3")),
    "model.fusion": ("sum", "max"),
    "model.device": ("cuda:1", "tpu"),
    "model.threads": (64, 0),
    "model.optimize": ("none", "turbo"),
    "model.detect_every": (30, 31),
    "model.detector": ("mediapipe", "haar"),
    "model.crop_margin": (0.5, 0.51),
    "model.min_face_px": (0, -1),
    "model.detect_score": (1.0, 0.0),
    "model.max_faces": (1, 33),
    "smoothing.ema_alpha": (1.0, 0.0),
    "smoothing.dwell_s": (0.0, 60.5),
    "smoothing.enter_threshold": (0.0, 1.01),
    "smoothing.hysteresis": (0.95, 0.96),
    "smoothing.face_lost_s": (60.0, -0.1),
    "smoothing.neutral_cap": (2.5, -1.0),
    "music.mode": ("lift", "shuffle"),
    "music.lift_map": ({"sad": "happy"}, {"sad": "ecstatic"}),
    "music.min_confidence": (1.0, 1.5),
    "music.dwell_s": (600.0, -1.0),
    "music.cooldown_s": (0.0, 3601.0),
    "music.volume": (100, 101),
    "music.ramp_s": (30.0, 30.5),
    "music.backend": ("external", "spotify"),
    "music.playlists": ({"happy": "Party mix"}, {"joy": "Party mix"}),
    "gestures.threshold": (1.0, 0.0),
    "gestures.hold_s": (0.1, 0.05),  # the loader said >= 0.1, the detector >= 0: now one
    "gestures.refractory_s": (0.0, -0.1),
    "gestures.mapping": ({"sad": "lock"}, {"happy": "dance"}),
    "gestures.release_margin": (0.0, 1.5),
    "gestures.gap_s": (10.0, 10.5),
    "face_gestures.mapping": ({"blink_left": "lock"}, {"wink": "next"}),
    "face_gestures.thresholds": ({"smile": 1.0}, {"smile": 0.0}),
    "face_gestures.holds": ({"blink": 30.0}, {"blink": 0.05}),
    "face_gestures.cooldowns": ({"pucker": 0.0}, {"pucker": 60.5}),
    "face_gestures.hold_s": (0.1, 0.05),
    "face_gestures.cooldown_s": (60.0, -0.1),
    "face_gestures.blink_min_s": (5.0, 5.5),
    "ui.theme": ("high-contrast", "neon"),
    "ui.check_seconds": (0.5, 0.4),
    "ui.check_countdown_s": (60.0, -1.0),
    "booth.pin": ("4321", "12"),
    "booth.visitor_gone_s": (1.0, 0.5),
    "booth.attract_after_s": (3600.0, 3601.0),
    "booth.watchdog_stall_s": (2.0, 1.0),
}
VALID = [(k, ok) for k, (ok, _) in ROWS.items()]
INVALID = [(k, bad) for k, (_, bad) in ROWS.items()]


def test_every_rule_has_a_valid_and_an_invalid_row():
    assert set(ROWS) == set(RULES)


def _toml_value(value):
    return list(value) if isinstance(value, tuple) else value


@pytest.mark.parametrize(("key", "value"), VALID)
def test_loader_keeps_a_valid_value(key, value):
    section, name = key.split(".")
    config, problems = config_from_dict({section: {name: _toml_value(value)}})
    assert problems == []
    assert getattr(getattr(config, section), name) == value


@pytest.mark.parametrize(("key", "value"), INVALID)
def test_loader_refuses_an_invalid_value_with_the_range(key, value):
    section, name = key.split(".")
    config, problems = config_from_dict({section: {name: _toml_value(value)}})
    assert config == AppConfig()
    assert len(problems) == 1 and f"{key} = " in problems[0]
    assert f"(allowed: {check_value(key, value)})" in problems[0]


# The components that receive a whole section check it with the same rules.
COMPONENT_SECTIONS = {"smoothing": SmoothingConfig, "music": MusicConfig,
                      "gestures": GestureConfig, "face_gestures": FaceGestureConfig}


def _component(section: str, cfg):
    from app.music.face_gestures import FaceGestureDetector
    from app.music.gestures import GestureDetector
    from app.music.policy import MusicPolicy
    from app.pipeline.smoothing import EmotionSmoother

    return {"smoothing": EmotionSmoother, "music": MusicPolicy,
            "gestures": GestureDetector, "face_gestures": FaceGestureDetector}[section](cfg)


@pytest.mark.parametrize(("key", "value", "ok"),
                         [(k, v, True) for k, v in VALID if k.split(".")[0] in
                          COMPONENT_SECTIONS]
                         + [(k, v, False) for k, v in INVALID if k.split(".")[0] in
                            COMPONENT_SECTIONS])
def test_components_apply_the_same_rule(key, value, ok):
    section, name = key.split(".")
    cfg = dataclasses.replace(COMPONENT_SECTIONS[section](), **{name: value})
    if ok:
        _component(section, cfg)
        check_section(section, cfg)
    else:
        with pytest.raises(ValueError, match=rf"{key} = .* out of range \(allowed: "):
            _component(section, cfg)


@pytest.mark.parametrize(("key", "value", "ok"), [
    ("ui.check_seconds", ROWS["ui.check_seconds"][0], True),
    ("ui.check_seconds", ROWS["ui.check_seconds"][1], False),
    ("ui.check_countdown_s", ROWS["ui.check_countdown_s"][0], True),
    ("ui.check_countdown_s", ROWS["ui.check_countdown_s"][1], False),
])
def test_the_guided_check_applies_the_ui_rules(key, value, ok):
    from app.pipeline.check import GuidedCheck

    kwargs = {"seconds" if key == "ui.check_seconds" else "countdown_s": value}
    if ok:
        GuidedCheck(**kwargs)
    else:
        with pytest.raises(ValueError, match=key):
            GuidedCheck(**kwargs)


@pytest.mark.parametrize(("field", "value", "ok"), [
    ("threshold", 1.0, True), ("threshold", 0.0, False),
    ("hold_s", 0.1, True), ("hold_s", 0.05, False),
])
def test_a_profiles_gestures_obey_the_gesture_rules(field, value, ok):
    from app.profiles.profile import GestureBinding, ProfileError

    if ok:
        GestureBinding("happy", "next", **{field: value})
    else:
        with pytest.raises(ProfileError, match=f"gestures.{field}"):
            GestureBinding("happy", "next", **{field: value})


def test_release_margin_must_stay_below_the_threshold():
    from app.music.gestures import GestureDetector

    with pytest.raises(ValueError, match="release_margin"):
        GestureDetector(GestureConfig(threshold=0.5, release_margin=0.5))


@pytest.mark.parametrize(("key", "decimals", "expected"), [
    ("smoothing.ema_alpha", 2, (0.01, 1.0)),  # open low end: one step above 0
    ("smoothing.dwell_s", 1, (0.0, 60.0)),
    ("gestures.hold_s", 2, (0.1, 30.0)),
])
def test_spin_box_bounds_are_the_rule(key, decimals, expected):
    low, high = bounds(key, decimals)
    assert (low, high) == pytest.approx(expected)
    assert check_value(key, low) is None and check_value(key, high) is None


def test_bounds_refuse_a_key_without_a_numeric_range():
    with pytest.raises(TypeError, match="model.fusion"):
        bounds("model.fusion")
    with pytest.raises(ValueError, match="model.fusion = 'max'"):
        require("model.fusion", "max")
