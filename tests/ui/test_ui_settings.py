"""Settings: the dialog round-trips through TOML, a corrupt file is moved aside with a
message, and applying settings saves them and restarts the pipeline only when needed."""

from __future__ import annotations

import dataclasses

import pytest
from uihelp import ListSource, ScriptedProcessor

from app.config import AppConfig, load_config, save_config
from app.ui.main_window import MainWindow
from app.ui.settings_dialog import SettingsDialog


def test_dialog_round_trip_through_the_settings_file(qtbot, tmp_path):
    dialog = SettingsDialog(AppConfig(), cameras=[0, 2])
    qtbot.addWidget(dialog)
    dialog.source.setCurrentIndex(dialog.source.findData("2"))
    dialog.resolution.setCurrentIndex(dialog.resolution.findData("1280x720"))
    dialog.loop_video.setChecked(False)
    dialog.cnn1.setText("/models/a.pt")
    dialog.use_cnn2.setChecked(False)
    dialog.fusion.setCurrentText("sum")
    dialog.flip.setChecked(False)
    dialog.detect_every.setValue(3)
    dialog.ema_alpha.setValue(0.5)
    dialog.dwell_s.setValue(1.2)
    dialog.hysteresis.setValue(0.15)
    dialog.face_lost_s.setValue(2.0)
    dialog.detect_score.setValue(0.6)
    dialog.gesture_threshold.setValue(0.8)
    dialog.theme.setCurrentText("high-contrast")
    dialog.check_seconds.setValue(3.0)
    edited = dialog.config()
    path = save_config(edited, tmp_path / "settings.toml")
    loaded = load_config(path)
    assert loaded.problems == ()
    assert loaded.config == edited
    c = loaded.config
    assert (c.capture.source, c.capture.width, c.capture.height) == ("2", 1280, 720)
    assert c.capture.loop_video is False
    assert (c.model.cnn1, c.model.members, c.model.fusion) == ("/models/a.pt", ("cnn1",), "sum")
    assert (c.model.flip, c.model.detect_every) == (False, 3)
    assert (c.smoothing.ema_alpha, c.smoothing.dwell_s) == (0.5, 1.2)
    assert c.ui.theme == "high-contrast" and c.ui.check_seconds == 3.0
    # opening the dialog on the loaded settings shows them again, unchanged
    again = SettingsDialog(c, cameras=[0, 2])
    qtbot.addWidget(again)
    assert again.config() == c


def test_a_typed_video_path_is_the_source(qtbot):
    dialog = SettingsDialog(AppConfig(), cameras=[])
    qtbot.addWidget(dialog)
    dialog.source.setEditText("/videos/me.mp4")
    assert dialog.config().capture.source == "/videos/me.mp4"


def test_corrupt_settings_are_moved_aside_and_the_window_says_so(qtbot, tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text("[capture\nsource = ", encoding="utf-8")
    loaded = load_config(path)
    assert loaded.config == AppConfig() and not path.exists()
    assert list(tmp_path.glob("settings.toml.corrupt-*"))
    window = MainWindow(loaded.config, path, loaded.problems,
                        processor_factory=lambda: (ScriptedProcessor(lambda f: None), None),
                        source_factory=lambda: ListSource())
    qtbot.addWidget(window)
    window.show()
    assert window.banner.isVisible() and "could not be read" in window.banner.text()


def test_applying_settings_saves_them_and_restarts_only_when_needed(qtbot, tmp_path):
    path = tmp_path / "settings.toml"
    starts = []

    def processors():
        starts.append(1)
        return ScriptedProcessor(lambda f: "happy"), None

    window = MainWindow(AppConfig(), path, processor_factory=processors,
                        source_factory=lambda: ListSource(loop=True))
    qtbot.addWidget(window)
    window.show()
    window.start_pipeline()
    qtbot.waitUntil(lambda: len(starts) == 1, timeout=5000)
    cfg = window.config
    themed = dataclasses.replace(cfg, ui=dataclasses.replace(cfg.ui, theme="dark"))
    window.apply_config(themed)
    assert load_config(path).config.ui.theme == "dark"
    smoother = dataclasses.replace(themed, smoothing=dataclasses.replace(themed.smoothing,
                                                                         dwell_s=0.2))
    window.apply_config(smoother)
    qtbot.waitUntil(lambda: len(starts) == 2, timeout=5000)  # the pipeline restarted
    assert load_config(path).config.smoothing.dwell_s == 0.2
    window.close()


def test_cameras_are_probed_once_the_source_has_started(qtbot, monkeypatch):
    import app.pipeline.worker as worker_module  # the window's only way to capture

    probed = []
    monkeypatch.setattr(worker_module, "list_cameras", lambda: probed.append(1) or [3])
    window = MainWindow(AppConfig(), processor_factory=lambda: (ScriptedProcessor(lambda f: None),
                                                                None),
                        source_factory=lambda: ListSource(loop=True))
    qtbot.addWidget(window)
    window.probe_cameras_when_started = True
    window.start_pipeline()
    qtbot.waitUntil(lambda: window.cameras == [3], timeout=5000)
    assert probed == [1]
    window.close()


def test_dialog_limits_are_the_settings_rules(qtbot):
    """The dialog offers exactly the range the loader accepts (app.settings_rules): a
    value the file may hold is never clamped by a narrower spin box on save."""
    from app.settings_rules import bounds

    dialog = SettingsDialog(AppConfig(), cameras=[0])
    qtbot.addWidget(dialog)
    widgets = {"ema_alpha": "smoothing.ema_alpha", "dwell_s": "smoothing.dwell_s",
               "enter_threshold": "smoothing.enter_threshold",
               "hysteresis": "smoothing.hysteresis", "face_lost_s": "smoothing.face_lost_s",
               "detect_score": "model.detect_score", "detect_every": "model.detect_every",
               "min_face_px": "model.min_face_px", "music_conf": "music.min_confidence",
               "gesture_threshold": "gestures.threshold", "check_seconds": "ui.check_seconds",
               "check_countdown": "ui.check_countdown_s"}
    for attr, key in widgets.items():
        box = getattr(dialog, attr)
        decimals = box.decimals() if hasattr(box, "decimals") else 0
        low, high = bounds(key, decimals)
        assert (box.minimum(), box.maximum()) == (pytest.approx(low), pytest.approx(high)), key
    assert (dialog.music.volume.minimum(), dialog.music.volume.maximum()) == (0, 100)
