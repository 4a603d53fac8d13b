"""Settings > Gestures and the hold bar in the video: what the user sets, what they see."""

from __future__ import annotations

import numpy as np
import pytest

from app.config import AppConfig, FaceGestureConfig
from app.records import FaceBox, FaceResult, Frame, FrameResult, HoldProgress
from app.ui.gestures_page import NONE, GesturesPage
from app.ui.hold_overlay import hold_text


def test_page_round_trips_the_settings(qtbot):
    cfg = AppConfig(face_gestures=FaceGestureConfig(
        mapping={"brows_up": "play_pause", "blink_left": "next"}, thresholds={"smile": 0.4},
        only=True))
    page = GesturesPage(cfg)
    qtbot.addWidget(page)
    assert page.apply(cfg).face_gestures == cfg.face_gestures
    line = {ln.name: ln for ln in page.lines}
    line["brows_up"].action.setCurrentText(NONE)
    line["pucker"].action.setCurrentText("volume_up")
    line["mouth_open"].threshold.setValue(40)
    out = page.apply(cfg).face_gestures
    assert out.mapping == {"blink_left": "next", "pucker": "volume_up"}
    assert out.thresholds == {"smile": 0.4, "mouth_open": 0.4}  # defaults are not written


def test_live_bars_and_hold_text_follow_the_session_values(qtbot):
    page = GesturesPage(AppConfig())
    qtbot.addWidget(page)
    line = {ln.name: ln for ln in page.lines}
    page.set_live({"brows_up": (0.5, 0.25), "smile": (0.1, 0.3)},
                  HoldProgress("brows_up", 0.5, "armed", "play_pause"))
    assert line["brows_up"].live.value() == 50 and "over" in line["brows_up"].live.format()
    assert line["smile"].live.value() == 10 and "over" not in line["smile"].live.format()
    assert "brows up → play/pause" in page.hold.text() and "50%" in page.hold.text()
    page.set_live(None, None)
    assert page.hold.text() == "No face seen" and line["brows_up"].live.value() == 0


@pytest.mark.parametrize(("state", "word"), [("armed", "hold"), ("fired", "done"),
                                             ("cancelled", "let go")])
def test_hold_bar_is_painted_in_every_state(qtbot, state, word):
    from app.ui.video_view import VideoView

    view = VideoView()
    qtbot.addWidget(view)
    view.resize(640, 480)
    frame = Frame(0, 0.0, np.zeros((240, 320, 3), np.uint8))
    hold = HoldProgress("mouth_open", 0.7, state, "next")
    view.set_result(FrameResult(frame, (FaceResult(FaceBox(100, 60, 100, 100, 0.9), None),),
                                0, {}, hold=hold))
    image = view.grab().toImage()
    assert not image.isNull() and word in hold_text(hold)
