import dataclasses

import pytest

from app.config import AppConfig, config_path, load_config, save_config


def test_defaults_when_no_file(tmp_path):
    loaded = load_config(tmp_path / "none.toml")
    assert loaded.config == AppConfig() and loaded.problems == ()


def test_round_trip(tmp_path):
    config = AppConfig()
    config = dataclasses.replace(
        config, model=dataclasses.replace(config.model, fusion="sum", members=("cnn2",)),
        ui=dataclasses.replace(config.ui, theme="high-contrast"))
    path = save_config(config, tmp_path / "s.toml")
    loaded = load_config(path)
    assert loaded.config == config and loaded.problems == ()


def test_corrupt_file_is_moved_aside_and_defaults_used(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text("[model\nfusion = ")
    loaded = load_config(path)
    assert loaded.config == AppConfig()
    assert "could not be read" in loaded.problems[0]
    assert not path.exists()
    assert len(list(tmp_path.glob("settings.toml.corrupt-*"))) == 1


@pytest.mark.parametrize(("text", "problem"), [
    ("[model]\nthreads = 'two'\n", "model.threads"),
    ("[model]\nunknown_key = 1\n", "unknown setting model.unknown_key"),
    ("model = 3\n", "[model] is not a table"),
    ("[ui]\ncheck_seconds = true\n", "ui.check_seconds"),
])
def test_bad_values_fall_back_to_defaults_with_a_message(tmp_path, text, problem):
    path = tmp_path / "s.toml"
    path.write_text(text)
    loaded = load_config(path)
    assert loaded.config == AppConfig()
    assert any(problem in p for p in loaded.problems)


def test_int_is_accepted_for_float_settings(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("[smoothing]\ndwell_s = 2\n")
    assert load_config(path).config.smoothing.dwell_s == 2.0


def test_default_path_is_in_the_user_config_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config_path() == tmp_path / "emotune" / "settings.toml"
    save_config(AppConfig())
    assert (tmp_path / "emotune" / "settings.toml").is_file()
    assert [p.name for p in (tmp_path / "emotune").iterdir()] == ["settings.toml"]
