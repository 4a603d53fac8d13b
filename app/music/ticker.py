"""Player events and fades on a thread of their own, never on the GUI thread.

libvlc reports "ended" / "error" from its threads; someone must then pick the next track
and call into VLC again, and fades need a step every ~100 ms even when no frames arrive
(camera paused, nobody in front). That used to happen on the window's paint timer, so a
slow or failing `play()` froze the window. `MusicTicker` calls `controller.tick()` every
`period_s` on a daemon thread (the controller's lock serialises it with the worker's
per-frame `update` and the buttons); an exception is kept in `error` and the loop goes on.
"""

from __future__ import annotations

import threading


class MusicTicker(threading.Thread):
    def __init__(self, controller, period_s: float = 0.1) -> None:
        super().__init__(name="emotune-music", daemon=True)
        self.controller = controller
        self.period_s = period_s
        self.ticks = 0
        self.error: str | None = None
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(self.period_s):
            try:
                self.controller.tick()
                self.ticks += 1
                self.error = None
            except Exception as exc:  # a player fault must not end the music thread
                self.error = f"{type(exc).__name__}: {exc}"

    def stop(self, timeout: float = 1.0) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(timeout)
