"""The event-pumping wait the screenshot scripts share (no qtbot outside pytest)."""

from __future__ import annotations

import time


def wait_until(app, pred, timeout_s: float = 300.0, what: str = "the window",
               poll_s: float = 0.01) -> None:
    """Process Qt events until `pred()` is true; TimeoutError after `timeout_s` (the first
    model load on a loaded machine takes minutes, hence the generous default)."""
    end = time.monotonic() + timeout_s
    while not pred():
        if time.monotonic() > end:
            raise TimeoutError(f"{what} did not get there in time")
        app.processEvents()
        time.sleep(poll_s)
