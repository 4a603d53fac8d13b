"""The run config's option names (kept torch-free for a fast --help) match the code."""

import numpy as np
import torch

from app.model.checkpoint import ARCHITECTURES
from app.train import augment, losses
from app.train.config import ARCHS, LOSSES, MODES, TrainConfig


def test_arch_names_match_the_checkpoint_architectures():
    assert ARCHS == tuple(ARCHITECTURES)
    for arch in ARCHS:
        assert TrainConfig(arch=arch).arch == arch


def test_every_augment_mode_is_implemented():
    image = np.random.default_rng(0).integers(0, 255, (48, 48), dtype=np.uint8)
    for mode in MODES:
        out = augment.augment_one(image, mode, np.random.default_rng(1))
        assert out.shape == image.shape


def test_every_loss_name_is_implemented():
    logits = torch.zeros(2, 7)
    targets = torch.full((2, 7), 1 / 7)
    for kind in LOSSES:
        value = losses.target_loss(kind, logits, targets)
        assert torch.isfinite(value)
