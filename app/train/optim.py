"""The optimiser and the learning-rate schedule of the training loop.

The learning rate is a pure function of the global step (linear warm-up, then cosine, or
constant), so a resumed run needs no scheduler state; with a time budget the cosine follows
whichever is further along, steps or time.
"""

from __future__ import annotations

import math

import torch

from app.train.config import TrainConfig


def lr_at(cfg: TrainConfig, step: int, total: int, trained_s: float = 0.0) -> float:
    """Learning rate at a global step: linear warm-up then cosine (or constant).

    With a time budget the cosine follows whichever is further along: steps or time.
    """
    warm = int(cfg.warmup_epochs / max(1, cfg.epochs) * total)
    if cfg.schedule == "none":
        return cfg.lr
    if step < warm:
        return cfg.lr * (step + 1) / warm
    progress = min(1.0, (step - warm) / max(1, total - warm))
    if cfg.budget_minutes > 0:
        progress = max(progress, min(1.0, trained_s / (60.0 * cfg.budget_minutes)))
    return cfg.min_lr + 0.5 * (cfg.lr - cfg.min_lr) * (1 + math.cos(math.pi * progress))


def make_optimizer(cfg: TrainConfig, model: torch.nn.Module) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=0.9, nesterov=True,
                               weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


__all__ = ["lr_at", "make_optimizer"]
