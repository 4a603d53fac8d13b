"""Evaluate member checkpoints and their fusions on a labelled face set, side by side.

Faces go through the app's own inference path: the ONNX graphs on ONNX Runtime
(`app.model.runtime.OnnxPredictor`, the app's) or the PyTorch checkpoints
(`app.model.predictor.Predictor`), both using `app.model.preprocess`. Already-cropped
sets (`aligned=True`: FER, CK+48, SFEW's aligned faces) are fed as they are; other sets
first go through the app's face detector and cropper (`app.vision`), the largest face per
image, exactly as the live app sees a frame.
Images where no face is found are counted (`no_face`) and scored as wrong in
`accuracy_with_misses`, so a weak detector cannot flatter the figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.metrics import ConfusionMatrix, evaluate_probs
from app.model.fusion import fuse
from app.model.spec import LoadedModel
from app.train.faceset import FaceSet

FUSIONS = ("sum", "product")


@dataclass(frozen=True)
class ModelInputs:
    """The face images the models will score, their labels, and what was lost on the way."""

    images: list[np.ndarray]
    labels: np.ndarray
    no_face: int = 0


def crop_faces(faces: FaceSet, aligned: bool, crop_size: int = 96, margin: float = 0.2,
               detector=None) -> ModelInputs:
    """Images for the models: as stored when aligned, else the largest detected face."""
    if aligned:
        return ModelInputs([faces.image(i) for i in range(len(faces))],
                           np.asarray(faces.labels))
    from app.vision.crop import FaceCropper
    from app.vision.image import ensure_rgb

    own = detector is None
    if own:
        from app.config import ModelConfig
        from app.vision.detector import create_detector

        # The app's own detector backend, so the figure is what users get.
        detector = create_detector(ModelConfig().detector, mode="image", max_faces=1)
    cropper = FaceCropper(size=crop_size, margin=margin)
    images, labels, missed = [], [], 0
    try:
        for i in range(len(faces)):
            rgb = ensure_rgb(faces.image(i))
            boxes = detector.detect(rgb)
            if not boxes:
                missed += 1
                continue
            box = max(boxes, key=lambda b: b.w * b.h)
            images.append(cropper.crop(rgb, box).image)
            labels.append(int(faces.labels[i]))
    finally:
        if own:
            detector.close()
    return ModelInputs(images, np.asarray(labels, dtype=np.int64), missed)


def member_probabilities(predictor, images: Sequence[np.ndarray],
                         batch: int = 256) -> dict[str, np.ndarray]:
    """Each member's softmax for every image (N x 7), through `Predictor.predict_batch`."""
    out: dict[str, list[np.ndarray]] = {name: [] for name in predictor.names}
    for start in range(0, len(images), batch):
        for pred in predictor.predict_batch(images[start:start + batch]).predictions:
            for name, probs in pred.members.items():
                out[name].append(np.asarray(probs))
    return {name: (np.stack(rows) if rows else np.zeros((0, 7))) for name, rows in out.items()}


def compare(member_probs: Mapping[str, np.ndarray], labels: np.ndarray,
            restrict: np.ndarray | None = None) -> dict[str, dict[str, Any]]:
    """Metrics per member and for the sum and product fusion of all members."""
    models = {name: evaluate_probs(p, labels, restrict) for name, p in member_probs.items()}
    if len(member_probs) > 1:
        stacked = list(member_probs.values())
        for rule in FUSIONS:
            models[rule] = evaluate_probs(fuse(rule, stacked), labels, restrict)
    return models


def evaluate_members(faces: FaceSet, members: Sequence[LoadedModel], aligned: bool = True,
                     restrict_to_present: bool = False, threads: int = 2, detector=None,
                     crop_margin: float = 0.2, flip: bool = False,
                     optimize: str | None = None) -> dict[str, Any]:
    """The evaluation JSON: headline metrics of the product fusion (the app's rule) or of
    the single member, plus `models` with every member, sum and product side by side."""
    crop = max(m.spec.input_size for m in members)
    inputs = crop_faces(faces, aligned, crop_size=max(96, crop), margin=crop_margin,
                        detector=detector)
    present = np.bincount(np.asarray(faces.labels), minlength=7) > 0
    restrict = present if restrict_to_present and not present.all() else None
    predictor = predictor_for(members, threads, flip, optimize)
    probs = member_probabilities(predictor, inputs.images)
    models = compare(probs, inputs.labels, restrict)
    headline = "product" if "product" in models else next(iter(models))
    total = len(faces)
    for entry in models.values():
        hits = round(entry["accuracy"] * entry["n"])
        entry["accuracy_with_misses"] = round(hits / total, 4) if total else 0.0
    result: dict[str, Any] = {"data": faces.name, "images": total, "aligned": aligned,
                              "flip": flip,
                              "no_face": inputs.no_face, "skipped_files": faces.skipped,
                              "headline": headline,
                              "restricted_to": [n for n, p in zip(
                                  ("angry", "disgust", "fear", "happy", "neutral", "sad",
                                   "surprise"), present, strict=True) if p]
                              if restrict is not None else "all seven classes"}
    result.update({k: models[headline][k] for k in
                   ("n", "accuracy", "macro_f1", "uar", "per_class", "confusion")})
    result["models"] = models
    result["weights"] = {m.name: m.spec.path for m in members}
    result["backend"] = getattr(predictor, "backend", "torch")
    return result


def load_members(paths: Mapping[str, str | Path], backend: str = "torch",
                 level: str | None = None) -> list[LoadedModel]:
    """Load the named members (names are kept, e.g. cnn1, cnn2): PyTorch checkpoints, or
    with backend "onnx" the exported graphs (`.onnx` files, or the graph exported beside a
    `.pt`; `level` as the app's optimize setting picks int8 or float)."""
    if backend == "onnx":
        from app.model.runtime import load_member_graph

        return [load_member_graph(p, name, level)[0] for name, p in paths.items()]
    from app.model.checkpoint import load_checkpoint

    return [load_checkpoint(p, name=name) for name, p in paths.items()]


def predictor_for(members: Sequence[LoadedModel], threads: int = 2, flip: bool = False,
                  optimize: str | None = None):
    """The product-fusion predictor of loaded members: `OnnxPredictor` for ONNX graphs,
    else the torch `Predictor` (`optimize` as its level; None = the float modules)."""
    from app.model.onnx_graph import OnnxGraph

    if all(isinstance(m.module, OnnxGraph) for m in members):
        from app.model.runtime import OnnxPredictor

        return OnnxPredictor(list(members), fusion="product", flip=flip)
    from app.model.predictor import Predictor

    return Predictor(list(members), fusion="product", device="cpu", threads=threads,
                     flip=flip, optimize=optimize)


def confusion_from(entry: Mapping[str, Any]) -> ConfusionMatrix:
    """The ConfusionMatrix back from an evaluation entry's `confusion` dict."""
    conf = entry["confusion"]
    return ConfusionMatrix(np.asarray(conf["counts"]), tuple(conf["labels"]))
