"""ExpW and IMFDB: in-the-wild faces, cropped the way the live app crops a webcam frame.

The live app runs BlazeFace on the frame and cuts a square around the box with
`ModelConfig.crop_margin` (12 %) added on every side, eye line levelled (`FaceCropper`).
Training on faces framed differently teaches the members a framing they never see live, so
both sets go through that same detector and cropper once, and the 64 x 64 gray crops (the
largest member input) are cached as .npz:

- ExpW's files are the labelled face with 40 % context on every side and the labelled box
  given in `label.csv`. The detector runs on the file; of its boxes the one overlapping the
  labelled box most (IoU >= 0.3) is cropped; when none does (a miss, or another face), the
  labelled box itself is cropped with the app's margin, unaligned.
- RAF-DB's files (training split only) are faces already aligned by five landmarks at 80 x 80:
  framed like IMFDB's (padded, detected, else the whole file is the box). It has no
  validation split here, so `val` is a seeded, class-stratified 10 % of `train`
  (`rafdb_val_files`) and `train` is the other 90 %; `all` is both.
- IMFDB's files are already tight face crops, with no context to detect in. Each is padded
  by 40 % on every side (edge pixels replicated, as the cropper does at a frame's edge) and
  the detector runs on the padded copy; a box overlapping the original crop (IoU >= 0.3) is
  cropped like a live face, else the whole given crop is treated as the face box. Split
  `train` keeps every actor except the 20 of `app.train.holdout`; split `holdout` yields
  ONLY those actors (people no weights saw), for evaluation.

How many faces took the detector's box and how many the fallback is kept in the set's notes.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path, PurePosixPath

import cv2
import numpy as np

from app.labels import INDEX, canonical
from app.records import FaceBox
from app.train.faceset import DatasetError, FaceSet, Store, decode_image
from app.train.holdout import IMFDB_HOLDOUT_ACTORS, is_holdout_actor

CROP_SIZE = 64  # the largest member input (CNN_1); CNN_2's 48 is a resize of it
CONTEXT_PAD = 0.4  # IMFDB: padding added on every side before detection
MIN_IOU = 0.3
WILD_SPLITS = {"expw": ("all",), "imfdb": ("train", "holdout", "all"),
               "rafdb": ("train", "val", "all")}
RAFDB_VAL_FRACTION = 0.1
RAFDB_VAL_SEED = 20261204


def iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ax1, ay1, bx1, by1 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0.0, min(ax1, bx1) - max(a[0], b[0]))
    ih = max(0.0, min(ay1, by1) - max(a[1], b[1]))
    inter = iw * ih
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


class AppCropper:
    """The app's detector + cropper applied to a still, with a known face box to fall back on."""

    def __init__(self, detector=None, margin: float | None = None, size: int = CROP_SIZE):
        from app.config import ModelConfig
        from app.vision.crop import FaceCropper

        cfg = ModelConfig()
        self._own = detector is None
        if detector is None:
            from app.vision.detector import create_detector

            detector = create_detector(cfg.detector, mode="image", min_score=cfg.detect_score,
                                       max_faces=cfg.max_faces)
        self.detector = detector
        self.cropper = FaceCropper(size=size, margin=cfg.crop_margin if margin is None
                                   else margin)
        self.detected = 0
        self.fallback = 0

    def crop(self, rgb: np.ndarray, known: tuple[int, int, int, int]) -> np.ndarray:
        """Gray crop of the face at `known` (x, y, w, h): the detector's box when it agrees."""
        boxes = self.detector.detect(rgb)
        best = max(boxes, key=lambda b: iou((b.x, b.y, b.w, b.h), known), default=None)
        if best is not None and iou((best.x, best.y, best.w, best.h), known) >= MIN_IOU:
            self.detected += 1
            box = best
        else:
            self.fallback += 1
            box = FaceBox(int(known[0]), int(known[1]), max(2, int(known[2])),
                          max(2, int(known[3])), 1.0)
        out = self.cropper.crop(rgb, box).image
        return cv2.cvtColor(out, cv2.COLOR_RGB2GRAY)

    def note(self) -> str:
        return (f"framing: {self.detected} faces cropped on the app's detector box, "
                f"{self.fallback} on the given box (no agreeing detection)")

    def close(self) -> None:
        if self._own:
            self.detector.close()


def _rgb(image: np.ndarray) -> np.ndarray:
    return np.repeat(image[:, :, None], 3, axis=2) if image.ndim == 2 else image[:, :, :3]


def _rows(store: Store, csv_name: str, needed: tuple[str, ...]) -> list[dict[str, str]]:
    names = [n for n in store.names() if PurePosixPath(n).name == csv_name]
    if not names:
        raise DatasetError(f"{store.root}: no {csv_name}; expected the layout of "
                           "../shared/datasets/README.md")
    rows = list(csv.DictReader(io.StringIO(store.read_text(names[0]))))
    missing = [c for c in needed if rows and c not in rows[0]]
    if not rows or missing:
        raise DatasetError(f"{store.root}/{names[0]}: needs columns {', '.join(needed)}; "
                           f"missing {', '.join(missing) or 'every row'}")
    # The csv names files from the dataset's top folder (expw/angry/x.jpg); the store may
    # hold that folder (the archive) or be it (an unpacked copy).
    known = set(store.names())
    base = PurePosixPath(names[0]).parent
    for r in rows:
        f = PurePosixPath(r["file"])
        for candidate in (f, base / f, PurePosixPath(*f.parts[1:]) if len(f.parts) > 1 else f):
            if candidate.as_posix() in known:
                r["path"] = candidate.as_posix()
                break
        else:
            r["path"] = f.as_posix()  # missing: counted as unreadable
    return rows


def _rafdb_rows(store: Store) -> list[dict[str, str]]:
    """RAF-DB's `train/<class>/<file>` images as label rows (the class is the folder)."""
    rows = []
    for name in store.names():
        parts = PurePosixPath(name).parts
        if len(parts) >= 3 and parts[-3] == "train" and \
                PurePosixPath(name).suffix.lower() in (".jpg", ".jpeg", ".png"):
            rows.append({"path": name, "file": parts[-1], "label": parts[-2]})
    if not rows:
        raise DatasetError(f"{store.root}: no train/<class>/<image> files; expected the RAF-DB "
                           "layout of ../shared/datasets/README.md")
    return rows


def rafdb_val_files(rows: list[dict[str, str]]) -> set[str]:
    """The seeded, class-stratified 10 % of RAF-DB's training split held out for selection:
    per class, the files sorted by name, shuffled with a fixed seed, the first 10 % taken."""
    rng = np.random.default_rng(RAFDB_VAL_SEED)
    held: set[str] = set()
    for label in sorted({r["label"] for r in rows}):
        files = sorted(r["file"] for r in rows if r["label"] == label)
        n = int(round(len(files) * RAFDB_VAL_FRACTION))
        held.update(files[i] for i in rng.permutation(len(files))[:n])
    return held


def select_rows(kind: str, store: Store, split: str) -> list[dict[str, str]]:
    """The label rows of a split (no image decoded): IMFDB `train` drops the hold-out actors,
    `holdout` keeps only them; RAF-DB `val` is `rafdb_val_files`, `train` the rest; rows whose
    label is not one of the seven are left out."""
    if kind == "rafdb":
        rows = [r for r in _rafdb_rows(store) if canonical(r["label"]) is not None]
        if split != "all":
            val = rafdb_val_files(rows)
            rows = [r for r in rows if (r["file"] in val) == (split == "val")]
        return rows
    if kind == "expw":
        rows = _rows(store, "label.csv", ("file", "label", "box_x", "box_y", "box_w", "box_h"))
    else:
        rows = _rows(store, "labels.csv", ("file", "label", "actor"))
        if split == "train":
            rows = [r for r in rows if not is_holdout_actor(r["actor"])]
        elif split == "holdout":
            rows = [r for r in rows if is_holdout_actor(r["actor"])]
    return [r for r in rows if canonical(r["label"]) is not None]


def read_wild(kind: str, root, split: str, detector=None) -> FaceSet:
    """ExpW (`all`), IMFDB (`train`, `holdout`, `all`) or RAF-DB (`train`, `val`, `all`) as
    app-framed 64 x 64 gray crops."""
    if split not in WILD_SPLITS[kind]:
        raise DatasetError(f"{kind} has no split {split!r}; choose one of "
                           f"{', '.join(WILD_SPLITS[kind])}")
    store = Store(root)
    by_path = {r["path"]: r for r in select_rows(kind, store, split)}
    cropper = AppCropper(detector)
    images, labels, files, subjects, bad = [], [], [], [], 0
    try:
        for name, data in store.read_many(list(by_path)):
            image = decode_image(data) if data is not None else None
            if image is None:
                bad += 1
                continue
            r = by_path[name]
            rgb = _rgb(image)
            if kind == "expw":
                known = tuple(int(float(r[k])) for k in ("box_x", "box_y", "box_w", "box_h"))
            else:
                h, w = rgb.shape[:2]
                px, py = int(round(w * CONTEXT_PAD)), int(round(h * CONTEXT_PAD))
                rgb = cv2.copyMakeBorder(rgb, py, py, px, px, cv2.BORDER_REPLICATE)
                known = (px, py, w, h)
            images.append(cropper.crop(np.ascontiguousarray(rgb), known))
            labels.append(INDEX[canonical(r["label"])])
            files.append(name)
            subjects.append(r.get("actor") or r.get("source_image") or "")  # RAF-DB: none
    finally:
        cropper.close()
    if not images:
        raise DatasetError(f"{store.root}: no {kind} {split} image could be read")
    order = np.argsort(np.array(files))
    notes = (cropper.note(),) + ((f"{bad} unreadable images skipped",) if bad else ())
    return FaceSet(images=np.stack(images)[order],
                   labels=np.array(labels, dtype=np.int64)[order], name=f"{kind}-{split}",
                   subjects=tuple(subjects[i] for i in order),
                   files=tuple(files[i] for i in order), skipped=bad, notes=notes)


def recipe_key() -> str:
    """What the cached crops depend on besides the source file (part of the cache key)."""
    from app.config import ModelConfig

    cfg = ModelConfig()
    return (f"crop{CROP_SIZE}|m{cfg.crop_margin}|{cfg.detector}|s{cfg.detect_score}|"
            f"pad{CONTEXT_PAD}|iou{MIN_IOU}|holdout:{','.join(IMFDB_HOLDOUT_ACTORS)}|"
            f"rafval:{RAFDB_VAL_SEED}:{RAFDB_VAL_FRACTION}")


def wild_root(kind: str) -> Path:
    """The shared archive (or an unpacked copy under ~/.cache/emotune/datasets)."""
    unpacked = Path.home() / ".cache" / "emotune" / "datasets" / kind
    if unpacked.is_dir():
        return unpacked
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / \
        f"{kind}.tar.gz"
    if shared.is_file():
        return shared
    raise DatasetError(f"no {kind} data found at {unpacked} or {shared}; pass --root PATH")
