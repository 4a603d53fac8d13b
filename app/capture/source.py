"""Frame sources (camera, video file, image folder) and the latest-frame slot. No Qt here.

`open_source(spec)` takes what a user types: a camera index ("0"), a video file or a folder
of images. Every source yields RGB `Frame`s and says clearly what is wrong when it cannot
open. The `LatestFrameSlot` sits between capture and processing: the newest frame wins and
stale ones are counted as dropped, so nothing queues up behind a webcam.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from pathlib import Path
from typing import Protocol

import cv2

from app.errors import Kind, UserError
from app.records import Frame
from app.vision.image import ensure_rgb

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


class SourceError(UserError, RuntimeError):
    """A source that cannot be opened or read; the message says what to do, the kind
    (app.errors) gives the exit code."""

    def __init__(self, message: str, kind: Kind = Kind.DAMAGED, detail: str = "") -> None:
        super().__init__(kind, message, detail)


class FrameSource(Protocol):
    fps: float
    description: str

    def read(self) -> Frame | None: ...

    def close(self) -> None: ...


class _CvSource:
    """Shared reader for cv2.VideoCapture-backed sources (camera or file)."""

    def __init__(self, cap: cv2.VideoCapture, description: str, loop: bool) -> None:
        self._cap = cap
        self.description = description
        self.loop = loop
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and 1.0 <= fps <= 240.0 else 30.0
        self._index = 0

    def read(self) -> Frame | None:
        if self._cap is None:
            return None
        ok, bgr = self._cap.read()
        if not ok and self.loop and self._cap.get(cv2.CAP_PROP_FRAME_COUNT) > 0:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, bgr = self._cap.read()
        if not ok or bgr is None:
            return None
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB) if bgr.ndim == 3 and bgr.shape[2] == 3 \
            else ensure_rgb(bgr)
        frame = Frame(self._index, time.monotonic(), rgb, self.description)
        self._index += 1
        return frame

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def _no_device_node(index: int) -> bool:
    """True on Linux when /dev/video<index> does not exist (opening it would only print
    OpenCV warnings before failing); elsewhere we cannot tell without trying."""
    return sys.platform.startswith("linux") and not Path(f"/dev/video{index}").exists()


@contextlib.contextmanager
def _quiet_opencv():
    """OpenCV's own warnings (failed camera probes) off while probing; restored after."""
    log = getattr(getattr(cv2, "utils", None), "logging", None)
    if log is None:
        yield
        return
    previous = log.getLogLevel()
    log.setLogLevel(log.LOG_LEVEL_ERROR)
    try:
        yield
    finally:
        log.setLogLevel(previous)


class CameraSource(_CvSource):
    def __init__(self, index: int, width: int = 640, height: int = 480) -> None:
        if _no_device_node(index):
            raise SourceError(f"camera {index} could not be opened: no camera is connected "
                              f"(/dev/video{index} does not exist). Connect a camera, choose "
                              "another one in Settings, or open a video file instead.",
                              Kind.UNAVAILABLE)
        with _quiet_opencv():
            cap = cv2.VideoCapture(index)
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"camera {index} could not be opened: no camera is connected, "
                              "another program is using it, or access was denied. Choose "
                              "another camera in Settings, or open a video file instead.",
                              Kind.UNAVAILABLE)
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        super().__init__(cap, f"camera {index}", loop=False)


class VideoFileSource(_CvSource):
    def __init__(self, path: Path, loop: bool = False) -> None:
        if not path.is_file():
            raise SourceError(f"video file {path} does not exist", Kind.MISSING)
        cap = cv2.VideoCapture(str(path))
        ok = cap.isOpened()
        first = cap.read()[0] if ok else False
        if not first:
            cap.release()
            raise SourceError(f"video file {path} could not be decoded: it is damaged or in a "
                              "format OpenCV cannot read (try MP4/H.264 or AVI/MJPEG)")
        cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        super().__init__(cap, str(path), loop)
        self.frame_count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))


class ImageFolderSource:
    """Plays image files in name order: a folder, or one still image shown again and again.

    An unreadable file is skipped (and remembered, so `skipped` counts files, not passes);
    a loop goes on for as long as one file reads. When none can be read the source raises
    SourceError saying so, rather than ending as if it were a finished video."""

    def __init__(self, folder: Path, loop: bool = False, fps: float = 10.0,
                 files: list[Path] | None = None) -> None:
        if files is None:
            files = sorted(p for p in folder.iterdir()
                           if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
            if not files:
                raise SourceError(f"folder {folder} holds no images (looked for "
                                  f"{', '.join(sorted(IMAGE_SUFFIXES))}); choose a folder of "
                                  "pictures, a video file or a camera", Kind.MISSING)
        self.files = files
        self.description = str(folder)
        self.loop = loop
        self.fps = fps
        self.unreadable: set[Path] = set()
        self._pos = 0
        self._index = 0

    @property
    def skipped(self) -> int:
        return len(self.unreadable)

    def read(self) -> Frame | None:
        while True:
            if len(self.unreadable) >= len(self.files):
                raise SourceError(f"none of the {len(self.files)} image file(s) in "
                                  f"{self.description} could be read (damaged, or not "
                                  "images despite their names)")
            if self._pos >= len(self.files):
                if not self.loop:
                    return None
                self._pos = 0
            path = self.files[self._pos]
            self._pos += 1
            if path in self.unreadable:
                continue
            bgr = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
            if bgr is None:
                self.unreadable.add(path)
                continue
            if bgr.ndim == 3 and bgr.shape[2] >= 3:
                bgr = cv2.cvtColor(bgr[:, :, :3], cv2.COLOR_BGR2RGB)
            frame = Frame(self._index, time.monotonic(), ensure_rgb(bgr), str(path))
            self._index += 1
            return frame

    def close(self) -> None:
        self.files = []


def still_image_source(path: Path, fps: float = 10.0) -> ImageFolderSource:
    """One picture as a source: the same still again and again, like a camera pointed at a
    photo (a single image is never "a video that ended")."""
    if cv2.imread(str(path), cv2.IMREAD_REDUCED_GRAYSCALE_8) is None:
        raise SourceError(f"image {path} could not be decoded: it is damaged or not an image "
                          "despite its name; choose another picture, a video or a camera")
    return ImageFolderSource(path, loop=True, fps=fps, files=[path])


def open_source(spec: str, loop: bool = False, width: int = 640,
                height: int = 480, image_fps: float = 1.0) -> FrameSource:
    """Open a camera index, a video file or an image folder by what `spec` names; a folder
    plays `image_fps` pictures a second (one a second by default: at 10 a second no one
    could read them, issue #25)."""
    spec = str(spec).strip()
    if spec.isdigit():
        return CameraSource(int(spec), width, height)
    path = Path(spec).expanduser()
    if path.is_dir():
        return ImageFolderSource(path, loop=loop, fps=image_fps)
    if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
        return still_image_source(path)
    if path.is_file():
        return VideoFileSource(path, loop=loop)
    if not path.exists():
        raise SourceError(f"{spec} does not exist: give a camera number, a video file or a "
                          "folder of pictures", Kind.MISSING)
    raise SourceError(f"source {spec!r} is neither a camera index, a video file nor a folder",
                      Kind.UNSUPPORTED)


def list_cameras(max_index: int = 5) -> list[int]:
    """Indices of cameras that open (probing is slow on some systems: call off the UI thread)."""
    found = []
    for index in range(max_index):
        if _no_device_node(index):
            continue
        with _quiet_opencv():
            cap = cv2.VideoCapture(index)
            if cap.isOpened():
                found.append(index)
            cap.release()
    return found


class LatestFrameSlot:
    """A one-frame mailbox between threads: `put` replaces, `take` waits for a fresh frame.

    A frame replaced before anyone took it counts as dropped; the consumer reads `dropped`
    to report how far behind the camera the processing is.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._closed = False
        self.dropped = 0

    def put(self, frame: Frame) -> None:
        with self._cond:
            if self._frame is not None:
                self.dropped += 1
            self._frame = frame
            self._cond.notify()

    def take(self, timeout: float | None = None) -> Frame | None:
        """The newest frame, or None on timeout or once closed and empty."""
        with self._cond:
            if self._frame is None and not self._closed:
                self._cond.wait(timeout)
            frame, self._frame = self._frame, None
            return frame

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

