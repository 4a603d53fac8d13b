"""Members scored on sets they never trained on, with calibration, robustness and TTA cost.

The figures of issue 16, all from one pass of each member's logits over each set:

- FER+ Test (majority, 3,517), CK+ six classes (scored among the six, and with all seven
  answers allowed as in the app), SFEW 2.0 Val and the 20 hold-out IMFDB actors
  (`imfdb:holdout`, app-framed crops), each with accuracy, UAR, macro-F1 and ECE, per
  member and for the product rule, as shipped (T = 1) and with each member's temperature
  fitted on FER+ Valid (never a test set);
- robustness: FER+ Test and CK+ under each corruption of `app.train.robust`;
- test-time augmentation: no TTA, the flip (the app's default), flip + five crops, with the
  milliseconds per face of both members on one thread (median of repeats).

Logits are computed per view (the face, its mirror, crops) exactly as the Predictor feeds
a member (`app.model.preprocess.to_tensor`); softmax is averaged over views after scaling.
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from app.metrics import evaluate_probs
from app.model.checkpoint import LoadedModel
from app.model.fusion import fuse
from app.model.tensors import to_tensor
from app.train.robust import CORRUPTIONS, corrupt, views
from app.train.temperature import ece, fit_temperature, scaled_probs

SIX = np.array([True] * 7)
SIX[4] = False  # neutral: CK+'s six classes are the seven without it


def member_logits(member: LoadedModel, images: Sequence[np.ndarray], mode: str = "flip",
                  batch: int = 512) -> np.ndarray:
    """(N, V, 7) float32 logits of one member for every image and each TTA view."""
    per = len(views(np.asarray(images[0]), mode)) if len(images) else 1
    out = []
    module = member.module.eval()
    with torch.inference_mode():
        for start in range(0, len(images), batch // per or 1):
            chunk = [v for im in images[start:start + batch // per or 1]
                     for v in views(np.asarray(im), mode)]
            x = to_tensor(chunk, member.spec.input_size, member.spec.preprocess)
            out.append(module(x.contiguous(memory_format=torch.channels_last)).float().numpy())
    return np.concatenate(out).reshape(len(images), per, -1) if out else np.zeros((0, per, 7))


LOGITS_CACHE = Path("~/.cache/emotune/reports/logits").expanduser()


def cached_logits(member: LoadedModel, digest: str, faces, key: str,
                  cache: Path = LOGITS_CACHE) -> np.ndarray:
    """A member's flip logits on a set, cached by the checkpoint's SHA-256 (`digest`; the
    sets are fixed archives) and the set's `key`, so scoring another pairing of members
    re-runs nothing (scripts/zero_shot_report.py and `protocol basket` share the cache)."""
    from app.atomic import atomic_open

    path = cache / f"{digest[:16]}-{key}.npy"
    if path.is_file():
        cached = np.load(path)
        if cached.shape[0] == len(faces):
            return cached
    logits = member_logits(member, [faces.image(i) for i in range(len(faces))])
    with atomic_open(path, "wb") as fh:
        np.save(fh, logits)
    return logits


def scores(probs: np.ndarray, labels: np.ndarray, restrict: np.ndarray | None = None
           ) -> dict[str, Any]:
    """Accuracy, UAR, macro-F1, per-class recall and ECE (ECE over the allowed classes)."""
    m = evaluate_probs(probs, labels, restrict)
    p = probs if restrict is None else np.where(restrict[None, :], probs, 0.0)
    p = p / p.sum(1, keepdims=True)
    return {"n": m["n"], "accuracy": m["accuracy"], "uar": m["uar"],
            "macro_f1": m["macro_f1"], "ece": round(ece(p, labels), 4),
            "recall": {k: v["recall"] for k, v in m["per_class"].items()}}


def fused_table(logits: Mapping[str, np.ndarray], labels: np.ndarray,
                temps: Mapping[str, float], restrict: np.ndarray | None = None,
                product_t: float | None = None,
                weights: Mapping[str, float] | None = None) -> dict[str, Any]:
    """Per member and product-rule scores at T = 1 ('shipped'), each member's fitted T
    ('calibrated') and, given `product_t`, every member at the one T that calibrates the
    product rule ('product-calibrated': p1^(1/T) p2^(1/T) = (p1 p2)^(1/T)); given
    `weights` (fitted on validation), each setting also scores the weighted product
    ('weighted')."""
    out: dict[str, Any] = {}
    settings = {"shipped": dict.fromkeys(logits, 1.0), "calibrated": dict(temps)}
    if product_t is not None:
        settings["product-calibrated"] = dict.fromkeys(logits, product_t)
    for setting, ts in settings.items():
        probs = {n: scaled_probs(z, ts[n]) for n, z in logits.items()}
        row = {n: scores(p, labels, restrict) for n, p in probs.items()}
        if len(probs) > 1:
            row["product"] = scores(fuse("product", list(probs.values())), labels, restrict)
            if weights is not None:
                row["weighted"] = scores(fuse("product", list(probs.values()),
                                              [weights[n] for n in probs]), labels, restrict)
        out[setting] = row
    return out


def fit_product_temperature(logits: Mapping[str, np.ndarray], labels: np.ndarray) -> float:
    """The one member temperature that minimises the product rule's NLL (fitted on
    validation logits): the product's log-probabilities are the sum of the members'."""
    probs = [scaled_probs(z, 1.0) for z in logits.values()]
    log_product = np.log(np.clip(fuse("product", probs), 1e-12, None))
    return round(fit_temperature(log_product, labels), 4)


def fit_product_weights(logits: Mapping[str, np.ndarray], labels: np.ndarray,
                        grid: Sequence[float] = tuple(np.round(np.arange(0.0, 1.51, 0.1), 2))
                        ) -> dict[str, float]:
    """Exponents of the weighted product rule, p1^w1 p2^w2 ..., fitted on validation logits:
    the first member keeps weight 1 and every other one takes the grid value that maximises
    validation accuracy (ties: the lower negative log-likelihood, then the weights nearest
    to equal). Exhaustive over the grid, so 3 members cost 16^2 fusions of the set."""
    names = list(logits)
    probs = [scaled_probs(logits[n], 1.0) for n in names]
    labels = np.asarray(labels)
    best: tuple[float, float, float] | None = None
    chosen = (1.0,) * len(names)
    for rest in itertools.product(grid, repeat=len(names) - 1):
        w = np.array((1.0, *rest))
        fused = fuse("product", probs, w)
        key = (-float((fused.argmax(1) == labels).mean()),
               -float(np.log(np.clip(fused[np.arange(len(labels)), labels], 1e-12,
                                     None)).mean()),
               float(np.abs(w - 1.0).sum()))
        if best is None or key < best:
            best, chosen = key, tuple(float(v) for v in w)
    return dict(zip(names, chosen, strict=True))


def fit_temperatures(members: Sequence[LoadedModel], images, labels, mode: str = "flip"
                     ) -> dict[str, float]:
    return {m.name: round(fit_temperature(member_logits(m, images, mode), labels), 4)
            for m in members}


def robustness(members: Sequence[LoadedModel], images, labels, temps: Mapping[str, float],
               restrict: np.ndarray | None = None, kinds: Sequence[str] = tuple(CORRUPTIONS)
               ) -> dict[str, Any]:
    """Product-rule (and member) accuracy under each corruption, with the flip."""
    out: dict[str, Any] = {}
    for kind in ("clean", *kinds):
        ims = images if kind == "clean" else corrupt(images, kind)
        logits = {m.name: member_logits(m, ims, "flip") for m in members}
        table = fused_table(logits, labels, temps, restrict)
        out[kind] = {s: {n: {"accuracy": r["accuracy"], "uar": r["uar"]} for n, r in t.items()}
                     for s, t in table.items()}
    return out


def tta_costs(members: Sequence[LoadedModel], images, labels, modes: Sequence[str],
              repeats: int = 5, timing_faces: int = 64) -> dict[str, Any]:
    """Product accuracy per TTA mode and ms per face for all members (median of repeats)."""
    out: dict[str, Any] = {}
    sample = list(images[:timing_faces])
    for mode in modes:
        logits = {m.name: member_logits(m, images, mode) for m in members}
        probs = [scaled_probs(z, 1.0) for z in logits.values()]
        fused = fuse("product", probs) if len(probs) > 1 else probs[0]
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            for m in members:
                member_logits(m, sample, mode)
            times.append((time.perf_counter() - t0) * 1000.0 / len(sample))
        out[mode] = {**{k: v for k, v in scores(fused, labels).items()
                        if k in ("accuracy", "uar")},
                     "ms_per_face": round(statistics.median(times), 3),
                     "views": logits[members[0].name].shape[1]}
    return out
