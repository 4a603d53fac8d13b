"""Check > Calibrate in the window (offscreen): the shipped weights and the app's processor,
a fake camera showing one CK+ person who follows the prompts (CK+ has no neutral, so the
neutral prompt shows no face, as in the profile study). A profile file appears only after
Save, and the running session then applies it."""

from __future__ import annotations

import dataclasses

import pytest

from app.config import AppConfig
from app.paths import default_weights
from app.profiles.store import ProfileStore
from tests.conftest import DATASETS, require_datasets
from tests.ui.uihelp import PromptedPerson

pytest.importorskip("PySide6")

from app.pipeline.worker import app_processor_factory  # noqa: E402
from app.ui.actions import shortcut_table  # noqa: E402
from app.ui.calibrate_dialogs import calibration_order  # noqa: E402
from app.ui.calibrate_flow import FlowStep  # noqa: E402
from app.ui.main_window import MainWindow  # noqa: E402

SUBJECT = "S022"  # angry, disgust, surprise; the study's profile beat the weights on it


@pytest.fixture(scope="module")
def bank():
    require_datasets("ckplus48.tar.gz")
    if not all(p.is_file() for p in default_weights().values()):
        pytest.skip("the shipped weights in models/ are absent")
    from app.train.people import ckplus_people, person_bank

    return person_bank(ckplus_people(DATASETS / "ckplus48.tar.gz"), SUBJECT, "calib")


def _window(qtbot, tmp_path, bank):
    cfg = AppConfig()
    cfg = dataclasses.replace(cfg, ui=dataclasses.replace(cfg.ui, check_seconds=3.0,
                                                          check_countdown_s=1.0),
                              music=dataclasses.replace(cfg.music, enabled=False))
    holder = {}
    window = MainWindow(cfg, config_file=tmp_path / "settings.toml",
                        source_factory=lambda: holder["camera"],
                        processor_factory=app_processor_factory(cfg), pace=True)
    holder["camera"] = PromptedPerson(bank, window, after="surprise")
    window.calibration.store = ProfileStore(tmp_path / "profiles")
    qtbot.addWidget(window)
    window.show()
    return window


def test_calibrate_in_the_window_saves_only_on_save_and_the_session_uses_it(
        qtbot, tmp_path, bank):
    window = _window(qtbot, tmp_path, bank)
    store = window.calibration.store
    window.start_pipeline()
    qtbot.waitUntil(lambda: window.latest is not None, timeout=120000)
    assert window.start_calibration(sorted(bank))
    assert window.calibration.order == ("neutral", "angry", "disgust", "surprise")
    qtbot.waitUntil(lambda: window.calibration.state == FlowStep.REVIEW, timeout=240000)
    rec = window.calibration.recorder
    assert {"angry", "disgust", "surprise"} <= set(window.calibration.profile.classes)
    assert rec.dropped["no face"] > 0 and len(rec.labels) > 20
    assert store.names() == []  # reviewed, not written
    guard = window.calibration.profile.guard
    assert guard["kept"], guard  # the profile beats the shipped weights on held-out frames
    dialog = window.calibration.dialog
    assert dialog.isVisible() and dialog.save_button.isEnabled()
    dialog.name.setText("S022 in the window")
    dialog.save_button.click()
    assert store.names() == ["S022 in the window"]
    assert window.profile_path == str(store.path_for("S022 in the window"))

    def profiled() -> bool:
        session = window.runner.worker.session
        hook = session.profile
        face = window.latest.primary_face if window.latest is not None else None
        return (hook is not None and hook.profile.name == "S022 in the window"
                and face is not None and face.prediction is not None
                and face.prediction.fusion.endswith("+profile"))

    qtbot.waitUntil(profiled, timeout=60000)
    window.close()


def test_calibration_needs_a_running_pipeline_and_writes_nothing(qtbot, tmp_path):
    window = MainWindow(AppConfig(), config_file=tmp_path / "settings.toml")
    window.calibration.store = ProfileStore(tmp_path / "profiles")
    qtbot.addWidget(window)
    assert not window.start_calibration(["happy"])
    assert window.calibration.state == "idle"
    assert "start it first" in window.statusBar().currentMessage()
    assert not (tmp_path / "profiles").exists()


@pytest.mark.parametrize("chosen, order", [
    ([], ("neutral",)),
    (["surprise", "happy"], ("neutral", "happy", "surprise")),
    (["neutral", "sad"], ("neutral", "sad")),
])
def test_calibration_order_always_starts_with_neutral(chosen, order):
    assert calibration_order(chosen) == order


def test_pause_all_key_is_in_the_menu_and_f1_and_follows_the_profile(qtbot, tmp_path):
    window = MainWindow(AppConfig(), config_file=tmp_path / "settings.toml")
    qtbot.addWidget(window)
    locked = []
    window.music.toggle_lock = locked.append
    rows = {a: k for k, a, _ in shortcut_table(window.actions)}
    assert rows["Pause all gestures"] == "Ctrl+Shift+P"
    window.set_pause_shortcut("Ctrl+Alt+Space")
    assert {a: k for k, a, _ in shortcut_table(window.actions)}["Pause all gestures"] == \
        "Ctrl+Alt+Space"
    window.set_pause_shortcut("Ctrl+L")  # another action's key: the default stays
    assert window.actions["pause_all"].shortcut().toString() == "Ctrl+Shift+P"
    window.actions["pause_all"].trigger()
    window.actions["pause_all"].trigger()
    assert locked == [True, False]


def test_settings_profiles_page_lists_and_uses_a_profile(qtbot, tmp_path):
    from app.ui.settings_dialog import SettingsDialog
    from tests.ui.test_ui_profiles import _store

    window = MainWindow(AppConfig(), config_file=tmp_path / "settings.toml")
    qtbot.addWidget(window)
    window.calibration.store = store = _store(tmp_path / "profiles")
    dialog = SettingsDialog(window.config, [], window)
    window.profile_actions._wire_profiles_page(dialog)
    tabs = [dialog.pages.tabText(i) for i in range(dialog.pages.count())]
    assert tabs == ["&General", "Ges&tures", "&Profiles"]
    assert dialog.profiles.list.count() == 1 and len(dialog.profiles.rows) == 2
    dialog.profiles._use()
    assert window.profile_path == str(store.path_for("Ana"))
    window.profile_actions.use_profile_named("")
    assert window.profile_path is None


def test_choose_expressions_keeps_neutral_and_any_subset(qtbot):
    from app.ui.calibrate_dialogs import ChooseExpressions

    dialog = ChooseExpressions()
    qtbot.addWidget(dialog)
    assert not dialog.boxes["neutral"].isEnabled()
    for e, box in dialog.boxes.items():
        box.setChecked(e == "sad")
    assert dialog.chosen() == ("neutral", "sad")  # neutral cannot be left out
