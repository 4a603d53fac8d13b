"""Training losses over target distributions: CE, soft-target CE, BCE, label smoothing.

Every loss takes logits (N x C) and a target distribution (N x C): one-hot rows for hard
labels, FER+ vote distributions for soft targets. Label smoothing mixes the target with
the uniform distribution. Class weights scale each face's loss by the weight of its
(majority) class, the loss-side alternative to class-balanced sampling.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from app.train.config import LOSSES  # noqa: E402  (names live with the run config)


def one_hot(labels: np.ndarray | torch.Tensor, num_classes: int) -> torch.Tensor:
    labels = torch.as_tensor(np.asarray(labels), dtype=torch.long)
    return F.one_hot(labels, num_classes).float()


def smooth(targets: torch.Tensor, epsilon: float) -> torch.Tensor:
    """(1 - eps) * targets + eps / C: the label-smoothing mix."""
    if not 0.0 <= epsilon < 1.0:
        raise ValueError(f"label smoothing must lie in [0, 1), got {epsilon}")
    return targets * (1.0 - epsilon) + epsilon / targets.shape[1]


def class_weights(labels: np.ndarray, num_classes: int, power: float = 1.0) -> np.ndarray:
    """Inverse-frequency weights ** power, mean 1 over the training faces; absent classes 0."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=num_classes)
    w = np.zeros(num_classes, dtype=np.float64)
    present = counts > 0
    w[present] = (counts[present].sum() / counts[present]) ** power
    per_face = w[np.asarray(labels, dtype=np.int64)]
    return (w / per_face.mean()).astype(np.float32)


def target_loss(kind: str, logits: torch.Tensor, targets: torch.Tensor,
                weights: torch.Tensor | None = None) -> torch.Tensor:
    """Mean loss of `kind` ('ce'/'soft': cross-entropy to the distribution; 'bce': per-class
    binary cross-entropy, the paper's choice) with optional per-face weights."""
    if logits.shape != targets.shape:
        raise ValueError(f"logits {tuple(logits.shape)} vs targets {tuple(targets.shape)}")
    if kind in ("ce", "soft"):
        per_face = -(targets * F.log_softmax(logits, dim=1)).sum(dim=1)
    elif kind == "bce":
        per_face = F.binary_cross_entropy_with_logits(logits, targets,
                                                      reduction="none").sum(dim=1)
    else:
        raise ValueError(f"unknown loss {kind!r}; choose one of {', '.join(LOSSES)}")
    if weights is not None:
        return (per_face * weights).sum() / weights.sum().clamp_min(1e-9)
    return per_face.mean()


def per_face_terms(faces, idx: np.ndarray, targets: torch.Tensor,
                   weights: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Apply a mixed set's per-source label smoothing and loss weights (app.train.mix) to a
    batch's targets and per-face weights; sets without them pass through unchanged."""
    eps = getattr(faces, "smoothing", None)
    if eps is not None:
        e = torch.from_numpy(np.asarray(eps, dtype=np.float32)[idx])[:, None]
        targets = targets * (1.0 - e) + e / targets.shape[1]
    source_w = getattr(faces, "weights", None)
    if source_w is not None:
        sw = torch.from_numpy(np.asarray(source_w, dtype=np.float32)[idx])
        weights = sw if weights is None else weights * sw
    return targets, weights
