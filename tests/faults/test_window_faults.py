"""Issue #17, problems 4 and 5: messages that said the wrong thing, and the window itself
(unchecked boxes, a 1366x768 screen, the high-contrast theme, Settings > Music)."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QCheckBox
from uihelp import BIG, ListSource, ScriptedProcessor, direct_result

from app.capture.source import SourceError
from app.config import AppConfig
from app.records import FaceBox, FaceResult
from app.settings_rules import THEME_NAMES
from app.ui.main_window import MainWindow
from app.ui.restart import ended_text
from app.ui.theme import apply_theme, get_theme

pytestmark = pytest.mark.faults
LAPTOP = (1366, 728)  # a 1366x768 screen less a 40 px panel


def make_window(qtbot, theme="light", **kwargs) -> MainWindow:
    import dataclasses

    config = AppConfig()
    config = dataclasses.replace(config, ui=dataclasses.replace(config.ui, theme=theme))
    kwargs.setdefault("processor_factory", lambda: (ScriptedProcessor(lambda f: "happy"), None))
    kwargs.setdefault("source_factory", lambda: ListSource(loop=True))
    window = MainWindow(config, **kwargs)
    qtbot.addWidget(window)
    window.resize(*LAPTOP)
    window.show()
    return window


def test_the_camera_banner_goes_once_a_video_opens(qtbot):
    calls = []

    def source():
        calls.append(1)
        if len(calls) == 1:
            raise SourceError("camera 0 could not be opened: no camera is connected")
        return ListSource(loop=True)

    w = make_window(qtbot, source_factory=source)
    w.start_pipeline("0")
    qtbot.waitUntil(lambda: w.banner.isVisible(), timeout=5000)
    w.start_pipeline("/videos/clip.mp4")
    qtbot.waitUntil(lambda: not w.banner.isVisible(), timeout=5000)
    assert w.banner.text() == ""
    w.runner.stop()


def test_a_settings_banner_stays_when_a_source_opens(qtbot):
    w = MainWindow(AppConfig(), problems=("music.volume = 9999 is out of range",),
                   processor_factory=lambda: (ScriptedProcessor(lambda f: None), None),
                   source_factory=lambda: ListSource(loop=True))
    qtbot.addWidget(w)
    w.show()
    w.pipeline.on_source_opened("fake", 30.0)
    assert w.banner.isVisible() and "9999" in w.banner.text()


@pytest.mark.parametrize("spec,message,expected", [
    ("clip.mp4", "the source has no more frames", "The video ended"),
    ("0", "the source has no more frames", "Camera 0 stopped"),
    ("{folder}", "the source has no more frames", "image folder has been shown"),
    ("{folder}", "reading x failed: none of the 3 image file(s) could be read",
     "The source stopped: reading x failed: none of the 3"),
])
def test_ended_says_what_the_source_is(tmp_path, spec, message, expected):
    text = ended_text(spec.format(folder=tmp_path), message)
    assert expected in text
    if spec != "clip.mp4":
        assert "video ended" not in text


def test_no_prediction_names_its_cause(qtbot):
    w = make_window(qtbot)
    tiny = FaceBox(10, 10, 14, 14, 0.9)
    result = direct_result(1.0, "happy")
    result = type(result)(result.frame, (FaceResult(tiny, None),), 0, result.timings_ms,
                          state=result.state)
    w.probs.set_result(result)
    assert "too small to classify (14 px" in w.probs.headline
    assert "weights" not in w.probs.headline
    w.probs.set_notice("no trained weights are installed")
    w.probs.set_result(result)
    assert "see the note below" in w.probs.headline


@pytest.mark.parametrize("theme", THEME_NAMES)
def test_an_unchecked_box_is_drawn(qtbot, theme):
    apply_theme(QApplication.instance(), theme)
    box = QCheckBox("")
    qtbot.addWidget(box)
    box.resize(40, 40)
    box.show()
    image = box.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    ink = QColor(get_theme(theme).text)
    hits = sum(1 for x in range(image.width()) for y in range(image.height())
               if abs(QColor(image.pixel(x, y)).lightness() - ink.lightness()) < 40
               and QColor(image.pixel(x, y)) != QColor(get_theme(theme).window))
    assert hits >= 20  # an outline of a few pixels on each side


@pytest.mark.parametrize("theme", THEME_NAMES)
def test_a_1366x768_screen_keeps_music_and_status_bar(qtbot, theme):
    w = make_window(qtbot, theme=theme)
    QApplication.processEvents()
    hint = w.minimumSizeHint()
    assert hint.width() <= LAPTOP[0] and hint.height() <= LAPTOP[1], hint
    assert w.height() <= LAPTOP[1]
    bottom = w.statusBar().geometry().bottom()
    assert bottom <= w.height()
    dock = w.music_panel.mapTo(w, w.music_panel.rect().bottomLeft())
    assert dock.y() <= w.statusBar().geometry().top()
    assert w.music_panel.play_button.isVisible() and w.music_panel.volume.isVisible()


def test_high_contrast_keeps_the_video_large_and_the_check_whole(qtbot):
    w = make_window(qtbot, theme="high-contrast")
    w.on_result(direct_result(1.0, "happy", state_emotion="happy"))
    w.refresh()
    QApplication.processEvents()
    assert w.video.width() >= 0.4 * LAPTOP[0]
    assert w.right_stack.currentWidget() is w.right_tabs
    w.start_check()
    assert w.right_tabs.currentWidget() is w.confusion
    QApplication.processEvents()
    # seven rows of cells tall enough for count and share on two lines
    fm_h = w.confusion.canvas.fontMetrics().height()
    assert w.confusion.canvas.height() >= fm_h * (2.2 + 7 * 1.2 + 1.8)
    w.apply_theme("light")
    assert w.right_stack.currentWidget() is w.right and w.right.count() == 2


def test_settings_has_a_music_page_with_the_skipped_files(qtbot):
    from app.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(AppConfig(), [], None,
                            music_skipped=("happy: text.mp3 skipped: it does not start like "
                                           "an MP3 file",))
    qtbot.addWidget(dialog)
    page = dialog.music
    assert page.skipped.count() == 1 and "text.mp3" in page.skipped.item(0).text()
    page.library.setText("/music")
    page.mode.setCurrentText("lift")
    page.volume.setValue(35)
    config = dialog.config()
    assert (config.music.library_root, config.music.mode, config.music.volume) == \
        ("/music", "lift", 35)


def test_the_bridge_lists_only_skipped_files():
    from app.ui.music_bridge import MusicBridge

    class Snap:
        problems = ("a.mp3 skipped: it is damaged", "no playlist for fear: the music stays")

    class Controller:
        def snapshot(self):
            return Snap()

    bridge = MusicBridge.__new__(MusicBridge)
    bridge.controller = Controller()
    assert bridge.skipped_files() == ("a.mp3 skipped: it is damaged",)
    assert BIG.w > 0


def test_a_day_of_signals_does_not_kill_the_interpreter():
    """Found by the booth soak: each Signal.emit releases a reference to True or False
    (PySide6 6.12.0 on CPython 3.11); the work-around in app.ui keeps them alive."""
    import sys

    from PySide6.QtCore import QObject, Signal

    import app.ui  # noqa: F401  (applies the work-around)

    class Source(QObject):
        ping = Signal(object)

    source = Source()
    seen = []
    source.ping.connect(seen.append)
    for i in range(60_000):  # more than True and False hold on a bare 3.11 start
        source.ping.emit(i)
    assert len(seen) == 60_000 and sys.getrefcount(True) > 1000 and sys.getrefcount(False) > 1000
