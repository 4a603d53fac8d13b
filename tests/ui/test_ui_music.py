"""The music dock with the real MusicController (null player): expressions switch music and
the dock says why; buttons and shortcuts reach the controller; no gestures during the check."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from uihelp import ListSource, ScriptedProcessor, frame

from app.config import AppConfig
from app.labels import EMOTIONS
from app.music.controller import MusicController
from app.music.library import Library, Playlist, Track
from app.music.player import NullPlayer
from app.pipeline.session import FrameSession
from app.ui.main_window import MainWindow


def window_with_music(qtbot, config=None):
    config = config or AppConfig()
    lists = {e: Playlist(e, tuple(Track(Path(f"/m/{e}/{e}-{i}.wav"), e) for i in range(2)))
             for e in EMOTIONS}
    player = NullPlayer()
    controller = MusicController(config.music, Library(Path("/m"), lists), player)
    w = MainWindow(config, music_controller=controller,
                   processor_factory=lambda: (ScriptedProcessor(lambda f: None), None),
                   source_factory=lambda: ListSource())
    qtbot.addWidget(w)
    w.show()
    # The worker's session, run on this thread so the test is deterministic: it stands in
    # for the worker (same pause_gestures / set_gesture_config), so the window's guided
    # check pauses its gestures as it would the worker's.
    shown = {"emotion": None}
    session = FrameSession(ScriptedProcessor(lambda f: shown["emotion"]), config.smoothing,
                           config.gestures, music=controller)
    w.runner.worker = session
    session.check = w.checks.steps  # as the window's start_pipeline gives it to its worker
    w.feed_state = (session, shown)
    return w, player


def feed(w, emotion, t0, seconds, fps=10):
    session, shown = w.feed_state
    shown["emotion"] = emotion
    for k in range(int(seconds * fps)):
        w.on_result(session.step(frame(k, t0 + k / fps)))
    w.refresh()


def test_a_held_expression_switches_music_and_the_dock_says_why(qtbot):
    w, player = window_with_music(qtbot)
    assert w.music_panel.play_button.isEnabled()
    feed(w, "happy", 100.0, 3.0)
    view = w.music_panel.view
    assert view.now_playing.startswith("happy-0 — happy playlist")
    assert "happy held" in view.reason and view.playlist == ("happy-0", "happy-1")
    assert w.music_panel.playlist.currentRow() == 0
    w.actions["next"].trigger()
    assert w.music_panel.view.current_index == 1
    w.actions["play_pause"].trigger()
    assert player.status().state == "paused" and not w.music_panel.view.playing
    w.actions["volume_down"].trigger()
    assert w.music_panel.view.volume == AppConfig().music.volume - 10
    w.actions["lock"].setChecked(True)
    assert w.music_panel.view.locked


def test_no_gestures_fire_during_the_guided_check(qtbot):
    cfg = AppConfig()
    cfg = dataclasses.replace(cfg, gestures=dataclasses.replace(  # none bound by default
        cfg.gestures, hold_s=0.5, mapping={"surprise": "next"}),
                              music=dataclasses.replace(cfg.music, dwell_s=100.0))
    w, _ = window_with_music(qtbot, cfg)
    w.start_check_on_first_frame = True
    feed(w, "surprise", 10.0, 3.0)  # surprise is the "next" gesture
    assert w.music.last_gesture is None
    w.reset_check()
    feed(w, "neutral", 20.0, 1.0)  # let go, so a new hold starts
    feed(w, "surprise", 30.0, 3.0)
    assert w.music.last_gesture is not None and "surprise" in w.music.last_gesture


def test_without_a_controller_the_dock_says_so_and_is_disabled(qtbot):
    w = MainWindow(AppConfig(), music_message="Music is switched off in the settings.",
                   processor_factory=lambda: (ScriptedProcessor(lambda f: None), None),
                   source_factory=lambda: ListSource())
    qtbot.addWidget(w)
    assert "switched off" in w.music_panel.now.text()
    assert not w.music_panel.play_button.isEnabled()
    w.actions["next"].trigger()  # harmless


def test_the_window_controller_gets_the_gesture_chime_when_asked():
    """The window's factory is the benchmarks' one: `gestures.sound` adds the chime."""
    from app.ui.music_bridge import create_music_controller

    cfg = AppConfig()
    for sound in (False, True):
        config = dataclasses.replace(cfg, gestures=dataclasses.replace(cfg.gestures,
                                                                       sound=sound))
        controller, message = create_music_controller(config, backend="null")
        assert message is None and (controller.chime is not None) is sound
        controller.close()
