"""Losses on the penultimate embedding, beside cross-entropy: triplet and sparse centre loss.

Both come from the seeds and both tighten each class's cluster of embeddings, which is also
what a personal profile is fitted on:

- batch-hard triplet loss (Haider et al. use triplets on the embedding; the batch-hard
  mining of Hermans et al. needs no extra sampling): embeddings are L2-normalised, and for
  every anchor the farthest same-class face and the nearest other-class face of the batch
  give max(0, d(a, p) - d(a, n) + margin). Anchors without a positive in the batch add
  nothing.
- sparse centre loss (Singh et al.): one learned centre per class, and a learned weighting
  of the embedding's dimensions (a softmax over D, times D, so it cannot collapse to zero)
  that lets the loss pull together only the dimensions that matter:
  1/2 * sum_d w_d (x_d - c_{y,d})^2, averaged over the batch. Centres and weights are
  parameters trained by the run's optimizer and saved in `last.pt` for resume.

`EmbeddingLosses` bundles them with their weights; the training loop builds one only when
`--triplet-weight` or `--center-weight` is above zero.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from app.labels import NUM_CLASSES


def batch_hard_triplet(emb: torch.Tensor, labels: torch.Tensor,
                       margin: float = 0.2) -> torch.Tensor:
    """Mean batch-hard triplet loss over anchors that have a positive and a negative."""
    z = F.normalize(emb.float(), dim=1)
    dist = torch.cdist(z, z)
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool, device=emb.device)
    pos = same & ~eye
    valid = pos.any(1) & (~same).any(1)
    if not valid.any():
        return emb.sum() * 0.0
    hardest_pos = dist.masked_fill(~pos, float("-inf")).amax(1)
    hardest_neg = dist.masked_fill(same, float("inf")).amin(1)
    return F.relu(hardest_pos - hardest_neg + margin)[valid].mean()


class SparseCenterLoss(nn.Module):
    """Weighted squared distance of each embedding to its class centre (learned)."""

    def __init__(self, dim: int, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        self.centers = nn.Parameter(torch.zeros(num_classes, dim))
        self.logit_w = nn.Parameter(torch.zeros(dim))

    def dim_weights(self) -> torch.Tensor:
        return torch.softmax(self.logit_w, 0) * self.logit_w.numel()

    def forward(self, emb: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        diff = emb.float() - self.centers[labels]
        return 0.5 * (diff.pow(2) * self.dim_weights()).sum(1).mean()


class EmbeddingLosses(nn.Module):
    """triplet_weight * triplet + center_weight * sparse centre, on one batch's embedding."""

    def __init__(self, dim: int, triplet_weight: float = 0.0, triplet_margin: float = 0.2,
                 center_weight: float = 0.0) -> None:
        super().__init__()
        if triplet_weight < 0 or center_weight < 0 or triplet_margin < 0:
            raise ValueError("triplet/centre weights and the margin must be >= 0")
        self.triplet_weight = triplet_weight
        self.triplet_margin = triplet_margin
        self.center_weight = center_weight
        self.center = SparseCenterLoss(dim) if center_weight > 0 else None

    def forward(self, emb: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        total = emb.sum() * 0.0
        if self.triplet_weight > 0:
            total = total + self.triplet_weight * batch_hard_triplet(emb, labels,
                                                                     self.triplet_margin)
        if self.center is not None:
            total = total + self.center_weight * self.center(emb, labels)
        return total


def wants_embedding_losses(cfg: Any) -> bool:
    """True when the run asks for the triplet or the centre loss."""
    return getattr(cfg, "triplet_weight", 0.0) > 0 or getattr(cfg, "center_weight", 0.0) > 0


def refuse_distributed_embedding_losses(cfg: Any, distributed: bool) -> None:
    """ValueError when the embedding losses are asked for under torchrun: their forward
    bypasses the DDP wrapper, whose gradient sync it would skip."""
    if distributed and wants_embedding_losses(cfg):
        raise ValueError("the triplet and centre losses (--triplet-weight, --center-weight) "
                         "train in one process only; run without torchrun")


def embedding_losses(cfg: Any, model: nn.Module, size: int) -> EmbeddingLosses | None:
    """The run's embedding losses (None when neither weight is set), sized on the model."""
    if not wants_embedding_losses(cfg):
        return None
    from app.model.embedding import logits_and_embedding

    was = model.training
    model.eval()
    with torch.no_grad():
        _, emb = logits_and_embedding(model, torch.zeros(2, 3, size, size))
    model.train(was)
    return EmbeddingLosses(emb.shape[1], cfg.triplet_weight, cfg.triplet_margin,
                           cfg.center_weight)
