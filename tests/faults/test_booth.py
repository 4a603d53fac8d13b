"""Issue #17, booth mode: visitors, the attract screen, the per-visitor reset, the lock and
operator PIN, the watchdog, the daily summary and start-on-login."""

from __future__ import annotations

import dataclasses
import json

import pytest
from uihelp import ListSource, ScriptedProcessor, direct_result

from app.booth.autostart import desktop_entry_path, systemd_unit_path
from app.booth.summary import BoothSummary
from app.booth.visitors import VisitorTracker
from app.booth.watchdog import Watchdog
from app.config import AppConfig, BoothConfig

pytestmark = pytest.mark.faults
CFG = BoothConfig(enabled=True, pin="2468", visitor_gone_s=3.0, attract_after_s=5.0)


@pytest.mark.parametrize("frames,events,attract_at_end", [
    ([(True, 0.0)], ["arrived"], False),
    ([(True, 0.0), (False, 1.0), (True, 2.0), (False, 4.9)], ["arrived"], False),  # glance away
    ([(True, 0.0), (False, 1.0), (False, 3.0)], ["arrived", "left"], False),
    ([(True, 0.0), (False, 3.0), (False, 5.1)], ["arrived", "left"], True),
    ([(True, 0.0), (False, 3.5), (True, 4.0)], ["arrived", "left", "arrived"], False),
    ([(False, 4.0)], [], False), ([(False, 5.0)], [], True),
])
def test_visitor_tracker(frames, events, attract_at_end):
    tracker = VisitorTracker(CFG, t0=0.0)
    seen = [e.kind for face, t in frames if (e := tracker.update(face, t)) is not None]
    assert seen == events
    assert tracker.attract(frames[-1][1]) == attract_at_end


def test_a_visit_ends_without_frames_too():
    tracker = VisitorTracker(CFG, t0=0.0)
    tracker.update(True, 10.0)
    assert tracker.tick(12.0) is None
    event = tracker.tick(13.0)
    assert event.kind == "left" and event.visit_s == 0.0 and tracker.visitors == 1


def test_watchdog_restarts_a_stall_and_backs_off():
    dog = Watchdog(10.0, t0=0.0)
    assert dog.check(9.0) is None
    assert "no frame processed for 10 s" in dog.check(10.0)
    assert dog.check(25.0) is None and dog.check(30.0) is not None  # 20 s the second time
    dog.frame(31.0)
    assert dog.check(40.0) is None and dog.check(41.0) is not None  # a frame resets it


def test_watchdog_restarts_a_stopped_pipeline_sooner():
    dog = Watchdog(10.0, t0=0.0)
    dog.failed("camera 0 could not be opened")
    assert dog.check(2.0) is None
    assert dog.check(2.5) == "camera 0 could not be opened" and dog.restarts == 1


def test_summary_counts_without_images(tmp_path):
    now = [1_700_000_000.0]
    summary = BoothSummary(tmp_path, flush_s=60, clock=lambda: now[0])
    summary.visitor_left(12.0)
    summary.visitor_left(8.0)
    for _ in range(5):
        summary.frame()
    summary.fault("camera", "camera 0 failed (OSError: no such device)")
    summary.fault("watchdog", "no frame processed for 15 s", restarted=True)
    now[0] += 3600
    data = json.loads(summary.flush().read_text())
    assert (data["visitors"], data["mean_visit_s"], data["faults"], data["pipeline_restarts"]) \
        == (2, 10.0, 2, 1)
    assert data["uptime_s"] == 3600.0 and data["frames"] == 5
    assert [f["kind"] for f in data["fault_list"]] == ["camera", "watchdog"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [summary.path.name]
    assert all(set(f) == {"t", "kind", "what", "restarted"} for f in data["fault_list"])


def test_summary_starts_a_new_file_each_day(tmp_path):
    now = [1_700_000_000.0]
    summary = BoothSummary(tmp_path, clock=lambda: now[0])
    summary.visitor_left(1.0)
    first = summary.flush()
    now[0] += 86400
    summary.flush()  # the day rolled over: yesterday's file closed, counts start again
    assert summary.visitors == 0 and summary.path != first


@pytest.mark.parametrize("systemd", [False, True])
def test_autostart_writes_a_login_entry_with_kiosk(systemd, capsys):
    from app.__main__ import main

    assert main(["booth-autostart", *(["--systemd"] if systemd else [])]) == 0
    path = systemd_unit_path() if systemd else desktop_entry_path()
    text = path.read_text()
    assert "--kiosk" in text and ("ExecStart=" if systemd else "Exec=") in text
    assert str(path) in capsys.readouterr().out
    assert main(["booth-autostart", "--remove"]) == 0 and not path.exists()


# ---- the window in booth mode ---------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def booth(qtbot, tmp_path):
    from app.ui.booth import BoothMode
    from app.ui.main_window import MainWindow

    config = dataclasses.replace(AppConfig(), booth=CFG)
    window = MainWindow(config, processor_factory=lambda: (
        ScriptedProcessor(lambda f: "happy"), None),
        source_factory=lambda: ListSource(loop=True))
    qtbot.addWidget(window)
    clock = Clock()
    pins = []
    mode = BoothMode(window, config, tmp_path, clock=clock, ask_pin=lambda: pins.pop(0))
    window.resize(1200, 800)
    window.show()
    yield window, mode, clock, pins
    window.force_close = True
    window.runner.stop()


def test_locked_booth_offers_no_menu_dialog_or_close(booth):
    window, mode, _, _ = booth
    assert mode.locked and not window.menuBar().isVisible()
    assert not any(a.isEnabled() for a in window.actions.values())
    window.video.set_message("No video", offer_file=True)
    assert not window.video.open_button.isVisible()
    assert not window.confusion.png_button.isVisible()
    from PySide6.QtCore import Qt

    assert window.contextMenuPolicy() == Qt.ContextMenuPolicy.NoContextMenu
    window.force_close = False
    assert not window.close() and window.isVisible()
    assert mode.notice.isVisible() and "Nothing is recorded" in mode.notice.text()


def test_operator_pin(booth):
    window, mode, _, pins = booth
    pins.extend(["1111", "2468"])
    mode.toggle_operator()
    assert mode.locked and mode.summary.fault_count == 1  # a wrong PIN is logged
    mode.toggle_operator()
    assert not mode.locked and window.actions["settings"].isEnabled()
    mode.toggle_operator()
    assert mode.locked


def test_attract_visitor_and_reset(booth, monkeypatch):
    window, mode, clock, _ = booth
    resets = []
    monkeypatch.setattr(window, "reset_visitor_state", lambda: resets.append(clock.t))
    clock.t += 5.0
    mode.tick()
    assert mode.attract.isVisible()
    mode.on_result(direct_result(1.0, "happy"))
    assert not mode.attract.isVisible()
    clock.t += 3.0
    mode.on_result(direct_result(2.0, None))
    assert resets == [clock.t] and mode.summary.visitors == 1
    clock.t += 2.0
    mode.tick()
    assert mode.attract.isVisible()


def test_reset_clears_check_smoothing_and_music(booth):
    window, _, _, _ = booth
    calls = []

    class Worker:
        pin = None

        def reset_state(self):
            calls.append("smoothing")

    window.runner.worker = Worker()
    window.music.reset_for_visitor = lambda: calls.append("music")
    window.start_check()
    assert window.checks.steps.step(None, 0.0).running  # the session would count now
    window.reset_visitor_state()
    window.runner.worker = None
    assert calls == ["smoothing", "music"] and not window.check.running
    assert not window.checks.steps.step(None, 1.0).running


def test_watchdog_restarts_the_pipeline_and_logs_it(booth, monkeypatch):
    window, mode, clock, _ = booth
    starts = []
    monkeypatch.setattr(window, "start_pipeline", lambda spec=None: starts.append(clock.t))
    clock.t += CFG.watchdog_stall_s
    mode.tick()
    assert starts == [clock.t] and mode.summary.restarts == 1
    assert mode.summary.faults[-1]["kind"] == "watchdog"


def test_camera_outage_is_one_fault_not_one_per_retry(booth):
    _, mode, _, _ = booth
    for _ in range(5):
        mode.on_source_status("camera 0 failed (OSError). Reconnecting (next try in 1 s)")
    mode.on_source_status("")
    mode.on_source_status("camera 0 stopped sending frames. Reconnecting")
    assert [f["kind"] for f in mode.summary.faults] == ["camera", "camera"]
