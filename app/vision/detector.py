"""Face detection behind a small protocol, with a MediaPipe Tasks (BlazeFace) implementation.

The app only sees `FaceBox` records; MediaPipe is imported lazily inside the class, with a
message naming what to install when it is missing. The detector runs in IMAGE mode (single
pictures) or VIDEO mode (a stream with increasing timestamps, which lets MediaPipe reuse
state between frames). Close it explicitly: it holds native resources.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

import numpy as np

from app.errors import Kind
from app.records import FaceBox
from app.vision.base import DetectorError, FaceDetector, checked_model_path
from app.vision.image import ensure_rgb


@contextlib.contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Hide MediaPipe/LiteRT start-up chatter written by C++ straight to file descriptor 2.

    Used only around detector creation and its first frame; Python errors still propagate.
    """
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (frozen GUI, pytest capture)
        yield
        return
    saved = os.dup(fd)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


BACKENDS = ("opencv", "mediapipe")


def create_detector(backend: str = "opencv", mode: str = "image", min_score: float = 0.5,
                    max_faces: int = 4) -> FaceDetector:
    """The configured detector. Both run the same BlazeFace model file.

    "opencv" (the default) runs it through cv2.dnn and never touches the network.
    "mediapipe" uses MediaPipe Tasks, whose 1.2.2 runtime starts Google's usage logging
    (it looks up play.googleapis.com) when a detector is created: opt-in only.
    """
    if backend == "opencv":
        from app.vision.blazeface import BlazeFaceDetector

        return BlazeFaceDetector(mode=mode, min_score=min_score, max_faces=max_faces)
    if backend == "mediapipe":
        return MediaPipeFaceDetector(mode=mode, min_score=min_score, max_faces=max_faces)
    raise DetectorError(f"unknown face detector {backend!r}; choose one of {', '.join(BACKENDS)}",
                        Kind.BAD_SETTING)


class MediaPipeFaceDetector:
    """BlazeFace short-range via MediaPipe Tasks; `mode` is "image" or "video".

    Not the default: MediaPipe 1.2.2 starts a usage-logging uploader (see create_detector)."""

    def __init__(self, model_path: str | os.PathLike | None = None, mode: str = "image",
                 min_score: float = 0.5, max_faces: int = 4) -> None:
        path = checked_model_path(model_path, mode)
        os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's C++ start-up chatter
        try:
            import mediapipe as mp
            from mediapipe.tasks.python import BaseOptions, vision
        except ImportError as exc:
            raise DetectorError(
                "the MediaPipe detector is an optional extra and is not installed here (the "
                "desktop bundle ships without it): from a checkout, pip install '.[mediapipe]' "
                "(./scripts/setup.sh does it), or choose the default detector "
                f"(model.detector = \"opencv\", the same BlazeFace model) ({exc})") from exc
        self._mp = mp
        self.mode = mode
        self.max_faces = max_faces
        running = vision.RunningMode.VIDEO if mode == "video" else vision.RunningMode.IMAGE
        options = vision.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_buffer=path.read_bytes()),
            running_mode=running, min_detection_confidence=float(min_score))
        try:
            with _quiet_native_stderr():
                self._detector = vision.FaceDetector.create_from_options(options)
        except Exception as exc:  # native errors come as RuntimeError/ValueError
            raise DetectorError.from_load(path, exc) from exc
        self._last_ts = -1
        self._warmed = False

    def detect(self, image: np.ndarray, timestamp_ms: int | None = None) -> list[FaceBox]:
        if self._detector is None:
            raise DetectorError("the face detector was closed")
        rgb = np.ascontiguousarray(ensure_rgb(image))
        mp_image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb)
        quiet = contextlib.nullcontext() if self._warmed else _quiet_native_stderr()
        self._warmed = True
        with quiet:
            result = self._run(mp_image, timestamp_ms)
        height, width = rgb.shape[:2]
        boxes = [_to_box(d, width, height) for d in result.detections]
        boxes = [b for b in boxes if b is not None]
        boxes.sort(key=lambda b: b.score, reverse=True)
        return boxes[: self.max_faces]

    def _run(self, mp_image, timestamp_ms: int | None):
        if self.mode == "video":
            # MediaPipe rejects timestamps that do not increase; a looping video restarts at 0.
            ts = self._last_ts + 1 if timestamp_ms is None else int(timestamp_ms)
            ts = max(ts, self._last_ts + 1)
            self._last_ts = ts
            return self._detector.detect_for_video(mp_image, ts)
        return self._detector.detect(mp_image)

    def close(self) -> None:
        if self._detector is not None:
            with _quiet_native_stderr():
                self._detector.close()
            self._detector = None

    def __enter__(self) -> MediaPipeFaceDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _to_box(detection, width: int, height: int) -> FaceBox | None:
    """MediaPipe detection -> FaceBox clipped to the frame (None if nothing is inside)."""
    bb = detection.bounding_box
    x0, y0 = max(0, int(bb.origin_x)), max(0, int(bb.origin_y))
    x1 = min(width, int(bb.origin_x + bb.width))
    y1 = min(height, int(bb.origin_y + bb.height))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    score = float(detection.categories[0].score) if detection.categories else 0.0
    keypoints = tuple((float(k.x) * width, float(k.y) * height) for k in detection.keypoints)
    return FaceBox(x0, y0, x1 - x0, y1 - y0, min(1.0, max(0.0, score)), keypoints)


__all__ = ["BACKENDS", "DetectorError", "FaceDetector", "MediaPipeFaceDetector",
           "checked_model_path", "create_detector"]
