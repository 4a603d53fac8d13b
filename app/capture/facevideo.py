"""Scripted videos of real faces, for tests, benchmarks and demos (no camera needed).

A script says which expression is shown when: `{"fps": 30, "segments": [{"start_s": 0.0,
"end_s": 5.0, "emotion": "neutral"}, ...]}` (`"emotion": null` shows no face). Frames show a
real face from the shared datasets: CK+48 for the six posed expressions (CK+48 has no
neutral class) and SFEW 2.0 Val for neutral; these are sets the shipped weights were not
trained on. The face is upscaled to about 200 px and drifts slightly, as a live user does.
"""

from __future__ import annotations

import json
import math
import tarfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from app.labels import EMOTIONS, canonical
from app.paths import project_root
from app.records import FACE_GESTURE_NAMES


def shared_datasets_dir() -> Path:
    """`../shared/datasets` beside the project (may not exist)."""
    return project_root().parent / "shared" / "datasets"


@dataclass(frozen=True)
class Segment:
    start_s: float
    end_s: float
    emotion: str | None
    gesture: str | None = None  # a face gesture requested here (bench-control scores it)


@dataclass(frozen=True)
class VideoScript:
    fps: float
    segments: tuple[Segment, ...]

    @property
    def duration_s(self) -> float:
        return max(s.end_s for s in self.segments)

    def emotion_at(self, t: float) -> str | None:
        for seg in self.segments:
            if seg.start_s <= t < seg.end_s:
                return seg.emotion
        return None

    @classmethod
    def from_dict(cls, data: dict) -> VideoScript:
        try:
            if not isinstance(data, dict) or not all(isinstance(s, dict)
                                                     for s in data["segments"]):
                raise TypeError("the script and each segment must be JSON objects")
            fps = float(data.get("fps", 30))
            segments = tuple(Segment(float(s["start_s"]), float(s["end_s"]), s.get("emotion"),
                                     s.get("gesture"))
                             for s in data["segments"])
            if not all(math.isfinite(v) for s in segments for v in (s.start_s, s.end_s)) \
                    or not math.isfinite(fps):
                raise ValueError("times and fps must be finite numbers")
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"a video script needs fps and segments with start_s, end_s and "
                             f"emotion: {exc}") from exc
        if fps <= 0 or not segments:
            raise ValueError("a video script needs fps > 0 and at least one segment")
        for seg in segments:
            if seg.end_s <= seg.start_s:
                raise ValueError(f"segment {seg} ends before it starts")
            if seg.emotion is not None and seg.emotion not in EMOTIONS:
                raise ValueError(f"segment emotion {seg.emotion!r} is not one of {EMOTIONS}")
            if seg.gesture is not None and seg.gesture not in FACE_GESTURE_NAMES:
                raise ValueError(f"segment gesture {seg.gesture!r} is not a face gesture; use "
                                 f"one of {', '.join(FACE_GESTURE_NAMES)}")
        return cls(fps, segments)

    @classmethod
    def load(cls, path: str | Path) -> VideoScript:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def to_dict(self) -> dict:
        return {"fps": self.fps, "segments": [
            {"start_s": s.start_s, "end_s": s.end_s, "emotion": s.emotion}
            | ({"gesture": s.gesture} if s.gesture else {}) for s in self.segments]}

    @property
    def gestures(self) -> tuple[str, ...]:
        """The face gestures this script requests somewhere, in first-seen order."""
        return tuple(dict.fromkeys(s.gesture for s in self.segments if s.gesture))


def _decode(data: bytes) -> np.ndarray | None:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return None if image is None else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


@lru_cache(maxsize=2)
def load_face_bank(datasets_dir: str | None = None,
                   per_class: int = 40) -> dict[str, tuple[np.ndarray, ...]]:
    """RGB faces per emotion from CK+48 (six classes) and SFEW 2.0 Val (neutral).

    Raises FileNotFoundError naming the archive when the datasets are absent.
    """
    root = Path(datasets_dir) if datasets_dir else shared_datasets_dir()
    bank: dict[str, list[np.ndarray]] = {e: [] for e in EMOTIONS}
    ck, sfew = root / "ckplus48.tar.gz", root / "sfew2.tar.gz"
    for archive in (ck, sfew):
        if not archive.is_file():
            raise FileNotFoundError(f"{archive} is missing: the face videos need the shared "
                                    "datasets beside the project")
    with tarfile.open(ck) as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            label = canonical(Path(member.name).parent.name)
            if member.isfile() and label and len(bank[label]) < per_class:
                face = _decode(tar.extractfile(member).read())
                if face is not None:
                    bank[label].append(face)
    with tarfile.open(sfew) as tar:
        for member in tar:
            parts = Path(member.name).parts
            if (member.isfile() and len(parts) >= 3 and parts[-3] == "Val"
                    and parts[-2].lower() == "neutral" and len(bank["neutral"]) < per_class):
                face = _decode(tar.extractfile(member).read())
                if face is not None:
                    bank["neutral"].append(face)
    return {k: tuple(v) for k, v in bank.items()}


def compose_frame(face: np.ndarray | None, size: tuple[int, int], t: float,
                  face_px: int = 200, centre: tuple[float, float] = (0.5, 0.5)) -> np.ndarray:
    """One RGB frame: a soft background with the face pasted, drifting a few pixels."""
    width, height = size
    ramp = np.linspace(70, 140, width, dtype=np.float32)
    frame = np.repeat(np.repeat(ramp[None, :, None], height, axis=0), 3, axis=2)
    frame = frame.astype(np.uint8)
    if face is None:
        return frame
    fh = face_px
    fw = max(8, round(face.shape[1] * fh / face.shape[0]))
    scaled = cv2.resize(face, (fw, fh), interpolation=cv2.INTER_CUBIC)
    dx = int(round(6 * np.sin(2 * np.pi * 0.3 * t)))
    dy = int(round(4 * np.sin(2 * np.pi * 0.2 * t + 1.0)))
    x0 = int(centre[0] * width - fw / 2) + dx
    y0 = int(centre[1] * height - fh / 2) + dy
    xa, ya = max(0, x0), max(0, y0)
    xb, yb = min(width, x0 + fw), min(height, y0 + fh)
    if xb > xa and yb > ya:
        frame[ya:yb, xa:xb] = scaled[ya - y0:yb - y0, xa - x0:xb - x0]
    return frame


def make_face_video(path: str | Path, script: VideoScript | dict,
                    size: tuple[int, int] = (640, 480), datasets_dir: str | None = None,
                    seed: int = 0, face_px: int = 200,
                    bank: dict[str, tuple[np.ndarray, ...]] | None = None) -> Path:
    """Write the scripted video (MJPG in .avi, mp4v in .mp4); returns the path. `bank`
    (emotion -> RGB faces) replaces the mixed-people default bank, e.g. one person's
    images for a personal-profile test (app.train.people.person_bank)."""
    if isinstance(script, dict):
        script = VideoScript.from_dict(script)
    bank = bank if bank is not None else load_face_bank(datasets_dir)
    rng = np.random.default_rng(seed)
    chosen = []
    for seg in script.segments:
        faces = bank.get(seg.emotion, ()) if seg.emotion else ()
        if seg.emotion and not faces:
            raise ValueError(f"no faces for {seg.emotion!r} in the datasets")
        chosen.append(faces[int(rng.integers(len(faces)))] if faces else None)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fourcc = cv2.VideoWriter_fourcc(*("mp4v" if path.suffix.lower() == ".mp4" else "MJPG"))
    writer = cv2.VideoWriter(str(path), fourcc, script.fps, size)
    if not writer.isOpened():
        raise OSError(f"cannot write video {path}")
    try:
        for i in range(int(round(script.duration_s * script.fps))):
            t = i / script.fps
            face = None
            for seg, pick in zip(script.segments, chosen, strict=True):
                if seg.start_s <= t < seg.end_s:
                    face = pick
                    break
            frame = compose_frame(face, size, t, face_px)
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return path


def all_expressions_script(seconds_each: float = 3.0, fps: float = 30.0) -> VideoScript:
    """One segment per expression, in label order."""
    segs = tuple(Segment(i * seconds_each, (i + 1) * seconds_each, e)
                 for i, e in enumerate(EMOTIONS))
    return VideoScript(fps, segs)


__all__ = ["Segment", "VideoScript", "all_expressions_script", "compose_frame",
           "load_face_bank", "make_face_video", "shared_datasets_dir"]
