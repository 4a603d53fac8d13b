"""A camera that comes back: reconnect with backoff after it fails, is unplugged or is busy.

`ReconnectingSource` wraps whatever opens the camera. While the camera delivers, `read()`
passes frames through. When a read fails (None, or an exception: the device node vanished,
another program took it), the source is closed and reopened with a growing pause
(`BACKOFF_S`, capped at 2 s, so frames flow again at most ~2 s plus the open time after the
camera returns). `read()` only returns None once `close()` was called, so the capture
thread never mistakes a fault for the end of a video. Each change is reported through
`on_status(text)` (called from the reading thread) and kept in `status`: a sentence for
the user while it is broken, "" once frames flow again; each outage is counted in `faults`
(the booth's daily summary reads it). No Qt here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from app.capture.source import FrameSource, SourceError
from app.records import Frame

BACKOFF_S = (0.1, 0.25, 0.5, 1.0, 2.0)

Opener = Callable[[], FrameSource]


class ReconnectingSource:
    """See the module docstring. `wait_for_first=False` raises the first open's SourceError
    (the window offers a video file instead); True keeps trying (booth mode)."""

    def __init__(self, opener: Opener, description: str, fps: float = 30.0,
                 on_status: Callable[[str], None] | None = None,
                 wait_for_first: bool = False, backoff: tuple[float, ...] = BACKOFF_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._opener = opener
        self.description = description
        self.on_status = on_status or (lambda _text: None)
        self._backoff = backoff
        self._clock = clock
        self._stop = threading.Event()
        self._source: FrameSource | None = None
        self._attempt = 0
        self.status = ""  # the latest on_status text ("" while frames flow)
        self.faults: list[str] = []  # what went wrong, in order (no images, only text)
        self.reconnects = 0
        self.broken_since: float | None = None
        self.fps = fps
        try:
            self._open()
        except SourceError as exc:
            if not wait_for_first:
                raise
            self._broken(f"{description} is not available ({exc})")

    # -- the FrameSource protocol -----------------------------------------------------
    def read(self) -> Frame | None:
        while not self._stop.is_set():
            if self._source is None and not self._try_open():
                continue
            try:
                frame = self._source.read()
                problem = None if frame is not None else "stopped sending frames"
            except Exception as exc:  # OSError, cv2.error: the device went away
                frame, problem = None, f"failed ({type(exc).__name__}: {exc})"
            if frame is not None:
                if self.broken_since is not None:
                    self._recovered()
                return frame
            self._drop()
            self._broken(f"{self.description} {problem}")
        return None

    def close(self) -> None:
        self._stop.set()
        self._drop()

    # -- internals ----------------------------------------------------------------------
    def _open(self) -> None:
        source = self._opener()
        self._source = source
        if getattr(source, "fps", 0):
            self.fps = float(source.fps)

    def _try_open(self) -> bool:
        delay = self._backoff[min(self._attempt, len(self._backoff) - 1)]
        self._attempt += 1
        if self._stop.wait(delay):
            return False
        try:
            self._open()
        except Exception as exc:
            self._broken(f"{self.description} is not available ({exc})")
            return False
        return True

    def _drop(self) -> None:
        source, self._source = self._source, None
        if source is not None:
            try:
                source.close()
            except Exception:  # closing a vanished device may fail too; it is gone anyway
                pass

    def _broken(self, why: str) -> None:
        first = self.broken_since is None
        if first:
            self.broken_since = self._clock()
            self.faults.append(why)
            self._attempt = 0
        wait = self._backoff[min(self._attempt, len(self._backoff) - 1)]
        self.status = (f"{why}. Reconnecting (next try in {wait:g} s); it resumes by "
                       "itself when the camera is back.")
        self.on_status(self.status)

    def _recovered(self) -> None:
        self.broken_since = None
        self._attempt = 0
        self.reconnects += 1
        self.status = ""
        self.on_status("")
