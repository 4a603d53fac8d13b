"""The commands' shared plumbing: one settings rule, one script reader, one session opener."""

from __future__ import annotations

import argparse

import pytest

from app.commands.common import load_script, open_session, settings
from app.profiles.profile import ProfileError


def _args(config=None):
    return argparse.Namespace(config=None if config is None else str(config))


@pytest.mark.parametrize(("toml", "warned"), [
    ("[music]\ndwell_s = 3.0\n", False),
    ("[music]\ndwell_s = -1.0\n", True),  # out of range: the default, with a warning
    ("[music]\nno_such_key = 1\n", True),
])
def test_settings_read_config_and_warn(tmp_path, capsys, toml, warned):
    path = tmp_path / "s.toml"
    path.write_text(toml, encoding="utf-8")
    config = settings(_args(path), "bench")
    assert config is not None
    err = capsys.readouterr().err
    assert ("emotune bench: warning:" in err) is warned
    if not warned:
        assert config.music.dwell_s == 3.0 and err == ""


def test_settings_refuse_a_missing_config_file(tmp_path, capsys):
    assert settings(_args(tmp_path / "none.toml"), "predict") is None
    err = capsys.readouterr().err
    assert "emotune predict: --config" in err and "none.toml" in err


@pytest.mark.parametrize(("model", "music", "cnn1", "mode"), [
    ({"cnn1": "a.pt"}, {"mode": "lift"}, "a.pt", "lift"),
    ({"cnn1": None}, {"mode": None}, None, None),  # empty = as configured
])
def test_settings_apply_command_options(tmp_path, model, music, cnn1, mode):
    path = tmp_path / "s.toml"
    path.write_text("[gestures]\nenabled = false\n", encoding="utf-8")
    base = settings(_args(path), "x")
    config = settings(_args(path), "x", model=model, music=music)
    assert not config.gestures.enabled
    assert config.model.cnn1 == (cnn1 or base.model.cnn1)
    assert config.music.mode == (mode or base.music.mode)


def test_script_reader_prints_why(tmp_path, capsys):
    bad = tmp_path / "s.json"
    bad.write_text("{", encoding="utf-8")
    assert load_script(bad, "calibrate") is None
    assert "emotune calibrate: script" in capsys.readouterr().err


class _Closing:
    def __init__(self):
        self.closed = 0
        self.predictor = None

    def close(self):
        self.closed += 1


def test_a_profile_that_cannot_be_used_closes_the_session(tmp_path, monkeypatch):
    from app.config import AppConfig

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))  # an empty profile store
    processor, music = _Closing(), _Closing()
    with pytest.raises(ProfileError):
        open_session(AppConfig(), processor, str(tmp_path / "none.emoprofile.npz"), music)
    assert processor.closed == 1 and music.closed == 1
    session = open_session(AppConfig(), processor)
    assert session.profile is None and processor.closed == 1
