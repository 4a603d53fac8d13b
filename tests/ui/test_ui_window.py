"""The main window, offscreen: panels update from results, honest states, the guided check
with a scripted sequence, exports, shortcuts and accessibility, shutdown."""

from __future__ import annotations

import csv
import dataclasses

import numpy as np
import pytest
from PySide6.QtGui import QImage
from uihelp import ListSource, ScriptedProcessor, direct_result

from app.capture.source import SourceError
from app.config import AppConfig
from app.labels import EMOTIONS, INDEX
from app.pipeline.check import check_matrix
from app.pipeline.session import FrameSession
from app.records import CheckPhase
from app.ui.actions import ACTIONS, shortcut_table
from app.ui.main_window import MainWindow


def make_window(qtbot, config=None, **kwargs) -> MainWindow:
    config = config or AppConfig()
    kwargs.setdefault("processor_factory", lambda: (ScriptedProcessor(lambda f: "happy"), None))
    kwargs.setdefault("source_factory", lambda: ListSource(loop=True))
    window = MainWindow(config, **kwargs)
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    return window


def test_panels_show_the_latest_result(qtbot):
    w = make_window(qtbot)
    w.on_result(direct_result(5.0, "happy", state_emotion="happy"))
    w.refresh()
    assert w.video.result is not None and w.video.message is None
    assert w.probs.headline.startswith("Stable: HAPPY 90%")
    assert "happy 90%" in w.probs.accessibleDescription()
    assert w.status_latency.text() == "detect 4.0 ms · CNN_1 3.0 ms · CNN_2 14.0 ms"
    assert w.status_dropped.text() == "dropped 2"
    assert w.status_device.text() == "device CPU"


@pytest.mark.parametrize(("emotion", "present", "state", "headline"), [
    (None, False, None, "No face in view"),
    (None, True, "sad", "Face lost for a moment · holding sad"),
    ("happy", True, None, "Settling… (no stable expression yet)"),
])
def test_face_states_are_said_not_frozen(qtbot, emotion, present, state, headline):
    w = make_window(qtbot)
    w.on_result(direct_result(1.0, "angry", state_emotion="angry"))
    w.refresh()
    w.on_result(direct_result(2.0, emotion, face_present=present, state_emotion=state))
    w.refresh()
    assert w.probs.headline == headline
    if emotion is None:
        assert w.probs._prediction() is None  # no stale bars from the angry frame


def test_no_weights_notice_shows_and_no_prediction_is_drawn(qtbot):
    w = make_window(qtbot, processor_factory=lambda: (
        ScriptedProcessor(lambda f: None), "no trained weights are installed"))
    w.start_pipeline()
    qtbot.waitUntil(lambda: w.notice is not None, timeout=5000)
    assert "no trained weights" in w.probs.notice
    w.runner.stop()


def test_no_camera_offers_a_video_file(qtbot):
    def no_camera():
        raise SourceError("camera 0 could not be opened: no camera is connected")

    w = make_window(qtbot, source_factory=no_camera)
    w.start_pipeline("0")
    qtbot.waitUntil(lambda: "No video" in (w.video.message or ""), timeout=5000)
    assert "camera 0 could not be opened" in w.video.message
    assert w.video.offering_file and w.video.open_button.isVisible()
    assert w.banner.isVisible()


def scripted_user(period: float, countdown: float, fps: float = 10.0):
    """(t, shown) pairs: the user shows what is asked, but fear looks like surprise for the
    first 4 recorded frames, and the face is lost for 2 recorded frames of happy."""
    out = []
    for k in range(int(len(EMOTIONS) * period * fps) + 3):
        t = 0.05 + k / fps
        step = int(t // period)
        within = t - step * period
        asked = EMOTIONS[min(step, len(EMOTIONS) - 1)]
        shown = asked
        if asked == "fear" and countdown <= within < countdown + 0.4:
            shown = "surprise"
        if asked == "happy" and within >= period - 0.2:
            shown = None
        out.append((t, shown))
    return out


def test_guided_check_counts_a_scripted_sequence_and_exports(qtbot, tmp_path):
    cfg = AppConfig()
    cfg = dataclasses.replace(cfg, ui=dataclasses.replace(cfg.ui, check_seconds=1.0,
                                                          check_countdown_s=0.5))
    w = make_window(qtbot, cfg)
    # The check steps in the session, as in the worker's: the window's check goes to it.
    session = FrameSession(ScriptedProcessor(lambda f: None))
    session.check = w.checks.steps
    w.start_check_on_first_frame = True
    t0 = 500.0
    for i, (t, shown) in enumerate(scripted_user(1.5, 0.5)):
        w.on_result(session.decide(direct_result(t0 + t, shown, index=i)))
        if i % 7 == 0:
            w.refresh()  # paints in between, as the timer would
    w.refresh()
    expected = np.diag([10] * 7)
    expected[INDEX["fear"], INDEX["fear"]] = 6
    expected[INDEX["fear"], INDEX["surprise"]] = 4
    expected[INDEX["happy"], INDEX["happy"]] = 8
    np.testing.assert_array_equal(check_matrix(w.check).counts, expected)
    assert w.check.no_face[INDEX["happy"]] == 2
    assert w.check.status.phase == CheckPhase.DONE and w.check is w.latest.check
    assert w.confusion.prompt.text().startswith("Done · accuracy 94%")

    png = w.checks.export_png(str(tmp_path / "check.png"))
    image = QImage(png)
    assert not image.isNull() and image.width() == 900
    rows = list(csv.reader(open(w.checks.export_csv(str(tmp_path / "check.csv")))))
    fear = rows[1 + INDEX["fear"]]
    assert fear[0] == "fear" and fear[1 + INDEX["surprise"]] == "4" and fear[-2] == "0.6000"
    assert rows[1 + INDEX["happy"]][-1] == "2"  # frames without a face

    w.reset_check()
    assert w.check.frames == 0 and w.confusion.prompt.text().startswith("Guided check")


def test_every_action_has_a_shortcut_shown_and_a_handler(qtbot):
    w = make_window(qtbot)
    shortcuts = [a[3] for a in ACTIONS]
    assert len(set(shortcuts)) == len(shortcuts), "two actions share a shortcut"
    for key, *_ in ACTIONS:
        action = w.actions[key]
        assert not action.shortcut().isEmpty()
        assert action.shortcut().toString() in action.toolTip() or "Ctrl" in action.toolTip()
    assert len(shortcut_table()) == len(ACTIONS)
    for button in (w.confusion.start_button, w.confusion.png_button, w.music_panel.play_button):
        assert "(Ctrl+" in button.text() and button.accessibleName()
    for widget in (w.video, w.probs, w.confusion, w.confusion.canvas, w.music_panel):
        assert widget.accessibleName()


def test_high_contrast_theme_enlarges_text(qtbot):
    w = make_window(qtbot)
    before = w.probs.theme.font_pt
    w.actions["contrast"].setChecked(True)
    assert w.probs.theme.name == "high-contrast" and w.probs.theme.font_pt > before
    assert w.config.ui.theme == "high-contrast"
    w.actions["contrast"].setChecked(False)
    assert w.probs.theme.name == "light"


def test_clicking_a_face_pins_it(qtbot):
    w = make_window(qtbot, processor_factory=lambda: (
        ScriptedProcessor(lambda f: ["happy", "surprise"]), None))
    w.start_pipeline()
    qtbot.waitUntil(lambda: w.latest is not None and len(w.latest.faces) == 2, timeout=5000)
    w.pipeline.pin_at(110.0, 30.0)  # inside the small face
    qtbot.waitUntil(lambda: w.latest.primary == 1, timeout=5000)
    w.refresh()
    assert w.video.pinned
    w.pipeline.unpin()
    qtbot.waitUntil(lambda: w.latest.primary == 0, timeout=5000)


def test_real_video_runs_and_closing_stops_the_worker(qtbot, face_video, tiny_config):
    w = make_window(qtbot, tiny_config, processor_factory=None, source_factory=None,
                    source=str(face_video))
    w.start_pipeline()
    qtbot.waitUntil(lambda: w.frames_seen >= 10, timeout=60000)
    w.refresh()
    assert w.video.result is not None and w.video.result.faces
    assert w.probs._prediction() is not None
    assert w.status_fps.text().endswith("fps") and not w.status_fps.text().startswith("–")
    thread = w.runner.thread
    w.close()
    assert thread.isFinished()  # close waited for the worker; nothing left running
    assert w.runner.worker is None


def test_nothing_is_painted_while_hidden(qtbot):
    w = make_window(qtbot)
    w.hide()
    w.on_result(direct_result(3.0, "sad", state_emotion="sad"))
    w.refresh()
    assert w.video.result is None and w.frames_seen == 1  # booked, not painted
    w.show()
    w.refresh()
    assert w.video.result is not None and w.probs.headline.startswith("Stable: SAD")


def test_changed_check_timings_apply_and_reset_the_check(qtbot):
    w = make_window(qtbot)
    w.on_result(direct_result(1.0, "happy"))
    w.start_check()
    cfg = dataclasses.replace(w.config, ui=dataclasses.replace(w.config.ui, check_seconds=7.0))
    w.apply_config(cfg, save=False)
    assert w.check.seconds == 7.0 and w.confusion.check is w.check
    assert "7 s each" in w.confusion.prompt.text()


def test_the_ui_keeps_running_while_inference_is_blocked(qtbot):
    import threading

    from PySide6.QtCore import QTimer

    entered, release = threading.Event(), threading.Event()

    def slow(f):
        entered.set()
        release.wait(10)  # inference "hangs" until the test lets it go
        return "happy"

    w = make_window(qtbot, processor_factory=lambda: (ScriptedProcessor(slow), None))
    w.start_pipeline()
    qtbot.waitUntil(entered.is_set, timeout=5000)
    ticks = []
    QTimer.singleShot(0, lambda: ticks.append(1))
    qtbot.waitUntil(lambda: bool(ticks), timeout=2000)  # the UI event loop still runs
    w.actions["members"].trigger()  # and still acts on input
    assert not w.probs.show_members
    release.set()
    qtbot.waitUntil(lambda: w.latest is not None, timeout=5000)
    w.runner.stop()


def _reading(result, probs):
    """`result` with its main face's fused probabilities replaced by `probs`."""
    face = result.faces[0]
    pred = dataclasses.replace(face.prediction, probs=np.asarray(probs, dtype=np.float32))
    return dataclasses.replace(result, faces=(dataclasses.replace(face, prediction=pred),))


@pytest.mark.parametrize(("probs", "start"), [
    ([0, 0, 0, 0.9, 0.1, 0, 0], "Stable: HAPPY 90% · for 1.0 s"),  # agrees with the state
    ([0, 0, 0, 0.02, 0.03, 0.9, 0.05], "Changing to SAD 90% · was HAPPY for 1.0 s"),
    ([0.31, 0.34, 0.02, 0.06, 0.06, 0.2, 0.01],  # the frozen bundle's first second
     "Holding HAPPY (1.0 s) · the face reads nothing clearly now (at most disgust 34%)"),
])
def test_headline_never_contradicts_the_bars(qtbot, probs, start):
    w = make_window(qtbot)
    w.on_result(_reading(direct_result(5.0, "happy", state_emotion="happy"), probs))
    w.refresh()
    assert w.probs.headline.startswith(start), w.probs.headline
