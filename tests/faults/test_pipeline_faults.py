"""Issue #17, problem 1 and the per-visitor reset in the controller and the worker: an
undecodable track is never replayed in a loop; reset brings music and smoothing back to
the start; a camera fault reaches the window as a status that clears."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from uihelp import ScriptedProcessor

from app.capture.fakecamera import FakeCameraDevice
from app.capture.reconnect import ReconnectingSource
from app.config import MusicConfig, SmoothingConfig
from app.music.controller import MusicController
from app.music.library import Library, Playlist, Track
from app.music.player import NullPlayer

pytestmark = pytest.mark.faults


def _controller(n_bad: int, n_good: int = 0):
    tracks = tuple(Track(Path(f"/m/bad{i}.mp3"), "neutral") for i in range(n_bad)) + \
        tuple(Track(Path(f"/m/good{i}.wav"), "neutral") for i in range(n_good))
    library = Library(Path("/m"), {"neutral": Playlist("neutral", tracks)})
    player = NullPlayer()
    return MusicController(MusicConfig(ramp_s=0.0), library, player), player


def test_tracks_that_end_at_once_are_skipped_then_never_replayed():
    controller, player = _controller(n_bad=3)
    controller.play_pause(t=0.0)
    for k in range(50):  # VLC says "ended" at once, every time it is asked to play
        player.finish("ended")
        controller.tick(t=0.01 * (k + 1))
    plays = [c for c in player.calls if c[0] == "play"]
    assert len(plays) == 3 and controller.bad == {t.path for t in controller.library.tracks(
        "neutral")}
    assert player.status().state == "stopped"
    controller.play_pause(t=5.0)  # asking again does not start the loop again
    assert len([c for c in player.calls if c[0] == "play"]) == 3


def test_a_bad_track_among_good_ones_is_skipped_for_good():
    controller, player = _controller(n_bad=1, n_good=2)
    controller.play_pause(t=0.0)
    player.finish("error")
    controller.tick(t=0.1)
    assert player.status().track.path.name == "good0.wav"
    for k, t in enumerate((100.0, 200.0, 300.0, 400.0)):  # good tracks play to their end
        player.finish("ended")
        controller.tick(t=t)
        assert player.status().track.path.name == f"good{(k + 1) % 2}.wav"


def test_reset_returns_the_music_to_the_start():
    controller, player = _controller(n_bad=0, n_good=2)
    controller.play_pause(t=0.0)
    controller.set_volume(20, t=1.0)
    controller.lock(True, t=2.0)
    action = controller.reset(t=3.0)
    snap = controller.snapshot()
    assert action.kind == "reset" and snap.state == "stopped" and snap.playlist is None
    assert snap.volume == MusicConfig().volume and not snap.locked


def test_worker_reset_state_forgets_the_smoothed_emotion_and_pin():
    from uihelp import frame

    from app.pipeline.session import FrameSession
    from app.pipeline.worker import PipelineWorker

    session = FrameSession(ScriptedProcessor(lambda f: "happy"),
                           SmoothingConfig(dwell_s=0.5, ema_alpha=1.0))
    worker = PipelineWorker(lambda: None, lambda: None)
    worker.session = session
    states = [session.step(frame(i, i / 10)).state for i in range(20)]
    assert states[-1].emotion == "happy"
    worker.set_pin((40.0, 40.0))
    worker.reset_state()  # from the GUI thread; applied before the next frame
    assert session.pin is None
    after = session.step(frame(20, 2.0)).state
    assert after.emotion is None  # the dwell starts again: nothing carried over


def test_a_camera_outage_reaches_the_window_and_clears(qtbot):
    from app.pipeline.worker import PipelineRunner, PipelineWorker

    device = FakeCameraDevice()
    seen: list[str] = []
    source = ReconnectingSource(device.open, "camera 0", backoff=(0.01, 0.02))
    worker = PipelineWorker(lambda: source, lambda: (ScriptedProcessor(lambda f: "happy"), None),
                            pace=True)
    worker.source_status.connect(seen.append)
    results = []
    worker.result.connect(results.append)
    runner = PipelineRunner()
    runner.start(worker)
    qtbot.waitUntil(lambda: len(results) > 3, timeout=5000)
    device.unplug()
    qtbot.waitUntil(lambda: any(seen), timeout=5000)
    threading.Timer(0.1, device.plug).start()
    qtbot.waitUntil(lambda: seen and seen[-1] == "", timeout=5000)
    n = len(results)
    qtbot.waitUntil(lambda: len(results) > n + 3, timeout=5000)
    runner.stop()
    first = next(s for s in seen if s)
    assert first.startswith("camera 0") and "Reconnecting" in first
    assert source.faults[0].startswith("camera 0 failed (OSError")


def test_player_events_are_handled_off_the_gui_thread(qtbot):
    """A track ending is answered by the music thread, not by the window's paint timer."""
    from app.music.ticker import MusicTicker

    controller, player = _controller(n_bad=0, n_good=2)
    controller.play_pause(t=0.0)
    threads = []
    real_play = player.play

    def play(track):
        threads.append(threading.current_thread().name)
        real_play(track)

    player.play = play
    ticker = MusicTicker(controller, period_s=0.01)
    ticker.start()
    try:
        player.finish("ended")  # the first track played long enough (t=0 -> monotonic now)
        qtbot.waitUntil(lambda: bool(threads), timeout=5000)
    finally:
        ticker.stop()
    assert threads == ["emotune-music"]
    assert player.status().track.path.name == "good1.wav"


def test_a_failing_tick_is_kept_not_raised():
    from app.music.ticker import MusicTicker

    class Broken:
        def tick(self):
            raise RuntimeError("vlc went away")

    ticker = MusicTicker(Broken(), period_s=0.005)
    ticker.start()
    import time as _time

    deadline = _time.monotonic() + 5
    while ticker.error is None and _time.monotonic() < deadline:
        _time.sleep(0.01)
    ticker.stop()
    assert ticker.error == "RuntimeError: vlc went away" and not ticker.is_alive()


def test_a_window_that_falls_behind_gets_a_bounded_queue(qtbot):
    """Back-pressure: without `result_taken`, at most MAX_IN_FLIGHT results are queued; the
    session still processes every frame (state and music stay right)."""
    from uihelp import ListSource

    from app.pipeline.worker import MAX_IN_FLIGHT, PipelineRunner, PipelineWorker

    processor = ScriptedProcessor(lambda f: "happy")
    calls = []
    real = processor.process
    processor.process = lambda f, dropped=0: calls.append(1) or real(f, dropped)
    worker = PipelineWorker(lambda: ListSource(loop=True), lambda: (processor, None),
                            pace=False)
    worker.bounded = True  # as the window sets it
    sent = []
    worker.result.connect(sent.append, Qt.ConnectionType.DirectConnection)
    runner = PipelineRunner()
    runner.start(worker)
    qtbot.waitUntil(lambda: len(calls) > 100, timeout=10000)
    assert len(sent) == MAX_IN_FLIGHT and worker.unsent > 0
    for _ in range(3):
        worker.result_taken()
    qtbot.waitUntil(lambda: len(sent) == MAX_IN_FLIGHT + 3, timeout=5000)
    runner.stop()
