"""One epoch's training batches: this rank's shard of each global batch, augmented, as tensors.

The epoch's randomness is drawn up front from the run's one generator: the order of the
faces (a permutation or a class-balanced draw, `loop.sample_epoch`) and one augmentation
seed per position. A face's augmentation then depends only on its place in the epoch, not
on which process or DataLoader worker augments it, so one process, N DDP ranks and any
number of workers see the same augmented global batches, and every rank's generator stays
in step with rank 0's (whose state `last.pt` keeps for resuming).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch

from app.model.tensors import to_tensor
from app.train.augment import augment_one
from app.train.distributed import DistContext
from app.train.faceset import FaceSet
from app.train.losses import per_face_terms

Targets = Callable[[FaceSet, np.ndarray], torch.Tensor]


def batch_tensor(images, size: int, preprocess: dict[str, Any]) -> torch.Tensor:
    return to_tensor(list(images), size, preprocess).contiguous(
        memory_format=torch.channels_last)


def augmentation_seeds(rng: np.random.Generator, n: int) -> np.ndarray:
    """One seed per position of the epoch (drawn whatever the mode: the stream stays put)."""
    return rng.integers(0, 2**63 - 1, size=n, dtype=np.int64)


class EpochBatches(torch.utils.data.Dataset):
    """Item b: this rank's shard of global batch b as {"x", "y", "w", "labels", "scale"},
    or None for a global batch too small to train on (fewer than 2 faces, which BatchNorm
    needs, or fewer than one face per rank)."""

    def __init__(self, faces: FaceSet, order: np.ndarray, seeds: np.ndarray, batch_size: int,
                 augment: str, size: int, preprocess: dict[str, Any], targets: Targets,
                 loss_weights: np.ndarray | None, ctx: DistContext) -> None:
        self.faces, self.order, self.seeds = faces, order, seeds
        self.batch_size, self.augment, self.size = batch_size, augment, size
        self.preprocess, self.targets, self.ctx = preprocess, targets, ctx
        self.loss_weights = loss_weights
        self.labels = np.asarray(faces.labels, dtype=np.int64)

    def __len__(self) -> int:
        return math.ceil(len(self.order) / self.batch_size)

    def __getitem__(self, b: int) -> dict[str, Any] | None:
        span = slice(b * self.batch_size, (b + 1) * self.batch_size)
        glob, seeds = self.order[span], self.seeds[span]
        if len(glob) < max(2, self.ctx.world_size):
            return None
        part = self.ctx.shard(np.arange(len(glob)))
        idx = glob[part]
        images = [self.faces.images[i] for i in idx]
        if self.augment != "none":
            images = [augment_one(im, self.augment, np.random.default_rng(int(s)))
                      for im, s in zip(images, seeds[part], strict=True)]
        w = None if self.loss_weights is None else \
            torch.from_numpy(self.loss_weights[self.labels[glob]])
        # a mixed set's per-source smoothing and loss weights, over the global batch so that
        # each rank's loss scale below stays exact
        y, w = per_face_terms(self.faces, glob, self.targets(self.faces, glob), w)
        local = len(idx) if w is None else float(w[part].sum())
        total = len(glob) if w is None else float(w.sum())
        return {"x": batch_tensor(images, self.size, self.preprocess),
                "y": y[torch.from_numpy(part)],
                "w": None if w is None else w[torch.from_numpy(part)],
                "labels": torch.from_numpy(self.labels[idx]),
                "scale": self.ctx.loss_scale(local, total)}


def iterate(batches: EpochBatches, workers: int, pin: bool) -> Iterator[dict[str, Any] | None]:
    """The epoch's items in order: in this process, or made ahead by `workers` DataLoader
    processes (pinned memory for a CUDA device, so the copy can overlap the compute)."""
    if workers == 0:
        return (batches[b] for b in range(len(batches)))
    loader = torch.utils.data.DataLoader(batches, batch_size=None, shuffle=False,
                                         num_workers=workers, pin_memory=pin,
                                         collate_fn=_as_is,
                                         # its own generator: the workers' base seed must
                                         # not be drawn from torch's (Dropout's) generator
                                         generator=torch.Generator().manual_seed(0))
    return iter(loader)


def _as_is(item):
    return item
