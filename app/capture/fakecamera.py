"""A camera that tests and the soak can unplug: absent, busy, failing after N frames.

`FakeCameraDevice` plays the hardware: `plugged`, `busy` and `fail_after` are switched by
the test (from any thread); `open()` behaves like `CameraSource(index)` (SourceError when
absent or busy) and returns a stream whose `read()` gives synthetic frames (or frames from
`frames`, e.g. a scripted face video) until the device is unplugged, when it raises OSError
like a vanished /dev/video node. No Qt, no OpenCV device.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from app.capture.source import SourceError
from app.records import Frame

ImageFn = Callable[[int], np.ndarray]


def grey_image(index: int) -> np.ndarray:
    return np.full((120, 160, 3), 60 + index % 100, dtype=np.uint8)


class FakeCameraDevice:
    def __init__(self, index: int = 0, image: ImageFn = grey_image, fps: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.index = index
        self.image = image
        self.fps = fps
        self.clock = clock
        self.plugged = True
        self.busy = False
        self.fail_after: int | None = None  # the stream stops after this many frames
        self.opens = 0
        self.frames = 0
        self._lock = threading.Lock()

    @property
    def description(self) -> str:
        return f"camera {self.index}"

    def open(self) -> FakeCameraStream:
        with self._lock:
            if not self.plugged:
                raise SourceError(f"camera {self.index} could not be opened: no camera is "
                                  f"connected (/dev/video{self.index} does not exist)")
            if self.busy:
                raise SourceError(f"camera {self.index} could not be opened: another program "
                                  "is using it")
            self.opens += 1
            return FakeCameraStream(self)

    def unplug(self) -> None:
        self.plugged = False

    def plug(self) -> None:
        self.plugged = True


class FakeCameraStream:
    def __init__(self, device: FakeCameraDevice) -> None:
        self.device = device
        self.fps = device.fps
        self.description = device.description
        self.sent = 0
        self.closed = False

    def read(self) -> Frame | None:
        d = self.device
        if self.closed:
            return None
        if not d.plugged:
            raise OSError(f"/dev/video{d.index}: no such device")
        if d.fail_after is not None and self.sent >= d.fail_after:
            return None
        frame = Frame(d.frames, d.clock(), d.image(d.frames), self.description)
        self.sent += 1
        d.frames += 1
        return frame

    def close(self) -> None:
        self.closed = True
