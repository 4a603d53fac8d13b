"""Issue #17, camera faults: absent, busy, failing after N frames, unplugged mid-run and
coming back; the source reconnects with backoff and says what happened, then clears it."""

from __future__ import annotations

import threading

import pytest

from app.capture.fakecamera import FakeCameraDevice
from app.capture.reconnect import ReconnectingSource
from app.capture.source import SourceError

pytestmark = pytest.mark.faults
FAST = (0.001, 0.002, 0.005)


def _source(device, **kw):
    statuses: list[str] = []
    source = ReconnectingSource(device.open, device.description, on_status=statuses.append,
                                backoff=FAST, **kw)
    return source, statuses


def test_absent_at_start_raises_unless_told_to_wait():
    device = FakeCameraDevice()
    device.unplug()
    with pytest.raises(SourceError, match="no camera is connected"):
        _source(device)
    source, statuses = _source(device, wait_for_first=True)
    assert "not available" in statuses[-1] and "Reconnecting" in statuses[-1]
    threading.Timer(0.05, device.plug).start()
    assert source.read() is not None and statuses[-1] == ""


@pytest.mark.parametrize("fault,words", [
    ("unplug", "failed (OSError"),
    ("fail_after", "stopped sending frames"),
    ("busy", "another program"),
])
def test_fault_mid_run_then_recovery(fault, words):
    device = FakeCameraDevice()
    source, statuses = _source(device)
    assert source.read() is not None
    if fault == "unplug":
        device.unplug()
    elif fault == "fail_after":
        device.fail_after = 1
    else:  # the stream dies and another program grabs the camera before we reopen it
        device.fail_after, device.busy = 1, True

    def repair():
        device.plug()
        device.busy = False
        device.fail_after = None

    timer = threading.Timer(0.05, repair)
    timer.start()
    frame = source.read()
    timer.join()
    assert frame is not None
    assert any(words in s for s in statuses) or any(words in f for f in source.faults)
    assert statuses[-1] == "" and source.reconnects == 1 and device.opens >= 2
    assert source.broken_since is None


def test_repeated_unplugs_are_each_counted_once():
    device = FakeCameraDevice()
    source, _ = _source(device)
    for _ in range(3):
        assert source.read() is not None
        device.unplug()
        threading.Timer(0.02, device.plug).start()
        assert source.read() is not None
    assert source.reconnects == 3 and len(source.faults) == 3


def test_close_ends_a_read_that_waits_for_the_camera():
    device = FakeCameraDevice()
    device.unplug()
    source, _ = _source(device, wait_for_first=True)
    threading.Timer(0.05, source.close).start()
    assert source.read() is None


def test_backoff_grows_and_is_capped():
    device = FakeCameraDevice()
    device.unplug()
    waits = []
    source = ReconnectingSource(device.open, "camera 0", wait_for_first=True,
                                backoff=(0.1, 0.25, 0.5, 1.0, 2.0))
    stop = source._stop

    def fake_wait(delay):
        waits.append(delay)
        if len(waits) > 8:
            stop.set()
        return stop.is_set()

    stop.wait = fake_wait
    assert source.read() is None
    assert waits[:5] == [0.1, 0.25, 0.5, 1.0, 2.0] and max(waits) == 2.0
