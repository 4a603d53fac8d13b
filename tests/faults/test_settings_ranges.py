"""Issue #17, problem 2: settings of the right type but out of range fall back to their
default with a message naming key, value and range; the rule tables agree with the code
that uses the values."""

from __future__ import annotations

import dataclasses

import pytest

from app.config import AppConfig, config_from_dict, config_to_dict, load_config
from app.settings_rules import RULES, check_value

pytestmark = pytest.mark.faults

BAD = [
    ("ui", "check_seconds", 0), ("smoothing", "ema_alpha", 7), ("gestures", "threshold", -1),
    ("gestures", "mapping", {"happy": "dance"}), ("gestures", "mapping", {"joy": "next"}),
    ("model", "fusion", "max"), ("model", "device", "tpu"), ("model", "members", ["cnn3"]),
    ("model", "members", []), ("model", "members", ["cnn1", "cnn1"]),
    ("music", "volume", 9999), ("music", "mode", "loud"), ("music", "lift_map", {"sad": "joy"}),
    ("model", "max_faces", 0), ("model", "detect_score", 5), ("model", "detect_score", 0),
    ("smoothing", "ema_alpha", float("nan")), ("capture", "width", 0),
    ("model", "optimize", "turbo"), ("ui", "theme", "neon"), ("booth", "pin", "12"),
    ("booth", "visitor_gone_s", 0), ("capture", "source", "  "),
]


@pytest.mark.parametrize("section,key,value", BAD)
def test_out_of_range_value_falls_back_with_a_message(section, key, value):
    config, problems = config_from_dict({section: {key: value}})
    default = getattr(getattr(AppConfig(), section), key)
    assert getattr(getattr(config, section), key) == default
    assert len(problems) == 1
    text = problems[0]
    assert f"{section}.{key} = {value!r}" in text and "out of range (allowed:" in text
    assert f"default {default!r} used" in text


@pytest.mark.parametrize("section,key,value", [
    ("ui", "check_seconds", 0.5), ("smoothing", "ema_alpha", 1.0), ("music", "volume", 0),
    ("model", "device", "cuda:1"), ("model", "members", ["cnn2"]), ("model", "max_faces", 1),
    ("gestures", "mapping", {"sad": "lock"}), ("booth", "pin", "4321"), ("booth", "pin", ""),
])
def test_values_at_the_edges_are_kept(section, key, value):
    config, problems = config_from_dict({section: {key: value}})
    assert problems == []
    got = getattr(getattr(config, section), key)
    assert got == (tuple(value) if isinstance(value, list) else value)


def test_every_default_obeys_its_rule_and_every_rule_names_a_setting():
    flat = {f"{s}.{k}": v for s, table in config_to_dict(AppConfig()).items()
            for k, v in table.items()}
    for key in RULES:
        assert key in flat, f"rule for unknown setting {key}"
        value = tuple(flat[key]) if isinstance(flat[key], list) else flat[key]
        assert check_value(key, value) is None, key


def test_name_lists_come_from_their_homes():
    """One list per kind of name: the rules use the defining modules' own tuples (same
    order), and the one copy (optimisation levels: their home imports torch) agrees."""
    from app.labels import EMOTIONS
    from app.model import fusion
    from app.model.optimize import LEVELS
    from app.records import GESTURE_ACTIONS
    from app.settings_rules import OPTIMIZE_LEVELS, THEME_NAMES
    from app.ui.theme import get_theme

    assert RULES["music.lift_map"].keys is EMOTIONS
    assert RULES["gestures.mapping"].keys is EMOTIONS
    assert RULES["gestures.mapping"].values is GESTURE_ACTIONS
    assert RULES["model.fusion"].choices is fusion.RULES
    assert set(OPTIMIZE_LEVELS) == set(LEVELS)
    assert [get_theme(name).name for name in THEME_NAMES] == list(THEME_NAMES)


def test_a_whole_hostile_file_starts_with_defaults_and_one_line_per_fault(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('[ui]\ncheck_seconds = 0\n[smoothing]\nema_alpha = 7\n'
                    '[music]\nvolume = 9999\nmode = "loud"\n[model]\ndevice = "tpu"\n')
    loaded = load_config(path)
    assert loaded.config == AppConfig()
    assert len(loaded.problems) == 5
    assert path.exists()  # a readable file with bad values is not moved aside


def test_the_defaults_run_the_subsystems_that_used_to_crash():
    """The fallbacks are values the policy, gestures and check accept (no traceback)."""
    from app.music.gestures import GestureDetector
    from app.music.policy import MusicPolicy
    from app.pipeline.check import GuidedCheck
    config, _ = config_from_dict({"ui": {"check_seconds": 0}, "music": {"mode": "x"},
                                  "gestures": {"threshold": -1, "mapping": {"happy": "x"}}})
    GuidedCheck(config.ui.check_seconds, config.ui.check_countdown_s).status(0.0)
    MusicPolicy(config.music, ("happy",))
    GestureDetector(config.gestures)
    assert dataclasses.asdict(config) == dataclasses.asdict(AppConfig())
