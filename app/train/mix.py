"""A training set drawn from several sources (`--data ferplus+expw+imfdb`), with per-source terms.

ExpW's and IMFDB's labels are noisier than FER+'s ten-annotator majorities, so each source
can carry a loss weight (`--source-weights expw=0.5,imfdb=0.5`) and extra label smoothing
(`--source-smoothing expw=0.2`) that the training loop applies face by face
(`app.train.losses.per_face_terms`). Validation stays FER+ Valid: the mix only changes what
is trained on. IMFDB enters a mix only through its `train` split, which leaves out the
hold-out actors of `app.train.holdout`; `training_split` refuses anything else.

Images are resized once to one side (the run's largest input size) so the mix is one array:
batches index it without copying lists, and the on-the-fly augmentation sees every source
at the same scale.
"""

from __future__ import annotations

import cv2
import numpy as np

from app.labels import NUM_CLASSES
from app.train.faceset import DatasetError, FaceSet

TRAIN_SPLITS = {"ferplus": "Train", "fer2013": "Training", "sfew": "Train", "expw": "all",
                "imfdb": "train", "ckplus": "all", "rafdb": "train"}


def parse_sources(spec: str) -> list[str]:
    """'ferplus+expw+imfdb' -> ['ferplus', 'expw', 'imfdb'] (known kinds, no repeats)."""
    kinds = [k.strip() for k in spec.split("+") if k.strip()]
    unknown = [k for k in kinds if k not in TRAIN_SPLITS]
    if not kinds or unknown or len(set(kinds)) != len(kinds):
        raise DatasetError(f"mixed data {spec!r}: give distinct sources joined by '+' among "
                           f"{', '.join(TRAIN_SPLITS)} (unknown: {', '.join(unknown) or '-'})")
    return kinds


def parse_terms(text: str, kinds: list[str], name: str, upper: float) -> dict[str, float]:
    """'expw=0.5,imfdb=0.3' -> {kind: value}; every named source must be in the mix."""
    out: dict[str, float] = {}
    for part in (p.strip() for p in (text or "").split(",") if p.strip()):
        kind, _, value = part.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if kind not in kinds or not 0.0 <= number <= upper:
            raise DatasetError(f"--{name} {part!r}: expected SOURCE=VALUE with SOURCE one of "
                               f"{', '.join(kinds)} and 0 <= VALUE <= {upper}")
        out[kind] = number
    return out


def training_split(kind: str, split: str | None) -> str:
    """The split a source is trained on; IMFDB's hold-out actors can never be trained on."""
    split = split or TRAIN_SPLITS[kind]
    if kind == "imfdb" and split != "train":
        raise DatasetError(f"imfdb split {split!r} holds the hold-out actors "
                           "(app.train.holdout); train on imfdb split 'train' only")
    if kind == "rafdb" and split != "train":
        raise DatasetError(f"rafdb split {split!r} holds the selection faces (rafdb 'val'); "
                           "train on rafdb split 'train' only")
    return split


def _resized(images, side: int) -> np.ndarray:
    out = []
    for im in images:
        if im.ndim == 3:
            im = cv2.cvtColor(np.ascontiguousarray(im[:, :, :3]), cv2.COLOR_RGB2GRAY)
        if im.shape[:2] != (side, side):
            interp = cv2.INTER_AREA if im.shape[0] > side else cv2.INTER_LINEAR
            im = cv2.resize(im, (side, side), interpolation=interp)
        out.append(im)
    return np.stack(out)


def mix_sets(parts: list[tuple[str, FaceSet]], side: int, weights: dict[str, float],
             smoothing: dict[str, float]) -> FaceSet:
    """One gray side x side FaceSet from (source, set) pairs, with per-face source terms."""
    if not parts:
        raise DatasetError("a mixed training set needs at least one source")
    images = np.concatenate([_resized(f.images, side) for _, f in parts])
    labels = np.concatenate([np.asarray(f.labels, dtype=np.int64) for _, f in parts])
    has_soft = any(f.soft is not None for _, f in parts)
    soft = None
    if has_soft:  # sources without vote distributions contribute their one-hot labels
        soft = np.concatenate([np.asarray(f.soft, dtype=np.float32) if f.soft is not None
                               else np.eye(NUM_CLASSES, dtype=np.float32)[f.labels]
                               for _, f in parts])
    w = np.concatenate([np.full(len(f), weights.get(k, 1.0), np.float32) for k, f in parts])
    eps = np.concatenate([np.full(len(f), smoothing.get(k, 0.0), np.float32)
                          for k, f in parts])
    notes = tuple(f"{k}: {len(f)} faces (loss weight {weights.get(k, 1.0)}, extra smoothing "
                  f"{smoothing.get(k, 0.0)})" for k, f in parts)
    files = tuple(f"{k}:{name}" for k, f in parts for name in (f.files or ("",) * len(f)))
    return FaceSet(images=images, labels=labels, name="+".join(k for k, _ in parts),
                   soft=soft, files=files, skipped=sum(f.skipped for _, f in parts),
                   notes=notes, weights=w, smoothing=eps)


def load_mix(spec: str, side: int, source_weights: str = "", source_smoothing: str = "",
             use_cache: bool = True) -> FaceSet:
    """The mixed training set named by `spec`, each source read through the npz cache."""
    from app.train.datasets import load_faces

    kinds = parse_sources(spec)
    weights = parse_terms(source_weights, kinds, "source-weights", 10.0)
    smoothing = parse_terms(source_smoothing, kinds, "source-smoothing", 0.99)
    parts = [(k, load_faces(k, None, training_split(k, None), use_cache=use_cache))
             for k in kinds]
    return mix_sets(parts, side, weights, smoothing)
