"""Check > Calibrate face gestures in the window: prompts follow the video time, the main
face's blendshapes of each step are kept, the fit saves or refuses by name."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtWidgets import QMainWindow, QMessageBox

from app.records import BLENDSHAPE_NAMES, FaceBox, FaceMesh, FaceResult, Frame, FrameResult
from app.ui.face_calibrate import COUNTDOWN_S, STEP_S, FaceCalibrationFlow

FPS = 10.0


def result(t: float, jaw: float) -> FrameResult:
    shapes = np.zeros(len(BLENDSHAPE_NAMES), np.float32)
    shapes[BLENDSHAPE_NAMES.index("jawOpen")] = jaw
    mesh = FaceMesh(np.zeros((478, 3), np.float32), shapes)
    frame = Frame(int(t * FPS), t, np.zeros((8, 8, 3), np.uint8))
    return FrameResult(frame, (FaceResult(FaceBox(0, 0, 8, 8, 1.0), None, mesh),), 0, {})


@pytest.mark.parametrize(("try_jaw", "saved"), [(0.7, True), (0.06, False)])
def test_flow_records_each_step_and_fits(qtbot, monkeypatch, try_jaw, saved):
    window = QMainWindow()
    qtbot.addWidget(window)
    kept, warned = [], []
    window.runner = SimpleNamespace(worker=None)
    window.face_actions = SimpleNamespace(save_face_calibration=kept.append)
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warned.append(a[2]))
    flow = FaceCalibrationFlow(window)
    flow.steps, flow.samples = ["neutral", "mouth_open"], {"neutral": [], "mouth_open": []}
    flow.running = True
    step = COUNTDOWN_S + STEP_S
    t = 5.0
    while flow.running:
        phase = (t - 5.0) // step
        jaw = 0.05 + 0.01 * np.sin(t) if phase == 0 else try_jaw
        flow.on_result(result(t, jaw))
        t += 1 / FPS
    # the countdown part of each step is not recorded; the rest is
    assert len(flow.samples["neutral"]) == pytest.approx(STEP_S * FPS, abs=1)
    if saved:
        (cal,) = kept
        assert 0.05 < cal.thresholds["mouth_open"] < try_jaw - 0.05
        assert warned == []
    else:
        assert kept == [] and "mouth_open" in warned[0] and "was not seen" in warned[0]


@pytest.mark.parametrize("with_profile", [False, True])
def test_saved_calibration_goes_to_the_profile_or_the_settings(qtbot, tmp_path, with_profile):
    from app.config import AppConfig, load_config
    from app.music.face_calibration import FaceCalibration
    from app.ui.main_window import MainWindow
    from tests.ui.test_ui_profiles import _store

    window = MainWindow(AppConfig(), config_file=tmp_path / "settings.toml")
    qtbot.addWidget(window)
    window.calibration.store = store = _store(tmp_path / "profiles")
    window.profile_path = "Ana" if with_profile else None
    cal = FaceCalibration({"mouth_open": 0.05}, {"mouth_open": 0.3}, {"mouth_open": 0.6})
    where = window.face_actions.save_face_calibration(cal)
    saved = load_config(tmp_path / "settings.toml").config.face_gestures.thresholds \
        if (tmp_path / "settings.toml").exists() else {}
    if with_profile:
        assert where == "profile 'Ana'"
        assert store.load("Ana").face_gestures["thresholds"] == {"mouth_open": 0.3}
        assert saved == {}
    else:
        assert where == "the settings" and saved == {"mouth_open": 0.3}
    assert window.face_actions.face_gesture_detector().thresholds["mouth_open"] == 0.3
    assert window.face_actions.face_gesture_detector().fixed_neutral == {"mouth_open": 0.05}
    # switching profiles takes that profile's calibration
    window.profile_actions.use_profile_named("Ana")
    assert (window.face_actions.face_calibration is not None) is with_profile


class FakeWorker:
    """Records what the flow connects and pauses (a PipelineWorker's surface it uses)."""

    def __init__(self):
        self.paused, self.slots = [], []
        self.result = SimpleNamespace(connect=self.slots.append, disconnect=self.slots.remove)

    def pause_gestures(self, on: bool) -> None:
        self.paused.append(on)


def test_cancel_lets_go_of_the_worker_it_started_on_even_after_a_restart(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    first, second = FakeWorker(), FakeWorker()
    window.runner = SimpleNamespace(worker=first)
    flow = FaceCalibrationFlow(window)
    assert flow.start(["mouth_open"]) and first.slots == [flow.on_result]
    window.runner.worker = second  # the pipeline restarted (e.g. a settings change)
    flow.cancel()
    assert not flow.running and first.slots == [] and first.paused == [True, False]
    assert second.slots == [] and second.paused == []  # never touched the new worker


def test_a_pipeline_restart_cancels_a_face_calibration(qtbot):
    from app.config import AppConfig
    from app.ui.main_window import MainWindow

    window = MainWindow(AppConfig())
    qtbot.addWidget(window)
    flow = window.face_actions.face_flow = FaceCalibrationFlow(window)
    window.runner.worker = worker = FakeWorker()
    assert flow.start(["smile"])
    window.runner.worker = None  # nothing real to stop
    window.pipeline.start()
    assert not flow.running and worker.slots == [] and worker.paused == [True, False]
    window.runner.stop()
